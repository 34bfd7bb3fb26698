import { applyDecorators, type PipeTransform } from '@nestjs/common';
import { ApiBody, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';
import { parseInput } from '../domain/zod-problems.js';

/**
 * The OpenAPI (3.0) schema of what a zod schema accepts: request docs are generated from the schema
 * that validates, so they cannot drift apart. Refinements (a TAI time, a cross-field rule) are not
 * representable and are left to the field's description.
 */
export function openApiSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...openApi } = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return openApi;
}

/** Documents a route's JSON body with the zod schema that validates it. */
export function ApiZodBody(schema: z.ZodType, description?: string): MethodDecorator {
  return applyDecorators(ApiBody({ schema: openApiSchemaOf(schema) as never, description }));
}

/** Documents a route's query parameters, one per field of the zod object schema that validates them. */
export function ApiZodQuery(schema: z.ZodObject): MethodDecorator {
  const { properties = {}, required = [] } = openApiSchemaOf(schema) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return applyDecorators(
    ...Object.entries(properties).map(([name, property]) =>
      ApiQuery({ name, required: required.includes(name), schema: property as never, description: property.description as string | undefined }),
    ),
  );
}

/**
 * Validates a parameter (`@Body(new ZodPipe(Schema))`) with a zod schema: 400 naming every bad field
 * (`validation_failed`), the parsed value handed on.
 */
export class ZodPipe<T> implements PipeTransform<unknown, T> {
  constructor(
    private readonly schema: z.ZodType<T>,
    private readonly code = 'validation_failed',
  ) {}

  transform(value: unknown): T {
    return parseInput(this.schema, value, this.code);
  }
}
