/**
 * Frame selections for `--frames`: `1-3,7,10-` (1-based, inclusive, open-ended ranges allowed).
 */
import { usageError } from './output.js';

export interface FrameRanges {
  has(frame: number): boolean;
  /** The last frame selected, or undefined when a range is open-ended. */
  readonly max: number | undefined;
}

export function parseFrameRanges(text: string): FrameRanges {
  const ranges: [number, number][] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:(-)\s*(\d*)\s*)?$/.exec(part);
    if (m === null) throw usageError(`--frames: '${part}' is not N, N-M or N-`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : m[3] === '' || m[3] === undefined ? Infinity : Number(m[3]);
    if (lo < 1 || hi < lo) throw usageError(`--frames: '${part}' is an empty range (frames count from 1)`);
    ranges.push([lo, hi]);
  }
  const top = Math.max(...ranges.map(([, hi]) => hi));
  return {
    has: (f) => ranges.some(([lo, hi]) => f >= lo && f <= hi),
    max: Number.isFinite(top) ? top : undefined,
  };
}
