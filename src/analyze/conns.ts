/**
 * The connection tracker: turns a stream of capture records into one record per TCP connection,
 * with Zeek's conn_state and history (zeek.ts), tshark's per-frame anomaly verdicts
 * (anomalies.ts), the handshake (frames, initial RTT as tshark's tcp.analysis.initial_rtt, the
 * options each side offered), the close (who closed first, FIN or RST, half-close, final ACK),
 * per-direction counts, and a guess at where the capture was taken.
 *
 * Connection boundaries are tshark's conversations, so that connection ids equal tshark's
 * tcp.stream and per-frame verdicts can be compared one to one: a connection is the 4-tuple until
 * a SYN (without ACK) arrives whose sequence number differs from the first sequence number seen
 * from that sender; that SYN starts a new connection (port reuse). Everything else (retransmitted
 * SYNs, the final ACK after the second FIN, RSTs after close, midstream packets) stays with the
 * connection.
 *
 * Streaming: `push` one record at a time (or `pushPacket` one PacketRef, the capture decoder's
 * record-free hand-over, for bulk reading); finished connections leave through `onConnection` and
 * are dropped. Memory is bounded by `maxConnections` (least recently active ones are evicted and
 * reported with a note) and, when frames are kept, by `maxFramesPerConnection`.
 *
 * Invariants: never throws on any bytes; every TCP frame belongs to exactly one connection (ids
 * are given in order of first frame, from 0, like tcp.stream); each connection is emitted exactly
 * once, after its last frame. Browser-safe: no Node imports.
 */
import type { CaptureRecord, PacketRef } from '../capture/types.js';
import { formatIpv4Address } from '../wire/ipv4.js';
import { formatIpv6Address } from '../wire/ipv6.js';
import { ANOMALY_KINDS, AnomalyBit, type AnomalyKind, SeqAnalysis } from './anomalies.js';
import { type DecodeOutcome, newSegment, SegmentDecoder, type SynOptions, type TcpSegment } from './conns-segment.js';
import { ZeekConn, type ZeekConnState } from './zeek.js';

const FIN = 0x001;
const SYN = 0x002;
const RST = 0x004;
const ACK = 0x010;

export interface EndpointAddress {
  readonly ip: string;
  readonly port: number;
}

/** What one side offered in its SYN (or SYN-ACK). */
export interface OfferedOptions {
  readonly mss: number | null;
  readonly windowScale: number | null;
  readonly sackPermitted: boolean;
  readonly timestamps: boolean;
}

export interface Handshake {
  /** Frame of the first SYN (without ACK). */
  readonly syn: number | null;
  /** Frame of the first SYN-ACK. */
  readonly synAck: number | null;
  /** Frame of the segment tshark measures the initial RTT at (the handshake's ACK). */
  readonly ack: number | null;
  /** Seconds from the most recent SYN to the first ACK without SYN: tshark's tcp.analysis.initial_rtt. */
  readonly rtt: number | null;
  readonly client: OfferedOptions | null;
  readonly server: OfferedOptions | null;
}

export interface CloseInfo {
  /** Who sent the first FIN or RST. */
  readonly by: 'client' | 'server' | null;
  /** What that first closing segment was. */
  readonly how: 'fin' | 'rst' | null;
  /** The other side sent new data after the first FIN (RFC 9293 3.6: a half-closed connection). */
  readonly halfClose: boolean;
  /** New bytes (by sequence numbers, retransmissions not counted) the other side sent after the first FIN. */
  readonly bytesAfterFirstFin: number;
  /** Both FINs and the ACK of the second one were seen. */
  readonly graceful: boolean;
  readonly clientFin: number | null;
  readonly serverFin: number | null;
  /** The ACK of the second FIN. */
  readonly finalAck: number | null;
  /** Frames with RST (the first 16). */
  readonly rst: readonly number[];
}

export interface DirectionStats {
  readonly packets: number;
  /** TCP payload bytes in the captured frames, retransmissions included. */
  readonly payloadBytes: number;
  /** IP datagram bytes (Zeek's *_ip_bytes). */
  readonly ipBytes: number;
}

export type AnomalyCounts = { [K in AnomalyKind]: number };

export interface FrameVerdict {
  readonly kind: AnomalyKind;
  /** The capture point makes this verdict uncertain (see docs/analyzer.md, "suspected"). */
  readonly suspected: boolean;
}

/** One frame of a connection, kept when the tracker is asked to keep frames. */
export interface ConnFrame {
  readonly frame: number;
  /** Seconds since the epoch. */
  readonly time: number;
  readonly from: 'client' | 'server';
  readonly flags: number;
  readonly seq: number;
  readonly ack: number;
  /** The raw window field. */
  readonly window: number;
  /** The window in bytes when the scale is known (never scaled on SYNs, RFC 7323 2.2). */
  readonly scaledWindow: number | null;
  readonly length: number;
  readonly checksumValid: boolean | null;
  readonly anomalies: readonly FrameVerdict[];
}

export type CapturePoint = 'client' | 'server' | 'unknown';

