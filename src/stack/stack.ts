/**
 * A sans-IO TCP/IP host: interfaces with IPv4/IPv6 addresses, the IP receive path (header and TCP
 * checksums verified, fragments reassembled, ICMP echo answered, ICMP errors handed to the connection
 * whose segment they quote), demultiplexing by 4-tuple to TCP engine connections (src/tcp),
 * listeners with a bounded backlog, ephemeral ports (RFC 6056 algorithm 1: random start from the
 * injected generator, linear probe past ports in use), and RSTs for segments to closed ports
 * (RFC 9293 3.10.7.1, the engine's resetFor).
 *
 * Driving it (what a driver in src/stack/driver.ts does):
 *   stack.receive(now, ipPacket, iface)   for every packet from a link (or receiveMany for a batch);
 *   stack.poll(now)                       -> packets to send (fires due timers first);
 *   stack.pollAt()                        -> when to call poll next (undefined: no timer);
 *   stack.setWaker(fn)                    fn() is called when application calls made work (call poll soon).
 * Inside, every change is flushed in one order: the engine's segments first (pollTransmit until
 * empty), then its events (pollEvent) to the owner (a socket), whose reactions are flushed in turn.
 * So an ACK the engine owes goes out before anything an application does in reaction to the same
 * segment (the lecture's "B -> A [ACK, ack=92] B -> A [FIN, seq=1113]" as two segments), while data
 * an application queued earlier rides on it.
 *
 * Time comes from the `now` arguments (and `clock` for application calls); randomness from the
 * injected `random` (ephemeral ports, IP ids, the ISN key when none is given). No I/O, no timers,
 * no node: imports.
 *
 * Timers: every connection's next deadline (its engine's pollAt, or its owner's timer) sits in one
 * heap (deadlines.ts), re-read whenever the connection is flushed, so poll and pollAt touch only
 * due connections, never the whole table. An engine call made outside a flush must be followed
 * by StackConnection.kick() (socket.ts always does) for a deadline it changes to count.
 *
 * Invariants: bad packets never throw out of `receive` (they are dropped and counted by reason);
 * every table is bounded (connections by the ports and backlogs, reassembly by its limits, the
 * per-connection event buffer by a constant); a connection leaves the table once its engine is
 * CLOSED and drained.
 */
import { SynackError } from '../errors.js';
import { TcpConnection, type SegmentMeta } from '../tcp/connection.js';
import type { TcpConfig } from '../tcp/config.js';
import type { IcmpNotice, TcpEvent } from '../tcp/events.js';
import { IsnGenerator, issAbove, type ConnectionTuple } from '../tcp/isn.js';
import { listenSegment } from '../tcp/listen.js';
import { resetFor } from '../tcp/reset.js';
import { TcpState } from '../tcp/state.js';
import {
  emitIcmpv4,
  emitIcmpv6,
  emitIpv4,
  emitIpv6,
  emitTcp,
  icmpBufferLength,
  Icmpv4Packet,
  Icmpv4Type,
  Icmpv6Packet,
  Icmpv6Type,
  Ipv4Packet,
  Ipv6Packet,
  ipv6PseudoHeaderAddresses,
  parseIcmpv4,
  parseIcmpv6,
  parseIpv6,
  parseTcpOptions,
  tcpBufferLength,
  TCP_HEADER_LEN,
  TcpFlag,
  walkIpv6Chain,
  type IcmpRepr,
  type IpAddressPair,
  type TcpRepr,
} from '../wire/index.js';
import { u16, u32 } from '../wire/bytes.js';
import { seqAdd } from '../wire/seq.js';
import { checksumAdd, checksumFinish } from '../wire/checksum.js';
import { pseudoHeaderSum } from '../wire/ip.js';
import {
  addressBytes,
  addressEquals,
  addressKey,
  familyOf,
  formatAddress,
  isInvalidSource,
  isLoopback,
  isMulticastOrBroadcast,
  isUnspecified,
  parseAddress,
  tupleKey,
  type Family,
  type IpAddress,
} from './address.js';
import { AddressInUseError, AddressNotAvailableError, NetworkUnreachableError } from './errors.js';
import { PacketAllocator } from './slab.js';
import { DeadlineHeap } from './deadlines.js';
import { Reassembler, type FragmentDropReason, type ReassemblyLimits } from './fragment.js';
import { TcpServer, TcpSocket, type ServerOptions, type SocketConnectOptions } from './socket.js';

const EMPTY = new Uint8Array(0);
/** Events kept for a connection nobody has accepted yet (the engine's are level-style; few kinds). */
const MAX_BUFFERED_EVENTS = 32;

/** What the stack needs from a random source (src/link/rng.ts SeededRandom, or crypto in Node). */
export interface RandomSource {
  nextU32(): number;
}

export interface InterfaceOptions {
  readonly name?: string;
  /** IPv4 and/or IPv6 addresses (text or wire values). */
  readonly addresses: readonly (string | IpAddress)[];
  /** Default 1500. */
  readonly mtu?: number;
}

export class NetInterface {
  /** The interface has a loopback address, so loopback sources arriving on it are its own. */
  readonly loopback: boolean;

  constructor(
    readonly index: number,
    readonly name: string,
    readonly mtu: number,
    readonly addresses: readonly IpAddress[],
  ) {
    this.loopback = addresses.some(isLoopback);
  }

  has(a: IpAddress): boolean {
    // (Loops, not closures: this runs for every packet.)
    const list = this.addresses;
    for (let i = 0; i < list.length; i++) if (addressEquals(list[i] as IpAddress, a)) return true;
    return false;
  }

  first(family: Family): IpAddress | undefined {
    return this.addresses.find((a) => familyOf(a) === family);
  }
}

export const STACK_DROP_REASONS = [
  'ip-malformed',
  'ip-bad-version',
  'ip-bad-checksum',
  'ip-not-for-us',
  'ip-bad-source',
  'ip-unknown-protocol',
  'ipv6-bad-extension',
  'unknown-interface',
  'tcp-malformed',
  'tcp-bad-checksum',
  'tcp-bad-port',
  'tcp-closed-port',
  'listen-overflow',
  'listen-rst',
  'listen-no-syn',
  'listen-syn-fin',
  'listen-ack',
  'listen-option-error',
  'icmp-malformed',
  'icmp-bad-checksum',
  'icmp-ignored',
  'fragment-overlap',
  'fragment-duplicate',
  'fragment-bad-length',
  'fragment-too-big',
  'fragment-inconsistent',
  'fragment-too-many',
  'fragment-timeout',
  'fragment-evicted',
  'fragment-discarded',
] as const;

export type StackDropReason = (typeof STACK_DROP_REASONS)[number];

export interface StackCounters {
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  resetsSent: number;
  echoReplies: number;
  reassembled: number;
  drops: Record<StackDropReason, number>;
}

/** Drop notification for traces and the UI. */
export interface DropEvent {
  readonly reason: StackDropReason;
  readonly iface: number;
  readonly packet: Uint8Array;
}

/** A TCP packet as it is built (see Stack.onTransmit). */
export interface TransmitEvent {
  readonly iface: number;
  readonly packet: Uint8Array;
  readonly state: TcpState;
}

