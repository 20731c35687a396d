/**
 * The connection tracker's view of one captured frame: the fields of its TCP segment (addresses,
 * ports, seq/ack, flags, window, payload length, SYN options, checksum verdict, TTL), read straight
 * from the bytes without building the decoder's JSON, so that a million-frame capture costs a few
 * hundred milliseconds. Handles every link type the capture layer knows, 802.1Q/QinQ tags, IPv4
 * options, IPv6 extension headers, and IP fragments (a fragmented TCP segment is reassembled as
 * far as the tracker needs: header, length and checksum; it counts at the frame that completes it,
 * as in tshark with ip.defragment on).
 *
 * Two entries: `decode(record)`, and `decodePacket(packet)` for the capture decoder's reused
 * PacketRef (bytes at buffer[offset, offset + capturedLength), no record object or view per frame).
 * Checksums are summed where the bytes lie; frames in memory from `frameMemory()` are summed there
 * by the WebAssembly SIMD sum (checksum-wasm.ts) with no copy, others by checksum.ts.
 *
 * Invariants: decoding never throws and never reads outside the packet's bytes; a returned segment
 * has a complete TCP header (20..60 bytes captured); `payloadLength` comes from the IP lengths
 * (what was sent), `captured` says whether all of it is in the file; `checksumValid` is true/false
 * only when every byte was captured (and, for fragments, every fragment seen), null otherwise.
 * The fragment table is bounded (MAX_PENDING datagrams, MAX_FRAGMENT_AGE seconds).
 * Browser-safe: no Node imports.
 */
import { decodeLink, LinkType } from '../capture/linktype.js';
import type { CaptureRecord, PacketRef } from '../capture/types.js';
import { Module } from '../wasm/asm.js';
import { checksumAdd, checksumFinish } from '../wire/checksum.js';
import { checksumFunc } from '../wire/checksum-wasm.js';
import { type Ipv6FragmentHeader, Ipv6Packet, walkIpv6Chain } from '../wire/ipv6.js';

/** The SYN options the analyzer reports (RFC 9293 3.1, RFC 7323, RFC 2018). */
export interface SynOptions {
  readonly mss: number | undefined;
  readonly wscale: number | undefined;
  readonly sackPermitted: boolean;
  readonly timestamps: { readonly tsval: number; readonly tsecr: number } | undefined;
}

/** One TCP segment as the tracker sees it. A decoder reuses one object: copy what you keep. */
export interface TcpSegment {
  frame: number;
  /** Seconds since the epoch (double). */
  time: number;
  tsSec: number;
  tsNsec: number;
  family: 4 | 6;
  /**
   * The addresses as 32-bit words, most significant first: IPv4 in s0/d0 (s1-s3, d1-d3 zero),
   * IPv6 in all four. Numbers, so that looking a connection up allocates nothing.
   */
  s0: number;
  s1: number;
  s2: number;
  s3: number;
  d0: number;
  d1: number;
  d2: number;
  d3: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** The 9 flag bits (TcpFlag). */
  flags: number;
  /** The raw 16-bit window field. */
  window: number;
  headerLength: number;
  /** Payload bytes as sent (from the IP length fields). */
  payloadLength: number;
  /** True when every payload byte is in the capture. */
  captured: boolean;
  checksumValid: boolean | null;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl: number;
  /** IP datagram length (IPv4 total length, IPv6 40 + payload length). */
  ipLength: number;
  /** Options of SYN segments (undefined on others). */
  syn: SynOptions | undefined;
  /** Frame numbers of the other fragments when reassembled from IP fragments. */
  fragments: number;
}

export type DecodeOutcome =
  | 'tcp'
  /** Not TCP (ARP, UDP, ICMP, other link or network protocols). */
  | 'other'
  /** TCP, but too little captured or impossible header lengths. */
  | 'malformed'
  /** An IP fragment of a TCP datagram that is not complete yet. */
  | 'fragment';

/**
 * A segment to decode into. Fields that hold times and 32-bit words start at -0 (a double equal
 * to 0), so V8 gives them the double representation from the start and the decoder's optimized
 * code never meets a field changing representation when the first word above 2^31 arrives.
 */
