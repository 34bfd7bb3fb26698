import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Answerer } from './answerer.js';
import type { Question } from './question.js';
import { QuestionServer } from './question-server.js';

/** An Answer API that records what the façade posts to it. */
async function answerApi(): Promise<{ url: string; received: unknown[]; server: Server }> {
  const received: unknown[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/x-nmos/testanswer/v1.0`, received, server };
}

const question = (answerUri: string, over: Partial<Question> = {}): Question => ({
  test_type: 'multi_choice',
  question_id: 'test_03',
  name: 'test_03',
  description: 'Query API should be able to discover all the senders that are registered in the Registry',
  question: 'Select the senders',
  answers: [{ answer_id: 'answer_0', display_answer: 's1', resource: { id: 'a', label: 's1', description: '' } }],
  timeout: 30,
  answer_uri: answerUri,
  metadata: null,
  ...over,
});

describe('the Question API', () => {
  const closing: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (closing.length > 0) await closing.pop()!();
  });

  async function start(answer: (q: Question) => Promise<unknown>) {
    const resets: number[] = [];
    const answerer = { answer, reset: () => resets.push(1) } as unknown as Answerer;
    const server = new QuestionServer(answerer, () => undefined);
    const port = await server.listen(0, '127.0.0.1');
    closing.push(() => server.close());
    const post = (body: unknown) =>
      fetch(`http://127.0.0.1:${port}/x-nmos/testquestion/v1.0/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    return { post, resets };
  }

  it('takes a question with 202 and posts the answer to its answer_uri', async () => {
    const api = await answerApi();
    closing.push(() => new Promise((r) => api.server.close(() => r())));
    const { post } = await start(async () => ['answer_0']);
    expect((await post(question(api.url))).status).toBe(202);
    for (let i = 0; i < 100 && api.received.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(api.received).toEqual([{ question_id: 'test_03', answer_response: ['answer_0'] }]);
  });

  it('refuses a malformed question with 400 naming the field, and answers nothing', async () => {
    const { post } = await start(async () => {
      throw new Error('must not be asked');
    });
    const res = await post({ ...question('http://127.0.0.1:1/x'), test_type: 'essay' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^test_type: /);
    const missing = await post({ question_id: 'test_01' });
    expect(missing.status).toBe(400);
  });

  it('clears at the end of a suite and drops an answer still being worked out', async () => {
    const api = await answerApi();
    closing.push(() => new Promise((r) => api.server.close(() => r())));
    let release: () => void = () => undefined;
    const { post, resets } = await start(() => new Promise((r) => (release = () => r(null))));
    expect((await post(question(api.url, { test_type: 'action', answers: [] }))).status).toBe(202);
    expect((await post({ clear: 'True' })).status).toBe(202);
    release();
    await new Promise((r) => setTimeout(r, 200));
    expect(resets).toHaveLength(1);
    expect(api.received).toEqual([]);
  });
});
