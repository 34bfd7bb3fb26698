import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ajvModule, { type ErrorObject } from 'ajv';
import ajvFormatsModule from 'ajv-formats';

// Both are CommonJS with a `default` export, which an ESM default import does not unwrap.
type AjvInstance = import('ajv').default;
const Ajv = ((ajvModule as unknown as { default?: unknown }).default ?? ajvModule) as new (options: object) => AjvInstance;
const addFormats = ((ajvFormatsModule as unknown as { default?: unknown }).default ?? ajvFormatsModule) as (ajv: AjvInstance) => void;

const SCHEMAS = 'docs/events/schemas';
const BY_TYPE: Array<[RegExp, string]> = [
  [/^nmos\.resource\./, 'nmos-resource.schema.json'],
  [/^registry\.state\./, 'registry-state.schema.json'],
  [/^registry\.config\./, 'registry-config.schema.json'],
  [/^user\./, 'user.schema.json'],
  [/^config\.restored$/, 'config-restored.schema.json'],
  [/^alert\./, 'alert.schema.json'],
  [/^receiver\.state\./, 'receiver-state.schema.json'],
  [/^flow\./, 'flow.schema.json'],
  [/^is07\./, 'is07.schema.json'],
];

/** The documented event schemas (docs/events/schemas), to validate what is really published. */
export class EventSchemas {
  private readonly ajv = new Ajv({ allErrors: true, strict: false });

  constructor() {
    addFormats(this.ajv);
    for (const file of readdirSync(SCHEMAS)) this.ajv.addSchema(JSON.parse(readFileSync(join(SCHEMAS, file), 'utf8')), file);
  }

  /** Problems of an event against the schema of its type ('no schema' if the type is undocumented). */
  problems(event: { type?: string } & Record<string, unknown>, schema?: string): string[] {
    const file = schema ?? BY_TYPE.find(([pattern]) => pattern.test(event.type ?? ''))?.[1];
    if (!file) return [`no schema for type ${event.type}`];
    const validate = this.ajv.getSchema(file)!;
    return validate(event) ? [] : (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message}`);
  }
}