export interface StackOptions {
  /** For traces ("A", "B"...). */
  readonly name?: string;
  readonly interfaces: readonly InterfaceOptions[];
  readonly random: RandomSource;
  /** Time for application calls (connect, listen); default: the last `now` given to receive/poll. */
  readonly clock?: () => number;
  /** The 16-byte ISN secret (MUST-9); default: drawn from `random`. */
  readonly isnKey?: Uint8Array;
  /** Override the ISN for a connection (demos, tests that reproduce a trace). */
  readonly isn?: (now: number, tuple: ConnectionTuple) => number;
  /** Engine configuration for every connection (ipVersion and mtu come from the interface). */
  readonly tcp?: Partial<TcpConfig>;
  /** Ephemeral port range (default 49152..65535, RFC 6056 / IANA). */
  readonly ephemeralPorts?: { readonly low: number; readonly high: number };
  /** Default listen backlog (half-open plus not yet accepted), default 128. */
  readonly backlog?: number;
  /** Reassembly limits per IP version. */
  readonly ipv4Reassembly?: Partial<ReassemblyLimits>;
  readonly ipv6Reassembly?: Partial<ReassemblyLimits>;
  /** TTL / hop limit of packets we send (default 64). */
  readonly ttl?: number;
  /** Answer ICMP/ICMPv6 echo requests (default true). */
  readonly icmpEcho?: boolean;
  /**
   * Segmentation offload in software (GSO), as Linux does before a driver: a connection hands
   * over up to this many full-sized segments of new data at once and the stack cuts them into
   * packets, each with its own headers and checksums; the packets are the ones one-at-a-time
   * sending makes (same sequence numbers, flags, options, IP IDs). Saves the engine's per-segment
   * work. Default 16; 1 turns it off.
   */
  readonly gso?: number;
}

export interface OutPacket {
  readonly iface: number;
  readonly packet: Uint8Array;
}

/** What owns a connection: a socket. */
export interface ConnectionOwner {
  handleEvent(e: TcpEvent, now: number): void;
  /** The application timer set with `StackConnection.setTimer` is due. */
  onTimer(now: number): void;
}

/** Options of the low-level active open. */
export interface OpenOptions {
  readonly remoteAddress: IpAddress;
  readonly remotePort: number;
  readonly localAddress?: IpAddress;
  readonly localPort?: number;
  readonly tcp?: Partial<TcpConfig>;
  /** Differentiated Services codepoint (0..63) of every packet the connection sends (MUST-48); default 0. */
  readonly dscp?: number;
}

export interface ListenOptions {
  /** 0 or undefined: an ephemeral port. */
  readonly port?: number;
  /** Bind to one local address; default: all. */
  readonly address?: IpAddress;
  readonly backlog?: number;
  readonly tcp?: Partial<TcpConfig>;
  /** DSCP (0..63) of the listener's replies and of the connections it accepts (MUST-48); default 0. */
  readonly dscp?: number;
}

/** A snapshot of one connection for status displays. */
export interface ConnectionSummary {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly state: TcpState;
  readonly owned: boolean;
}

/**
 * One connection in the stack's table: the engine plus its addresses. Sockets hold it as their
 * binding to the stack.
 */
export class StackConnection {
  readonly key: string;
  /** Set while the connection is half-open or waits to be accepted. */
  listener: Listener | undefined;
  /** @internal */ dirty = false;
  /** @internal */ removed = false;
  /** @internal */ appTimerAt = Infinity;
  /** @internal The deadline in the stack's timer heap (deadlines.ts). */ deadline = Infinity;
  /** @internal */ deadlineGen = 0;
  private owner: ConnectionOwner | undefined;
  private orphan = false;
  private _dscp = 0;
  private buffered: TcpEvent[] = [];
  private replayPending = false;

  constructor(
    private readonly stack: Stack,
    readonly conn: TcpConnection,
    readonly iface: number,
    readonly localAddress: IpAddress,
    readonly localPort: number,
    readonly remoteAddress: IpAddress,
    readonly remotePort: number,
  ) {
    this.key = tupleKey(localAddress, localPort, remoteAddress, remotePort);
  }

  get family(): Family {
    return familyOf(this.localAddress);
  }

  /** The Differentiated Services codepoint of the packets this connection sends. */
  get dscp(): number {
    return this._dscp;
  }

  /**
   * Set the DSCP (0..63) for the packets sent from now on (RFC 9293 3.9.1.9: MUST-48, and SHLD-21:
   * it may change during the connection; SHLD-22: passed to IP unchanged, ECN bits 0). Throws
   * SynackError('ERR_SYNACK_BAD_ARGUMENT') for other values.
   */
  setDscp(dscp: number): void {
    this._dscp = checkDscp(dscp);
  }

  /** Become the owner; events that arrived before are replayed (deferred, in order). */
  attach(owner: ConnectionOwner): void {
    this.owner = owner;
    this.orphan = false;
    if (this.buffered.length > 0 && !this.replayPending) {
      this.replayPending = true;
      this.stack.defer(() => {
        this.replayPending = false;
        const evs = this.buffered;
        this.buffered = [];
        for (const e of evs) this.owner?.handleEvent(e, this.stack.now());
      });
    }
  }

  /** The owner lets go: the connection finishes on its own (TIME-WAIT, LAST-ACK...) and leaves. */
  release(): void {
    this.owner = undefined;
    this.orphan = true;
    this.buffered = [];
    this.appTimerAt = Infinity;
    if (this.conn.isClosed) this.stack.markDirty(this);
  }

  /** The engine has work (application call): flush soon. */
  kick(): void {
    this.stack.markDirty(this);
  }

  /** Abort with RST (RFC 9293 3.10.5) and let go. */
  abort(): void {
    this.conn.abort();
    this.release();
    this.stack.markDirty(this);
  }

  now(): number {
    return this.stack.now();
  }

  defer(fn: () => void): void {
    this.stack.defer(fn);
  }

  /** Arm (or with Infinity, disarm) the owner's application timer at absolute time `at`. */
  setTimer(at: number): void {
    this.appTimerAt = at;
    this.stack.reschedule(this);
    if (at !== Infinity) this.stack.wake();
  }

  /** @internal */
  deliver(e: TcpEvent, now: number): void {
    if (this.owner !== undefined && !this.replayPending) {
      this.owner.handleEvent(e, now);
      return;
    }
    if (this.orphan) return;
    if (this.buffered.length < MAX_BUFFERED_EVENTS) this.buffered.push(e);
  }

  /** @internal */
  fireTimer(now: number): void {
    this.owner?.onTimer(now);
  }
}

/** A passive open on one port: half-open connections and an accept queue, bounded together. */
export class Listener {
  readonly halfOpen = new Set<StackConnection>();
  readonly queue: StackConnection[] = [];
  /** Called when a connection reaches ESTABLISHED and waits in the accept queue. */
  onAcceptable: (() => void) | undefined;
  closed = false;

  constructor(
    private readonly stack: Stack,
    readonly port: number,
    /** undefined: every local address. */
    readonly address: IpAddress | undefined,
    readonly backlog: number,
    readonly tcp: Partial<TcpConfig> | undefined,
    readonly dscp = 0,
  ) {}

  /** Half-open plus not yet accepted. */
  get pending(): number {
    return this.halfOpen.size + this.queue.length;
  }

  /** Take the oldest established connection, or undefined. */
  accept(): StackConnection | undefined {
    const c = this.queue.shift();
    if (c !== undefined) c.listener = undefined;
    return c;
  }

  /** Stop listening; pending connections are reset (as Linux does when a listener closes). */
  close(): void {
    this.stack.closeListener(this);
  }
}

export class Stack {
  readonly name: string;
  readonly interfaces: readonly NetInterface[];
  readonly counters: StackCounters;
  /** Called for every dropped packet (after counting). */
  onDrop: ((e: DropEvent) => void) | undefined;
  /**
   * Called for every TCP packet the moment it is built, with the sending connection's state then
   * ('CLOSED' for resets to closed ports, 'LISTEN' for a listener's replies): for traces.
   */
  onTransmit: ((e: TransmitEvent) => void) | undefined;

