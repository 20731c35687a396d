/**
 * Work over every frame, in slices that leave the page responsive: applying a display filter,
 * tracking connections (conn ids for `conn == N`, the connections table, ladders), and explaining
 * them (the analyzer's Explainer, for the connections view). Each job yields to the browser every
 * SLICE_MS and stops early when its token is cancelled.
 *
 * Invariant: a job's memory is the result (4 bytes per matching frame, per frame for conn ids, the
 * explanations of at most `limit` connections) plus what ConnTracker and Explainer keep (bounded
 * by their options), never an object per frame.
 */
import type { CompiledFilter } from '../analyze/filter.js';
import { FilterFields } from '../analyze/filter.js';
import { ConnTracker, type ConnectionRecord } from '../analyze/conns.js';
import { Explainer, type ConnectionExplanation } from '../analyze/explain.js';
import type { FrameSource } from './frames.js';

const SLICE_MS = 12;

export interface JobToken {
  cancelled: boolean;
}

export type Progress = (done: number, total: number) => void;

/** Yield to the browser (or Node's event loop in tests). */
function pause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Frame indices (ascending) that match `filter`, or undefined when cancelled. */
export async function runFilter(source: FrameSource, filter: CompiledFilter, connOf: Int32Array | undefined, token: JobToken, progress: Progress = () => undefined): Promise<Uint32Array | undefined> {
  const total = source.count;
  let out = new Uint32Array(Math.min(total, 1 << 16));
  let n = 0;
  const f = new FilterFields();
  let i = 0;
  while (i < total) {
    const sliceEnd = performance.now() + SLICE_MS;
    do {
      const stop = Math.min(total, i + 2048);
      for (; i < stop; i++) {
        if (!filter.matches(f.load(source.record(i), connOf === undefined ? -1 : (connOf[i] as number)))) continue;
        if (n === out.length) {
          const bigger = new Uint32Array(Math.min(total, out.length * 2));
          bigger.set(out);
          out = bigger;
        }
        out[n++] = i;
      }
    } while (i < total && performance.now() < sliceEnd);
    if (i < total) {
      progress(i, total);
      await pause();
      if (token.cancelled) return undefined;
    }
  }
  progress(total, total);
  return out.slice(0, n);
}

export interface ConnAnalysis {
  /** Connection id of every frame (tcp.stream), -1 for frames that are not TCP. */
  readonly connOf: Int32Array;
  /** tshark's analysis verdict bits per frame (anomalies.ts AnomalyBit). */
  readonly bits: Uint32Array;
  /** The connections, in id order. */
  readonly conns: readonly ConnectionRecord[];
}

/** Frames a connection keeps for its ladder diagram. */
export const LADDER_FRAMES = 4000;

/** Track the connections of every frame; undefined when cancelled. */
export async function analyzeConnections(source: FrameSource, token: JobToken, progress: Progress = () => undefined): Promise<ConnAnalysis | undefined> {
  const total = source.count;
  const connOf = new Int32Array(total).fill(-1);
  const bits = new Uint32Array(total);
  const conns: ConnectionRecord[] = [];
  const tracker = new ConnTracker({
    keepFrames: LADDER_FRAMES,
    onConnection: (c) => conns.push(c),
    onFrame: (id, frame, b) => {
      connOf[frame - 1] = id;
      bits[frame - 1] = b;
    },
  });
  let i = 0;
  while (i < total) {
    const sliceEnd = performance.now() + SLICE_MS;
    do {
      const stop = Math.min(total, i + 1024);
      for (; i < stop; i++) tracker.push(source.record(i));
    } while (i < total && performance.now() < sliceEnd);
    if (i < total) {
      progress(i, total);
      await pause();
      if (token.cancelled) return undefined;
    }
  }
  tracker.end();
  progress(total, total);
  conns.sort((a, b) => a.id - b.id);
  return { connOf, bits, conns };
}

/**
 * The analyzer's explanation of every connection with an id below `limit` (the connections the
 * table lists), by id; undefined when cancelled. A separate pass from analyzeConnections, run only
 * when the connections view asks: the Explainer costs about twice the tracker per frame, and the
 * `conn == N` filter does not need it. Its tracker numbers connections as analyzeConnections'
 * does (same tracker, same default options), which the view checks by first frame.
 */
export async function explainConnections(source: FrameSource, limit: number, token: JobToken, progress: Progress = () => undefined): Promise<Map<number, ConnectionExplanation> | undefined> {
  const total = source.count;
  const out = new Map<number, ConnectionExplanation>();
  const explainer = new Explainer({
    onConnection: (e) => {
      if (e.id < limit) out.set(e.id, e);
    },
  });
  let i = 0;
  while (i < total) {
    const sliceEnd = performance.now() + SLICE_MS;
    do {
      const stop = Math.min(total, i + 512);
      for (; i < stop; i++) explainer.push(source.record(i));
    } while (i < total && performance.now() < sliceEnd);
    if (i < total) {
      progress(i, total);
      await pause();
      if (token.cancelled) return undefined;
    }
  }
  explainer.end();
  progress(total, total);
  return out;
}
