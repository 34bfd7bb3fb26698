import { session } from './api.js';

/**
 * The controller's event stream (GET /api/events/stream), read with fetch so the bearer token goes in a
 * header. After any interruption (a replica draining, a network blip) it reconnects with Last-Event-ID:
 * nothing is missed, whichever replica answers. Answers a function that stops it.
 */
export function followEvents(onEvent, onState = () => {}) {
  let stopped = false;
  let lastId;
  let abort;
  const run = async () => {
    while (!stopped) {
      abort = new AbortController();
      try {
        const response = await fetch('/api/events/stream', {
          headers: { authorization: `Bearer ${session.token}`, ...(lastId ? { 'last-event-id': lastId } : {}) },
          signal: abort.signal,
        });
        if (response.status === 401) return session.set(null);
        if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
        onState('live');
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const id = /^id: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (id) lastId = id;
            if (data) onEvent(JSON.parse(data));
          }
        }
      } catch {
        // Reconnect below.
      }
      if (!stopped) {
        onState('reconnecting');
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  };
  void run();
  return () => {
    stopped = true;
    abort?.abort();
  };
}
