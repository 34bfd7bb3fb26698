import { createHash } from 'node:crypto';

/** A name-based UUID (version 5 layout) from the facility seed and a path, so a seed always builds the same ids. */
export function deterministicId(seed: string, ...path: Array<string | number>): string {
  const hash = createHash('sha1')
    .update(`${seed}/${path.join('/')}`)
    .digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A deterministic pseudo-random number in [0, 1) for choices (media mix, 2022-7 share) from the seed. */
export function deterministicFraction(seed: string, ...path: Array<string | number>): number {
  return (
    createHash('sha1')
      .update(`${seed}#${path.join('/')}`)
      .digest()
      .readUInt32BE(0) /
    2 ** 32
  );
}
