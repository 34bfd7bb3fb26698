/** TAI is UTC plus 37 leap seconds (since 2017); IS-04 versions and IS-05 activation times are TAI `secs:nanos`. */
const TAI_OFFSET_SECONDS = 37n;

export type TaiTimestamp = string;

// The wall clock once, then the monotonic clock: nanosecond precision, and never going backwards.
const ORIGIN_WALL = BigInt(Date.now()) * 1_000_000n + TAI_OFFSET_SECONDS * 1_000_000_000n;
const ORIGIN_MONOTONIC = process.hrtime.bigint();
let last = 0n;

/** Now in TAI nanoseconds, strictly increasing within this process (two changes never share a version). */
export function taiNowNanos(): bigint {
  const now = ORIGIN_WALL + (process.hrtime.bigint() - ORIGIN_MONOTONIC);
  last = now > last ? now : last + 1n;
  return last;
}

export function taiNow(): TaiTimestamp {
  return formatTai(taiNowNanos());
}

export function formatTai(nanos: bigint): TaiTimestamp {
  return `${nanos / 1_000_000_000n}:${nanos % 1_000_000_000n}`;
}

const TAI_PATTERN = /^(\d+):(\d+)$/;

export function parseTai(value: string): bigint | undefined {
  const match = TAI_PATTERN.exec(value);
  if (!match || match[2].length > 9) return undefined;
  return BigInt(match[1]) * 1_000_000_000n + BigInt(match[2]);
}

/** Milliseconds from now until a TAI time (negative if past). */
export function msUntilTai(nanos: bigint): number {
  return Number(nanos - taiNowNanos()) / 1e6;
}
