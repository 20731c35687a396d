/**
 * The out-of-order bookkeeping of the receive side: a small sorted set of disjoint byte ranges
 * [start, end) in stream-offset space (plain numbers, not modulo 2^32), above a moving front.
 *
 * Bounded: at most `maxRanges` ranges (RFC 9293 SHLD-31 queues out-of-order segments; the bound
 * keeps that queue finite). An insertion that would need more ranges is refused and changes nothing.
 * Also remembers which range received data last, for the first SACK block (RFC 2018 4).
 *
 * Invariants: ranges are sorted, non-empty, and neither overlap nor touch (touching ranges merge).
 */

export class RangeSet {
  private starts: number[] = [];
  private ends: number[] = [];
  private lastStart = -1;
  private lastEnd = -1;

  constructor(readonly maxRanges: number) {}

  get count(): number {
    return this.starts.length;
  }

  /** Bytes held in all ranges. */
  get bytes(): number {
    let n = 0;
    for (let i = 0; i < this.starts.length; i++) n += this.ends[i]! - this.starts[i]!;
    return n;
  }

  /** Insert [start, end). Returns false, changing nothing, if it would exceed `maxRanges`. */
  add(start: number, end: number): boolean {
    if (end <= start) return true;
    const s = this.starts;
    const e = this.ends;
    // First range that ends at or after `start` (could merge), and the first that starts after `end`.
    let i = 0;
    while (i < s.length && e[i]! < start) i++;
    let j = i;
    while (j < s.length && s[j]! <= end) j++;
    // Ranges i..j-1 overlap or touch [start, end).
    if (i === j) {
      if (s.length >= this.maxRanges) return false;
      s.splice(i, 0, start);
      e.splice(i, 0, end);
    } else {
      const ns = Math.min(start, s[i]!);
      const ne = Math.max(end, e[j - 1]!);
      s.splice(i, j - i, ns);
      e.splice(i, j - i, ne);
    }
    this.lastStart = start;
    this.lastEnd = end;
    return true;
  }

  /** If the first range starts at or before `front`, remove it and return its end; else `front`. */
  advance(front: number): number {
    if (this.starts.length === 0 || this.starts[0]! > front) return front;
    const end = Math.max(front, this.ends[0]!);
    this.starts.shift();
    this.ends.shift();
    return end;
  }

  /** Whether [start, end) is entirely held. */
  covers(start: number, end: number): boolean {
    for (let i = 0; i < this.starts.length; i++) {
      if (this.starts[i]! <= start && end <= this.ends[i]!) return true;
    }
    return false;
  }

  /**
   * Up to `max` ranges for SACK blocks: first the one holding the most recently added data, then the
   * others from the lowest up (RFC 2018 4 asks for "most recent first"; older order is ours to pick).
   */
  sackRanges(max: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let recent = -1;
    for (let i = 0; i < this.starts.length; i++) {
      if (this.starts[i]! <= this.lastStart && this.lastEnd <= this.ends[i]!) recent = i;
    }
    if (recent >= 0) out.push([this.starts[recent]!, this.ends[recent]!]);
    for (let i = 0; i < this.starts.length && out.length < max; i++) {
      if (i !== recent) out.push([this.starts[i]!, this.ends[i]!]);
    }
    return out.slice(0, max);
  }

  clear(): void {
    this.starts = [];
    this.ends = [];
    this.lastStart = -1;
    this.lastEnd = -1;
  }
}
