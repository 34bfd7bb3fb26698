import { DomainError } from '../domain/domain.error.js';

/** No request of ours nests deeper than a few levels; a JSON parser recursing 170,000 deep overflows the stack. */
const MAX_JSON_DEPTH = 64;

/**
 * Parses a request body as the API accepts it, before any handler sees it: UTF-8 only, nesting bounded
 * (checked by a linear scan before JSON.parse recurses), no NUL character anywhere (PostgreSQL cannot
 * store one, so it would fail deep inside a write), no prototype-polluting keys. Every refusal is a 400
 * (415 for a charset) that names the field.
 */
export function parseJsonBody(raw: Buffer, contentType: string | undefined): unknown {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
    throw new DomainError('unsupported_media_type', 'unsupported_media_type', `Request bodies must be UTF-8 JSON (charset=${charset} is not accepted)`);
  const text = raw.toString('utf8');
  if (text.trim() === '') throw invalidJson('body', 'is empty: send JSON or no Content-Type');
  const depth = nestingDepth(text);
  if (depth > MAX_JSON_DEPTH) throw invalidJson('body', `nests deeper than ${MAX_JSON_DEPTH} levels`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalidJson('body', `is not valid JSON (${(err as Error).message.replace(/, ".*$/, '')})`);
  }
  checkValue(parsed, 'body');
  return parsed;
}

/** The deepest nesting of objects and arrays, skipping strings (and the escapes within them). */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > deepest) deepest = depth;
      if (deepest > MAX_JSON_DEPTH) return deepest;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return deepest;
}

/** Recursion is safe here: the depth was bounded first. */
function checkValue(value: unknown, path: string): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) throw invalidJson(path, 'must not contain a NUL character');
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => checkValue(item, `${path}[${index}]`));
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    const field = `${path}.${key}`;
    if (key.includes('\u0000')) throw invalidJson(path, 'has a field name with a NUL character');
    if (key === '__proto__' || (key === 'constructor' && typeof item === 'object' && item !== null && Object.hasOwn(item, 'prototype')))
      throw invalidJson(field, 'is not an accepted field name');
    checkValue(item, field);
  }
}

function invalidJson(field: string, message: string): DomainError {
  return new DomainError('invalid', 'invalid_json', `${field}: ${message}`, { fields: [{ field, message }] });
}
