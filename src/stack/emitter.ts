/**
 * A small typed event emitter for the browser-safe socket API (no node:events here). It follows
 * Node's EventEmitter where it matters to callers: on/once/off/emit/listenerCount, listeners run in
 * the order they were added, `once` listeners are removed before they run. Unlike Node, emitting
 * 'error' with no listener does not throw: a sans-IO stack must not be torn down from inside its
 * receive path by an application that forgot a handler (the Node shell restores Node's behaviour).
 *
 * Invariant: adding or removing listeners while an event is being emitted does not affect that
 * emission (it runs over a snapshot).
 */

type EventMap<E> = { [K in keyof E]: unknown[] };

interface Entry<A extends unknown[]> {
  readonly fn: (...args: A) => void;
  readonly once: boolean;
}

export class Emitter<E extends EventMap<E>> {
  private readonly table = new Map<keyof E, Entry<never[]>[]>();

  on<K extends keyof E>(event: K, fn: (...args: E[K]) => void): this {
    return this.add(event, fn, false);
  }

  /** Same as `on`. */
  addListener<K extends keyof E>(event: K, fn: (...args: E[K]) => void): this {
    return this.add(event, fn, false);
  }

  once<K extends keyof E>(event: K, fn: (...args: E[K]) => void): this {
    return this.add(event, fn, true);
  }

  off<K extends keyof E>(event: K, fn: (...args: E[K]) => void): this {
    const list = this.table.get(event);
    if (list === undefined) return this;
    const i = list.findIndex((e) => (e.fn as unknown) === fn);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.table.delete(event);
    return this;
  }

  /** Same as `off`. */
  removeListener<K extends keyof E>(event: K, fn: (...args: E[K]) => void): this {
    return this.off(event, fn);
  }

  removeAllListeners(event?: keyof E): this {
    if (event === undefined) this.table.clear();
    else this.table.delete(event);
    return this;
  }

  listenerCount(event: keyof E): number {
    return this.table.get(event)?.length ?? 0;
  }

  /** Call every listener of `event` with `args`; true when there was at least one. */
  emit<K extends keyof E>(event: K, ...args: E[K]): boolean {
    const list = this.table.get(event);
    if (list === undefined || list.length === 0) return false;
    const snapshot = list.slice();
    for (const e of snapshot) {
      if (e.once) {
        const i = list.indexOf(e);
        if (i >= 0) list.splice(i, 1);
      }
      (e.fn as unknown as (...a: E[K]) => void)(...args);
    }
    if (list.length === 0) this.table.delete(event);
    return true;
  }

  /** Called after a listener is added (subclasses start data flow on 'data', as Node streams do). */
  protected listenerAdded(_event: keyof E): void {}

  private add<K extends keyof E>(event: K, fn: (...args: E[K]) => void, once: boolean): this {
    let list = this.table.get(event);
    if (list === undefined) {
      list = [];
      this.table.set(event, list);
    }
    list.push({ fn: fn as unknown as (...a: never[]) => void, once });
    this.listenerAdded(event);
    return this;
  }
}
