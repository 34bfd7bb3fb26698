import { isDeepStrictEqual } from 'node:util';
import type { ControllerApi } from './controller-api.js';
import type { AnswerResponse, PossibleAnswer, Question } from './question.js';

/** How often a condition on the controller's view is read again while the façade waits for it. */
const POLL_MS = 250;
/** An answer leaves this long before the question's own timeout, so that it still counts. */
const ANSWER_MARGIN_MS = 2_000;
/**
 * The offline/online questions (IS-04-04 test_05, IS-05-03 test_04) announce a change "at a random
 * moment within the next N seconds" and only then start the question's own timeout: the façade waits
 * that long plus the timeout. N is read from the question, 60 (the tool's value) when it says none.
 */
const ANNOUNCED_WINDOW = /within the next (\d+) seconds/;
const DEFAULT_ANNOUNCED_WINDOW_S = 60;
/** IS-05 Connection API control type on a device (any version). */
const CONNECTION_CONTROL = 'urn:x-nmos:control:sr-ctrl/';

type Log = (message: string) => void;

/**
 * Answers the IS-04-04 and IS-05-03 questions as an operator would at the controller: by looking at
 * what the controller shows and by asking it to route. A question's own data (its list of possible
 * answers, its metadata) only says what is asked about; whether a resource exists, is controllable or
 * is connected is read from the controller. When the controller never shows what a question waits for,
 * the façade answers with what it does show when time runs out, and the tool scores it.
 */
export class Answerer {
  /** The suite in progress, from the pre-tests message's `metadata.test_class` (question ids repeat across suites). */
  private suite = '';
  /** IS-04-04 test_05: the sender seen going away, awaited back in the next question. */
  private offlineSender: string | null = null;

  constructor(
    private readonly controller: ControllerApi,
    private readonly log: Log,
  ) {}

  reset(): void {
    this.suite = '';
    this.offlineSender = null;
  }

  /** The answer to one question, or undefined when the façade does not know this question (the tool then times it out). */
  async answer(question: Question): Promise<AnswerResponse | undefined> {
    const deadline = Date.now() + question.timeout * 1000 - ANSWER_MARGIN_MS;
    if (question.question_id === 'pre_tests_message') {
      this.suite = question.metadata?.test_class ?? '';
      await this.registryReady(deadline);
      return null;
    }
    if (question.question_id === 'post_tests_message') return null;
    const answers = question.answers ?? [];
    const receiverId = question.metadata?.receiver?.id;
    const senderId = question.metadata?.sender?.id;
    switch (`${this.suite}.${question.question_id}`) {
      case 'IS0404Test.test_02':
        // Browse: read both lists, through every page.
        await this.controller.ids('senders');
        await this.controller.ids('receivers');
        return null;
      case 'IS0404Test.test_03':
        return this.visible(answers, 'senders', deadline);
      case 'IS0404Test.test_04':
        return this.visible(answers, 'receivers', deadline);
      case 'IS0404Test.test_05':
        await this.controller.ids('senders');
        return null;
      case 'IS0404Test.test_05_1':
        return this.senderGoneOffline(answers, deadline);
      case 'IS0404Test.test_05_2':
        await this.until(
          this.afterAnnouncedChange(question, deadline),
          async () => this.offlineSender !== null && (await this.controller.ids('senders')).has(this.offlineSender),
        );
        return null;
      case 'IS0503Test.test_01':
        return this.controllable(answers, deadline);
      case 'IS0503Test.test_02':
        if (receiverId && senderId) await this.route(() => this.controller.take(receiverId, senderId), `take ${senderId} → ${receiverId}`);
        return null;
      case 'IS0503Test.test_03':
        if (receiverId) await this.route(() => this.controller.disconnect(receiverId), `disconnect ${receiverId}`);
        return null;
      case 'IS0503Test.test_04':
        return this.receiverJustConnected(answers, deadline);
      case 'IS0503Test.test_04_1':
        return receiverId ? this.senderFeeding(receiverId, answers, deadline) : null;
      case 'IS0503Test.test_04_2':
        if (receiverId)
          await this.until(this.afterAnnouncedChange(question, deadline), async () => !this.isActive(await this.controller.connection(receiverId)));
        return null;
      default:
        this.log(`no answer known for ${this.suite || 'an unknown suite'} ${question.question_id} (${question.description})`);
        return undefined;
    }
  }

