/**
 * IPv4 (RFC 791): header view, repr, options, header checksum, addresses.
 *
 * Addresses are plain numbers in [0, 2^32) (the 32 bits in network order as an unsigned integer),
 * so that they compare, mask and hash cheaply. Options are kept raw in the repr (so emit(parse(x))
 * reproduces x) and named by `parseIpv4Options`.
 *
 * Invariant: after `Ipv4Packet.check()` succeeds, version is 4, 20 <= headerLength <= totalLength
 * <= bytes.length; every getter reads inside the bytes and `payload` is exactly the datagram's
 * payload (link padding after totalLength excluded).
 */
import { type FieldTable, checkBuffer, checkUint, put16, put32, put8, u16, u32, u8 } from './bytes.js';
import { checksumAdd, checksumFinish, internetChecksum } from './checksum.js';
import { type ParseResult, WireError, WireErrorCode, fail, ok } from './result.js';

/** IP protocol numbers (IANA "Assigned Internet Protocol Numbers"); open: others stay numbers. */
export const IpProtocol = {
  HOPOPT: 0,
  ICMP: 1,
  IGMP: 2,
  IPIP: 4,
  TCP: 6,
  UDP: 17,
  IPV6: 41,
  IPV6_ROUTE: 43,
  IPV6_FRAG: 44,
  GRE: 47,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  IPV6_NONXT: 59,
  IPV6_OPTS: 60,
  SCTP: 132,
  MOBILITY: 135,
  UDPLITE: 136,
  HIP: 139,
  SHIM6: 140,
} as const;

const PROTOCOL_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'HOPOPT'],
  [1, 'ICMP'],
  [2, 'IGMP'],
  [4, 'IPIP'],
  [6, 'TCP'],
  [17, 'UDP'],
  [41, 'IPv6'],
  [43, 'IPv6-Route'],
  [44, 'IPv6-Frag'],
  [47, 'GRE'],
  [50, 'ESP'],
  [51, 'AH'],
  [58, 'ICMPv6'],
  [59, 'IPv6-NoNxt'],
  [60, 'IPv6-Opts'],
  [132, 'SCTP'],
  [135, 'Mobility'],
  [136, 'UDPLite'],
  [139, 'HIP'],
  [140, 'Shim6'],
]);

/** "TCP", "UDP", ... or undefined for numbers without a name here. */
export function ipProtocolName(p: number): string | undefined {
  return PROTOCOL_NAMES.get(p);
}

export const IPV4_FIELDS = {
  version: [0, 1, 0xf0],
  ihl: [0, 1, 0x0f],
  dscp: [1, 1, 0xfc],
  ecn: [1, 1, 0x03],
  totalLength: [2, 2],
  identification: [4, 2],
  reservedFlag: [6, 2, 0x8000],
  dontFragment: [6, 2, 0x4000],
  moreFragments: [6, 2, 0x2000],
  fragmentOffset: [6, 2, 0x1fff],
  ttl: [8, 1],
  protocol: [9, 1],
  checksum: [10, 2],
  src: [12, 4],
  dst: [16, 4],
} as const satisfies FieldTable;

export const IPV4_HEADER_LEN = 20;
export const IPV4_MAX_HEADER_LEN = 60;

// ---------------------------------------------------------------------------------------------
// Addresses

/** An IPv4 address as an unsigned 32-bit number (10.0.0.1 = 0x0a000001). */
export type Ipv4Address = number;

/** Dotted quad: "131.107.2.214". */
export function formatIpv4Address(a: Ipv4Address): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/**
 * Parse a dotted quad (exactly four decimal parts 0-255, no leading zeros, as inet_pton does);
 * the error offset is a character index.
 */
export function parseIpv4Address(text: string): ParseResult<Ipv4Address> {
  const parts = text.split('.');
  if (parts.length !== 4) return fail(WireErrorCode.BAD_ADDRESS, `not an IPv4 address: ${JSON.stringify(text.slice(0, 40))}`, 0);
  let v = 0;
  let pos = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) {
      return fail(WireErrorCode.BAD_ADDRESS, `bad IPv4 address part ${JSON.stringify(p.slice(0, 10))} in ${JSON.stringify(text.slice(0, 40))}`, pos);
    }
    v = v * 256 + Number(p);
    pos += p.length + 1;
  }
  return ok(v);
}

