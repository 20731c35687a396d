/**
 * An in-memory link pair: two endpoints, `a` and `b`, each a Link; what one sends the other
 * receives, through a per-direction fault model driven by a seeded generator on a Scheduler
 * (virtual time makes it fully deterministic):
 *
 *  - loss, duplication, reordering (a packet held back by `reorderDelay`), corruption (one random
 *    bit flipped in a copy: a stack must drop it on the checksum), fixed delay plus uniform jitter,
 *    a bandwidth limit (serialization delay with a bounded drop-tail queue), and the MTU (packets
 *    larger than the MTU are dropped, or `send` throws with mtuAction 'error');
 *  - one-shot controls for the next packet(s) in one direction: drop, duplicate, corrupt, delay
 *    (what a UI button does);
 *  - an observer that sees every packet put on the wire with its fate (for traces and captures).
 *
 * Invariants: delivery is always scheduled, never synchronous; the sender's buffer is delivered
 * as is (or a corrupted copy), never modified; bytes waiting for serialization never exceed
 * `queueLimit`; the random draws for a packet depend only on the seed and the packets before it.
 */
import { SynackError } from '../errors.js';
import type { BatchReceiveCallback, Link, ReceiveCallback, Scheduler } from './link.js';
import { internetChecksum } from '../wire/checksum.js';
import { SeededRandom } from './rng.js';

export interface FaultOptions {
  /** Probability that a packet is lost (0..1). */
  readonly loss?: number;
  /** Probability that a packet is delivered twice. */
  readonly duplicate?: number;
  /** Probability that a packet is held back by `reorderDelay` so later packets overtake it. */
  readonly reorder?: number;
  /** Probability that one bit of a packet is flipped. */
  readonly corrupt?: number;
  /**
   * Probability that an ECN-capable packet (ECT(0) or ECT(1) in its IPv4 or IPv6 header) is marked
   * Congestion Experienced, as a router's active queue management would mark it instead of
   * dropping it (RFC 3168 5). Other packets pass unchanged.
   */
  readonly ce?: number;
  /** One-way propagation delay in ms (default 0). */
  readonly delay?: number;
  /** Uniform extra delay in [0, jitter) ms per packet (default 0). Jitter alone can reorder. */
  readonly jitter?: number;
  /** Extra delay of a reordered packet in ms (default max(1, 2 * delay)). */
  readonly reorderDelay?: number;
  /** Bits per second; undefined or 0: no serialization delay. */
  readonly bandwidth?: number;
  /** With a bandwidth: bytes that may wait for serialization before drop-tail (default 1 MiB). */
  readonly queueLimit?: number;
}

export type PacketFate = 'delivered' | 'lost' | 'corrupted' | 'duplicated' | 'too-big' | 'queue-full' | 'closed';

/** One packet put on the wire, as the observer sees it. */
export interface WireEvent {
  /** Time the packet was sent. */
  readonly time: number;
  readonly from: 'a' | 'b';
  /** The packet as sent (before any corruption). Do not modify. */
  readonly packet: Uint8Array;
  readonly fate: PacketFate;
  /** Arrival time of the (first) copy, when delivered. */
  readonly deliverAt?: number;
  /** True when it was held back by the reorder fault. */
  readonly reordered: boolean;
  /** True when the link marked it Congestion Experienced (the `ce` fault). */
  readonly ceMarked?: boolean;
}

export interface DirectionStats {
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  corrupted: number;
  /** ECN-capable packets marked Congestion Experienced. */
  ceMarked: number;
  reordered: number;
  tooBig: number;
  queueFull: number;
  bytesSent: number;
}

export interface MemoryPairOptions extends FaultOptions {
  readonly scheduler: Scheduler;
  /** Seed of the fault generator (default 1). */
  readonly seed?: number | string;
  /** MTU of both ends (default 1500). */
  readonly mtu?: number;
  /** What to do with a packet larger than the MTU: drop it (default) or throw from send. */
  readonly mtuAction?: 'drop' | 'error';
  /** Overrides of the fault options for packets from a to b. */
  readonly aToB?: FaultOptions;
  /** Overrides for packets from b to a. */
  readonly bToA?: FaultOptions;
}

type OneShot = { kind: 'drop' } | { kind: 'duplicate' } | { kind: 'corrupt' } | { kind: 'delay'; ms: number };

