/**
 * Schedulers for links and stack drivers.
 *
 * `VirtualScheduler`: a discrete-event scheduler on virtual time. Events are kept in a binary heap
 * ordered by (time, insertion number), so events at the same time run in the order they were
 * scheduled and a run is fully deterministic. Time only moves when the next event is taken; nothing
 * reads a host clock. `runUntil` runs synchronously; `runUntilAsync` yields to the host event loop
 * between virtual instants so that code built on host-async machinery (Node streams, promises) gets
 * to react before virtual time moves on.
 *
 * `RealtimeScheduler`: the same contract on the host's timers (`setTimeout`, `performance.now`),
 * both standard in browsers and Node.
 *
 * Invariants: the virtual clock never goes backwards; a cancelled event never runs; the heap holds
 * only live or cancelled-not-yet-popped events (bounded by what callers scheduled).
 */
import { BinaryHeap } from './heap.js';
import type { Scheduler, Timer } from './link.js';

interface Entry {
  at: number;
  seq: number;
  fn: (() => void) | undefined;
}

/** Time order; equal times in the order scheduled. */
function earlier(x: Entry, y: Entry): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}

/** Limits for a run; whichever is reached first stops it. */
export interface RunLimit {
  /** Do not run events later than this virtual time (ms). */
  readonly until?: number;
  /** Run at most this many events. */
  readonly events?: number;
}

export class VirtualScheduler implements Scheduler {
  private readonly heap = new BinaryHeap<Entry>(earlier);
  private seq = 0;
  private time: number;
  /** Events run so far. */
  eventsRun = 0;

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  schedule(at: number, fn: () => void): Timer {
    const e: Entry = { at: Number.isFinite(at) ? Math.max(at, this.time) : Infinity, seq: this.seq++, fn };
    if (e.at === Infinity) return { cancel: () => undefined };
    this.heap.push(e);
    return {
      cancel: () => {
        e.fn = undefined;
      },
    };
  }

  /** Time of the next live event, or undefined when none is scheduled. */
  nextAt(): number | undefined {
    this.dropCancelled();
    return this.heap.peek()?.at;
  }

  /** Number of scheduled (live or cancelled) entries. */
  get pending(): number {
    return this.heap.size;
  }

  /** Run the next event; false when there is none. */
  step(): boolean {
    this.dropCancelled();
    const e = this.heap.pop();
    if (e === undefined) return false;
    this.time = e.at;
    const fn = e.fn;
    e.fn = undefined;
    this.eventsRun++;
    fn?.();
    return true;
  }

  /**
   * Run events until `predicate()` holds (checked before each event), no event is left, or a limit
   * is reached. Returns true when the predicate held.
   */
  runUntil(predicate: () => boolean, limit: RunLimit = {}): boolean {
    const maxEvents = limit.events ?? Infinity;
    const until = limit.until ?? Infinity;
    let n = 0;
    for (;;) {
      if (predicate()) return true;
      const next = this.nextAt();
      if (next === undefined || next > until || n >= maxEvents) {
        if ((next === undefined || next > until) && Number.isFinite(until) && until > this.time) this.time = until;
        return predicate();
      }
      this.step();
      n++;
    }
  }

  /** Run every event up to and including time `t`, then set the clock to `t`. */
  advanceTo(t: number): void {
    for (;;) {
      const next = this.nextAt();
      if (next === undefined || next > t) break;
      this.step();
    }
    if (t > this.time) this.time = t;
  }

  /**
   * Like runUntil, but after running all events of one virtual instant it awaits `yieldFn` (default:
   * a macrotask via setTimeout(0)/setImmediate) so host-async code can schedule more events at the
   * same instant before the clock moves.
   */
  async runUntilAsync(predicate: () => boolean, limit: RunLimit = {}, yieldFn: () => Promise<void> = hostYield): Promise<boolean> {
    const maxEvents = limit.events ?? Infinity;
    const until = limit.until ?? Infinity;
    let n = 0;
    for (;;) {
      if (predicate()) return true;
      // Let host-async work (stream callbacks, promise continuations) run at the current instant.
      await yieldFn();
      if (predicate()) return true;
      const next = this.nextAt();
      if (next === undefined || next > until || n >= maxEvents) return predicate();
      const t = next;
      // Run everything at this instant (including events scheduled by those events).
      while (n < maxEvents) {
        const nx = this.nextAt();
        if (nx === undefined || nx !== t) break;
        this.step();
        n++;
      }
    }
  }

  private dropCancelled(): void {
    for (let top = this.heap.peek(); top !== undefined && top.fn === undefined; top = this.heap.peek()) this.heap.pop();
  }
}

/** One macrotask turn of the host event loop. */
export function hostYield(): Promise<void> {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown };
  if (typeof g.setImmediate === 'function') {
    const si = g.setImmediate;
    return new Promise((resolve) => {
      si(resolve);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** The Scheduler contract on the host's clock and timers. */
export interface RealtimeSchedulerOptions {
  /** The host time (performance.now()) that is time 0; default: now. */
  readonly origin?: number;
  /** Do not let these timers keep a Node process alive (default false). */
  readonly unref?: boolean;
}

export class RealtimeScheduler implements Scheduler {
  private readonly origin: number;
  private readonly unref: boolean;

  constructor(options: RealtimeSchedulerOptions = {}) {
    this.origin = options.origin ?? performance.now();
    this.unref = options.unref ?? false;
  }

  now(): number {
    return performance.now() - this.origin;
  }

  schedule(at: number, fn: () => void): Timer {
    const delay = at - this.now();
    const g = globalThis as { setImmediate?: (fn: () => void) => unknown; clearImmediate?: (h: unknown) => void };
    if (delay <= 0 && g.setImmediate !== undefined && g.clearImmediate !== undefined) {
      // "As soon as possible": the next turn of the event loop, not setTimeout's 1 ms minimum.
      const h = g.setImmediate(fn);
      if (this.unref) (h as { unref?: () => void }).unref?.();
      const clear = g.clearImmediate;
      return { cancel: () => clear(h) };
    }
    const h = setTimeout(fn, Math.max(0, delay));
    if (this.unref) (h as unknown as { unref?: () => void }).unref?.();
    return { cancel: () => clearTimeout(h) };
  }
}