export interface ConnectionRecord {
  /** Order of first frame from 0: equals tshark's tcp.stream. */
  readonly id: number;
  readonly family: 4 | 6;
  readonly client: EndpointAddress;
  readonly server: EndpointAddress;
  /** How client and server were told apart. */
  readonly roles: 'syn' | 'syn-ack' | 'zeek-originator';
  readonly firstFrame: number;
  readonly lastFrame: number;
  /** Seconds since the epoch. */
  readonly start: number;
  readonly end: number;
  readonly duration: number;
  readonly sent: { readonly client: DirectionStats; readonly server: DirectionStats };
  /** Zeek's conn_state. */
  readonly state: ZeekConnState;
  /** Zeek's history; upper case letters are Zeek's originator's. */
  readonly history: string;
  /** Which side Zeek calls the originator (normally the client). */
  readonly originator: 'client' | 'server';
  /** Zeek's orig_bytes/resp_bytes as client/server: payload bytes by sequence numbers. */
  readonly seqBytes: { readonly client: number; readonly server: number };
  readonly handshake: Handshake;
  readonly close: CloseInfo;
  readonly anomalies: AnomalyCounts;
  /** How many of the verdicts counted in `anomalies` are only suspected. */
  readonly suspected: AnomalyCounts;
  /** Where the capture was taken, as far as the bytes tell. */
  readonly capture: { readonly point: CapturePoint; readonly basis: string; readonly reason: CaptureReason };
  /** Initial sequence numbers (the first seq of each side, minus one when no SYN was seen). */
  readonly isn: { readonly client: number | null; readonly server: number | null };
  /** Window scale shift in use per sender, null when unknown (RFC 7323 2.3). */
  readonly windowScale: { readonly client: number | null; readonly server: number | null };
  readonly frames?: readonly ConnFrame[];
  readonly notes: readonly string[];
}

export interface ConnTrackerOptions {
  /** Keep every frame of each connection (true), up to a number of frames, or none (default). */
  readonly keepFrames?: boolean | number;
  /** Connections tracked at once before the least recently active is emitted (default 100000). */
  readonly maxConnections?: number;
  /** Seconds (capture time) a closed connection waits for stragglers before it is emitted (default 120). */
  readonly closedLinger?: number;
  /** Verify TCP checksums (default true). */
  readonly verifyChecksums?: boolean;
  /** Called once per connection, after its last frame. */
  readonly onConnection?: (c: ConnectionRecord) => void;
  /** Called for every TCP frame with its connection id and verdict bits. */
  readonly onFrame?: (connId: number, frame: number, bits: number) => void;
  /** Emit connections in id order (default true; bounded buffer of 10000 records). */
  readonly ordered?: boolean;
}

export interface TrackerStats {
  frames: number;
  tcpFrames: number;
  otherFrames: number;
  malformedTcp: number;
  /** IP fragments still waiting for the rest of their datagram (counted at `end()`). */
  fragmentsPending: number;
  /** Datagrams given up: too many pending or older than 60 s. */
  fragmentsDropped: number;
  connections: number;
  evicted: number;
  maxTracked: number;
}

const DEFAULT_MAX_CONNECTIONS = 100_000;
const DEFAULT_KEEP = 1_000_000;
const MAX_REORDER = 10_000;
const MAX_RST_FRAMES = 16;

interface FrameRow {
  frame: number;
  time: number;
  dir: 0 | 1;
  flags: number;
  seq: number;
  ack: number;
  window: number;
  length: number;
  checksumValid: boolean | null;
  bits: number;
}

/** Address text from its 32-bit words (the wire layer's dotted quad or RFC 5952 form). */
function addrText(family: 4 | 6, w0: number, w1: number, w2: number, w3: number): string {
  if (family === 4) return formatIpv4Address(w0);
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  [w0, w1, w2, w3].forEach((w, i) => view.setUint32(4 * i, w >>> 0));
  return formatIpv6Address(bytes);
}

function offered(o: SynOptions | undefined): OfferedOptions | null {
  if (o === undefined) return null;
  return { mss: o.mss ?? null, windowScale: o.wscale ?? null, sackPermitted: o.sackPermitted, timestamps: o.timestamps !== undefined };
}

function zeroCounts(): AnomalyCounts {
  const c = {} as AnomalyCounts;
  for (const k of ANOMALY_KINDS) c[k] = 0;
  return c;
}

/**
 * No sequence number yet: 2^32, outside the sequence space (values are 0..2^32-1). Also, being no
 * small integer, it gives the fields that hold sequence numbers V8's double representation from
 * the first object on, so that no field changes representation mid-capture (which would throw
 * away the optimized code of every function that touches connections).
 */
const NO_SEQ = 2 ** 32;

/**
 * What one side of a tracked connection sent. Plain number fields (no per-direction arrays), so
 * that a connection is a few objects rather than a few dozen: less to copy when the young
 * generation is collected, fewer cache misses when its record is built.
 */
class Side {
  packets = 0;
  payloadBytes = 0;
  ipBytes = 0;
  /** IPv4 TTL or IPv6 hop limit of its first segment; -1 before any. */
  ttl = -1;
  /** Segments whose checksum could be verified, and those that failed. */
  checked = 0;
  badSums = 0;
  /** Highest sequence number + 1 it reached with data; NO_SEQ before any data. */
  high = NO_SEQ;
  /** Its first FIN: seen, frame, and the sequence number just past it. */
  fin = false;
  finFrame = 0;
  finEnd = NO_SEQ;
}

/** A SYN or SYN-ACK remembered for the handshake. */
interface SynSeen {
  readonly frame: number;
  readonly time: number;
  readonly dir: 0 | 1;
  readonly options: SynOptions | undefined;
}

