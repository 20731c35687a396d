/**
 * One TCP connection as a pure, deterministic state machine (RFC 9293), sans-IO.
 *
 * Method groups and call order
 * ----------------------------
 * Create:   `TcpConnection.connect(...)` (active OPEN, SYN-SENT), `TcpConnection.accept(...)` (a SYN
 *           that a listener accepted, SYN-RECEIVED), `TcpConnection.listen(...)` (a passive OPEN that
 *           stays in LISTEN until a SYN arrives). The ISS always comes from outside (see isn.ts).
 * Inputs:   `handleSegment(now, seg, meta?)` for every segment addressed to this connection,
 *           `handleTimeout(now)` when `now >= pollAt()`.
 * App:      `send(data)`, `shutdown()` (FIN after queued data: half-close), `close()` (shutdown and
 *           stop reading), `abort()` (RST); `read(max)`, `readInto(dst)`, `peek()` + `consume(n)`
 *           (consuming opens the receive window); `setNoDelay`, `setKeepAlive`, `setUserTimeout`...
 * Outputs:  after any input or app call, drain `pollTransmit(now)` until it returns undefined, then
 *           `pollEvent()` until undefined, then sleep until `pollAt()` (undefined: no timer armed).
 *           A segment's payload is a view of the send buffer (one copy in at `send`, none out): emit
 *           or copy it before calling into the connection again.
 * Handling several arriving segments before polling lets the engine send one ACK for all of them
 * (MUST-58, MUST-59).
 *
 * Time is a number of milliseconds passed in by the caller (virtual or real); nothing in here reads
 * a clock, sets a timer or draws randomness. Timers are a table of absolute deadlines (Infinity =
 * disarmed); `pollAt` is their minimum.
 *
 * Sequence variables follow RFC 9293 3.3.1, plus SND.MAX (BSD's snd_max): the highest sequence
 * number sent, which the RFC's "SEG.ACK > SND.NXT" acceptability tests use. In the data states
 * SND.NXT stays at SND.MAX: retransmissions do not move it back (no go-back-N).
 *
 * Loss recovery, one mechanism for every case (scoreboard.ts): what the peer SACKed (RFC 2018),
 * which octets are lost (RFC 6675 IsLost, or declared lost: every outstanding octet after a
 * retransmission timeout, the segment at SND.UNA on a NewReno fast retransmit or partial ACK) and
 * how far retransmission has gone (HighRxt). `nextDataSegment` sends in RFC 6675 NextSeg order:
 * lost holes, new data, then (SACK recovery) other holes and one rescue; SACKed octets are never
 * sent again, not even after a timeout (unless the receiver reneged). pipe limits it all against
 * cwnd; without SACK information pipe is FlightSize and the RFC 5681/6582 window arithmetic applies.
 * With SACK, RACK-TLP (rack.ts, RFC 8985) adds time-based loss detection (lost retransmissions too)
 * and tail loss probes; the receiver reports duplicates in D-SACK blocks (RFC 2883).
 * Congestion control is a plug-in (congestion.ts: reno.ts, cubic.ts).
 *
 * Invariants:
 *  - SND.UNA <= SND.NXT <= SND.MAX; send-buffer byte i has sequence number sndBufSeq + i;
 *  - RCV.NXT + (advertised window) never moves left (SHLD-14) and never exceeds the free space of
 *    the receive ring, so any acceptable byte has a place in the ring;
 *  - every queue is bounded by the config; bad input from the network never throws.
 */
import { SynackError } from '../errors.js';
import { seqAdd, seqDiff, seqGe, seqGt, seqInRange, seqLe, seqLt } from '../wire/seq.js';
import { TcpFlag, type SackBlock, type TcpOption, type TcpRepr } from '../wire/tcp.js';
import type { CongestionContext, CongestionControl } from './congestion.js';
import { advertisedMss, congestionFactory, defaultSendMss, mmsS, resolveConfig, type TcpConfig } from './config.js';
import { newCounters, type DropReason, type IcmpNotice, type ResetReason, type TcpCounters, type TcpEvent, type TimeoutReason } from './events.js';
import { listenSegment, type SegmentMeta } from './listen.js';
import { findMss, findSackBlocks, findTimestamps, findWindowScale, hasSackPermitted, NOP, optionsLength, synOptions } from './options.js';
import { RangeSet } from './ranges.js';
import { resetFor, resetWithSeq } from './reset.js';
import { ByteRing } from './ring.js';
import { Rack, type RackVerdict } from './rack.js';
import { RttEstimator } from './rtt.js';
import { DUP_THRESH, Scoreboard } from './scoreboard.js';
import { isSynchronized, TcpState } from './state.js';

export type { SegmentMeta } from './listen.js';

const { FIN, SYN, RST, PSH, ACK, URG, ECE, CWR } = TcpFlag;
const NEVER = Infinity;
/** The largest GSO burst, in payload bytes (Linux: GSO_MAX_SIZE, 64 KiB). */
const GSO_MAX_BYTES = 65536;
const EMPTY = new Uint8Array(0);
const NO_BLOCKS: readonly SackBlock[] = [];
const NO_OPTIONS: readonly TcpOption[] = [];
/** RFC 8985 7.2 TLP.max_ack_delay: the peer's worst-case delayed-ACK time, when it is not known. */
const TLP_MAX_ACK_DELAY = 200;
/** The least probe timeout, ms (see armPto). */
const TLP_MIN_PTO = 2;
/** The out-of-order queue of every connection that has none (never mutated). */
const NO_RANGES = new RangeSet(0);

type SegTimestamps = { readonly tsval: number; readonly tsecr: number };

/** The context handed to congestion controllers, refilled before every call. */
const CC_CTX: { -readonly [K in keyof CongestionContext]: CongestionContext[K] } = {
  mss: 1,
  flightSize: 0,
  now: 0,
  srtt: undefined,
  minRtt: undefined,
  sack: false,
  cwndLimited: true,
  timeouts: 0,
};
/** RFC 7323 5.5: TS.Recent is invalid after 24 days of idleness. */
const PAWS_IDLE = 24 * 24 * 60 * 60 * 1000;
/** Smallest send MSS we accept from a peer (Linux: 48), against tiny-MSS resource attacks. */
const MIN_PEER_MSS = 48;
/** Bound on queued control replies (RSTs to foreign segments). */
const MAX_CONTROL_REPLIES = 8;
/** Bound on queued events. */
const MAX_EVENTS = 64;

/** Loss recovery in progress: none, NewReno fast recovery (RFC 6582), SACK recovery (RFC 6675). */
const enum Recovery {
  None = 0,
  NewReno = 1,
  Sack = 2,
}

export interface ConnectOptions {
  readonly now: number;
  readonly localPort: number;
  readonly remotePort: number;
  /** Initial send sequence number (from IsnGenerator.isn, or fixed in tests). */
  readonly iss: number;
  readonly config?: Partial<TcpConfig>;
  /** Offset added to `now` for RFC 7323 TSval (IsnGenerator.timestampOffset); default 0. */
  readonly tsOffset?: number;
}

export interface AcceptOptions {
  readonly now: number;
  /** The SYN that `listenSegment` accepted (which already refused SYNs with option errors). */
  readonly syn: TcpRepr;
  readonly iss: number;
  readonly config?: Partial<TcpConfig>;
  readonly tsOffset?: number;
}

export interface ListenOptions {
  readonly localPort: number;
  /** Chooses the ISS when a SYN arrives. */
  readonly iss: number | ((now: number, syn: TcpRepr) => number);
  readonly config?: Partial<TcpConfig>;
  readonly tsOffset?: number;
}

export interface SendOptions {
  /** Mark the data urgent: SND.UP moves to just after its last byte (MUST-30, MUST-62). */
  readonly urgent?: boolean;
}

/** A STATUS snapshot (RFC 9293 3.10.6) plus the engine's derived values. */
export interface TcpInfo {
  readonly state: TcpState;
  readonly localPort: number;
  readonly remotePort: number;
  readonly iss: number;
  readonly irs: number;
  readonly sndUna: number;
  readonly sndNxt: number;
  readonly sndMax: number;
  readonly sndWnd: number;
  readonly maxSndWnd: number;
  readonly rcvNxt: number;
  readonly rcvWnd: number;
  readonly sndWndShift: number;
  readonly rcvWndShift: number;
  readonly peerMss: number;
  readonly effSndMss: number;
  readonly rto: number;
  readonly srtt: number | undefined;
  readonly cwnd: number;
  readonly ssthresh: number;
  readonly timestamps: boolean;
  readonly sack: boolean;
  /** ECN (RFC 3168) in use: ECT on new data, ECN-Echo answered. */
  readonly ecn: boolean;
  readonly sendQueued: number;
  readonly readable: number;
  /** Congestion controller in use ('reno', 'cubic', 'none', or a plug-in's name). */
  readonly congestionControl: string;
  /** Octets presumed in flight (RFC 6675 pipe; FlightSize when nothing is SACKed or lost). */
  readonly pipe: number;
  /** Loss recovery under way: 'none', 'newreno' (RFC 6582) or 'sack' (RFC 6675). */
  readonly recovery: 'none' | 'newreno' | 'sack';
  /** Smallest RTT sample, ms. */
  readonly minRtt: number | undefined;
}

type Terminal = { kind: 'closed' } | { kind: 'reset'; reason: ResetReason } | { kind: 'timed-out'; reason: TimeoutReason };

export class TcpConnection {
  readonly config: TcpConfig;
  readonly counters: TcpCounters = newCounters();

  private _state: TcpState = TcpState.Closed;
  private _localPort: number;
  private _remotePort = 0;
  private readonly tsOffset: number;
  private readonly issSource: ((now: number, syn: TcpRepr) => number) | undefined;

  // Per-connection settings the application may change (MUST-17, MUST-21, MUST-24, MUST-27).
  private nagle: boolean;
  private keepAlive: boolean;
  private keepAliveIdle: number;
  private userTimeout: number;
  private maxRetransmits: number;

  // ---- TCB (reinitialized by initTcb when a passive connection returns to LISTEN) ----
  private passive!: boolean;
  private iss!: number;
  private irs!: number;
  private sndUna!: number;
  private sndNxt!: number;
  private sndMax!: number;
  private sndWnd!: number;
  private sndWl1!: number;
  private sndWl2!: number;
  private maxSndWnd!: number;
  private sndUp!: number | undefined;
  private sndWndShift!: number;
  private sndBuf!: ByteRing;
  private sndBufSeq!: number;
  private finQueued!: boolean;
  private finSeq!: number;
  private wantWritable!: boolean;

  private rcvNxt!: number;
  private rcvAdvEdge!: number;
  private rcvWndShift!: number;
  private rcvBuf!: ByteRing;
  private rcvOff!: number;
  private readSeq!: number;
  private ooo!: RangeSet;
  private pendingFinSeq!: number | undefined;
  private peerFin!: boolean;
  private rcvUp!: number | undefined;
  private rcvUnacked!: number;
  private readClosed!: boolean;

  private peerMss!: number;
  private effMssBase!: number;
  private offerWindowScale!: number | undefined;
  private tsEnabled!: boolean;
  private tsRecent!: number;
  private tsRecentAt!: number;
  private lastAckSent!: number;
  private sackEnabled!: boolean;

  private rtt!: RttEstimator;
  private minRtt!: number | undefined;
  private cc!: CongestionControl;
  private rttSeq!: number | undefined;
  private rttStart!: number;
  private synRetransmitted!: boolean;
  private retransmits!: number;
  private dupAcks!: number;
  /** Loss recovery state; `recover` is RecoveryPoint (RFC 6675) / recover (RFC 6582). */
  private recovery!: Recovery;
  private recover!: number;
  /** RFC 6675 RescueRxt (undefined: no rescue retransmission yet in this recovery). */
  private rescueRxt!: number | undefined;
  /** SACK scoreboard, loss marks and HighRxt (scoreboard.ts); only while there is something to keep. */
  private sb!: Scoreboard | undefined;
  /** Sending was held back by cwnd (RFC 7661 2 "cwnd-limited"), for the data up to cwndLimitSeq. */
  private cwndLimited!: boolean;
  /** SND.MAX when the window last limited sending: the cwnd-limited verdict holds until it is acknowledged. */
  private cwndLimitSeq!: number;
  /** When data was last sent (RFC 5681 4.1 idle detection); undefined before any. */
  private lastDataSentAt!: number | undefined;
  /** RACK-TLP send times and state (rack.ts), with SACK; created when data is first sent. */
  private rack!: Rack | undefined;
  /** The end of an outstanding tail loss probe (RFC 8985 7: TLP.end_seq) and whether it was a retransmission. */
  private tlpEndSeq!: number | undefined;
  private tlpIsRetrans!: boolean;
  private tlpNow!: boolean;
  /** The ACK being processed carried a D-SACK. */
  private ackDsack = false;
  /** New data went out since the PTO was last armed. */
  private ptoPending = false;
  /** A duplicate to report in the next ACK's first SACK block (RFC 2883), and the options carrying it. */
  private dsackBlock: SackBlock | undefined = undefined;
  private dsackOptions: readonly TcpOption[] | undefined = undefined;
  /** TSval of the first retransmission of the current loss episode, and SND.MAX when it began. */
  private rxtTsval!: number | undefined;
  private rxtEpisodeEnd!: number;
  private persistInterval!: number;
  private probesOut!: number;
  private progressAt!: number;
  private lastRecvAt!: number;
  private kaProbes!: number;
  private challengeStart!: number;
  private challengeCount!: number;