/** Parse an IPv4 address or throw a WireError (BAD_ADDRESS). */
export function ipv4Address(text: string): Ipv4Address {
  const r = parseIpv4Address(text);
  if (!r.ok) throw r.error;
  return r.value;
}

/** The address as 4 bytes in network order. */
export function ipv4AddressBytes(a: Ipv4Address): Uint8Array {
  return new Uint8Array([a >>> 24, a >>> 16, a >>> 8, a]);
}

// ---------------------------------------------------------------------------------------------
// Options (RFC 791 section 3.1; names from the IANA "IP Option Numbers" registry)

const IPV4_OPTION_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'eol'],
  [1, 'nop'],
  [7, 'recordRoute'],
  [68, 'timestamp'],
  [130, 'security'],
  [131, 'looseSourceRoute'],
  [133, 'extendedSecurity'],
  [134, 'commercialSecurity'],
  [136, 'streamId'],
  [137, 'strictSourceRoute'],
  [148, 'routerAlert'],
]);

export interface Ipv4Option {
  /** The option-type octet (copied flag, class and number). */
  readonly type: number;
  /** A name from the IANA registry, or 'unknown'. */
  readonly name: string;
  /** Offset of the option from the start of the IP header. */
  readonly offset: number;
  /** Bytes the option occupies (1 for eol/nop). */
  readonly length: number;
  /** The option's data after type and length (empty for eol/nop). A copy. */
  readonly data: Uint8Array;
}

export interface Ipv4OptionList {
  readonly options: readonly Ipv4Option[];
  /** Set when the list could not be walked to the end; `options` holds what came before. */
  readonly error?: WireError;
}

/**
 * Walk the raw option bytes (as in `Ipv4Repr.options`); offsets are from the start of the IP header
 * (options start at 20). Stops at end-of-option-list; the bytes after it are padding.
 */
export function parseIpv4Options(bytes: Uint8Array): Ipv4OptionList {
  const options: Ipv4Option[] = [];
  let i = 0;
  while (i < bytes.length) {
    const type = bytes[i] as number;
    const offset = IPV4_HEADER_LEN + i;
    if (type === 0 || type === 1) {
      options.push({ type, name: type === 0 ? 'eol' : 'nop', offset, length: 1, data: new Uint8Array(0) });
      i++;
      if (type === 0) break;
      continue;
    }
    if (i + 1 >= bytes.length) {
      return { options, error: new WireError(WireErrorCode.BAD_OPTION, `IPv4 option ${type} at offset ${offset} has no length byte`, offset) };
    }
    const len = bytes[i + 1] as number;
    if (len < 2 || i + len > bytes.length) {
      return { options, error: new WireError(WireErrorCode.BAD_OPTION, `IPv4 option ${type} at offset ${offset} has illegal length ${len}`, offset + 1) };
    }
    options.push({ type, name: IPV4_OPTION_NAMES.get(type) ?? 'unknown', offset, length: len, data: bytes.slice(i + 2, i + len) });
    i += len;
  }
  return { options };
}

// ---------------------------------------------------------------------------------------------
// View

/** Zero-copy view of an IPv4 datagram. */
export class Ipv4Packet {
  readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /** Validate version and the three lengths (IHL, total length, bytes available). */
  check(): WireError | undefined {
    const b = this.bytes;
    if (b.length < IPV4_HEADER_LEN) {
      return new WireError(WireErrorCode.TRUNCATED, `IPv4 header needs 20 bytes, have ${b.length}`, b.length);
    }
    if (this.version !== 4) return new WireError(WireErrorCode.BAD_VERSION, `IP version is ${this.version}, not 4`, 0);
    const hl = this.headerLength;
    if (hl < IPV4_HEADER_LEN) {
      return new WireError(WireErrorCode.BAD_HEADER_LENGTH, `IPv4 header length ${hl} is below 20 (IHL ${hl / 4})`, 0);
    }
    if (b.length < hl) return new WireError(WireErrorCode.TRUNCATED, `IPv4 header length ${hl} but only ${b.length} bytes`, b.length);
    const total = this.totalLength;
    if (total < hl) {
      return new WireError(WireErrorCode.BAD_LENGTH, `IPv4 total length ${total} is less than the header length ${hl}`, 2);
    }
    if (b.length < total) return new WireError(WireErrorCode.TRUNCATED, `IPv4 total length ${total} but only ${b.length} bytes`, b.length);
    return undefined;
  }

