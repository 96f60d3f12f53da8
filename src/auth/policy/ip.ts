/**
 * @module auth/policy/ip
 * Addresses and CIDR blocks for the IpAddress / NotIpAddress condition operators (`aws:SourceIp`).
 * Node's dual-stack sockets report an IPv4 client as `::ffff:a.b.c.d`; such an address is read as the
 * IPv4 address it carries, so a policy written with IPv4 blocks still sees it.
 */
import { isIPv4, isIPv6 } from 'node:net';

const PREFIX_LENGTH = /^\d{1,3}$/;

export interface Cidr {
  /** 4 bytes for IPv4, 16 for IPv6. */
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

function parseIPv4(text: string): Uint8Array {
  const out = new Uint8Array(4);
  const parts = text.split('.');
  for (let i = 0; i < 4; i++) out[i] = Number(parts[i]);
  return out;
}

function parseIPv6(text: string): Uint8Array {
  const out = new Uint8Array(16);
  let body = text;
  const zone = body.indexOf('%');
  if (zone >= 0) body = body.slice(0, zone);
  // An embedded IPv4 tail (::ffff:1.2.3.4) fills the last four bytes.
  let tail: Uint8Array | undefined;
  const lastColon = body.lastIndexOf(':');
  if (body.indexOf('.', lastColon) >= 0) {
    tail = parseIPv4(body.slice(lastColon + 1));
    body = `${body.slice(0, lastColon + 1)}0:0`;
  }
  const gap = body.indexOf('::');
  const head = gap >= 0 ? body.slice(0, gap) : body;
  const rest = gap >= 0 ? body.slice(gap + 2) : '';
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === '' ? [] : rest.split(':');
  const groups = [...headGroups, ...new Array<string>(8 - headGroups.length - restGroups.length).fill('0'), ...restGroups];
  for (let i = 0; i < 8; i++) {
    const g = parseInt(groups[i] ?? '0', 16);
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  }
  if (tail !== undefined) out.set(tail, 12);
  return out;
}

const isMappedIPv4 = (b: Uint8Array): boolean => {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
};

/** The address as 4 or 16 bytes (a v4-mapped IPv6 address as its 4), or undefined when it is none. */
export function parseAddress(text: string): Uint8Array | undefined {
  if (isIPv4(text)) return parseIPv4(text);
  if (!isIPv6(text)) return undefined;
  const bytes = parseIPv6(text);
  return isMappedIPv4(bytes) ? bytes.subarray(12) : bytes;
}

/** `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a /32 or /128); undefined when invalid. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  if (!isIPv4(addressText) && !isIPv6(addressText)) return undefined;
  const bytes = isIPv4(addressText) ? parseIPv4(addressText) : parseIPv6(addressText);
  const max = bytes.length * 8;
  if (slash < 0) return { bytes, prefix: max };
  const prefixText = text.slice(slash + 1);
  if (!PREFIX_LENGTH.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > max) return undefined;
  return { bytes, prefix };
}

/** Whether `address` (from parseAddress) lies in `block`; an IPv4 address is never in an IPv6 block. */
export function cidrContains(block: Cidr, address: Uint8Array): boolean {
  let bytes = block.bytes;
  let prefix = block.prefix;
  // A v4-mapped IPv6 block (::ffff:10.0.0.0/104) holds the same IPv4 addresses as 10.0.0.0/8.
  if (bytes.length === 16 && address.length === 4 && isMappedIPv4(bytes) && prefix >= 96) {
    bytes = bytes.subarray(12);
    prefix -= 96;
  }
  if (bytes.length !== address.length) return false;
  const whole = prefix >> 3;
  for (let i = 0; i < whole; i++) if (bytes[i] !== address[i]) return false;
  const bits = prefix & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return ((bytes[whole] ?? 0) & mask) === ((address[whole] ?? 0) & mask);
}