/** Per-connection state while it is tracked. */
class Conn {
  // Fields that hold capture times, nanoseconds or 32-bit words start at -0 (a double equal to 0)
  // before the constructor sets them: double representation from the first object on (see NO_SEQ).
  readonly analysis = new SeqAnalysis();
  readonly zeek: ZeekConn;
  /** The first sender's address words and port, then the receiver's (TcpSegment's s0-s3, d0-d3). */
  readonly a0: number = -0;
  readonly a1: number = -0;
  readonly a2: number = -0;
  readonly a3: number = -0;
  readonly b0: number = -0;
  readonly b1: number = -0;
  readonly b2: number = -0;
  readonly b3: number = -0;
  readonly p0: number;
  readonly p1: number;
  /** ConnTable bookkeeping: bucket chain and least-recently-active list. */
  bucketNext: Conn | undefined;
  older: Conn | undefined;
  newer: Conn | undefined;
  readonly firstFrame: number;
  readonly firstTime: number = -0;
  lastFrame: number;
  lastTime: number = -0;
  /** Capture-relative nanoseconds of the first and last frame (exact, for the duration). */
  readonly firstNs: number = -0;
  lastNs: number = -0;
  /** What the first sender (direction 0) and the other side (direction 1) sent. */
  readonly side0 = new Side();
  readonly side1 = new Side();
  readonly counts = zeroCounts();
  firstSyn: SynSeen | undefined = undefined;
  firstSynAck: SynSeen | undefined = undefined;
  /** Times (ns) of the most recent SYN and SYN-ACK. */
  lastSynNs = -0;
  lastSynAckNs = -0;
  /** The SYN, SYN-ACK and ACK times (ns) at the frame that set the initial RTT (hsAckNs 0: not yet). */
  hsSynNs = -0;
  hsSynAckNs = -0;
  hsAckNs = -0;
  /** Who sent the first FIN or RST (-1: nobody yet), and which it was. */
  closerDir: -1 | 0 | 1 = -1;
  closerHow: 'fin' | 'rst' | undefined = undefined;
  /** Where the other side's new data after the first FIN starts (its `high` at that FIN); NO_SEQ: not known. */
  finMark = NO_SEQ;
  finalAck = 0;
  /** Frames with RST (the first MAX_RST_FRAMES), made at the first RST. */
  rst: number[] | undefined = undefined;
  /** Capture time of the close (final ACK or first RST); negative while open (-Infinity: a double from the start). */
  closedAt = -Infinity;
  frames: FrameRow[] | undefined = undefined;
  framesDropped = 0;
  /** Notes made while tracking (eviction, end of capture), made at the first. */
  notes: string[] | undefined = undefined;

  constructor(
    readonly id: number,
    readonly hash: number,
    readonly family: 4 | 6,
    seg: TcpSegment,
    ns: number,
    keepFrames: boolean,
  ) {
    this.firstNs = ns;
    this.lastNs = ns;
    this.a0 = seg.s0;
    this.a1 = seg.s1;
    this.a2 = seg.s2;
    this.a3 = seg.s3;
    this.b0 = seg.d0;
    this.b1 = seg.d1;
    this.b2 = seg.d2;
    this.b3 = seg.d3;
    this.p0 = seg.srcPort;
    this.p1 = seg.dstPort;
    this.bucketNext = undefined;
    this.older = undefined;
    this.newer = undefined;
    this.firstFrame = seg.frame;
    this.firstTime = seg.time;
    this.lastFrame = seg.frame;
    this.lastTime = seg.time;
    this.zeek = new ZeekConn(seg.flags, seg.srcPort, seg.dstPort);
    if (keepFrames) this.frames = [];
  }

  /** The side that sent in direction `dir`. */
  side(dir: 0 | 1): Side {
    return dir === 0 ? this.side0 : this.side1;
  }

  note(text: string): void {
    (this.notes ??= []).push(text);
  }
}

/** A 32-bit mix of one endpoint (address words and port). */
function endpointHash(w0: number, w1: number, w2: number, w3: number, port: number): number {
  let h = Math.imul(w0 ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ w1 ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ w2 ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ w3 ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ port ^ (h >>> 16), 0x27d4eb2f);
  return h ^ (h >>> 15);
}

/** The hash of a 4-tuple, the same for both directions (a sum), kept small enough to be a Smi. */
function tupleHash(seg: TcpSegment): number {
  return (endpointHash(seg.s0, seg.s1, seg.s2, seg.s3, seg.srcPort) + endpointHash(seg.d0, seg.d1, seg.d2, seg.d3, seg.dstPort)) & 0x3fffffff;
}

/** Direction of `seg` in `c`: 0 from the first sender, 1 towards it, -1 another 4-tuple. */
function direction(c: Conn, seg: TcpSegment): -1 | 0 | 1 {
  if (c.family !== seg.family) return -1;
  if (
    seg.srcPort === c.p0 && seg.dstPort === c.p1 &&
    seg.s0 === c.a0 && seg.d0 === c.b0 && seg.s1 === c.a1 && seg.s2 === c.a2 && seg.s3 === c.a3 && seg.d1 === c.b1 && seg.d2 === c.b2 && seg.d3 === c.b3
  ) return 0;
  if (
    seg.srcPort === c.p1 && seg.dstPort === c.p0 &&
    seg.s0 === c.b0 && seg.d0 === c.a0 && seg.s1 === c.b1 && seg.s2 === c.b2 && seg.s3 === c.b3 && seg.d1 === c.a1 && seg.d2 === c.a2 && seg.d3 === c.a3
  ) return 1;
  return -1;
}

/**
 * Buckets of a new ConnTable (a power of two, 64 KiB of pointers); the table doubles when it holds
 * more than two connections per bucket. Re-chaining touches every connection (a cache miss each),
 * so the table starts large enough for most captures.
 */
const INITIAL_BUCKETS = 8192;

/**
 * The tracked connections: a hash table of chained buckets indexed by the low bits of the tuple
 * hash (numbers only: no strings, no allocation per lookup), and a doubly linked list from least
 * to most recently active.
 */