  // Output flags.
  private ackNow!: boolean;
  /** The ACK owed is one RFC 5681 4.2 wants per segment (out of order, gap filled, duplicate). */
  private ackEach!: boolean;
  /** RFC 3168: ECN in use on this connection (negotiated in the handshake). */
  private ecnOk!: boolean;
  /** Our last SYN asked for ECN (an ECN-setup SYN: ECE and CWR; RFC 3168 6.1.1). */
  private ecnSynSent!: boolean;
  /** One of our SYNs was ECN-setup (the first; a retransmission may have gone without). */
  private ecnSynEverSent!: boolean;
  /**
   * CE marks are processed (echoed): ECN is in use, or our ECN-setup SYN was answered by an
   * ECN-setup SYN-ACK after we fell back to a plain SYN (6.1.1: such a host sends no ECT but MUST
   * still process CE).
   */
  private ecnEchoOk!: boolean;
  /** Sender: a reduction is being held until an ACK above ecnRecover arrives (once per window). */
  private ecnHold!: boolean;
  /** Receiver: a CE mark arrived; ECE goes on every ACK until the peer's CWR (6.1.3). */
  private ecnEcho!: boolean;
  /** Sender: the window was reduced; CWR goes on the next new data segment (6.1.2). */
  private ecnCwrPending!: boolean;
  /** Where the held reduction ends: SND.MAX when it was made (read only while ecnHold). */
  private ecnRecover!: number;
  /** The segment pollTransmit last returned may carry ECT(0) in its IP header (6.1.4, 6.1.5, 6.1.6). */
  private ectOut = false;
  /** The segment pollTransmit last returned is a burst to be cut at this size; 0: one wire segment. */
  private gsoOut = 0;
  /**
   * Segmentation offload (GSO): new data may leave pollTransmit as one burst of up to this many
   * full-sized segments, which the caller cuts (see transmitSegmentSize). 1: one segment per call.
   */
  gsoSegments = 1;
  private fastRetransmitNow!: boolean;
  private probeNow!: boolean;
  private keepaliveNow!: boolean;
  private swsOverrideNow!: boolean;
  private rstToSend!: number | undefined;
  private controlReplies!: TcpRepr[];

  // Timers (absolute deadlines in ms).
  private tRetransmit!: number;
  private tPersist!: number;
  private tDelayedAck!: number;
  private tKeepalive!: number;
  private tTimeWait!: number;
  private tFinWait2!: number;
  private tSws!: number;
  /** RACK reordering timer and TLP probe timeout (RFC 8985 6.2, 7.2). */
  private tRack!: number;
  private tPto!: number;

  // Events.
  private events: TcpEvent[] = [];
  private readableQueued = false;
  private writableQueued = false;
  private urgentQueued = false;
  private peerClosedSignalled = false;
  private terminal: Terminal | undefined = undefined;

  private constructor(localPort: number, config: TcpConfig, tsOffset: number, issSource: ((now: number, syn: TcpRepr) => number) | undefined) {
    this.config = config;
    this._localPort = localPort;
    this.tsOffset = tsOffset >>> 0;
    this.issSource = issSource;
    this.nagle = config.nagle;
    this.keepAlive = config.keepAlive;
    this.keepAliveIdle = config.keepAliveIdle;
    this.userTimeout = config.userTimeout;
    this.maxRetransmits = config.maxRetransmits;
    this.initTcb(0);
  }

  // ------------------------------------------------------------------------------------------
  // Creation
  // ------------------------------------------------------------------------------------------

  /** Active OPEN (3.10.1): the connection starts in SYN-SENT; the SYN comes out of pollTransmit. */
  static connect(o: ConnectOptions): TcpConnection {
    checkPort(o.localPort, 'localPort');
    checkPort(o.remotePort, 'remotePort');
    const c = new TcpConnection(o.localPort, resolveConfig(o.config), o.tsOffset ?? 0, undefined);
    c._remotePort = o.remotePort;
    c.initTcb(o.now);
    c.setIss(o.iss);
    c._state = TcpState.SynSent;
    return c;
  }

  /** Passive OPEN completed by a SYN (3.10.7.2 third step): the connection is in SYN-RECEIVED. */
  static accept(o: AcceptOptions): TcpConnection {
    checkPort(o.syn.dstPort, 'syn.dstPort');
    const c = new TcpConnection(o.syn.dstPort, resolveConfig(o.config), o.tsOffset ?? 0, undefined);
    c._state = TcpState.Listen;
    c.passiveOpen(o.now, o.syn, o.iss);
    return c;
  }

  /** Passive OPEN (3.10.1): the connection waits in LISTEN; a SYN moves it to SYN-RECEIVED. */
  static listen(o: ListenOptions): TcpConnection {
    checkPort(o.localPort, 'localPort');
    const src = o.iss;
    const issSource = typeof src === 'number' ? () => src : src;
    const c = new TcpConnection(o.localPort, resolveConfig(o.config), o.tsOffset ?? 0, issSource);
    c._state = TcpState.Listen;
    return c;
  }

  /**
   * Active OPEN on a listening connection (3.10.1 LISTEN STATE): "change the connection from
   * passive to active, select an ISS", send a SYN, enter SYN-SENT. Throws SynackError
   * ('ERR_SYNACK_CONN_EXISTS') in any other state ("error: connection already exists").
   */
  open(o: { readonly now: number; readonly remotePort: number; readonly iss: number }): void {
    if (this._state !== TcpState.Listen) throw new SynackError('ERR_SYNACK_CONN_EXISTS', `connection already exists (${this._state})`);
    checkPort(o.remotePort, 'remotePort');
    this._remotePort = o.remotePort;
    this.initTcb(o.now);
    this.setIss(o.iss);
    this._state = TcpState.SynSent;
  }

  private initTcb(now: number): void {
    const cfg = this.config;
    this.passive = false;
    this.iss = 0;
    this.irs = 0;
    this.sndUna = 0;
    this.sndNxt = 0;
    this.sndMax = 0;
    this.sndWnd = 0;
    this.sndWl1 = 0;
    this.sndWl2 = 0;
    this.maxSndWnd = 0;
    this.sndUp = undefined;
    this.sndWndShift = 0;
    this.sndBuf = new ByteRing(cfg.sendBufferSize);
    this.sndBufSeq = 0;
    this.finQueued = false;
    this.finSeq = 0;
    this.wantWritable = false;
    this.rcvNxt = 0;
    this.rcvAdvEdge = 0;
    this.rcvWndShift = 0;
    this.rcvBuf = new ByteRing(cfg.recvBufferSize);
    this.rcvOff = 0;
    this.readSeq = 0;
    this.ooo = NO_RANGES;
    this.pendingFinSeq = undefined;
    this.peerFin = false;
    this.rcvUp = undefined;
    this.rcvUnacked = 0;
    this.readClosed = false;
    this.peerMss = defaultSendMss(cfg);
    this.effMssBase = this.computeEffMss(this.peerMss);
    this.offerWindowScale = cfg.windowScaling ? ourWindowShift(cfg.recvBufferSize) : undefined;
    this.tsEnabled = false;
    this.tsRecent = 0;
    this.tsRecentAt = now;
    this.lastAckSent = 0;
    this.sackEnabled = false;
    this.rtt = new RttEstimator(cfg.initialRto, cfg.minRto, cfg.maxRto);
    this.minRtt = undefined;
    this.cc = congestionFactory(cfg)(this.effMssBase);
    this.rttSeq = undefined;
    this.rttStart = 0;
    this.synRetransmitted = false;
    this.retransmits = 0;
    this.dupAcks = 0;
    this.recovery = Recovery.None;
    this.recover = 0;
    this.rescueRxt = undefined;
    this.sb = undefined;
    this.cwndLimited = false;
    this.cwndLimitSeq = 0;
    this.lastDataSentAt = undefined;
    this.rxtTsval = undefined;
    this.rxtEpisodeEnd = 0;
    this.rack = undefined;
    this.dsackBlock = undefined;
    this.dsackOptions = undefined;
    this.tlpEndSeq = undefined;
    this.tlpIsRetrans = false;
    this.tlpNow = false;
    this.persistInterval = 0;
    this.probesOut = 0;
    this.progressAt = now;
    this.lastRecvAt = now;
    this.kaProbes = 0;
    this.challengeStart = -Infinity;
    this.challengeCount = 0;
    this.ackNow = false;
    this.ackEach = false;
    this.ecnOk = false;
    this.ecnSynSent = false;
    this.ecnSynEverSent = false;
    this.ecnEchoOk = false;
    this.ecnHold = false;
    this.ecnEcho = false;
    this.ecnCwrPending = false;
    this.ecnRecover = 0;
    this.fastRetransmitNow = false;
    this.probeNow = false;
    this.keepaliveNow = false;
    this.swsOverrideNow = false;
    this.rstToSend = undefined;
    this.controlReplies = [];
    this.clearTimers();
  }

  private clearTimers(): void {
    this.tRetransmit = NEVER;
    this.tPersist = NEVER;
    this.tDelayedAck = NEVER;
    this.tKeepalive = NEVER;
    this.tTimeWait = NEVER;
    this.tFinWait2 = NEVER;
    this.tSws = NEVER;
    this.tRack = NEVER;
    this.tPto = NEVER;
  }

  private setIss(iss: number): void {
    iss = iss >>> 0;
    this.iss = iss;
    this.sndUna = iss;
    this.sndNxt = iss;
    this.sndMax = iss;
    this.sndBufSeq = seqAdd(iss, 1);
    this.recover = iss;
    this.sb = undefined;
  }

  private computeEffMss(sendMss: number): number {
    // MUST-16: Eff.snd.MSS = min(SendMSS+20, MMS_S) - TCPhdrsize - IPoptionsize, where the TCP
    // options of each segment are subtracted when it is built (segmentDataMax).
    const c = this.config;
    return Math.max(1, Math.min(sendMss + 20, mmsS(c)) - 20 - c.ipOptionsSize);
  }

  // ------------------------------------------------------------------------------------------
  // Status
  // ------------------------------------------------------------------------------------------

  get state(): TcpState {
    return this._state;
  }

  /** True in CLOSED (the TCB is gone; pollTransmit may still owe a final RST). */
  get isClosed(): boolean {
    return this._state === TcpState.Closed;
  }

  get localPort(): number {
    return this._localPort;
  }

  get remotePort(): number {
    return this._remotePort;
  }

  /** Bytes that `read` can return now. */
  /**
   * True when the ACK this connection owes answers one particular segment (an out-of-order one, one
   * that filled a gap, a duplicate): RFC 5681 4.2 wants it sent at once, before the next segment is
   * processed, so a stack that takes packets in batches must poll before going on (duplicate ACKs
   * merged into one would starve the sender's fast retransmit).
   */
  get ackPerSegment(): boolean {
    return this.ackEach;
  }

  /**
   * Whether the segment pollTransmit just returned may be sent ECN-capable: ECT(0) in its IP header
   * (RFC 3168 6.1.4-6.1.6: new data on an ECN connection; never SYNs, pure ACKs, retransmissions or
   * zero-window probes). Read it before calling pollTransmit again.
   */
  get transmitEct(): boolean {
    return this.ectOut;
  }

  /**
   * 0 when the segment pollTransmit just returned is one wire segment; otherwise it is a burst of
   * full-sized segments of new data (only with gsoSegments > 1) that the caller must cut into
   * segments of this many payload octets, each with the burst's header and options and its own
   * sequence number, PSH and FIN only on the last, CWR only on the first: exactly the segments
   * that successive calls would have returned. Read it before calling pollTransmit again.
   */
  get transmitSegmentSize(): number {
    return this.gsoOut;
  }

  /** ECN (RFC 3168) was negotiated for this connection. */
  get ecn(): boolean {
    return this.ecnOk;
  }

  get readableBytes(): number {
    return this.rcvBuf.length;
  }

  /** The peer sent FIN and every byte before it has been read. */
  get eof(): boolean {
    return this.peerFin && this.rcvBuf.length === 0;
  }

  /** Room in the send buffer. */
  get writableBytes(): number {
    if (this.finQueued || !canQueueSend(this._state)) return 0;
    return this.sndBuf.free;
  }

  /** Bytes queued or in flight, not yet acknowledged. */
  get sendQueued(): number {
    return this.sndBuf.length;
  }

  /** MUST-33: how much urgent data remains to be read (0 when not in urgent mode). */
  get urgentPending(): number {
    if (this.rcvUp === undefined || !seqGt(this.rcvUp, this.readSeq)) return 0;
    return seqDiff(this.rcvUp, this.readSeq);
  }

  /** The largest sequence number sent so far (for reopening from TIME-WAIT, MAY-2). */
  get lastSequenceUsed(): number {
    return this.sndMax;
  }

  info(): TcpInfo {
    return {
      state: this._state,
      localPort: this._localPort,
      remotePort: this._remotePort,
      iss: this.iss,
      irs: this.irs,
      sndUna: this.sndUna,
      sndNxt: this.sndNxt,
      sndMax: this.sndMax,
      sndWnd: this.sndWnd,
      maxSndWnd: this.maxSndWnd,
      rcvNxt: this.rcvNxt,
      rcvWnd: Math.max(0, seqDiff(this.rcvAdvEdge, this.rcvNxt)),
      sndWndShift: this.sndWndShift,
      rcvWndShift: this.rcvWndShift,
      peerMss: this.peerMss,
      effSndMss: this.effMssBase,
      rto: this.rtt.rto,
      srtt: this.rtt.srtt,
      cwnd: Math.floor(this.cc.cwnd),
      ssthresh: Math.floor(this.cc.ssthresh),
      timestamps: this.tsEnabled,
      sack: this.sackEnabled,
      ecn: this.ecnOk,
      sendQueued: this.sndBuf.length,
      readable: this.rcvBuf.length,
      congestionControl: this.cc.name,
      pipe: this.pipe(),
      recovery: this.recovery === Recovery.Sack ? 'sack' : this.recovery === Recovery.NewReno ? 'newreno' : 'none',
      minRtt: this.minRtt,
    };
  }

  /**
   * RFC 9293 3.6.1 (MAY-2) and RFC 6191: may a SYN reopen this connection from TIME-WAIT? True when
   * the SYN's sequence number is beyond RCV.NXT (or, with timestamps, its TSval is newer than
   * TS.Recent). The stack then drops this TCB and accepts the SYN with an ISS above
   * `lastSequenceUsed` (isn.ts `issAbove`).
   */
  canReopen(seg: TcpRepr): boolean {
    if (this._state !== TcpState.TimeWait) return false;
    if ((seg.flags & (SYN | ACK | RST)) !== SYN) return false;
    if (this.tsEnabled) {
      const ts = findTimestamps(seg.options);
      if (ts) return seqGt(ts.tsval, this.tsRecent);
    }
    return seqGt(seg.seq, this.rcvNxt);
  }

  // ------------------------------------------------------------------------------------------
  // Application calls (3.10.2 - 3.10.5)
  // ------------------------------------------------------------------------------------------

