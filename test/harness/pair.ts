/**
 * A deterministic simulation of two engines wired back to back (after quinn-proto's `Pair` and
 * smoltcp's netsim): virtual time, a seeded PRNG deciding loss, duplication, reordering and delay
 * per segment. Every run is reproducible from its seed: same seed, same trace.
 *
 * A is the active opener (`connect`), B a passive one (`listen`). Each step: the application
 * callback acts, both engines' output is drained onto the link, then time jumps to the next event
 * (a delivery or an engine deadline).
 */
import { TcpConnection } from '../../src/tcp/connection.js';
import type { TcpConfig } from '../../src/tcp/config.js';
import type { TcpEvent } from '../../src/tcp/events.js';
import type { TcpRepr } from '../../src/wire/tcp.js';
import { Prng } from './prng.js';

export interface LinkConfig {
  /** One-way base delay, ms. */
  readonly delay?: number;
  /** Extra uniform random delay in [0, jitter] ms (reorders segments when larger than their spacing). */
  readonly jitter?: number;
  /** Probability that a segment is lost. */
  readonly loss?: number;
  /** Probability that a segment is delivered twice. */
  readonly duplicate?: number;
  /** Probability that a segment is held back by an extra `reorderDelay` ms. */
  readonly reorder?: number;
  readonly reorderDelay?: number;
}

export interface PairOptions {
  readonly seed: number;
  readonly link?: LinkConfig;
  readonly configA?: Partial<TcpConfig>;
  readonly configB?: Partial<TcpConfig>;
  readonly issA?: number;
  readonly issB?: number;
  /** Keep every transmitted segment in `trace` (costs memory on long runs). */
  readonly trace?: boolean;
}

export type Side = 'A' | 'B';

export interface TraceEntry {
  readonly t: number;
  readonly from: Side;
  readonly seg: TcpRepr;
  readonly fate: 'sent' | 'lost' | 'duplicated';
}

interface Delivery {
  readonly t: number;
  readonly order: number;
  readonly to: Side;
  readonly seg: TcpRepr;
}

export class Pair {
  readonly a: TcpConnection;
  b: TcpConnection;
  readonly rng: Prng;
  readonly link: Required<LinkConfig>;
  readonly trace: TraceEntry[] = [];
  readonly eventsA: TcpEvent[] = [];
  readonly eventsB: TcpEvent[] = [];
  now = 0;
  sent = { A: 0, B: 0 };
  lost = 0;
  duplicated = 0;
  private queue: Delivery[] = [];
  private order = 0;
  private readonly keepTrace: boolean;

  constructor(o: PairOptions) {
    this.rng = new Prng(o.seed);
    this.link = { delay: 5, jitter: 0, loss: 0, duplicate: 0, reorder: 0, reorderDelay: 20, ...o.link };
    this.keepTrace = o.trace ?? false;
    this.a = TcpConnection.connect({ now: 0, localPort: 40000, remotePort: 80, iss: o.issA ?? this.rng.nextU32(), config: o.configA ?? {} });
    const issB = o.issB ?? this.rng.nextU32();
    this.b = TcpConnection.listen({ localPort: 80, iss: issB, config: o.configB ?? {} });
  }

  conn(side: Side): TcpConnection {
    return side === 'A' ? this.a : this.b;
  }

  /** Drain both engines' output onto the link, and their events into eventsA/eventsB. */
  flush(): void {
    for (const side of ['A', 'B'] as const) {
      const c = this.conn(side);
      for (let s = c.pollTransmit(this.now); s; s = c.pollTransmit(this.now)) this.transmit(side, s);
      const sink = side === 'A' ? this.eventsA : this.eventsB;
      for (let e = c.pollEvent(); e; e = c.pollEvent()) sink.push(e);
    }
  }

