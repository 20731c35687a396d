/**
 * A deterministic simulation of two engines wired back to back (after quinn-proto's `Pair` and
 * smoltcp's netsim): virtual time, and a seeded PRNG deciding loss, duplication, reordering,
 * corruption and delay per segment, with an optional bottleneck of limited rate and buffer in each
 * direction. Every run is reproducible from its seed: same seed, same trace.
 *
 * A is the active opener (`connect`), B a passive one (`listen`). Each step: the application
 * callback acts, both engines' output is drained onto the link, then time jumps to the next event
 * (a delivery or an engine deadline).
 *
 * What the link does to a segment, in order: the bottleneck (if `rate` is set) queues it behind the
 * segments before it and drops it when its buffer (`queue` bytes) is full (congestion loss); then it
 * is lost with probability `loss`; corrupted with probability `corrupt`; delivered twice with
 * probability `duplicate`; each copy arrives after `delay` + jitter (+ `reorderDelay` with
 * probability `reorder`). A corrupted segment really is corrupted: it is encoded with the wire codec
 * (IPv4 pseudo-header checksum), one random bit is flipped, and it is delivered only if the codec
 * still parses it with a good checksum (a single flipped bit never passes the internet checksum, so
 * it is dropped the way the stack drops it). With `wire: true` every segment goes through the codec.
 *
 * Invariant: the link copies what it carries, so a segment's bytes are fixed at transmission even
 * when the engine hands out views of its buffers.
 */
import { BinaryHeap } from '../../src/link/heap.js';
import { SeededRandom } from '../../src/link/rng.js';
import { TcpConnection } from '../../src/tcp/connection.js';
import type { TcpConfig } from '../../src/tcp/config.js';
import type { TcpEvent } from '../../src/tcp/events.js';
import { emitTcp, parseTcp, TcpPacket, tcpBufferLength, type TcpRepr } from '../../src/wire/tcp.js';

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
  /** Probability that one bit of a segment is flipped on the way (it then fails the checksum). */
  readonly corrupt?: number;
  /** Bottleneck rate in bytes per ms (1 byte/ms = 8 kbit/s); Infinity = no bottleneck. */
  readonly rate?: number;
  /** Bottleneck buffer in bytes (drop-tail); Infinity = unbounded. Only with `rate`. */
  readonly queue?: number;
  /** Encode and decode every segment with the wire codec and its checksum. */
  readonly wire?: boolean;
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
  readonly fate: 'sent' | 'lost' | 'duplicated' | 'corrupted' | 'queue-full';
}

interface Delivery {
  readonly t: number;
  readonly order: number;
  readonly to: Side;
  readonly seg: TcpRepr;
}

/** Addresses for the pseudo-header when segments go through the codec. */
const IP_A = { src: 0x0a000001, dst: 0x0a000002 };
const IP_B = { src: 0x0a000002, dst: 0x0a000001 };
/** Bytes of IPv4 header a segment occupies on the bottleneck besides its TCP bytes. */
const IP_HEADER = 20;

/** Deliveries leave in (time, order of transmission) order. */
function before(x: Delivery, y: Delivery): boolean {
  return x.t < y.t || (x.t === y.t && x.order < y.order);
}

export class Pair {
  readonly a: TcpConnection;
  b: TcpConnection;
  readonly rng: SeededRandom;
  readonly link: Required<LinkConfig>;
  readonly trace: TraceEntry[] = [];
  readonly eventsA: TcpEvent[] = [];
  readonly eventsB: TcpEvent[] = [];
  now = 0;
  sent = { A: 0, B: 0 };
  lost = 0;
  duplicated = 0;
  /** Segments whose flipped bit the checksum caught (dropped). */
  corrupted = 0;
  /** Segments dropped by a full bottleneck buffer. */
  queueDrops = 0;
  /** Segments handed to an engine. */
  delivered = 0;
  private queue = new BinaryHeap<Delivery>(before);
  private order = 0;
  private readonly keepTrace: boolean;
  /** When each direction's bottleneck is next free. */
  private busyUntil = { A: 0, B: 0 };
  private scratch = new Uint8Array(70_000);