  private readonly conns = new Map<string, StackConnection>();
  private readonly listeners = new Map<number, Listener[]>();
  private dirtyQueue: StackConnection[] = [];
  private deferred: (() => void)[] = [];
  private outbox: OutPacket[] = [];
  private waker: (() => void) | undefined;
  private wakePending = false;
  private flushing = false;
  /** Outgoing packets come from shared slabs (slab.ts): one allocation per 64 KiB, not per packet. */
  private readonly packets = new PacketAllocator();
  /** The connection the last segment was for (a one-entry demux cache). */
  private lastConn: StackConnection | undefined;
  /** Set by tcpIn when a segment's ACK must go out before the next packet (see receiveMany). */
  private ackOwedNow = false;
  /** Every connection's next deadline (engine timers and the owner's timer), earliest first. */
  private readonly deadlines = new DeadlineHeap<StackConnection>();
  private lastNow = 0;
  private readonly clock: (() => number) | undefined;
  private readonly random: RandomSource;
  private readonly isnGen: IsnGenerator;
  private readonly isnOverride: ((now: number, tuple: ConnectionTuple) => number) | undefined;
  private readonly tcpDefaults: Partial<TcpConfig>;
  private readonly portLow: number;
  private readonly portHigh: number;
  private readonly defaultBacklog: number;
  private readonly ttl: number;
  private readonly icmpEcho: boolean;
  private readonly gso: number;
  private ipId: number;
  private readonly reasm4: Reassembler<{ readonly protocol: number }>;
  private readonly reasm6: Reassembler<{ readonly packet: Uint8Array; readonly fragOffset: number; readonly patchAt: number }>;

  constructor(options: StackOptions) {
    this.name = options.name ?? 'stack';
    if (options.interfaces.length === 0) throw new SynackError('ERR_SYNACK_BAD_ARGUMENT', 'a stack needs at least one interface');
    this.interfaces = options.interfaces.map((o, i) => makeInterface(o, i));
    this.random = options.random;
    this.clock = options.clock;
    const key = options.isnKey ?? randomBytes(this.random, 16);
    this.isnGen = new IsnGenerator(key);
    this.isnOverride = options.isn;
    this.tcpDefaults = options.tcp ?? {};
    const low = options.ephemeralPorts?.low ?? 49152;
    const high = options.ephemeralPorts?.high ?? 65535;
    if (!Number.isInteger(low) || !Number.isInteger(high) || low < 1 || high > 65535 || low > high) {
      throw new SynackError('ERR_SYNACK_BAD_ARGUMENT', `ephemeral port range ${low}..${high} is not within 1..65535`);
    }
    this.portLow = low;
    this.portHigh = high;
    this.defaultBacklog = checkBacklog(options.backlog ?? 128);
    this.ttl = options.ttl ?? 64;
    if (!Number.isInteger(this.ttl) || this.ttl < 1 || this.ttl > 255) throw new SynackError('ERR_SYNACK_BAD_ARGUMENT', `ttl must be 1..255, got ${this.ttl}`);
    this.icmpEcho = options.icmpEcho ?? true;
    this.gso = options.gso ?? 16;
    if (!Number.isInteger(this.gso) || this.gso < 1 || this.gso > 64) throw new SynackError('ERR_SYNACK_BAD_ARGUMENT', `gso must be 1..64 segments, got ${this.gso}`);
    this.ipId = this.random.nextU32() & 0xffff;
    const drops = {} as Record<StackDropReason, number>;
    for (const r of STACK_DROP_REASONS) drops[r] = 0;
    this.counters = { packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0, resetsSent: 0, echoReplies: 0, reassembled: 0, drops };
    this.reasm4 = new Reassembler({ timeout: 30_000, ...(options.ipv4Reassembly ?? {}) });
    this.reasm6 = new Reassembler({ timeout: 60_000, ...(options.ipv6Reassembly ?? {}) });
    const onDiscard = (reason: 'fragment-timeout' | 'fragment-evicted'): void => {
      this.count(reason);
    };
    this.reasm4.onDiscard = onDiscard;
    this.reasm6.onDiscard = onDiscard;
  }

  // ------------------------------------------------------------------------------------------
  // Driving

  /** The current time: the clock if one was given, else the last `now` seen. */
  now(): number {
    return this.clock !== undefined ? this.clock() : this.lastNow;
  }

  /** `fn` is called (at most once per poll) when application calls left work for `poll`. */
  setWaker(fn: (() => void) | undefined): void {
    this.waker = fn;
  }

  /** One IP packet from interface `iface`. Never throws on bad input. */
  receive(now: number, packet: Uint8Array, iface = 0): void {
    this.setNow(now);
    this.input(now, packet, iface);
    this.flush(now);
  }

  /**
   * Packets read from interface `iface` in one go (a TUN read batch). Each is processed as by
   * `receive`, but what the connections owe in answer is flushed only after every `flushEvery`
   * packets or `flushBytes` bytes, and at the end: a connection that received several segments meanwhile sends one
   * cumulative ACK for them (as Linux does for a GRO-merged packet) instead of one per two
   * segments, and its application sees the data in larger reads. A segment whose ACK RFC 5681 4.2
   * wants sent at once (out of order, filling a gap, a duplicate) is answered before the next packet
   * is taken, as Linux answers each out-of-order segment GRO did not merge: the sender needs every
   * duplicate ACK for its fast retransmit. Never throws on bad input.
   */
  receiveMany(now: number, packets: readonly Uint8Array[], iface = 0, flushEvery = Infinity, flushBytes = Infinity): void {
    this.setNow(now);
    let n = 0;
    let bytes = 0;
    for (const p of packets) {
      this.ackOwedNow = false;
      this.input(now, p, iface);
      bytes += p.length;
      if (++n >= flushEvery || bytes >= flushBytes || this.ackOwedNow) {
        this.flush(now);
        n = 0;
        bytes = 0;
      }
    }
    this.flush(now);
  }

  /** One packet through IP and into its connection, without flushing. */
  private input(now: number, packet: Uint8Array, iface: number): void {
    this.counters.packetsIn++;
    this.counters.bytesIn += packet.length;
    if (this.interfaces[iface] === undefined) this.drop('unknown-interface', iface, packet);
    else if (packet.length === 0) this.drop('ip-malformed', iface, packet);
    else {
      const version = (packet[0] as number) >>> 4;
      if (version === 4) this.ipv4In(now, iface, packet);
      else if (version === 6) this.ipv6In(now, iface, packet, true);
      else this.drop('ip-bad-version', iface, packet);
    }
  }

