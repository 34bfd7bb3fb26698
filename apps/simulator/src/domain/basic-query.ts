import type { Resource } from './resources.js';

/**
 * IS-04 basic queries: `?label=x&subscription.active=true&tags.urn:x-nmos:tag:grouphint/v1.0=a`. A key
 * is a dotted path into the resource; where the path meets an array, any element may match. Values
 * compare as the JSON value's text. Keys that are not part of the path (`paging.*`, `query.*`) are
 * handled by the caller.
 */
export function matchesBasicQuery(resource: Resource, query: ReadonlyArray<[string, string]>): boolean {
  return query.every(([path, expected]) => valuesAt(resource, path).some((value) => textOf(value) === expected));
}

function valuesAt(root: unknown, path: string): unknown[] {
  // Keys may themselves contain dots (tag names are URNs with versions): try the longest key first.
  if (Array.isArray(root)) return path === '' ? root : root.flatMap((item) => valuesAt(item, path));
  if (path === '') return [root];
  if (root === null || typeof root !== 'object') return [];
  const record = root as Record<string, unknown>;
  // Most queries name a key as it is (`format`, `label`): no need to split the path.
  if (Object.hasOwn(record, path)) return valuesAt(record[path], '');
  const parts = path.split('.');
  for (let take = parts.length; take >= 1; take--) {
    const key = parts.slice(0, take).join('.');
    if (key in record) {
      const found = valuesAt(record[key], parts.slice(take).join('.'));
      if (found.length > 0) return found;
    }
  }
  return [];
}

function textOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
