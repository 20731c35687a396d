/**
 * RACK-TLP time bookkeeping (RFC 8985): when outstanding octets were last sent, and the most
 * recently sent segment the peer is known to have received (RACK.xmit_ts, RACK.end_seq, RACK.rtt).
 *
 * RACK's rule (6.2 step 5): a segment is lost when a segment sent after it has been delivered and
 * RACK.rtt + RACK.reo_wnd has passed since it was sent. Segments are sent in two orders the engine
 * keeps as time logs, both in sequence order and time order at once:
 *  - original transmissions go out in sequence order: a log of (time, SND.MAX after sending);
 *  - retransmissions of one recovery pass go out in sequence order too (NextSeg walks the holes
 *    upward, scoreboard.ts): a log of (time, HighRxt after sending), restarted with each pass.
 * So the octets RACK deems lost form a prefix of each log, and the answer to "what is lost now" is
 * two sequence boundaries, found by binary search (no walk over every segment in flight). Octets
 * retransmitted in an earlier pass are timed by their original send, the older and so the more
 * conservative time (they are declared lost later, never sooner).
 *
 * Sequence numbers come in modulo 2^32 and are unwrapped against SND.UNA, as in the scoreboard.
 * Invariants: log times are non-decreasing, log ends strictly increasing; entries wholly below
 * SND.UNA are dropped, so each log is bounded by the segments in flight.
 */
import { seqAdd, seqDiff } from '../wire/seq.js';

/** RFC 8985 6.2 step 4: the reordering window bound, and at most SRTT. */
const REO_WND_FRACTION = 4;

export interface RackVerdict {
  /** Un-SACKed octets below this sequence number (original transmissions) are lost; undefined: none. */
  origLostEnd: number | undefined;
  /** Octets retransmitted in this pass below this sequence number were lost again; undefined: none. */
  rxtLostEnd: number | undefined;
  /** When to look again (the RACK reordering timer, 6.2 step 5), or undefined. */
  timerAt: number | undefined;
}

class TimeLog {
  time: number[] = [];
  end: number[] = [];
  head = 0;

  get empty(): boolean {
    return this.head >= this.time.length;
  }

  clear(): void {
    this.time = [];
    this.end = [];
    this.head = 0;
  }

  /** Octets up to `end` were sent at `t` (coalesced with the last entry when sent at the same time). */
  add(t: number, end: number): void {
    const n = this.time.length;
    if (n > this.head) {
      if (end <= this.end[n - 1]!) return;
      if (this.time[n - 1] === t) {
        this.end[n - 1] = end;
        return;
      }
    }
    this.time.push(t);
    this.end.push(end);
  }

