import type { MediaKind } from './resources.js';

export interface SenderLeg {
  sourceIp: string;
  destinationIp: string;
  destinationPort: number;
}

/**
 * A sender's SDP as ST 2110 senders write it: one media section per leg, with RFC 4570 source filters,
 * and for ST 2022-7 an `a=group:DUP` over `mid`s (shaped on nmos-cpp's capture).
 */
export function senderSdp(label: string, sessionId: number, kind: MediaKind, legs: SenderLeg[]): string {
  const lines = ['v=0', `o=- ${sessionId} ${sessionId} IN IP4 ${legs[0].sourceIp}`, `s=${label}`, 't=0 0'];
  const mids = legs.length > 1 ? ['PRIMARY', 'SECONDARY'] : [];
  if (mids.length > 0) lines.push(`a=group:DUP ${mids.join(' ')}`);
  legs.forEach((leg, index) => {
    lines.push(...media(kind, leg.destinationPort));
    lines.push(`c=IN IP4 ${leg.destinationIp}/32`);
    lines.push(`a=source-filter: incl IN IP4 ${leg.destinationIp} ${leg.sourceIp}`);
    lines.push('a=ts-refclk:ptp=IEEE1588-2008:traceable', 'a=mediaclk:direct=0');
    lines.push(...format(kind));
    if (mids[index]) lines.push(`a=mid:${mids[index]}`);
  });
  return lines.join('\r\n') + '\r\n';
}

function media(kind: MediaKind, port: number): string[] {
  if (kind === 'audio') return [`m=audio ${port} RTP/AVP 97`];
  return [`m=video ${port} RTP/AVP ${kind === 'video' ? 96 : 100}`];
}

function format(kind: MediaKind): string[] {
  switch (kind) {
    case 'video':
      return [
        'a=rtpmap:96 raw/90000',
        'a=fmtp:96 width=1920; height=1080; exactframerate=25; interlace; sampling=YCbCr-4:2:2; depth=10; colorimetry=BT709; TCS=SDR; PM=2110GPM; SSN=ST2110-20:2017; TP=2110TPN',
      ];
    case 'audio':
      return ['a=rtpmap:97 L24/48000/2', 'a=ptime:1'];
    case 'data':
      return ['a=rtpmap:100 smpte291/90000', 'a=fmtp:100 DID_SDID={0x41,0x01}'];
  }
}

export interface SdpLeg {
  destinationIp?: string;
  sourceIp?: string;
  destinationPort?: number;
}

/** What a receiver takes from an SDP: per media section, the group address, the source filter's source and the port. */
export function parseSdpLegs(sdp: string): SdpLeg[] {
  const legs: SdpLeg[] = [];
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('m=')) legs.push({ destinationPort: Number(line.split(' ')[1]) });
    const leg = legs[legs.length - 1];
    if (!leg) continue;
    const connection = /^c=IN IP4 ([\d.]+)/.exec(line);
    if (connection) leg.destinationIp = connection[1];
    const filter = /^a=source-filter:\s*incl IN IP4 \S+ ([\d.]+)/.exec(line);
    if (filter) leg.sourceIp = filter[1];
  }
  return legs;
}
