/**
 * Sorted sets of disjoint byte ranges [start, end) over plain numbers (stream offsets, never modulo
 * 2^32), the bookkeeping under both SACK directions:
 *  - `IntervalSet`: the core. Binary search on insert and lookup, an amortized O(1) front pop, a
 *    running byte total, and an O(1) append for the common case (data arriving above everything
 *    held). An insert in the middle costs one array splice (a memmove), so thousands of holes stay
 *    cheap per segment: no per-segment walk over all ranges anywhere.
 *  - `RangeSet`: the receive side's out-of-order queue (RFC 9293 SHLD-31) with a bound on the range
 *    count and the recency order RFC 2018 4 asks of SACK blocks.
 *
 * Invariants: ranges are sorted, non-empty, and neither overlap nor touch (touching ranges merge);
 * `bytes` is the sum of their lengths; live ranges sit at array indices [head, length).
 */

export class IntervalSet {
  protected starts: number[] = [];
  protected ends: number[] = [];
  protected head = 0;
  protected total = 0;
  /** One past the highest offset the last `insert` newly covered (meaningful when it returned > 0). */
  freshEnd = 0;

  /** Number of ranges held. */
  get count(): number {
    return this.starts.length - this.head;
  }

  /** Bytes held in all ranges. */
  get bytes(): number {
    return this.total;
  }

  /** Start of the lowest range (undefined when empty). */
  get lowest(): number | undefined {
    return this.head < this.starts.length ? this.starts[this.head] : undefined;
  }

  /** End of the highest range (undefined when empty). */
  get highest(): number | undefined {
    const n = this.ends.length;
    return this.head < n ? this.ends[n - 1] : undefined;
  }

  /** Start and end of the i-th range from the lowest (0-based); callers keep i < count. */
  startAt(i: number): number {
    return this.starts[this.head + i]!;
  }

  endAt(i: number): number {
    return this.ends[this.head + i]!;
  }

