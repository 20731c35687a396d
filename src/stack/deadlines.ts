/**
 * The stack's timer table: the next deadline of every connection in one binary min-heap, so that
 * `poll` finds the due connections and `pollAt` the earliest deadline without looking at every
 * connection (a server with ten thousand idle connections pays for the ones that are due).
 *
 * Entries are never updated in place: a new deadline pushes a new entry and bumps the owner's
 * generation, and entries whose generation is old (or whose owner is gone) are dropped when they
 * reach the top. Browser-safe.
 *
 * Invariants: for every live owner with a finite deadline there is exactly one current entry (its
 * generation matches); `peek`/`popDue` never return a stale entry; stale entries are at most one
 * per reschedule, and the heap is compacted when they outnumber the live ones.
 */

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
  private heap: Entry<T>[] = [];
  private live = 0;

  /** Entries held (live and stale), for tests and bounds. */
  get size(): number {
    return this.heap.length;
  }

  /** Record `at` as `owner`'s deadline (Infinity: none); a no-op when it is unchanged. */
  set(owner: T, at: number): void {
    if (at === owner.deadline) return;
    if (owner.deadline !== Infinity) this.live--;
    owner.deadline = at;
    owner.deadlineGen++;
    if (at === Infinity) return;
    this.live++;
    this.push({ at, gen: owner.deadlineGen, owner });
    // Stale entries pile up when deadlines move often; rebuild once they dominate.
    if (this.heap.length > 64 && this.heap.length > 4 * this.live) this.compact();
  }

  /** Forget `owner` (it left the table). */
  clear(owner: T): void {
    this.set(owner, Infinity);
  }

  /** The earliest live deadline, or undefined. */
  peek(): number | undefined {
    this.dropStale();
    return this.heap[0]?.at;
  }

  /** Owners whose deadline is <= now, earliest first; each one's deadline is reset to Infinity. */
  popDue(now: number): T[] {
    const out: T[] = [];
    for (;;) {
      this.dropStale();
      const top = this.heap[0];
      if (top === undefined || top.at > now) return out;
      this.pop();
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
    while (this.heap.length > 0 && this.isStale(this.heap[0] as Entry<T>)) this.pop();
  }

  private compact(): void {
    const keep = this.heap.filter((e) => !this.isStale(e));
    this.heap = [];
    for (const e of keep) this.push(e);
    this.live = keep.length;
  }

  private push(e: Entry<T>): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = h[p] as Entry<T>;
      if (pe.at <= e.at) break;
      h[i] = pe;
      i = p;
    }
    h[i] = e;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && (h[r] as Entry<T>).at < (h[l] as Entry<T>).at) c = r;
      if ((h[c] as Entry<T>).at >= last.at) break;
      h[i] = h[c] as Entry<T>;
      i = c;
    }
    h[i] = last;
  }
}
