/**
 * TCP header (RFC 9293 section 3.1): flags, options, the view, and the repr shared by the codec
 * and the engine.
 *
 * The repr is a plain value: `seq`, `ack` are raw 32-bit numbers; `window` is the raw 16-bit field
 * (unscaled); `options` keeps every option in wire order, unknown kinds as raw bytes, so that
 * emit(parse(x)) reproduces x (when the bytes after an end-of-option-list are the zero padding of
 * fewer than 4 bytes, which is what emit writes). `payload` aliases the parsed bytes (zero-copy).
 *
 * Invariants: after `TcpPacket.check()` succeeds, 20 <= headerLength <= bytes.length; getters read
 * inside the header. `parseTcpOptions` never reads outside the bytes it is given and reports an
 * illegal option length with its offset instead of throwing (RFC 9293 MUST-7).
 */
import { type FieldTable, checkBuffer, checkUint, copyInto, put16, put32, put8, toHex, u16, u32, u8 } from './bytes.js';
import { checksumAdd, checksumFinish } from './checksum.js';
import { type ParseResult, WireError, WireErrorCode, fail, ok } from './result.js';
import { type IpAddressPair, pseudoHeaderSum } from './ip.js';

/** Flag bits as they sit in the low 9 bits of bytes 12-13 (AE is RFC 9293's former NS bit). */
export const TcpFlag = {
  FIN: 0x001,
  SYN: 0x002,
  RST: 0x004,
  PSH: 0x008,
  ACK: 0x010,
  URG: 0x020,
  ECE: 0x040,
  CWR: 0x080,
  AE: 0x100,
} as const;

export interface SackBlock {
  readonly left: number;
  readonly right: number;
}

/** One TCP option. Names are also the `name` values in `synack decode --json`. */
export type TcpOption =
  | { readonly kind: 0; readonly name: 'eol' }
  | { readonly kind: 1; readonly name: 'nop' }
  | { readonly kind: 2; readonly name: 'mss'; readonly mss: number }
  | { readonly kind: 3; readonly name: 'wscale'; readonly shift: number }
  | { readonly kind: 4; readonly name: 'sackPermitted' }
  | { readonly kind: 5; readonly name: 'sack'; readonly blocks: readonly SackBlock[] }
  | { readonly kind: 8; readonly name: 'timestamps'; readonly tsval: number; readonly tsecr: number }
  | { readonly kind: number; readonly name: 'unknown'; readonly data: Uint8Array };

/** A TCP segment as a plain value. */
export interface TcpRepr {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  /** OR of TcpFlag bits (9 bits). */
  readonly flags: number;
  /** The raw 16-bit window field, before any window-scale shift. */
  readonly window: number;
  readonly urgentPointer: number;
  readonly options: readonly TcpOption[];
  readonly payload: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Field table and constants

/** Field table (offsets from the TCP header start); flag entries are bit masks over bytes 12-13. */
export const TCP_FIELDS = {
  srcPort: [0, 2],
  dstPort: [2, 2],
  seq: [4, 4],
  ack: [8, 4],
  dataOffset: [12, 1, 0xf0],
  reserved: [12, 1, 0x0e],
  flags: [12, 2, 0x01ff],
  window: [14, 2],
  checksum: [16, 2],
  urgentPointer: [18, 2],
} as const satisfies FieldTable;

/** The flag bits, named as in `synack decode --json`; masks over the 16 bits at offset 12. */
export const TCP_FLAG_FIELDS = {
  fin: [12, 2, 0x0001],
  syn: [12, 2, 0x0002],
  rst: [12, 2, 0x0004],
  psh: [12, 2, 0x0008],
  ack: [12, 2, 0x0010],
  urg: [12, 2, 0x0020],
  ece: [12, 2, 0x0040],
  cwr: [12, 2, 0x0080],
  ae: [12, 2, 0x0100],
} as const satisfies FieldTable;

export const TCP_HEADER_LEN = 20;
export const TCP_MAX_HEADER_LEN = 60;
/** Room for options: 40 bytes (data offset at most 15 words). */
export const TCP_MAX_OPTIONS_LEN = 40;

/** Option kinds (IANA "TCP Option Kind Numbers"). */
export const TcpOptionKind = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WINDOW_SCALE: 3,
  SACK_PERMITTED: 4,
  SACK: 5,
  TIMESTAMPS: 8,
  MD5: 19,
  USER_TIMEOUT: 28,
  AUTHENTICATION: 29,
  MPTCP: 30,
  FAST_OPEN: 34,
  EXPERIMENT_1: 253,
  EXPERIMENT_2: 254,
} as const;