  get version(): number {
    return u8(this.bytes, 0) >>> 4;
  }
  /** Header length in bytes (IHL * 4). */
  get headerLength(): number {
    return (u8(this.bytes, 0) & 0x0f) * 4;
  }
  /** Sets version 4 and IHL = bytes / 4. */
  set headerLength(bytes: number) {
    put8(this.bytes, 0, 0x40 | ((bytes >>> 2) & 0x0f));
  }
  get dscp(): number {
    return u8(this.bytes, 1) >>> 2;
  }
  set dscp(v: number) {
    put8(this.bytes, 1, ((v & 0x3f) << 2) | (u8(this.bytes, 1) & 0x03));
  }
  get ecn(): number {
    return u8(this.bytes, 1) & 0x03;
  }
  set ecn(v: number) {
    put8(this.bytes, 1, (u8(this.bytes, 1) & 0xfc) | (v & 0x03));
  }
  get totalLength(): number {
    return u16(this.bytes, 2);
  }
  set totalLength(v: number) {
    put16(this.bytes, 2, v);
  }
  get identification(): number {
    return u16(this.bytes, 4);
  }
  set identification(v: number) {
    put16(this.bytes, 4, v);
  }
  /** The reserved flag bit (must be zero, RFC 791). */
  get reservedFlag(): boolean {
    return (u8(this.bytes, 6) & 0x80) !== 0;
  }
  get dontFragment(): boolean {
    return (u8(this.bytes, 6) & 0x40) !== 0;
  }
  set dontFragment(v: boolean) {
    put8(this.bytes, 6, (u8(this.bytes, 6) & ~0x40) | (v ? 0x40 : 0));
  }
  get moreFragments(): boolean {
    return (u8(this.bytes, 6) & 0x20) !== 0;
  }
  set moreFragments(v: boolean) {
    put8(this.bytes, 6, (u8(this.bytes, 6) & ~0x20) | (v ? 0x20 : 0));
  }
  /** Fragment offset in bytes (the 13-bit field times 8), as tshark's ip.frag_offset. */
  get fragmentOffset(): number {
    return (u16(this.bytes, 6) & 0x1fff) * 8;
  }
  set fragmentOffset(bytes: number) {
    put16(this.bytes, 6, (u16(this.bytes, 6) & 0xe000) | ((bytes >>> 3) & 0x1fff));
  }
  get ttl(): number {
    return u8(this.bytes, 8);
  }
  set ttl(v: number) {
    put8(this.bytes, 8, v);
  }
  get protocol(): number {
    return u8(this.bytes, 9);
  }
  set protocol(v: number) {
    put8(this.bytes, 9, v);
  }
  get checksum(): number {
    return u16(this.bytes, 10);
  }
  set checksum(v: number) {
    put16(this.bytes, 10, v);
  }
  get src(): Ipv4Address {
    return u32(this.bytes, 12);
  }
  set src(a: Ipv4Address) {
    put32(this.bytes, 12, a);
  }
  get dst(): Ipv4Address {
    return u32(this.bytes, 16);
  }
  set dst(a: Ipv4Address) {
    put32(this.bytes, 16, a);
  }
  /** The raw option bytes (between byte 20 and the header length). */
  get options(): Uint8Array {
    return this.bytes.subarray(IPV4_HEADER_LEN, Math.max(IPV4_HEADER_LEN, this.headerLength));
  }
  /** The payload: header length to total length (link padding excluded). */
  get payload(): Uint8Array {
    return this.bytes.subarray(this.headerLength, Math.max(this.headerLength, this.totalLength));
  }
  /** True when the header checksum verifies (the sum over the header including the field is 0). */
  verifyChecksum(): boolean {
    const hl = this.headerLength;
    return hl >= IPV4_HEADER_LEN && this.bytes.length >= hl && internetChecksum(this.bytes, 0, hl) === 0;
  }
  /** Compute and store the header checksum. */
  fillChecksum(): void {
    this.checksum = 0;
    this.checksum = internetChecksum(this.bytes, 0, this.headerLength);
  }