export function newSegment(): TcpSegment {
  return {
    frame: 0,
    time: -0,
    tsSec: 0,
    tsNsec: 0,
    family: 4,
    s0: -0,
    s1: -0,
    s2: -0,
    s3: -0,
    d0: -0,
    d1: -0,
    d2: -0,
    d3: -0,
    srcPort: 0,
    dstPort: 0,
    seq: -0,
    ack: -0,
    flags: 0,
    window: 0,
    headerLength: 20,
    payloadLength: 0,
    captured: true,
    checksumValid: null,
    ttl: 0,
    ipLength: 0,
    syn: undefined,
    fragments: 0,
  };
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const PROTO_TCP = 6;

/** Datagrams waiting for fragments at once; beyond it the oldest is dropped (and counted). */
export const MAX_PENDING = 1024;
/** Seconds (capture time) a datagram may wait for its fragments. */
export const MAX_FRAGMENT_AGE = 60;
/** The largest IP payload we reassemble (an IPv4 datagram cannot be larger). */
const MAX_DATAGRAM = 65535;

interface PendingDatagram {
  readonly key: string;
  readonly family: 4 | 6;
  /** Source then destination address words (s0-s3, d0-d3). */
  readonly words: readonly number[];
  readonly firstTime: number;
  ttl: number;
  /** Copy of the first bytes of the upper-layer data (offset 0 fragment), up to 60. */
  head: Uint8Array | undefined;
  /** Total upper-layer length, known once the last fragment (MF=0) arrives. */
  total: number | undefined;
  /** Fragment ranges received, [start, end) pairs, kept sorted and merged. */
  ranges: number[];
  /** Ones' complement sum over the received data (each range starts on an 8-byte boundary). */
  sum: number;
  /** False once a fragment was cut short by the snapshot length. */
  complete: boolean;
  frames: number;
}

function be16(b: Uint8Array, o: number): number {
  return ((b[o] as number) << 8) | (b[o + 1] as number);
}

function be32(b: Uint8Array, o: number): number {
  return (((b[o] as number) << 24) | ((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number)) >>> 0;
}

/**
 * The big-endian word at b[o] as a signed 32-bit integer: the hot path takes `i32(b, o) >>> 0`,
 * so that when the call is not inlined the value crosses it as a small integer, never as a boxed
 * number (an unsigned word >= 2^31 returned from a call is a fresh heap number in V8).
 */
function i32(b: Uint8Array, o: number): number {
  return ((b[o] as number) << 24) | ((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number);
}

/** The in-place sum of a frameMemory() region: folded big-endian sum of memory[p, p + n). */
type InPlaceSum = (p: number, n: number) => number;

/** Memory made by frameMemory(), by its ArrayBuffer: the sum function over it. */
const inPlaceSums = new WeakMap<ArrayBufferLike, InPlaceSum>();

/**
 * `size` bytes to read capture data into, so that the TCP checksums of the frames decoded from them
 * are summed where they lie: the memory of a WebAssembly instance with the SIMD sum of
 * checksum-wasm.ts, which sums any range of it in place (no copy into the sum's own memory, no
 * typed-array view per frame). Any view into the returned bytes (subarray) counts. Where
 * WebAssembly or its SIMD is missing, a plain Uint8Array (summed by checksum.ts).
 */
export function frameMemory(size: number): Uint8Array {
  const bytes = Math.max(0, Math.floor(size));
  try {
    if (typeof WebAssembly !== 'undefined') {
      // The sum reads 16 or 32 bytes at a time but never past p + n (checksum-wasm.ts), so the
      // region needs no slack; the memory is fixed (minimum = maximum), so views never detach.
      const m = new Module(Math.max(1, Math.ceil(bytes / 65536)));
      m.add(checksumFunc(), true);
      const code = m.bytes();
      if (WebAssembly.validate(code)) {
        const instance = new WebAssembly.Instance(new WebAssembly.Module(code), {});
        const memory = instance.exports['memory'] as WebAssembly.Memory;
        inPlaceSums.set(memory.buffer, instance.exports['sum'] as InPlaceSum);
        return new Uint8Array(memory.buffer, 0, bytes);
      }
    }
  } catch {
    // A browser may refuse synchronous compilation: plain memory, summed in JavaScript.
  }
  return new Uint8Array(bytes);
}

/**
 * The pseudo-header's words (RFC 9293 3.1 for IPv4; RFC 8200 8.1 for IPv6, with a 32-bit length)
 * added up but not folded: checksumFinish folds any non-negative sum below 2^53, and unfolded
 * sums of ones' complement words fold to the same result as sums folded at every step.
 */
function pseudoSum(out: TcpSegment, length: number): number {
  let s = (out.s0 >>> 16) + (out.s0 & 0xffff) + (out.d0 >>> 16) + (out.d0 & 0xffff) + PROTO_TCP + (length >>> 16) + (length & 0xffff);
  if (out.family === 6) {
    s += (out.s1 >>> 16) + (out.s1 & 0xffff) + (out.s2 >>> 16) + (out.s2 & 0xffff) + (out.s3 >>> 16) + (out.s3 & 0xffff);
    s += (out.d1 >>> 16) + (out.d1 & 0xffff) + (out.d2 >>> 16) + (out.d2 & 0xffff) + (out.d3 >>> 16) + (out.d3 & 0xffff);
  }
  return s;
}

/** Parse the options of a SYN (RFC 9293 3.2: MSS; RFC 7323: window scale, timestamps; RFC 2018). */
export function parseSynOptions(b: Uint8Array, start: number, end: number): SynOptions {
  let mss: number | undefined;
  let wscale: number | undefined;
  let sackPermitted = false;
  let timestamps: { tsval: number; tsecr: number } | undefined;
  let i = start;
  while (i < end) {
    const kind = b[i] as number;
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    if (i + 1 >= end) break;
    const len = b[i + 1] as number;
    // RFC 9293 3.1 (MUST-7): an illegal length ends option processing, it does not crash it.
    if (len < 2 || i + len > end) break;
    if (kind === 2 && len === 4) mss = be16(b, i + 2);
    else if (kind === 3 && len === 3) wscale = b[i + 2] as number;
    else if (kind === 4 && len === 2) sackPermitted = true;
    else if (kind === 8 && len === 10) timestamps = { tsval: be32(b, i + 2), tsecr: be32(b, i + 6) };
    i += len;
  }
  return { mss, wscale, sackPermitted, timestamps };
}

/**
 * Turns capture records into TCP segments. Stateful only for IP fragments.
 */
export class SegmentDecoder {
  /** Datagrams dropped from the fragment table (too many pending, or too old). */
  fragmentsDropped = 0;
  readonly verifyChecksums: boolean;
  private readonly pending = new Map<string, PendingDatagram>();
  /**
   * The in-place sum over the bytes of the packet being decoded and their address in its memory,
   * when they lie in frameMemory(); undefined for records (summed by checksum.ts).
   */
  private inPlace: InPlaceSum | undefined;
  private inPlaceBase = 0;
  /**
   * The last packet buffer decodePacket saw, with its in-place sum and address: looked up once per
   * buffer (a read block), since reading a typed array's .buffer or .byteOffset costs 10-20 ns.
   */
  private lastBytes: Uint8Array | undefined;
  private lastSum: InPlaceSum | undefined;
  private lastBase = 0;

  /** Datagrams waiting for more fragments. */
  get pendingDatagrams(): number {
    return this.pending.size;
  }

  constructor(options: { readonly verifyChecksums?: boolean } = {}) {
    this.verifyChecksums = options.verifyChecksums ?? true;
  }

  /** Decode `r` into `out`; `out` is only meaningful when the result is 'tcp'. */
  decode(r: CaptureRecord, out: TcpSegment): DecodeOutcome {
    out.frame = r.frame;
    out.time = r.timestamp;
    out.tsSec = r.tsSec;
    out.tsNsec = r.tsNsec;
    this.inPlace = undefined;
    const b = r.data;
    return this.frameAt(b, 0, b.length, r.linkType, out);
  }

  /**
   * Decode a packet handed over without a record (CaptureHandlers.onPacket): the same as
   * `decode(p.toRecord(), out)`, reading the bytes where they lie.
   */
  decodePacket(p: PacketRef, out: TcpSegment): DecodeOutcome {
    const sec = p.tsSec;
    const nsec = p.tsNsec;
    out.frame = p.frame;
    // CaptureRecord.timestamp, as the decoders compute it.
    out.time = sec + nsec / 1e9;
    out.tsSec = sec;
    out.tsNsec = nsec;
    const b = p.buffer;
    if (b !== this.lastBytes) {
      this.lastBytes = b;
      this.lastSum = this.verifyChecksums ? inPlaceSums.get(b.buffer) : undefined;
      this.lastBase = b.byteOffset;
    }
    this.inPlace = this.lastSum;
    this.inPlaceBase = this.lastBase;
    const start = p.offset;
    return this.frameAt(b, start, start + p.capturedLength, p.linkType, out);
  }

  /** The frame b[start, limit) of link type `linkType` (out's frame and times already set). */
  private frameAt(b: Uint8Array, start: number, limit: number, linkType: number, out: TcpSegment): DecodeOutcome {
    let at: number;
    let etherType: number;
    if (linkType === LinkType.ETHERNET) {
      if (limit - start < 14) return 'other';
      at = start + 12;
      etherType = be16(b, at);
      // 802.1Q, 802.1ad, 0x9100 tags: skip up to 8 of them.
      let tags = 0;
      while ((etherType === 0x8100 || etherType === 0x88a8 || etherType === 0x9100) && tags < 8) {
        if (limit < at + 6) return 'other';
        at += 4;
        etherType = be16(b, at);
        tags++;
      }
      at += 2;
    } else {
      // Other link types are rare in bulk: a view of the frame for the link layer's decoder.
      const link = decodeLink(linkType, b.subarray(start, limit));
      if (!link.ok || link.next === 'ethernet') return 'other';
      at = start + link.offset;
      etherType = link.etherType;
    }
    out.fragments = 0;
    if (etherType === ETHERTYPE_IPV4) return this.ipv4(b, at, limit, out);
    if (etherType === ETHERTYPE_IPV6) return this.ipv6(b, at, limit, out);
    return 'other';
  }

  /** The IPv4 datagram at b[at]; the frame's bytes end at `limit`. */
  private ipv4(b: Uint8Array, at: number, limit: number, out: TcpSegment): DecodeOutcome {
    if (limit < at + 20 || (b[at] as number) >> 4 !== 4) return 'other';
    const hl = ((b[at] as number) & 0x0f) * 4;
    if (hl < 20 || limit < at + hl) return 'other';
    if ((b[at + 9] as number) !== PROTO_TCP) return 'other';
    let total = be16(b, at + 2);
    // A zero total length is what captures of TSO-offloaded packets show: take what was captured.
    if (total === 0) total = limit - at;
    if (total < hl) return 'malformed';
    const frag = be16(b, at + 6);
    const offset = (frag & 0x1fff) * 8;
    const more = (frag & 0x2000) !== 0;
    out.family = 4;
    out.ttl = b[at + 8] as number;
    out.ipLength = total;
    out.s0 = i32(b, at + 12) >>> 0;
    out.d0 = i32(b, at + 16) >>> 0;
    out.s1 = out.s2 = out.s3 = out.d1 = out.d2 = out.d3 = 0;
    if (offset !== 0 || more) {
      const key = `4:${out.s0}:${out.d0}:${be16(b, at + 4)}`;
      return this.fragment(key, 4, b, at + hl, limit, total - hl, offset, more, out);
    }
    const l4 = at + hl;
    const declared = total - hl;
    const captured = Math.min(declared, limit - l4);
    return this.tcp(b, l4, declared, captured, undefined, out);
  }

  /** The IPv6 packet at b[at]; the frame's bytes end at `limit`. */
  private ipv6(b: Uint8Array, at: number, limit: number, out: TcpSegment): DecodeOutcome {
    if (limit < at + 40 || (b[at] as number) >> 4 !== 6) return 'other';
    const plen = be16(b, at + 4);
    const end = at + 40 + plen;
    let p = at + 40;
    let dstBytes = b;
    let dstAt = at + 24;
    let fragment: Ipv6FragmentHeader | undefined;
    if ((b[at + 6] as number) !== PROTO_TCP) {
      // Extension headers (RFC 8200 4): the wire layer's walk, which also finds a routing
      // header's final destination for the pseudo-header (RFC 8200 8.1).
      const chain = walkIpv6Chain(new Ipv6Packet(b.subarray(at, Math.min(limit, end))));
      if (chain.error !== undefined || chain.upperProtocol !== PROTO_TCP) return 'other';
      p = at + chain.upperOffset;
      fragment = chain.fragment;
      if (chain.finalDestination !== undefined) {
        dstBytes = chain.finalDestination;
        dstAt = 0;
      }
    }
    if (p > end) return 'malformed';
    out.family = 6;
    out.ttl = b[at + 7] as number;
    out.ipLength = 40 + plen;
    out.s0 = i32(b, at + 8) >>> 0;
    out.s1 = i32(b, at + 12) >>> 0;
    out.s2 = i32(b, at + 16) >>> 0;
    out.s3 = i32(b, at + 20) >>> 0;
    out.d0 = i32(dstBytes, dstAt) >>> 0;
    out.d1 = i32(dstBytes, dstAt + 4) >>> 0;
    out.d2 = i32(dstBytes, dstAt + 8) >>> 0;
    out.d3 = i32(dstBytes, dstAt + 12) >>> 0;
    if (fragment !== undefined && (fragment.fragmentOffset !== 0 || fragment.moreFragments)) {
      const key = `6:${out.s0}:${out.s1}:${out.s2}:${out.s3}:${be32(b, at + 24)}:${be32(b, at + 28)}:${be32(b, at + 32)}:${be32(b, at + 36)}:${fragment.identification}`;
      return this.fragment(key, 6, b, p, limit, end - p, fragment.fragmentOffset, fragment.moreFragments, out);
    }
    const declared = end - p;
    const captured = Math.max(0, Math.min(declared, limit - p));
    return this.tcp(b, p, declared, captured, undefined, out);
  }

  /**
   * The TCP header at b[l4]: `declared` bytes by the IP header, `captured` of them present.
   * `partialSum`: for reassembled datagrams, the ones' complement sum of the whole segment.
   */
  private tcp(b: Uint8Array, l4: number, declared: number, captured: number, partialSum: number | null | undefined, out: TcpSegment): DecodeOutcome {
    if (captured < 20 || declared < 20) return 'malformed';
    const hl = ((b[l4 + 12] as number) >> 4) * 4;
    if (hl < 20 || hl > declared || hl > captured) return 'malformed';
    out.srcPort = be16(b, l4);
    out.dstPort = be16(b, l4 + 2);
    // The two words written out (not i32 calls): this is the hottest code of `synack conns`.
    out.seq = (((b[l4 + 4] as number) << 24) | ((b[l4 + 5] as number) << 16) | ((b[l4 + 6] as number) << 8) | (b[l4 + 7] as number)) >>> 0;
    out.ack = (((b[l4 + 8] as number) << 24) | ((b[l4 + 9] as number) << 16) | ((b[l4 + 10] as number) << 8) | (b[l4 + 11] as number)) >>> 0;
    out.flags = be16(b, l4 + 12) & 0x1ff;
    out.window = be16(b, l4 + 14);
    out.headerLength = hl;
    out.payloadLength = declared - hl;
    out.captured = captured >= declared;
    out.syn = (out.flags & 0x002) !== 0 ? parseSynOptions(b, l4 + 20, l4 + hl) : undefined;
    if (!this.verifyChecksums) out.checksumValid = null;
    else if (partialSum !== undefined) out.checksumValid = partialSum === null ? null : checksumFinish(partialSum + pseudoSum(out, declared)) === 0;
    else if (!out.captured) out.checksumValid = null;
    else {
      // The segment's sum where its bytes lie (frameMemory), else by checksum.ts; both are the
      // folded partial sum of RFC 1071, so either adds to the pseudo-header's sum the same way.
      const inPlace = this.inPlace;
      const part = inPlace !== undefined ? inPlace(this.inPlaceBase + l4, declared) : checksumAdd(0, b, l4, l4 + declared);
      out.checksumValid = checksumFinish(pseudoSum(out, declared) + part) === 0;
    }
    return 'tcp';
  }

  /** One fragment of a TCP datagram (RFC 791 3.2 reassembly, RFC 8200 4.5). */
  private fragment(
    key: string,
    family: 4 | 6,
    b: Uint8Array,
    dataAt: number,
    limit: number,
    dataLen: number,
    offset: number,
    more: boolean,
    out: TcpSegment,
  ): DecodeOutcome {
    const now = out.time;
    this.expire(now);
    let d = this.pending.get(key);
    if (d === undefined) {
      if (this.pending.size >= MAX_PENDING) {
        const oldest = this.pending.keys().next().value;
        if (oldest !== undefined) this.pending.delete(oldest);
        this.fragmentsDropped++;
      }
      d = { key, family, words: [out.s0, out.s1, out.s2, out.s3, out.d0, out.d1, out.d2, out.d3], firstTime: now, ttl: out.ttl, head: undefined, total: undefined, ranges: [], sum: 0, complete: true, frames: 0 };
      this.pending.set(key, d);
    }
    d.frames++;
    const capturedLen = Math.max(0, Math.min(dataLen, limit - dataAt));
    if (capturedLen < dataLen) d.complete = false;
    const end = offset + dataLen;
    if (end > MAX_DATAGRAM || dataLen < 0) {
      this.pending.delete(key);
      return 'malformed';
    }
    if (!more) d.total = end;
    if (offset === 0) {
      d.head = b.slice(dataAt, dataAt + Math.min(capturedLen, 60));
      d.ttl = out.ttl;
    }
    // Overlapping fragments: count each byte once; the sum is then only approximate, so give up
    // on the checksum verdict (null) rather than guess.
    if (this.addRange(d, offset, end)) {
      // Ranges start on 8-byte boundaries, so each fragment's sum aligns with the datagram's words.
      d.sum = checksumAdd(d.sum, b, dataAt, dataAt + capturedLen);
    } else d.complete = false;
    if (d.total === undefined || d.head === undefined) return 'fragment';
    if (d.ranges.length !== 2 || d.ranges[0] !== 0 || d.ranges[1] !== d.total) return 'fragment';
    this.pending.delete(key);
    out.family = family;
    const w = d.words;
    out.s0 = w[0] as number;
    out.s1 = w[1] as number;
    out.s2 = w[2] as number;
    out.s3 = w[3] as number;
    out.d0 = w[4] as number;
    out.d1 = w[5] as number;
    out.d2 = w[6] as number;
    out.d3 = w[7] as number;
    out.ttl = d.ttl;
    out.ipLength = d.total + (family === 4 ? 20 : 40);
    out.fragments = d.frames;
    const head = d.head;
    if (head.length < 20 || ((head[12] as number) >> 4) * 4 > head.length) return 'malformed';
    const r = this.tcp(head, 0, d.total, d.total, d.complete ? d.sum : null, out);
    // The header came from the copy; the payload was never kept, so "captured" means "every byte seen".
    if (r === 'tcp') out.captured = d.complete;
    return r;
  }

  /** Adds [start, end) to the sorted range list; false if it overlaps what was there. */
  private addRange(d: PendingDatagram, start: number, end: number): boolean {
    const r = d.ranges;
    for (let i = 0; i < r.length; i += 2) {
      if (start < (r[i + 1] as number) && end > (r[i] as number)) return false;
    }
    r.push(start, end);
    // Sort pairs and merge adjacent ones.
    const pairs: [number, number][] = [];
    for (let i = 0; i < r.length; i += 2) pairs.push([r[i] as number, r[i + 1] as number]);
    pairs.sort((x, y) => x[0] - y[0]);
    const merged: number[] = [];
    for (const [s, e] of pairs) {
      const last = merged.length - 1;
      if (last > 0 && merged[last] === s) merged[last] = e;
      else merged.push(s, e);
    }
    d.ranges = merged;
    return true;
  }

  private expire(now: number): void {
    for (const d of this.pending.values()) {
      if (now - d.firstTime <= MAX_FRAGMENT_AGE) break;
      this.pending.delete(d.key);
      this.fragmentsDropped++;
    }
  }
}