/** Fixed option lengths (RFC 9293 3.2, RFC 7323 2.2/3.2, RFC 2018 2). */
const FIXED_OPTION_LENGTH: ReadonlyMap<number, number> = new Map([
  [TcpOptionKind.MSS, 4],
  [TcpOptionKind.WINDOW_SCALE, 3],
  [TcpOptionKind.SACK_PERMITTED, 2],
  [TcpOptionKind.TIMESTAMPS, 10],
]);

/** tcpdump's names for kinds we keep as 'unknown'. */
const UNKNOWN_OPTION_NAMES: ReadonlyMap<number, string> = new Map([
  [19, 'md5'],
  [27, 'qs'],
  [28, 'uto'],
  [29, 'tcp-ao'],
  [30, 'mptcp'],
  [34, 'tfo'],
  [253, 'exp'],
  [254, 'exp'],
]);

// ---------------------------------------------------------------------------------------------
// Options

export interface TcpOptionList {
  /** The options decoded before any problem, in wire order. */
  readonly options: readonly TcpOption[];
  /** offsets[i] is where options[i] starts (from the TCP header start when `base` is 20). */
  readonly offsets: readonly number[];
  /** Set when an option has an illegal length; `offset` points at the offending byte. */
  readonly error?: WireError;
}

/** The one NOP value every option list shares (reprs are read-only). */
const NOP: TcpOption = Object.freeze({ kind: 1, name: 'nop' });
const NOP_NOP_TS_OFFSETS: readonly number[] = Object.freeze([20, 21, 22]);

function badOption(options: TcpOption[], offsets: number[], message: string, offset: number): TcpOptionList {
  return { options, offsets, error: new WireError(WireErrorCode.BAD_OPTION, message, offset) };
}

/**
 * Decode TCP options from `bytes` (the option area, after the 20-byte fixed header). Offsets in the
 * result and in errors are `base` + index (base 20 = from the TCP header start).
 *
 * Stops at end-of-option-list (RFC 9293 3.1: the rest is padding). Unknown kinds are kept with
 * their raw data (MUST-6 ignores them, MUST-68 says each has a length). An illegal length - a
 * kind without a length byte, a length of 0 or 1, one running past the option area, or a wrong
 * length for MSS (4), window scale (3), SACK-permitted (2), timestamps (10), SACK (2 + 8n, n >= 1) -
 * is reported with its offset and ends the walk (MUST-7).
 */