  toString(): string {
    const r = parseIpv4(this, { verifyChecksum: false });
    return r.ok ? ipv4ToString(r.value) : `[IPv4: ${r.error.message}]`;
  }
}

// ---------------------------------------------------------------------------------------------
// Repr

export interface Ipv4Repr {
  readonly src: Ipv4Address;
  readonly dst: Ipv4Address;
  readonly protocol: number;
  readonly ttl: number;
  /** Differentiated services code point, 6 bits. */
  readonly dscp: number;
  /** ECN codepoint, 2 bits (RFC 3168). */
  readonly ecn: number;
  readonly identification: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  /** Fragment offset in bytes; a multiple of 8. */
  readonly fragmentOffset: number;
  /** Raw option bytes, a multiple of 4 long, at most 40 (empty when none). */
  readonly options: Uint8Array;
  /** Length of the payload after the header (total length minus header length). */
  readonly payloadLength: number;
}

/**
 * Defaults for the fields a sender rarely varies (TTL 64 as Linux, DF set as for PMTU discovery
 * (RFC 1191), no options): `{ ...IPV4_DEFAULTS, src, dst, protocol, payloadLength, identification }`.
 */
export const IPV4_DEFAULTS = {
  ttl: 64,
  dscp: 0,
  ecn: 0,
  identification: 0,
  dontFragment: true,
  moreFragments: false,
  fragmentOffset: 0,
  options: new Uint8Array(0),
} as const satisfies Partial<Ipv4Repr>;

export interface Ipv4ParseOptions {
  /** Verify the header checksum (default true); a bad one gives BAD_CHECKSUM. */
  readonly verifyChecksum?: boolean;
}

/**
 * Parse the header. The reserved flag bit is ignored (RFC 791: must be zero; receivers do not
 * reject on it). The payload stays in the view (`Ipv4Packet.payload`).
 */
export function parseIpv4(view: Ipv4Packet, options: Ipv4ParseOptions = {}): ParseResult<Ipv4Repr> {
  const err = view.check();
  if (err !== undefined) return { ok: false, error: err };
  if ((options.verifyChecksum ?? true) && !view.verifyChecksum()) {
    return fail(WireErrorCode.BAD_CHECKSUM, `IPv4 header checksum 0x${view.checksum.toString(16).padStart(4, '0')} is wrong`, 10);
  }
  return ok({
    src: view.src,
    dst: view.dst,
    protocol: view.protocol,
    ttl: view.ttl,
    dscp: view.dscp,
    ecn: view.ecn,
    identification: view.identification,
    dontFragment: view.dontFragment,
    moreFragments: view.moreFragments,
    fragmentOffset: view.fragmentOffset,
    options: view.options.slice(),
    payloadLength: view.totalLength - view.headerLength,
  });
}

export function ipv4HeaderLength(repr: Ipv4Repr): number {
  return IPV4_HEADER_LEN + repr.options.length;
}

/** Header plus payload: the datagram's total length. */
export function ipv4BufferLength(repr: Ipv4Repr): number {
  return ipv4HeaderLength(repr) + repr.payloadLength;
}

/**
 * Write the header (with its checksum) into buffer[0, headerLength); returns headerLength. The
 * payload goes after it; the caller writes it (before or after, the IPv4 checksum covers only the header).
 */