  /** Fire due timers, flush, and return the packets to send (in order). */
  poll(now: number): OutPacket[] {
    this.setNow(now);
    this.wakePending = false;
    this.reasm4.expire(now);
    this.reasm6.expire(now);
    // Only the connections whose deadline has come (the heap), not every connection.
    const due = this.deadlines.popDue(now);
    for (const e of due) {
      const at = e.conn.pollAt();
      if (at !== undefined && at <= now) {
        e.conn.handleTimeout(now);
        this.markDirty(e);
      }
    }
    this.flush(now);
    for (const e of due) {
      if (!e.removed && e.appTimerAt <= now) {
        e.appTimerAt = Infinity;
        e.fireTimer(now);
      }
    }
    this.flush(now);
    // A due connection nothing happened to still needs its next deadline in the heap.
    for (const e of due) this.reschedule(e);
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  /** When `poll` must be called next; undefined when nothing is scheduled. */
  pollAt(): number | undefined {
    if (this.dirtyQueue.length > 0 || this.deferred.length > 0 || this.outbox.length > 0) return this.lastNow;
    let t = this.deadlines.peek() ?? Infinity;
    const r4 = this.reasm4.nextDeadline();
    if (r4 !== undefined && r4 < t) t = r4;
    const r6 = this.reasm6.nextDeadline();
    if (r6 !== undefined && r6 < t) t = r6;
    return t === Infinity ? undefined : t;
  }

  /**
   * @internal Put `e`'s next deadline (the engine's pollAt, or its owner's timer) in the heap.
   * Called after every flush of the connection: an engine call outside a flush must be followed
   * by `kick()` (as every socket call is) for its new deadline to count.
   */
  reschedule(e: StackConnection): void {
    if (e.removed) return;
    const at = e.conn.pollAt();
    this.deadlines.set(e, Math.min(at ?? Infinity, e.appTimerAt));
  }

  // ------------------------------------------------------------------------------------------
  // Node-style API (src/stack/socket.ts)

  /** Open a connection; the socket emits 'connect' or 'error'. */
  connect(options: SocketConnectOptions, onConnect?: () => void): TcpSocket {
    const s = new TcpSocket(this, { allowHalfOpen: options.allowHalfOpen ?? false });
    s.connect(options, onConnect);
    return s;
  }

  /** A server; call `listen(port)`. */
  createServer(options?: ServerOptions | ((socket: TcpSocket) => void), handler?: (socket: TcpSocket) => void): TcpServer {
    if (typeof options === 'function') return new TcpServer(this, {}, options);
    return new TcpServer(this, options ?? {}, handler);
  }

  // ------------------------------------------------------------------------------------------
  // Low-level API

  /** Active OPEN. Throws SocketError: ENETUNREACH, EADDRNOTAVAIL, EADDRINUSE. */
  openConnection(o: OpenOptions): StackConnection {
    const family = familyOf(o.remoteAddress);
    checkPort(o.remotePort, 'remote port', false);
    const where = { syscall: 'connect', address: formatAddress(o.remoteAddress), port: o.remotePort };
    // RFC 9293 3.9.1.1 (MUST-46), RFC 1122 3.2.1.3: an OPEN to a broadcast, multicast or
    // unspecified address is an error (Linux's tcp_v4_connect and tcp_v6_connect: ENETUNREACH).
    if (isMulticastOrBroadcast(o.remoteAddress) || isUnspecified(o.remoteAddress)) {
      throw new NetworkUnreachableError({ ...where, detail: `${formatAddress(o.remoteAddress)} is not a unicast address` });
    }
    let iface: NetInterface | undefined;
    let local: IpAddress | undefined;
    if (o.localAddress !== undefined && !isUnspecified(o.localAddress)) {
      iface = this.interfaces.find((i) => i.has(o.localAddress as IpAddress));
      if (iface === undefined || familyOf(o.localAddress) !== family) throw new AddressNotAvailableError({ ...where, detail: `${formatAddress(o.localAddress)} is not a local address of this family` });
      local = o.localAddress;
    } else {
      iface = this.interfaces.find((i) => i.first(family) !== undefined);
      local = iface?.first(family);
    }
    if (iface === undefined || local === undefined) throw new NetworkUnreachableError({ ...where, detail: `no IPv${family} interface` });
    const dscp = checkDscp(o.dscp ?? 0);
    let port: number;
    if (o.localPort !== undefined && o.localPort !== 0) {
      checkPort(o.localPort, 'local port', false);
      port = o.localPort;
      if (this.conns.has(tupleKey(local, port, o.remoteAddress, o.remotePort))) throw new AddressInUseError({ ...where, detail: `local port ${port} already connected there` });
    } else {
      port = this.ephemeralPort(local, o.remoteAddress, o.remotePort);
    }
    const now = this.now();
    const tuple: ConnectionTuple = { localAddress: addressBytes(local), localPort: port, remoteAddress: addressBytes(o.remoteAddress), remotePort: o.remotePort };
    const conn = TcpConnection.connect({
      now,
      localPort: port,
      remotePort: o.remotePort,
      iss: this.isn(now, tuple),
      config: this.connConfig(iface, family, o.tcp),
      tsOffset: this.isnGen.timestampOffset(tuple),
    });
    conn.gsoSegments = this.gso;
    const e = new StackConnection(this, conn, iface.index, local, port, o.remoteAddress, o.remotePort);
    e.setDscp(dscp);
    this.conns.set(e.key, e);
    this.markDirty(e);
    return e;
  }

  /** Passive OPEN on a port. Throws AddressInUseError when it is taken. */
  listen(o: ListenOptions = {}): Listener {
    const backlog = checkBacklog(o.backlog ?? this.defaultBacklog);
    if (o.address !== undefined && !isUnspecified(o.address) && !this.interfaces.some((i) => i.has(o.address as IpAddress))) {
      throw new AddressNotAvailableError({ syscall: 'listen', address: formatAddress(o.address), ...(o.port !== undefined ? { port: o.port } : {}) });
    }
    const address = o.address !== undefined && !isUnspecified(o.address) ? o.address : undefined;
    let port = o.port ?? 0;
    if (port === 0) port = this.freeListenPort();
    else checkPort(port, 'port', false);
    const existing = this.listeners.get(port) ?? [];
    for (const l of existing) {
      if (l.address === undefined || address === undefined || addressEquals(l.address, address)) {
        throw new AddressInUseError({ syscall: 'listen', address: address !== undefined ? formatAddress(address) : '::', port });
      }
    }
    const dscp = checkDscp(o.dscp ?? 0);
    const l = new Listener(this, port, address, backlog, o.tcp, dscp);
    this.listeners.set(port, [...existing, l]);
    return l;
  }

  /** @internal Listener.close() */
  closeListener(l: Listener): void {
    if (l.closed) return;
    l.closed = true;
    const list = (this.listeners.get(l.port) ?? []).filter((x) => x !== l);
    if (list.length > 0) this.listeners.set(l.port, list);
    else this.listeners.delete(l.port);
    for (const e of [...l.halfOpen, ...l.queue]) {
      e.listener = undefined;
      e.abort();
    }
    l.halfOpen.clear();
    l.queue.length = 0;
  }

  /** Status of every connection in the table. */
  connections(): ConnectionSummary[] {
    return [...this.conns.values()].map((e) => ({
      localAddress: formatAddress(e.localAddress),
      localPort: e.localPort,
      remoteAddress: formatAddress(e.remoteAddress),
      remotePort: e.remotePort,
      state: e.conn.state,
      owned: e.listener === undefined,
    }));
  }

  /** Number of connections in the table (any state). */
  get connectionCount(): number {
    return this.conns.size;
  }

  /** The connection for a 4-tuple, if any. */
  findConnection(local: IpAddress, localPort: number, remote: IpAddress, remotePort: number): StackConnection | undefined {
    return this.conns.get(tupleKey(local, localPort, remote, remotePort));
  }

  /** True when a listener would take a SYN for `local`:`port`. */
  hasListener(local: IpAddress, port: number): boolean {
    return this.findListener(local, port) !== undefined;
  }

  /** Parse an address literal or throw a SynackError naming `what`. */
  static address(text: string, what = 'address'): IpAddress {
    const a = parseAddress(text);
    if (a === undefined) throw new SynackError('ERR_SYNACK_BAD_ARGUMENT', `${what} '${text}' is not an IPv4 or IPv6 address`);
    return a;
  }

  // ------------------------------------------------------------------------------------------
  // Internal plumbing used by connections and sockets

  /** @internal */
  markDirty(e: StackConnection): void {
    if (e.removed) return;
    if (!e.dirty) {
      e.dirty = true;
      this.dirtyQueue.push(e);
    }
    this.wake();
  }

  /** @internal Run `fn` inside the next flush (never synchronously from the caller). */
  defer(fn: () => void): void {
    this.deferred.push(fn);
    this.wake();
  }

  /** @internal */
  wake(): void {
    if (this.flushing || this.wakePending) return;
    this.wakePending = true;
    this.waker?.();
  }

  private setNow(now: number): void {
    if (now > this.lastNow) this.lastNow = now;
  }

  private flush(now: number): void {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (;;) {
        if (this.deferred.length > 0) {
          const fns = this.deferred;
          this.deferred = [];
          for (const fn of fns) fn();
          continue;
        }
        const e = this.dirtyQueue.shift();
        if (e === undefined) break;
        e.dirty = false;
        if (e.removed) continue;
        // Segments first, then events (see the module comment).
        for (let seg = e.conn.pollTransmit(now); seg !== undefined; seg = e.conn.pollTransmit(now)) {
          const cut = e.conn.transmitSegmentSize;
          if (cut > 0) this.sendBurst(e, seg, cut);
          else this.sendSegment(e.iface, e.localAddress, e.remoteAddress, seg, e.conn.state, e.dscp, e.conn.transmitEct);
        }
        for (let ev = e.conn.pollEvent(); ev !== undefined; ev = e.conn.pollEvent()) this.dispatch(e, ev, now);
        if (e.conn.isClosed && !e.dirty) this.remove(e);
        else this.reschedule(e);
      }
    } finally {
      this.flushing = false;
    }
  }