function checkProbability(name: string, p: number | undefined): void {
  if (p === undefined) return;
  if (!(p >= 0 && p <= 1)) throw new SynackError('ERR_SYNACK_BAD_ARGUMENT', `link fault ${name} must be a probability in [0, 1], got ${p}`);
}

function checkNonNegative(name: string, v: number | undefined): void {
  if (v === undefined) return;
  if (!(v >= 0) || !Number.isFinite(v)) throw new SynackError('ERR_SYNACK_BAD_ARGUMENT', `link ${name} must be a finite number >= 0, got ${v}`);
}

function checkFaults(f: FaultOptions): void {
  checkProbability('loss', f.loss);
  checkProbability('duplicate', f.duplicate);
  checkProbability('reorder', f.reorder);
  checkProbability('corrupt', f.corrupt);
  checkProbability('ce', f.ce);
  checkNonNegative('delay', f.delay);
  checkNonNegative('jitter', f.jitter);
  checkNonNegative('reorderDelay', f.reorderDelay);
  checkNonNegative('bandwidth', f.bandwidth);
  checkNonNegative('queueLimit', f.queueLimit);
}

/** One direction of the pair: its fault model, one-shot controls and statistics. */
export class LinkDirection {
  faults: FaultOptions;
  readonly stats: DirectionStats = {
    sent: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    corrupted: 0,
    ceMarked: 0,
    reordered: 0,
    tooBig: 0,
    queueFull: 0,
    bytesSent: 0,
  };
  private oneShots: OneShot[] = [];
  private busyUntil = 0;

  constructor(
    readonly from: 'a' | 'b',
    faults: FaultOptions,
    private readonly rng: SeededRandom,
    private readonly sched: Scheduler,
  ) {
    checkFaults(faults);
    this.faults = faults;
  }

  /** Replace the fault model (validated). */
  setFaults(f: FaultOptions): void {
    checkFaults(f);
    this.faults = f;
  }

  /** Drop the next `n` packets in this direction. */
  dropNext(n = 1): void {
    for (let i = 0; i < n; i++) this.oneShots.push({ kind: 'drop' });
  }
  duplicateNext(): void {
    this.oneShots.push({ kind: 'duplicate' });
  }
  corruptNext(): void {
    this.oneShots.push({ kind: 'corrupt' });
  }
  /** Delay the next packet by `ms` more than usual. */
  delayNext(ms: number): void {
    checkNonNegative('delayNext', ms);
    this.oneShots.push({ kind: 'delay', ms });
  }
  /** One-shot controls not yet used. */
  get pendingControls(): number {
    return this.oneShots.length;
  }

  /** Decide the fate of one packet; returns the arrival times of its copies (with corruption applied). */
  route(packet: Uint8Array, mtu: number): { fate: PacketFate; copies: { at: number; data: Uint8Array }[]; reordered: boolean; ceMarked?: boolean } {
    const f = this.faults;
    const now = this.sched.now();
    this.stats.sent++;
    this.stats.bytesSent += packet.length;
    if (packet.length > mtu) {
      this.stats.tooBig++;
      return { fate: 'too-big', copies: [], reordered: false };
    }
    const shot = this.oneShots.shift();
    // Serialization (bandwidth) with a drop-tail queue.
    let txEnd = now;
    const bw = f.bandwidth ?? 0;
    if (bw > 0) {
      const start = Math.max(now, this.busyUntil);
      const queuedBytes = ((start - now) * bw) / 8000;
      if (queuedBytes + packet.length > (f.queueLimit ?? 1 << 20)) {
        this.stats.queueFull++;
        return { fate: 'queue-full', copies: [], reordered: false };
      }
      txEnd = start + (packet.length * 8000) / bw;
      this.busyUntil = txEnd;
    }
    // Random draws in a fixed order, so a run depends only on the seed.
    const lost = this.rng.chance(f.loss ?? 0);
    const dup = this.rng.chance(f.duplicate ?? 0);
    const reordered = this.rng.chance(f.reorder ?? 0);
    const corrupt = this.rng.chance(f.corrupt ?? 0);
    const jitter = (f.jitter ?? 0) > 0 ? this.rng.next() * (f.jitter ?? 0) : 0;
    const mark = this.rng.chance(f.ce ?? 0); // (drawn last: runs without it keep their sequences)
    if (shot?.kind === 'drop' || (lost && shot === undefined)) {
      this.stats.lost++;
      return { fate: 'lost', copies: [], reordered: false };
    }
    const delay = f.delay ?? 0;
    let at = txEnd + delay + jitter + (shot?.kind === 'delay' ? shot.ms : 0);
    if (reordered) {
      at += f.reorderDelay ?? Math.max(1, 2 * delay);
      this.stats.reordered++;
    }
    let data = packet;
    let fate: PacketFate = 'delivered';
    if (shot?.kind === 'corrupt' || (corrupt && shot === undefined)) {
      data = packet.slice();
      if (data.length > 0) {
        const bit = this.rng.int(data.length * 8);
        data[bit >>> 3] = (data[bit >>> 3] as number) ^ (1 << (bit & 7));
      }
      this.stats.corrupted++;
      fate = 'corrupted';
    }
    let ceMarked = false;
    if (mark && isEcnCapable(data)) {
      data = markCongestionExperienced(data === packet ? packet.slice() : data);
      this.stats.ceMarked++;
      ceMarked = true;
    }
    const copies = [{ at, data }];
    if (shot?.kind === 'duplicate' || (dup && shot === undefined)) {
      // The copy follows shortly after the original (as a looping or retransmitting L2 would do).
      copies.push({ at: at + Math.max(0.001, delay / 10), data });
      this.stats.duplicated++;
      if (fate === 'delivered') fate = 'duplicated';
    }
    return ceMarked ? { fate, copies, reordered, ceMarked } : { fate, copies, reordered };
  }
}