export function parseTcpOptions(bytes: Uint8Array, base = TCP_HEADER_LEN, start = 0, end = bytes.length): TcpOptionList {
  // The usual option area of an established connection (Linux, and our engine): NOP, NOP,
  // timestamps. Shared NOP values and offsets: reprs are read-only.
  if (end - start === 12 && bytes[start] === 1 && bytes[start + 1] === 1 && bytes[start + 2] === 8 && bytes[start + 3] === 10) {
    const ts: TcpOption = { kind: 8, name: 'timestamps', tsval: u32(bytes, start + 4), tsecr: u32(bytes, start + 8) };
    return { options: [NOP, NOP, ts], offsets: base === TCP_HEADER_LEN ? NOP_NOP_TS_OFFSETS : [base, base + 1, base + 2] };
  }
  const options: TcpOption[] = [];
  const offsets: number[] = [];
  // (No closures here: this runs per segment, and bundlers that keep function names wrap each one.)
  // Offsets are reported from `base` at bytes[start]; the walk indexes bytes[start + i].
  const n = end - start;
  if (start !== 0) return parseTcpOptions(bytes.subarray(start, end), base);
  let i = 0;
  while (i < n) {
    const kind = bytes[i] as number;
    if (kind === TcpOptionKind.EOL) {
      options.push({ kind: 0, name: 'eol' });
      offsets.push(base + i);
      break;
    }
    if (kind === TcpOptionKind.NOP) {
      options.push(NOP);
      offsets.push(base + i);
      i++;
      continue;
    }
    if (i + 1 >= n) return badOption(options, offsets, `TCP option kind ${kind} at offset ${base + i} has no length byte`, base + i);
    const len = bytes[i + 1] as number;
    if (len < 2) return badOption(options, offsets, `TCP option kind ${kind} at offset ${base + i} has illegal length ${len}`, base + i + 1);
    if (i + len > n) {
      return badOption(options, offsets, `TCP option kind ${kind} at offset ${base + i} has length ${len}, only ${n - i} bytes of options left`, base + i + 1);
    }
    const fixed = FIXED_OPTION_LENGTH.get(kind);
    if (fixed !== undefined && len !== fixed) {
      return badOption(options, offsets, `TCP option kind ${kind} at offset ${base + i} has length ${len}, must be ${fixed}`, base + i + 1);
    }
    switch (kind) {
      case TcpOptionKind.MSS:
        options.push({ kind: 2, name: 'mss', mss: u16(bytes, i + 2) });
        break;
      case TcpOptionKind.WINDOW_SCALE:
        options.push({ kind: 3, name: 'wscale', shift: bytes[i + 2] as number });
        break;
      case TcpOptionKind.SACK_PERMITTED:
        options.push({ kind: 4, name: 'sackPermitted' });
        break;
      case TcpOptionKind.TIMESTAMPS:
        options.push({ kind: 8, name: 'timestamps', tsval: u32(bytes, i + 2), tsecr: u32(bytes, i + 6) });
        break;
      case TcpOptionKind.SACK: {
        if (len < 10 || (len - 2) % 8 !== 0) {
          return badOption(options, offsets, `TCP SACK option at offset ${base + i} has length ${len}, must be 2 + 8n (n >= 1)`, base + i + 1);
        }
        const blocks: SackBlock[] = [];
        for (let k = i + 2; k < i + len; k += 8) blocks.push({ left: u32(bytes, k), right: u32(bytes, k + 4) });
        options.push({ kind: 5, name: 'sack', blocks });
        break;
      }
      default:
        options.push({ kind, name: 'unknown', data: bytes.slice(i + 2, i + len) });
    }
    offsets.push(base + i);
    i += len;
  }
  return { options, offsets };
}

/** Bytes one option takes on the wire. */
export function tcpOptionLength(o: TcpOption): number {
  switch (o.name) {
    case 'eol':
    case 'nop':
      return 1;
    case 'mss':
      return 4;
    case 'wscale':
      return 3;
    case 'sackPermitted':
      return 2;
    case 'timestamps':
      return 10;
    case 'sack':
      return 2 + 8 * o.blocks.length;
    case 'unknown':
      return 2 + o.data.length;
  }
}

/** Bytes the options take, before padding to a multiple of 4. */
export function tcpOptionsLength(options: readonly TcpOption[]): number {
  if (isNopNopTs(options)) return 12;
  let n = 0;
  for (const o of options) n += tcpOptionLength(o);
  return n;
}

/**
 * Write the options at buffer[offset...] and zero-pad (end-of-option-list bytes) to a multiple of
 * 4; returns the padded length. Throws INVALID_REPR for values out of range or more than 40 bytes.
 */
