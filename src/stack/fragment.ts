/**
 * IP fragment reassembly (RFC 791 3.2 for IPv4, RFC 8200 4.5 for IPv6), bounded, plus an IPv4
 * fragmenter (used by tests and by links that need to split packets).
 *
 * A `Reassembler` holds partial datagrams keyed by the caller ((src, dst, protocol, id) for IPv4,
 * (src, dst, id) for IPv6). Policy, on the side of safety:
 *  - overlapping fragments discard the whole datagram, and later fragments of it until its timer
 *    runs out (RFC 5722 for IPv6, applied to IPv4 too, as modern stacks do); an exact duplicate of a
 *    fragment already held is ignored;
 *  - a non-final fragment whose length is not a multiple of 8, a fragment ending beyond the largest
 *    datagram, or one that contradicts the known end of the datagram is dropped with a reason;
 *  - per-datagram timeout (default 30 s IPv4, 60 s IPv6 per RFC 8200), at most `maxDatagrams`
 *    partial datagrams and `maxTotalBytes` held bytes (the oldest datagram is evicted to make room),
 *    at most `maxFragments` fragments per datagram.
 * Invariants: held bytes never exceed maxTotalBytes; entries never exceed maxDatagrams; `add` never
 * throws on any input; every dropped or discarded fragment is reported with a reason.
 */
import { emitIpv4, Ipv4Packet, type Ipv4Repr } from '../wire/index.js';

export interface ReassemblyLimits {
  /** Per-datagram lifetime from its first fragment, ms. */
  readonly timeout: number;
  /** Largest reassembled payload in bytes (default 65535). */
  readonly maxDatagramBytes: number;
  /** Partial datagrams held at once (default 64). */
  readonly maxDatagrams: number;
  /** Bytes held over all partial datagrams (default 4 MiB). */
  readonly maxTotalBytes: number;
  /** Fragments per datagram (default 128). */
  readonly maxFragments: number;
}

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = {
  timeout: 30_000,
  maxDatagramBytes: 65535,
  maxDatagrams: 64,
  maxTotalBytes: 4 * 1024 * 1024,
  maxFragments: 128,
};

export type FragmentDropReason =
  | 'fragment-overlap'
  | 'fragment-duplicate'
  | 'fragment-bad-length'
  | 'fragment-too-big'
  | 'fragment-inconsistent'
  | 'fragment-too-many'
  | 'fragment-timeout'
  | 'fragment-evicted'
  | 'fragment-discarded';

export type ReassemblyResult<F> =
  | { readonly status: 'incomplete' }
  | { readonly status: 'complete'; readonly data: Uint8Array; readonly first: F }
  | { readonly status: 'dropped'; readonly reason: FragmentDropReason };

interface Piece {
  readonly off: number;
  readonly end: number;
  readonly data: Uint8Array;
}

interface PartialDatagram<F> {
  readonly key: string;
  readonly deadline: number;
  pieces: Piece[];
  bytes: number;
  total: number | undefined;
  first: F | undefined;
  /** Tombstone: an overlap was seen; fragments of this datagram are discarded until the deadline. */
  dead: boolean;
}

export class Reassembler<F> {
  readonly limits: ReassemblyLimits;
  private readonly table = new Map<string, PartialDatagram<F>>();
  private heldBytes = 0;
  /** Called for datagrams removed by timeout or eviction (not for the fragment being added). */
  onDiscard: ((reason: 'fragment-timeout' | 'fragment-evicted', key: string) => void) | undefined;

  constructor(limits: Partial<ReassemblyLimits> = {}) {
    this.limits = { ...DEFAULT_REASSEMBLY_LIMITS, ...limits };
  }

  /** Partial datagrams held. */
  get size(): number {
    return this.table.size;
  }

  /** Bytes of fragment data held. */
  get bytesHeld(): number {
    return this.heldBytes;
  }