  /**
   * SEND: queue as much of `data` as fits (one copy) and return the number of bytes taken. Data
   * sent before ESTABLISHED is queued until then. Throws SynackError when the connection cannot
   * send: 'ERR_SYNACK_CONN_CLOSING' after shutdown/close, 'ERR_SYNACK_NOT_CONNECTED' in LISTEN or
   * CLOSED, or the terminal cause ('ERR_SYNACK_CONN_RESET', 'ERR_SYNACK_CONN_REFUSED', 'ERR_SYNACK_TIMED_OUT').
   */
  send(data: Uint8Array, opts?: SendOptions): number {
    this.requireOpen('send');
    if (this.finQueued) throw new SynackError('ERR_SYNACK_CONN_CLOSING', 'connection closing: cannot send after shutdown or close');
    const n = this.sndBuf.append(data);
    if (n < data.length) this.wantWritable = true;
    if (opts?.urgent && n > 0) this.sndUp = seqAdd(this.sndBufSeq, this.sndBuf.length); // MUST-62
    return n;
  }

  /**
   * Half-close (CLOSE of 3.10.4): a FIN follows the queued data; receiving goes on. Idempotent once
   * the FIN is queued. In LISTEN and SYN-SENT it deletes the connection.
   */
  shutdown(): void {
    switch (this._state) {
      case TcpState.Closed:
        return;
      case TcpState.Listen:
      case TcpState.SynSent:
        this.terminate({ kind: 'closed' });
        return;
      case TcpState.SynReceived:
        // Queued until ESTABLISHED is reached (3.10.4 "otherwise, queue for processing").
        this.queueFin();
        return;
      case TcpState.Established:
        this.queueFin();
        this._state = TcpState.FinWait1;
        return;
      case TcpState.CloseWait:
        this.queueFin();
        this._state = TcpState.LastAck;
        return;
      default:
        return; // FIN already queued: no second FIN (3.10.4 FIN-WAIT-1/2)
    }
  }

  /**
   * Full close: shutdown() and stop reading. Unread data, or data arriving later, makes the
   * connection send a RST to show that data was lost (RFC 9293 3.6.1, MAY-1, SHLD-3).
   */
  close(now?: number): void {
    if (this._state === TcpState.Closed) return;
    if (this._state === TcpState.Listen || this._state === TcpState.SynSent) {
      this.terminate({ kind: 'closed' });
      return;
    }
    this.readClosed = true;
    if (this.rcvBuf.length > 0 || this.ooo.count > 0) {
      this.abort();
      return;
    }
    this.shutdown();
    if (this._state === TcpState.FinWait2) this.tFinWait2 = (now ?? this.progressAt) + this.config.finWait2Timeout;
  }

  /** ABORT (3.10.5): RST in synchronized-ish states, then CLOSED. Queued data is discarded. */
  abort(): void {
    switch (this._state) {
      case TcpState.Closed:
        return;
      case TcpState.SynReceived:
      case TcpState.Established:
      case TcpState.FinWait1:
      case TcpState.FinWait2:
      case TcpState.CloseWait:
        this.rstToSend = this.sndMax; // <SEQ=SND.NXT><CTL=RST>
        break;
      default:
        break;
    }
    this.terminate({ kind: 'closed' });
  }

  /** Copy out and consume up to `max` bytes of in-order data. Empty when nothing is readable. */
  read(max = Infinity): Uint8Array {
    this.requireReadable();
    const n = Math.min(max, this.rcvBuf.length);
    if (n <= 0) return EMPTY;
    const out = new Uint8Array(n);
    this.rcvBuf.copyOut(0, out, 0, n);
    this.consume(n);
    return out;
  }

  /** Copy up to dst.length bytes into `dst`, consume them, return how many. */
  readInto(dst: Uint8Array): number {
    this.requireReadable();
    const n = Math.min(dst.length, this.rcvBuf.length);
    if (n <= 0) return 0;
    this.rcvBuf.copyOut(0, dst, 0, n);
    this.consume(n);
    return n;
  }

  /** Zero-copy views of the readable bytes (one or two); valid until the next call. */
  peek(max = Infinity): Uint8Array[] {
    return this.rcvBuf.views(0, Math.min(max, this.rcvBuf.length));
  }

  /** The application has taken `n` readable bytes: free them and maybe open the window (3.8.6.2.2). */
  consume(n: number): void {
    n = Math.max(0, Math.min(Math.floor(n), this.rcvBuf.length));
    if (n === 0) return;
    this.rcvBuf.consume(n);
    this.readSeq = seqAdd(this.readSeq, n);
    if (this.rcvBuf.length === 0) this.readableQueued = false;
    // Window update: once the right edge may advance by the SWS threshold and the window at least
    // doubles (so a sender stalled on a small window hears about it, without an ACK per read).
    if (this.receivesData()) {
      const cur = Math.max(0, seqDiff(this.rcvAdvEdge, this.rcvNxt));
      const free = Math.min(this.rcvBuf.free, this.maxAdvertisable());
      if (free - cur >= this.rcvSwsThreshold() && free >= 2 * cur) this.ackNow = true;
    }
  }

  /** Nagle on (false) or off (true) (MUST-17). */
  setNoDelay(noDelay: boolean): void {
    this.nagle = !noDelay;
  }

  /** Keep-alives on/off per connection (MUST-24), with an optional idle interval (MUST-27). */
  setKeepAlive(enabled: boolean, idle?: number, now?: number): void {
    if (idle !== undefined) {
      if (!(idle > 0)) throw new SynackError('ERR_SYNACK_BAD_ARGUMENT', `keep-alive idle must be > 0 ms, got ${idle}`);
      this.keepAliveIdle = idle;
    }
    this.keepAlive = enabled;
    this.kaProbes = 0;
    this.armKeepalive(now ?? this.lastRecvAt);
  }

  /** The USER TIMEOUT (3.9.1.1) in ms. */
  setUserTimeout(ms: number): void {
    if (!(ms > 0)) throw new SynackError('ERR_SYNACK_BAD_ARGUMENT', `user timeout must be > 0 ms, got ${ms}`);
    this.userTimeout = ms;
  }

  /** R2: retransmissions of one segment before the connection is closed (MUST-21). */
  setMaxRetransmits(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new SynackError('ERR_SYNACK_BAD_ARGUMENT', `max retransmits must be an integer >= 1, got ${n}`);
    this.maxRetransmits = n;
  }

  private requireOpen(what: string): void {
    if (this._state === TcpState.Listen) throw new SynackError('ERR_SYNACK_NOT_CONNECTED', `cannot ${what}: connection is listening`);
    if (this._state !== TcpState.Closed) return;
    const t = this.terminal;
    if (t?.kind === 'reset') {
      if (t.reason === 'refused') throw new SynackError('ERR_SYNACK_CONN_REFUSED', `cannot ${what}: connection refused`);
      throw new SynackError('ERR_SYNACK_CONN_RESET', `cannot ${what}: connection reset`);
    }
    if (t?.kind === 'timed-out') throw new SynackError('ERR_SYNACK_TIMED_OUT', `cannot ${what}: connection timed out (${t.reason})`);
    throw new SynackError('ERR_SYNACK_NOT_CONNECTED', `cannot ${what}: connection does not exist`);
  }

  private requireReadable(): void {
    if (this.readClosed) throw new SynackError('ERR_SYNACK_CONN_CLOSED', 'cannot read: the connection was closed for reading');
  }

  private queueFin(): void {
    if (this.finQueued) return;
    this.finQueued = true;
    this.finSeq = seqAdd(this.sndBufSeq, this.sndBuf.length);
  }

  // ------------------------------------------------------------------------------------------
  // Events
  // ------------------------------------------------------------------------------------------

  pollEvent(): TcpEvent | undefined {
    if (this.events.length === 0) return undefined;
    const e = this.events.shift();
    if (this.events.length === 0) this.events = []; // drop the backing store: idle connections keep none
    if (e?.type === 'urgent') this.urgentQueued = false;
    else if (e?.type === 'writable') this.writableQueued = false;
    return e;
  }

  private emit(e: TcpEvent): void {
    // Bounded: an application that never polls loses non-terminal events beyond MAX_EVENTS.
    const terminal = e.type === 'closed' || e.type === 'reset' || e.type === 'timed-out';
    if (this.events.length >= MAX_EVENTS && !terminal) return;
    this.events.push(e);
  }

  private terminate(t: Terminal): void {
    if (this._state === TcpState.Closed && this.terminal) return;
    this._state = TcpState.Closed;
    this.clearTimers();
    this.ackNow = false;
    this.fastRetransmitNow = false;
    this.probeNow = false;
    this.keepaliveNow = false;
    this.recovery = Recovery.None;
    if (t.kind !== 'closed' || this.rstToSend !== undefined) {
      // Reset, timeout, abort: all segment queues are flushed (3.10.7.4, 3.10.8).
      this.sndBuf.clear();
      this.rcvBuf.clear();
      this.ooo = NO_RANGES;
    }
    if (this.terminal === undefined) {
      this.terminal = t;
      if (t.kind === 'closed') this.emit({ type: 'closed' });
      else if (t.kind === 'reset') this.emit({ type: 'reset', reason: t.reason });
      else this.emit({ type: 'timed-out', reason: t.reason });
    }
  }

  private drop(reason: DropReason): void {
    this.counters.drops[reason]++;
  }

  // ------------------------------------------------------------------------------------------
  // SEGMENT ARRIVES (3.10.7)
  // ------------------------------------------------------------------------------------------

  handleSegment(now: number, seg: TcpRepr, meta?: SegmentMeta): void {
    this.counters.segmentsIn++;
    this.counters.bytesIn += seg.payload.length;
    if (seg.dstPort !== this._localPort || (this._state !== TcpState.Listen && this._state !== TcpState.Closed && seg.srcPort !== this._remotePort)) {
      this.drop('port-mismatch');
      return;
    }
    switch (this._state) {
      case TcpState.Closed:
        this.segmentClosed(seg);
        return;
      case TcpState.Listen:
        this.segmentListen(now, seg, meta);
        return;
      case TcpState.SynSent:
        this.segmentSynSent(now, seg, meta);
        return;
      default:
        this.segmentOther(now, seg, meta);
    }
  }

  /** 3.10.7.1: no TCB; answer with a RST unless the segment is one. */
  private segmentClosed(seg: TcpRepr): void {
    this.drop('closed');
    const r = resetFor(seg);
    if (r) this.queueControl(r);
  }

  private queueControl(r: TcpRepr): void {
    if (this.controlReplies.length < MAX_CONTROL_REPLIES) this.controlReplies.push(r);
  }

  /** 3.10.7.2 */
  private segmentListen(now: number, seg: TcpRepr, meta?: SegmentMeta): void {
    const a = listenSegment(seg, meta);
    switch (a.action) {
      case 'ignore':
        this.drop('listen-rst');
        return;
      case 'reset':
        if (a.reason === 'option-error') this.drop('option-error');
        else this.drop('ack-unacceptable');
        this.queueControl(a.reply);
        return;
      case 'drop':
        this.drop(a.reason);
        return;
      case 'accept':
        if (!this.issSource) {
          this.drop('closed');
          return;
        }
        this.passiveOpen(now, seg, this.issSource(now, seg));
    }
  }

  /** LISTEN + SYN: fill in the remote socket, RCV.NXT, IRS, choose ISS, answer SYN,ACK. */
  private passiveOpen(now: number, syn: TcpRepr, iss: number): void {
    this._remotePort = syn.srcPort;
    this.initTcb(now);
    this.passive = true;
    this.setIss(iss);
    this.irs = syn.seq;
    this.rcvNxt = seqAdd(syn.seq, 1);
    this.readSeq = this.rcvNxt;
    this.rcvAdvEdge = this.rcvNxt;
    this.lastAckSent = this.rcvNxt;
    this.negotiate(now, syn, true);
    this.sndWnd = syn.window; // never scaled in a SYN (RFC 7323 2.2)
    this.maxSndWnd = this.sndWnd;
    this.sndWl1 = syn.seq;
    this.sndWl2 = this.iss;
    this._state = TcpState.SynReceived;
    // Text on the SYN is not acknowledged; the peer sends it again once ESTABLISHED.
    if (syn.payload.length > 0) this.drop('syn-data');
    this.lastRecvAt = now;
  }

  /** Options of the peer's SYN (MUST-14, MUST-15, RFC 7323, RFC 2018). */
  private negotiate(now: number, syn: TcpRepr, passive: boolean): void {
    const cfg = this.config;
    const mss = findMss(syn.options);
    this.peerMss = mss === undefined ? defaultSendMss(cfg) : Math.max(MIN_PEER_MSS, mss);
    this.effMssBase = this.computeEffMss(this.peerMss);
    this.sb?.setMss(this.effMssBase);
    this.cc = congestionFactory(cfg)(this.effMssBase);
    const ws = findWindowScale(syn.options);
    if (this.offerWindowScale !== undefined && ws !== undefined) {
      this.sndWndShift = Math.min(14, ws); // RFC 7323 2.3: larger shifts are treated as 14
      this.rcvWndShift = this.offerWindowScale;
    } else {
      this.sndWndShift = 0;
      this.rcvWndShift = 0;
      if (passive) this.offerWindowScale = undefined;
    }
    const ts = findTimestamps(syn.options);
    this.tsEnabled = cfg.timestamps && ts !== undefined;
    if (ts && this.tsEnabled) {
      this.tsRecent = ts.tsval;
      this.tsRecentAt = now;
    }
    this.sackEnabled = cfg.sack && hasSackPermitted(syn.options);
    // RFC 3168 6.1.1: an ECN-setup SYN has ECE and CWR; an ECN-setup SYN-ACK has ECE without CWR,
    // and counts only in answer to our ECN-setup SYN.
    const ecnBits = syn.flags & (ECE | CWR);
    this.ecnOk = passive ? cfg.ecn !== 'off' && ecnBits === (ECE | CWR) : this.ecnSynSent && ecnBits === ECE;
    this.ecnEchoOk = passive ? this.ecnOk : this.ecnSynEverSent && ecnBits === ECE;
  }