/** NOP, NOP, timestamps: what every segment of an established connection with timestamps carries. */
function isNopNopTs(options: readonly TcpOption[]): boolean {
  return options.length === 3 && options[0]?.kind === 1 && options[1]?.kind === 1 && options[2]?.kind === 8;
}

export function emitTcpOptions(options: readonly TcpOption[], buffer: Uint8Array, offset: number): number {
  const ts = isNopNopTs(options) ? (options[2] as Extract<TcpOption, { name: 'timestamps' }>) : undefined;
  if (ts !== undefined && ts.tsval >>> 0 === ts.tsval && ts.tsecr >>> 0 === ts.tsecr) {
    // (Out-of-range values take the general path below, which says which one.)
    checkBuffer(buffer, offset + 12, 'TCP options');
    buffer[offset] = 1;
    buffer[offset + 1] = 1;
    buffer[offset + 2] = 8;
    buffer[offset + 3] = 10;
    put32(buffer, offset + 4, ts.tsval);
    put32(buffer, offset + 8, ts.tsecr);
    return 12;
  }
  const raw = tcpOptionsLength(options);
  if (raw > TCP_MAX_OPTIONS_LEN) {
    throw new WireError(WireErrorCode.INVALID_REPR, `TCP options take ${raw} bytes, at most ${TCP_MAX_OPTIONS_LEN} fit`, -1);
  }
  const padded = (raw + 3) & ~3;
  checkBuffer(buffer, offset + padded, 'TCP options');
  let i = offset;
  let ended = false;
  for (const o of options) {
    // RFC 9293 3.1 (MUST-69): what follows end-of-option-list is padding and must be zero, so no
    // option may come after an EOL.
    if (ended) throw new WireError(WireErrorCode.INVALID_REPR, `TCP option ${o.name} after end-of-option-list`, -1);
    switch (o.name) {
      case 'eol':
        ended = true;
        put8(buffer, i, o.kind);
        break;
      case 'nop':
        put8(buffer, i, o.kind);
        break;
      case 'mss':
        checkUint(o.mss, 0xffff, 'MSS');
        put8(buffer, i, 2);
        put8(buffer, i + 1, 4);
        put16(buffer, i + 2, o.mss);
        break;
      case 'wscale':
        checkUint(o.shift, 0xff, 'window scale shift');
        put8(buffer, i, 3);
        put8(buffer, i + 1, 3);
        put8(buffer, i + 2, o.shift);
        break;
      case 'sackPermitted':
        put8(buffer, i, 4);
        put8(buffer, i + 1, 2);
        break;
      case 'timestamps':
        checkUint(o.tsval, 0xffffffff, 'TSval');
        checkUint(o.tsecr, 0xffffffff, 'TSecr');
        put8(buffer, i, 8);
        put8(buffer, i + 1, 10);
        put32(buffer, i + 2, o.tsval);
        put32(buffer, i + 6, o.tsecr);
        break;
      case 'sack': {
        if (o.blocks.length === 0) throw new WireError(WireErrorCode.INVALID_REPR, 'a SACK option needs at least one block', -1);
        put8(buffer, i, 5);
        put8(buffer, i + 1, 2 + 8 * o.blocks.length);
        let k = i + 2;
        for (const blk of o.blocks) {
          checkUint(blk.left, 0xffffffff, 'SACK left edge');
          checkUint(blk.right, 0xffffffff, 'SACK right edge');
          put32(buffer, k, blk.left);
          put32(buffer, k + 4, blk.right);
          k += 8;
        }
        break;
      }
      case 'unknown':
        checkUint(o.kind, 0xff, 'TCP option kind');
        if (o.kind <= 1 || FIXED_OPTION_LENGTH.has(o.kind) || o.kind === TcpOptionKind.SACK) {
          throw new WireError(WireErrorCode.INVALID_REPR, `TCP option kind ${o.kind} has its own repr; 'unknown' is for other kinds`, -1);
        }
        put8(buffer, i, o.kind);
        put8(buffer, i + 1, 2 + o.data.length);
        buffer.set(o.data, i + 2);
        break;
    }
    i += tcpOptionLength(o);
  }
  buffer.fill(0, i, offset + padded);
  return padded;
}

