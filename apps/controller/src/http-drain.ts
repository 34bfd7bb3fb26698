import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { sleep } from '#common';

interface SocketUse {
  active: number;
  served: number;
}

/**
 * Ends a replica's HTTP service so that a load balancer that ignores readiness (nginx's passive checks)
 * fails no request, POSTs included. nginx moves a request to another replica only when its connection
 * was refused or nothing was sent yet; a POST that was sent and then met a reset or a 503 is failed to
 * the client. Fastify's own close does both (503 to requests read after close begins, and Node 20
 * resets sockets it holds as idle, including ones accepted a moment ago whose request is on its way).
 * So the drain goes in two steps:
 * 1. `closeAfterEachResponse()` (readiness is 503 from here on): every response carries
 *    `Connection: close` and idle keep-alive sockets are closed, so the balancer keeps no connection to
 *    reuse, while new connections are still served.
 * 2. `stopListening()`: the listening socket closes, so new connections are refused and retried
 *    elsewhere; every socket still open finishes the request it carries and is then closed by the
 *    `Connection: close` above. Only what is still open after `graceMs` is destroyed.
 */
export class HttpDrain {
  private readonly sockets = new Map<Socket, SocketUse>();
  private closing = false;

  constructor(private readonly server: HttpServer) {
    server.on('connection', (socket: Socket) => {
      this.sockets.set(socket, { active: 0, served: 0 });
      socket.once('close', () => this.sockets.delete(socket));
    });
    // Before Fastify's handler, so the header is set before any answer can be written.
    server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => this.track(request, response));
  }

  closeAfterEachResponse(): void {
    this.closing = true;
    for (const [socket, use] of this.sockets) if (use.active === 0 && use.served > 0) socket.end();
  }

  async stopListening(graceMs: number): Promise<{ destroyed: number }> {
    this.closeAfterEachResponse();
    // net.Server's close, not http.Server's: Node 20's also closes "idle" sockets, among them those
    // accepted a moment ago whose request has not been read yet.
    NetServer.prototype.close.call(this.server);
    const deadline = Date.now() + graceMs;
    while (this.sockets.size > 0 && Date.now() < deadline) await sleep(20);
    const destroyed = this.sockets.size;
    for (const socket of this.sockets.keys()) socket.destroy();
    return { destroyed };
  }

  private track(request: IncomingMessage, response: ServerResponse): void {
    const use = this.sockets.get(request.socket);
    if (use) use.active++;
    if (this.closing) response.setHeader('connection', 'close');
    response.once('close', () => {
      if (!use) return;
      use.active--;
      use.served++;
      // A response begun before the drain kept its keep-alive: end its socket once it is idle.
      if (this.closing && use.active === 0) request.socket.end();
    });
  }
}