class ConnTable {
  private buckets: (Conn | undefined)[] = new Array<Conn | undefined>(INITIAL_BUCKETS).fill(undefined);
  private mask = INITIAL_BUCKETS - 1;
  size = 0;
  oldest: Conn | undefined;
  newest: Conn | undefined;

  /** Direction of the segment in the connection `find` returned last. */
  foundDir: 0 | 1 = 0;

  find(hash: number, seg: TcpSegment): Conn | undefined {
    for (let c = this.buckets[hash & this.mask]; c !== undefined; c = c.bucketNext) {
      if (c.hash !== hash) continue;
      const d = direction(c, seg);
      if (d !== -1) {
        this.foundDir = d;
        return c;
      }
    }
    return undefined;
  }

  add(c: Conn): void {
    if (this.size >= 2 * this.buckets.length) this.grow();
    const i = c.hash & this.mask;
    c.bucketNext = this.buckets[i];
    this.buckets[i] = c;
    c.older = this.newest;
    c.newer = undefined;
    if (this.newest !== undefined) this.newest.newer = c;
    else this.oldest = c;
    this.newest = c;
    this.size++;
  }

  remove(c: Conn): void {
    const i = c.hash & this.mask;
    const head = this.buckets[i];
    if (head === c) this.buckets[i] = c.bucketNext;
    else {
      for (let p = head; p !== undefined; p = p.bucketNext) {
        if (p.bucketNext === c) {
          p.bucketNext = c.bucketNext;
          break;
        }
      }
    }
    c.bucketNext = undefined;
    this.unlink(c);
    this.size--;
  }

  /** Forget every connection (end of capture: they are emitted without unlinking each). */
  clear(): void {
    this.buckets = new Array<Conn | undefined>(INITIAL_BUCKETS).fill(undefined);
    this.mask = INITIAL_BUCKETS - 1;
    this.size = 0;
    this.oldest = undefined;
    this.newest = undefined;
  }

  /** Twice the buckets; every connection is chained again (the list holds them all). */
  private grow(): void {
    const n = this.buckets.length * 2;
    const buckets = new Array<Conn | undefined>(n).fill(undefined);
    const mask = n - 1;
    for (let c = this.oldest; c !== undefined; c = c.newer) {
      const i = c.hash & mask;
      c.bucketNext = buckets[i];
      buckets[i] = c;
    }
    this.buckets = buckets;
    this.mask = mask;
  }

  /** Mark `c` as the most recently active. */
  touch(c: Conn): void {
    if (this.newest === c) return;
    this.unlink(c);
    c.older = this.newest;
    if (this.newest !== undefined) this.newest.newer = c;
    else this.oldest = c;
    this.newest = c;
  }

  private unlink(c: Conn): void {
    if (c.older !== undefined) c.older.newer = c.newer;
    else if (this.oldest === c) this.oldest = c.newer;
    if (c.newer !== undefined) c.newer.older = c.older;
    else if (this.newest === c) this.newest = c.older;
    c.older = undefined;
    c.newer = undefined;
  }
}

export class ConnTracker {
  readonly stats: TrackerStats = {
    frames: 0,
    tcpFrames: 0,
    otherFrames: 0,
    malformedTcp: 0,
    fragmentsPending: 0,
    fragmentsDropped: 0,
    connections: 0,
    evicted: 0,
    maxTracked: 0,
  };
  private readonly decoder: SegmentDecoder;
  private readonly seg = newSegment();
  private readonly table = new ConnTable();
  private nextId = 0;
  private baseSec: number | undefined;
  private readonly maxConnections: number;
  private readonly keepFrames: number;
  private readonly linger: number;
  private readonly ordered: boolean;
  private readonly onConnection: (c: ConnectionRecord) => void;
  private readonly onFrame: ((connId: number, frame: number, bits: number) => void) | undefined;
  private readonly pending = new Map<number, ConnectionRecord>();
  private nextEmit = 0;
  private sinceSweep = 0;
  private now = 0;
  private ended = false;

  constructor(options: ConnTrackerOptions = {}) {
    this.decoder = new SegmentDecoder({ verifyChecksums: options.verifyChecksums ?? true });
    this.maxConnections = Math.max(1, options.maxConnections ?? DEFAULT_MAX_CONNECTIONS);
    const keep = options.keepFrames ?? false;
    this.keepFrames = keep === true ? DEFAULT_KEEP : keep === false ? 0 : Math.max(0, Math.floor(keep));
    this.linger = options.closedLinger ?? 120;
    this.ordered = options.ordered ?? true;
    this.onConnection = options.onConnection ?? (() => undefined);
    this.onFrame = options.onFrame;
  }

  /** Connections currently tracked. */
  get tracked(): number {
    return this.table.size;
  }

  /** Feed one capture record (any link type, any protocol). */
  push(r: CaptureRecord): void {
    if (this.ended) return;
    this.stats.frames++;
    this.track(this.decoder.decode(r, this.seg));
  }

  /**
   * Feed one packet as the capture decoder hands it to CaptureHandlers.onPacket: the same as
   * `push(p.toRecord())`, without the record (its bytes are read where they lie, and only during
   * the call). For bulk reading: `new CaptureDecoder({ onPacket: (p) => tracker.pushPacket(p) })`,
   * fed from memory from `frameMemory()` (conns-segment.ts) so that checksums are summed in place.
   */
  pushPacket(p: PacketRef): void {
    if (this.ended) return;
    this.stats.frames++;
    this.track(this.decoder.decodePacket(p, this.seg));
  }

