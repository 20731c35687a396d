/**
 * What the transport layer needs from IP, for either version: the two addresses, the pseudo-header
 * checksum (RFC 9293 3.1 for IPv4, RFC 8200 8.1 for IPv6), and address formatting.
 *
 * `IpAddressPair` is satisfied by both `Ipv4Repr` and `Ipv6Repr`, so an IP repr can be passed
 * where a pair is wanted. The version is told by the type of `src`: a number is IPv4, bytes IPv6.
 */
import { checksumAdd, checksumAddU16, checksumAddU32 } from './checksum.js';
import { type Ipv4Address, formatIpv4Address } from './ipv4.js';
import { type Ipv6Address, formatIpv6Address } from './ipv6.js';

export type IpAddressPair =
  | { readonly src: Ipv4Address; readonly dst: Ipv4Address }
  | { readonly src: Ipv6Address; readonly dst: Ipv6Address };

export type IpAddress = Ipv4Address | Ipv6Address;

export function formatIpAddress(a: IpAddress): string {
  return typeof a === 'number' ? formatIpv4Address(a) : formatIpv6Address(a);
}

/**
 * Partial checksum of the pseudo-header for an upper-layer message of `length` bytes carried with
 * protocol/next-header `protocol`: IPv4 src, dst, zero, protocol, length (16 bits); IPv6 src, dst,
 * upper-layer length (32 bits), zeros, next header.
 */
export function pseudoHeaderSum(ip: IpAddressPair, protocol: number, length: number): number {
  if (typeof ip.src === 'number') {
    let s = checksumAddU32(0, ip.src);
    s = checksumAddU32(s, ip.dst as number);
    s = checksumAddU16(s, protocol);
    return checksumAddU16(s, length);
  }
  let s = checksumAdd(0, ip.src, 0, 16);
  s = checksumAdd(s, ip.dst as Uint8Array, 0, 16);
  s = checksumAddU32(s, length);
  return checksumAddU16(s, protocol);
}