  private dispatch(e: StackConnection, ev: TcpEvent, now: number): void {
    const l = e.listener;
    if (l !== undefined) {
      switch (ev.type) {
        case 'connected':
          // ESTABLISHED: from the half-open set to the accept queue (the backlog already counted it).
          l.halfOpen.delete(e);
          l.queue.push(e);
          l.onAcceptable?.();
          return;
        case 'returned-to-listen':
        case 'closed':
        case 'reset':
        case 'timed-out':
          l.halfOpen.delete(e);
          {
            const i = l.queue.indexOf(e);
            if (i >= 0) l.queue.splice(i, 1);
          }
          e.listener = undefined;
          this.remove(e);
          return;
        default:
          e.deliver(ev, now);
          return;
      }
    }
    if (ev.type === 'returned-to-listen') {
      this.remove(e);
      return;
    }
    e.deliver(ev, now);
  }

  private remove(e: StackConnection): void {
    if (e.removed) return;
    e.removed = true;
    this.deadlines.clear(e);
    if (this.conns.get(e.key) === e) this.conns.delete(e.key);
    const l = e.listener;
    if (l !== undefined) {
      l.halfOpen.delete(e);
      const i = l.queue.indexOf(e);
      if (i >= 0) l.queue.splice(i, 1);
      e.listener = undefined;
    }
  }

  private count(reason: StackDropReason): void {
    this.counters.drops[reason]++;
  }

  private drop(reason: StackDropReason, iface: number, packet: Uint8Array): void {
    this.counters.drops[reason]++;
    this.onDrop?.({ reason, iface, packet });
  }

  private isn(now: number, tuple: ConnectionTuple): number {
    return (this.isnOverride !== undefined ? this.isnOverride(now, tuple) : this.isnGen.isn(now, tuple)) >>> 0;
  }

  private connConfig(iface: NetInterface, family: Family, extra: Partial<TcpConfig> | undefined): Partial<TcpConfig> {
    return { ...this.tcpDefaults, ...(extra ?? {}), ipVersion: family, mtu: iface.mtu };
  }

  /**
   * RFC 6056 section 3.3.1 (Algorithm 1, "simple port randomization"): start at a random port in
   * the range and probe upwards (wrapping) until a port is suitable: not used by a listener, and
   * not used by a connection to the same remote endpoint from the same address.
   */
  private ephemeralPort(local: IpAddress, remote: IpAddress, remotePort: number): number {
    const num = this.portHigh - this.portLow + 1;
    let port = this.portLow + (this.random.nextU32() % num);
    for (let count = num; count > 0; count--) {
      if (!this.listeners.has(port) && !this.conns.has(tupleKey(local, port, remote, remotePort))) return port;
      port = port === this.portHigh ? this.portLow : port + 1;
    }
    throw new AddressNotAvailableError({ syscall: 'connect', address: formatAddress(remote), port: remotePort, detail: 'no free ephemeral port' });
  }

  private freeListenPort(): number {
    const num = this.portHigh - this.portLow + 1;
    let port = this.portLow + (this.random.nextU32() % num);
    for (let count = num; count > 0; count--) {
      const used = this.listeners.has(port) || [...this.conns.values()].some((c) => c.localPort === port);
      if (!used) return port;
      port = port === this.portHigh ? this.portLow : port + 1;
    }
    throw new AddressInUseError({ syscall: 'listen', detail: 'no free port' });
  }

  private findListener(local: IpAddress, port: number): Listener | undefined {
    const list = this.listeners.get(port);
    if (list === undefined) return undefined;
    return list.find((l) => l.address !== undefined && addressEquals(l.address, local)) ?? list.find((l) => l.address === undefined);
  }

  /** The interface has a loopback address, so loopback sources arriving on it are its own. */
  private onLoopback(iface: number): boolean {
    return this.interfaces[iface]?.loopback ?? false;
  }

  private ownsAddress(a: IpAddress): boolean {
    const ifs = this.interfaces;
    for (let i = 0; i < ifs.length; i++) if ((ifs[i] as NetInterface).has(a)) return true;
    return false;
  }

  // ------------------------------------------------------------------------------------------
  // IPv4

  private ipv4In(now: number, iface: number, packet: Uint8Array): void {
    const v = new Ipv4Packet(packet);
    if (v.check() !== undefined) return this.drop('ip-malformed', iface, packet);
    if (!v.verifyChecksum()) return this.drop('ip-bad-checksum', iface, packet); // RFC 791, RFC 1122 3.2.1.2
    const src = v.src;
    const dst = v.dst;
    if (!this.ownsAddress(dst)) return this.drop('ip-not-for-us', iface, packet);
    if (isInvalidSource(src, this.onLoopback(iface))) return this.drop('ip-bad-source', iface, packet); // RFC 1122 3.2.1.3, MUST-63
    const protocol = v.protocol;
    // The payload as a range of `packet` (no view made for it on the common path).
    let body = packet;
    let start = v.headerLength;
    let end = v.totalLength;
    if (v.moreFragments || v.fragmentOffset > 0) {
      const key = `${src}|${dst}|${protocol}|${v.identification}`;
      const r = this.reasm4.add(now, key, v.fragmentOffset, v.payload, v.moreFragments, { protocol });
      if (r.status === 'dropped') return this.drop(r.reason as FragmentDropReason, iface, packet);
      if (r.status === 'incomplete') return;
      this.counters.reassembled++;
      body = r.data;
      start = 0;
      end = body.length;
    }
    const pair: IpAddressPair = { src, dst };
    if (protocol === 6) this.tcpIn(now, iface, pair, dst, src, body, start, end, packet, (v.ecn & CE) === CE);
    else if (protocol === 1) this.icmpv4In(now, iface, src, dst, body.subarray(start, end), packet);
    else this.drop('ip-unknown-protocol', iface, packet);
  }

