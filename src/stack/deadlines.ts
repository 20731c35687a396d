/**
 * The stack's timer table: the next deadline of every connection in one binary min-heap, so that
 * `poll` finds the due connections and `pollAt` the earliest deadline without looking at every
 * connection (a server with ten thousand idle connections pays for the ones that are due).
 *
 * Entries are never updated in place: a new deadline pushes a new entry and bumps the owner's
 * generation, and entries whose generation is old (or whose owner is gone) are dropped when they
 * reach the top (the heap is src/link/heap.ts). Browser-safe.
 *
 * Invariants: for every live owner with a finite deadline there is exactly one current entry (its
 * generation matches); `peek`/`popDue` never return a stale entry; stale entries are at most one
 * per reschedule, and the heap is compacted when they outnumber the live ones.
 */
import { BinaryHeap } from '../link/heap.js';

/** What the heap needs from an owner (a StackConnection). */
export interface DeadlineOwner {
  /** The deadline the current entry was made for (Infinity: none). */
  deadline: number;
  /** Bumped on every reschedule: older entries are stale. */
  deadlineGen: number;
  /** True once the owner left the table: all its entries are stale. */
  readonly removed: boolean;
}

interface Entry<T extends DeadlineOwner> {
  readonly at: number;
  readonly gen: number;
  readonly owner: T;
}

export class DeadlineHeap<T extends DeadlineOwner> {
  private readonly heap = new BinaryHeap<Entry<T>>((x, y) => x.at < y.at);
  private live = 0;

  /** Entries held (live and stale), for tests and bounds. */
  get size(): number {
    return this.heap.size;
  }

  /** Record `at` as `owner`'s deadline (Infinity: none); a no-op when it is unchanged. */
  set(owner: T, at: number): void {
    if (at === owner.deadline) return;
    if (owner.deadline !== Infinity) this.live--;
    owner.deadline = at;
    owner.deadlineGen++;
    if (at === Infinity) return;
    this.live++;
    this.heap.push({ at, gen: owner.deadlineGen, owner });
    // Stale entries pile up when deadlines move often; rebuild once they dominate.
    if (this.heap.size > 64 && this.heap.size > 4 * this.live) this.compact();
  }

  /** Forget `owner` (it left the table). */
  clear(owner: T): void {
    this.set(owner, Infinity);
  }

  /** The earliest live deadline, or undefined. */
  peek(): number | undefined {
    this.dropStale();
    return this.heap.peek()?.at;
  }

  /** Owners whose deadline is <= now, earliest first; each one's deadline is reset to Infinity. */
  popDue(now: number): T[] {
    const out: T[] = [];
    for (;;) {
      this.dropStale();
      const top = this.heap.peek();
      if (top === undefined || top.at > now) return out;
      this.heap.pop();
      this.live--;
      top.owner.deadline = Infinity;
      top.owner.deadlineGen++;
      out.push(top.owner);
    }
  }

  private isStale(e: Entry<T>): boolean {
    return e.owner.removed || e.gen !== e.owner.deadlineGen;
  }

  private dropStale(): void {
    for (let top = this.heap.peek(); top !== undefined && this.isStale(top); top = this.heap.peek()) this.heap.pop();
  }

  private compact(): void {
    this.heap.retain((e) => !this.isStale(e));
    this.live = this.heap.size;
  }
}
