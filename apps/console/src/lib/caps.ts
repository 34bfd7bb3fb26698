/**
 * Whether a receiver can take a sender's flow, from what both advertise in IS-04: the receiver's
 * `format`, `caps.media_types` and BCP-004-01 `caps.constraint_sets`. A flow fits a constraint set when
 * it satisfies each parameter the set constrains that the flow describes; it fits the receiver when it
 * fits one of its enabled sets. A parameter the console does not know, or the flow does not describe
 * (channel count, packet time: on the source or in the SDP), constrains nothing here: a crosspoint is
 * only greyed out when it is certainly refused.
 */

type Json = Record<string, unknown>;
interface Rational {
  numerator: number;
  denominator?: number;
}
interface Constraint {
  enum?: unknown[];
  minimum?: number | Rational;
  maximum?: number | Rational;
}

const CAP = 'urn:x-nmos:cap:';

/** What the flow says about each BCP-004 parameter (undefined: it says nothing). */
const FLOW_VALUES: Record<string, (flow: Json) => unknown> = {
  'format:media_type': (flow) => flow.media_type,
  'format:grain_rate': (flow) => flow.grain_rate,
  'format:frame_width': (flow) => flow.frame_width,
  'format:frame_height': (flow) => flow.frame_height,
  // IS-04: a video flow without interlace_mode is progressive; without transfer_characteristic, SDR.
  'format:interlace_mode': (flow) => (isVideo(flow) ? (flow.interlace_mode ?? 'progressive') : undefined),
  'format:colorspace': (flow) => flow.colorspace,
  'format:transfer_characteristic': (flow) => (isVideo(flow) ? (flow.transfer_characteristic ?? 'SDR') : undefined),
  'format:color_sampling': (flow) => colorSampling(flow.components),
  'format:component_depth': (flow) => (Array.isArray(flow.components) ? (flow.components[0] as Json | undefined)?.bit_depth : undefined),
  'format:sample_rate': (flow) => flow.sample_rate,
  'format:sample_depth': (flow) => flow.bit_depth,
};

/** '' when the receiver can take the flow (or nothing says otherwise); else why not, for the operator. */
export function incompatibility(flow: Json | undefined, receiver: Json): string {
  if (!flow) return '';
  const format = formatKind(flow.format);
  const receiverFormat = formatKind(receiver.format);
  if (format && receiverFormat && format !== receiverFormat) return `${format} sender, ${receiverFormat} receiver`;
  const caps = (receiver.caps ?? {}) as Json;
  const mediaTypes = Array.isArray(caps.media_types) ? caps.media_types : undefined;
  if (mediaTypes && typeof flow.media_type === 'string' && !mediaTypes.includes(flow.media_type))
    return `media type ${flow.media_type}; the receiver takes ${mediaTypes.join(', ')}`;
  const sets = (Array.isArray(caps.constraint_sets) ? caps.constraint_sets : []).filter((set: Json) => set[`${CAP}meta:enabled`] !== false) as Json[];
  if (sets.length === 0) return '';
  const refusals = sets.map((set) => refusal(flow, set));
  return refusals.includes('') ? '' : refusals[0];
}

/** '' when the flow satisfies the set; else every parameter it fails. */
function refusal(flow: Json, set: Json): string {
  const failed: string[] = [];
  for (const [key, constraint] of Object.entries(set)) {
    if (!key.startsWith(CAP)) continue;
    const parameter = key.slice(CAP.length);
    const value = FLOW_VALUES[parameter]?.(flow);
    if (value === undefined || typeof constraint !== 'object' || constraint === null) continue;
    if (!satisfies(value, constraint as Constraint))
      failed.push(`${parameter.replace(/^format:/, '')} ${show(value)} is not ${describe(constraint as Constraint)}`);
  }
  return failed.join('; ');
}

function satisfies(value: unknown, constraint: Constraint): boolean {
  if (constraint.enum && !constraint.enum.some((allowed) => same(value, allowed))) return false;
  const number = asNumber(value);
  if (constraint.minimum !== undefined && number !== undefined && number < asNumber(constraint.minimum)!) return false;
  if (constraint.maximum !== undefined && number !== undefined && number > asNumber(constraint.maximum)!) return false;
  return true;
}

function same(value: unknown, allowed: unknown): boolean {
  if (isRational(value) || isRational(allowed)) return asNumber(value) === asNumber(allowed);
  return value === allowed;
}

function isRational(value: unknown): value is Rational {
  return typeof value === 'object' && value !== null && typeof (value as Rational).numerator === 'number';
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (isRational(value)) return value.numerator / (value.denominator ?? 1);
  return undefined;
}

function show(value: unknown): string {
  return isRational(value) ? `${value.numerator}/${value.denominator ?? 1}` : String(value);
}

function describe(constraint: Constraint): string {
  const parts: string[] = [];
  if (constraint.enum) parts.push(`one of ${constraint.enum.map(show).join(', ')}`);
  if (constraint.minimum !== undefined) parts.push(`at least ${show(constraint.minimum)}`);
  if (constraint.maximum !== undefined) parts.push(`at most ${show(constraint.maximum)}`);
  return parts.join(' and ');
}

/** `urn:x-nmos:format:video` → `video` ('' for none). */
export function formatKind(format: unknown): string {
  return typeof format === 'string' ? format.split(':').pop()! : '';
}

function isVideo(flow: Json): boolean {
  return formatKind(flow.format) === 'video';
}

/** BCP-004's color_sampling of a raw video flow's components (RGB, YCbCr-4:2:2, …), if it is one of them. */
function colorSampling(components: unknown): string | undefined {
  if (!Array.isArray(components)) return undefined;
  const byName = new Map((components as Array<{ name: string; width: number; height: number }>).map((c) => [c.name, c]));
  if (['R', 'G', 'B'].every((name) => byName.has(name))) return 'RGB';
  const [y, cb] = [byName.get('Y'), byName.get('Cb')];
  if (!y || !cb || !byName.has('Cr')) return undefined;
  const ratio = `${y.width / cb.width}x${y.height / cb.height}`;
  return { '1x1': 'YCbCr-4:4:4', '2x1': 'YCbCr-4:2:2', '2x2': 'YCbCr-4:2:0', '4x1': 'YCbCr-4:1:1' }[ratio];
}
