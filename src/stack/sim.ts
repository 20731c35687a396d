/**
 * A deterministic two-host network for tests, demos and the browser UI: hosts A and B (each a
 * Stack with one interface) joined by a MemoryPair on a VirtualScheduler, every random choice
 * (ISN keys, ephemeral ports, link faults) derived from one seed. The same seed gives the same
 * packets at the same virtual times, every run.
 *
 * `runUntil(predicate, limit)` runs the network synchronously; `runUntilAsync` lets host-async
 * code (the Node Duplex shell) take part, advancing virtual time only when the host is idle.
 *
 * Invariant: nothing here reads a host clock or host randomness.
 */
import { SynackError } from '../errors.js';
import { MemoryPair, type FaultOptions, type MemoryPairOptions } from '../link/memory.js';
import { SeededRandom } from '../link/rng.js';
import { VirtualScheduler, type RunLimit } from '../link/scheduler.js';
import type { TcpConfig } from '../tcp/config.js';
import type { ConnectionTuple } from '../tcp/isn.js';
import { StackDriver } from './driver.js';
import { Stack, type StackOptions } from './stack.js';

export interface SimHostOptions {
  readonly name?: string;
  /** Addresses of the host's interface (default 10.0.0.1 for A, 10.0.0.2 for B). */
  readonly addresses?: readonly string[];
  readonly mtu?: number;
  readonly tcp?: Partial<TcpConfig>;
  readonly isn?: (now: number, tuple: ConnectionTuple) => number;
  /** Other Stack options. */
  readonly stack?: Partial<Omit<StackOptions, 'interfaces' | 'random' | 'clock' | 'name' | 'tcp' | 'isn'>>;
}

export interface SimulationOptions {
  readonly seed?: number | string;
  /** Start of virtual time, ms (default 0). */
  readonly start?: number;
  readonly a?: SimHostOptions;
  readonly b?: SimHostOptions;
  /** Link faults and MTU (both directions; aToB / bToA override). */
  readonly link?: FaultOptions & Pick<MemoryPairOptions, 'mtu' | 'mtuAction' | 'aToB' | 'bToA'>;
  /**
   * Packets arriving together that a host takes before it answers (StackDriver.flushEvery).
   * Default 1: every packet is answered on its own, so the ACK clock is the textbook one (an ACK
   * for every second full-sized segment, RFC 5681 4.2). Larger values batch like a NIC with GRO
   * (the StackDriver's own default is 16): one ACK per batch, faster, with stretch ACKs.
   */
  readonly receiveBatch?: number;
}

export class Simulation {
  readonly scheduler: VirtualScheduler;
  readonly pair: MemoryPair;
  readonly a: Stack;
  readonly b: Stack;
  readonly driverA: StackDriver;
  readonly driverB: StackDriver;
  readonly seed: number;

  constructor(options: SimulationOptions = {}) {
    const root = new SeededRandom(options.seed ?? 1);
    this.seed = root.seed;
    this.scheduler = new VirtualScheduler(options.start ?? 0);
    const clock = (): number => this.scheduler.now();
    const mtu = options.link?.mtu ?? 1500;
    this.pair = new MemoryPair({ scheduler: this.scheduler, seed: root.nextU32(), ...(options.link ?? {}), mtu });
    this.a = makeHost(options.a, 'A', ['10.0.0.1'], root.fork(), clock, mtu);
    this.b = makeHost(options.b, 'B', ['10.0.0.2'], root.fork(), clock, mtu);
    this.driverA = new StackDriver(this.a, this.scheduler, [this.pair.a]);
    this.driverB = new StackDriver(this.b, this.scheduler, [this.pair.b]);
    const batch = options.receiveBatch ?? 1;
    if (!Number.isInteger(batch) || batch < 1) throw new SynackError('ERR_SYNACK_BAD_ARGUMENT', `receiveBatch must be an integer >= 1, got ${batch}`);
    this.driverA.flushEvery = this.driverB.flushEvery = batch;
  }

  now(): number {
    return this.scheduler.now();
  }

  /** Run `fn` at virtual time `t`. */
  at(t: number, fn: () => void): void {
    this.scheduler.schedule(t, fn);
  }

  /** Run `fn` `ms` from now. */
  after(ms: number, fn: () => void): void {
    this.scheduler.schedule(this.scheduler.now() + ms, fn);
  }

  /** Run until `predicate()` holds, nothing is left to do, or a limit is reached. */
  runUntil(predicate: () => boolean, limit: RunLimit = {}): boolean {
    return this.scheduler.runUntil(predicate, limit);
  }

  /** Run until virtual time `t` (events at `t` included). */
  runFor(ms: number): void {
    this.scheduler.advanceTo(this.scheduler.now() + ms);
  }

  /** runUntil for host-async code (Node streams). */
  runUntilAsync(predicate: () => boolean, limit: RunLimit = {}): Promise<boolean> {
    return this.scheduler.runUntilAsync(predicate, limit);
  }

  close(): void {
    this.driverA.close();
    this.driverB.close();
    this.pair.a.close();
    this.pair.b.close();
  }
}

function makeHost(o: SimHostOptions | undefined, name: string, addresses: readonly string[], random: SeededRandom, clock: () => number, mtu: number): Stack {
  return new Stack({
    ...(o?.stack ?? {}),
    name: o?.name ?? name,
    interfaces: [{ name: 'mem0', addresses: o?.addresses ?? addresses, mtu: o?.mtu ?? mtu }],
    random,
    clock,
    ...(o?.tcp !== undefined ? { tcp: o.tcp } : {}),
    ...(o?.isn !== undefined ? { isn: o.isn } : {}),
  });
}
