/**
 * IPv6 (RFC 8200): fixed-header view and repr, the extension-header chain, the fragment header,
 * and addresses in RFC 5952 text form.
 *
 * Addresses are 16-byte Uint8Arrays (copies in reprs). The repr covers the fixed 40-byte header;
 * extension headers are part of its payload on emit, and `walkIpv6Chain` reports them on parse.
 *
 * Invariants: after `Ipv6Packet.check()` succeeds, version is 6 and 40 + payloadLength <= bytes.length.
 * `walkIpv6Chain` never reads outside the payload and stops after at most payloadLength/8 headers.
 */
import { type FieldTable, checkBuffer, checkBytes, checkUint, put16, put32, put8, u16, u32, u8 } from './bytes.js';
import { formatIpv4Address } from './ipv4.js';
import { type ParseResult, WireError, WireErrorCode, fail, ok } from './result.js';

export const IPV6_FIELDS = {
  version: [0, 1, 0xf0],
  trafficClass: [0, 2, 0x0ff0],
  flowLabel: [1, 3, 0x0fffff],
  payloadLength: [4, 2],
  nextHeader: [6, 1],
  hopLimit: [7, 1],
  src: [8, 16],
  dst: [24, 16],
} as const satisfies FieldTable;

/** Fields of the fragment header (RFC 8200 4.5), offsets from the header's start. */
export const IPV6_FRAGMENT_FIELDS = {
  nextHeader: [0, 1],
  reserved: [1, 1],
  fragmentOffset: [2, 2, 0xfff8],
  res: [2, 2, 0x0006],
  moreFragments: [2, 2, 0x0001],
  identification: [4, 4],
} as const satisfies FieldTable;

/** Fields common to the extension headers with the RFC 8200/7045 generic layout. */
export const IPV6_EXTENSION_FIELDS = {
  nextHeader: [0, 1],
  headerExtLength: [1, 1],
} as const satisfies FieldTable;

export const IPV6_HEADER_LEN = 40;

// ---------------------------------------------------------------------------------------------
// Addresses

/** An IPv6 address: 16 bytes in network order. */
export type Ipv6Address = Uint8Array;

function isIpv4Mapped(a: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return a[10] === 0xff && a[11] === 0xff;
}

/**
 * RFC 5952 text: lower case, no leading zeros, the longest run (first if tied) of two or more zero
 * fields as "::" (4.2.2: never for a single field), IPv4-mapped addresses as ::ffff:a.b.c.d (5).
 */
export function formatIpv6Address(a: Uint8Array): string {
  if (a.length !== 16) return `<bad IPv6 address of ${a.length} bytes>`;
  if (isIpv4Mapped(a)) return `::ffff:${formatIpv4Address(u32(a, 12))}`;
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(u16(a, 2 * i));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) return w.map((x) => x.toString(16)).join(':');
  const head = w.slice(0, bestStart).map((x) => x.toString(16)).join(':');
  const tail = w.slice(bestStart + bestLen).map((x) => x.toString(16)).join(':');
  return `${head}::${tail}`;
}

/**
 * Parse IPv6 text (RFC 4291 2.2): eight hex fields, one "::", an optional dotted-quad tail.
 * Zone identifiers ("%eth0") are not addresses and are refused. Error offsets are character indexes.
 */