  constructor(o: PairOptions) {
    this.rng = new SeededRandom(o.seed);
    this.link = {
      delay: 5,
      jitter: 0,
      loss: 0,
      duplicate: 0,
      reorder: 0,
      reorderDelay: 20,
      corrupt: 0,
      rate: Infinity,
      queue: Infinity,
      wire: false,
      ...o.link,
    };
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

  private record(from: Side, seg: TcpRepr, fate: TraceEntry['fate']): void {
    if (this.keepTrace) this.trace.push({ t: this.now, from, seg, fate });
  }

  private transmit(from: Side, original: TcpRepr): void {
    this.sent[from]++;
    const l = this.link;
    const seg: TcpRepr = original.payload.length > 0 ? { ...original, payload: original.payload.slice() } : original;
    let departs = this.now;
    if (l.rate !== Infinity) {
      const size = tcpBufferLength(seg) + IP_HEADER;
      const start = Math.max(this.now, this.busyUntil[from]);
      const backlog = (start - this.now) * l.rate;
      if (backlog + size > l.queue) {
        this.queueDrops++;
        this.record(from, seg, 'queue-full');
        return;
      }
      departs = start + size / l.rate;
      this.busyUntil[from] = departs;
    }
    if (this.rng.chance(l.loss)) {
      this.lost++;
      this.record(from, seg, 'lost');
      return;
    }
    let delivered = seg;
    if (this.rng.chance(l.corrupt)) {
      const r = this.throughCodec(from, seg, true);
      if (r === undefined) {
        this.corrupted++;
        this.record(from, seg, 'corrupted');
        return;
      }
      delivered = r;
    } else if (l.wire) {
      const r = this.throughCodec(from, seg, false);
      if (r === undefined) throw new Error(`the codec rejected an engine segment: ${JSON.stringify({ ...seg, payload: seg.payload.length })}`);
      delivered = r;
    }
    const copies = this.rng.chance(l.duplicate) ? 2 : 1;
    if (copies === 2) this.duplicated++;
    this.record(from, seg, copies === 2 ? 'duplicated' : 'sent');
    for (let i = 0; i < copies; i++) {
      let t = departs + l.delay + (l.jitter > 0 ? this.rng.next() * l.jitter : 0);
      if (this.rng.chance(l.reorder)) t += l.reorderDelay;
      this.queue.push({ t, order: this.order++, to: from === 'A' ? 'B' : 'A', seg: delivered });
    }
  }

  /** Encode with checksum, optionally flip one random bit, decode with checksum verification. */
  private throughCodec(from: Side, seg: TcpRepr, flip: boolean): TcpRepr | undefined {
    const ip = from === 'A' ? IP_A : IP_B;
    const n = emitTcp(seg, this.scratch, ip);
    const bytes = this.scratch.slice(0, n);
    if (flip) {
      const bit = this.rng.int(n * 8);
      bytes[bit >>> 3] = (bytes[bit >>> 3] ?? 0) ^ (1 << (bit & 7));
    }
    const r = parseTcp(new TcpPacket(bytes), ip);
    return r.ok ? r.value : undefined;
  }

  /** The time of the next delivery or engine deadline (or `appWake`, when the application asks). */
  nextEventTime(appWake?: number): number | undefined {
    let t = appWake !== undefined && appWake > this.now ? appWake : Infinity;
    const d = this.queue.peek();
    if (d !== undefined && d.t < t) t = d.t;
    const ta = this.a.pollAt();
    const tb = this.b.pollAt();
    if (ta !== undefined && ta < t) t = ta;
    if (tb !== undefined && tb < t) t = tb;
    return t === Infinity ? undefined : t;
  }

  /** Segments in flight on the link. */
  get inFlight(): number {
    return this.queue.size;
  }

  /** Advance to the next event and process everything due then. Returns false if nothing is pending. */
  step(appWake?: number): boolean {
    const t = this.nextEventTime(appWake);
    if (t === undefined) return false;
    this.now = Math.max(this.now, t);
    for (let d = this.queue.peek(); d !== undefined && d.t <= this.now; d = this.queue.peek()) {
      this.queue.pop();
      this.delivered++;
      this.conn(d.to).handleSegment(this.now, d.seg);
    }
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
