/**
 * A binary min-heap over an array, ordered by `less`: the virtual scheduler's event queue and the
 * stack's deadline table both use it. Browser-safe.
 *
 * Invariant: for every index i > 0, !less(items[i], items[(i - 1) >> 1]) (no child is before its
 * parent), so `peek()` is a least element.
 */
export class BinaryHeap<E> {
  private items: E[] = [];

  constructor(private readonly less: (x: E, y: E) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  /** A least element, or undefined when empty. */
  peek(): E | undefined {
    return this.items[0];
  }

  push(e: E): void {
    const h = this.items;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = h[p] as E;
      if (!this.less(e, pe)) break;
      h[i] = pe;
      i = p;
    }
    h[i] = e;
  }

  /** Remove and return a least element (undefined when empty). */
  pop(): E | undefined {
    const h = this.items;
    const top = h[0];
    if (top === undefined) return undefined;
    const last = h.pop() as E;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n && this.less(h[r] as E, h[l] as E)) c = r;
        if (!this.less(h[c] as E, last)) break;
        h[i] = h[c] as E;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }

  /** Keep only the elements `keep` accepts, and rebuild the order. */
  retain(keep: (e: E) => boolean): void {
    const old = this.items;
    this.items = [];
    for (const e of old) if (keep(e)) this.push(e);
  }
}
