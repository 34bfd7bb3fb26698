import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { newestCommonVersion } from './api-version.js';
import { DEFAULT_TIMEOUT_MS, type RegistryEntry } from './registry-entry.js';

/** The name under which the Query APIs found by DNS-SD are watched and shown (reserved in the configuration). */
export const DISCOVERED_REGISTRY_NAME = 'dns-sd';

/** IS-04 (Discovery: Registered Operation): priorities of 100 and above are for development, never used live. */
const DEVELOPMENT_PRIORITY = 100;
/** The entry's fallback list holds at most this many endpoints, as a configured entry does. */
const MAX_FALLBACK_ENDPOINTS = 10;

/** One `_nmos-query._tcp` service instance as a browse found it, before it is judged. */
export interface ServiceRecord {
  /** The instance's full name, e.g. `qry-api-2._nmos-query._tcp.facility.example.com`. */
  instance: string;
  via: 'unicast' | 'mdns';
  /** SRV target and port. */
  host: string;
  port: number;
  /** TXT strings (`key=value`). */
  txt: string[];
  /** The SRV target's addresses, resolved the same way (unicast resolver or mDNS). */
  addresses: string[];
}

/** A found Query API and what the controller makes of it: its URL, or why it is not used. */
export interface DiscoveredQueryApi {
  instance: string;
  via: 'unicast' | 'mdns';
  host: string;
  port: number;
  api_ver: string[];
  api_proto: string | null;
  api_auth: boolean;
  pri: number | null;
  url: string | null;
  ignored: string | null;
}

/**
 * Reads the TXT keys IS-04 defines (api_proto, api_ver, api_auth, pri) and picks the URL: the newest
 * API version both sides speak; over http the resolved address (the resolver that found it may be one
 * the system does not use), over https the host name (the certificate names it).
 */
export function judgeService(record: ServiceRecord, supportedVersions: string[]): DiscoveredQueryApi {
  const txt = new Map<string, string>();
  for (const item of record.txt) {
    const at = item.indexOf('=');
    if (at > 0) txt.set(item.slice(0, at).toLowerCase(), item.slice(at + 1));
  }
  const apiVer = (txt.get('api_ver') ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  const proto = txt.get('api_proto') ?? null;
  const priText = txt.get('pri');
  const pri = priText !== undefined && /^\d+$/.test(priText) ? Number(priText) : null;
  const found = {
    instance: record.instance,
    via: record.via,
    host: record.host,
    port: record.port,
    api_ver: apiVer,
    api_proto: proto,
    api_auth: txt.get('api_auth') === 'true',
    pri,
  };
  const ignore = (reason: string): DiscoveredQueryApi => ({ ...found, url: null, ignored: reason });

  if (proto !== 'http' && proto !== 'https') return ignore(`api_proto is ${proto === null ? 'missing' : `"${proto}"`} (http or https)`);
  if (pri === null) return ignore(`pri is ${priText === undefined ? 'missing' : `"${priText}"`} (a whole number)`);
  if (pri >= DEVELOPMENT_PRIORITY) return ignore(`pri ${pri} is reserved for development (IS-04: 100 and above are never used live)`);
  const version = newestCommonVersion(supportedVersions, apiVer);
  if (!version) return ignore(`no common Query API version (advertised: ${apiVer.join(', ') || 'none'}; we speak ${supportedVersions.join(', ')})`);
  if (!Number.isInteger(record.port) || record.port < 1 || record.port > 65535) return ignore(`SRV port ${record.port} is not a port`);
  // The lowest address, not the first: a resolver may rotate several A records from one answer to the next.
  const address = record.addresses.filter((a) => isIP(a) !== 0).sort()[0];
  if (proto === 'http' && !address) return ignore(`${record.host} did not resolve to an address`);
  const host = proto === 'https' ? record.host.replace(/\.$/, '') : address!;
  const shownHost = isIP(host) === 6 ? `[${host}]` : host;
  return { ...found, url: `${proto}://${shownHost}:${record.port}/x-nmos/query/${version}`, ignored: null };
}

/**
 * One logical registry from every usable Query API found, as IS-04 asks a client to use them: the
 * lowest `pri` first, the others as fallbacks in priority order. Among equal priorities IS-04 asks for
 * a random choice (so that clients spread their load); the order here is random per controller but
 * stable from one browse to the next (a hash of the instance and `seed`), so a re-browse does not
 * restart the watcher.
 */
export function discoveredEntry(apis: DiscoveredQueryApi[], seed: string): RegistryEntry | null {
  const usable = apis.filter((a) => a.url !== null);
  if (usable.length === 0) return null;
  const rank = (a: DiscoveredQueryApi) => createHash('sha256').update(`${seed}\0${a.instance}`).digest('hex');
  usable.sort((a, b) => a.pri! - b.pri! || rank(a).localeCompare(rank(b)));
  const urls = [...new Set(usable.map((a) => a.url!))];
  return {
    name: DISCOVERED_REGISTRY_NAME,
    query_url: urls[0],
    endpoints: urls.slice(1, 1 + MAX_FALLBACK_ENDPOINTS),
    enabled: true,
    priority: 0,
    timeout_ms: DEFAULT_TIMEOUT_MS,
    auth: null,
  };
}