/** One end of the pair. */
export class MemoryLinkEnd implements Link {
  private cb: ReceiveCallback | undefined;
  private batchCb: BatchReceiveCallback | undefined;
  private closed = false;

  constructor(
    private readonly pair: MemoryPair,
    readonly side: 'a' | 'b',
    /** The direction this end sends into (its faults and one-shot controls). */
    readonly out: LinkDirection,
  ) {}

  get mtu(): number {
    return this.pair.mtu;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  send(packet: Uint8Array): void {
    if (this.closed) return;
    this.pair.transmit(this, [packet]);
  }

  /**
   * Several packets in order (a stack's poll output). Each meets the fault model exactly as if sent
   * alone; those that arrive at the same instant are handed over as one batch (see onPackets).
   */
  sendMany(packets: readonly Uint8Array[]): void {
    if (this.closed) return;
    this.pair.transmit(this, packets);
  }

  onReceive(cb: ReceiveCallback): void {
    this.cb = cb;
  }

  /**
   * Receive in batches: the packets of one sendMany call that arrive at the same instant come in
   * one call, as a NIC hands a driver what one interrupt found (and GRO merges it). Without it,
   * each packet comes through onReceive on its own.
   */
  onPackets(cb: BatchReceiveCallback): void {
    this.batchCb = cb;
  }

  close(): void {
    this.closed = true;
    this.cb = undefined;
    this.batchCb = undefined;
  }

  /** @internal delivery from the pair; returns how many packets were taken. */
  deliver(packets: readonly Uint8Array[]): number {
    if (this.closed) return 0;
    if (this.batchCb !== undefined) {
      this.batchCb(packets);
      return packets.length;
    }
    const cb = this.cb;
    if (cb === undefined) return 0;
    for (const p of packets) {
      if (this.closed) return 0;
      cb(p);
    }
    return packets.length;
  }
}

export class MemoryPair {
  readonly a: MemoryLinkEnd;
  readonly b: MemoryLinkEnd;
  readonly mtu: number;
  private readonly mtuAction: 'drop' | 'error';
  private readonly sched: Scheduler;
  private observers: ((e: WireEvent) => void)[] = [];

  constructor(options: MemoryPairOptions) {
    const mtu = options.mtu ?? 1500;
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 1 << 20) throw new SynackError('ERR_SYNACK_BAD_ARGUMENT', `link MTU must be an integer in [68, 2^20], got ${mtu}`);
    this.mtu = mtu;
    this.mtuAction = options.mtuAction ?? 'drop';
    this.sched = options.scheduler;
    const rng = new SeededRandom(options.seed ?? 1);
    const base: FaultOptions = pickFaults(options);
    const ab = new LinkDirection('a', { ...base, ...(options.aToB ?? {}) }, rng.fork(), this.sched);
    const ba = new LinkDirection('b', { ...base, ...(options.bToA ?? {}) }, rng.fork(), this.sched);
    this.a = new MemoryLinkEnd(this, 'a', ab);
    this.b = new MemoryLinkEnd(this, 'b', ba);
  }