export function parseIpv6Address(text: string): ParseResult<Ipv6Address> {
  const bad = (why: string, at: number): ParseResult<Ipv6Address> =>
    fail(WireErrorCode.BAD_ADDRESS, `not an IPv6 address (${why}): ${JSON.stringify(text.slice(0, 60))}`, at);
  if (text.length > 45) return bad('too long', 45);
  const dbl = text.indexOf('::');
  if (dbl >= 0 && text.indexOf('::', dbl + 1) >= 0) return bad('more than one "::"', text.indexOf('::', dbl + 1));
  const words: number[] = [];
  const parseSide = (s: string, base: number, allowV4: boolean): number[] | ParseResult<Ipv6Address> => {
    if (s === '') return [];
    const parts = s.split(':');
    const out: number[] = [];
    let pos = base;
    for (let k = 0; k < parts.length; k++) {
      const p = parts[k] as string;
      if (allowV4 && k === parts.length - 1 && p.includes('.')) {
        const m = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/.exec(p);
        if (m === null || m.slice(1).some((x) => Number(x) > 255)) return bad('bad embedded IPv4 address', pos);
        const q = m.slice(1).map(Number) as [number, number, number, number];
        out.push((q[0] << 8) | q[1], (q[2] << 8) | q[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return bad(p === '' ? 'empty field' : `bad field "${p.slice(0, 8)}"`, pos);
        out.push(parseInt(p, 16));
      }
      pos += p.length + 1;
    }
    return out;
  };
  if (dbl >= 0) {
    const left = parseSide(text.slice(0, dbl), 0, false);
    if (!Array.isArray(left)) return left;
    const right = parseSide(text.slice(dbl + 2), dbl + 2, true);
    if (!Array.isArray(right)) return right;
    if (left.length + right.length > 7) return bad('too many fields around "::"', dbl);
    words.push(...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right);
  } else {
    const all = parseSide(text, 0, true);
    if (!Array.isArray(all)) return all;
    if (all.length !== 8) return bad(`${all.length} fields, not 8`, 0);
    words.push(...all);
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) put16(out, 2 * i, words[i] ?? 0);
  return ok(out);
}

/** Parse an IPv6 address or throw a WireError (BAD_ADDRESS). */
export function ipv6Address(text: string): Ipv6Address {
  const r = parseIpv6Address(text);
  if (!r.ok) throw r.error;
  return r.value;
}

// ---------------------------------------------------------------------------------------------
// View

/** Zero-copy view of an IPv6 packet. */
export class Ipv6Packet {
  readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /** Validate the version and that the payload length fits in the bytes. */
  check(): WireError | undefined {
    const b = this.bytes;
    if (b.length < IPV6_HEADER_LEN) {
      return new WireError(WireErrorCode.TRUNCATED, `IPv6 header needs 40 bytes, have ${b.length}`, b.length);
    }
    if (this.version !== 6) return new WireError(WireErrorCode.BAD_VERSION, `IP version is ${this.version}, not 6`, 0);
    // A payload length of 0 with a hop-by-hop header would be a jumbogram (RFC 2675); not supported:
    // it reads as an empty payload.
    if (b.length < IPV6_HEADER_LEN + this.payloadLength) {
      return new WireError(WireErrorCode.TRUNCATED, `IPv6 payload length ${this.payloadLength} but only ${b.length - IPV6_HEADER_LEN} bytes follow the header`, b.length);
    }
    return undefined;
  }

  get version(): number {
    return u8(this.bytes, 0) >>> 4;
  }
  get trafficClass(): number {
    return (u16(this.bytes, 0) >>> 4) & 0xff;
  }
  set trafficClass(v: number) {
    put16(this.bytes, 0, 0x6000 | ((v & 0xff) << 4) | (u8(this.bytes, 1) & 0x0f));
  }
  get flowLabel(): number {
    return u32(this.bytes, 0) & 0x000fffff;
  }
  set flowLabel(v: number) {
    put32(this.bytes, 0, ((u32(this.bytes, 0) & 0xfff00000) | (v & 0x000fffff)) >>> 0);
  }
  get payloadLength(): number {
    return u16(this.bytes, 4);
  }
  set payloadLength(v: number) {
    put16(this.bytes, 4, v);
  }
  get nextHeader(): number {
    return u8(this.bytes, 6);
  }
  set nextHeader(v: number) {
    put8(this.bytes, 6, v);
  }
  get hopLimit(): number {
    return u8(this.bytes, 7);
  }
  set hopLimit(v: number) {
    put8(this.bytes, 7, v);
  }
  get src(): Uint8Array {
    return this.bytes.subarray(8, 24);
  }
  set src(a: Uint8Array) {
    this.bytes.set(a.subarray(0, 16), 8);
  }
  get dst(): Uint8Array {
    return this.bytes.subarray(24, 40);
  }
  set dst(a: Uint8Array) {
    this.bytes.set(a.subarray(0, 16), 24);
  }
  /** Everything after the fixed header up to the payload length (extension headers included). */
  get payload(): Uint8Array {
    return this.bytes.subarray(IPV6_HEADER_LEN, IPV6_HEADER_LEN + this.payloadLength);
  }

  toString(): string {
    const r = parseIpv6(this);
    return r.ok ? ipv6ToString(r.value, walkIpv6Chain(this)) : `[IPv6: ${r.error.message}]`;
  }
}

// ---------------------------------------------------------------------------------------------
// Repr of the fixed header

export interface Ipv6Repr {
  readonly src: Ipv6Address;
  readonly dst: Ipv6Address;
  /** The first next-header value (an extension header type or the upper-layer protocol). */
  readonly nextHeader: number;
  readonly hopLimit: number;
  readonly trafficClass: number;
  readonly flowLabel: number;
  /** Bytes after the fixed header, extension headers included. */
  readonly payloadLength: number;
}

/** Defaults for the rarely varied fields (hop limit 64 as Linux): `{ ...IPV6_DEFAULTS, src, dst, nextHeader, payloadLength }`. */
export const IPV6_DEFAULTS = { hopLimit: 64, trafficClass: 0, flowLabel: 0 } as const satisfies Partial<Ipv6Repr>;

/** Parse the fixed header (addresses copied). Walk the extensions with `walkIpv6Chain`. */
export function parseIpv6(view: Ipv6Packet): ParseResult<Ipv6Repr> {
  const err = view.check();
  if (err !== undefined) return { ok: false, error: err };
  return ok({
    src: view.src.slice(),
    dst: view.dst.slice(),
    nextHeader: view.nextHeader,
    hopLimit: view.hopLimit,
    trafficClass: view.trafficClass,
    flowLabel: view.flowLabel,
    payloadLength: view.payloadLength,
  });
}

export function ipv6BufferLength(repr: Ipv6Repr): number {
  return IPV6_HEADER_LEN + repr.payloadLength;
}

/** Write the 40-byte fixed header; returns 40. The payload (extension headers first) follows it. */
export function emitIpv6(repr: Ipv6Repr, buffer: Uint8Array): number {
  checkBytes(repr.src, 16, 'IPv6 source');
  checkBytes(repr.dst, 16, 'IPv6 destination');
  checkUint(repr.nextHeader, 0xff, 'IPv6 next header');
  checkUint(repr.hopLimit, 0xff, 'IPv6 hop limit');
  checkUint(repr.trafficClass, 0xff, 'IPv6 traffic class');
  checkUint(repr.flowLabel, 0xfffff, 'IPv6 flow label');
  checkUint(repr.payloadLength, 0xffff, 'IPv6 payload length');
  checkBuffer(buffer, IPV6_HEADER_LEN, 'IPv6 header');
  put32(buffer, 0, ((6 << 28) | (repr.trafficClass << 20) | repr.flowLabel) >>> 0);
  put16(buffer, 4, repr.payloadLength);
  put8(buffer, 6, repr.nextHeader);
  put8(buffer, 7, repr.hopLimit);
  buffer.set(repr.src, 8);
  buffer.set(repr.dst, 24);
  return IPV6_HEADER_LEN;
}

// ---------------------------------------------------------------------------------------------
// Extension-header chain (RFC 8200 section 4)

/** Extension-header types (IANA "IPv6 Extension Header Types"). */
export const Ipv6ExtensionType = {
  HOP_BY_HOP: 0,
  ROUTING: 43,
  FRAGMENT: 44,
  ESP: 50,
  AH: 51,
  NO_NEXT_HEADER: 59,
  DESTINATION_OPTIONS: 60,
  MOBILITY: 135,
  HIP: 139,
  SHIM6: 140,
} as const;

const EXTENSION_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'hop-by-hop'],
  [43, 'routing'],
  [44, 'fragment'],
  [50, 'esp'],
  [51, 'ah'],
  [60, 'destination-options'],
  [135, 'mobility'],
  [139, 'hip'],
  [140, 'shim6'],
]);