  /** The segment just decoded into `this.seg`: find or start its connection and analyse it. */
  private track(outcome: DecodeOutcome): void {
    const seg = this.seg;
    if (outcome !== 'tcp') {
      if (outcome === 'malformed') this.stats.malformedTcp++;
      else if (outcome === 'other') this.stats.otherFrames++;
      return;
    }
    this.stats.tcpFrames++;
    this.baseSec ??= seg.tsSec - 1;
    // Integer nanoseconds since a second before the first TCP frame: never 0, exact.
    const ns = (seg.tsSec - this.baseSec) * 1e9 + seg.tsNsec;
    this.now = Math.max(this.now, seg.time);

    const hash = tupleHash(seg);
    let conn = this.table.find(hash, seg);
    let dir: 0 | 1 = this.table.foundDir;
    let preset = 0;
    if (conn !== undefined) {
      if ((seg.flags & (SYN | ACK)) === SYN) {
        // packet-tcp.c: a SYN whose sequence number is not the base sequence number of its
        // direction starts a new conversation ("port numbers reused").
        const base = conn.analysis.baseSeq(dir);
        if (base !== undefined && base !== seg.seq) {
          this.finish(conn);
          conn = undefined;
          preset = AnomalyBit.portReuse;
        }
      } else if (conn.analysis.synAckReuse(dir, seg)) {
        preset = AnomalyBit.portReuse;
      }
    }
    if (conn === undefined) {
      conn = new Conn(this.nextId++, hash, seg.family, seg, ns, this.keepFrames > 0);
      dir = 0;
      this.stats.connections++;
      this.table.add(conn);
      if (this.table.size > this.stats.maxTracked) this.stats.maxTracked = this.table.size;
      if (this.table.size > this.maxConnections) this.evictOldest();
    } else this.table.touch(conn);
    this.frame(conn, dir, seg, ns, preset);
    if (++this.sinceSweep >= 4096) {
      this.sinceSweep = 0;
      this.sweep();
    }
  }

  /** End of capture: emit every connection still tracked, in id order. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const rest: Conn[] = [];
    for (let c = this.table.oldest; c !== undefined; c = c.newer) rest.push(c);
    rest.sort((a, b) => a.id - b.id);
    // The table is dropped whole rather than unlinked connection by connection.
    this.table.clear();
    for (const c of rest) this.emit(c, true);
    this.flushPending(true);
    this.stats.fragmentsDropped = this.decoder.fragmentsDropped;
    this.stats.fragmentsPending = this.decoder.pendingDatagrams;
  }

  private frame(conn: Conn, dir: 0 | 1, seg: TcpSegment, ns: number, preset: number): void {
    const other: 0 | 1 = dir === 0 ? 1 : 0;
    const flags = seg.flags;
    let bits = conn.analysis.analyze(dir, seg, ns, preset);
    if (seg.checksumValid === false) bits |= AnomalyBit.badChecksum;
    conn.zeek.process(dir === 0, flags, seg.seq, seg.ack, seg.payloadLength, seg.window, seg.checksumValid === false);

    conn.lastFrame = seg.frame;
    conn.lastTime = seg.time;
    conn.lastNs = ns;
    const own = conn.side(dir);
    const peer = conn.side(other);
    own.packets++;
    own.payloadBytes += seg.payloadLength;
    own.ipBytes += seg.ipLength;
    if (own.ttl === -1) own.ttl = seg.ttl;
    if (seg.checksumValid !== null) {
      own.checked++;
      if (!seg.checksumValid) own.badSums++;
    }
    if (bits !== 0) {
      // Indexed, not for-of: no iterator on a path that runs for every flagged frame.
      for (let i = 0; i < ANOMALY_KINDS.length; i++) {
        const k = ANOMALY_KINDS[i] as AnomalyKind;
        if ((bits & AnomalyBit[k]) !== 0) conn.counts[k]++;
      }
    }

    // Handshake.
    if ((flags & SYN) !== 0) {
      if ((flags & ACK) === 0) {
        conn.firstSyn ??= { frame: seg.frame, time: seg.time, dir, options: seg.syn };
        conn.lastSynNs = ns;
      } else {
        conn.firstSynAck ??= { frame: seg.frame, time: seg.time, dir, options: seg.syn };
        conn.lastSynAckNs = ns;
      }
    }
    if (conn.hsAckNs === 0 && conn.analysis.firstRttFrame === seg.frame && conn.lastSynAckNs > conn.lastSynNs && conn.lastSynNs > 0) {
      // ns > lastSynAckNs > 0 here, so hsAckNs becomes non-zero.
      conn.hsSynNs = conn.lastSynNs;
      conn.hsSynAckNs = conn.lastSynAckNs;
      conn.hsAckNs = ns;
    }

    // Close.
    if (seg.payloadLength > 0 && (flags & RST) === 0) {
      const end = (seg.seq + seg.payloadLength + ((flags & SYN) !== 0 ? 1 : 0)) >>> 0;
      const top = own.high;
      if (top === NO_SEQ || ((end - top) | 0) > 0) {
        // New data; from the other side after the first FIN it makes a half-close (RFC 9293 3.6).
        if (conn.closerHow === 'fin' && dir !== conn.closerDir && conn.finMark === NO_SEQ) conn.finMark = seg.seq;
        own.high = end;
      }
    }
    if ((flags & FIN) !== 0 && !own.fin) {
      own.fin = true;
      own.finFrame = seg.frame;
      own.finEnd = (seg.seq + seg.payloadLength + ((flags & SYN) !== 0 ? 1 : 0)) >>> 0;
      if (conn.closerDir === -1) {
        conn.closerDir = dir;
        conn.closerHow = 'fin';
        conn.finMark = peer.high;
      }
    }
    if ((flags & RST) !== 0) {
      if (conn.closerDir === -1) {
        conn.closerDir = dir;
        conn.closerHow = 'rst';
      }
      const rst = (conn.rst ??= []);
      if (rst.length < MAX_RST_FRAMES) rst.push(seg.frame);
      if (conn.closedAt < 0) conn.closedAt = seg.time;
    }
    if (conn.finalAck === 0 && peer.fin && own.fin && (flags & ACK) !== 0 && seg.frame > peer.finFrame) {
      // The ACK of the peer's FIN, after both FINs: the last segment of a graceful close.
      if (seg.ack === ((peer.finEnd + 1) >>> 0) && own.finFrame < peer.finFrame) {
        conn.finalAck = seg.frame;
        if (conn.closedAt < 0) conn.closedAt = seg.time;
      }
    }

    if (conn.frames !== undefined) {
      if (conn.frames.length < this.keepFrames) {
        conn.frames.push({
          frame: seg.frame,
          time: seg.time,
          dir,
          flags,
          seq: seg.seq,
          ack: seg.ack,
          window: seg.window,
          length: seg.payloadLength,
          checksumValid: seg.checksumValid,
          bits,
        });
      } else conn.framesDropped++;
    }
    this.onFrame?.(conn.id, seg.frame, bits);
  }

  private evictOldest(): void {
    const c = this.table.oldest;
    if (c === undefined || c === this.table.newest) return;
    c.note('evicted: connection table full (raise maxConnections); later frames of this 4-tuple start a new record');
    this.stats.evicted++;
    this.finish(c);
  }

  /** Emit closed connections that have been quiet for `closedLinger` seconds. */
  private sweep(): void {
    const cutoff = this.now - this.linger;
    const done: Conn[] = [];
    for (let c = this.table.oldest; c !== undefined && c.lastTime < cutoff; c = c.newer) {
      if (c.closedAt >= 0) done.push(c);
    }
    for (const c of done) this.finish(c);
  }