  private nextIpId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }

  private ipv4Packet(src: number, dst: number, protocol: number, payloadLength: number, dscp = 0, ecn = 0): Uint8Array {
    const buf = this.packets.alloc(20 + payloadLength);
    emitIpv4(
      {
        src,
        dst,
        protocol,
        ttl: this.ttl,
        dscp,
        ecn,
        identification: this.nextIpId(),
        dontFragment: true, // RFC 1191: path MTU discovery; TCP sizes segments to the MTU
        moreFragments: false,
        fragmentOffset: 0,
        options: EMPTY,
        payloadLength,
      },
      buf,
    );
    return buf;
  }

  private icmpv4In(now: number, iface: number, src: number, dst: number, body: Uint8Array, packet: Uint8Array): void {
    const r = parseIcmpv4(new Icmpv4Packet(body));
    if (!r.ok) return this.drop(r.error.code === 'ERR_SYNACK_WIRE_BAD_CHECKSUM' ? 'icmp-bad-checksum' : 'icmp-malformed', iface, packet);
    if (r.value.type !== Icmpv4Type.ECHO_REQUEST) return this.icmpErrorIn(now, iface, icmpv4Notice(r.value), packet);
    if (!this.icmpEcho || r.value.code !== 0) return this.drop('icmp-ignored', iface, packet);
    // RFC 1122 3.2.2.6: echo reply with the same identifier, sequence number and data.
    const reply: IcmpRepr = { type: Icmpv4Type.ECHO_REPLY, code: 0, rest: r.value.rest, payload: r.value.payload };
    const len = icmpBufferLength(reply);
    const buf = this.ipv4Packet(dst, src, 1, len);
    emitIcmpv4(reply, buf.subarray(20));
    this.counters.echoReplies++;
    this.output(iface, buf);
  }

  // ------------------------------------------------------------------------------------------
  // IPv6

  private ipv6In(now: number, iface: number, packet: Uint8Array, mayReassemble: boolean): void {
    const v = new Ipv6Packet(packet);
    const pr = parseIpv6(v);
    if (!pr.ok) return this.drop('ip-malformed', iface, packet);
    const repr = pr.value;
    if (!this.ownsAddress(repr.dst)) return this.drop('ip-not-for-us', iface, packet);
    if (isInvalidSource(repr.src, this.onLoopback(iface))) return this.drop('ip-bad-source', iface, packet); // MUST-63
    const chain = walkIpv6Chain(v);
    if (chain.error !== undefined) return this.drop('ipv6-bad-extension', iface, packet);
    const frag = chain.fragment;
    if (frag !== undefined) {
      if (!mayReassemble) return this.drop('ipv6-bad-extension', iface, packet); // a fragment inside a reassembled packet
      const fi = chain.headers.findIndex((h) => h.type === 44);
      const fh = chain.headers[fi];
      if (fh === undefined) return this.drop('ipv6-bad-extension', iface, packet);
      // Where the next-header byte that names the fragment header sits (to patch on reassembly).
      const patchAt = fi === 0 ? 6 : (chain.headers[fi - 1]?.offset ?? 6);
      const dataStart = fh.offset + fh.length;
      const data = packet.subarray(dataStart, 40 + repr.payloadLength);
      let whole: Uint8Array;
      if (frag.fragmentOffset === 0 && !frag.moreFragments) {
        // RFC 6946: an atomic fragment is processed on its own, apart from any reassembly.
        whole = rebuildIpv6(packet, fh.offset, patchAt, frag.nextHeader, data);
      } else {
        const key = `${addressKey(repr.src)}|${addressKey(repr.dst)}|${frag.identification}`;
        const first = frag.fragmentOffset === 0 ? { packet: packet.slice(0, fh.offset), fragOffset: fh.offset, patchAt } : undefined;
        const r = this.reasm6.add(now, key, frag.fragmentOffset, data, frag.moreFragments, first);
        if (r.status === 'dropped') return this.drop(r.reason as FragmentDropReason, iface, packet);
        if (r.status === 'incomplete') return;
        if (r.first.fragOffset + r.data.length > 40 + 65535) return this.drop('fragment-too-big', iface, packet);
        this.counters.reassembled++;
        whole = rebuildIpv6(r.first.packet, r.first.fragOffset, r.first.patchAt, frag.nextHeader, r.data);
      }
      this.ipv6In(now, iface, whole, false);
      return;
    }
    if (!chain.upperHeaderPresent) return this.drop('ip-unknown-protocol', iface, packet);
    const pair = ipv6PseudoHeaderAddresses(repr, chain);
    const upperEnd = chain.upperOffset + chain.upperLength;
    if (chain.upperProtocol === 6) this.tcpIn(now, iface, pair, repr.dst, repr.src, packet, chain.upperOffset, upperEnd, packet, (repr.trafficClass & CE) === CE);
    else if (chain.upperProtocol === 58) this.icmpv6In(now, iface, repr.src, repr.dst, packet.subarray(chain.upperOffset, upperEnd), packet, pair);
    else this.drop('ip-unknown-protocol', iface, packet);
  }

  private ipv6Packet(src: Uint8Array, dst: Uint8Array, nextHeader: number, payloadLength: number, dscp = 0, ecn = 0): Uint8Array {
    const buf = this.packets.alloc(40 + payloadLength);
    // The traffic class is the DSCP and two ECN bits (RFC 2474 3, RFC 3168 5).
    emitIpv6({ src, dst, nextHeader, hopLimit: this.ttl, trafficClass: (dscp << 2) | ecn, flowLabel: 0, payloadLength }, buf);
    return buf;
  }

  private icmpv6In(now: number, iface: number, src: Uint8Array, dst: Uint8Array, body: Uint8Array, packet: Uint8Array, pair: IpAddressPair): void {
    const r = parseIcmpv6(new Icmpv6Packet(body), pair);
    if (!r.ok) return this.drop(r.error.code === 'ERR_SYNACK_WIRE_BAD_CHECKSUM' ? 'icmp-bad-checksum' : 'icmp-malformed', iface, packet);
    if (r.value.type !== Icmpv6Type.ECHO_REQUEST) return this.icmpErrorIn(now, iface, icmpv6Notice(r.value), packet);
    if (!this.icmpEcho || r.value.code !== 0) return this.drop('icmp-ignored', iface, packet);
    // RFC 4443 4.2: echo reply with the identifier, sequence number and data of the request.
    const reply: IcmpRepr = { type: Icmpv6Type.ECHO_REPLY, code: 0, rest: r.value.rest, payload: r.value.payload };
    const len = icmpBufferLength(reply);
    const buf = this.ipv6Packet(dst, src, 58, len);
    emitIcmpv6(reply, buf.subarray(40), { src: dst, dst: src });
    this.counters.echoReplies++;
    this.output(iface, buf);
  }

  /**
   * An ICMP or ICMPv6 error (RFC 9293 3.9.2.2, MUST-54): handed to the connection that sent the
   * quoted segment, found by the 4-tuple in the quoted headers. The engine decides what it means
   * (and ignores a quoted sequence number it has not outstanding, RFC 5927 4.1).
   */
  private icmpErrorIn(now: number, iface: number, q: QuotedError | undefined, packet: Uint8Array): void {
    const e = q === undefined ? undefined : this.conns.get(tupleKey(q.local, q.localPort, q.remote, q.remotePort));
    if (q === undefined || e === undefined) return this.drop('icmp-ignored', iface, packet);
    e.conn.handleIcmp(now, q.notice);
    this.markDirty(e);
  }

  // ------------------------------------------------------------------------------------------
  // TCP

  /**
   * The TCP segment at bytes[start, end) (the IP payload; read in place, so the only view made is
   * the payload's).
   */
  private tcpIn(now: number, iface: number, pair: IpAddressPair, local: IpAddress, remote: IpAddress, bytes: Uint8Array, start: number, end: number, packet: Uint8Array, ce: boolean): void {
    const n = end - start;
    const hl = n >= TCP_HEADER_LEN ? ((bytes[start + 12] as number) >>> 4) * 4 : 0;
    if (hl < TCP_HEADER_LEN || hl > n) return this.drop('tcp-malformed', iface, packet);
    // RFC 9293 3.1, MUST-2/3: the checksum over the pseudo-header and the whole segment.
    if (checksumFinish(checksumAdd(pseudoHeaderSum(pair, 6, n), bytes, start, end)) !== 0) return this.drop('tcp-bad-checksum', iface, packet);
    const srcPort = u16(bytes, start);
    const dstPort = u16(bytes, start + 2);
    if (srcPort === 0 || dstPort === 0) return this.drop('tcp-bad-port', iface, packet);
    const opts = parseTcpOptions(bytes, TCP_HEADER_LEN, start + TCP_HEADER_LEN, start + hl);
    const seg: TcpRepr = {
      srcPort,
      dstPort,
      seq: u32(bytes, start + 4),
      ack: u32(bytes, start + 8),
      flags: u16(bytes, start + 12) & 0x1ff,
      window: u16(bytes, start + 14),
      urgentPointer: u16(bytes, start + 18),
      options: opts.options,
      payload: bytes.subarray(start + hl, end),
    };
    // MUST-7: an illegal option length is the engine's to judge (after its sequence checks).
    // RFC 3168 5: a Congestion Experienced mark in the IP header is the engine's to echo.
    const meta: SegmentMeta | undefined =
      opts.error !== undefined ? (ce ? { optionError: true, ce } : { optionError: true }) : ce ? CE_META : undefined;
    // A bulk transfer brings segment after segment of one connection: try the last one first
    // (no key string built, no map lookup), then the table.
    let e: StackConnection | undefined;
    const last = this.lastConn;
    if (last !== undefined && !last.removed && last.localPort === seg.dstPort && last.remotePort === seg.srcPort && addressEquals(last.remoteAddress, remote) && addressEquals(last.localAddress, local)) {
      e = last;
    } else {
      e = this.conns.get(tupleKey(local, seg.dstPort, remote, seg.srcPort));
      if (e !== undefined) this.lastConn = e;
    }
    let reopenAbove: number | undefined;
    if (e !== undefined) {
      const l = e.conn.state === TcpState.TimeWait ? this.findListener(local, seg.dstPort) : undefined;
      if (l !== undefined && e.conn.canReopen(seg)) {
        // RFC 9293 3.6.1 (MAY-2), RFC 6191: a new SYN reopens the connection from TIME-WAIT.
        reopenAbove = e.conn.lastSequenceUsed;
        e.release();
        this.remove(e);
      } else {
        e.conn.handleSegment(now, seg, meta);
        if (e.conn.ackPerSegment) this.ackOwedNow = true;
        this.markDirty(e);
        return;
      }
    }
    const l = this.findListener(local, seg.dstPort);
    if (l !== undefined) {
      this.listenIn(now, iface, l, local, remote, seg, meta, reopenAbove, packet);
      return;
    }
    // RFC 9293 3.10.7.1: no connection: answer with a RST (unless the segment is one).
    this.drop('tcp-closed-port', iface, packet);
    const r = resetFor(seg);
    if (r !== undefined) {
      this.counters.resetsSent++;
      this.sendSegment(iface, local, remote, r, TcpState.Closed);
    }
  }

  private listenIn(
    now: number,
    iface: number,
    l: Listener,
    local: IpAddress,
    remote: IpAddress,
    seg: TcpRepr,
    meta: SegmentMeta | undefined,
    reopenAbove: number | undefined,
    packet: Uint8Array,
  ): void {
    const a = listenSegment(seg, meta);
    switch (a.action) {
      case 'ignore':
        return this.drop('listen-rst', iface, packet);
      case 'drop':
        return this.drop(a.reason, iface, packet);
      case 'reset':
        this.drop(a.reason === 'option-error' ? 'listen-option-error' : 'listen-ack', iface, packet);
        this.counters.resetsSent++;
        this.sendSegment(iface, local, remote, a.reply, TcpState.Listen, l.dscp);
        return;
      case 'accept':
        break;
    }
    if (l.pending >= l.backlog) return this.drop('listen-overflow', iface, packet); // silently, as Linux without syncookies
    const ifc = this.interfaces[iface] as NetInterface;
    const tuple: ConnectionTuple = { localAddress: addressBytes(local), localPort: seg.dstPort, remoteAddress: addressBytes(remote), remotePort: seg.srcPort };
    let iss = this.isn(now, tuple);
    if (reopenAbove !== undefined) iss = issAbove(iss, reopenAbove);
    const conn = TcpConnection.accept({
      now,
      syn: seg,
      ...(meta !== undefined ? { meta } : {}),
      iss,
      config: this.connConfig(ifc, familyOf(local), l.tcp),
      tsOffset: this.isnGen.timestampOffset(tuple),
    });
    conn.gsoSegments = this.gso;
    const e = new StackConnection(this, conn, iface, local, seg.dstPort, remote, seg.srcPort);
    e.setDscp(l.dscp);
    e.listener = l;
    l.halfOpen.add(e);
    this.conns.set(e.key, e);
    this.markDirty(e);
  }

  /** `ect`: mark the packet ECN-capable, ECT(0) (RFC 3168 5; the engine says when, see transmitEct). */
  private sendSegment(iface: number, local: IpAddress, remote: IpAddress, seg: TcpRepr, state: TcpState, dscp = 0, ect = false): void {
    const len = tcpBufferLength(seg);
    const ecn = ect ? ECT0 : 0;
    let buf: Uint8Array;
    if (typeof local === 'number') {
      buf = this.ipv4Packet(local, remote as number, 6, len, dscp, ecn);
      emitTcp(seg, buf, { src: local, dst: remote as number }, 20);
    } else {
      buf = this.ipv6Packet(local, remote as Uint8Array, 6, len, dscp, ecn);
      emitTcp(seg, buf, { src: local, dst: remote as Uint8Array }, 40);
    }
    this.onTransmit?.({ iface, packet: buf, state });
    this.output(iface, buf);
  }

  /**
   * A GSO burst (TcpConnection.transmitSegmentSize): cut into segments of `cut` payload octets;
   * CWR on the first only, PSH and FIN on the last only, as the engine would have sent them.
   */
  private sendBurst(e: StackConnection, seg: TcpRepr, cut: number): void {
    const ect = e.conn.transmitEct;
    const state = e.conn.state;
    const total = seg.payload.length;
    for (let off = 0; off < total; off += cut) {
      const end = Math.min(total, off + cut);
      let flags = seg.flags;
      if (off > 0) flags &= ~TcpFlag.CWR;
      if (end < total) flags &= ~(TcpFlag.PSH | TcpFlag.FIN);
      const piece: TcpRepr = {
        srcPort: seg.srcPort,
        dstPort: seg.dstPort,
        seq: seqAdd(seg.seq, off),
        ack: seg.ack,
        flags,
        window: seg.window,
        urgentPointer: seg.urgentPointer,
        options: seg.options,
        payload: seg.payload.subarray(off, end),
      };
      this.sendSegment(e.iface, e.localAddress, e.remoteAddress, piece, state, e.dscp, ect);
    }
  }

  private output(iface: number, packet: Uint8Array): void {
    this.counters.packetsOut++;
    this.counters.bytesOut += packet.length;
    this.outbox.push({ iface, packet });
    if (!this.flushing) this.wake();
  }
}

