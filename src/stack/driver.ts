/**
 * Runs a sans-IO Stack on a Scheduler and Links: packets from link i go to `stack.receive(now, p,
 * i)`; after every input, timer or wake-up the driver calls `stack.poll(now)`, sends what comes out
 * on the interface's link, and arms one timer at `stack.pollAt()`. With a VirtualScheduler the whole
 * network is deterministic; with a RealtimeScheduler it runs on the host's clock (the Node shell and
 * the browser UI use that).
 *
 * Links that read in batches (Link.onPackets, a TUN device) hand the stack a whole batch, polled
 * once (Stack.receiveMany). A timer armed for a deadline that has since moved later is left to
 * fire early rather than re-armed per packet.
 *
 * Invariants: at most one pending timer and one pending wake-up per driver; the timer never fires
 * later than the stack's pollAt; a stack whose pollAt stays in the past does not spin forever (after many polls at one instant the next one is pushed
 * 1 ms ahead and counted in `livelockNudges`).
 */
import type { Link, Scheduler, Timer } from '../link/link.js';
import type { Stack } from './stack.js';

const SPIN_LIMIT = 10_000;
/** See StackDriver.flushEvery. */
export const DEFAULT_FLUSH_EVERY = 16;
/** See StackDriver.flushBytes: about what Linux acknowledges at once for a GRO-merged packet. */
export const DEFAULT_FLUSH_BYTES = 32 * 1024;

export class StackDriver {
  private timer: Timer | undefined;
  private timerAt: number | undefined;
  private wakeScheduled = false;
  private closed = false;
  private spinAt = -Infinity;
  private spins = 0;
  /** Times the driver had to push a poll ahead because the stack kept asking for the past. */
  livelockNudges = 0;
  /**
   * Packets of one batch the stack takes before it flushes (see Stack.receiveMany): a connection
   * receiving a batch acknowledges at least once per this many packets.
   */
  flushEvery = DEFAULT_FLUSH_EVERY;
  /** ... or this many bytes (large packets, GRO-merged ones above all, are answered sooner). */
  flushBytes = DEFAULT_FLUSH_BYTES;

  constructor(
    readonly stack: Stack,
    readonly scheduler: Scheduler,
    private readonly links: readonly Link[],
  ) {
    links.forEach((link, i) => {
      if (link.onPackets !== undefined) {
        // A batch in, one poll out: the stack answers the whole read at once.
        link.onPackets((ps) => {
          if (this.closed) return;
          this.stack.receiveMany(this.scheduler.now(), ps, i, this.flushEvery, this.flushBytes);
          this.service();
        });
        return;
      }
      link.onReceive((p) => {
        if (this.closed) return;
        this.stack.receive(this.scheduler.now(), p, i);
        this.service();
      });
    });
    stack.setWaker(() => this.wake());
    this.wake();
  }

  /** The link of interface `i`. */
  link(i = 0): Link | undefined {
    return this.links[i];
  }

  /** Poll soon (at the current time, after whatever is running now). */
  wake(): void {
    if (this.wakeScheduled || this.closed) return;
    this.wakeScheduled = true;
    this.scheduler.schedule(this.scheduler.now(), () => {
      this.wakeScheduled = false;
      this.service();
    });
  }

  /** Poll the stack now: send its packets and re-arm the timer. */
  service(): void {
    if (this.closed) return;
    const now = this.scheduler.now();
    const out = this.stack.poll(now);
    const only = this.links.length === 1 ? this.links[0] : undefined;
    if (out.length > 1 && only?.sendMany !== undefined) {
      // One link (the usual case): the whole poll in one call, so it can write it together.
      only.sendMany(out.map((o) => o.packet));
    } else {
      for (const o of out) this.links[o.iface]?.send(o.packet);
    }
    this.rearm(now);
  }

  private rearm(now: number): void {
    let at = this.stack.pollAt();
    if (at !== undefined && at <= now) {
      if (this.spinAt === now) this.spins++;
      else {
        this.spinAt = now;
        this.spins = 0;
      }
      if (this.spins > SPIN_LIMIT) {
        at = now + 1;
        this.livelockNudges++;
        this.spins = 0;
      }
    }
    if (at === this.timerAt && this.timer !== undefined) return;
    // A deadline that moved later (the RTO pushed back by every ACK) keeps the armed timer: it
    // fires early, polls for nothing and re-arms. Cheaper than cancelling and re-arming a host
    // timer for every packet.
    if (this.timer !== undefined && this.timerAt !== undefined && (at === undefined || at >= this.timerAt)) return;
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAt = at;
    if (at === undefined) return;
    this.timer = this.scheduler.schedule(at, () => {
      this.timer = undefined;
      this.timerAt = undefined;
      this.service();
    });
  }

  /** Stop driving (links are left open; close them separately). */
  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.stack.setWaker(undefined);
  }
}
