/**
 * The sender's loss bookkeeping: the SACK scoreboard of RFC 6675 (what the peer reported holding
 * above SND.UNA, RFC 2018), which outstanding octets are deemed lost, and how far retransmission
 * has gone (HighRxt). From these it answers the questions of RFC 6675 4: IsLost(), the holes
 * NextSeg() picks from (rules 1 and 3), and pipe (SetPipe), each in O(1) or O(log n) per call:
 *
 *  - IsLost: an octet is lost when more than (DupThresh - 1) * SMSS SACKed octets, or DupThresh
 *    discontiguous SACKed blocks, lie above it. That only gets truer for lower octets, so the lost
 *    octets are exactly the un-SACKed ones below one boundary, found by walking down at most
 *    DupThresh blocks from the top. (Blocks stand in for segments; a block holds at least one, so
 *    the count test is conservative.) Loss can also be declared outright (`markLost`): after a
 *    retransmission timeout everything outstanding is lost (RFC 5681 3.1, RFC 6675 5.1), and the
 *    NewReno fast retransmit declares the segment at SND.UNA lost (RFC 6582).
 *  - HighRxt: every un-SACKed octet in [SND.UNA, HighRxt) was retransmitted in this loss episode
 *    (NextSeg walks the holes in order). The SACKed octets below HighRxt are counted as SACK blocks
 *    arrive and as HighRxt moves, so pipe needs no walk over the scoreboard.
 *  - pipe = outstanding - SACKed - lost-not-retransmitted + retransmitted-not-lost, which is the
 *    octet-by-octet sum of SetPipe (RFC 6675 4: an octet counts once if not lost and once more if
 *    retransmitted).
 *
 * Sequence numbers go in and come out modulo 2^32; inside, offsets are unwrapped against SND.UNA
 * into plain numbers, so the scoreboard is correct across wraps and any amount of data.
 *
 * Invariants: SACKed ranges lie in [SND.UNA, SND.MAX]; unaAbs <= rxtAbs; `belowRxt` equals the
 * SACKed octets in [SND.UNA, HighRxt); the receive window bounds the ranges, and a range is kept
 * only for reported data, and there are never more than MAX_BLOCKS of them.
 */
import { seqAdd, seqDiff } from '../wire/seq.js';
import type { SackBlock } from '../wire/tcp.js';
import { IntervalSet } from './ranges.js';

/** RFC 6675 2: DupThresh. */
export const DUP_THRESH = 3;

/**
 * At most this many separate SACKed blocks are kept: a sane receiver SACKs whole segments, so this
 * is far more holes than any window has; a peer that SACKs scattered single octets only gets
 * them ignored (treated as not SACKed, so they are resent - safe), never unbounded memory or time.
 */
export const MAX_BLOCKS = 8192;

export class Scoreboard {
  private readonly sacked = new IntervalSet();
  private unaSeq = 0;
  private unaAbs = 0;
  /** HighRxt as an absolute offset. */
  private rxtAbs = 0;
  /** SACKed octets in [SND.UNA, HighRxt). */
  private belowRxt = 0;
  /** Octets below this are lost whether SACK says so or not (timeout, NewReno). */
  private markedAbs = 0;
  /** Cached SACK loss boundary and the SACKed octets at or above it; NaN = stale. */
  private boundaryAbs = NaN;
  private sackedAbove = 0;
  private mss = 1;
  /** The last `update` saw a D-SACK block (RFC 2883): one below SND.UNA or inside another block. */
  dsack = false;
  /** One past the highest octet the last `update` newly SACKed (when it returned > 0). */
  freshEnd = 0;
  /** A pass re-sending lost retransmissions stops at resumeFrom and goes on at resumeTo (absolute). */
  private resumeFrom = 0;
  private resumeTo = 0;

  /** Start over at SND.UNA = una with nothing SACKed, lost or retransmitted. */
  reset(una: number): void {
    this.sacked.clear();
    this.unaSeq = una >>> 0;
    this.unaAbs = 0;
    this.rxtAbs = 0;
    this.belowRxt = 0;
    this.markedAbs = 0;
    this.boundaryAbs = NaN;
    this.sackedAbove = 0;
    this.dsack = false;
  }

  /** The SMSS used by IsLost. */
  setMss(mss: number): void {
    if (mss !== this.mss) {
      this.mss = Math.max(1, mss);
      this.boundaryAbs = NaN;
    }
  }

  private abs(seq: number): number {
    return this.unaAbs + seqDiff(seq, this.unaSeq);
  }

  private seq(abs: number): number {
    return seqAdd(this.unaSeq, abs - this.unaAbs);
  }

  /** SACKed octets held. */
  get sackedBytes(): number {
    return this.sacked.bytes;
  }

  /** Number of SACKed blocks held. */
  get blocks(): number {
    return this.sacked.count;
  }

  /** One past the highest SACKed octet, or undefined when nothing is SACKed. */
  get highSacked(): number | undefined {
    const h = this.sacked.highest;
    return h === undefined ? undefined : this.seq(h);
  }

  /** HighRxt: retransmission has covered the holes below it. */
  get highRxt(): number {
    return this.seq(this.rxtAbs);
  }

