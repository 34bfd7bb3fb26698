import { createSocket, type Socket } from 'node:dgram';
import * as dnsPacket from 'dns-packet';

export type ZoneRecord = dnsPacket.Answer;

/**
 * A small authoritative DNS server over UDP on loopback, for unicast DNS-SD: answers from `records`
 * (which a test may change at any time), NXDOMAIN for names it has no record for, and remembers every
 * question asked.
 */
export class TestDnsServer {
  records: ZoneRecord[] = [];
  /** Each answer is sent this late (a slow resolver). */
  delayMs = 0;
  readonly asked: Array<{ name: string; type: string }> = [];
  private readonly pending = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly socket: Socket,
    readonly port: number,
  ) {}

  static async start(): Promise<TestDnsServer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const server = new TestDnsServer(socket, socket.address().port);
    socket.on('message', (message, peer) => server.answer(message, peer.port, peer.address));
    return server;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Answers still held back by `delayMs` are dropped: nothing is sent on a closed socket. */
  close(): Promise<void> {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private answer(message: Buffer, port: number, address: string): void {
    const query = dnsPacket.decode(message);
    const question = query.questions?.[0];
    if (!question) return;
    this.asked.push({ name: question.name, type: question.type });
    const name = question.name.toLowerCase();
    const known = this.records.filter((r) => r.name.toLowerCase() === name);
    const answers = known.filter((r) => r.type === question.type);
    const response = dnsPacket.encode({
      type: 'response',
      id: query.id,
      // Authoritative; NXDOMAIN (rcode 3) when the name does not exist at all.
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (known.length === 0 ? 3 : 0),
      questions: [question],
      answers,
    });
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      this.socket.send(response, port, address);
    }, this.delayMs);
    this.pending.add(timer);
  }
}