/** True for the types walked as extension headers (ESP is one, but it ends the readable chain). */
export function isIpv6ExtensionHeader(t: number): boolean {
  return EXTENSION_NAMES.has(t);
}

export interface Ipv6ExtensionHeader {
  readonly type: number;
  readonly name: string;
  /** Offset from the start of the IPv6 packet. */
  readonly offset: number;
  /** Bytes the header occupies. */
  readonly length: number;
  /** The next-header value it carries. */
  readonly nextHeader: number;
  /** For a routing header: its type and segments left (bytes 2 and 3). */
  readonly routing?: { readonly routingType: number; readonly segmentsLeft: number };
}

export interface Ipv6FragmentHeader {
  readonly nextHeader: number;
  /** Offset of this fragment's data in the original payload, in bytes (a multiple of 8). */
  readonly fragmentOffset: number;
  readonly moreFragments: boolean;
  readonly identification: number;
}

export interface Ipv6Chain {
  /** Every extension header in order. */
  readonly headers: readonly Ipv6ExtensionHeader[];
  /**
   * The protocol after the last extension header (6 TCP, 17 UDP, 58 ICMPv6, 59 no next header, 50
   * ESP whose contents are opaque, or any other number).
   */
  readonly upperProtocol: number;
  /** Offset of the upper-layer data from the start of the IPv6 packet. */
  readonly upperOffset: number;
  /** Length of the upper-layer data (to the end of the payload). */
  readonly upperLength: number;
  /** Present when a fragment header was seen. */
  readonly fragment?: Ipv6FragmentHeader;
  /**
   * True when the upper-layer header is really there: false for a non-first fragment (its data is
   * the middle of the original payload), for no-next-header and for ESP.
   */
  readonly upperHeaderPresent: boolean;
  /**
   * The final destination named by a routing header with segments left (types 0, 2 and 4), which
   * replaces the IPv6 destination in upper-layer pseudo-headers (RFC 8200 8.1). A copy.
   */
  readonly finalDestination?: Ipv6Address;
  /** Set when the walk stopped on a problem; the fields above describe the headers before it. */
  readonly error?: WireError;
}