export function emitIpv4(repr: Ipv4Repr, buffer: Uint8Array): number {
  const hl = ipv4HeaderLength(repr);
  if (repr.options.length % 4 !== 0 || repr.options.length > 40) {
    throw new WireError(WireErrorCode.INVALID_REPR, `IPv4 options must be a multiple of 4 bytes, at most 40; got ${repr.options.length}`, -1);
  }
  const total = hl + repr.payloadLength;
  // One test for the usual case (every field in range); the named checks only to say which is not.
  if (
    repr.src >>> 0 !== repr.src ||
    repr.dst >>> 0 !== repr.dst ||
    (repr.protocol & 0xff) !== repr.protocol ||
    (repr.ttl & 0xff) !== repr.ttl ||
    (repr.dscp & 0x3f) !== repr.dscp ||
    (repr.ecn & 3) !== repr.ecn ||
    (repr.identification & 0xffff) !== repr.identification ||
    (repr.fragmentOffset & 0xfff8) !== repr.fragmentOffset ||
    (total & 0xffff) !== total
  ) {
    checkUint(repr.src, 0xffffffff, 'IPv4 source');
    checkUint(repr.dst, 0xffffffff, 'IPv4 destination');
    checkUint(repr.protocol, 0xff, 'IPv4 protocol');
    checkUint(repr.ttl, 0xff, 'IPv4 TTL');
    checkUint(repr.dscp, 0x3f, 'IPv4 DSCP');
    checkUint(repr.ecn, 3, 'IPv4 ECN');
    checkUint(repr.identification, 0xffff, 'IPv4 identification');
    checkUint(repr.fragmentOffset, 0x1fff * 8, 'IPv4 fragment offset');
    if (repr.fragmentOffset % 8 !== 0) {
      throw new WireError(WireErrorCode.INVALID_REPR, `IPv4 fragment offset ${repr.fragmentOffset} is not a multiple of 8`, -1);
    }
    checkUint(total, 0xffff, 'IPv4 total length');
  }
  checkBuffer(buffer, hl, 'IPv4 header');
  put8(buffer, 0, 0x40 | (hl >>> 2));
  put8(buffer, 1, (repr.dscp << 2) | repr.ecn);
  put16(buffer, 2, total);
  put16(buffer, 4, repr.identification);
  put16(buffer, 6, (repr.dontFragment ? 0x4000 : 0) | (repr.moreFragments ? 0x2000 : 0) | (repr.fragmentOffset >>> 3));
  put8(buffer, 8, repr.ttl);
  put8(buffer, 9, repr.protocol);
  put16(buffer, 10, 0);
  put32(buffer, 12, repr.src);
  put32(buffer, 16, repr.dst);
  if (hl > IPV4_HEADER_LEN) buffer.set(repr.options, IPV4_HEADER_LEN);
  put16(buffer, 10, checksumFinish(checksumAdd(0, buffer, 0, hl)));
  return hl;
}

const ECN_NAMES = ['', ',ECT(1)', ',ECT(0)', ',CE'] as const;

/**
 * tcpdump -v style: "IP (tos 0x0, ttl 128, id 3329, offset 0, flags [DF], proto TCP (6), length 44)
 * 131.107.2.214 > 131.107.2.211". Options are listed by name.
 */
export function ipv4ToString(repr: Ipv4Repr): string {
  const flags = [repr.moreFragments ? '+' : '', repr.dontFragment ? 'DF' : ''].filter((f) => f !== '').join(', ');
  const tos = (repr.dscp << 2) | repr.ecn;
  const optNames = parseIpv4Options(repr.options).options.map((o) => o.name);
  const opts = optNames.length > 0 ? `, options (${optNames.join(',')})` : '';
  return (
    `IP (tos 0x${tos.toString(16)}${ECN_NAMES[repr.ecn] ?? ''}, ttl ${repr.ttl}, id ${repr.identification}, offset ${repr.fragmentOffset}, ` +
    `flags [${flags === '' ? 'none' : flags}], proto ${ipProtocolName(repr.protocol) ?? 'unknown'} (${repr.protocol}), ` +
    `length ${ipv4BufferLength(repr)}${opts}) ${formatIpv4Address(repr.src)} > ${formatIpv4Address(repr.dst)}`
  );
}
