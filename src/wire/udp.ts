/**
 * UDP (RFC 768): view, repr, checksum over the IPv4 or IPv6 pseudo-header.
 *
 * Invariant: after `UdpPacket.check()` succeeds, 8 <= length field <= bytes.length, and `payload`
 * ends at the length field (bytes after it are ignored). A zero checksum means "none" over IPv4
 * (RFC 768) and is invalid over IPv6 (RFC 8200 8.1); a computed zero is sent as 0xffff.
 */
import { type FieldTable, checkBuffer, checkUint, copyInto, put16, u16 } from './bytes.js';
import { checksumAdd, checksumFinish } from './checksum.js';
import { type IpAddressPair, pseudoHeaderSum } from './ip.js';
import { type ParseResult, WireError, WireErrorCode, fail, ok } from './result.js';

export const UDP_FIELDS = {
  srcPort: [0, 2],
  dstPort: [2, 2],
  length: [4, 2],
  checksum: [6, 2],
} as const satisfies FieldTable;

export const UDP_HEADER_LEN = 8;

/** The UDP checksum of `datagram` (header and data, length field included) under `ip`'s pseudo-header. */
export function udpChecksum(datagram: Uint8Array, ip: IpAddressPair): number {
  return checksumFinish(checksumAdd(pseudoHeaderSum(ip, 17, datagram.length), datagram));
}

/** Zero-copy view of a UDP datagram. */
export class UdpPacket {
  readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  check(): WireError | undefined {
    const b = this.bytes;
    if (b.length < UDP_HEADER_LEN) return new WireError(WireErrorCode.TRUNCATED, `UDP header needs 8 bytes, have ${b.length}`, b.length);
    const len = this.length;
    if (len < UDP_HEADER_LEN) return new WireError(WireErrorCode.BAD_LENGTH, `UDP length ${len} is below 8`, 4);
    if (len > b.length) return new WireError(WireErrorCode.TRUNCATED, `UDP length ${len} but only ${b.length} bytes`, b.length);
    return undefined;
  }

  get srcPort(): number {
    return u16(this.bytes, 0);
  }
  set srcPort(v: number) {
    put16(this.bytes, 0, v);
  }
  get dstPort(): number {
    return u16(this.bytes, 2);
  }
  set dstPort(v: number) {
    put16(this.bytes, 2, v);
  }
  get length(): number {
    return u16(this.bytes, 4);
  }
  set length(v: number) {
    put16(this.bytes, 4, v);
  }
  get checksum(): number {
    return u16(this.bytes, 6);
  }
  set checksum(v: number) {
    put16(this.bytes, 6, v);
  }
  get payload(): Uint8Array {
    return this.bytes.subarray(UDP_HEADER_LEN, Math.max(UDP_HEADER_LEN, Math.min(this.length, this.bytes.length)));
  }
  /**
   * True when the checksum verifies. Over IPv4 a zero field means no checksum and counts as valid;
   * over IPv6 zero is never valid.
   */
  verifyChecksum(ip: IpAddressPair): boolean {
    if (this.checksum === 0) return typeof ip.src === 'number';
    return udpChecksum(this.bytes.subarray(0, Math.min(this.length, this.bytes.length)), ip) === 0;
  }
  fillChecksum(ip: IpAddressPair): void {
    this.checksum = 0;
    const c = udpChecksum(this.bytes.subarray(0, Math.min(this.length, this.bytes.length)), ip);
    this.checksum = c === 0 ? 0xffff : c;
  }

  toString(): string {
    const r = parseUdp(this);
    return r.ok ? udpToString(r.value) : `[UDP: ${r.error.message}]`;
  }
}

export interface UdpRepr {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Uint8Array;
}

/** Parse; with `ip` the checksum is verified (see `verifyChecksum`). `payload` aliases the bytes. */
export function parseUdp(view: UdpPacket, ip?: IpAddressPair): ParseResult<UdpRepr> {
  const err = view.check();
  if (err !== undefined) return { ok: false, error: err };
  if (ip !== undefined && !view.verifyChecksum(ip)) {
    return fail(WireErrorCode.BAD_CHECKSUM, `UDP checksum 0x${view.checksum.toString(16).padStart(4, '0')} is wrong`, 6);
  }
  return ok({ srcPort: view.srcPort, dstPort: view.dstPort, payload: view.payload });
}

export function udpBufferLength(repr: UdpRepr): number {
  return UDP_HEADER_LEN + repr.payload.length;
}

/** Write header and payload with the checksum for `ip`; returns the length. */
export function emitUdp(repr: UdpRepr, buffer: Uint8Array, ip: IpAddressPair): number {
  checkUint(repr.srcPort, 0xffff, 'UDP source port');
  checkUint(repr.dstPort, 0xffff, 'UDP destination port');
  const len = udpBufferLength(repr);
  checkUint(len, 0xffff, 'UDP length');
  checkBuffer(buffer, len, 'UDP datagram');
  put16(buffer, 0, repr.srcPort);
  put16(buffer, 2, repr.dstPort);
  put16(buffer, 4, len);
  put16(buffer, 6, 0);
  copyInto(buffer, UDP_HEADER_LEN, repr.payload);
  const c = udpChecksum(buffer.subarray(0, len), ip);
  put16(buffer, 6, c === 0 ? 0xffff : c);
  return len;
}

/** tcpdump style: "5353 > 5353: UDP, length 12". */
export function udpToString(repr: UdpRepr): string {
  return `${repr.srcPort} > ${repr.dstPort}: UDP, length ${repr.payload.length}`;
}
