import { parseArgs } from 'node:util';
import { DEFAULT_FACILITY, type FacilityOptions } from './facility.js';

const NUMERIC: Array<[flag: string, key: keyof FacilityOptions, help: string]> = [
  ['registries', 'registries', 'IS-04 registries'],
  ['nodes', 'nodes', 'nodes (one device each)'],
  ['senders', 'senders', 'senders per node, each with its source and flow (video/audio/data mix)'],
  ['receivers', 'receivers', 'receivers per node'],
  ['base-port', 'basePort', 'registries from this port, then the admin API, then the nodes (0: free ports)'],
  ['redundant-share', 'redundantShare', 'share 0-1 of ST 2022-7 (two-leg) senders and receivers'],
  ['multi-registry-share', 'multiRegistryShare', 'share 0-1 of nodes registered in two registries'],
  ['uhd-share', 'uhdShare', 'share 0-1 of video receivers taking 2160p50 only (BCP-004 constraint sets)'],
  ['paging-limit', 'pagingLimit', "registries' cap on paging.limit (nmos-cpp: 10)"],
  ['ws-batch', 'wsBatchSize', 'grains per websocket message (nmos-cpp: 10)'],
  ['ws-max-batch', 'wsMaxBatchSize', 'most grains per message a subscription may ask for with a paging.limit param; 0 refuses the param'],
  ['heartbeat-interval-ms', 'heartbeatIntervalMs', "nodes' heartbeat period"],
  ['heartbeat-expiry-ms', 'heartbeatExpiryMs', 'a node that stops heartbeating is removed after this'],
  ['subscription-expiry-ms', 'subscriptionExpiryMs', 'a non-persistent subscription outlives its last socket by this'],
  ['latency-ms', 'latencyMs', 'latency added to every answer'],
  ['event-senders', 'eventSenders', 'IS-07 event senders per node (boolean tallies over MQTT; see --events-broker)'],
];

export const USAGE = `npm run simulator -- [options]

A virtual NMOS facility: IS-04 v1.3 registries (Query and Registration APIs), nodes with IS-04 v1.3
Node APIs and IS-05 v1.1 Connection APIs, and an admin API for faults.

Options (default in brackets):
${NUMERIC.map(([flag, key, help]) => `  --${flag.padEnd(24)} ${help} [${DEFAULT_FACILITY[key]}]`).join('\n')}
  --seed <text>                ids and media mix follow from it [${DEFAULT_FACILITY.seed}]
  --no-websockets              registries refuse subscriptions (REST paging only)
  --ws-lenient                 subscriptions take paging.limit as a string too, and messages are not paced
                               (default: as nmos-cpp, a number only and one message per max_update_rate_ms)
  --refuse-bulk <404|405|501>  every node refuses bulk requests with this code (clients must fall back to single)
  --events-broker <url>        the MQTT broker IS-07 senders publish to (mqtt://host:port); without it they stay unconfigured
  --manifest <file>            write every URL served as JSON
  --help                       this text
`;

export type CliResult = { help: true } | { help: false; options: FacilityOptions; manifest?: string };

/** Parses the command line; throws an Error listing every bad flag. */
export function parseCli(argv: string[]): CliResult {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      ...Object.fromEntries(NUMERIC.map(([flag]) => [flag, { type: 'string' as const }])),
      seed: { type: 'string' },
      'no-websockets': { type: 'boolean' },
      'ws-lenient': { type: 'boolean' },
      'refuse-bulk': { type: 'string' },
      'events-broker': { type: 'string' },
      manifest: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return { help: true };
  const options: FacilityOptions = { ...DEFAULT_FACILITY };
  const problems: string[] = [];
  for (const [flag, key] of NUMERIC) {
    const raw = (values as Record<string, unknown>)[flag] as string | undefined;
    if (raw === undefined) continue;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) problems.push(`--${flag}: "${raw}" is not a number`);
    else (options as unknown as Record<string, number>)[key] = value;
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  if (values.seed !== undefined) options.seed = values.seed as string;
  if (values['no-websockets']) options.websockets = false;
  if (values['ws-lenient']) options.wsLenient = true;
  if (values['refuse-bulk'] !== undefined) {
    const code = Number(values['refuse-bulk']);
    if (![404, 405, 501].includes(code)) throw new Error(`--refuse-bulk: "${values['refuse-bulk']}" must be 404, 405 or 501`);
    options.bulkRefusal = code;
  }
  if (values['events-broker'] !== undefined) options.eventsBroker = values['events-broker'] as string;
  return { help: false, options, manifest: values.manifest as string | undefined };
}
