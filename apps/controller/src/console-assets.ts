import type { FastifyInstance, FastifyReply } from 'fastify';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The console's CSP: its own scripts and styles only (hashed files, no inline script), API calls to
 * this origin only (through the same address and proxy as the API), never framed. Inline style
 * attributes are allowed: the matrix positions its visible cells with them.
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** Where `npm run build` puts the console: beside the compiled controller, or under the working directory. */
function consoleDir(): string | undefined {
  const candidates = [fileURLToPath(new URL('../../../console/', import.meta.url)), resolve('dist/console')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

/**
 * Serves the operator console from this process, as every replica does: `/` is the page (revalidated
 * on every load, so a new release is picked up), `/assets/*` the hashed bundles (cached for a year:
 * their names change with their content). Files are read once at start; nothing else is served.
 * Answers whether the console was found (it is built by `npm run build`).
 */
export function serveConsole(fastify: FastifyInstance): boolean {
  const dir = consoleDir();
  if (!dir) return false;
  const index = readFileSync(join(dir, 'index.html'));
  const assets = new Map<string, { body: Buffer; type: string }>();
  const assetsDir = join(dir, 'assets');
  for (const file of existsSync(assetsDir) ? readdirSync(assetsDir) : []) {
    assets.set(file, { body: readFileSync(join(assetsDir, file)), type: TYPES[extname(file)] ?? 'application/octet-stream' });
  }
  const page = (reply: FastifyReply) =>
    reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-cache').header('content-security-policy', CONSOLE_CSP).send(index);
  fastify.get('/', { logLevel: 'warn' }, (_request, reply) => page(reply));
  fastify.get<{ Params: { file: string } }>('/assets/:file', { logLevel: 'warn' }, (request, reply) => {
    const asset = assets.get(request.params.file);
    if (!asset) return reply.status(404).send({ statusCode: 404, error: 'not_found', message: 'No such console asset', request_id: request.id });
    return reply.header('content-type', asset.type).header('cache-control', 'public, max-age=31536000, immutable').send(asset.body);
  });
  return true;
}