  /** Packets from a to b. */
  get aToB(): LinkDirection {
    return this.a.out;
  }
  /** Packets from b to a. */
  get bToA(): LinkDirection {
    return this.b.out;
  }

  /** See every packet put on the wire (both directions) with its fate. Returns an unsubscribe function. */
  observe(fn: (e: WireEvent) => void): () => void {
    this.observers.push(fn);
    return () => {
      this.observers = this.observers.filter((o) => o !== fn);
    };
  }

  /**
   * @internal Route `packets` (in order) from `from`; schedule one delivery per distinct arrival
   * time. Nothing else is scheduled while this runs, so packets grouped by arrival time reach the
   * receiver in exactly the order separate deliveries would have had.
   */
  transmit(from: MemoryLinkEnd, packets: readonly Uint8Array[]): void {
    const to = from === this.a ? this.b : this.a;
    const dir = from.out;
    const time = this.sched.now();
    let batches: Map<number, Uint8Array[]> | undefined;
    try {
      for (const packet of packets) {
        if (packet.length > this.mtu && this.mtuAction === 'error') {
          throw new SynackError('ERR_SYNACK_LINK_MTU', `packet of ${packet.length} bytes exceeds the link MTU ${this.mtu}`);
        }
        const r = dir.route(packet, this.mtu);
        for (const c of r.copies) {
          batches ??= new Map();
          const same = batches.get(c.at);
          if (same !== undefined) same.push(c.data);
          else batches.set(c.at, [c.data]);
        }
        if (this.observers.length > 0) {
          const first = r.copies[0];
          const e: WireEvent = {
            time,
            from: from.side,
            packet,
            fate: r.fate,
            reordered: r.reordered,
            ...(first !== undefined ? { deliverAt: first.at } : {}),
            ...(r.ceMarked === true ? { ceMarked: true } : {}),
          };
          for (const o of this.observers) o(e);
        }
      }
    } finally {
      // Packets routed before one that threw (mtuAction 'error') still go, as separate sends would.
      if (batches !== undefined) {
        for (const [at, batch] of batches) {
          this.sched.schedule(at, () => {
            dir.stats.delivered += to.deliver(batch);
          });
        }
      }
    }
  }
}

function pickFaults(o: FaultOptions): FaultOptions {
  const out: { -readonly [K in keyof FaultOptions]: FaultOptions[K] } = {};
  if (o.loss !== undefined) out.loss = o.loss;
  if (o.duplicate !== undefined) out.duplicate = o.duplicate;
  if (o.reorder !== undefined) out.reorder = o.reorder;
  if (o.corrupt !== undefined) out.corrupt = o.corrupt;
  if (o.ce !== undefined) out.ce = o.ce;
  if (o.delay !== undefined) out.delay = o.delay;
  if (o.jitter !== undefined) out.jitter = o.jitter;
  if (o.reorderDelay !== undefined) out.reorderDelay = o.reorderDelay;
  if (o.bandwidth !== undefined) out.bandwidth = o.bandwidth;
  if (o.queueLimit !== undefined) out.queueLimit = o.queueLimit;
  return out;
}

/** ECT(0) or ECT(1) in an IPv4 or IPv6 header (RFC 3168 5: ECN field 10 or 01). */
function isEcnCapable(p: Uint8Array): boolean {
  if (p.length < 2) return false;
  const version = (p[0] as number) >>> 4;
  const ecn = version === 4 ? (p[1] as number) & 3 : version === 6 ? ((p[1] as number) >>> 4) & 3 : 0;
  return ecn === 1 || ecn === 2;
}

/** Set the ECN field to CE (11) in place; an IPv4 header gets its checksum again. Returns `p`. */
function markCongestionExperienced(p: Uint8Array): Uint8Array {
  if ((p[0] as number) >>> 4 === 6) {
    p[1] = (p[1] as number) | 0x30;
    return p;
  }
  p[1] = (p[1] as number) | 3;
  const ihl = ((p[0] as number) & 0x0f) * 4;
  if (ihl >= 20 && p.length >= ihl) {
    p[10] = 0;
    p[11] = 0;
    const sum = internetChecksum(p, 0, ihl);
    p[10] = sum >>> 8;
    p[11] = sum & 0xff;
  }
  return p;
}
