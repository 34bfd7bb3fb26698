/** IPv4 addresses as numbers, for ranges and the address plan. */
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function ipv4ToNumber(text: string): number | undefined {
  const match = IPV4.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
}

export function numberToIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** 224.0.0.0/4 (RFC 5771). */
export function isMulticast(text: string): boolean {
  const value = ipv4ToNumber(text);
  return value !== undefined && value >>> 28 === 0xe;
}

/** `239.10.0.0/16` → its first and last address; undefined when not a CIDR or the address is not the block's start. */
export function cidrRange(cidr: string): { first: number; last: number } | undefined {
  const [address, bitsText, ...rest] = cidr.split('/');
  const bits = Number(bitsText);
  const base = ipv4ToNumber(address);
  if (rest.length > 0 || base === undefined || !/^\d{1,2}$/.test(bitsText ?? '') || bits > 32) return undefined;
  const size = 2 ** (32 - bits);
  if (base % size !== 0) return undefined;
  return { first: base, last: base + size - 1 };
}
