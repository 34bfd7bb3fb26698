import type { z } from 'zod';
import { DomainError, type FieldProblem } from './domain.error.js';

/** Zod issues as field problems: `connections.3.receiver_id: is required`; an unknown field is named itself. */
export function zodProblems(issues: readonly z.core.$ZodIssue[], prefix: string[] = []): FieldProblem[] {
  const fieldOf = (path: readonly PropertyKey[]) => [...prefix, ...path.map(String)].join('.') || '(body)';
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: fieldOf([...issue.path, key]), message: 'unknown field' }))
      : [{ field: fieldOf(issue.path), message: messageOf(issue) }],
  );
}

/** Parses a request body with a schema, or throws a 400 naming every bad field. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown, code: string): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const fields = zodProblems(parsed.error.issues);
  throw new DomainError('invalid', code, fields.map((f) => `${f.field}: ${f.message}`).join('; '), { fields });
}

function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  return issue.message;
}
