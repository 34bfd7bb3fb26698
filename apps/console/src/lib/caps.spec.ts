import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { incompatibility } from './caps.js';

/** What nmos-cpp's registry served (../shared/nmos/captures): receivers with BCP-004-01 constraint sets. */
const captured = JSON.parse(readFileSync('../shared/nmos/captures/nmos-cpp/query-receivers.json', 'utf8')) as Array<Record<string, any>>;
const receiverFor = (mediaType: string) => captured.find((r) => r.caps?.media_types?.includes(mediaType) && r.caps?.constraint_sets)!;

const video1080i25 = {
  format: 'urn:x-nmos:format:video',
  media_type: 'video/raw',
  grain_rate: { numerator: 25, denominator: 1 },
  frame_width: 1920,
  frame_height: 1080,
  interlace_mode: 'interlaced_tff',
  components: [
    { name: 'Y', width: 1920, height: 1080, bit_depth: 10 },
    { name: 'Cb', width: 960, height: 1080, bit_depth: 10 },
    { name: 'Cr', width: 960, height: 1080, bit_depth: 10 },
  ],
};
const audio48k24 = { format: 'urn:x-nmos:format:audio', media_type: 'audio/L24', sample_rate: { numerator: 48000 }, bit_depth: 24 };

describe('incompatibility (IS-04 caps and BCP-004-01 constraint sets)', () => {
  it("accepts flows that satisfy one of a real receiver's constraint sets", () => {
    expect(incompatibility(video1080i25, receiverFor('video/raw'))).toBe('');
    expect(incompatibility(audio48k24, receiverFor('audio/L24'))).toBe('');
  });

  it('names the parameters a flow fails, with what the receiver takes', () => {
    expect(incompatibility({ ...video1080i25, frame_width: 3840 }, receiverFor('video/raw'))).toBe('frame_width 3840 is not one of 1920');
    expect(incompatibility({ ...video1080i25, grain_rate: { numerator: 50, denominator: 1 } }, receiverFor('video/raw'))).toBe(
      'grain_rate 50/1 is not one of 25/1',
    );
    // No interlace_mode: progressive, which this receiver does not take.
    const { interlace_mode: _, ...progressive } = video1080i25;
    expect(incompatibility(progressive, receiverFor('video/raw'))).toContain('interlace_mode progressive is not one of interlaced_bff');
    // 4:4:4 components: color_sampling YCbCr-4:4:4.
    const full = { ...video1080i25, components: video1080i25.components.map((c) => ({ ...c, width: 1920 })) };
    expect(incompatibility(full, receiverFor('video/raw'))).toBe('color_sampling YCbCr-4:4:4 is not one of YCbCr-4:2:2');
    expect(incompatibility({ ...audio48k24, sample_rate: { numerator: 96000, denominator: 1 } }, receiverFor('audio/L24'))).toContain('sample_rate 96000/1');
    expect(incompatibility({ ...video1080i25, frame_width: 3840, frame_height: 2160 }, receiverFor('video/raw'))).toBe(
      'frame_height 2160 is not one of 1080; frame_width 3840 is not one of 1920',
    );
  });

  it('checks the format and media types first', () => {
    expect(incompatibility(audio48k24, receiverFor('video/raw'))).toBe('audio sender, video receiver');
    expect(incompatibility({ ...audio48k24, media_type: 'audio/L16' }, receiverFor('audio/L24'))).toBe('media type audio/L16; the receiver takes audio/L24');
  });

  it('compares ranges and rationals by value, skips disabled sets, and lets unknown parameters constrain nothing', () => {
    const receiver = (sets: unknown[]) => ({ format: 'urn:x-nmos:format:video', caps: { constraint_sets: sets } });
    const range = { 'urn:x-nmos:cap:format:frame_width': { minimum: 1280, maximum: 1920 } };
    expect(incompatibility(video1080i25, receiver([range]))).toBe('');
    expect(incompatibility({ ...video1080i25, frame_width: 3840 }, receiver([range]))).toBe('frame_width 3840 is not at least 1280 and at most 1920');
    expect(incompatibility(video1080i25, receiver([{ 'urn:x-nmos:cap:format:grain_rate': { enum: [{ numerator: 50, denominator: 2 }] } }]))).toBe('');
    const uhd = { 'urn:x-nmos:cap:format:frame_width': { enum: [3840] } };
    expect(incompatibility(video1080i25, receiver([{ ...range, 'urn:x-nmos:cap:meta:enabled': false }, uhd]))).toBe('frame_width 1920 is not one of 3840');
    expect(incompatibility(video1080i25, receiver([{ 'urn:x-nmos:cap:transport:packet_time': { enum: [0.125] }, 'urn:x-vendor:cap:x': { enum: [1] } }]))).toBe(
      '',
    );
    // A flow the console does not have yet (still loading) is never refused.
    expect(incompatibility(undefined, receiver([uhd]))).toBe('');
  });
});