  /**
   * Add one fragment: `offset` in bytes, `more` = the more-fragments flag, `first` the caller's
   * information from the fragment at offset 0 (kept for the complete datagram).
   */
  add(now: number, key: string, offset: number, data: Uint8Array, more: boolean, first?: F): ReassemblyResult<F> {
    this.expire(now);
    const len = data.length;
    const end = offset + len;
    if (!Number.isInteger(offset) || offset < 0 || offset % 8 !== 0) return { status: 'dropped', reason: 'fragment-bad-length' };
    // RFC 8200 4.5: a non-final fragment must be a multiple of 8 bytes long (and not empty).
    if (more && (len === 0 || len % 8 !== 0)) return { status: 'dropped', reason: 'fragment-bad-length' };
    if (end > this.limits.maxDatagramBytes) return { status: 'dropped', reason: 'fragment-too-big' };

    let p = this.table.get(key);
    if (p === undefined) {
      if (len > this.limits.maxTotalBytes) return { status: 'dropped', reason: 'fragment-too-big' };
      while (this.table.size >= this.limits.maxDatagrams) this.evictOldest();
      p = { key, deadline: now + this.limits.timeout, pieces: [], bytes: 0, total: undefined, first: undefined, dead: false };
      this.table.set(key, p);
    }
    if (p.dead) return { status: 'dropped', reason: 'fragment-discarded' };

    // The end of the datagram: the final fragment fixes it; nothing may lie beyond it.
    if (!more) {
      if ((p.total !== undefined && p.total !== end) || p.pieces.some((q) => q.end > end)) return this.kill(p, 'fragment-inconsistent');
    } else if (p.total !== undefined && end > p.total) {
      return this.kill(p, 'fragment-inconsistent');
    }

    // Overlaps (binary search would do; fragment counts are bounded and small).
    let insertAt = p.pieces.length;
    for (let i = 0; i < p.pieces.length; i++) {
      const q = p.pieces[i] as Piece;
      if (q.off === offset && q.end === end) {
        if (!more && p.total === undefined) p.total = end;
        return { status: 'dropped', reason: 'fragment-duplicate' };
      }
      if (offset < q.end && q.off < end) return this.kill(p, 'fragment-overlap');
      if (q.off > offset) {
        insertAt = i;
        break;
      }
    }
    if (len === 0 && more) return { status: 'dropped', reason: 'fragment-bad-length' };
    if (p.pieces.length >= this.limits.maxFragments) return this.kill(p, 'fragment-too-many');
    // Make room (evicting other datagrams, oldest first).
    while (this.heldBytes + len > this.limits.maxTotalBytes) {
      if (!this.evictOldest(p)) return this.kill(p, 'fragment-too-big');
    }
    p.pieces.splice(insertAt, 0, { off: offset, end, data: data.slice() });
    p.bytes += len;
    this.heldBytes += len;
    if (!more) p.total = end;
    if (offset === 0 && first !== undefined) p.first = first;

    if (p.total !== undefined && p.bytes === p.total && p.first !== undefined) {
      // No overlaps and every piece inside [0, total): equal sums mean full coverage.
      const out = new Uint8Array(p.total);
      for (const q of p.pieces) out.set(q.data, q.off);
      this.remove(p);
      return { status: 'complete', data: out, first: p.first };
    }
    return { status: 'incomplete' };
  }

  /** Remove datagrams whose timer ran out; returns how many partial (not tombstone) ones expired. */
  expire(now: number): number {
    let n = 0;
    for (const p of this.table.values()) {
      if (p.deadline <= now) {
        this.remove(p);
        if (!p.dead) {
          n++;
          this.onDiscard?.('fragment-timeout', p.key);
        }
      }
    }
    return n;
  }

  /** The earliest deadline, or undefined. */
  nextDeadline(): number | undefined {
    let t: number | undefined;
    for (const p of this.table.values()) if (t === undefined || p.deadline < t) t = p.deadline;
    return t;
  }

  private kill(p: PartialDatagram<F>, reason: FragmentDropReason): ReassemblyResult<F> {
    this.heldBytes -= p.bytes;
    p.pieces = [];
    p.bytes = 0;
    p.dead = true;
    return { status: 'dropped', reason };
  }

  private remove(p: PartialDatagram<F>): void {
    this.heldBytes -= p.bytes;
    p.bytes = 0;
    p.pieces = [];
    this.table.delete(p.key);
  }

  /** Evict the oldest datagram other than `keep`; false when there is none. */
  private evictOldest(keep?: PartialDatagram<F>): boolean {
    for (const p of this.table.values()) {
      // Map iteration order is insertion order: the first entry is the oldest.
      if (p === keep) continue;
      this.remove(p);
      if (!p.dead) this.onDiscard?.('fragment-evicted', p.key);
      return true;
    }
    return false;
  }
}

/**
 * Split an IPv4 datagram into fragments that fit `mtu` (RFC 791 3.2 "fragmentation"): every
 * fragment but the last carries a multiple of 8 payload bytes. Datagrams with IPv4 options are not
 * supported (RangeError); a malformed datagram throws its WireError. DF is not honoured: this is a
 * tool for tests and links that split on purpose.
 */
export function fragmentIpv4(packet: Uint8Array, mtu: number): Uint8Array[] {
  const v = new Ipv4Packet(packet);
  const err = v.check();
  if (err) throw err;
  if (v.totalLength <= mtu) return [packet.slice(0, v.totalLength)];
  const hl = v.headerLength;
  const chunk = Math.floor((mtu - hl) / 8) * 8;
  if (chunk <= 0) throw new RangeError(`MTU ${mtu} leaves no room for fragment data`);
  if (hl !== 20) throw new RangeError('fragmentIpv4: datagrams with IPv4 options are not supported');
  const payload = v.payload;
  const baseOffset = v.fragmentOffset;
  const baseMore = v.moreFragments;
  const out: Uint8Array[] = [];
  for (let off = 0; off < payload.length; off += chunk) {
    const part = payload.subarray(off, Math.min(payload.length, off + chunk));
    const last = off + part.length >= payload.length;
    const repr: Ipv4Repr = {
      src: v.src,
      dst: v.dst,
      protocol: v.protocol,
      ttl: v.ttl,
      dscp: v.dscp,
      ecn: v.ecn,
      identification: v.identification,
      dontFragment: false,
      moreFragments: last ? baseMore : true,
      fragmentOffset: baseOffset + off,
      options: new Uint8Array(0),
      payloadLength: part.length,
    };
    const buf = new Uint8Array(20 + part.length);
    emitIpv4(repr, buf);
    buf.set(part, 20);
    out.push(buf);
  }
  return out;
}
