import { parseSdp, type ParsedSdp, type SdpMedia } from '#common';

/** One leg of a flow as its SDP describes it. */
export interface SdpLeg {
  multicast_addr: string;
  group_port: number;
  source_addr: string | null;
  mid: string | null;
}

/** What the inventory keeps from a sender's SDP. */
export interface SdpDescription {
  /** A then B: in `a=group:DUP` order when there is one, else in media order. */
  legs: SdpLeg[];
  media_type: string | null;
  st2110_format: string | null;
  format_summary: string | null;
  transport_protocol: string;
}

/**
 * Reads an ST 2110 sender's SDP into inventory fields: both legs of an ST 2022-7 pair (`a=group:DUP`),
 * RFC 4570 source filters, and the format: -20 video (`1080i50`), -22 compressed video, -30/-31 audio
 * (`L24/48k/2`), -40 ancillary. Throws SdpError naming what is wrong.
 */
export function describeSdp(text: string): SdpDescription {
  const sdp = parseSdp(text);
  const media = orderedLegs(sdp);
  const first = media[0];
  const format = formatOf(first);
  return {
    legs: media.map((m) => ({ multicast_addr: m.destinationIp, group_port: m.port, source_addr: m.sourceIp ?? null, mid: midOf(m) })),
    ...format,
    transport_protocol: /RTP\/AVP/.test(first.lines[0]) ? 'RTP' : (first.lines[0].split(' ')[2] ?? 'RTP'),
  };
}

function orderedLegs(sdp: ParsedSdp): SdpMedia[] {
  const group = sdp.session.map((l) => /^a=group:DUP\s+(.+)$/.exec(l.trim())).find(Boolean);
  if (!group) return sdp.media.slice(0, 2);
  const byMid = new Map(sdp.media.map((m) => [midOf(m), m] as const));
  const ordered = group[1]
    .split(/\s+/)
    .map((mid) => byMid.get(mid))
    .filter((m): m is SdpMedia => m !== undefined);
  return ordered.length > 0 ? ordered.slice(0, 2) : sdp.media.slice(0, 2);
}

function midOf(media: SdpMedia): string | null {
  return media.lines.map((l) => /^a=mid:(\S+)/.exec(l)).find(Boolean)?.[1] ?? null;
}

function formatOf(media: SdpMedia): Pick<SdpDescription, 'media_type' | 'st2110_format' | 'format_summary'> {
  const kind = media.lines[0].slice(2).split(' ')[0];
  const rtpmap = media.lines.map((l) => /^a=rtpmap:\d+\s+([^/\s]+)\/(\d+)(?:\/(\d+))?/.exec(l)).find(Boolean);
  const fmtp = fmtpOf(media);
  if (!rtpmap) return { media_type: kind || null, st2110_format: null, format_summary: null };
  const [, encoding, rate, channels] = rtpmap;
  const name = encoding.toLowerCase();
  if (kind === 'video' && name === 'raw') return { media_type: 'video/raw', st2110_format: 'ST2110-20', format_summary: videoSummary(fmtp) };
  if (kind === 'video' && name === 'jxsv') return { media_type: 'video/jxsv', st2110_format: 'ST2110-22', format_summary: videoSummary(fmtp) };
  if (kind === 'video' && name === 'smpte291') return { media_type: 'video/smpte291', st2110_format: 'ST2110-40', format_summary: 'ANC' };
  if (kind === 'audio' && /^l(16|20|24)$/.test(name)) {
    return {
      media_type: `audio/${encoding.toUpperCase()}`,
      st2110_format: 'ST2110-30',
      format_summary: `${encoding.toUpperCase()}/${kiloHertz(rate)}/${channels ?? '1'}`,
    };
  }
  if (kind === 'audio' && name === 'am824')
    return { media_type: 'audio/AM824', st2110_format: 'ST2110-31', format_summary: `AM824/${kiloHertz(rate)}/${channels ?? '1'}` };
  return { media_type: `${kind}/${encoding}`, st2110_format: null, format_summary: null };
}

function fmtpOf(media: SdpMedia): Map<string, string> {
  const line = media.lines.find((l) => l.startsWith('a=fmtp:'));
  const parameters = new Map<string, string>();
  if (!line) return parameters;
  for (const part of line.replace(/^a=fmtp:\d+\s*/, '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key) parameters.set(key.trim().toLowerCase(), value.join('=').trim());
  }
  return parameters;
}

/** `1080i50`, `2160p59.94`, `720p50`: lines, scan, and field (interlaced) or frame rate, as engineers say it. */
function videoSummary(fmtp: Map<string, string>): string | null {
  const height = fmtp.get('height');
  const rateText = fmtp.get('exactframerate');
  if (!height || !rateText) return null;
  const [numerator, denominator = '1'] = rateText.split('/');
  const frameRate = Number(numerator) / Number(denominator);
  if (!Number.isFinite(frameRate) || frameRate <= 0) return null;
  const interlaced = fmtp.has('interlace');
  const rate = interlaced ? frameRate * 2 : frameRate;
  const shown = Number.isInteger(rate) ? String(rate) : rate.toFixed(2).replace(/0+$/, '');
  return `${height}${interlaced ? 'i' : 'p'}${shown}`;
}

function kiloHertz(rate: string): string {
  const hz = Number(rate);
  return hz % 1000 === 0 ? `${hz / 1000}k` : `${(hz / 1000).toFixed(1)}k`;
}
