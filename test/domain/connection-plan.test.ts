/** Connection planning on nmos-cpp captures, checked against the IS-05 schemas (the simulator loads them): a test, not a lib spec, since it reaches into apps/. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { NmosSchemas } from '../../apps/simulator/src/index.js';
import { IMMEDIATE } from '../../libs/connections/src/routing/domain/activation.js';
import { activeMismatches, planConnect, planDisconnect, planRestore } from '../../libs/connections/src/routing/domain/connection-plan.js';
import { parseSdp, SdpError, sdpWithMedia } from '../../libs/common/src/domain/sdp.js';

const fixture = (name: string) => readFileSync(`test/fixtures/nmos-cpp/${name}`, 'utf8');
const captured2022_7 = fixture('sender-2022-7.sdp');
const schemas = new NmosSchemas();

describe('SDP parsing (nmos-cpp capture and bad input)', () => {
  it('reads both legs of a real ST 2022-7 sender: group, source filter, port', () => {
    const sdp = parseSdp(captured2022_7);
    expect(sdp.media.map((m) => [m.destinationIp, m.sourceIp, m.port])).toEqual([
      ['232.30.155.89', '192.0.2.2', 5004],
      ['232.130.123.115', '192.0.2.2', 5004],
    ]);
    const secondary = sdpWithMedia(sdp, [1]);
    expect(secondary).not.toContain('a=group:DUP');
    expect(secondary).not.toContain('232.30.155.89');
    expect(parseSdp(secondary).media).toHaveLength(1);
  });

  it('names what is wrong with a malformed SDP', () => {
    expect(() => parseSdp('<html>error</html>')).toThrow(SdpError);
    expect(() => parseSdp('v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=x\r\n')).toThrow('has no m= section');
    expect(() => parseSdp('v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=x\r\nm=video 5004 RTP/AVP 96\r\n')).toThrow('media 1 has no c= IPv4 address');
    expect(() => parseSdp('v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=video 99999 RTP/AVP 96\r\nc=IN IP4 232.0.0.1/32\r\n')).toThrow('no valid port');
  });
});

describe('connection plans (IS-05 PATCH bodies)', () => {
  const sdp = parseSdp(captured2022_7);
  const senderId = '4a14a291-7e4b-5234-9c50-d138c6b08202';

  it('builds PATCHes valid against the IS-05 staged schema for every leg combination', () => {
    for (const [legs, choice] of [
      [2, 'primary'],
      [1, 'primary'],
      [1, 'secondary'],
    ] as const) {
      const plan = planConnect(senderId, sdp, legs, IMMEDIATE, choice);
      expect(schemas.problems('is-05', 'receiver-stage-schema.json', plan.patch)).toEqual([]);
    }
    expect(schemas.problems('is-05', 'receiver-stage-schema.json', planDisconnect(IMMEDIATE).patch)).toEqual([]);
  });

  it('takes the leg asked for when a two-leg sender feeds a one-leg receiver', () => {
    expect(planConnect(senderId, sdp, 1, IMMEDIATE, 'secondary').expected.legs).toEqual([
      { rtp_enabled: true, multicast_ip: '232.130.123.115', source_ip: '192.0.2.2', destination_port: 5004 },
    ]);
  });

  it("accepts what a real nmos-cpp receiver's /active showed after the take, and refuses anything else", () => {
    const active = JSON.parse(fixture('receiver-1-leg-active-after-take.json'));
    const plan = planConnect(senderId, sdp, 1, IMMEDIATE);
    expect(activeMismatches(active, plan.expected)).toEqual([]);
    expect(activeMismatches({ ...active, master_enable: false }, plan.expected)).toEqual(['master_enable is false, asked true']);
    expect(activeMismatches(active, planConnect(senderId, sdp, 1, IMMEDIATE, 'secondary').expected)[0]).toMatch(/multicast_ip is "232.30.155.89"/);
    expect(activeMismatches(active, planDisconnect(IMMEDIATE).expected)).toHaveLength(2);
  });

  it("restores a receiver's earlier /active, transport file included", () => {
    const active = JSON.parse(fixture('receiver-1-leg-active-after-take.json'));
    const restore = planRestore(active, IMMEDIATE);
    expect(restore.patch).toMatchObject({
      sender_id: senderId,
      master_enable: true,
      transport_file: active.transport_file,
      transport_params: active.transport_params,
    });
    expect(schemas.problems('is-05', 'receiver-stage-schema.json', restore.patch)).toEqual([]);
  });
});
