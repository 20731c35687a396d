/**
 * ARP packets (RFC 826) for any hardware/protocol pair; Ethernet + IPv4 (28 bytes) is the common one.
 *
 * Invariant: after `ArpPacket.check()` succeeds the fixed 8-byte header and the four addresses
 * (lengths from the hlen/plen fields) lie inside the bytes. Unknown hardware types, protocol types
 * and operations are kept as numbers.
 */
import { type FieldTable, checkBuffer, checkUint, put16, put8, toHex, u16, u8 } from './bytes.js';
import { formatMac } from './ethernet.js';
import { formatIpv4Address } from './ipv4.js';
import { type ParseResult, WireError, WireErrorCode, ok } from './result.js';

export const ArpHardware = { ETHERNET: 1, IEEE802: 6, INFINIBAND: 32 } as const;

export const ArpOperation = {
  REQUEST: 1,
  REPLY: 2,
  RARP_REQUEST: 3,
  RARP_REPLY: 4,
  INARP_REQUEST: 8,
  INARP_REPLY: 9,
} as const;

/** Fixed part; the addresses follow at offsets that depend on hlen and plen (`arpAddressFields`). */
export const ARP_FIELDS = {
  hardwareType: [0, 2],
  protocolType: [2, 2],
  hardwareLength: [4, 1],
  protocolLength: [5, 1],
  operation: [6, 2],
} as const satisfies FieldTable;

export const ARP_FIXED_LEN = 8;

/** Offsets of the four address fields for the given address lengths. */
export function arpAddressFields(hlen: number, plen: number): FieldTable {
  return {
    senderHardwareAddress: [8, hlen],
    senderProtocolAddress: [8 + hlen, plen],
    targetHardwareAddress: [8 + hlen + plen, hlen],
    targetProtocolAddress: [8 + 2 * hlen + plen, plen],
  };
}

/** Zero-copy view of an ARP packet. */
export class ArpPacket {
  readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  check(): WireError | undefined {
    const b = this.bytes;
    if (b.length < ARP_FIXED_LEN) {
      return new WireError(WireErrorCode.TRUNCATED, `ARP header needs 8 bytes, have ${b.length}`, b.length);
    }
    if (b.length < this.length) {
      return new WireError(WireErrorCode.TRUNCATED, `ARP packet needs ${this.length} bytes for its addresses, have ${b.length}`, b.length);
    }
    return undefined;
  }

  get hardwareType(): number {
    return u16(this.bytes, 0);
  }
  set hardwareType(v: number) {
    put16(this.bytes, 0, v);
  }
  get protocolType(): number {
    return u16(this.bytes, 2);
  }
  set protocolType(v: number) {
    put16(this.bytes, 2, v);
  }
  get hardwareLength(): number {
    return u8(this.bytes, 4);
  }
  set hardwareLength(v: number) {
    put8(this.bytes, 4, v);
  }
  get protocolLength(): number {
    return u8(this.bytes, 5);
  }
  set protocolLength(v: number) {
    put8(this.bytes, 5, v);
  }
  get operation(): number {
    return u16(this.bytes, 6);
  }
  set operation(v: number) {
    put16(this.bytes, 6, v);
  }
  /** Bytes the packet occupies: 8 + 2*(hlen+plen). Anything after is link padding. */
  get length(): number {
    return ARP_FIXED_LEN + 2 * (this.hardwareLength + this.protocolLength);
  }
  private field(name: string): Uint8Array {
    const spec = arpAddressFields(this.hardwareLength, this.protocolLength)[name];
    return spec === undefined ? new Uint8Array(0) : this.bytes.subarray(spec[0], spec[0] + spec[1]);
  }
  get senderHardwareAddress(): Uint8Array {
    return this.field('senderHardwareAddress');
  }
  get senderProtocolAddress(): Uint8Array {
    return this.field('senderProtocolAddress');
  }
  get targetHardwareAddress(): Uint8Array {
    return this.field('targetHardwareAddress');
  }
  get targetProtocolAddress(): Uint8Array {
    return this.field('targetProtocolAddress');
  }

  toString(): string {
    const r = parseArp(this);
    return r.ok ? arpToString(r.value, this.bytes.length) : `[ARP: ${r.error.message}]`;
  }
}