/** The IP header's ECN field (RFC 3168 5): ECT(0), and CE (both bits). */
const ECT0 = 2;
const CE = 3;
const CE_META: SegmentMeta = Object.freeze({ ce: true });

/** An ICMP error about one of our TCP segments: the quoted 4-tuple (from our side) and the notice. */
interface QuotedError {
  readonly local: IpAddress;
  readonly remote: IpAddress;
  readonly localPort: number;
  readonly remotePort: number;
  readonly notice: IcmpNotice;
}

/** RFC 1191 section 7: MTU plateaus, for a "fragmentation needed" from a router that gives no MTU. */
const MTU_PLATEAUS = [32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68];

/**
 * An ICMPv4 error as an engine notice (RFC 9293 3.9.2.2, RFC 1122 4.2.3.9), or undefined when the
 * message is not an error about a TCP segment we sent. The body quotes the IP header and at least
 * the first 8 bytes of the TCP header (ports and sequence number, RFC 792).
 */
function icmpv4Notice(m: IcmpRepr): QuotedError | undefined {
  const b = m.payload;
  if (b.length < 20) return undefined;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const ihl = (dv.getUint8(0) & 0x0f) * 4;
  if (dv.getUint8(0) >>> 4 !== 4 || ihl < 20 || b.length < ihl + 8 || dv.getUint8(9) !== 6) return undefined;
  if ((dv.getUint16(6) & 0x1fff) !== 0) return undefined; // a later fragment quotes no TCP header
  const seq = dv.getUint32(ihl + 4);
  let notice: IcmpNotice;
  switch (m.type) {
    case Icmpv4Type.DEST_UNREACHABLE:
      if (m.code === 4) {
        // Fragmentation needed and DF set (RFC 1191): the next-hop MTU, or the plateau below the
        // quoted datagram's length when the router did not say.
        const said = m.rest & 0xffff;
        const total = dv.getUint16(2);
        notice = { kind: 'packet-too-big', mtu: said !== 0 ? said : (MTU_PLATEAUS.find((p) => p < total) ?? 68), seq };
      } else {
        notice = { kind: 'unreachable', code: m.code, seq };
      }
      break;
    case Icmpv4Type.SOURCE_QUENCH:
      notice = { kind: 'source-quench', seq };
      break;
    case Icmpv4Type.TIME_EXCEEDED:
      notice = { kind: 'time-exceeded', seq };
      break;
    case Icmpv4Type.PARAMETER_PROBLEM:
      notice = { kind: 'parameter-problem', seq };
      break;
    default:
      return undefined;
  }
  return { local: dv.getUint32(12), remote: dv.getUint32(16), localPort: dv.getUint16(ihl), remotePort: dv.getUint16(ihl + 2), notice };
}

