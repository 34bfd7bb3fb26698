import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { incompatibility } from './compatibility.js';

type Resource = Record<string, any>;
const load = (name: string): Resource[] => JSON.parse(readFileSync(`test/fixtures/nmos-cpp/${name}`, 'utf8'));

describe('sender/receiver compatibility on what nmos-cpp really serves', () => {
  const flows = new Map(load('query-flows.json').map((f) => [f.id, f]));
  const senders = load('query-senders.json');
  const receivers = load('query-receivers.json');
  const check = (sender: Resource, receiver: Resource) => incompatibility(sender, flows.get(sender.flow_id), receiver);

  it('lets a sender feed a receiver of its format and media type, within the BCP-004-01 constraint sets', () => {
    const audioL24 = senders.find((s) => flows.get(s.flow_id)?.media_type === 'audio/L24' && s.transport === 'urn:x-nmos:transport:rtp')!;
    const receiver = receivers.find((r) => r.caps.media_types?.includes('audio/L24') && r.caps.constraint_sets)!;
    expect(check(audioL24, receiver)).toBeUndefined();
  });

  it('refuses another format, another media type, another transport, and a flow outside every constraint set', () => {
    const video = senders.find((s) => flows.get(s.flow_id)?.media_type === 'video/raw' && s.transport === 'urn:x-nmos:transport:rtp')!;
    const audioReceiver = receivers.find((r) => r.format === 'urn:x-nmos:format:audio')!;
    expect(check(video, audioReceiver)).toMatch(/flow is video and the receiver takes audio/);
    const float32 = senders.find((s) => flows.get(s.flow_id)?.media_type === 'audio/float32')!;
    const l24Receiver = receivers.find((r) => r.caps.media_types?.includes('audio/L24'))!;
    expect(check(float32, l24Receiver)).toMatch(/transport urn:x-nmos:transport:mxl cannot feed/);
    const l24 = senders.find((s) => flows.get(s.flow_id)?.media_type === 'audio/L24')!;
    const flow = { ...flows.get(l24.flow_id), bit_depth: 20 };
    expect(incompatibility(l24, flow, l24Receiver)).toMatch(/no constraint set .*\(sample_depth 20 is not one of \[16,24\]\)/);
    expect(incompatibility(l24, undefined, l24Receiver)).toBe('the sender has no flow in the registry');
  });

  it('ignores disabled constraint sets and capabilities it does not know', () => {
    const sender = { transport: 'urn:x-nmos:transport:rtp.mcast' };
    const flow = { format: 'urn:x-nmos:format:video', media_type: 'video/raw', frame_width: 1920, grain_rate: { numerator: 50, denominator: 1 } };
    const receiver = (sets: Resource[]) => ({ transport: 'urn:x-nmos:transport:rtp', format: 'urn:x-nmos:format:video', caps: { constraint_sets: sets } });
    expect(
      incompatibility(sender, flow, receiver([{ 'urn:x-nmos:cap:format:frame_width': { enum: [1280] }, 'urn:x-nmos:cap:meta:enabled': false }])),
    ).toBeUndefined();
    expect(incompatibility(sender, flow, receiver([{ 'urn:x-nmos:cap:format:frame_width': { enum: [1280] } }]))).toMatch(/frame_width 1920/);
    expect(
      incompatibility(sender, flow, receiver([{ 'urn:x-nmos:cap:format:grain_rate': { enum: [{ numerator: 50 }] }, 'urn:x-vendor:cap:x': { enum: [1] } }])),
    ).toBeUndefined();
  });
});