export interface ArpRepr {
  readonly hardwareType: number;
  readonly protocolType: number;
  readonly operation: number;
  /** hlen bytes each (6 for Ethernet). */
  readonly senderHardwareAddress: Uint8Array;
  /** plen bytes each (4 for IPv4). */
  readonly senderProtocolAddress: Uint8Array;
  readonly targetHardwareAddress: Uint8Array;
  readonly targetProtocolAddress: Uint8Array;
}

export function parseArp(view: ArpPacket): ParseResult<ArpRepr> {
  const err = view.check();
  if (err !== undefined) return { ok: false, error: err };
  return ok({
    hardwareType: view.hardwareType,
    protocolType: view.protocolType,
    operation: view.operation,
    senderHardwareAddress: view.senderHardwareAddress.slice(),
    senderProtocolAddress: view.senderProtocolAddress.slice(),
    targetHardwareAddress: view.targetHardwareAddress.slice(),
    targetProtocolAddress: view.targetProtocolAddress.slice(),
  });
}

export function arpBufferLength(repr: ArpRepr): number {
  return ARP_FIXED_LEN + 2 * (repr.senderHardwareAddress.length + repr.senderProtocolAddress.length);
}

/** Write the packet; returns its length. Hardware (and protocol) addresses must agree in length. */
export function emitArp(repr: ArpRepr, buffer: Uint8Array): number {
  const hlen = repr.senderHardwareAddress.length;
  const plen = repr.senderProtocolAddress.length;
  if (repr.targetHardwareAddress.length !== hlen || repr.targetProtocolAddress.length !== plen || hlen > 255 || plen > 255) {
    throw new WireError(WireErrorCode.INVALID_REPR, 'ARP sender and target addresses must have equal lengths of at most 255 bytes', -1);
  }
  checkUint(repr.hardwareType, 0xffff, 'ARP hardware type');
  checkUint(repr.protocolType, 0xffff, 'ARP protocol type');
  checkUint(repr.operation, 0xffff, 'ARP operation');
  const len = arpBufferLength(repr);
  checkBuffer(buffer, len, 'ARP packet');
  put16(buffer, 0, repr.hardwareType);
  put16(buffer, 2, repr.protocolType);
  put8(buffer, 4, hlen);
  put8(buffer, 5, plen);
  put16(buffer, 6, repr.operation);
  let off = 8;
  for (const a of [repr.senderHardwareAddress, repr.senderProtocolAddress, repr.targetHardwareAddress, repr.targetProtocolAddress]) {
    buffer.set(a, off);
    off += a.length;
  }
  return len;
}

function hw(a: Uint8Array): string {
  return a.length === 6 ? formatMac(a) : toHex(a, ':');
}

function proto(a: Uint8Array, ptype: number): string {
  if (ptype === 0x0800 && a.length === 4) {
    return formatIpv4Address((((a[0] ?? 0) << 24) | ((a[1] ?? 0) << 16) | ((a[2] ?? 0) << 8) | (a[3] ?? 0)) >>> 0);
  }
  return toHex(a, ':');
}

/**
 * tcpdump style: "ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28". tcpdump's length is that
 * of the link payload (padding included); pass it as `length`, else the ARP packet's own length is shown.
 */
export function arpToString(repr: ArpRepr, length = arpBufferLength(repr)): string {
  const len = length;
  const tha = repr.targetHardwareAddress;
  const tpa = proto(repr.targetProtocolAddress, repr.protocolType);
  const spa = proto(repr.senderProtocolAddress, repr.protocolType);
  switch (repr.operation) {
    case ArpOperation.REQUEST:
      // tcpdump adds the target hardware address when it is not all zeros.
      return `ARP, Request who-has ${tpa}${tha.some((x) => x !== 0) ? ` (${hw(tha)})` : ''} tell ${spa}, length ${len}`;
    case ArpOperation.REPLY:
      return `ARP, Reply ${spa} is-at ${hw(repr.senderHardwareAddress)}, length ${len}`;
    case ArpOperation.RARP_REQUEST:
      return `RARP, Request who-is ${hw(repr.targetHardwareAddress)} tell ${hw(repr.senderHardwareAddress)}, length ${len}`;
    case ArpOperation.RARP_REPLY:
      return `RARP, Reply ${hw(repr.targetHardwareAddress)} at ${tpa}, length ${len}`;
    default:
      return `ARP, op ${repr.operation}, sender ${hw(repr.senderHardwareAddress)} ${spa}, target ${hw(repr.targetHardwareAddress)} ${tpa}, length ${len}`;
  }
}