/**
 * ICMPv6 destination-unreachable codes (RFC 4443 3.1) as the ICMPv4 codes the engine judges by:
 * no route -> net unreachable, beyond scope and address unreachable -> host unreachable (soft, RFC
 * 9293 3.9.2.2), port unreachable -> port unreachable (hard), policy codes -> administratively
 * prohibited (13, soft).
 */
const V6_UNREACHABLE_AS_V4 = [0, 13, 1, 1, 3, 13, 13];

/** An ICMPv6 error as an engine notice; the body quotes as much of our packet as fits (RFC 4443 2.4). */
function icmpv6Notice(m: IcmpRepr): QuotedError | undefined {
  const b = m.payload;
  if (b.length < 48) return undefined;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getUint8(0) >>> 4 !== 6) return undefined;
  // Walk the quoted extension headers (a bounded number) to the TCP header.
  let nh = dv.getUint8(6);
  let off = 40;
  for (let hops = 0; nh !== 6; hops++) {
    if (hops === 8 || off + 8 > b.length) return undefined;
    const next = dv.getUint8(off);
    if (nh === 0 || nh === 43 || nh === 60) off += (dv.getUint8(off + 1) + 1) * 8;
    else if (nh === 51) off += (dv.getUint8(off + 1) + 2) * 4;
    else if (nh === 44 && (dv.getUint16(off + 2) & 0xfff8) === 0) off += 8;
    else return undefined;
    nh = next;
  }
  if (off + 8 > b.length) return undefined;
  const seq = dv.getUint32(off + 4);
  let notice: IcmpNotice;
  switch (m.type) {
    case Icmpv6Type.DEST_UNREACHABLE:
      notice = { kind: 'unreachable', code: V6_UNREACHABLE_AS_V4[m.code] ?? 13, seq };
      break;
    case Icmpv6Type.PACKET_TOO_BIG:
      notice = { kind: 'packet-too-big', mtu: m.rest, seq };
      break;
    case Icmpv6Type.TIME_EXCEEDED:
      notice = { kind: 'time-exceeded', seq };
      break;
    case Icmpv6Type.PARAMETER_PROBLEM:
      notice = { kind: 'parameter-problem', seq };
      break;
    default:
      return undefined;
  }
  return { local: b.slice(8, 24), remote: b.slice(24, 40), localPort: dv.getUint16(off), remotePort: dv.getUint16(off + 2), notice };
}

/** The packet without its fragment header: the unfragmentable part, then `data`. */
function rebuildIpv6(head: Uint8Array, fragOffset: number, patchAt: number, nextHeader: number, data: Uint8Array): Uint8Array {
  const unfrag = head.subarray(0, fragOffset);
  const out = new Uint8Array(fragOffset + data.length);
  out.set(unfrag, 0);
  out.set(data, fragOffset);
  out[patchAt] = nextHeader;
  const payloadLength = out.length - 40;
  out[4] = (payloadLength >>> 8) & 0xff;
  out[5] = payloadLength & 0xff;
  return out;
}

function makeInterface(o: InterfaceOptions, index: number): NetInterface {
  const mtu = o.mtu ?? 1500;
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new SynackError('ERR_SYNACK_BAD_ARGUMENT', `interface MTU must be 68..65535, got ${mtu}`);
  const addresses = o.addresses.map((a) => (typeof a === 'string' ? Stack.address(a, 'interface address') : a));
  if (addresses.some((a) => typeof a !== 'number' && mtu < 1280)) throw new SynackError('ERR_SYNACK_BAD_ARGUMENT', `an IPv6 interface needs an MTU of at least 1280 (RFC 8200 5), got ${mtu}`);
  return new NetInterface(index, o.name ?? `if${index}`, mtu, addresses);
}

function randomBytes(r: RandomSource, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    let v = r.nextU32();
    for (let j = 0; j < 4 && i + j < n; j++) {
      out[i + j] = v & 0xff;
      v >>>= 8;
    }
  }
  return out;
}

function checkPort(p: number, what: string, allowZero: boolean): void {
  if (!Number.isInteger(p) || p < (allowZero ? 0 : 1) || p > 65535) {
    throw new SynackError('ERR_SOCKET_BAD_PORT', `${what} should be >= ${allowZero ? 0 : 1} and < 65536, got ${String(p)}`);
  }
}

function checkDscp(d: number): number {
  if (!Number.isInteger(d) || d < 0 || d > 63) throw new SynackError('ERR_SYNACK_BAD_ARGUMENT', `DSCP must be an integer 0..63, got ${String(d)}`);
  return d;
}

function checkBacklog(b: number): number {
  if (!Number.isInteger(b) || b < 1 || b > 65535) throw new SynackError('ERR_SYNACK_BAD_ARGUMENT', `backlog must be 1..65535, got ${b}`);
  return b;
}