/**
 * Walk the extension-header chain of a checked packet to the upper layer. Lengths: hop-by-hop,
 * routing, destination options and the RFC 7045 generic ones are (len+1)*8 bytes; fragment is 8;
 * AH is (len+2)*4 (RFC 4302 2.2). Hop-by-hop is only allowed first (RFC 8200 4.1).
 */
export function walkIpv6Chain(view: Ipv6Packet): Ipv6Chain {
  const b = view.bytes;
  const end = IPV6_HEADER_LEN + Math.min(view.payloadLength, Math.max(0, b.length - IPV6_HEADER_LEN));
  const headers: Ipv6ExtensionHeader[] = [];
  let next = view.nextHeader;
  let off = IPV6_HEADER_LEN;
  let fragment: Ipv6FragmentHeader | undefined;
  let finalDestination: Uint8Array | undefined;
  let error: WireError | undefined;
  while (isIpv6ExtensionHeader(next) && next !== Ipv6ExtensionType.ESP) {
    const type = next;
    if (type === Ipv6ExtensionType.HOP_BY_HOP && headers.length > 0) {
      error = new WireError(WireErrorCode.BAD_EXTENSION_HEADER, `hop-by-hop options header at offset ${off} is not first (RFC 8200 4.1)`, off);
      break;
    }
    if (off + 8 > end) {
      error = new WireError(WireErrorCode.TRUNCATED, `IPv6 ${EXTENSION_NAMES.get(type) ?? type} header at offset ${off} needs 8 bytes, ${end - off} left`, off);
      break;
    }
    let len: number;
    if (type === Ipv6ExtensionType.FRAGMENT) len = 8;
    else if (type === Ipv6ExtensionType.AH) len = ((b[off + 1] as number) + 2) * 4;
    else len = ((b[off + 1] as number) + 1) * 8;
    if (off + len > end) {
      error = new WireError(WireErrorCode.TRUNCATED, `IPv6 ${EXTENSION_NAMES.get(type) ?? type} header at offset ${off} is ${len} bytes, ${end - off} left`, off + 1);
      break;
    }
    next = b[off] as number;
    const name = EXTENSION_NAMES.get(type) ?? 'unknown';
    if (type === Ipv6ExtensionType.ROUTING) {
      const routingType = b[off + 2] as number;
      const segmentsLeft = b[off + 3] as number;
      headers.push({ type, name, offset: off, length: len, nextHeader: next, routing: { routingType, segmentsLeft } });
      // Type 0 (RFC 2460, deprecated) lists addresses from byte 8, the last is final; type 2 (RFC
      // 6275) carries the home address at 8; type 4 (SRH, RFC 8754) has Segment List[0] at 8.
      if (segmentsLeft > 0 && len >= 24) {
        if (routingType === 0) finalDestination = b.slice(off + len - 16, off + len);
        else if (routingType === 2 || routingType === 4) finalDestination = b.slice(off + 8, off + 24);
      }
    } else {
      headers.push({ type, name, offset: off, length: len, nextHeader: next });
    }
    if (type === Ipv6ExtensionType.FRAGMENT) {
      const fo = u16(b, off + 2);
      fragment = { nextHeader: next, fragmentOffset: fo & 0xfff8, moreFragments: (fo & 1) === 1, identification: u32(b, off + 4) };
    }
    off += len;
  }
  const upperHeaderPresent =
    error === undefined && next !== Ipv6ExtensionType.NO_NEXT_HEADER && next !== Ipv6ExtensionType.ESP && (fragment === undefined || fragment.fragmentOffset === 0);
  return {
    headers,
    upperProtocol: next,
    upperOffset: off,
    upperLength: Math.max(0, end - off),
    ...(fragment !== undefined ? { fragment } : {}),
    upperHeaderPresent,
    ...(finalDestination !== undefined ? { finalDestination } : {}),
    ...(error !== undefined ? { error } : {}),
  };
}