  private transmit(from: Side, seg: TcpRepr): void {
    this.sent[from]++;
    const l = this.link;
    if (this.rng.chance(l.loss)) {
      this.lost++;
      if (this.keepTrace) this.trace.push({ t: this.now, from, seg, fate: 'lost' });
      return;
    }
    const copies = this.rng.chance(l.duplicate) ? 2 : 1;
    if (copies === 2) this.duplicated++;
    if (this.keepTrace) this.trace.push({ t: this.now, from, seg, fate: copies === 2 ? 'duplicated' : 'sent' });
    for (let i = 0; i < copies; i++) {
      let t = this.now + l.delay + (l.jitter > 0 ? this.rng.next() * l.jitter : 0);
      if (this.rng.chance(l.reorder)) t += l.reorderDelay;
      this.queue.push({ t, order: this.order++, to: from === 'A' ? 'B' : 'A', seg });
    }
  }

  /** The time of the next delivery or engine deadline (or `appWake`, when the application asks). */
  nextEventTime(appWake?: number): number | undefined {
    let t = appWake !== undefined && appWake > this.now ? appWake : Infinity;
    for (const d of this.queue) if (d.t < t) t = d.t;
    const ta = this.a.pollAt();
    const tb = this.b.pollAt();
    if (ta !== undefined && ta < t) t = ta;
    if (tb !== undefined && tb < t) t = tb;
    return t === Infinity ? undefined : t;
  }

  /** Advance to the next event and process everything due then. Returns false if nothing is pending. */
  step(appWake?: number): boolean {
    const t = this.nextEventTime(appWake);
    if (t === undefined) return false;
    this.now = Math.max(this.now, t);
    const due = this.queue.filter((d) => d.t <= this.now).sort((x, y) => x.t - y.t || x.order - y.order);
    this.queue = this.queue.filter((d) => d.t > this.now);
    for (const d of due) this.conn(d.to).handleSegment(this.now, d.seg);
    for (const c of [this.a, this.b]) {
      const at = c.pollAt();
      if (at !== undefined && at <= this.now) c.handleTimeout(this.now);
    }
    return true;
  }

  /**
   * Run until `done` holds (true), nothing is pending, virtual time passes `maxTime`, or `maxSteps`
   * steps were taken (false). `app` acts for the applications before each flush.
   */
  run(o: {
    app?: (p: Pair) => void;
    /** When the application wants to act next on its own (a timer of the application). */
    appWakeAt?: (p: Pair) => number | undefined;
    done: (p: Pair) => boolean;
    maxTime?: number;
    maxSteps?: number;
  }): boolean {
    const maxTime = o.maxTime ?? 3_600_000;
    const maxSteps = o.maxSteps ?? 10_000_000;
    for (let i = 0; i < maxSteps; i++) {
      o.app?.(this);
      this.flush();
      if (o.done(this)) return true;
      const wake = o.appWakeAt?.(this);
      const t = this.nextEventTime(wake);
      if (t === undefined || t > maxTime) return false;
      this.step(wake);
    }
    return false;
  }
}

/** An application that streams `data` from one side and collects what the other side reads. */
export class StreamApp {
  private offset = 0;
  private shut = false;
  readonly received: Uint8Array[] = [];
  receivedBytes = 0;

  constructor(
    private readonly data: Uint8Array,
    private readonly closeWhenDone = true,
  ) {}

  /** Push as much as the send buffer takes; shutdown after the last byte. */
  pump(c: TcpConnection): void {
    if (this.shut || c.isClosed) return;
    const st = c.state;
    if (st !== 'ESTABLISHED' && st !== 'CLOSE-WAIT' && st !== 'SYN-SENT' && st !== 'SYN-RECEIVED') return;
    while (this.offset < this.data.length) {
      const n = c.send(this.data.subarray(this.offset, Math.min(this.data.length, this.offset + 65536)));
      if (n === 0) break;
      this.offset += n;
    }
    // CLOSE in SYN-SENT would delete the connection (3.10.4): wait for the handshake to finish.
    if (this.offset === this.data.length && this.closeWhenDone && (st === 'ESTABLISHED' || st === 'CLOSE-WAIT')) {
      c.shutdown();
      this.shut = true;
    }
  }

  /** Read everything available. */
  drain(c: TcpConnection): void {
    if (c.readableBytes === 0) return;
    const chunk = c.read();
    this.received.push(chunk);
    this.receivedBytes += chunk.length;
  }

  get done(): boolean {
    return this.shut;
  }

  joined(): Uint8Array {
    const out = new Uint8Array(this.receivedBytes);
    let o = 0;
    for (const c of this.received) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}