// ---------------------------------------------------------------------------------------------
// Checksum

/**
 * The TCP checksum (RFC 9293 3.1) of `segment` (header and data) under the pseudo-header for `ip`.
 * Over a segment whose checksum field is correct the result is 0; with the field zeroed it is the
 * value to store.
 */
export function tcpChecksum(segment: Uint8Array, ip: IpAddressPair): number {
  return checksumFinish(checksumAdd(pseudoHeaderSum(ip, 6, segment.length), segment));
}

// ---------------------------------------------------------------------------------------------
// View

/** Zero-copy view of a TCP segment: `bytes` is exactly the segment (the IP payload). */
export class TcpPacket {
  readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /** Validate the data offset against the minimum and the bytes available. */
  check(): WireError | undefined {
    const b = this.bytes;
    if (b.length < TCP_HEADER_LEN) {
      return new WireError(WireErrorCode.TRUNCATED, `TCP header needs 20 bytes, have ${b.length}`, b.length);
    }
    const hl = this.headerLength;
    if (hl < TCP_HEADER_LEN) {
      return new WireError(WireErrorCode.BAD_HEADER_LENGTH, `TCP data offset ${hl / 4} (${hl} bytes) is below 5 (20 bytes)`, 12);
    }
    if (hl > b.length) {
      return new WireError(WireErrorCode.TRUNCATED, `TCP header length ${hl} but the segment has ${b.length} bytes`, b.length);
    }
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
  get seq(): number {
    return u32(this.bytes, 4);
  }
  set seq(v: number) {
    put32(this.bytes, 4, v);
  }
  get ack(): number {
    return u32(this.bytes, 8);
  }
  set ack(v: number) {
    put32(this.bytes, 8, v);
  }
  /** Header length in bytes (data offset * 4). */
  get headerLength(): number {
    return (u8(this.bytes, 12) >>> 4) * 4;
  }
  set headerLength(bytes: number) {
    put8(this.bytes, 12, (((bytes >>> 2) & 0x0f) << 4) | (u8(this.bytes, 12) & 0x0f));
  }
  /** The three reserved bits (RFC 9293 3.1: must be zero). */
  get reserved(): number {
    return (u8(this.bytes, 12) >>> 1) & 0x07;
  }
  /** The nine flag bits (TcpFlag). */
  get flags(): number {
    return u16(this.bytes, 12) & 0x01ff;
  }
  set flags(v: number) {
    put16(this.bytes, 12, (u16(this.bytes, 12) & 0xfe00) | (v & 0x01ff));
  }
  get window(): number {
    return u16(this.bytes, 14);
  }
  set window(v: number) {
    put16(this.bytes, 14, v);
  }
  get checksum(): number {
    return u16(this.bytes, 16);
  }
  set checksum(v: number) {
    put16(this.bytes, 16, v);
  }
  get urgentPointer(): number {
    return u16(this.bytes, 18);
  }
  set urgentPointer(v: number) {
    put16(this.bytes, 18, v);
  }
  /** The option area (bytes 20 to the header length). */
  get optionBytes(): Uint8Array {
    return this.bytes.subarray(TCP_HEADER_LEN, Math.max(TCP_HEADER_LEN, this.headerLength));
  }
  /** The options decoded up to any problem, with offsets from the header start. */
  get options(): TcpOptionList {
    return parseTcpOptions(this.optionBytes);
  }
  get payload(): Uint8Array {
    return this.bytes.subarray(Math.min(this.bytes.length, this.headerLength));
  }
  verifyChecksum(ip: IpAddressPair): boolean {
    return tcpChecksum(this.bytes, ip) === 0;
  }
  fillChecksum(ip: IpAddressPair): void {
    this.checksum = 0;
    this.checksum = tcpChecksum(this.bytes, ip);
  }

  toString(): string {
    const r = parseTcp(this);
    return r.ok ? tcpToString(r.value) : `[TCP: ${r.error.message}]`;
  }
}

// ---------------------------------------------------------------------------------------------
// Repr

/**
 * Parse a segment. With `ip`, the checksum is verified (BAD_CHECKSUM on mismatch); without, it is
 * not looked at. The reserved bits are ignored (RFC 9293 3.1). An illegal option length fails the
 * parse with BAD_OPTION (MUST-7); use `parseTcpOptions` on `view.optionBytes` for the partial list.
 * `payload` aliases the view's bytes.
 */
export function parseTcp(view: TcpPacket, ip?: IpAddressPair): ParseResult<TcpRepr> {
  const err = view.check();
  if (err !== undefined) return { ok: false, error: err };
  if (ip !== undefined && !view.verifyChecksum(ip)) {
    return fail(WireErrorCode.BAD_CHECKSUM, `TCP checksum 0x${view.checksum.toString(16).padStart(4, '0')} is wrong`, 16);
  }
  const opts = parseTcpOptions(view.optionBytes);
  if (opts.error !== undefined) return { ok: false, error: opts.error };
  return ok({
    srcPort: view.srcPort,
    dstPort: view.dstPort,
    seq: view.seq,
    ack: view.ack,
    flags: view.flags,
    window: view.window,
    urgentPointer: view.urgentPointer,
    options: opts.options,
    payload: view.payload,
  });
}

/** Header length: 20 plus the options padded to a multiple of 4. */
export function tcpHeaderLength(repr: TcpRepr): number {
  return TCP_HEADER_LEN + ((tcpOptionsLength(repr.options) + 3) & ~3);
}

/** Header plus payload. */
export function tcpBufferLength(repr: TcpRepr): number {
  return tcpHeaderLength(repr) + repr.payload.length;
}

/**
 * Write the segment (header, options zero-padded to 4 bytes, payload) into
 * buffer[offset, offset + tcpBufferLength) and fill in the checksum for the pseudo-header of `ip`;
 * returns the length written. The payload copy is skipped when `repr.payload` already sits at
 * buffer[offset + headerLength] (built in place). Throws INVALID_REPR for a field out of range.
 */
export function emitTcp(repr: TcpRepr, buffer: Uint8Array, ip: IpAddressPair, offset = 0): number {
  // One test for the usual case (every field in range), the named checks only to say which is not.
  if (
    (repr.srcPort & 0xffff) !== repr.srcPort ||
    (repr.dstPort & 0xffff) !== repr.dstPort ||
    (repr.window & 0xffff) !== repr.window ||
    (repr.urgentPointer & 0xffff) !== repr.urgentPointer ||
    (repr.flags & 0x1ff) !== repr.flags ||
    repr.seq >>> 0 !== repr.seq ||
    repr.ack >>> 0 !== repr.ack
  ) {
    checkUint(repr.srcPort, 0xffff, 'TCP source port');
    checkUint(repr.dstPort, 0xffff, 'TCP destination port');
    checkUint(repr.seq, 0xffffffff, 'TCP sequence number');
    checkUint(repr.ack, 0xffffffff, 'TCP acknowledgment number');
    checkUint(repr.flags, 0x1ff, 'TCP flags');
    checkUint(repr.window, 0xffff, 'TCP window');
    checkUint(repr.urgentPointer, 0xffff, 'TCP urgent pointer');
  }
  const hl = tcpHeaderLength(repr);
  if (hl > TCP_MAX_HEADER_LEN) {
    throw new WireError(WireErrorCode.INVALID_REPR, `TCP header would be ${hl} bytes, at most 60`, -1);
  }
  const total = hl + repr.payload.length;
  checkBuffer(buffer, offset + total, 'TCP segment');
  put16(buffer, offset, repr.srcPort);
  put16(buffer, offset + 2, repr.dstPort);
  put32(buffer, offset + 4, repr.seq);
  put32(buffer, offset + 8, repr.ack);
  put16(buffer, offset + 12, ((hl >>> 2) << 12) | repr.flags);
  put16(buffer, offset + 14, repr.window);
  put16(buffer, offset + 16, 0);
  put16(buffer, offset + 18, repr.urgentPointer);
  if (hl > TCP_HEADER_LEN) emitTcpOptions(repr.options, buffer, offset + TCP_HEADER_LEN);
  copyInto(buffer, offset + hl, repr.payload);
  put16(buffer, offset + 16, checksumFinish(checksumAdd(pseudoHeaderSum(ip, 6, total), buffer, offset, offset + total)));
  return total;
}

/** SEG.LEN (RFC 9293 3.4): payload bytes plus one for SYN and one for FIN. */
export function tcpSegmentLength(repr: TcpRepr): number {
  return repr.payload.length + ((repr.flags & TcpFlag.SYN) !== 0 ? 1 : 0) + ((repr.flags & TcpFlag.FIN) !== 0 ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------
// Text

const FLAG_CHARS: readonly (readonly [number, string])[] = [
  [TcpFlag.FIN, 'F'],
  [TcpFlag.SYN, 'S'],
  [TcpFlag.RST, 'R'],
  [TcpFlag.PSH, 'P'],
  [TcpFlag.ACK, '.'],
  [TcpFlag.URG, 'U'],
  [TcpFlag.ECE, 'E'],
  [TcpFlag.CWR, 'W'],
  [TcpFlag.AE, 'e'],
];

/** tcpdump's flag string: "S", "S.", "F.", "P.", "R", "none" for no flags. */
export function tcpFlagsToString(flags: number): string {
  let s = '';
  for (const [bit, c] of FLAG_CHARS) if ((flags & bit) !== 0) s += c;
  return s === '' ? 'none' : s;
}

/** tcpdump's text for one option: "mss 1460", "wscale 7", "sackOK", "TS val 1 ecr 0", "sack 1 {5:9}". */
export function tcpOptionToString(o: TcpOption): string {
  switch (o.name) {
    case 'eol':
      return 'eol';
    case 'nop':
      return 'nop';
    case 'mss':
      return `mss ${o.mss}`;
    case 'wscale':
      return `wscale ${o.shift}`;
    case 'sackPermitted':
      return 'sackOK';
    case 'timestamps':
      return `TS val ${o.tsval} ecr ${o.tsecr}`;
    case 'sack':
      return `sack ${o.blocks.length} ${o.blocks.map((b) => `{${b.left}:${b.right}}`).join('')}`;
    case 'unknown': {
      // RFC 6994: the experimental kinds start with a 16-bit experiment ID, which tcpdump shows as exp-XXXX.
      if ((o.kind === 253 || o.kind === 254) && o.data.length >= 2) return `exp-${toHex(o.data.subarray(0, 2))}`;
      const name = UNKNOWN_OPTION_NAMES.get(o.kind) ?? `unknown-${o.kind}`;
      return o.data.length > 0 ? `${name} 0x${toHex(o.data)}` : name;
    }
  }
}

/**
 * One line after `tcpdump -S -n` (absolute sequence numbers), without the addresses:
 * "1037 > 139: Flags [S], seq 8221822, win 8192, options [mss 1460], length 0".
 */
export function tcpToString(repr: TcpRepr): string {
  const len = repr.payload.length;
  let s = `${repr.srcPort} > ${repr.dstPort}: Flags [${tcpFlagsToString(repr.flags)}]`;
  if (len > 0 || (repr.flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) !== 0) {
    s += `, seq ${repr.seq}`;
    if (len > 0) s += `:${(repr.seq + len) >>> 0}`;
  }
  if ((repr.flags & TcpFlag.ACK) !== 0) s += `, ack ${repr.ack}`;
  s += `, win ${repr.window}`;
  if ((repr.flags & TcpFlag.URG) !== 0) s += `, urg ${repr.urgentPointer}`;
  if (repr.options.length > 0) s += `, options [${repr.options.map(tcpOptionToString).join(',')}]`;
  return `${s}, length ${len}`;
}

// ---------------------------------------------------------------------------------------------
// Option helpers for the engine

export function findMss(options: readonly TcpOption[]): number | undefined {
  for (const o of options) if (o.name === 'mss') return o.mss;
  return undefined;
}

/** The raw shift as sent (RFC 7323 2.3: a receiver clamps values above 14 to 14; not done here). */
export function findWindowScale(options: readonly TcpOption[]): number | undefined {
  for (const o of options) if (o.name === 'wscale') return o.shift;
  return undefined;
}

export function hasSackPermitted(options: readonly TcpOption[]): boolean {
  for (const o of options) if (o.name === 'sackPermitted') return true;
  return false;
}

export function findTimestamps(options: readonly TcpOption[]): { readonly tsval: number; readonly tsecr: number } | undefined {
  for (const o of options) if (o.name === 'timestamps') return { tsval: o.tsval, tsecr: o.tsecr };
  return undefined;
}

/** The blocks of the first SACK option, or an empty list. */
export function findSackBlocks(options: readonly TcpOption[]): readonly SackBlock[] {
  for (const o of options) if (o.name === 'sack') return o.blocks;
  return [];
}

export interface TcpOptionsSpec {
  readonly mss?: number;
  readonly sackPermitted?: boolean;
  readonly timestamps?: { readonly tsval: number; readonly tsecr: number };
  readonly windowScale?: number;
  /** SACK blocks, most recent first (RFC 2018 4); as many as fit are kept. */
  readonly sackBlocks?: readonly SackBlock[];
}


/**
 * Options in the order and alignment Linux writes them (net/ipv4/tcp_output.c, tcp_options_write):
 * MSS; then SACK-permitted + timestamps sharing a word (or NOP NOP + timestamps); else NOP NOP +
 * SACK-permitted; NOP + window scale; NOP NOP + SACK blocks. Every group is a multiple of 4 bytes,
 * so no trailing padding is needed. SACK blocks are cut to what fits in 40 bytes (3 with
 * timestamps, 4 without), as Linux does.
 */
export function buildTcpOptions(spec: TcpOptionsSpec): TcpOption[] {
  const out: TcpOption[] = [];
  let used = 0;
  if (spec.mss !== undefined) {
    out.push({ kind: 2, name: 'mss', mss: spec.mss });
    used += 4;
  }
  let sackPermPending = spec.sackPermitted === true;
  if (spec.timestamps !== undefined) {
    if (sackPermPending) {
      out.push({ kind: 4, name: 'sackPermitted' });
      sackPermPending = false;
    } else {
      out.push(NOP, NOP);
    }
    out.push({ kind: 8, name: 'timestamps', tsval: spec.timestamps.tsval, tsecr: spec.timestamps.tsecr });
    used += 12;
  }
  if (sackPermPending) {
    out.push(NOP, NOP, { kind: 4, name: 'sackPermitted' });
    used += 4;
  }
  if (spec.windowScale !== undefined) {
    out.push(NOP, { kind: 3, name: 'wscale', shift: spec.windowScale });
    used += 4;
  }
  const blocks = spec.sackBlocks ?? [];
  const room = Math.floor((TCP_MAX_OPTIONS_LEN - used - 4) / 8);
  if (blocks.length > 0 && room > 0) {
    out.push(NOP, NOP, { kind: 5, name: 'sack', blocks: blocks.slice(0, room) });
  }
  return out;
}
