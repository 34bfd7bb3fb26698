/** One media section of a sender's SDP: one leg of the flow (two with ST 2022-7). */
export interface SdpMedia {
  lines: string[];
  port: number;
  destinationIp: string;
  sourceIp?: string;
}

export interface ParsedSdp {
  session: string[];
  media: SdpMedia[];
}

export class SdpError extends Error {}

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/**
 * Parses what a controller needs from an ST 2110 sender's SDP (RFC 4566/8866): per media section the
 * destination (c=, media or session level), port and RFC 4570 source filter. Anything malformed is an
 * SdpError naming the line, so a device's bad manifest is reported rather than passed on.
 */
export function parseSdp(text: string): ParsedSdp {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines[0]?.trim() !== 'v=0') throw new SdpError('does not start with v=0');
  if (!lines.some((l) => l.startsWith('o='))) throw new SdpError('has no o= line');
  const session: string[] = [];
  const media: Array<{ lines: string[] }> = [];
  for (const line of lines) {
    if (!/^[a-z]=/.test(line)) throw new SdpError(`line "${line.slice(0, 40)}" is not type=value`);
    if (line.startsWith('m=')) media.push({ lines: [] });
    (media.length > 0 ? media[media.length - 1].lines : session).push(line);
  }
  if (media.length === 0) throw new SdpError('has no m= section');
  const sessionConnection = connectionOf(session);
  return {
    session,
    media: media.map((section, index) => {
      const port = Number(section.lines[0].split(' ')[1]);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new SdpError(`media ${index + 1} has no valid port`);
      const destinationIp = connectionOf(section.lines) ?? sessionConnection;
      if (!destinationIp) throw new SdpError(`media ${index + 1} has no c= IPv4 address`);
      const filter = section.lines.map((l) => /^a=source-filter:\s*incl IN IP4 \S+ ([\d.]+)/.exec(l)).find(Boolean);
      return { lines: section.lines, port, destinationIp, sourceIp: filter?.[1] };
    }),
  };
}

/** The SDP with only the chosen media sections (one leg of an ST 2022-7 pair for a one-leg receiver). */
export function sdpWithMedia(sdp: ParsedSdp, indexes: number[]): string {
  // An a=group:DUP over one media section would name a mid that is no longer there.
  const session = indexes.length < 2 ? sdp.session.filter((l) => !l.startsWith('a=group:DUP')) : sdp.session;
  return [...session, ...indexes.flatMap((i) => sdp.media[i].lines)].join('\r\n') + '\r\n';
}

function connectionOf(lines: string[]): string | undefined {
  for (const line of lines) {
    const match = /^c=IN IP4 ([^/\s]+)/.exec(line);
    if (match) {
      if (!IPV4.test(match[1])) throw new SdpError(`c= address ${match[1]} is not IPv4`);
      return match[1];
    }
  }
  return undefined;
}
