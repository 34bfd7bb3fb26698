type Resource = Record<string, unknown>;

/** BCP-004-01 capability names and the flow attribute each constrains. */
const CAP_ATTRIBUTES: Record<string, (flow: Resource) => unknown> = {
  'urn:x-nmos:cap:format:media_type': (f) => f.media_type,
  'urn:x-nmos:cap:format:grain_rate': (f) => f.grain_rate,
  'urn:x-nmos:cap:format:frame_width': (f) => f.frame_width,
  'urn:x-nmos:cap:format:frame_height': (f) => f.frame_height,
  'urn:x-nmos:cap:format:interlace_mode': (f) => f.interlace_mode,
  'urn:x-nmos:cap:format:colorspace': (f) => f.colorspace,
  'urn:x-nmos:cap:format:transfer_characteristic': (f) => f.transfer_characteristic,
  'urn:x-nmos:cap:format:sample_rate': (f) => f.sample_rate,
  'urn:x-nmos:cap:format:sample_depth': (f) => f.bit_depth,
};

/**
 * Why this sender cannot feed this receiver, or undefined when it can: transport family, format
 * (video/audio/data), the receiver's `caps.media_types`, and BCP-004-01 `caps.constraint_sets` where
 * present (a flow must satisfy at least one enabled set; unknown capabilities are not held against it).
 */
export function incompatibility(sender: Resource, flow: Resource | undefined, receiver: Resource): string | undefined {
  const family = (transport: unknown) => String(transport ?? '').split('.')[0];
  if (family(sender.transport) !== family(receiver.transport))
    return `transport ${String(sender.transport)} cannot feed a ${String(receiver.transport)} receiver`;
  if (!flow) return 'the sender has no flow in the registry';
  if (receiver.format !== 'urn:x-nmos:format:mux' && flow.format !== receiver.format)
    return `the sender's flow is ${shortFormat(flow.format)} and the receiver takes ${shortFormat(receiver.format)}`;
  const caps = (receiver.caps ?? {}) as { media_types?: unknown; constraint_sets?: unknown };
  if (Array.isArray(caps.media_types) && flow.media_type !== undefined && !caps.media_types.includes(flow.media_type))
    return `the receiver takes ${caps.media_types.join(', ')}, not ${String(flow.media_type)}`;
  if (Array.isArray(caps.constraint_sets) && caps.constraint_sets.length > 0) {
    const enabled = (caps.constraint_sets as Resource[]).filter((set) => set['urn:x-nmos:cap:meta:enabled'] !== false);
    const failures = enabled.map((set) => constraintSetFailure(set, flow));
    if (enabled.length > 0 && failures.every((f) => f !== undefined)) return `no constraint set of the receiver accepts the flow (${failures[0]})`;
  }
  return undefined;
}

function constraintSetFailure(set: Resource, flow: Resource): string | undefined {
  for (const [capability, constraint] of Object.entries(set)) {
    const attribute = CAP_ATTRIBUTES[capability];
    if (!attribute || typeof constraint !== 'object' || constraint === null) continue;
    const value = attribute(flow);
    if (value === undefined) continue;
    const { enum: allowed, minimum, maximum } = constraint as { enum?: unknown[]; minimum?: unknown; maximum?: unknown };
    const name = capability.split(':').pop();
    if (allowed && !allowed.some((option) => sameValue(option, value))) return `${name} ${JSON.stringify(value)} is not one of ${JSON.stringify(allowed)}`;
    if (minimum !== undefined && numeric(value) < numeric(minimum)) return `${name} ${JSON.stringify(value)} is below ${JSON.stringify(minimum)}`;
    if (maximum !== undefined && numeric(value) > numeric(maximum)) return `${name} ${JSON.stringify(value)} is above ${JSON.stringify(maximum)}`;
  }
  return undefined;
}

/** Rationals ({numerator, denominator}) compare by value. */
function numeric(value: unknown): number {
  if (typeof value === 'object' && value !== null && 'numerator' in value) {
    const { numerator, denominator } = value as { numerator: number; denominator?: number };
    return numerator / (denominator ?? 1);
  }
  return Number(value);
}

function sameValue(a: unknown, b: unknown): boolean {
  return typeof a === 'object' || typeof b === 'object' ? numeric(a) === numeric(b) : a === b;
}

function shortFormat(format: unknown): string {
  return (
    String(format ?? 'unknown')
      .split(':')
      .pop() ?? 'unknown'
  );
}
