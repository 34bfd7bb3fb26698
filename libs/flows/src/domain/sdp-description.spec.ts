import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { SdpError } from '#common';
import { describeSdp } from './sdp-description.js';
import { cidrRange, isMulticast, numberToIpv4, ipv4ToNumber } from './ipv4.js';

const CAPTURE = readFileSync('../shared/nmos/captures/nmos-cpp/sender-2022-7.sdp', 'utf8');

function sdp(media: string[], session: string[] = []): string {
  return ['v=0', 'o=- 1 1 IN IP4 192.0.2.10', 's=test', 't=0 0', ...session, ...media].join('\r\n') + '\r\n';
}

describe('describeSdp', () => {
  it("reads nmos-cpp's two-leg video sender: both legs in a=group:DUP order, source filters, 1080i50", () => {
    expect(describeSdp(CAPTURE)).toEqual({
      legs: [
        { multicast_addr: '232.30.155.89', group_port: 5004, source_addr: '192.0.2.2', mid: 'PRIMARY' },
        { multicast_addr: '232.130.123.115', group_port: 5004, source_addr: '192.0.2.2', mid: 'SECONDARY' },
      ],
      media_type: 'video/raw',
      st2110_format: 'ST2110-20',
      format_summary: '1080i50',
      transport_protocol: 'RTP',
    });
  });

  it('orders legs by the DUP group, not by media order', () => {
    const leg = (addr: string, mid: string) => ['m=audio 5006 RTP/AVP 97', `c=IN IP4 ${addr}/32`, 'a=rtpmap:97 L24/48000/2', `a=mid:${mid}`];
    const text = sdp([...leg('239.2.0.2', 'S'), ...leg('239.1.0.1', 'P')], ['a=group:DUP P S']);
    expect(describeSdp(text).legs.map((l) => l.multicast_addr)).toEqual(['239.1.0.1', '239.2.0.2']);
  });

  it('names ST 2110-30 audio, -40 ancillary, -22 compressed video and progressive fractional rates', () => {
    const audio = describeSdp(sdp(['m=audio 5004 RTP/AVP 97', 'c=IN IP4 239.0.0.1/32', 'a=rtpmap:97 L24/48000/8']));
    expect(audio).toMatchObject({ media_type: 'audio/L24', st2110_format: 'ST2110-30', format_summary: 'L24/48k/8' });
    expect(audio.legs).toEqual([{ multicast_addr: '239.0.0.1', group_port: 5004, source_addr: null, mid: null }]);
    const anc = describeSdp(sdp(['m=video 5008 RTP/AVP 100', 'c=IN IP4 239.0.0.2/32', 'a=rtpmap:100 smpte291/90000']));
    expect(anc).toMatchObject({ st2110_format: 'ST2110-40', format_summary: 'ANC' });
    const uhd = describeSdp(
      sdp([
        'm=video 5004 RTP/AVP 96',
        'c=IN IP4 239.0.0.3/32',
        'a=rtpmap:96 raw/90000',
        'a=fmtp:96 width=3840; height=2160; exactframerate=60000/1001; sampling=YCbCr-4:2:2',
      ]),
    );
    expect(uhd.format_summary).toBe('2160p59.94');
    const jxs = describeSdp(sdp(['m=video 5004 RTP/AVP 98', 'c=IN IP4 239.0.0.4/32', 'a=rtpmap:98 jxsv/90000', 'a=fmtp:98 height=1080; exactframerate=50']));
    expect(jxs).toMatchObject({ st2110_format: 'ST2110-22', format_summary: '1080p50' });
  });

  it('refuses an SDP without a destination, naming what is missing', () => {
    expect(() => describeSdp(sdp(['m=video 5004 RTP/AVP 96', 'a=rtpmap:96 raw/90000']))).toThrow(SdpError);
    expect(() => describeSdp(sdp(['m=video 5004 RTP/AVP 96', 'a=rtpmap:96 raw/90000']))).toThrow('media 1 has no c= IPv4 address');
  });
});

describe('IPv4 helpers', () => {
  it('reads CIDR blocks only when the address starts the block', () => {
    expect(cidrRange('239.10.0.0/16')).toEqual({ first: ipv4ToNumber('239.10.0.0'), last: ipv4ToNumber('239.10.255.255') });
    expect(cidrRange('239.10.0.1/16')).toBeUndefined();
    expect(cidrRange('239.10.0.0/33')).toBeUndefined();
    expect(numberToIpv4(ipv4ToNumber('239.255.0.7')!)).toBe('239.255.0.7');
    expect(isMulticast('239.1.1.1')).toBe(true);
    expect(isMulticast('10.1.1.1')).toBe(false);
    expect(isMulticast('240.0.0.1')).toBe(false);
  });
});
