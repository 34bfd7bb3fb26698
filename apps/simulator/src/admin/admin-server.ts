import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Facility } from '../facility.js';
import { json, nmosError, readJson, segmentsOf, SwitchableServer } from '../http/http-kit.js';
import type { SimulatedNode } from '../node/simulated-node.js';

type Body = Record<string, unknown>;

/**
 * Faults and facility changes on demand, for tests, demos and benchmarks (not an NMOS API):
 *   GET  /admin                                              the manifest
 *   POST /admin/registries/{i}/reachability {state}          up | refuse | hang
 *   POST /admin/registries/{i}/websockets {silent}           open websockets go silent (new ones work)
 *   POST /admin/registries/{i}/restart                       comes back empty, nodes re-register
 *   POST /admin/nodes/{id}/heartbeats {enabled}              a node stops (and resumes) heartbeating
 *   PUT  /admin/nodes/{id}/receivers/{rid}/fault {fault}     '500' | 'timeout' | 'reject' | null
 *   PUT  /admin/nodes/{id}/bulk {refuse}                     404 | 405 | 501 | null
 *   PUT  /admin/latency {ms}                                 added to every answer
 *   POST /admin/nodes/{id}/receivers/{rid}/connect {sender_id}  a connection made by someone else
 *   POST /admin/nodes/{id}/senders                           a sender appears
 *   DELETE /admin/nodes/{id}/senders/{sid}                   a sender disappears
 *   PUT  /admin/nodes/{id}/event-senders/{sid}/state {value} an IS-07 sender publishes a new state (true | false)
 *   POST /admin/nodes/{id}/event-senders/{sid}/crash         an IS-07 sender drops off its broker (last will)
 *   GET|DELETE /admin/nodes/{id}/requests                    what the device received
 */
export class AdminServer {
  private constructor(
    private readonly facility: Facility,
    private readonly http: SwitchableServer,
  ) {}

  static async start(facility: Facility, port: number): Promise<AdminServer> {
    let admin: AdminServer | undefined;
    const http = new SwitchableServer((req, res, url) => admin!.route(req, res, url));
    admin = new AdminServer(facility, http);
    await http.listen(port);
    return admin;
  }

  get url(): string {
    return `http://127.0.0.1:${this.http.port}/admin`;
  }

  stop(): Promise<void> {
    return this.http.close();
  }

  private async route(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const method = request.method ?? 'GET';
    const body = ((method === 'GET' ? undefined : await readJson(request)) ?? {}) as Body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return bad(response, 'the body must be a JSON object');
    const [root, kind, key, sub, subId, action] = segmentsOf(url);
    if (root !== 'admin') return nmosError(response, 404, 'Not Found');
    if (kind === undefined) return json(response, 200, this.facility.manifest());
    if (kind === 'latency' && method === 'PUT') {
      if (!Number.isInteger(body.ms) || (body.ms as number) < 0) return bad(response, 'ms must be a whole number of milliseconds');
      this.facility.latencyMs = body.ms as number;
      return json(response, 200, { ms: this.facility.latencyMs });
    }
    if (kind === 'registries') return this.registryRoute(response, method, Number(key), sub, body);
    if (kind === 'nodes') {
      const node = this.facility.node(key ?? '');
      if (!node) return nmosError(response, 404, 'Not Found', `no node ${key}`);
      return this.nodeRoute(response, method, node, sub, subId, action, body);
    }
    return nmosError(response, 404, 'Not Found');
  }

  private async registryRoute(response: ServerResponse, method: string, index: number, action: string | undefined, body: Body): Promise<void> {
    const registry = this.facility.registries[index];
    if (!registry) return nmosError(response, 404, 'Not Found', `no registry ${index}`);
    if (method !== 'POST') return nmosError(response, 405, 'Method Not Allowed');
    if (action === 'reachability') {
      if (body.state !== 'up' && body.state !== 'refuse' && body.state !== 'hang') return bad(response, 'state must be up, refuse or hang');
      await registry.setReachability(body.state);
      return json(response, 200, { index, state: registry.reachability });
    }
    if (action === 'websockets') {
      if (typeof body.silent !== 'boolean') return bad(response, 'silent must be true or false');
      registry.setWebsocketsSilent(body.silent);
      return json(response, 200, { index, silent: body.silent });
    }
    if (action === 'restart') {
      registry.restart();
      return json(response, 200, { index, resources: registry.store.count() });
    }
    return nmosError(response, 404, 'Not Found');
  }

  private nodeRoute(response: ServerResponse, method: string, node: SimulatedNode, sub?: string, subId?: string, action?: string, body: Body = {}): void {
    if (sub === 'heartbeats' && method === 'POST') {
      if (typeof body.enabled !== 'boolean') return bad(response, 'enabled must be true or false');
      node.faults.heartbeats = body.enabled;
      return json(response, 200, { id: node.id, heartbeats: body.enabled });
    }
    if (sub === 'bulk' && method === 'PUT') {
      if (body.refuse !== null && body.refuse !== 404 && body.refuse !== 405 && body.refuse !== 501)
        return bad(response, 'refuse must be 404, 405, 501 or null');
      node.faults.bulkRefusal = body.refuse;
      return json(response, 200, { id: node.id, bulk_refusal: body.refuse });
    }
    if (sub === 'requests') {
      if (method === 'DELETE') node.requests.length = 0;
      return json(response, 200, node.requests);
    }
    if (sub === 'senders' && method === 'POST' && subId === undefined) return json(response, 201, node.addSender());
    if (sub === 'senders' && method === 'DELETE' && subId) {
      return node.removeSender(subId) ? json(response, 200, { removed: subId }) : nmosError(response, 404, 'Not Found', `no sender ${subId}`);
    }
    const publisher = sub === 'event-senders' && subId ? node.eventPublishers.get(subId) : undefined;
    if (publisher && action === 'state' && method === 'PUT') {
      if (typeof body.value !== 'boolean') return bad(response, 'value must be true or false');
      return void publisher.set(body.value).then(
        (message) => json(response, 200, message),
        (err: Error) => nmosError(response, 503, 'Service Unavailable', err.message),
      );
    }
    if (publisher && action === 'crash' && method === 'POST') {
      publisher.crash();
      return json(response, 200, { id: subId, connected: false });
    }
    if (sub === 'receivers' && subId && node.connection.has('receivers', subId)) {
      if (action === 'fault' && method === 'PUT') {
        const fault = body.fault;
        if (fault === null) node.faults.receivers.delete(subId);
        else if (fault === '500' || fault === 'timeout' || fault === 'reject') node.faults.receivers.set(subId, fault);
        else return bad(response, "fault must be '500', 'timeout', 'reject' or null");
        return json(response, 200, { id: subId, fault: body.fault });
      }
      if (action === 'connect' && method === 'POST') {
        const senderId = body.sender_id;
        if (senderId !== null && typeof senderId !== 'string') return bad(response, 'sender_id must be a sender id or null');
        const owner = senderId === null ? undefined : this.facility.ownerOf(senderId);
        if (senderId !== null && !owner) return nmosError(response, 404, 'Not Found', `no sender ${senderId}`);
        const sdp = senderId === null ? undefined : owner!.connection.transportFile(senderId);
        node.connection.connectElsewhere(subId, senderId === null ? null : { id: senderId, sdp: sdp! });
        return json(response, 200, node.connection.active('receivers', subId));
      }
    }
    return nmosError(response, 404, 'Not Found');
  }
}

function bad(response: ServerResponse, debug: string): void {
  nmosError(response, 400, 'Bad Request', debug);
}
