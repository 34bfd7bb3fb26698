import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ajvDraft04Module from 'ajv-draft-04';
import ajvFormatsModule from 'ajv-formats';
import type { ValidateFunction } from 'ajv';

// Both are CommonJS with a `default` export, which an ESM default import does not unwrap.
type AjvInstance = import('ajv-draft-04').default;
const Ajv = ((ajvDraft04Module as unknown as { default?: unknown }).default ?? ajvDraft04Module) as new (options: object) => AjvInstance;
const addFormats = ((ajvFormatsModule as unknown as { default?: unknown }).default ?? ajvFormatsModule) as (ajv: AjvInstance) => void;

/** The repository's copy of the AMWA schemas (specs/nmos), found from source or from dist. */
function specsRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++, dir = dirname(dir)) {
    try {
      readdirSync(join(dir, 'specs', 'nmos'));
      return join(dir, 'specs', 'nmos');
    } catch {
      // keep climbing
    }
  }
  throw new Error('specs/nmos not found');
}

export type SchemaSet = 'is-04' | 'is-05';

const FOLDERS: Record<SchemaSet, string> = { 'is-04': 'is-04/v1.3/APIs/schemas', 'is-05': 'is-05/v1.1/APIs/schemas' };

/**
 * The official draft-04 schemas, each registered under a URI made from its file name so their relative
 * `$ref`s resolve as upstream intends.
 */
export class NmosSchemas {
  private readonly ajv = new Ajv({ allErrors: true, strict: false });
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(readonly root = specsRoot()) {
    addFormats(this.ajv);
    for (const set of Object.keys(FOLDERS) as SchemaSet[]) {
      const folder = resolve(root, FOLDERS[set]);
      for (const file of readdirSync(folder).filter((f) => f.endsWith('.json'))) {
        this.ajv.addSchema(JSON.parse(readFileSync(join(folder, file), 'utf8')), uriOf(set, file));
      }
    }
  }

  /** Problems of `value` against a schema file, or an empty list when it is valid. */
  problems(set: SchemaSet, file: string, value: unknown): string[] {
    const key = uriOf(set, file);
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.getSchema(key);
      if (!validate) throw new Error(`no schema ${set}/${file}`);
      this.compiled.set(key, validate);
    }
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
  }
}

function uriOf(set: SchemaSet, file: string): string {
  return `https://schemas.nmos.local/${set}/${file}`;
}