  /** 3.10.7.3 */
  private segmentSynSent(now: number, seg: TcpRepr, meta?: SegmentMeta): void {
    const f = seg.flags;
    let ackOk = false;
    // First, check the ACK bit.
    if (f & ACK) {
      if (seqLe(seg.ack, this.iss) || seqGt(seg.ack, this.sndMax)) {
        if (f & RST) this.drop('syn-sent-rst-no-ack');
        else {
          this.drop('syn-sent-bad-ack');
          this.queueControl(resetWithSeq(seg, seg.ack));
        }
        return;
      }
      ackOk = seqLt(this.sndUna, seg.ack) && seqLe(seg.ack, this.sndMax);
    }
    // Second, check the RST bit: acceptable only if it acknowledges our SYN.
    if (f & RST) {
      if (ackOk) this.terminate({ kind: 'reset', reason: 'refused' });
      else this.drop('syn-sent-rst-no-ack');
      return;
    }
    // Third: security/compartment is not used (RFC 9293 A.1.2: ignorable outside MLS systems).
    // MUST-7: an illegal option length resets a connection we can attribute (the ACK matched).
    if (meta?.optionError) {
      this.drop('option-error');
      if (ackOk && this.config.illegalOptionAction === 'reset') {
        this.queueControl(resetWithSeq(seg, seg.ack));
        this.terminate({ kind: 'reset', reason: 'illegal-option' });
      }
      return;
    }
    // Fourth, check the SYN bit.
    if (!(f & SYN)) {
      this.drop('syn-sent-no-syn');
      return;
    }
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.readSeq = this.rcvNxt;
    this.rcvAdvEdge = seqAdd(this.rcvNxt, Math.min(0xffff, this.rcvBuf.free)); // what our SYN offered
    this.lastAckSent = this.rcvNxt;
    this.negotiate(now, seg, false);
    this.lastRecvAt = now;
    if (ackOk) {
      this.ackAdvance(now, seg, seg.ack, this.tsEnabled ? findTimestamps(seg.options) : undefined);
    }
    if (seqGt(this.sndUna, this.iss)) {
      // Our SYN is acknowledged: ESTABLISHED. SND.WND from the SYN is never scaled (RFC 7323 2.2).
      this.sndWnd = seg.window;
      this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
      this.establish(now);
      this.ackNow = true; // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
      if (seg.payload.length > 0 || f & (FIN | URG)) {
        // Continue at the sixth step with the SYN trimmed off and the text trimmed to our window.
        const room = Math.max(0, seqDiff(this.rcvAdvEdge, this.rcvNxt));
        const end = Math.min(seg.payload.length, room);
        this.processUrgText(now, seg, seqAdd(seg.seq, 1), 0, end, (f & FIN) !== 0 && end === seg.payload.length && room > end);
      }
      this.updateSendTimers(now);
      return;
    }
    // Simultaneous open (MUST-10): SYN-RECEIVED, answer <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>.
    this._state = TcpState.SynReceived;
    this.sndWnd = seg.window;
    this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
    this.sndWl1 = seg.seq;
    this.sndWl2 = seg.ack;
    this.sndNxt = this.iss; // the SYN goes out again, now with ACK
    this.tRetransmit = NEVER;
    if (seg.payload.length > 0) this.drop('syn-data');
  }

  private establish(now: number): void {
    this._state = TcpState.Established;
    this.emit({ type: 'connected' });
    // RFC 6298 5.7: a timed-out SYN means RTO restarts at 3 s once data transmission begins.
    if (this.synRetransmitted && this.rtt.srtt === undefined && this.rtt.rto < 3000) this.rtt.restart(3000);
    this.armKeepalive(now);
    if (this.finQueued) this._state = TcpState.FinWait1; // CLOSE queued in SYN-RECEIVED (3.10.4)
  }

  /** 3.10.7.4: SYN-RECEIVED and the synchronized states. */
  private segmentOther(now: number, seg: TcpRepr, meta?: SegmentMeta): void {
    const st = this._state;
    let f = seg.flags;
    let seq = seg.seq;

    // SYN-RECEIVED special cases, before the sequence test.
    if (st === TcpState.SynReceived && f & SYN && seg.seq === this.irs && !(f & RST)) {
      if (!(f & ACK) && this.passive) {
        // The peer retransmitted its SYN: our SYN,ACK was lost; send it again (as Linux does).
        if (seqGt(this.sndNxt, this.iss)) this.sndNxt = this.iss;
        this.lastRecvAt = now;
        return;
      }
      if (f & ACK && !this.passive && seqLt(this.sndUna, seg.ack) && seqLe(seg.ack, this.sndMax)) {
        // Simultaneous open, RFC 9293 Figure 8 line 6: the peer's SYN,ACK carries its SYN (already
        // received) and acknowledges ours. Process it as the ACK it is (Appendix A.2 issue).
        f &= ~SYN;
        seq = seqAdd(seq, 1);
      }
    }

    // RFC 7323: timestamps (missing TSopt, PAWS) before the sequence test.
    const ts = this.tsEnabled ? findTimestamps(seg.options) : undefined;
    if (this.tsEnabled && !(f & RST)) {
      if (!ts) {
        this.drop('missing-timestamp'); // RFC 7323 3.2: SHOULD silently drop
        return;
      }
      if (now - this.tsRecentAt > PAWS_IDLE) this.tsRecentAt = now; // 5.5: TS.Recent went stale
      else if (seqLt(ts.tsval, this.tsRecent)) {
        // 5.3 R1: PAWS: not acceptable; acknowledge and drop.
        this.drop('paws');
        this.ackNow = true;
        return;
      }
    }

    const payloadLen = seg.payload.length;
    const segLen = payloadLen + (f & SYN ? 1 : 0) + (f & FIN ? 1 : 0);
    const wnd = Math.max(0, seqDiff(this.rcvAdvEdge, this.rcvNxt));
    const rightEdge = seqAdd(this.rcvNxt, wnd);

    // TIME-WAIT: a retransmission of the peer's FIN is acknowledged and restarts the 2 MSL timer
    // (3.10.7.4 fifth and eighth steps; the FIN sits just below RCV.NXT, so the literal sequence
    // test would reject it before those steps are reached).
    if (st === TcpState.TimeWait && f & FIN && !(f & (RST | SYN)) && seqAdd(seq, segLen) === this.rcvNxt) {
      this.ackNow = true;
      this.enterTimeWait(now);
      return;
    }

    // Second, check the RST bit (RFC 5961 3 as adopted by 3.10.7.4): exact match resets,
    // in-window gets a challenge ACK, anything else is silently dropped. (A RST never fails the
    // first step "with an ACK"; this ordering is equivalent.)
    if (f & RST) {
      if (seq === this.rcvNxt) {
        this.rstReceived();
      } else if (wnd > 0 && seqInRange(seq, this.rcvNxt, rightEdge)) {
        this.drop('rst-not-exact');
        this.challengeAck(now);
      } else {
        this.drop('rst-out-of-window');
      }
      return;
    }

    // First, check the sequence number (Table 6).
    let acceptable: boolean;
    if (segLen === 0) acceptable = wnd === 0 ? seq === this.rcvNxt : seqInRange(seq, this.rcvNxt, rightEdge);
    else if (wnd === 0) acceptable = false;
    else {
      const last = seqAdd(seq, segLen - 1);
      acceptable =
        seqInRange(seq, this.rcvNxt, rightEdge) ||
        seqInRange(last, this.rcvNxt, rightEdge) ||
        // A segment that covers the whole window also has acceptable parts.
        (seqLt(seq, this.rcvNxt) && seqGe(last, rightEdge));
    }
    let dataStart = 0;
    let dataEnd = payloadLen;
    let fin = (f & FIN) !== 0;
    let syn = (f & SYN) !== 0;
    if (!acceptable) {
      if (wnd === 0 && seq === this.rcvNxt) {
        // Zero window: keep the ACK, URG (and SYN) of a segment at the left edge, drop its text and
        // FIN, and answer with the current window (3.8.6.1, MUST-66, 3.10.7.4 "special allowance").
        dataEnd = 0;
        fin = false;
        this.ackNow = true;
      } else {
        this.drop('out-of-window');
        this.ackNow = true; // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
        this.ackEach = true;
        this.lastRecvAt = now;
        // RFC 2883: report data received twice (below RCV.NXT) in a D-SACK block.
        if (payloadLen > 0 && seqLe(seqAdd(seq, payloadLen), this.rcvNxt)) this.noteDuplicate(seq, seqAdd(seq, payloadLen));
        return;
      }
    } else {
      // Trim to the idealized segment that starts at RCV.NXT and ends inside the window.
      let excess = seqDiff(this.rcvNxt, seq);
      if (excess > 0) {
        if (syn) {
          syn = false;
          excess--;
          seq = seqAdd(seq, 1);
        }
        const cut = Math.min(excess, dataEnd - dataStart);
        if (cut > 0) this.noteDuplicate(seq, seqAdd(seq, cut)); // RFC 2883: the part received twice
        dataStart += cut;
        seq = seqAdd(seq, cut);
        excess -= cut;
        if (excess > 0 && fin) fin = false;
      }
      let over = seqDiff(seqAdd(seq, dataEnd - dataStart + (syn ? 1 : 0) + (fin ? 1 : 0)), rightEdge);
      if (over > 0 && fin) {
        fin = false;
        over--;
      }
      if (over > 0) dataEnd -= Math.min(over, dataEnd - dataStart);
    }
    this.lastRecvAt = now;
    this.kaProbes = 0;
    this.armKeepalive(now);

    // RFC 7323 4.3: record TS.Recent from segments that start at or before Last.ACK.sent.
    if (ts && seqGe(ts.tsval, this.tsRecent) && seqLe(seg.seq, this.lastAckSent)) {
      this.tsRecent = ts.tsval;
      this.tsRecentAt = now;
    }

    // MUST-7: an illegal option length, on a segment that passed the sequence test.
    if (meta?.optionError) {
      this.drop('option-error');
      if (this.config.illegalOptionAction === 'reset' && st !== TcpState.TimeWait) {
        this.rstToSend = this.sndMax;
        this.terminate({ kind: 'reset', reason: 'illegal-option' });
      }
      return;
    }

    // Fourth, check the SYN bit.
    if (syn) {
      if (st === TcpState.SynReceived && this.passive) {
        this.returnToListen();
        return;
      }
      // RFC 5961 4 / 3.10.7.4: challenge ACK, drop.
      this.drop('syn-in-window');
      this.challengeAck(now);
      return;
    }

    // Fifth, check the ACK field.
    if (!(f & ACK)) {
      this.drop('no-ack');
      return;
    }
    const ack = seg.ack;
    if (this._state === TcpState.SynReceived) {
      if (seqLt(this.sndUna, ack) && seqLe(ack, this.sndMax)) {
        this.sndWnd = seg.window << this.sndWndShift;
        this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
        this.sndWl1 = seg.seq;
        this.sndWl2 = ack;
        this.establish(now);
      } else {
        this.drop('ack-unacceptable');
        this.queueControl(resetWithSeq(seg, ack)); // <SEQ=SEG.ACK><CTL=RST>
        return;
      }
    }
    // RFC 5961 5 (MAY-12, adopted as MUST for stacks implementing 5961):
    // SND.UNA - MAX.SND.WND =< SEG.ACK =< SND.NXT, else ACK and drop.
    if (seqGt(ack, this.sndMax)) {
      this.drop('ack-unsent');
      this.challengeAck(now);
      return;
    }
    if (seqLt(ack, seqAdd(this.sndUna, -this.maxSndWnd))) {
      this.drop('ack-unacceptable');
      this.challengeAck(now);
      return;
    }
    if (this.ecnEchoOk) {
      // RFC 3168 6.1.3: CWR from the sender ends our ECN-Echo; a CE mark (on this very segment
      // too) starts it again, and is answered at once so the sender hears of it within an RTT.
      if (f & CWR) this.ecnEcho = false;
      if (meta?.ce === true) {
        this.counters.ceIn++;
        if (!this.ecnEcho) this.ackNow = true;
        this.ecnEcho = true;
      }
    }
    this.processAck(now, seg, ack, ts);
    if (this._state === TcpState.Closed) return;
    const stAfterAck = this._state as TcpState;
    if (stAfterAck === TcpState.Closing && !this.finAcked()) {
      // "otherwise, ignore the segment"
      this.drop('closing-not-fin-ack');
      return;
    }

    this.processUrgText(now, seg, seq, dataStart, dataEnd, fin);
  }

  /** Steps six to eight (URG, text, FIN) on the trimmed segment [dataStart, dataEnd) at `seq`. */
  private processUrgText(now: number, seg: TcpRepr, seq: number, dataStart: number, dataEnd: number, fin: boolean): void {
    const st = this._state;
    const open = st === TcpState.Established || st === TcpState.FinWait1 || st === TcpState.FinWait2;
    // Sixth, the URG bit (MUST-30..33; in CLOSE-WAIT and later: ignore).
    if (seg.flags & URG && open) {
      const up = seqAdd(seg.seq, seg.urgentPointer); // MUST-62: points just past the urgent data
      if (this.rcvUp === undefined || seqGt(up, this.rcvUp)) {
        this.rcvUp = up;
        if (seqGt(up, this.readSeq) && !this.urgentQueued) {
          // MUST-32: tell the application whenever the urgent pointer advances (one event pending at
          // a time; `urgentPending` always has the current amount, MUST-33).
          this.urgentQueued = true;
          this.emit({ type: 'urgent', pending: seqDiff(up, this.readSeq) });
        }
      }
    }
    // Seventh, the segment text.
    const n = dataEnd - dataStart;
    if (n > 0) {
      if (!open || this.peerFin) {
        this.drop('data-after-fin'); // "This should not occur ... Ignore the segment text."
      } else if (this.readClosed) {
        // SHLD-3: the application closed for reading; new data is lost: say so with a RST.
        this.rstToSend = this.sndMax;
        this.terminate({ kind: 'reset', reason: 'data-after-close' });
        return;
      } else {
        this.receiveText(now, seg.payload, seq, dataStart, dataEnd, fin);
        return;
      }
    }
    // Eighth, the FIN bit.
    if (fin) this.receiveFin(now, seq);
  }