  /** Stop tracking `c` and emit its record. */
  private finish(c: Conn): void {
    this.table.remove(c);
    this.emit(c, false);
  }

  /** Build and emit the record of `c`, no longer in the table (in id order when `ordered`). */
  private emit(c: Conn, atEnd: boolean): void {
    if (atEnd && c.closedAt < 0) c.note('capture ended before the connection closed');
    const rec = buildRecord(c);
    if (!this.ordered) {
      this.onConnection(rec);
      return;
    }
    if (rec.id === this.nextEmit && this.pending.size === 0) {
      // The next id with nothing waiting (every connection at the end of a capture): no reorder buffer.
      this.nextEmit++;
      this.onConnection(rec);
      return;
    }
    this.pending.set(rec.id, rec);
    this.flushPending(false);
  }

  private flushPending(all: boolean): void {
    for (;;) {
      const r = this.pending.get(this.nextEmit);
      if (r !== undefined) {
        this.pending.delete(this.nextEmit);
        this.nextEmit++;
        this.onConnection(r);
        continue;
      }
      if (this.pending.size === 0) return;
      if (!all && this.pending.size <= MAX_REORDER) return;
      // The lowest ids are still open (or were emitted out of order): skip ahead.
      let min = Infinity;
      for (const id of this.pending.keys()) if (id < min) min = id;
      this.nextEmit = min;
    }
  }
}

/**
 * Why the tracker put the capture point where it did, with its numbers (times in seconds); the
 * English `capture.basis` is `captureBasisText` of it, and other languages word it from the numbers.
 */
export type CaptureReason =
  /** One side's packets carry an initial TTL, the other's arrive decremented. */
  | { readonly kind: 'ttl'; readonly point: 'client' | 'server'; readonly own: number; readonly other: number }
  /** The handshake's round trip lies on one side of the capture point (4x rule). */
  | { readonly kind: 'timing'; readonly toSynAck: number; readonly toAck: number }
  /** The handshake timing does not tell; the TTLs (null when not seen) do not either. */
  | { readonly kind: 'unclear'; readonly toSynAck: number; readonly toAck: number; readonly ttlClient: number | null; readonly ttlServer: number | null }
  /** No complete handshake and no telling TTLs. */
  | { readonly kind: 'none' };

/** The reason in English, as `capture.basis` gives it. */
export function captureBasisText(r: CaptureReason): string {
  switch (r.kind) {
    case 'ttl': {
      const other = r.point === 'client' ? 'server' : 'client';
      return `TTL: the ${r.point}'s packets carry an initial TTL (${r.own}), the ${other}'s arrive with ${r.other}`;
    }
    case 'timing':
      return `handshake timing: SYN to SYN-ACK ${ms(r.toSynAck)}, SYN-ACK to ACK ${ms(r.toAck)}`;
    case 'unclear':
      return `handshake timing does not tell (SYN to SYN-ACK ${ms(r.toSynAck)}, SYN-ACK to ACK ${ms(r.toAck)}); TTLs ${r.ttlClient ?? -1}/${r.ttlServer ?? -1}`;
    case 'none':
      return 'no complete handshake and no telling TTLs';
  }
}

function placed(point: CapturePoint, reason: CaptureReason): { point: CapturePoint; basis: string; reason: CaptureReason } {
  return { point, basis: captureBasisText(reason), reason };
}

