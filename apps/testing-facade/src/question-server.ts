import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Answerer } from './answerer.js';
import { ClearSchema, QuestionSchema, describeProblem, type AnswerResponse, type Question } from './question.js';

const QUESTION_PATH = /^\/x-nmos\/testquestion\/v1\.0\/?$/;
const MAX_BODY_BYTES = 1_000_000;

type Log = (message: string) => void;

/**
 * The Question API (testingfacade/APIs/QuestionAPI.raml): POST a question, 202 at once, and the answer
 * goes later to the question's `answer_uri`. One question is in hand at a time: a newer one (the tool
 * moved on after a timeout) or `{"clear": "True"}` drops the answer still being worked out.
 */
export class QuestionServer {
  private readonly server: Server;
  private generation = 0;

  constructor(
    private readonly answerer: Answerer,
    private readonly log: Log,
  ) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  close(): Promise<void> {
    this.generation++;
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (!QUESTION_PATH.test(path)) return reply(res, 404, { error: `no such path: ${path}` });
    if (req.method !== 'POST') return reply(res, 405, { error: 'only POST is served here' });
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (err) {
      return reply(res, 400, { error: `body: ${(err as Error).message}` });
    }
    if (ClearSchema.safeParse(body).success) {
      this.generation++;
      this.answerer.reset();
      this.log('cleared: the suite ended');
      return reply(res, 202, {});
    }
    const parsed = QuestionSchema.safeParse(body);
    if (!parsed.success) return reply(res, 400, { error: describeProblem(parsed.error) });
    reply(res, 202, {});
    void this.work(parsed.data, ++this.generation);
  }

  private async work(question: Question, generation: number): Promise<void> {
    this.log(`question ${question.question_id} (${question.test_type}): ${question.description}`);
    let answer: AnswerResponse | undefined;
    try {
      answer = await this.answerer.answer(question);
    } catch (err) {
      this.log(`question ${question.question_id}: ${(err as Error).message}`);
      return;
    }
    if (answer === undefined) return;
    if (generation !== this.generation) return this.log(`question ${question.question_id}: the tool moved on; answer dropped`);
    this.log(`answer ${question.question_id}: ${JSON.stringify(answer)}`);
    try {
      const res = await fetch(question.answer_uri, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ question_id: question.question_id, answer_response: answer }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) this.log(`answer ${question.question_id}: the Answer API said ${res.status} ${await res.text()}`);
    } catch (err) {
      this.log(`answer ${question.question_id}: could not reach ${question.answer_uri}: ${(err as Error).message}`);
    }
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