  /** Index (from the lowest, 0-based) of the first range whose end is >= x; `count` if none. */
  indexEndingAtOrAfter(x: number): number {
    const e = this.ends;
    let lo = this.head;
    let hi = e.length;
    if (hi > lo && e[hi - 1]! < x) return hi - this.head;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (e[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.head;
  }

  /** Whether [start, end) is entirely held. */
  covers(start: number, end: number): boolean {
    if (end <= start) return true;
    const i = this.indexEndingAtOrAfter(end);
    return i < this.count && this.startAt(i) <= start;
  }

  /** Whether offset x is held. */
  has(x: number): boolean {
    const i = this.indexEndingAtOrAfter(x + 1);
    return i < this.count && this.startAt(i) <= x;
  }

  /**
   * Insert [start, end) and return how many bytes were not held before (0..end-start). When
   * `maxRanges` is given and the insert would need a range beyond it, nothing changes and -1 is
   * returned.
   */
  insert(start: number, end: number, maxRanges = Infinity): number {
    if (!(end > start)) return 0;
    const s = this.starts;
    const e = this.ends;
    const n = s.length;
    // Fast path: above everything held (in-order SACK growth, out-of-order data arriving in order).
    if (n === this.head || e[n - 1]! < start) {
      if (n - this.head >= maxRanges) return -1;
      s.push(start);
      e.push(end);
      this.total += end - start;
      this.freshEnd = end;
      return end - start;
    }
    // Fast path: extends the highest range upward.
    if (s[n - 1]! <= start) {
      const old = e[n - 1]!;
      if (end <= old) return 0;
      e[n - 1] = end;
      this.total += end - old;
      this.freshEnd = end;
      return end - old;
    }
    const i = this.head + this.indexEndingAtOrAfter(start); // first range that may touch [start, end)
    let j = i;
    while (j < n && s[j]! <= end) j++; // ranges i..j-1 overlap or touch it
    if (i === j) {
      if (n - this.head >= maxRanges) return -1;
      s.splice(i, 0, start);
      e.splice(i, 0, end);
      this.total += end - start;
      this.freshEnd = end;
      return end - start;
    }
    let held = 0;
    for (let k = i; k < j; k++) {
      const overlap = Math.min(e[k]!, end) - Math.max(s[k]!, start);
      if (overlap > 0) held += overlap;
    }
    // The highest newly covered offset: above the last overlapping range, or in the gap below it.
    if (end > e[j - 1]!) this.freshEnd = end;
    else {
      for (let k = j - 1; k >= i; k--) {
        const gapEnd = Math.min(s[k]!, end);
        const gapStart = k > i ? Math.max(e[k - 1]!, start) : start;
        if (gapEnd > gapStart) {
          this.freshEnd = gapEnd;
          break;
        }
      }
    }
    const ns = Math.min(start, s[i]!);
    const ne = Math.max(end, e[j - 1]!);
    let removed = 0;
    for (let k = i; k < j; k++) removed += e[k]! - s[k]!;
    if (j - i === 1) {
      s[i] = ns;
      e[i] = ne;
    } else {
      s.splice(i, j - i, ns);
      e.splice(i, j - i, ne);
    }
    this.total += ne - ns - removed;
    return end - start - held;
  }

  /** Remove everything below x (ranges straddling x are cut at x). Returns the bytes removed. */
  removeBelow(x: number): number {
    let removed = 0;
    const s = this.starts;
    const e = this.ends;
    while (this.head < s.length && s[this.head]! < x) {
      const h = this.head;
      if (e[h]! <= x) {
        removed += e[h]! - s[h]!;
        this.head++;
      } else {
        removed += x - s[h]!;
        s[h] = x;
        break;
      }
    }
    this.total -= removed;
    this.compact();
    return removed;
  }

  /** Bytes held in [start, end), walking the ranges that intersect it. */
  bytesIn(start: number, end: number): number {
    if (!(end > start) || this.total === 0) return 0;
    let n = 0;
    for (let i = this.indexEndingAtOrAfter(start + 1); i < this.count; i++) {
      const s = this.startAt(i);
      if (s >= end) break;
      n += Math.min(end, this.endAt(i)) - Math.max(start, s);
    }
    return n;
  }

  /** Remove the lowest range. */
  protected shift(): void {
    if (this.head >= this.starts.length) return;
    this.total -= this.ends[this.head]! - this.starts[this.head]!;
    this.head++;
    this.compact();
  }

  private compact(): void {
    const h = this.head;
    if (h === this.starts.length) {
      this.starts.length = 0;
      this.ends.length = 0;
      this.head = 0;
    } else if (h > 32 && h * 2 > this.starts.length) {
      this.starts.splice(0, h);
      this.ends.splice(0, h);
      this.head = 0;
    }
  }

  clear(): void {
    this.starts = [];
    this.ends = [];
    this.head = 0;
    this.total = 0;
  }
}

/** How many recently filled offsets the receive side remembers for SACK block order. */
const RECENT = 4;

/**
 * The receive side's out-of-order queue: at most `maxRanges` ranges above a moving front. An
 * insertion that would need more ranges is refused and changes nothing. Remembers where data
 * arrived recently, for the SACK block order of RFC 2018 4.
 */
export class RangeSet extends IntervalSet {
  /** Offsets of the most recent insertions, newest first. */
  private recent: number[] = [];

  constructor(readonly maxRanges: number) {
    super();
  }

  /** Insert [start, end). Returns false, changing nothing, if it would exceed `maxRanges`. */
  add(start: number, end: number): boolean {
    if (end <= start) return true;
    if (this.insert(start, end, this.maxRanges) < 0) return false;
    const r = this.recent;
    if (r[0] !== start) {
      if (r.length >= RECENT) r.pop();
      r.unshift(start);
    }
    return true;
  }

  /** If the lowest range starts at or before `front`, remove it and return its end; else `front`. */
  advance(front: number): number {
    const low = this.lowest;
    if (low === undefined || low > front) return front;
    const end = Math.max(front, this.endAt(0));
    this.shift();
    return end;
  }

  /**
   * Up to `max` ranges for SACK blocks (RFC 2018 4): first the block holding the segment that
   * arrived last ("MUST"), then the blocks most recently reported first ("SHOULD repeat the most
   * recently reported SACK blocks"), so every block reaches the sender in up to three ACKs even when
   * ACKs are lost; slots left over go to the lowest blocks, the ones the sender needs first.
   */
  sackRanges(max: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    const picked: number[] = [];
    for (const x of this.recent) {
      if (out.length >= max) break;
      const i = this.indexEndingAtOrAfter(x + 1);
      if (i >= this.count || this.startAt(i) > x || picked.includes(i)) continue;
      picked.push(i);
      out.push([this.startAt(i), this.endAt(i)]);
    }
    for (let i = 0; i < this.count && out.length < max; i++) {
      if (picked.includes(i)) continue;
      out.push([this.startAt(i), this.endAt(i)]);
    }
    return out;
  }

  override clear(): void {
    super.clear();
    this.recent = [];
  }
}