  private receiveText(now: number, payload: Uint8Array, seq: number, start: number, end: number, fin: boolean): void {
    const off = seqDiff(seq, this.rcvNxt);
    // Defensive: the window invariant keeps acceptable text inside the ring; never write past it.
    const room = this.rcvBuf.capacity - this.rcvBuf.length - off;
    if (end - start > room) {
      end = start + Math.max(0, room);
      fin = false;
    }
    const n = end - start;
    if (n <= 0) return;
    if (off > 0) {
      // Out of order: hold it (SHLD-31) in the ring, in place; acknowledge at once (RFC 5681 4.2).
      const s = this.rcvOff + off;
      if (this.ooo === NO_RANGES) this.ooo = new RangeSet(this.config.maxOutOfOrderRanges);
      if (this.ooo.covers(s, s + n)) this.noteDuplicate(seq, seqAdd(seq, n)); // RFC 2883 4.1.2
      if (!this.ooo.add(s, s + n)) {
        this.drop('ooo-full');
      } else {
        this.rcvBuf.writeAt(this.rcvBuf.length + off, payload, start, end);
        if (fin) this.pendingFinSeq = seqAdd(seq, n);
      }
      this.ackNow = true;
      this.ackEach = true;
      return;
    }
    // In order.
    this.rcvBuf.writeAt(this.rcvBuf.length, payload, start, end);
    this.rcvBuf.commit(n);
    this.rcvOff += n;
    this.rcvNxt = seqAdd(this.rcvNxt, n);
    this.rcvUnacked += n;
    let filled = false;
    if (this.ooo.count > 0) {
      const front = this.ooo.advance(this.rcvOff);
      if (this.ooo.count === 0) this.ooo = NO_RANGES; // idle connections keep no queue
      if (front > this.rcvOff) {
        const extra = front - this.rcvOff;
        this.rcvBuf.commit(extra);
        this.rcvOff = front;
        this.rcvNxt = seqAdd(this.rcvNxt, extra);
        this.rcvUnacked += extra;
      }
      filled = true;
      this.ackEach = true;
    }
    if (!this.readableQueued) {
      this.readableQueued = true;
      this.emit({ type: 'readable' });
    }
    if (fin) this.pendingFinSeq = this.rcvNxt;
    if (this.pendingFinSeq !== undefined) {
      if (this.pendingFinSeq === this.rcvNxt) {
        this.receiveFin(now, this.rcvNxt);
        return;
      }
      if (seqLt(this.pendingFinSeq, this.rcvNxt)) this.pendingFinSeq = undefined; // inconsistent peer
    }
    // Delayed ACK (SHLD-18, MUST-40); at least every second full-sized segment (SHLD-19);
    // at once when a gap was (partly) filled or out-of-order data remains (RFC 5681 4.2), and when
    // less than a full segment of window is left (the sender is blocked on our ACK; delaying it
    // would only stall the flow).
    const windowLeft = seqDiff(this.rcvAdvEdge, this.rcvNxt);
    if (
      filled ||
      this.ooo.count > 0 ||
      this.config.delayedAck === 0 ||
      this.rcvUnacked >= 2 * this.rcvFullSegment() ||
      windowLeft < this.rcvFullSegment()
    ) {
      this.ackNow = true;
    } else if (this.tDelayedAck === NEVER) {
      this.tDelayedAck = now + this.config.delayedAck;
    }
  }

  private receiveFin(now: number, finSeq: number): void {
    if (finSeq !== this.rcvNxt) {
      this.pendingFinSeq = finSeq; // beyond a gap: held until the gap fills
      this.ackNow = true;
      return;
    }
    this.pendingFinSeq = undefined;
    const st = this._state;
    if (!this.peerFin) {
      // Advance RCV.NXT over the FIN and acknowledge it; signal "connection closing". The FIN
      // takes no buffer space, so the right edge moves with it and the window stays the same.
      this.rcvNxt = seqAdd(this.rcvNxt, 1);
      this.rcvAdvEdge = seqAdd(this.rcvAdvEdge, 1);
      this.peerFin = true;
      if (!this.peerClosedSignalled) {
        this.peerClosedSignalled = true;
        this.emit({ type: 'peer-closed' });
      }
    }
    this.ackNow = true;
    switch (st) {
      case TcpState.SynReceived:
      case TcpState.Established:
        this._state = TcpState.CloseWait;
        break;
      case TcpState.FinWait1:
        if (this.finAcked()) this.enterTimeWait(now);
        else this._state = TcpState.Closing;
        break;
      case TcpState.FinWait2:
        this.enterTimeWait(now);
        break;
      case TcpState.TimeWait:
        this.enterTimeWait(now);
        break;
      default:
        break; // CLOSE-WAIT, CLOSING, LAST-ACK: remain
    }
  }

  private enterTimeWait(now: number): void {
    this._state = TcpState.TimeWait;
    // Start (or restart) the 2 MSL timer (MUST-13); turn off the other timers.
    this.tRetransmit = NEVER;
    this.tPersist = NEVER;
    this.tKeepalive = NEVER;
    this.tDelayedAck = NEVER;
    this.tFinWait2 = NEVER;
    this.tSws = NEVER;
    this.tRack = NEVER;
    this.tPto = NEVER;
    this.tTimeWait = now + 2 * this.config.msl;
  }

  private rstReceived(): void {
    switch (this._state) {
      case TcpState.SynReceived:
        if (this.passive) this.returnToListen();
        else this.terminate({ kind: 'reset', reason: 'refused' });
        return;
      case TcpState.TimeWait:
        this.terminate({ kind: 'closed' });
        return;
      default:
        // ESTABLISHED, FIN-WAIT-1/2, CLOSE-WAIT: "connection reset"; CLOSING, LAST-ACK: CLOSED,
        // and the application learns it was an abort (MUST-12).
        this.terminate({ kind: 'reset', reason: 'reset' });
    }
  }

  /** 3.10.7.4: a passive connection in SYN-RECEIVED returns to LISTEN. */
  private returnToListen(): void {
    this.initTcb(this.lastRecvAt);
    this._remotePort = 0;
    this._state = TcpState.Listen;
    this.emit({ type: 'returned-to-listen' });
  }

  private challengeAck(now: number): void {
    // RFC 5961 7: throttle challenge ACKs.
    if (now - this.challengeStart >= this.config.challengeAckInterval) {
      this.challengeStart = now;
      this.challengeCount = 0;
    }
    if (this.challengeCount < this.config.challengeAckLimit) {
      this.challengeCount++;
      this.counters.challengeAcks++;
      this.ackNow = true;
    } else {
      this.counters.challengeAcksSuppressed++;
    }
  }

  private finAcked(): boolean {
    return this.finQueued && seqGt(this.sndUna, this.finSeq);
  }

  /** SND.UNA moves to `ack` (already validated to be in (SND.UNA, SND.MAX]). */
  private ackAdvance(now: number, seg: TcpRepr, ack: number, ts: SegTimestamps | undefined): number {
    const acked = seqDiff(ack, this.sndUna);
    const dataAcked = Math.max(0, Math.min(seqDiff(ack, this.sndBufSeq), this.sndBuf.length));
    if (dataAcked > 0) {
      this.sndBuf.consume(dataAcked);
      this.sndBufSeq = seqAdd(this.sndBufSeq, dataAcked);
    }
    this.sndUna = ack;
    if (seqLt(this.sndNxt, ack)) this.sndNxt = ack;
    this.retransmits = 0;
    this.progressAt = now;
    const board = this.sb;
    if (board !== undefined) {
      board.advance(ack);
      if (board.clean) this.sb = undefined; // nothing SACKed, lost or retransmitted is left
    }
    this.rack?.advance(ack);
    // RTT (RFC 6298 with Karn's rule; RFC 7323 4 with timestamps).
    let sampled = false;
    if (this.tsEnabled) {
      // An echo older than our first retransmission of this loss episode comes from an ACK that the
      // retransmission triggered for data that had arrived before (the first ACK was lost, or the
      // retransmission was spurious): it times the RTO wait, not the path (the ambiguity RFC 3522
      // uses to detect spurious retransmissions). Karn's rule, applied to timestamps: no sample.
      const stale = ts !== undefined && this.rxtTsval !== undefined && seqLt(ts.tsecr, this.rxtTsval);
      if (ts && ts.tsecr !== 0 && !stale) {
        const r = seqDiff(this.tsNow(now), ts.tsecr);
        if (r >= 0) {
          this.rttSample(r);
          sampled = true;
        }
      }
    }
    if (this.rttSeq !== undefined && seqGe(ack, this.rttSeq)) {
      if (!sampled) this.rttSample(now - this.rttStart);
      this.rttSeq = undefined;
    }
    if (this.rxtTsval !== undefined && seqGe(ack, this.rxtEpisodeEnd)) this.rxtTsval = undefined;
    if (this.sndUp !== undefined && seqGe(this.sndUna, this.sndUp)) this.sndUp = undefined;
    if (this.wantWritable && this.sndBuf.free >= Math.max(1, this.sndBuf.capacity >> 2)) {
      this.wantWritable = false;
      if (!this.writableQueued) {
        this.writableQueued = true;
        this.emit({ type: 'writable' });
      }
    }
    return acked;
  }

  private rttSample(r: number): void {
    this.rtt.sample(r);
    if (this.minRtt === undefined || r < this.minRtt) this.minRtt = r;
  }

  /** The congestion controller's context, refreshed (one shared object: controllers never keep it). */
  private ccContext(now: number, flightSize: number): CongestionContext {
    const c = CC_CTX;
    c.mss = this.effMssBase;
    c.flightSize = flightSize;
    c.now = now;
    c.srtt = this.rtt.srtt;
    c.minRtt = this.minRtt;
    c.sack = this.sackEnabled;
    c.timeouts = this.retransmits;
    c.cwndLimited = true;
    return c;
  }

  /** The scoreboard, created when first needed (SACK information or a loss). */
  private board(): Scoreboard {
    let b = this.sb;
    if (b === undefined) {
      b = new Scoreboard();
      b.reset(this.sndUna);
      b.setMss(this.effMssBase);
      this.sb = b;
    }
    return b;
  }

  /** RFC 6675 Update(): record an ACK's SACK blocks; returns the octets newly SACKed. */
  private sackUpdate(now: number, blocks: readonly SackBlock[]): number {
    const b = this.board();
    const fresh = b.update(blocks, this.sndMax);
    if (b.dsack) {
      this.counters.dsacksIn++;
      this.ackDsack = true;
    }
    if (fresh > 0) this.rack?.delivered(now, seqAdd(b.freshEnd, -1)); // RFC 8985 6.2: newest SACKed
    if (b.clean) this.sb = undefined;
    return fresh;
  }

  /** Bytes in flight: RFC 6675 pipe (equal to FlightSize when nothing is SACKed or lost). */
  private pipe(): number {
    return this.sb === undefined ? seqDiff(this.sndMax, this.sndUna) : this.sb.pipe(this.sndMax);
  }

  private newRack(): Rack {
    const r = new Rack();
    r.reset(this.sndUna);
    return r;
  }

  /**
   * RACK loss detection (RFC 8985 6.2 steps 4-5) and its consequences: lost originals are marked
   * lost in the scoreboard, lost retransmissions are sent again, fast recovery starts (RFC 8985
   * 9.3: RACK replaces DupThresh as the trigger) and the reordering timer is armed.
   */
  private rackDetect(now: number): void {
    const rack = this.rack;
    if (rack === undefined || this.sndMax === this.sndUna) {
      this.tRack = NEVER;
      return;
    }
    const sacked = this.sb === undefined ? 0 : this.sb.sackedBytes / this.effMssBase;
    const v: RackVerdict = rack.detectLoss(now, rack.reoWnd(this.rtt.srtt, this.minRtt, this.recovery !== Recovery.None, sacked));
    this.tRack = v.timerAt ?? NEVER;
    let lost = false;
    if (v.origLostEnd !== undefined && seqGt(v.origLostEnd, this.sndUna)) {
      const b = this.board();
      b.markLost(v.origLostEnd);
      lost = b.isLost(this.sndUna);
    }
    if (v.rxtLostEnd !== undefined && seqGt(v.rxtLostEnd, this.sndUna) && this.sb !== undefined) {
      // Retransmissions sent before the newest delivered segment, and long enough ago, were lost.
      this.sb.retransmitAgain(v.rxtLostEnd);
      rack.startPass();
      this.counters.lostRetransmissions++;
      lost = true;
    }
    if (lost && this.recovery === Recovery.None && seqGe(this.sndUna, this.recover)) {
      this.enterRecovery(now, seqDiff(this.sndMax, this.sndUna));
      this.tlpEndSeq = undefined; // RFC 8985 7: recovery ends the TLP episode
    }
  }

  /**
   * An ECN-Echo (RFC 3168 6.1.2): congestion without loss. The window is reduced as for a loss, at
   * most once per window of data (not again before everything sent at the last reduction is
   * acknowledged, nor during loss recovery, which already reduced it), and the next new data
   * segment carries CWR.
   */
  private ecnEchoed(now: number, flightSize: number): void {
    // (The ACK of exactly ecnRecover may still carry ECE: the receiver has not yet seen the CWR
    // segment, which starts there. Linux likewise holds until something above it is acknowledged.)
    if (this.recovery !== Recovery.None || this.ecnHold) return;
    const ctx = this.ccContext(now, flightSize);
    if (this.cc.onCongestionSignal !== undefined) this.cc.onCongestionSignal(ctx);
    else this.cc.onEnterRecovery({ ...ctx, sack: true });
    this.counters.ecnReductions++;
    this.windowReduced();
  }

  /** Any reduction of the window (ECN-Echo, fast retransmit, timeout): CWR on the next new data (6.1.2). */
  private windowReduced(): void {
    if (!this.ecnOk) return;
    this.ecnCwrPending = true;
    this.ecnRecover = this.sndMax;
    this.ecnHold = true;
  }

  /** RFC 8985 7.2: may a probe timeout be scheduled now? */
  private tlpAllowed(): boolean {
    const st = this._state;
    return (
      this.rack !== undefined &&
      this.recovery === Recovery.None &&
      this.sndMax !== this.sndUna &&
      this.tlpEndSeq === undefined &&
      this.sndWnd > 0 &&
      (this.sb === undefined || this.sb.sackedBytes === 0) &&
      (st === TcpState.Established || st === TcpState.CloseWait || st === TcpState.FinWait1 || st === TcpState.Closing || st === TcpState.LastAck)
    );
  }

  /**
   * RFC 8985 7.2 TLP_calc_PTO: 2 SRTT, plus the peer's worst-case delayed ACK when only one segment
   * is in flight (its ACK may be delayed), 1 s without an RTT sample; never later than the RTO.
   */
  private armPto(now: number): void {
    if (!this.tlpAllowed()) {
      this.tPto = NEVER;
      return;
    }
    const srtt = this.rtt.srtt;
    // A floor (Linux adds TCP_TIMEOUT_MIN, 2 ms): with an RTT near zero (a host-local or virtual
    // zero-delay path) 2 SRTT would expire at the very instant the flight left, before its ACK can
    // be processed, and every flight would carry a spurious probe.
    let pto = srtt === undefined ? 1000 : Math.max(2 * srtt, TLP_MIN_PTO);
    if (srtt !== undefined && seqDiff(this.sndMax, this.sndUna) <= this.effMssBase) pto += TLP_MAX_ACK_DELAY;
    this.tPto = Math.min(now + pto, this.tRetransmit);
  }

