/**
 * The Testing Façade for the AMWA NMOS Testing Tool's controller suites (IS-04-04, IS-05-03): it
 * listens for the tool's questions and answers them by driving the controller through its public API
 * with an API token, as an automation client would. `npm run test:conformance` starts it.
 */
import { z } from 'zod';
import { Answerer } from './answerer.js';
import { ControllerApi } from './controller-api.js';
import { QuestionServer } from './question-server.js';

const Env = z.object({
  CONTROLLER_URL: z.url({ protocol: /^https?$/, message: 'must be the controller base URL, e.g. http://127.0.0.1:8080' }),
  CONTROLLER_TOKEN: z.string({ message: 'must be an API token of the controller (POST /api/tokens)' }).min(1),
  FACADE_HOST: z.string().default('127.0.0.1'),
  FACADE_PORT: z.coerce.number({ message: 'must be a port number' }).int().min(0).max(65535).default(5001),
});

async function main(): Promise<void> {
  const parsed = Env.safeParse(process.env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) process.stderr.write(`testing façade: ${issue.path.join('.')} ${issue.message}\n`);
    process.exit(2);
  }
  const env = parsed.data;
  const log = (message: string) => process.stdout.write(`${new Date().toISOString()} façade: ${message}\n`);
  const server = new QuestionServer(new Answerer(new ControllerApi(env.CONTROLLER_URL.replace(/\/+$/, ''), env.CONTROLLER_TOKEN), log), log);
  const port = await server.listen(env.FACADE_PORT, env.FACADE_HOST);
  log(`Question API on http://${env.FACADE_HOST}:${port}/x-nmos/testquestion/v1.0, driving ${env.CONTROLLER_URL}`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
