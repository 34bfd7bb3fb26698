/** A server-sent event as a browser's reader would see it. */
export interface SseEvent {
  id?: string;
  event?: string;
  data: any;
}

/**
 * Reads a text/event-stream answer as it arrives (fetch, so the bearer token goes in a header as the
 * console sends it). `events` grows; `ended` resolves when the server closes the stream.
 */
export class SseReader {
  readonly events: SseEvent[] = [];
  readonly ended: Promise<void>;

  private constructor(
    readonly response: Response,
    private readonly abort: AbortController,
  ) {
    this.ended = this.read();
  }

  static async open(url: string, headers: Record<string, string>): Promise<SseReader> {
    const abort = new AbortController();
    return new SseReader(await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal }), abort);
  }

  /** Hangs up, as a browser leaving the page does. */
  close(): void {
    this.abort.abort();
  }

  private async read(): Promise<void> {
    if (!this.response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of this.response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: Partial<SseEvent> = {};
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const [field, ...rest] = line.split(':');
            const value = rest.join(':').replace(/^ /, '');
            if (field === 'id') event.id = value;
            if (field === 'event') event.event = value;
            if (field === 'data') data.push(value);
          }
          if (data.length > 0) this.events.push({ ...event, data: JSON.parse(data.join('\n')) });
        }
      }
    } catch {
      // Cancelled by close(), or the connection dropped: the stream has ended either way.
    }
  }
}