  /**
   * RFC 8985 7.3: the tail loss probe - one new segment if the peer's window allows (whatever
   * cwnd says), else the last segment sent again. The RTO is armed afresh behind it.
   */
  private tlpProbe(now: number, opts: readonly TcpOption[], mss: number): TcpRepr | undefined {
    const off = seqDiff(this.sndNxt, this.sndBufSeq);
    const queued = off >= 0 ? this.sndBuf.length - off : 0;
    const usable = seqDiff(seqAdd(this.sndUna, this.sndWnd), this.sndNxt);
    let seg: TcpRepr | undefined;
    let retrans = false;
    if (queued > 0 && usable > 0) {
      const len = Math.min(queued, mss, usable);
      const fin = this.finQueued && seqLe(this.sndNxt, this.finSeq) && len === queued && usable > len;
      seg = this.dataSegment(now, this.sndNxt, len, fin, opts, false);
    } else {
      const start = seqDiff(this.sndMax, this.sndUna) > mss ? seqAdd(this.sndMax, -mss) : this.sndUna;
      seg = this.holeSegment(now, opts, start, this.sndMax, mss);
      retrans = true;
    }
    if (seg === undefined) return undefined;
    this.counters.tailLossProbes++;
    this.tlpEndSeq = this.sndMax;
    this.tlpIsRetrans = retrans;
    this.tRetransmit = now + this.rtt.rto;
    this.tPto = NEVER;
    return seg;
  }

  /** Fast retransmit and fast recovery (RFC 5681 3.2 steps 2-3, RFC 6582 3.2 step 2, RFC 6675 5 step 4). */
  private enterRecovery(now: number, flightSize: number): void {
    this.recovery = this.sackEnabled ? Recovery.Sack : Recovery.NewReno;
    this.recover = this.sndMax; // RecoveryPoint = HighData (RFC 6675 4.1), recover (RFC 6582)
    this.rescueRxt = undefined;
    this.cc.onEnterRecovery(this.ccContext(now, flightSize)); // ssthresh from FlightSize, equation 4
    this.windowReduced();
    this.declareFrontLost();
    this.counters.fastRetransmits++;
  }

  /**
   * The segment at SND.UNA is lost: it goes next, whatever the window (RFC 5681 3.2 step 2, RFC 6582
   * 3.2 step 3, RFC 6675 4.3), and retransmission restarts there (HighRxt = HighACK, RFC 6675 3.1).
   */
  private declareFrontLost(): void {
    const b = this.board();
    b.markLost(seqAdd(this.sndUna, Math.min(this.effMssBase, seqDiff(this.sndMax, this.sndUna))));
    b.restartRetransmission();
    this.rack?.startPass();
    this.fastRetransmitNow = true;
  }

  /** Everything outstanding is lost (a timeout, a reopened window, a smaller path MTU): resend it, holes first. */
  private declareAllLost(): void {
    const b = this.board();
    b.markLost(this.sndMax);
    b.restartRetransmission();
    this.rack?.startPass();
  }

  /** Fifth step, the per-state ACK processing of the synchronized states. */
  private processAck(now: number, seg: TcpRepr, ack: number, ts: SegTimestamps | undefined): void {
    const wasFinAcked = this.finAcked();
    const outstanding = seqDiff(this.sndMax, this.sndUna);
    const segWnd = seg.window << this.sndWndShift;
    this.probesOut = 0; // the peer answers: zero-window probing may go on (MUST-37)
    this.ackDsack = false;
    let dup = false;
    let recoveryEnded = false;
    if (outstanding === 0) {
      // Nothing in flight (the receiving end of a bulk transfer): no new ACK, no duplicate.
    } else if (seqGt(ack, this.sndUna)) {
      // RACK (RFC 8985 6.2): the newest octet this ACK delivers cumulatively, before SND.UNA moves.
      if (this.rack !== undefined) {
        const rep = this.sb === undefined ? seqAdd(ack, -1) : this.sb.highestUnsackedBelow(ack);
        if (rep !== undefined) this.rack.delivered(now, rep);
      }
      const pipeBefore = this.sackEnabled ? this.pipe() : outstanding;
      // RFC 7661 2: was the sender using its window? (In slow start, half of it will do.)
      const cwnd = this.cc.cwnd;
      const cwndLimited = this.cwndLimited || pipeBefore + this.effMssBase > cwnd || (cwnd < this.cc.ssthresh && 2 * pipeBefore >= cwnd);
      // RFC 7661 2 / Linux tcp_is_cwnd_limited: the verdict holds for the window of data sent
      // while the window was the limit, not for one ACK: when several ACKs are taken before the
      // sender sends again (a batch, a round's ACKs arriving together), the later ones see a
      // small pipe, but the sender was still using its window.
      if (seqGe(ack, this.cwndLimitSeq)) this.cwndLimited = false;
      const blocks = this.sackEnabled ? findSackBlocks(seg.options) : NO_BLOCKS;
      const acked = this.ackAdvance(now, seg, ack, ts);
      const newlySacked = blocks.length > 0 ? this.sackUpdate(now, blocks) : 0;
      this.dupAcks = 0;
      // RFC 6675 5: a cumulative ACK that SACKs new data is also a duplicate ACK.
      dup = newlySacked > 0;
      if (this.recovery !== Recovery.None) {
        if (seqGe(ack, this.recover)) {
          // Full ACK: recovery ends (RFC 6582 3.2 step 3, RFC 6675 5 (A)).
          this.recovery = Recovery.None;
          recoveryEnded = true;
          this.rescueRxt = undefined;
          this.cc.onExitRecovery(this.ccContext(now, seqDiff(this.sndMax, this.sndUna)));
        } else if (this.recovery === Recovery.NewReno) {
          // NewReno partial ACK (RFC 6582 3.2 step 3): retransmit the first unacknowledged segment,
          // deflate the window.
          this.cc.onPartialAck(acked, this.ccContext(now, outstanding));
          this.declareFrontLost();
        }
        // SACK recovery (RFC 6675 5 (B)): the scoreboard and pipe decide what goes next.
      } else if (!(this.ecnOk && seg.flags & ECE)) {
        // (An ECN-Echo ACK never grows the window, RFC 3168 6.1.2.)
        this.ccContext(now, pipeBefore);
        CC_CTX.cwndLimited = cwndLimited;
        this.cc.onAck(acked, CC_CTX);
      }
      // RFC 6298 5.2 / 5.3: stop the timer when all is acknowledged, else restart it.
      this.tRetransmit = this.sndUna === this.sndMax ? NEVER : now + this.rtt.rto;
    } else if (ack === this.sndUna) {
      const blocks = this.sackEnabled ? findSackBlocks(seg.options) : NO_BLOCKS;
      const newlySacked = blocks.length > 0 ? this.sackUpdate(now, blocks) : 0;
      // RFC 5681 2: a duplicate ACK carries no data, no SYN or FIN, the same window (not a zero
      // window: answers to zero-window probes are not duplicate ACKs).
      const classic = seg.payload.length === 0 && !(seg.flags & (SYN | FIN)) && segWnd === this.sndWnd && segWnd !== 0;
      // With SACK (RFC 6675 2) an ACK is a duplicate when it SACKs new data; one without any SACK
      // option from a peer that negotiated SACK is counted the classic way. A D-SACK that reports
      // only duplicates (RFC 2883) SACKs nothing new and is not a duplicate ACK.
      dup = this.sackEnabled ? newlySacked > 0 || (classic && blocks.length === 0) : classic;
    }
    if (this.ecnHold && seqGt(this.sndUna, this.ecnRecover)) this.ecnHold = false;
    if (this.ecnOk && seg.flags & ECE && !(seg.flags & SYN)) this.ecnEchoed(now, outstanding);
    if (dup) {
      this.counters.dupAcksIn++;
      this.dupAcks++;
      if (this.recovery === Recovery.None) {
        // Enter recovery at DupThresh duplicates, or when SACK shows SND.UNA lost (RFC 6675 5
        // steps 1-2); not before the previous recovery point is passed (RFC 6582 3.2 step 2:
        // "covers more than recover"; RFC 6675 5.1 after a timeout).
        const sackLoss = this.sackEnabled && this.sb !== undefined && this.sb.isLost(this.sndUna);
        const fresh = this.sackEnabled ? seqGe(this.sndUna, this.recover) : seqGt(this.sndUna, this.recover);
        if ((this.dupAcks >= DUP_THRESH || sackLoss) && fresh) this.enterRecovery(now, outstanding);
        // Otherwise limited transmit (RFC 3042) may send new data: see nextDataSegment().
      } else if (this.recovery === Recovery.NewReno && this.dupAcks > DUP_THRESH) {
        this.cc.onDupAckInRecovery(this.ccContext(now, outstanding)); // RFC 5681 3.2 step 4
      }
    }
    if (this.tlpEndSeq !== undefined && seqGe(this.sndUna, this.tlpEndSeq)) {
      // RFC 8985 7.4: the TLP episode ends. A retransmitted probe acknowledged without a D-SACK
      // repaired a real loss: that loss gets its congestion response (once; not in recovery).
      if (this.tlpIsRetrans && !this.ackDsack && this.recovery === Recovery.None) {
        const c = this.ccContext(now, outstanding);
        this.cc.onEnterRecovery(c);
        this.cc.onExitRecovery(this.ccContext(now, seqDiff(this.sndMax, this.sndUna)));
      }
      this.tlpEndSeq = undefined;
    }
    if (this.rack !== undefined && outstanding > 0) {
      this.rack.updateReoWnd(this.sndUna, this.sndMax, this.ackDsack, recoveryEnded);
      this.rackDetect(now);
    }
    // Window update (SND.UNA =< SEG.ACK =< SND.NXT, and not older than the last update).
    if (seqLe(this.sndUna, ack) && (seqLt(this.sndWl1, seg.seq) || (this.sndWl1 === seg.seq && seqLe(this.sndWl2, ack)))) {
      // The window reopens after probing: the probe octets were beyond the old window and are
      // most likely gone; send again from SND.UNA.
      if (this.sndWnd === 0 && segWnd > 0 && this.tPersist !== NEVER) this.declareAllLost();
      this.sndWnd = segWnd;
      this.sndWl1 = seg.seq;
      this.sndWl2 = ack;
      if (segWnd > this.maxSndWnd) this.maxSndWnd = segWnd;
    }
    // A peer that answers our zero-window probes is alive: the user timeout counts from its last
    // answer (MUST-37; as Linux does for TCP_USER_TIMEOUT since 5.1).
    if (this.sndWnd === 0) this.progressAt = now;
    this.updateSendTimers(now);
    this.armPto(now);

    const finNowAcked = !wasFinAcked && this.finAcked();
    if (finNowAcked) this.emit({ type: 'fin-acked' });
    switch (this._state) {
      case TcpState.FinWait1:
        if (this.finAcked()) {
          this._state = TcpState.FinWait2;
          if (this.readClosed) this.tFinWait2 = now + this.config.finWait2Timeout;
        }
        break;
      case TcpState.Closing:
        if (this.finAcked()) this.enterTimeWait(now);
        break;
      case TcpState.LastAck:
        if (this.finAcked()) this.terminate({ kind: 'closed' });
        break;
      default:
        break;
    }
  }

  // ------------------------------------------------------------------------------------------
  // ICMP (3.9.2.2)
  // ------------------------------------------------------------------------------------------

  /**
   * An ICMP error quoting one of our segments (MUST-54). Source quench is discarded (MUST-55);
   * net/host/source-route unreachable, time exceeded and parameter problem are soft errors,
   * reported but never fatal (SHLD-25, MUST-56); protocol and port unreachable abort (SHLD-26);
   * packet too big lowers the effective MSS and resends (RFC 1191). Notices whose quoted sequence
   * number is not outstanding are ignored (RFC 5927 4.1).
   */
  handleIcmp(_now: number, notice: IcmpNotice): void {
    const st = this._state;
    if (st === TcpState.Closed || st === TcpState.Listen || st === TcpState.TimeWait) return;
    const outstanding = seqLe(this.sndUna, notice.seq) && seqLt(notice.seq, this.sndMax);
    if (!outstanding) {
      this.drop('icmp-ignored');
      return;
    }
    switch (notice.kind) {
      case 'source-quench':
        return;
      case 'packet-too-big': {
        const minMtu = this.config.ipVersion === 6 ? 1280 : 68;
        const mtu = Math.max(minMtu, Math.floor(notice.mtu));
        const ipHdr = this.config.ipVersion === 6 ? 40 : 20;
        const eff = Math.max(1, Math.min(this.effMssBase, mtu - ipHdr - 20 - this.config.ipOptionsSize));
        if (eff < this.effMssBase) {
          this.effMssBase = eff;
          this.sb?.setMss(eff);
          this.declareAllLost(); // resend what was too big, in smaller segments
          this.rttSeq = undefined;
        }
        return;
      }
      case 'unreachable':
        if (notice.code === 2 || notice.code === 3) {
          this.terminate({ kind: 'reset', reason: 'icmp-unreachable' });
          return;
        }
        this.emit({ type: 'icmp-error', notice });
        return;
      default:
        this.emit({ type: 'icmp-error', notice });
    }
  }

  // ------------------------------------------------------------------------------------------
  // Timers (3.10.8)
  // ------------------------------------------------------------------------------------------

  /** The next deadline, or undefined when no timer is armed. */
  pollAt(): number | undefined {
    const t = Math.min(
      this.tRetransmit,
      this.tPersist,
      this.tDelayedAck,
      this.tKeepalive,
      this.tTimeWait,
      this.tFinWait2,
      this.tSws,
      this.tRack,
      this.tPto,
      this.userDeadline(),
    );
    return t === NEVER ? undefined : t;
  }

  private userDeadline(): number {
    const st = this._state;
    if (st === TcpState.Closed || st === TcpState.Listen || st === TcpState.TimeWait) return NEVER;
    const waiting = this.sndMax !== this.sndUna || (this.tPersist !== NEVER);
    return waiting ? this.progressAt + this.userTimeout : NEVER;
  }

