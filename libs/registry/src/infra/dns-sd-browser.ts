import { Resolver } from 'node:dns/promises';
import makeMdns from 'multicast-dns';
import type { ServiceRecord } from '../domain/dns-sd.js';

const QUERY_SERVICE = '_nmos-query._tcp';
/** Answers that mean "nothing advertised", as opposed to a resolver that did not answer. */
const NOTHING_THERE = new Set(['ENOTFOUND', 'ENODATA']);

/**
 * Unicast DNS-SD (RFC 6763 over ordinary DNS, as IS-04 and BCP-002 use it): PTR
 * `_nmos-query._tcp.<domain>`, then each instance's SRV and TXT, then the SRV target's addresses,
 * all from the same resolvers. A resolver that does not answer throws (the caller keeps what it found
 * before); an empty answer is an empty list.
 */
export class UnicastDnsSdBrowser {
  readonly via = 'unicast' as const;
  private readonly resolver: Resolver;

  constructor(
    private readonly domain: string,
    servers: string[],
    timeoutMs: number,
  ) {
    this.resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
    if (servers.length > 0) this.resolver.setServers(servers);
  }

  async browse(): Promise<ServiceRecord[]> {
    const instances = await this.orNothing(() => this.resolver.resolvePtr(`${QUERY_SERVICE}.${this.domain}`));
    const found: ServiceRecord[] = [];
    for (const instance of instances) {
      const [srv] = await this.orNothing(() => this.resolver.resolveSrv(instance));
      if (!srv) continue;
      const txt = (await this.orNothing(() => this.resolver.resolveTxt(instance))).flat();
      const addresses = [...(await this.orNothing(() => this.resolver.resolve4(srv.name))), ...(await this.orNothing(() => this.resolver.resolve6(srv.name)))];
      found.push({ instance, via: 'unicast', host: srv.name, port: srv.port, txt, addresses });
    }
    return found;
  }

  private async orNothing<T>(lookup: () => Promise<T[]>): Promise<T[]> {
    try {
      return await lookup();
    } catch (err) {
      if (NOTHING_THERE.has((err as NodeJS.ErrnoException).code ?? '')) return [];
      throw err;
    }
  }
}

/**
 * Multicast DNS-SD on the local link (`_nmos-query._tcp.local`): one PTR query, answers collected for
 * `listenMs`; instances whose SRV, TXT or address did not come with the answer are asked for once more.
 */
export class MdnsBrowser {
  readonly via = 'mdns' as const;

  constructor(private readonly listenMs: number) {}

  async browse(): Promise<ServiceRecord[]> {
    const mdns = makeMdns();
    const ptr = new Set<string>();
    const srv = new Map<string, { target: string; port: number }>();
    const txt = new Map<string, string[]>();
    const addresses = new Map<string, Set<string>>();
    const error = new Promise<never>((_, reject) => mdns.once('error', reject));
    mdns.on('response', (packet) => {
      for (const record of [...(packet.answers ?? []), ...(packet.additionals ?? [])]) {
        const name = record.name.toLowerCase();
        if (record.type === 'PTR' && name === `${QUERY_SERVICE}.local`) ptr.add(String(record.data));
        else if (record.type === 'SRV') srv.set(name, { target: record.data.target, port: record.data.port });
        else if (record.type === 'TXT')
          txt.set(
            name,
            (Array.isArray(record.data) ? record.data : [record.data]).map((b) => b.toString()),
          );
        else if (record.type === 'A' || record.type === 'AAAA') addresses.set(name, (addresses.get(name) ?? new Set()).add(record.data));
      }
    });
    try {
      mdns.query({ questions: [{ name: `${QUERY_SERVICE}.local`, type: 'PTR' }] });
      await Promise.race([sleep(this.listenMs), error]);
      const missing = [...ptr].flatMap((instance) => {
        const key = instance.toLowerCase();
        const target = srv.get(key)?.target.toLowerCase();
        return [
          ...(srv.has(key) ? [] : [{ name: instance, type: 'SRV' as const }]),
          ...(txt.has(key) ? [] : [{ name: instance, type: 'TXT' as const }]),
          ...(target && !addresses.has(target) ? [{ name: target, type: 'A' as const }] : []),
        ];
      });
      if (missing.length > 0) {
        mdns.query({ questions: missing });
        await Promise.race([sleep(this.listenMs), error]);
      }
    } finally {
      mdns.destroy();
    }
    return [...ptr].flatMap((instance) => {
      const key = instance.toLowerCase();
      const service = srv.get(key);
      if (!service) return [];
      return [
        {
          instance,
          via: 'mdns' as const,
          host: service.target,
          port: service.port,
          txt: txt.get(key) ?? [],
          addresses: [...(addresses.get(service.target.toLowerCase()) ?? [])],
        },
      ];
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