/** Where was the capture taken? TTLs first, then handshake timing. */
function capturePoint(c: Conn, clientDir: 0 | 1): { point: CapturePoint; basis: string; reason: CaptureReason } {
  const serverDir: 0 | 1 = clientDir === 0 ? 1 : 0;
  const initial = (t: number): boolean => t === 64 || t === 128 || t === 255 || t === 32;
  const ct = c.side(clientDir).ttl;
  const st = c.side(serverDir).ttl;
  if (ct >= 0 && st >= 0 && initial(ct) !== initial(st)) {
    // A host's own packets leave with its initial TTL; the peer's arrive decremented by routers.
    return initial(ct) ? placed('client', { kind: 'ttl', point: 'client', own: ct, other: st }) : placed('server', { kind: 'ttl', point: 'server', own: st, other: ct });
  }
  if (c.hsAckNs !== 0) {
    // The SYN, SYN-ACK and ACK the initial RTT was measured with.
    const syn = c.hsSynNs;
    const synAck = c.hsSynAckNs;
    const ack = c.hsAckNs;
    const toSynAck = (synAck - syn) / 1e9;
    const toAck = (ack - synAck) / 1e9;
    // Near the client, the round trip lies between SYN and SYN-ACK; near the server, between
    // SYN-ACK and ACK. Only a clear difference (4x) counts.
    if (toSynAck > 0 && toAck >= 0 && toSynAck > 4 * toAck) return placed('client', { kind: 'timing', toSynAck, toAck });
    if (toAck > 0 && toSynAck >= 0 && toAck > 4 * toSynAck) return placed('server', { kind: 'timing', toSynAck, toAck });
    return placed('unknown', { kind: 'unclear', toSynAck, toAck, ttlClient: ct >= 0 ? ct : null, ttlServer: st >= 0 ? st : null });
  }
  return placed('unknown', { kind: 'none' });
}

function ms(s: number): string {
  return `${(s * 1000).toFixed(3)} ms`;
}

/**
 * Whether a verdict is only suspected, given where the capture was taken (docs/analyzer.md):
 * verdicts about segments the capture did not see, or that depend on timing at another point.
 */
function suspectedBits(bits: number, sender: 'client' | 'server', point: CapturePoint): number {
  let s = 0;
  const atReceiver = point !== 'unknown' && point !== sender;
  const atSender = point === sender;
  // Not captured: a sender cannot lose its own segment before its own tap, so at the sender (or
  // anywhere unknown) the capture probably dropped it.
  if ((bits & AnomalyBit.lostSegment) !== 0 && !atReceiver) s |= AnomalyBit.lostSegment;
  // The peer acknowledged what the capture never saw: a capture gap by definition.
  if ((bits & AnomalyBit.ackedUnseen) !== 0) s |= AnomalyBit.ackedUnseen;
  // Out-of-order is a timing guess (3 ms or the initial RTT); only at the receiver is it an arrival order.
  if ((bits & AnomalyBit.outOfOrder) !== 0 && !atReceiver) s |= AnomalyBit.outOfOrder;
  // Spurious means "already acknowledged at the capture point"; only the sender's view tells
  // whether the sender knew.
  if ((bits & AnomalyBit.spuriousRetransmission) !== 0 && !atSender) s |= AnomalyBit.spuriousRetransmission;
  return s;
}

/** Address text and port of the side that sent in direction `d` (text made here, once per record). */
function endpointOf(c: Conn, d: 0 | 1): EndpointAddress {
  return d === 0 ? { ip: addrText(c.family, c.a0, c.a1, c.a2, c.a3), port: c.p0 } : { ip: addrText(c.family, c.b0, c.b1, c.b2, c.b3), port: c.p1 };
}

/** Per capture point, the verdict bits suspectedBits suspects whichever side sent them. */
const SUSPECTED_EITHER: Readonly<Record<CapturePoint, number>> = (() => {
  const all = ANOMALY_KINDS.reduce((m, k) => m | AnomalyBit[k], 0);
  const either = (point: CapturePoint): number => suspectedBits(all, 'client', point) & suspectedBits(all, 'server', point);
  return { client: either('client'), server: either('server'), unknown: either('unknown') };
})();