  handleTimeout(now: number): void {
    if (this._state === TcpState.Closed || this._state === TcpState.Listen) return;
    if (this.tTimeWait <= now) {
      // TIME-WAIT TIMEOUT: delete the TCB.
      this.terminate({ kind: 'closed' });
      return;
    }
    if (this.userDeadline() <= now) {
      // USER TIMEOUT: flush, signal, CLOSED.
      this.terminate({ kind: 'timed-out', reason: 'user-timeout' });
      return;
    }
    if (this.tFinWait2 <= now) {
      this.terminate({ kind: 'timed-out', reason: 'fin-wait-2' });
      return;
    }
    if (this.tRetransmit <= now) {
      this.tRetransmit = NEVER;
      this.onRetransmitTimeout(now);
      if (this.isClosed) return;
    }
    if (this.tPersist <= now) {
      this.tPersist = NEVER;
      this.onPersistTimeout(now);
      if (this.isClosed) return;
    }
    if (this.tKeepalive <= now) {
      this.tKeepalive = NEVER;
      this.onKeepaliveTimeout(now);
      if (this.isClosed) return;
    }
    if (this.tDelayedAck <= now) {
      this.tDelayedAck = NEVER;
      this.ackNow = true;
    }
    if (this.tSws <= now) {
      this.tSws = NEVER;
      this.swsOverrideNow = true;
    }
    if (this.tRack <= now) {
      // RACK reordering timer (RFC 8985 6.2 step 5): look again now that more time has passed.
      this.tRack = NEVER;
      this.rackDetect(now);
    }
    if (this.tPto <= now) {
      this.tPto = NEVER;
      // RFC 8985 7.3: the probe timeout fired with no ACK since: send a tail loss probe.
      if (this.tlpAllowed()) this.tlpNow = true;
    }
  }

  /** RETRANSMISSION TIMEOUT: resend from SND.UNA, back off (RFC 6298 5.4-5.6), give up at R2. */
  private onRetransmitTimeout(now: number): void {
    if (this.sndMax === this.sndUna) return;
    const st = this._state;
    const handshake = st === TcpState.SynSent || st === TcpState.SynReceived;
    if (!handshake && this.sndWnd === 0) {
      // The window closed with data in flight: probe it, do not time out data beyond the right
      // edge (SHLD-17).
      this.onPersistTimeout(now);
      return;
    }
    this.retransmits++;
    const limit = handshake ? this.config.maxSynRetries : this.maxRetransmits;
    if (this.retransmits > limit) {
      // MUST-20 (c): close the connection after R2.
      this.terminate({ kind: 'timed-out', reason: handshake ? 'syn' : 'retransmit' });
      return;
    }
    if (this.retransmits === this.config.retransmitAdvice) {
      // MUST-20 (b), SHLD-9: negative advice / tell the application.
      this.emit({ type: 'retransmitting', count: this.retransmits });
    }
    this.counters.timeouts++;
    if (handshake) this.synRetransmitted = true;
    this.cc.onTimeout(this.ccContext(now, seqDiff(this.sndMax, this.sndUna)));
    if (!handshake) this.windowReduced();
    this.rtt.backoff();
    // RFC 6675 5.1: a timeout ends SACK recovery; RecoveryPoint = HighData, and no new recovery
    // starts before it is acknowledged (RFC 6582 3.2 step 4 for NewReno).
    this.recovery = Recovery.None;
    this.rescueRxt = undefined;
    this.recover = this.sndMax;
    this.dupAcks = 0;
    this.rttSeq = undefined; // Karn: never time a retransmitted segment
    this.tlpEndSeq = undefined; // RFC 8985 7.1: a timeout ends any TLP episode
    this.tlpNow = false;
    this.tPto = NEVER;
    this.tRack = NEVER;
    if (handshake) {
      this.sndNxt = this.sndUna;
    } else {
      // The SACK information is kept (RFC 6675 5.1), so what the peer holds is not sent again;
      // unless the octet at SND.UNA is SACKed without being acknowledged: the receiver reneged
      // (RFC 2018 8) and its SACKs cannot be trusted.
      if (this.sb?.isSacked(this.sndUna)) this.sb = undefined;
      this.declareAllLost();
    }
    this.tRetransmit = now + this.rtt.rto;
  }

  /** Zero-window probe (3.8.6.1, MUST-36, SHLD-29, SHLD-30). */
  private onPersistTimeout(now: number): void {
    if (!isSynchronized(this._state) || this.sndWnd !== 0 || !(this.hasUnsent() || this.sndMax !== this.sndUna)) return;
    this.probesOut++;
    if (this.probesOut > this.maxRetransmits) {
      // The peer stopped answering probes; a window held at zero by a live peer never gets here (MUST-37).
      this.terminate({ kind: 'timed-out', reason: 'zero-window-probe' });
      return;
    }
    this.probeNow = true;
    this.persistInterval = Math.min(this.config.maxRto, Math.max(this.persistInterval, this.rtt.rto) * 2);
    this.tPersist = now + this.persistInterval;
    this.tRetransmit = NEVER;
  }

  private onKeepaliveTimeout(now: number): void {
    if (!this.keepAliveEligible()) return;
    if (this.sndMax !== this.sndUna || this.hasUnsent()) {
      // MUST-26: only when no sent data is outstanding.
      this.tKeepalive = now + this.keepAliveIdle;
      return;
    }
    if (this.kaProbes >= this.config.keepAliveCount) {
      this.terminate({ kind: 'timed-out', reason: 'keepalive' });
      return;
    }
    this.kaProbes++;
    this.keepaliveNow = true;
    this.tKeepalive = now + this.config.keepAliveInterval;
  }

  private keepAliveEligible(): boolean {
    const st = this._state;
    return this.keepAlive && (st === TcpState.Established || st === TcpState.CloseWait || st === TcpState.FinWait2);
  }

  private armKeepalive(now: number): void {
    this.tKeepalive = this.keepAliveEligible() ? now + (this.kaProbes > 0 ? this.config.keepAliveInterval : this.keepAliveIdle) : NEVER;
  }

  /** Retransmission vs persist timer, after anything that changed what is outstanding or the window. */
  private updateSendTimers(now: number): void {
    const st = this._state;
    if (!isSynchronized(st) || st === TcpState.TimeWait) return;
    const outstanding = this.sndMax !== this.sndUna;
    if (this.sndWnd === 0 && (outstanding || this.hasUnsent())) {
      this.tRetransmit = NEVER;
      if (this.tPersist === NEVER) {
        if (!outstanding) this.progressAt = now;
        this.persistInterval = this.rtt.rto;
        this.tPersist = now + this.persistInterval; // SHLD-29: first probe after one RTO
      }
      return;
    }
    this.tPersist = NEVER;
    if (!outstanding) this.tRetransmit = NEVER;
    else if (this.tRetransmit === NEVER) this.tRetransmit = now + this.rtt.rto;
  }

  // ------------------------------------------------------------------------------------------
  // Output
  // ------------------------------------------------------------------------------------------

  /**
   * The next segment to send, or undefined. Call until undefined after every input. The payload is
   * a view of the send buffer, not a copy: emit (or copy) the segment before the next call into this
   * connection, which may reuse that memory once the data is acknowledged.
   */
  pollTransmit(now: number): TcpRepr | undefined {
    this.ectOut = false;
    this.gsoOut = 0;
    if (this.controlReplies.length > 0) {
      const r = this.controlReplies.shift()!;
      if (this.controlReplies.length === 0) this.controlReplies = [];
      return this.count(r);
    }
    if (this.rstToSend !== undefined) {
      const seq = this.rstToSend;
      this.rstToSend = undefined;
      return this.count(this.segment(now, seq, RST, EMPTY, false));
    }
    const st = this._state;
    if (st === TcpState.Closed || st === TcpState.Listen) return undefined;

    // SYN or SYN,ACK.
    if ((st === TcpState.SynSent || st === TcpState.SynReceived) && this.sndNxt === this.iss) {
      return this.count(this.sendSyn(now));
    }

    const data = this.nextDataSegment(now);
    if (data) return this.count(data);

    if (this.keepaliveNow) {
      this.keepaliveNow = false;
      if (isSynchronized(st)) {
        // SEG.SEQ = SND.NXT - 1, no data (SHLD-12): elicits an ACK.
        return this.count(this.segment(now, seqAdd(this.sndMax, -1), ACK, EMPTY, true));
      }
    }

    if (this.ackNow && st !== TcpState.SynSent) {
      return this.count(this.segment(now, this.sndMax, ACK, EMPTY, true));
    }

    // Nothing to send: arm what keeps us from waiting forever.
    this.updateSendTimers(now);
    this.armSwsOverride(now);
    if (this.ptoPending) {
      this.ptoPending = false;
      this.armPto(this.lastDataSentAt ?? now); // RFC 8985 7.2: from the last new data sent
    }
    return undefined;
  }

  private count(s: TcpRepr): TcpRepr {
    this.counters.segmentsOut += this.gsoOut > 0 ? Math.ceil(s.payload.length / this.gsoOut) : 1;
    this.counters.bytesOut += s.payload.length;
    return s;
  }

  private sendSyn(now: number): TcpRepr {
    const retransmit = this.sndMax !== this.iss;
    const withAck = this._state === TcpState.SynReceived;
    const opts = synOptions({
      mss: advertisedMss(this.config),
      windowScale: this.offerWindowScale,
      sackPermitted: this.config.sack && (!withAck || this.sackEnabled),
      timestamps: this.config.timestamps && (!withAck || this.tsEnabled) ? { tsval: this.tsNow(now), tsecr: withAck ? this.tsRecent : 0 } : undefined,
    });
    const win = Math.min(65535, this.rcvBuf.free); // SYN windows are never scaled (RFC 7323 2.2)
    if (withAck) {
      const edge = seqAdd(this.rcvNxt, win);
      if (seqGt(edge, this.rcvAdvEdge)) this.rcvAdvEdge = edge;
      this.lastAckSent = this.rcvNxt;
      this.ackNow = false;
    }
    const seg: TcpRepr = {
      srcPort: this._localPort,
      dstPort: this._remotePort,
      seq: this.iss,
      ack: withAck ? this.rcvNxt : 0,
      flags: withAck ? (this.ecnOk ? SYN | ACK | ECE : SYN | ACK) : this.synFlags(retransmit),
      window: win,
      urgentPointer: 0,
      options: opts,
      payload: EMPTY,
    };
    this.sndNxt = seqAdd(this.iss, 1);
    if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
    if (retransmit) this.counters.retransmissions++;
    else {
      this.rttSeq = this.sndNxt;
      this.rttStart = now;
      this.progressAt = now;
    }
    if (this.tRetransmit === NEVER) this.tRetransmit = now + this.rtt.rto;
    return seg;
  }

  /**
   * SYN, with ECE and CWR when we ask for ECN (RFC 3168 6.1.1). A retransmitted SYN goes without
   * them (6.1.1.1: a middlebox may drop ECN-setup SYNs; Linux strips them too, but keeps ECN on if
   * an ECN-setup SYN-ACK comes). Having sent a plain SYN we then send no ECT, but still echo CE.
   */
  private synFlags(retransmit: boolean): number {
    this.ecnSynSent = this.config.ecn === 'on' && !retransmit;
    if (this.ecnSynSent) this.ecnSynEverSent = true;
    return this.ecnSynSent ? SYN | ECE | CWR : SYN;
  }

  private hasUnsent(): boolean {
    const off = seqDiff(this.sndNxt, this.sndBufSeq);
    if (this.sndBuf.length - Math.max(0, off) > 0) return true;
    return this.finQueued && seqLe(this.sndNxt, this.finSeq);
  }

  /**
   * Data (and FIN) to send now, in the order of RFC 6675 NextSeg(): a forced retransmission of the
   * segment at SND.UNA (fast retransmit, NewReno partial ACK: sent whatever the window), a
   * zero-window probe, then - while cwnd - pipe leaves room - lost octets (rule 1: holes before new
   * data, SACKed octets never resent), new data within the peer's window with Nagle and sender SWS
   * avoidance (rule 2), and in SACK recovery un-SACKed octets below the highest SACK (rule 3) and
   * one rescue retransmission per recovery (rule 4).
   */
  private nextDataSegment(now: number): TcpRepr | undefined {
    const st = this._state;
    if (!(st === TcpState.Established || st === TcpState.CloseWait || st === TcpState.FinWait1 || st === TcpState.Closing || st === TcpState.LastAck)) {
      return undefined;
    }
    const opts = this.dataOptions(now);
    const mss = this.segmentDataMax(opts);
    if (this.fastRetransmitNow) {
      this.fastRetransmitNow = false;
      const s = this.retransmitHole(now, opts, mss, true);
      if (s) {
        // RFC 6675 4.3: RescueRxt starts at the end of the first retransmission.
        if (this.recovery === Recovery.Sack && this.rescueRxt === undefined) this.rescueRxt = this.board().highRxt;
        return s;
      }
    }
    if (this.probeNow) {
      this.probeNow = false;
      const s = this.retransmitFront(now, 1, opts);
      if (s) return s;
    }
    if (this.tlpNow) {
      this.tlpNow = false;
      const s = this.tlpProbe(now, opts, mss);
      if (s) return s;
    }
    const pipe = this.pipe();
    const room = this.cc.cwnd - pipe;
    // Rule 1: lost octets, when cwnd - pipe >= 1 SMSS (RFC 6675 (C)) or nothing is in flight.
    if (room >= mss || pipe === 0) {
      const s = this.retransmitHole(now, opts, mss, true);
      if (s) return s;
    }
    // Rule 2: new data. Limited transmit (RFC 3042): on the first two duplicate ACKs without SACK
    // information, up to two segments beyond cwnd (with SACK, pipe already excludes what was SACKed).
    const limited = this.recovery === Recovery.None && this.dupAcks > 0 && this.dupAcks < DUP_THRESH && (this.sb === undefined || this.sb.sackedBytes === 0);
    const s = this.newDataSegment(now, opts, mss, room + (limited ? Math.min(this.dupAcks, 2) * this.effMssBase : 0));
    if (s) return s;
    if (this.recovery === Recovery.Sack && room >= mss) {
      // Rule 3: un-SACKed octets below the highest SACKed one, not yet deemed lost.
      const r3 = this.retransmitHole(now, opts, mss, false);
      if (r3) return r3;
      // Rule 4: one rescue retransmission per recovery, of the highest un-SACKed octets, so a loss
      // at the tail of the window still gets an ACK clock (HighRxt is not updated).
      if (this.rescueRxt === undefined || seqGt(this.sndUna, this.rescueRxt)) {
        const b = this.board();
        const start = b.rescueStart(this.sndMax, mss);
        if (start !== undefined) {
          const seg = this.holeSegment(now, opts, start, b.holeEnd, mss);
          if (seg) {
            this.rescueRxt = this.recover;
            return seg;
          }
        }
      }
    }
    return undefined;
  }

