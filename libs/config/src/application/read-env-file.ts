import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'dotenv';

/**
 * Variables from a `.env` file, overridden by the real environment (an orchestrator's settings win over a
 * file left in the image).
 */
export function environmentWithDotenv(env: NodeJS.ProcessEnv, path = '.env'): Record<string, string | undefined> {
  if (!existsSync(path)) return { ...env };
  return { ...parse(readFileSync(path)), ...env };
}