/** The addresses for an upper-layer pseudo-header: the final destination when a routing header names one. */
export function ipv6PseudoHeaderAddresses(repr: Ipv6Repr, chain: Ipv6Chain): { readonly src: Ipv6Address; readonly dst: Ipv6Address } {
  return { src: repr.src, dst: chain.finalDestination ?? repr.dst };
}

/** Write an 8-byte fragment header at buffer[0, 8); returns 8. */
export function emitIpv6FragmentHeader(h: Ipv6FragmentHeader, buffer: Uint8Array): number {
  checkUint(h.nextHeader, 0xff, 'fragment next header');
  checkUint(h.fragmentOffset, 0xfff8, 'fragment offset');
  if (h.fragmentOffset % 8 !== 0) throw new WireError(WireErrorCode.INVALID_REPR, `fragment offset ${h.fragmentOffset} is not a multiple of 8`, -1);
  checkUint(h.identification, 0xffffffff, 'fragment identification');
  checkBuffer(buffer, 8, 'IPv6 fragment header');
  put8(buffer, 0, h.nextHeader);
  put8(buffer, 1, 0);
  put16(buffer, 2, h.fragmentOffset | (h.moreFragments ? 1 : 0));
  put32(buffer, 4, h.identification);
  return 8;
}

/** tcpdump's names for next-header values in the IPv6 line. */
const NEXT_HEADER_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'Options'],
  [6, 'TCP'],
  [17, 'UDP'],
  [43, 'Routing'],
  [44, 'Fragment'],
  [50, 'ESP'],
  [51, 'AH'],
  [58, 'ICMPv6'],
  [59, 'NoNext'],
  [60, 'DstOptions'],
]);

/**
 * tcpdump -v style: "IP6 (class 0x20, flowlabel 0xabcde, hlim 64, next-header TCP (6) payload length: 40)
 * 2001:db8::1 > 2001:db8::2", plus the extension headers and fragment when a chain is given.
 */
export function ipv6ToString(repr: Ipv6Repr, chain?: Ipv6Chain): string {
  const parts: string[] = [];
  if (repr.trafficClass !== 0) parts.push(`class 0x${repr.trafficClass.toString(16)}`);
  if (repr.flowLabel !== 0) parts.push(`flowlabel 0x${repr.flowLabel.toString(16).padStart(5, '0')}`);
  parts.push(`hlim ${repr.hopLimit}`);
  const nh = `next-header ${NEXT_HEADER_NAMES.get(repr.nextHeader) ?? 'unknown'} (${repr.nextHeader})`;
  let s = `IP6 (${parts.join(', ')}, ${nh} payload length: ${repr.payloadLength}) ${formatIpv6Address(repr.src)} > ${formatIpv6Address(repr.dst)}`;
  if (chain !== undefined) {
    const ext: string[] = [];
    for (const h of chain.headers) {
      if (h.type === Ipv6ExtensionType.FRAGMENT && chain.fragment !== undefined) {
        const f = chain.fragment;
        ext.push(`frag (0x${f.identification.toString(16).padStart(8, '0')}:${f.fragmentOffset}|${chain.upperLength})${f.moreFragments ? ' +' : ''}`);
      } else {
        ext.push(`${h.name} (${h.length})`);
      }
    }
    if (ext.length > 0) s += `: ${ext.join(' ')}`;
  }
  return s;
}