  private afterAnnouncedChange(question: Question, deadline: number): number {
    const window = Number(ANNOUNCED_WINDOW.exec(question.question)?.[1] ?? DEFAULT_ANNOUNCED_WINDOW_S);
    return deadline + window * 1000;
  }

  /** The pre-tests message asks that the controller has found the registry: one connected and fully synced. */
  private async registryReady(deadline: number): Promise<void> {
    const ready = await this.until(deadline, async () => (await this.controller.registries()).some((r) => r.state === 'connected' && r.sync.complete));
    if (!ready) this.log('no registry connected and synced before the pre-tests message timed out');
  }

  /** The possible answers whose resource the controller shows, once two reads agree (no change in flight). */
  private async visible(answers: PossibleAnswer[], type: 'senders' | 'receivers', deadline: number): Promise<string[]> {
    const shown = await this.settled(deadline, async () => [...(await this.controller.ids(type))].sort());
    return answers.filter((a) => shown.includes(a.resource.id)).map((a) => a.answer_id);
  }

  /** Receivers the controller shows whose device has an IS-05 Connection API. */
  private async controllable(answers: PossibleAnswer[], deadline: number): Promise<string[]> {
    const controllable = await this.settled(deadline, async () => {
      const found: string[] = [];
      for (const answer of answers) {
        const receiver = await this.controller.resource('receivers', answer.resource.id);
        const device = receiver ? await this.controller.resource('devices', String(receiver.device_id)) : null;
        const controls = (device?.controls ?? []) as { type?: string; href?: string }[];
        if (controls.some((c) => typeof c.type === 'string' && c.type.startsWith(CONNECTION_CONTROL) && c.href)) found.push(answer.answer_id);
      }
      return found;
    });
    return controllable;
  }

  /** Of the senders listed, the one the controller stopped showing. */
  private async senderGoneOffline(answers: PossibleAnswer[], deadline: number): Promise<string | null> {
    let gone: PossibleAnswer[] = [];
    await this.until(deadline, async () => {
      const shown = await this.controller.ids('senders');
      gone = answers.filter((a) => !shown.has(a.resource.id));
      return gone.length === 1;
    });
    if (gone.length !== 1) return null;
    this.offlineSender = gone[0].resource.id;
    return gone[0].answer_id;
  }

  /** Of the receivers listed, the one the controller shows taking a sender. */
  private async receiverJustConnected(answers: PossibleAnswer[], deadline: number): Promise<string | null> {
    let active: PossibleAnswer[] = [];
    await this.until(deadline, async () => {
      active = [];
      for (const answer of answers) if (this.isActive(await this.controller.connection(answer.resource.id))) active.push(answer);
      return active.length === 1;
    });
    return active.length === 1 ? active[0].answer_id : null;
  }

  /** The listed sender that the controller shows feeding this receiver. */
  private async senderFeeding(receiverId: string, answers: PossibleAnswer[], deadline: number): Promise<string | null> {
    let senderId: string | null = null;
    await this.until(deadline, async () => {
      const connection = await this.controller.connection(receiverId);
      senderId = this.isActive(connection) ? connection!.sender_id : null;
      return senderId !== null;
    });
    return answers.find((a) => a.resource.id === senderId)?.answer_id ?? null;
  }

  private isActive(connection: { master_enable: boolean; sender_id: string | null } | null): boolean {
    return connection !== null && connection.master_enable && connection.sender_id !== null;
  }

  /** A take or disconnect: a refusal is logged and the question answered, so the tool scores what the device saw. */
  private async route(action: () => Promise<void>, what: string): Promise<void> {
    try {
      await action();
      this.log(`${what}: done`);
    } catch (err) {
      this.log(`${what}: ${(err as Error).message}`);
    }
  }

  /** Polls a condition until it holds or the deadline passes; answers whether it held. Read errors count as "not yet". */
  private async until(deadline: number, condition: () => Promise<boolean>): Promise<boolean> {
    for (;;) {
      try {
        if (await condition()) return true;
      } catch (err) {
        this.log(`reading the controller: ${(err as Error).message}`);
      }
      if (Date.now() + POLL_MS > deadline) return false;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /** A read repeated until two in a row agree, so an answer is not taken in the middle of a change. */
  private async settled<T>(deadline: number, read: () => Promise<T>): Promise<T> {
    let last = await read();
    for (;;) {
      if (Date.now() + POLL_MS > deadline) return last;
      await new Promise((r) => setTimeout(r, POLL_MS));
      const next = await read();
      if (isDeepStrictEqual(next, last)) return next;
      last = next;
    }
  }
}