  /** Drop entries that end at or below `x`. */
  trim(x: number): void {
    while (this.head < this.end.length && this.end[this.head]! <= x) this.head++;
    if (this.head === this.end.length) this.clear();
    else if (this.head > 32 && this.head * 2 > this.end.length) {
      this.time.splice(0, this.head);
      this.end.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Index of the entry holding octet x (the first whose end is above x), or -1. */
  holding(x: number): number {
    let lo = this.head;
    let hi = this.end.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.end[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.end.length ? lo : -1;
  }

  /** Index of the last entry sent at or before t, or head - 1. */
  lastAtOrBefore(t: number): number {
    let lo = this.head;
    let hi = this.time.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.time[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /**
   * Index of the last entry whose deadline (send time + wait) has come by `now`, or head - 1. The
   * same sum the reordering timer uses, so a timer that fires always finds its entry due.
   */
  lastDue(now: number, wait: number): number {
    let lo = this.head;
    let hi = this.time.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.time[mid]! + wait <= now) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }
}

export class Rack {
  private readonly orig = new TimeLog();
  private readonly rxt = new TimeLog();
  /** Where the current retransmission pass started (absolute). */
  private passStart = 0;
  private unaSeq = 0;
  private unaAbs = 0;
  /** RACK.xmit_ts and RACK.end_seq (absolute; -1: none yet), RACK.rtt, RACK.min_RTT. */
  xmitTs = -Infinity;
  private endAbs = -1;
  rtt = 0;
  minRtt = Infinity;
  /** RACK.reordering_seen: an original delivered below the highest delivered one (6.2 step 3). */
  reorderingSeen = false;
  private fackAbs = -1;
  /** The RACK segment was a retransmission. */
  private rackIsRxt = false;
  /** RFC 8985 6.2 step 4: the reordering window grows by min_RTT/4 per round that saw a D-SACK. */
  private reoWndMult = 1;
  private reoWndPersist = 0;
  private dsackRound: number | undefined = undefined;

  reset(una: number): void {
    this.orig.clear();
    this.rxt.clear();
    this.unaSeq = una >>> 0;
    this.unaAbs = 0;
    this.passStart = 0;
    this.xmitTs = -Infinity;
    this.endAbs = -1;
    this.fackAbs = -1;
  }

  private abs(seq: number): number {
    return this.unaAbs + seqDiff(seq, this.unaSeq);
  }

  private seq(abs: number): number {
    return seqAdd(this.unaSeq, abs - this.unaAbs);
  }

  /** SND.UNA moved to `una`. */
  advance(una: number): void {
    const d = seqDiff(una, this.unaSeq);
    if (d <= 0) return;
    this.unaAbs += d;
    this.unaSeq = una >>> 0;
    this.orig.trim(this.unaAbs);
    this.rxt.trim(this.unaAbs);
    if (this.passStart < this.unaAbs) this.passStart = this.unaAbs;
  }

  /** New data up to `end` (SND.MAX) went out at `now`. */
  sentNew(now: number, end: number): void {
    this.orig.add(now, this.abs(end));
  }

  /** A retransmission pass starts at SND.UNA (HighRxt went back to it). */
  startPass(): void {
    this.rxt.clear();
    this.passStart = this.unaAbs;
  }

  /** Holes up to `end` (HighRxt) were retransmitted at `now`. */
  sentRetransmission(now: number, end: number): void {
    this.rxt.add(now, this.abs(end));
  }

  /** When octet `seq` was last sent, and whether that was a retransmission; undefined if unknown. */
  private sendTime(a: number): { t: number; rxt: boolean } | undefined {
    if (a >= this.passStart) {
      const i = this.rxt.holding(a);
      if (i >= 0 && (i === this.rxt.head ? this.passStart : this.rxt.end[i - 1]!) <= a) return { t: this.rxt.time[i]!, rxt: true };
    }
    const j = this.orig.holding(a);
    return j >= 0 ? { t: this.orig.time[j]!, rxt: false } : undefined;
  }

  /**
   * RFC 8985 6.2 steps 1-3 for one newly delivered octet (the highest of a cumulative ACK or a SACK
   * block; within one log, higher octets were sent later): update RACK.min_RTT, RACK.rtt and
   * RACK.xmit_ts/end_seq. A retransmitted octet whose ACK came sooner than min_RTT after the
   * retransmission was most likely delivered by its original: no sample (step 2).
   */
  delivered(now: number, seq: number): void {
    const a = this.abs(seq);
    const s = this.sendTime(a);
    if (s === undefined) return;
    const rtt = now - s.t;
    if (s.rxt && rtt < this.minRtt) return;
    if (!s.rxt) {
      if (a < this.fackAbs) this.reorderingSeen = true;
      else this.fackAbs = a;
    }
    if (rtt >= 0 && rtt < this.minRtt) this.minRtt = rtt;
    if (s.t > this.xmitTs || (s.t === this.xmitTs && a > this.endAbs)) {
      this.xmitTs = s.t;
      this.endAbs = a;
      this.rackIsRxt = s.rxt;
      this.rtt = Math.max(0, rtt);
    }
  }

  /**
   * RFC 8985 6.2 step 4, RACK_update_reo_wnd: a D-SACK shows a retransmission was spurious
   * (reordering, not loss): widen the window by one min_RTT/4 per round trip that saw one; after 16
   * recoveries without, go back to one step.
   */
  updateReoWnd(una: number, sndNxt: number, dsack: boolean, recoveryEnded: boolean): void {
    if (this.dsackRound !== undefined && this.abs(una) >= this.dsackRound) this.dsackRound = undefined;
    if (this.dsackRound === undefined && dsack) {
      this.dsackRound = this.abs(sndNxt);
      this.reoWndMult++;
      this.reoWndPersist = 16;
      this.reorderingSeen = true;
    } else if (recoveryEnded) {
      this.reoWndPersist--;
      if (this.reoWndPersist <= 0) this.reoWndMult = 1;
    }
  }

  /** RFC 8985 6.2 step 4: RACK.reo_wnd. */
  reoWnd(srtt: number | undefined, minRtt: number | undefined, inRecovery: boolean, sackedSegments: number): number {
    // Without reordering seen, be aggressive in recovery or once DupThresh segments are SACKed.
    if (!this.reorderingSeen && (inRecovery || sackedSegments >= 3)) return 0;
    const m = Math.min(this.minRtt, minRtt ?? Infinity);
    const w = m === Infinity ? 0 : (this.reoWndMult * m) / REO_WND_FRACTION;
    return srtt === undefined ? w : Math.min(w, srtt);
  }

  /**
   * RFC 8985 6.2 step 5 over the two logs: what has been sent before the RACK segment and more
   * than RACK.rtt + reo_wnd ago is lost; the next such segment sets the reordering timer.
   */
  detectLoss(now: number, reoWnd: number): RackVerdict {
    const verdict: RackVerdict = { origLostEnd: undefined, rxtLostEnd: undefined, timerAt: undefined };
    if (this.endAbs < 0) return verdict;
    const wait = this.rtt + reoWnd;
    const scan = (log: TimeLog, isOrig: boolean): void => {
      if (log.empty) return;
      // Entries sent before the RACK segment. Each log holds one entry per send time; in the RACK
      // segment's own log, same-time octets below it were sent before it (the sequence tie-break of
      // 6.2); across logs a same-time entry is not known to be earlier and does not count.
      let last = log.lastAtOrBefore(this.xmitTs);
      let cap = Infinity;
      if (last >= log.head && log.time[last] === this.xmitTs) {
        if (isOrig !== this.rackIsRxt) cap = this.endAbs;
        else last--;
      }
      if (last < log.head) return;
      const lostIdx = Math.min(last, log.lastDue(now, wait));
      if (lostIdx >= log.head) {
        const end = this.seq(lostIdx === last ? Math.min(log.end[lostIdx]!, cap) : log.end[lostIdx]!);
        if (isOrig) verdict.origLostEnd = end;
        else verdict.rxtLostEnd = end;
      }
      if (lostIdx < last) {
        const at = log.time[lostIdx + 1]! + wait;
        if (verdict.timerAt === undefined || at < verdict.timerAt) verdict.timerAt = at;
      }
    };
    scan(this.orig, true);
    scan(this.rxt, false);
    return verdict;
  }
}
