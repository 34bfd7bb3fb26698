/**
 * NMOS times (IS-04 versions, IS-05 activation times) are TAI `secs:nanos`; TAI is UTC plus 37 leap seconds
 * (since 2017). As nanoseconds in a bigint, they compare and add exactly.
 */
const TAI_OFFSET_NS = 37_000_000_000n;
const TAI_PATTERN = /^(\d+):(\d{1,9})$/;

export function taiNowNanos(): bigint {
  return BigInt(Date.now()) * 1_000_000n + TAI_OFFSET_NS;
}

export function parseTai(value: string): bigint | undefined {
  const match = TAI_PATTERN.exec(value);
  return match ? BigInt(match[1]) * 1_000_000_000n + BigInt(match[2]) : undefined;
}

export function formatTai(nanos: bigint): string {
  return `${nanos / 1_000_000_000n}:${nanos % 1_000_000_000n}`;
}

export function taiToDate(nanos: bigint): Date {
  return new Date(Number((nanos - TAI_OFFSET_NS) / 1_000_000n));
}
