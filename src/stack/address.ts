/**
 * IP addresses as the stack handles them: the wire layer's types (IPv4: a 32-bit number, IPv6: 16
 * bytes), plus parsing from text, map keys and the classification the receive path needs
 * (multicast/broadcast sources and destinations are never valid for TCP, RFC 1122 4.2.3.10; nor
 * are the other invalid sources of RFC 1122 3.2.1.3).
 *
 * Invariant: `addressKey` is injective per family and never collides across families.
 */
import { formatIpAddress, ipv4AddressBytes, parseIpv4Address, parseIpv6Address, type IpAddress } from '../wire/index.js';

export type { IpAddress } from '../wire/index.js';

export type Family = 4 | 6;

export function familyOf(a: IpAddress): Family {
  return typeof a === 'number' ? 4 : 6;
}

/** Node's family names. */
export function familyName(a: IpAddress): 'IPv4' | 'IPv6' {
  return typeof a === 'number' ? 'IPv4' : 'IPv6';
}

/** Parse an IPv4 or IPv6 address literal; undefined when it is neither. */
export function parseAddress(text: string): IpAddress | undefined {
  const t = text.trim();
  if (t.includes(':')) {
    const r = parseIpv6Address(t.startsWith('[') && t.endsWith(']') ? t.slice(1, -1) : t);
    return r.ok ? r.value : undefined;
  }
  const r = parseIpv4Address(t);
  return r.ok ? r.value : undefined;
}

export function formatAddress(a: IpAddress): string {
  return formatIpAddress(a);
}

/** A string usable as a Map key. */
export function addressKey(a: IpAddress): string {
  if (typeof a === 'number') return `4:${a >>> 0}`;
  let s = '6:';
  for (let i = 0; i < 16; i++) s += ((a[i] ?? 0) + 0x100).toString(16).slice(1);
  return s;
}

export function addressEquals(x: IpAddress, y: IpAddress): boolean {
  if (typeof x === 'number' || typeof y === 'number') return x === y;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** The address as bytes (4 or 16), for hashing (ISN) and pseudo-headers. */
export function addressBytes(a: IpAddress): Uint8Array {
  return typeof a === 'number' ? ipv4AddressBytes(a) : a;
}

/** Unspecified (0.0.0.0, ::). */
export function isUnspecified(a: IpAddress): boolean {
  if (typeof a === 'number') return a === 0;
  return a.every((b) => b === 0);
}

/** Multicast (224.0.0.0/4, ff00::/8) or the IPv4 limited broadcast. */
export function isMulticastOrBroadcast(a: IpAddress): boolean {
  if (typeof a === 'number') return a >>> 28 === 0xe || a >>> 0 === 0xffffffff;
  return a[0] === 0xff;
}

/** Loopback: 127.0.0.0/8 or ::1. */
export function isLoopback(a: IpAddress): boolean {
  if (typeof a === 'number') return a >>> 24 === 127;
  return a.length === 16 && a[15] === 1 && a.subarray(0, 15).every((b) => b === 0);
}

/**
 * A source address no packet from a network may carry (RFC 1122 3.2.1.3; RFC 9293 MUST-63 for
 * SYNs): multicast, the limited broadcast, 0.0.0.0/8 ("this host on this network", only for a host
 * that does not know its address yet), loopback (unless `onLoopback`: the packet came in on an
 * interface that has a loopback address itself), the unspecified ::, and IPv4-mapped IPv6
 * (RFC 4291 2.5.5.2: never on the wire; Linux drops them too).
 */
export function isInvalidSource(a: IpAddress, onLoopback = false): boolean {
  if (isMulticastOrBroadcast(a) || (!onLoopback && isLoopback(a))) return true;
  if (typeof a === 'number') return a >>> 24 === 0;
  if (isUnspecified(a)) return true;
  return a.subarray(0, 10).every((b) => b === 0) && a[10] === 0xff && a[11] === 0xff;
}

/** The 4-tuple key used by the demultiplexer. */
export function tupleKey(local: IpAddress, localPort: number, remote: IpAddress, remotePort: number): string {
  return `${addressKey(local)}|${localPort}|${addressKey(remote)}|${remotePort}`;
}
