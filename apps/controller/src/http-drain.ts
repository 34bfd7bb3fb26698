import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { sleep } from '#common';

/**
 * Ends a replica's HTTP service so that a load balancer that ignores readiness (nginx's passive checks)
 * fails no request, POSTs included. nginx moves a request to another replica only when its connection
 * was refused or nothing was sent yet; a POST that was sent and then met a reset or a 503 is failed to
 * the client. Fastify's own close does both (503 to requests read after close begins, and Node 20
 * resets sockets it holds as idle, including ones accepted a moment ago whose request is on its way).
 * So the drain goes in two steps:
 * 1. `closeAfterEachResponse()` (readiness is 503 from here on): every response carries
 *    `Connection: close`, so each connection the balancer holds ends after its next answer, closed by
 *    the answer itself. The replica never closes an idle keep-alive connection on its own: the balancer
 *    may be sending on it at that very moment (seen: 1 POST in ~450 failed that way).
 * 2. `stopListening()`: the listening socket closes, so new connections are refused and retried
 *    elsewhere; connections still open are served (each once more, then closed). Only what is still
 *    open after `graceMs` is destroyed.
 */
export class HttpDrain {
  private readonly sockets = new Set<Socket>();
  private closing = false;

  constructor(private readonly server: HttpServer) {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    // Before Fastify's handler, so the header is set before any answer can be written.
    server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
      if (this.closing) response.setHeader('connection', 'close');
    });
  }

  closeAfterEachResponse(): void {
    this.closing = true;
  }

  async stopListening(graceMs: number): Promise<{ destroyed: number }> {
    this.closeAfterEachResponse();
    // net.Server's close, not http.Server's: Node 20's also closes "idle" sockets, among them those
    // accepted a moment ago whose request has not been read yet.
    NetServer.prototype.close.call(this.server);
    const deadline = Date.now() + graceMs;
    while (this.sockets.size > 0 && Date.now() < deadline) await sleep(20);
    const destroyed = this.sockets.size;
    for (const socket of this.sockets) socket.destroy();
    return { destroyed };
  }
}