function buildRecord(c: Conn): ConnectionRecord {
  // Client: the SYN's sender; else the SYN-ACK's receiver; else Zeek's originator.
  let clientDir: 0 | 1;
  let roles: ConnectionRecord['roles'];
  if (c.firstSyn !== undefined) {
    clientDir = c.firstSyn.dir;
    roles = 'syn';
  } else if (c.firstSynAck !== undefined) {
    clientDir = c.firstSynAck.dir === 0 ? 1 : 0;
    roles = 'syn-ack';
  } else {
    clientDir = c.zeek.firstIsOrig ? 0 : 1;
    roles = 'zeek-originator';
  }
  const serverDir: 0 | 1 = clientDir === 0 ? 1 : 0;
  const side = (d: 0 | 1): 'client' | 'server' => (d === clientDir ? 'client' : 'server');
  const capture = capturePoint(c, clientDir);
  const zeekOrigIsClient = c.zeek.firstIsOrig === (clientDir === 0);
  const zb = c.zeek.bytes();

  const dirStats = (d: 0 | 1): DirectionStats => {
    const s = c.side(d);
    return { packets: s.packets, payloadBytes: s.payloadBytes, ipBytes: s.ipBytes };
  };
  const a = c.analysis;
  const synOpts = c.firstSyn !== undefined ? offered(c.firstSyn.options) : null;
  const synAckOpts = c.firstSynAck !== undefined ? offered(c.firstSynAck.options) : null;
  // RFC 7323 2.3: scaling is in use only when both SYNs carried the option.
  let scaleC: number | null = null;
  let scaleS: number | null = null;
  if (synOpts !== null && synAckOpts !== null) {
    const both = synOpts.windowScale !== null && synAckOpts.windowScale !== null;
    scaleC = both ? Math.min(synOpts.windowScale ?? 0, 14) : 0;
    scaleS = both ? Math.min(synAckOpts.windowScale ?? 0, 14) : 0;
  }
  const scaleOf = (d: 0 | 1): number | null => (d === clientDir ? scaleC : scaleS);

  const suspected = zeroCounts();
  let frames: ConnFrame[] | undefined;
  if (c.frames !== undefined) {
    frames = c.frames.map((f) => {
      const s = suspectedBits(f.bits, side(f.dir), capture.point);
      const verdicts: FrameVerdict[] = [];
      if (f.bits !== 0) for (const k of ANOMALY_KINDS) if ((f.bits & AnomalyBit[k]) !== 0) verdicts.push({ kind: k, suspected: (s & AnomalyBit[k]) !== 0 });
      const shift = scaleOf(f.dir);
      return {
        frame: f.frame,
        time: f.time,
        from: side(f.dir),
        flags: f.flags,
        seq: f.seq,
        ack: f.ack,
        window: f.window,
        scaledWindow: (f.flags & SYN) !== 0 ? f.window : shift === null ? null : f.window * 2 ** shift,
        length: f.length,
        checksumValid: f.checksumValid,
        anomalies: verdicts,
      };
    });
    for (const f of frames) for (const v of f.anomalies) if (v.suspected) suspected[v.kind]++;
  } else {
    // Without frames, the per-kind rule is the same for every frame of a kind and sender, except
    // that counts do not say the sender: count as suspected what would be suspected for either.
    const either = SUSPECTED_EITHER[capture.point];
    for (let i = 0; i < ANOMALY_KINDS.length; i++) {
      const k = ANOMALY_KINDS[i] as AnomalyKind;
      if ((either & AnomalyBit[k]) !== 0) suspected[k] = c.counts[k];
    }
  }
  const notes = c.notes === undefined ? [] : [...c.notes];
  if (c.firstSyn === undefined && c.firstSynAck === undefined) notes.push('midstream: no SYN or SYN-ACK seen (capture started after the handshake?)');
  for (const d of [clientDir, serverDir]) {
    const { checked, badSums } = c.side(d);
    if (checked >= 3 && badSums === checked) {
      notes.push(
        `every checksum-verified segment from the ${side(d)} (${checked}) has a wrong TCP checksum: typical of checksum offload on the host that captured; analyse again without checksum verification (synack conns --no-checksums)`,
      );
    }
  }
  if (c.framesDropped > 0) notes.push(`frames beyond the first ${c.frames?.length ?? 0} not kept (${c.framesDropped} more)`);

  const finC = c.side(clientDir);
  const finS = c.side(serverDir);
  let afterFin = 0;
  if (c.closerHow === 'fin' && c.closerDir !== -1 && c.finMark !== NO_SEQ) {
    const top = c.side(c.closerDir === 0 ? 1 : 0).high;
    if (top !== NO_SEQ) afterFin = Math.max(0, (top - c.finMark) | 0);
  }
  const close: CloseInfo = {
    by: c.closerDir === -1 ? null : side(c.closerDir),
    how: c.closerHow ?? null,
    halfClose: afterFin > 0,
    bytesAfterFirstFin: afterFin,
    graceful: finC.fin && finS.fin && c.finalAck !== 0,
    clientFin: finC.fin ? finC.finFrame : null,
    serverFin: finS.fin ? finS.finFrame : null,
    finalAck: c.finalAck === 0 ? null : c.finalAck,
    rst: c.rst ?? [],
  };
  const base = (d: 0 | 1): number | null => a.baseSeq(d) ?? null;
  return {
    id: c.id,
    family: c.family,
    client: endpointOf(c, clientDir),
    server: endpointOf(c, serverDir),
    roles,
    firstFrame: c.firstFrame,
    lastFrame: c.lastFrame,
    start: c.firstTime,
    end: c.lastTime,
    duration: (c.lastNs - c.firstNs) / 1e9,
    sent: { client: dirStats(clientDir), server: dirStats(serverDir) },
    state: c.zeek.state(),
    history: c.zeek.history,
    originator: zeekOrigIsClient ? 'client' : 'server',
    seqBytes: zeekOrigIsClient ? { client: zb.orig, server: zb.resp } : { client: zb.resp, server: zb.orig },
    handshake: {
      syn: c.firstSyn?.frame ?? null,
      synAck: c.firstSynAck?.frame ?? null,
      ack: a.firstRttFrame === 0 ? null : a.firstRttFrame,
      rtt: a.tsFirstRtt === 0 ? null : a.tsFirstRtt / 1e9,
      client: clientDir === c.firstSyn?.dir ? synOpts : null,
      server: c.firstSynAck !== undefined && c.firstSynAck.dir === serverDir ? synAckOpts : null,
    },
    close,
    anomalies: { ...c.counts },
    suspected,
    capture,
    isn: { client: base(clientDir), server: base(serverDir) },
    windowScale: { client: scaleC, server: scaleS },
    ...(frames !== undefined ? { frames } : {}),
    notes,
  };
}

/** Track every connection of a list of records (convenience for tests and small captures). */
export function trackConnections(records: Iterable<CaptureRecord>, options: Omit<ConnTrackerOptions, 'onConnection'> = {}): ConnectionRecord[] {
  const out: ConnectionRecord[] = [];
  const t = new ConnTracker({ ...options, onConnection: (c) => out.push(c) });
  for (const r of records) t.push(r);
  t.end();
  return out;
}
