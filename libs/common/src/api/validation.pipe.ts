import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { DomainError, type FieldProblem } from '../domain/domain.error.js';

/**
 * Request bodies and queries: unknown fields are refused, types are checked, and the error names every
 * offending field (dotted path for nested ones).
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    // One message per field: the first rule it breaks.
    stopAtFirstError: true,
    exceptionFactory: (errors) => {
      const fields = flatten(errors);
      return new DomainError('invalid', 'validation_failed', fields.map((f) => `${f.field}: ${f.message}`).join('; '), { fields });
    },
  });
}

function flatten(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({
      field,
      message: message.startsWith(`property ${error.property} should not exist`) ? 'unknown field' : message,
    }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}
