/**
 * Initial sequence number selection, RFC 9293 3.4.1 (MUST-8, SHLD-1, MUST-9) and RFC 6528:
 *
 *   ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
 *
 * M is a 4-microsecond clock derived from the injected `now` (milliseconds), F is SipHash-2-4 keyed
 * with a 16-byte secret the caller supplies (the Node shell draws it from crypto; tests fix it).
 * Nothing here reads a clock or a random source: same inputs, same ISN.
 *
 * Invariant: for a fixed 4-tuple the ISN advances with the clock, one unit per 4 µs, modulo 2^32.
 */
import { SynackError } from '../errors.js';
import { seqAdd, seqGt } from '../wire/seq.js';
import { siphash24Words } from './siphash.js';

/** The connection's identifying parameters. Addresses are raw bytes (4 for IPv4, 16 for IPv6). */
export interface ConnectionTuple {
  readonly localAddress: Uint8Array;
  readonly localPort: number;
  readonly remoteAddress: Uint8Array;
  readonly remotePort: number;
}

/** M: the 4 µs clock at `now` milliseconds, modulo 2^32 (250 ticks per millisecond). */
export function isnClock(now: number): number {
  if (!Number.isFinite(now) || now < 0) return 0;
  return Math.floor(now * 250) % 4294967296;
}

function tupleBytes(t: ConnectionTuple, domain: number): Uint8Array {
  const la = t.localAddress;
  const ra = t.remoteAddress;
  const m = new Uint8Array(la.length + ra.length + 5);
  m.set(la, 0);
  m[la.length] = (t.localPort >>> 8) & 0xff;
  m[la.length + 1] = t.localPort & 0xff;
  m.set(ra, la.length + 2);
  const o = la.length + 2 + ra.length;
  m[o] = (t.remotePort >>> 8) & 0xff;
  m[o + 1] = t.remotePort & 0xff;
  // A domain byte separates the ISN hash from other per-connection secrets derived from the same key.
  m[o + 2] = domain;
  return m;
}

/** Keyed ISN generator. One per stack; the key must stay secret (MUST-9). */
export class IsnGenerator {
  private readonly key: Uint8Array;

  /** `secretKey`: 16 bytes. Throws SynackError('ERR_SYNACK_BAD_ARGUMENT') otherwise. */
  constructor(secretKey: Uint8Array) {
    if (secretKey.length !== 16) {
      throw new SynackError('ERR_SYNACK_BAD_ARGUMENT', `ISN secret key must be 16 bytes, got ${secretKey.length}`);
    }
    this.key = Uint8Array.from(secretKey);
  }

  /** F(localip, localport, remoteip, remoteport, secretkey): the low 32 bits of SipHash-2-4. */
  offset(tuple: ConnectionTuple): number {
    return siphash24Words(this.key, tupleBytes(tuple, 0))[1];
  }

  /** ISN = M + F (RFC 9293 3.4.1, SHLD-1). */
  isn(now: number, tuple: ConnectionTuple): number {
    return seqAdd(isnClock(now), this.offset(tuple));
  }

  /**
   * A per-connection offset for the RFC 7323 timestamp clock (RFC 7323 section 7.1 recommends a
   * random offset per connection so TSval does not leak the host clock).
   */
  timestampOffset(tuple: ConnectionTuple): number {
    return siphash24Words(this.key, tupleBytes(tuple, 1))[1];
  }
}

/**
 * An ISS for a connection reopened from TIME-WAIT (RFC 9293 3.6.1, MAY-2 condition 1): the new ISS
 * must be larger than the largest sequence number used by the previous incarnation. Returns
 * `candidate` when it already is, otherwise a number just above `lastSeqUsed` plus a margin of
 * `margin` (default 2^16, so segments of the old incarnation cannot overlap the new one).
 */
export function issAbove(candidate: number, lastSeqUsed: number, margin = 65536): number {
  if (seqGt(candidate, seqAdd(lastSeqUsed, margin))) return candidate >>> 0;
  return seqAdd(lastSeqUsed, margin + 1);
}