  /** Rule 2: new data at SND.NXT, within the peer's window and `room`, with Nagle and SWS avoidance. */
  private newDataSegment(now: number, opts: readonly TcpOption[], mss: number, room: number): TcpRepr | undefined {
    const off = seqDiff(this.sndNxt, this.sndBufSeq);
    const queued = off >= 0 ? this.sndBuf.length - off : 0;
    const finToSend = this.finQueued && seqLe(this.sndNxt, this.finSeq);
    if (queued <= 0 && !finToSend) return undefined;
    if (this.sndMax === this.sndUna && this.lastDataSentAt !== undefined && this.config.slowStartAfterIdle && now - this.lastDataSentAt > this.rtt.rto) {
      // RFC 5681 4.1: restart from at most the initial window after an idle period over one RTO.
      this.cc.onIdleRestart?.(this.ccContext(now, 0));
      this.lastDataSentAt = now;
      room = this.cc.cwnd - this.pipe();
    }
    const usable = seqDiff(seqAdd(this.sndUna, this.sndWnd), this.sndNxt);
    let len = Math.max(0, Math.min(queued, mss, usable, room));
    if (len < Math.min(queued, mss, usable) && room < mss) {
      this.cwndLimited = true;
      this.cwndLimitSeq = this.sndMax;
    }
    const retransmission = seqLt(this.sndNxt, this.sndMax);
    if (len === mss && this.gsoSegments > 1 && !retransmission) {
      // GSO: as many whole segments as successive calls would send now (each is full-sized, so
      // Nagle and SWS avoidance pass them all), as one burst for the caller to cut; at most 64 KiB
      // (as Linux's GSO) and never across the end of the send ring's storage, so the payload is
      // a view, not a copy.
      const burst = Math.min(queued, usable, room, this.gsoSegments * mss, GSO_MAX_BYTES, this.sndBuf.contiguous(off));
      const whole = burst - (burst % mss);
      if (whole > mss) {
        len = whole;
        this.gsoOut = mss;
      }
    }
    const fin = finToSend && len === queued && usable > len;
    if (len === 0 && !fin) return undefined;
    if (len > 0 && !fin && !retransmission) {
      // 3.8.6.2.1 sender SWS avoidance, with Nagle's bracketed conditions (3.7.4).
      const nagleHolds = this.nagle && this.sndMax !== this.sndUna;
      const ok =
        len >= mss || // (1) a full segment
        (!nagleHolds && len === queued) || // (2) pushed and all queued data fits
        (!nagleHolds && len >= this.maxSndWnd / 2) || // (3) a fraction Fs = 1/2 of the max window
        this.swsOverrideNow; // (4) the override timeout
      if (!ok) return undefined;
    }
    this.swsOverrideNow = false;
    return this.dataSegment(now, this.sndNxt, len, fin, opts, retransmission);
  }

  /**
   * Rules 1 and 3: retransmit from the first hole at or above HighRxt that is lost (`lostOnly`) or
   * below the highest SACKed octet, within the peer's window; HighRxt moves past it (RFC 6675 C.2).
   */
  private retransmitHole(now: number, opts: readonly TcpOption[], mss: number, lostOnly: boolean): TcpRepr | undefined {
    // A hole that reaches SND.MAX runs on into new data, up to the window: one segment instead of a
    // short retransmission and a new one.
    const b = this.sb;
    if (b === undefined) return undefined; // nothing lost, nothing SACKed: no hole
    const start = b.nextHole(lostOnly, seqAdd(this.sndUna, this.sndWnd));
    if (start === undefined) return undefined;
    const seg = this.holeSegment(now, opts, start, b.holeEnd, mss);
    if (seg) {
      const end = seqAdd(start, seg.payload.length + (seg.flags & FIN ? 1 : 0));
      b.retransmitted(end);
      this.rack?.sentRetransmission(now, end);
    }
    return seg;
  }

  /** A retransmission of up to `mss` octets of [start, end) (the FIN, if the hole holds it). */
  private holeSegment(now: number, opts: readonly TcpOption[], start: number, end: number, mss: number): TcpRepr | undefined {
    const off = seqDiff(start, this.sndBufSeq);
    const avail = off >= 0 ? this.sndBuf.length - off : 0;
    const len = Math.max(0, Math.min(mss, avail, seqDiff(end, start)));
    const fin = this.finQueued && seqAdd(start, len) === this.finSeq && seqLt(this.finSeq, end);
    if (len === 0 && !fin) return undefined;
    return this.dataSegment(now, start, len, fin, opts, true);
  }

  /** Send `max` bytes (at least the FIN) starting at SND.UNA: zero-window probes. */
  private retransmitFront(now: number, max: number, opts: readonly TcpOption[]): TcpRepr | undefined {
    const off = seqDiff(this.sndUna, this.sndBufSeq);
    const avail = off >= 0 ? this.sndBuf.length - off : 0;
    const len = Math.max(0, Math.min(max, avail, this.segmentDataMax(opts)));
    const fin = this.finQueued && len === avail && seqLe(this.sndUna, this.finSeq) && (len < max || avail === 0);
    if (len === 0 && !fin) return undefined;
    const retransmission = seqLt(this.sndUna, this.sndMax);
    return this.dataSegment(now, this.sndUna, len, fin, opts, retransmission);
  }

  private dataSegment(now: number, seq: number, len: number, fin: boolean, opts: readonly TcpOption[], retransmission: boolean): TcpRepr {
    // A view of the send buffer, not a copy (see pollTransmit).
    const payload = len > 0 ? this.sndBuf.slice(seqDiff(seq, this.sndBufSeq), len) : EMPTY;
    const endData = seqDiff(seqAdd(seq, len), this.sndBufSeq) === this.sndBuf.length;
    let flags = ACK;
    if (len > 0 && endData) flags |= PSH; // MUST-61: PSH on the segment that empties the buffer
    if (fin) flags |= FIN;
    // RFC 3168: new data only may be ECN-capable - not retransmissions (6.1.5), not zero-window
    // probes (6.1.6); the first new data after a window reduction carries CWR (6.1.2).
    const ect = this.ecnOk && !retransmission && len > 0 && this.sndWnd > 0;
    if (ect && this.ecnCwrPending) {
      flags |= CWR;
      this.ecnCwrPending = false;
    }
    this.ectOut = ect;
    if (this.sndMax === this.sndUna) this.progressAt = now;
    const seg = this.segmentWithOptions(seq, flags, payload, opts);
    const end = seqAdd(seq, len + (fin ? 1 : 0));
    if (seqGt(end, this.sndNxt)) this.sndNxt = end;
    if (seqGt(end, this.sndMax)) {
      if (this.rttSeq === undefined && !retransmission) {
        // Time the first segment (of a burst too, as if sent alone).
        this.rttSeq = this.gsoOut > 0 ? seqAdd(seq, this.gsoOut) : end;
        this.rttStart = now;
      }
      this.sndMax = end;
      if (this.sackEnabled && this.config.rack) (this.rack ??= this.newRack()).sentNew(now, end);
    }
    this.lastDataSentAt = now;
    if (retransmission) {
      this.counters.retransmissions++;
      // Karn (RFC 6298 3): the timed segment was sent again; its ACK would be ambiguous.
      if (this.rttSeq !== undefined && seqGt(this.rttSeq, seq) && seqLe(this.rttSeq, end)) this.rttSeq = undefined;
      if (this.rxtTsval === undefined) {
        this.rxtTsval = this.tsNow(now);
        this.rxtEpisodeEnd = this.sndMax;
      }
    }
    if (this.sndWnd > 0 && this.tRetransmit === NEVER) this.tRetransmit = now + this.rtt.rto; // RFC 6298 5.1
    if (!retransmission && this.rack !== undefined) this.ptoPending = true; // armed after the burst
    return seg;
  }

  /** Data arrived twice: report [left, right) once in a D-SACK block (RFC 2883 4), if SACK is in use. */
  private noteDuplicate(left: number, right: number): void {
    if (!this.sackEnabled) return;
    this.dsackBlock = { left: left >>> 0, right: right >>> 0 };
  }

  /**
   * The options of a non-SYN segment: timestamps (RFC 7323) and SACK blocks (RFC 2018), a pending
   * D-SACK block first (RFC 2883 4). Option lists are immutable values, so segments sent in the
   * same millisecond share one list.
   */
  private dataOptions(now: number): readonly TcpOption[] {
    const sack = this.sackEnabled && (this.ooo.count > 0 || this.dsackBlock !== undefined);
    if (!this.tsEnabled && !sack) return NO_OPTIONS;
    const tsval = this.tsNow(now);
    if (!sack && tsval === this.optsTsval && this.tsRecent === this.optsTsecr) return this.optsCache;
    const out: TcpOption[] = [];
    if (this.tsEnabled) out.push(NOP, NOP, { kind: 8, name: 'timestamps', tsval, tsecr: this.tsRecent });
    if (!sack) {
      this.optsCache = out;
      this.optsTsval = tsval;
      this.optsTsecr = this.tsRecent;
      return out;
    }
    const max = this.tsEnabled ? 3 : 4;
    const d = this.dsackBlock;
    const ranges = this.ooo.count > 0 ? this.ooo.sackRanges(d === undefined ? max : max - 1) : [];
    const blocks: SackBlock[] = ranges.map(([s, e]) => ({
      left: seqAdd(this.rcvNxt, s - this.rcvOff),
      right: seqAdd(this.rcvNxt, e - this.rcvOff),
    }));
    if (d !== undefined) blocks.unshift(d);
    out.push(NOP, NOP, { kind: 5, name: 'sack', blocks });
    if (d !== undefined) this.dsackOptions = out;
    return out;
  }

  private optsCache: readonly TcpOption[] = NO_OPTIONS;
  private optsTsval = -1;
  private optsTsecr = -1;

  private segmentDataMax(opts: readonly TcpOption[]): number {
    return Math.max(1, this.effMssBase - optionsLength(opts));
  }

  private segment(now: number, seq: number, flags: number, payload: Uint8Array, withOptions: boolean): TcpRepr {
    const opts = withOptions && flags !== RST ? this.dataOptions(now) : NO_OPTIONS;
    return this.segmentWithOptions(seq, flags, payload, opts);
  }

  private segmentWithOptions(seq: number, flags: number, payload: Uint8Array, options: readonly TcpOption[]): TcpRepr {
    let window = 0;
    let ack = 0;
    let urgentPointer = 0;
    if (flags & ACK) {
      ack = this.rcvNxt;
      window = this.selectWindow();
      if (this.ecnEcho) flags |= ECE; // RFC 3168 6.1.3 (ecnEcho is only ever set with ECN in use)
      if (options === this.dsackOptions) {
        // The D-SACK block went out: it is reported once (RFC 2883 4).
        this.dsackBlock = undefined;
        this.dsackOptions = undefined;
      }
      this.lastAckSent = this.rcvNxt;
      this.ackNow = false;
      this.ackEach = false;
      this.tDelayedAck = NEVER;
      this.rcvUnacked = 0;
      if (this.sndUp !== undefined && seqGt(this.sndUp, seq)) {
        flags |= URG;
        urgentPointer = Math.min(0xffff, seqDiff(this.sndUp, seq));
      }
    }
    return {
      srcPort: this._localPort,
      dstPort: this._remotePort,
      seq: seq >>> 0,
      ack: ack >>> 0,
      flags,
      window,
      urgentPointer,
      options,
      payload,
    };
  }

  /** The window field to advertise, applying receiver SWS avoidance (3.8.6.2.2, MUST-39). */
  private selectWindow(): number {
    const free = Math.min(this.rcvBuf.free, this.maxAdvertisable());
    let wnd = Math.max(0, seqDiff(this.rcvAdvEdge, this.rcvNxt));
    if (free - wnd >= this.rcvSwsThreshold()) wnd = free;
    const shift = this.rcvWndShift;
    const field = Math.min(0xffff, wnd >>> shift);
    const edge = seqAdd(this.rcvNxt, field << shift);
    if (seqGt(edge, this.rcvAdvEdge)) this.rcvAdvEdge = edge; // never shrink (SHLD-14)
    return field;
  }

  /** The largest window the window field can express with our shift. */
  private maxAdvertisable(): number {
    return 0xffff << this.rcvWndShift; // shift <= 14: fits in 31 bits
  }

  /** min(Fr * RCV.BUFF, Eff.snd.MSS) with Fr = 1/2. */
  private rcvSwsThreshold(): number {
    return Math.max(1, Math.min(Math.floor(this.rcvBuf.capacity / 2), this.effMssBase));
  }

  /** Bytes in a full-sized segment from the peer: our MSS less the peer's per-segment options. */
  private rcvFullSegment(): number {
    return Math.max(1, advertisedMss(this.config) - (this.tsEnabled ? 12 : 0));
  }

  private receivesData(): boolean {
    const st = this._state;
    return st === TcpState.Established || st === TcpState.FinWait1 || st === TcpState.FinWait2;
  }

  private armSwsOverride(now: number): void {
    // Sender SWS avoidance held data back with nothing in flight: no ACK will come to release it.
    if (this.tSws !== NEVER || this.sndMax !== this.sndUna || this.sndWnd === 0) return;
    const st = this._state;
    if (!(st === TcpState.Established || st === TcpState.CloseWait || st === TcpState.FinWait1 || st === TcpState.LastAck)) return;
    if (this.hasUnsent()) this.tSws = now + this.config.swsOverride;
  }

  private tsNow(now: number): number {
    return (Math.floor(now) + this.tsOffset) >>> 0;
  }
}

function checkPort(p: number, name: string): void {
  if (!Number.isInteger(p) || p < 0 || p > 0xffff) throw new SynackError('ERR_SYNACK_BAD_ARGUMENT', `${name} must be a port number 0..65535, got ${p}`);
}

function canQueueSend(s: TcpState): boolean {
  return s === TcpState.SynSent || s === TcpState.SynReceived || s === TcpState.Established || s === TcpState.CloseWait;
}

/** The smallest shift that lets the window field express the whole receive buffer (max 14). */
export function ourWindowShift(recvBufferSize: number): number {
  let s = 0;
  while (s < 14 && recvBufferSize >>> s > 0xffff) s++;
  return s;
}