  /** Nothing SACKed and nothing marked lost above SND.UNA: pipe is FlightSize, no hole to fill. */
  get clean(): boolean {
    return this.sacked.count === 0 && this.markedAbs <= this.unaAbs && this.rxtAbs <= this.unaAbs;
  }

  /** Whether octet `seq` (at or above SND.UNA) was SACKed. */
  isSacked(seq: number): boolean {
    return this.sacked.has(this.abs(seq));
  }

  /** The SACK ranges as sequence numbers (for traces and tests). */
  ranges(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < this.sacked.count; i++) out.push([this.seq(this.sacked.startAt(i)), this.seq(this.sacked.endAt(i))]);
    return out;
  }

  /**
   * SND.UNA moved up to `una` (a cumulative ACK): forget what it covers. HighRxt never falls
   * below SND.UNA.
   */
  advance(una: number): void {
    const d = seqDiff(una, this.unaSeq);
    if (d <= 0) return;
    const newAbs = this.unaAbs + d;
    const removed = this.sacked.removeBelow(newAbs);
    if (this.rxtAbs <= newAbs) {
      this.rxtAbs = newAbs;
      this.belowRxt = 0;
    } else {
      this.belowRxt -= removed; // every removed octet lay below SND.UNA < HighRxt
    }
    this.unaSeq = una >>> 0;
    this.unaAbs = newAbs;
    if (removed > 0) this.boundaryAbs = NaN;
  }

  /**
   * Record the SACK blocks of an arriving ACK (RFC 6675 Update()); `sndMax` is one past the highest
   * octet sent. Returns how many octets were newly SACKed (RFC 6675 2: only an ACK that SACKs new
   * data is a duplicate ACK). Blocks at or below SND.UNA or inside an earlier block of the same
   * option are D-SACKs (RFC 2883 4): they report duplicates, not holes, and change nothing here.
   * Blocks that are empty, inverted or reach beyond SND.MAX are not from a sane receiver and are
   * ignored (never trusted to mark data as delivered).
   */
  update(blocks: readonly SackBlock[], sndMax: number): number {
    this.dsack = false;
    const maxAbs = this.abs(sndMax);
    let fresh = 0;
    let top = -1;
    for (let k = 0; k < blocks.length; k++) {
      const b = blocks[k]!;
      const l = this.abs(b.left);
      const r = this.abs(b.right);
      if (!(r > l) || r > maxAbs) continue;
      if (l < this.unaAbs) {
        // RFC 2883 4: a first block below the cumulative ACK is a D-SACK.
        this.dsack = true;
        continue;
      }
      const p = this.rxtAbs;
      let added = 0;
      if (l < p) {
        const below = Math.max(0, this.sacked.insert(l, Math.min(r, p), MAX_BLOCKS));
        this.belowRxt += below;
        added += below;
      }
      if (r > p) added += Math.max(0, this.sacked.insert(Math.max(l, p), r, MAX_BLOCKS));
      if (added === 0 && k === 0) this.dsack = true; // RFC 2883 4.1.2: a first block already covered
      if (added > 0 && this.sacked.freshEnd > top) top = this.sacked.freshEnd;
      fresh += added;
    }
    if (top >= 0) this.freshEnd = this.seq(top);
    if (fresh > 0) this.boundaryAbs = NaN;
    return fresh;
  }

  /** Declare every un-SACKed octet below `seq` lost (a timeout, a NewReno retransmission). */
  markLost(seq: number): void {
    const a = this.abs(seq);
    if (a > this.markedAbs) this.markedAbs = a;
  }

  /** RFC 6675 IsLost(seq) for an octet at or above SND.UNA. */
  isLost(seq: number): boolean {
    const a = this.abs(seq);
    return a < this.lostEnd() && !this.sacked.has(a);
  }

  /** Move HighRxt back to SND.UNA: retransmission starts over (a timeout, a NewReno partial ACK). */
  restartRetransmission(): void {
    this.rxtAbs = this.unaAbs;
    this.belowRxt = 0;
    this.resumeFrom = this.resumeTo = 0;
  }

  /**
   * The retransmissions below `end` were lost too (RACK, RFC 8985): resend those holes, then go on
   * where retransmission had got to; pipe keeps counting the retransmissions still in flight above
   * `end`.
   */
  retransmitAgain(end: number): void {
    const a = Math.min(this.abs(end), this.rxtAbs);
    if (a <= this.unaAbs) return;
    const resume = this.rxtAbs;
    this.restartRetransmission();
    this.resumeFrom = a;
    this.resumeTo = resume;
  }

  /** Octets up to `end` were (re)transmitted from the holes: HighRxt moves up to `end`. */
  retransmitted(end: number): void {
    const a = this.abs(end);
    if (a <= this.rxtAbs) return;
    this.belowRxt += this.sacked.bytesIn(this.rxtAbs, a);
    this.rxtAbs = a;
    if (a >= this.resumeTo) this.resumeFrom = this.resumeTo = 0;
  }

  /** The highest un-SACKed octet below `seq` (at or above SND.UNA), or undefined. */
  highestUnsackedBelow(seq: number): number | undefined {
    let a = this.abs(seq) - 1;
    const set = this.sacked;
    const i = set.indexEndingAtOrAfter(a + 1);
    if (i < set.count && set.startAt(i) <= a) a = set.startAt(i) - 1;
    return a >= this.unaAbs ? this.seq(a) : undefined;
  }

  /**
   * NextSeg() rules 1 and 3: the first un-SACKed octet at or above HighRxt (and SND.UNA) that is
   * lost (`lostOnly`), or that lies below the highest SACKed octet (rule 3). Returns its sequence
   * number, with the end of its hole (the next SACKed octet, or `limit`) in `holeEnd`; undefined
   * when there is none below `limit`.
   */
  nextHole(lostOnly: boolean, limit: number): number | undefined {
    if (this.sacked.count === 0 && this.markedAbs <= Math.max(this.rxtAbs, this.unaAbs)) return undefined;
    let x = Math.max(this.rxtAbs, this.unaAbs);
    if (this.resumeTo > 0 && x >= this.resumeFrom && x < this.resumeTo) x = this.resumeTo;
    const set = this.sacked;
    let i = set.indexEndingAtOrAfter(x + 1);
    if (i < set.count && set.startAt(i) <= x) {
      x = set.endAt(i);
      i++;
    }
    const bound = lostOnly ? this.lostEnd() : (set.highest ?? this.unaAbs);
    const lim = this.abs(limit);
    if (x >= bound || x >= lim) return undefined;
    this.holeEndAbs = Math.min(lim, i < set.count ? set.startAt(i) : Infinity);
    if (this.resumeTo > 0 && x < this.resumeFrom) this.holeEndAbs = Math.min(this.holeEndAbs, this.resumeFrom);
    return this.seq(x);
  }

  private holeEndAbs = 0;

  /**
   * NextSeg() rule 4: where a rescue retransmission of up to `mss` octets starts so that it holds the
   * highest outstanding un-SACKed octet (undefined when everything outstanding is SACKed); the end
   * goes to `holeEnd`.
   */
  rescueStart(sndMax: number, mss: number): number | undefined {
    const set = this.sacked;
    let end = this.abs(sndMax);
    let floor = this.unaAbs;
    const n = set.count;
    if (n > 0) {
      if (set.endAt(n - 1) >= end) {
        end = set.startAt(n - 1);
        if (n > 1) floor = Math.max(floor, set.endAt(n - 2));
      } else {
        floor = Math.max(floor, set.endAt(n - 1));
      }
    }
    if (end <= floor) return undefined;
    this.holeEndAbs = end;
    return this.seq(Math.max(floor, end - mss));
  }

  /** End (exclusive) of the hole `nextHole` returned. */
  get holeEnd(): number {
    return this.seq(this.holeEndAbs);
  }

  /**
   * RFC 6675 SetPipe(): octets presumed in the network, given SND.MAX. An octet counts if it is
   * neither SACKed nor lost, and once more if it was retransmitted (it lies below HighRxt).
   */
  pipe(sndMax: number): number {
    const outstanding = seqDiff(sndMax, this.unaSeq);
    if (outstanding <= 0) return 0;
    if (this.clean) return outstanding;
    let rxt = this.rxtAbs - this.unaAbs - this.belowRxt;
    if (this.resumeTo > 0) {
      // Holes between the lost retransmissions and the old HighRxt: their retransmissions are in flight.
      const from = Math.max(this.resumeFrom, this.rxtAbs, this.unaAbs);
      if (this.resumeTo > from) rxt += this.resumeTo - from - this.sacked.bytesIn(from, this.resumeTo);
    }
    return Math.max(0, outstanding - this.sacked.bytes - this.lostUnsacked() + rxt);
  }

  /** Un-SACKed octets below the loss boundary (lost, retransmitted or not). */
  private lostUnsacked(): number {
    const end = this.lostEnd();
    if (end <= this.unaAbs) return 0;
    // SACKed octets below `end`: all of them minus those at or above it.
    const above = end === this.boundaryAbs ? this.sackedAbove : this.sacked.bytesIn(end, Infinity);
    return end - this.unaAbs - (this.sacked.bytes - above);
  }

  /** The loss boundary as an absolute offset: the SACK rule's, or what was marked, if higher. */
  private lostEnd(): number {
    if (Number.isNaN(this.boundaryAbs)) this.computeBoundary();
    return Math.max(this.boundaryAbs, this.markedAbs, this.unaAbs);
  }

  private computeBoundary(): void {
    // Walk down from the highest block until the octets below the current block's start are lost.
    const set = this.sacked;
    let bytes = 0;
    let n = 0;
    this.boundaryAbs = this.unaAbs;
    this.sackedAbove = set.bytes;
    for (let i = set.count - 1; i >= 0; i--) {
      bytes += set.endAt(i) - set.startAt(i);
      n++;
      if (bytes > (DUP_THRESH - 1) * this.mss || n >= DUP_THRESH) {
        this.boundaryAbs = set.startAt(i);
        this.sackedAbove = bytes;
        return;
      }
    }
  }
}
