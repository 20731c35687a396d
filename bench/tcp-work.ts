/**
 * The TCP measurements themselves, free of the runner: bulk transfer between two engines through
 * the wire codec, the unavoidable work on the same bytes, handshakes per second, and the memory of
 * idle established connections. bench/tcp-worker.ts runs them in a child process built by tsc (so
 * tsx's module wrappers do not distort per-call costs); bench/tcp.ts turns them into rows.
 *
 * Every measurement checks its own result (bytes delivered, connections established) and throws if
 * the work was not really done.
 */
import { TcpConnection } from '../src/tcp/connection.js';
import type { TcpConfig } from '../src/tcp/config.js';
import { listenSegment } from '../src/tcp/listen.js';
import { TcpState } from '../src/tcp/state.js';
import { checksumAdd, checksumFinish, internetChecksum } from '../src/wire/checksum.js';
import { PacketAllocator } from '../src/stack/slab.js';
import { ByteRing } from '../src/tcp/ring.js';
import { emitIpv4, Ipv4Packet, type Ipv4Repr } from '../src/wire/ipv4.js';
import { emitTcp, parseTcp, TcpPacket, tcpBufferLength, type TcpRepr } from '../src/wire/tcp.js';
import { DEFAULT_FLUSH_EVERY } from '../src/stack/driver.js';
import { Simulation } from '../src/stack/sim.js';

const ADDR_A = 0x0a000001;
const ADDR_B = 0x0a000002;
const NO_IP_OPTIONS = new Uint8Array(0);

export interface BulkResult {
  readonly bytes: number;
  readonly ms: number;
  /** Data segments A sent, and ACK segments B sent. */
  readonly segments: number;
  readonly acks: number;
  readonly retransmissions: number;
  /** CPU time (user + system) of the timed part, ms: steadier than `ms` on a loaded machine. */
  readonly cpuMs?: number;
}

/**
 * Carries segments between the two engines as a real stack would (src/stack does the same): each
 * one is emitted as an IPv4 datagram (header checksum, TCP checksum over the pseudo-header) into a
 * frame buffer, then received back: IPv4 header validated with its checksum, TCP parsed with its
 * checksum verified, and the parsed repr handed to the other engine. One frame
 * buffer per direction suffices: the engine copies what it keeps before handleSegment returns.
 */
class Wire {
  /** The link's frame buffer, and the TCP part of it after the 20-byte IPv4 header. */
  private readonly frame: Uint8Array;
  private readonly tcpPart: Uint8Array;
  private id = 0;

  constructor(
    mtu: number,
    private readonly src: number,
    private readonly dst: number,
  ) {
    this.frame = new Uint8Array(mtu);
    this.tcpPart = this.frame.subarray(20);
  }

  carry(seg: TcpRepr, to: TcpConnection, now: number): void {
    const tcpLen = tcpBufferLength(seg);
    // A literal, not a spread of IPV4_DEFAULTS: V8 copies spread objects on a slow path.
    const ip: Ipv4Repr = {
      src: this.src,
      dst: this.dst,
      protocol: 6,
      ttl: 64,
      dscp: 0,
      ecn: 0,
      identification: this.id,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      options: NO_IP_OPTIONS,
      payloadLength: tcpLen,
    };
    this.id = (this.id + 1) & 0xffff;
    emitIpv4(ip, this.frame); // 20 bytes: no IP options
    emitTcp(seg, this.tcpPart, ip);
    // Receive as src/stack does: validate the IPv4 header through the view (lengths, header
    // checksum), then parse the TCP segment with its checksum over the pseudo-header. The view
    // spans the whole frame buffer, as a link's receive buffer would; the total length bounds it.
    const view = new Ipv4Packet(this.frame);
    if (view.check() !== undefined || !view.verifyChecksum()) throw new Error('bad IPv4 header');
    const tcp = parseTcp(new TcpPacket(view.payload), { src: view.src, dst: view.dst });
    if (!tcp.ok) throw tcp.error;
    to.handleSegment(now, tcp.value);
  }
}

/**
 * A to B, `total` bytes offered in `chunk`-sized writes, over a lossless zero-delay path: each
 * round A's segments go to B through `ab`, B's application reads everything into one buffer, B's
 * ACKs go back through `ba`; virtual time advances 10 us per round, or to the next timer when
 * nothing moved. Throws unless every byte arrived.
 */
function bulkLoop(
  a: TcpConnection,
  b: TcpConnection,
  total: number,
  chunk: Uint8Array,
  ab: (s: TcpRepr, now: number) => void,
  ba: (s: TcpRepr, now: number) => void,
  what: string,
): BulkResult {
  const sink = new Uint8Array(1 << 20);
  let sent = 0;
  let received = 0;
  let segments = 0;
  let acks = 0;
  let now = 0;
  let shut = false;
  const t0 = performance.now();
  for (let round = 0; !b.eof && round < 100_000_000; round++) {
    now += 0.01;
    if (a.state === TcpState.Established) {
      while (sent < total) {
        const n = a.send(chunk.subarray(0, Math.min(chunk.length, total - sent)));
        if (n === 0) break;
        sent += n;
      }
      if (sent === total && !shut) {
        a.shutdown();
        shut = true;
      }
    }
    let s: TcpRepr | undefined;
    let moved = false;
    while ((s = a.pollTransmit(now))) {
      ab(s, now);
      segments++;
      moved = true;
    }
    while (b.readableBytes > 0) received += b.readInto(sink);
    while ((s = b.pollTransmit(now))) {
      ba(s, now);
      acks++;
      moved = true;
    }
    if (!moved) {
      const t = Math.min(a.pollAt() ?? Infinity, b.pollAt() ?? Infinity);
      if (t === Infinity) break;
      now = Math.max(now, t);
      a.handleTimeout(now);
      b.handleTimeout(now);
    }
  }
  const ms = performance.now() - t0;
  if (received !== total) throw new Error(`${what}: ${received} of ${total} bytes arrived`);
  return { bytes: received, ms, segments, acks, retransmissions: a.counters.retransmissions };
}

/**
 * Bulk transfer between the engines alone: A's segments handed straight to B (no codec, no
 * checksum), B's application reading into one buffer. What the engine costs per segment.
 */
export function bulkEngineOnly(total: number, config: Partial<TcpConfig>): BulkResult {
  const a = TcpConnection.connect({ now: 0, localPort: 40000, remotePort: 80, iss: 0xfffff000, config });
  const b = TcpConnection.listen({ localPort: 80, iss: 12345, config });
  const chunk = new Uint8Array(65536).fill(0x42);
  return bulkLoop(a, b, total, chunk, (s, now) => b.handleSegment(now, s), (s, now) => a.handleSegment(now, s), 'engine bulk');
}

/** The engine-only cases: default options, plain RFC 793 options without congestion control, jumbo frames. */
export const ENGINE_CASES: ReadonlyArray<{ readonly name: string; readonly config: Partial<TcpConfig> }> = [
  { name: 'MTU 1500, timestamps+SACK+wscale, Reno', config: { sendBufferSize: 4 << 20, recvBufferSize: 4 << 20 } },
  { name: 'MTU 1500, no options, no congestion control', config: { timestamps: false, sack: false, windowScaling: false, congestionControl: 'none' } },
  { name: 'MTU 9000, defaults', config: { mtu: 9000, sendBufferSize: 4 << 20, recvBufferSize: 4 << 20 } },
];

/**
 * Bulk transfer of `total` bytes from A to B over a lossless zero-delay path through the codec;
 * B's application reads into one buffer. Virtual time advances 10 us per round. The sender keeps
 * its send buffer full; both ends use 1 MiB buffers (far above this path's bandwidth-delay
 * product; 4 MiB ones measured slower, the working set no longer fitting the caches).
 */
export function bulkThroughCodec(total: number, mtu: number, extra: Partial<TcpConfig> = {}): BulkResult {
  const config: Partial<TcpConfig> = { mtu, sendBufferSize: 1 << 20, recvBufferSize: 1 << 20, ...extra };
  const a = TcpConnection.connect({ now: 0, localPort: 40000, remotePort: 80, iss: 0xfffff000, config });
  const b = TcpConnection.listen({ localPort: 80, iss: 12345, config });
  const ab = new Wire(mtu, ADDR_A, ADDR_B);
  const ba = new Wire(mtu, ADDR_B, ADDR_A);
  const chunk = new Uint8Array(1 << 20);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 131) & 0xff;
  return bulkLoop(a, b, total, chunk, (s, now) => ab.carry(s, b, now), (s, now) => ba.carry(s, a, now), 'bulk');
}

/**
 * Bulk transfer of `total` bytes between two whole synack Stacks (src/stack) joined by the in-memory
 * link (MemoryPair, no faults, no delay) on the virtual scheduler, through the Node-style sockets:
 * A writes 1 MiB chunks (waiting for 'drain' when write() says so), B counts its 'data' chunks.
 * This is the path an embedder gets: IP demultiplexing, the packet allocator, the link's delivery
 * queue, the driver's polls, socket events. 1 MiB buffers as in bulkThroughCodec.
 */
export function bulkThroughStacks(total: number, mtu: number): BulkResult {
  const tcp: Partial<TcpConfig> = { sendBufferSize: 1 << 20, recvBufferSize: 1 << 20 };
  const sim = new Simulation({ seed: 7, link: { mtu }, a: { tcp }, b: { tcp }, receiveBatch: DEFAULT_FLUSH_EVERY });
  const chunk = new Uint8Array(1 << 20);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 131) & 0xff;
  let received = 0;
  let closed = false;
  const server = sim.b.createServer((s) => {
    s.on('data', (d) => {
      received += d.length;
    });
    s.on('end', () => s.end());
  });
  server.listen(80);
  const c = sim.a.connect({ host: '10.0.0.2', port: 80 });
  let written = 0;
  const pump = (): void => {
    while (written < total) {
      const n = Math.min(chunk.length, total - written);
      written += n;
      if (!c.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return;
    }
    c.end();
  };
  c.on('connect', pump);
  c.on('drain', pump);
  c.on('data', () => undefined);
  c.on('close', () => {
    closed = true;
  });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  sim.runUntil(() => closed, { until: 3_600_000 });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const k = c.tcpCounters;
  sim.close();
  if (received !== total || !closed) throw new Error(`stack bulk: ${received} of ${total} bytes arrived${closed ? '' : ', not closed'}`);
  return { bytes: received, ms, segments: sim.pair.aToB.stats.sent, acks: sim.pair.bToA.stats.sent, retransmissions: k?.retransmissions ?? 0, cpuMs: (cpu.user + cpu.system) / 1000, ...(process.env.SYNACK_BENCH_COUNTERS ? { counters: k } : {}) } as BulkResult;
}

/**
 * The unavoidable work on the same bytes, in segment-sized pieces: copy each piece into a frame
 * and checksum it (the sender), copy it out and checksum it again (the receiver). Returns ms.
 */
export function unavoidableWork(total: number, segment: number): number {
  const src = new Uint8Array(1 << 20);
  for (let i = 0; i < src.length; i++) src[i] = (i * 131) & 0xff;
  const frame = new Uint8Array(segment + 64);
  const dst = new Uint8Array(1 << 20);
  let sum = 0;
  let done = 0;
  let off = 0;
  const t0 = performance.now();
  while (done < total) {
    const n = Math.min(segment, total - done, src.length - off);
    frame.set(src.subarray(off, off + n), 40);
    sum ^= internetChecksum(frame, 40, 40 + n);
    dst.set(frame.subarray(40, 40 + n), off);
    sum ^= internetChecksum(dst, off, off + n);
    done += n;
    off += n;
    if (off >= src.length) off = 0;
  }
  const ms = performance.now() - t0;
  if (sum === 0x10000) throw new Error('impossible checksum'); // keeps the work observable
  return ms;
}

/**
 * The floor of this design: what any pair of stacks built on the current contracts must do per
 * segment, with no TCP logic at all. The sender copies the application's bytes into a send ring,
 * takes a fresh packet from the `PacketAllocator` (the `Link` API hands packets over as
 * `Uint8Array`s the receiver may keep), writes a 20-byte IPv4 header with its checksum and a
 * 32-byte TCP header (timestamps), copies the payload out of the ring and checksums the segment;
 * the receiver reads the headers, verifies both checksums, copies the payload into its receive ring
 * and the application reads it out in 64 KiB chunks from slabs. Four copies and two checksums per
 * byte, as the stack path has; no sequence checks, no ACKs, no timers, no events. Returns ms.
 *
 * `zeroCopy`: the floor of a zero-copy redesign instead: the sender keeps references to the
 * application's buffers and copies from them straight into packets, the receiver hands the
 * application views of the packets' payloads. One copy and two checksums per byte.
 */
export function designFloor(total: number, mss: number, zeroCopy = false): number {
  const src = new Uint8Array(1 << 20);
  for (let i = 0; i < src.length; i++) src[i] = (i * 131) & 0xff;
  const packets = new PacketAllocator();
  const chunks = new PacketAllocator();
  const sendRing = new ByteRing(1 << 20);
  const recvRing = new ByteRing(1 << 20);
  const link: Uint8Array[] = [];
  const seg = mss - 12; // the timestamps option takes 12 of the MSS
  let written = 0;
  let sentOff = 0;
  let seq = 1;
  let received = 0;
  let check = 0;
  const t0 = performance.now();
  while (received < total) {
    // The application writes while the send ring has room.
    while (!zeroCopy && written < total && sendRing.free > 0) {
      const n = Math.min(src.length, total - written, sendRing.free);
      sendRing.append(src, 0, n);
      written += n;
    }
    // A window of segments: 16 packets, as the driver's receive batch.
    // Zero copy: the application's buffer (src, reused) from sentOff, as far as it has not been sent.
    const queued = zeroCopy ? Math.min(src.length, sentOff + total - written) : sendRing.length;
    const batchStart = sentOff;
    for (let k = 0; k < 16 && sentOff < queued; k++) {
      const n = Math.min(seg, queued - sentOff);
      const p = packets.alloc(52 + n);
      // The headers that do not change from segment to segment, then the fields that do.
      p.set(FLOOR_HEADERS);
      p[2] = (52 + n) >>> 8;
      p[3] = (52 + n) & 0xff;
      const ipc = internetChecksum(p, 0, 20);
      p[10] = ipc >>> 8;
      p[11] = ipc & 0xff;
      p[24] = seq >>> 24;
      p[25] = (seq >>> 16) & 0xff;
      p[26] = (seq >>> 8) & 0xff;
      p[27] = seq & 0xff;
      p.set(zeroCopy ? src.subarray(sentOff, sentOff + n) : sendRing.slice(sentOff, n), 52);
      const sum = checksumAdd(checksumAdd(checksumAdd(0, p, 12, 20), p, 20, 52 + n), TCP_PROTO_LEN, 0, 4) + 32 + n;
      const c = checksumFinish(sum);
      p[36] = c >>> 8;
      p[37] = c & 0xff;
      link.push(p);
      sentOff += n;
      seq = (seq + n) >>> 0;
    }
    // The receiver takes the batch.
    for (const p of link) {
      const tl = ((p[2] as number) << 8) | (p[3] as number);
      if (internetChecksum(p, 0, 20) !== 0) throw new Error('floor: bad IPv4 checksum');
      const hl = ((p[32] as number) >>> 4) * 4;
      const sum = checksumAdd(checksumAdd(checksumAdd(0, p, 12, 20), p, 20, tl), TCP_PROTO_LEN, 0, 4) + tl - 20;
      if (checksumFinish(sum) !== 0) throw new Error('floor: bad TCP checksum');
      check ^= ((p[24] as number) << 24) | ((p[25] as number) << 16);
      if (!zeroCopy) recvRing.append(p, 20 + hl, tl);
      else {
        const view = p.subarray(20 + hl, tl);
        received += view.length;
        check ^= view[0] as number;
      }
    }
    link.length = 0;
    if (zeroCopy) {
      written += sentOff - batchStart;
      if (sentOff === src.length) sentOff = 0;
      continue;
    }
    // The sender frees what the receiver holds (an ACK); the application reads it out.
    sendRing.consume(sentOff);
    sentOff = 0;
    while (recvRing.length > 0) {
      const n = Math.min(recvRing.length, 65536);
      const chunk = chunks.alloc(n);
      recvRing.copyOut(0, chunk, 0, n);
      recvRing.consume(n);
      received += n;
      check ^= chunk[n - 1] as number;
    }
  }
  const ms = performance.now() - t0;
  if (check === 0x7fffffff) throw new Error('impossible'); // keeps the work observable
  return ms;
}

/**
 * IPv4 (DF, TTL 64, TCP, 10.0.0.1 -> 10.0.0.2) and TCP (port 48 -> 80, data offset 8 words, ACK,
 * window 65535, NOP NOP timestamps) headers with every varying field zero.
 */
const FLOOR_HEADERS = new Uint8Array([
  0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
  0, 0x30, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x10, 0xff, 0xff, 0, 0, 0, 0,
  1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0,
]);

/** The pseudo-header's zero and protocol bytes (TCP = 6), summed with the addresses above. */
const TCP_PROTO_LEN = new Uint8Array([0, 6, 0, 0]);

export interface HandshakeResult {
  readonly connections: number;
  readonly ms: number;
  /** Segments exchanged in all (SYN, SYN-ACK, ACK, FINs and their ACKs). */
  readonly segments: number;
}

/**
 * `n` complete connection lifetimes between two engines: connect (SYN-SENT), the SYN handed to
 * the LISTEN logic (`listenSegment`) and accepted (`TcpConnection.accept`), the three-way handshake,
 * then A closes, B closes on EOF, until A is in TIME-WAIT and B CLOSED. Through the codec when
 * `codec` is set (each segment emitted and parsed with checksums), else reprs are handed over.
 */
export function handshakes(n: number, codec: boolean): HandshakeResult {
  const config: Partial<TcpConfig> = {};
  const ab = new Wire(1500, ADDR_A, ADDR_B);
  const ba = new Wire(1500, ADDR_B, ADDR_A);
  let segments = 0;
  const now = 1000;
  const pass = (from: TcpConnection, to: TcpConnection, wire: Wire): boolean => {
    let moved = false;
    for (let s = from.pollTransmit(now); s; s = from.pollTransmit(now)) {
      if (codec) wire.carry(s, to, now);
      else to.handleSegment(now, s);
      segments++;
      moved = true;
    }
    return moved;
  };
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const a = TcpConnection.connect({ now, localPort: 1024 + (i % 60000), remotePort: 80, iss: Math.imul(i, 2654435761) >>> 0, config });
    const syn = a.pollTransmit(now);
    if (!syn) throw new Error('no SYN');
    segments++;
    const action = listenSegment(syn);
    if (action.action !== 'accept') throw new Error(`listener refused the SYN: ${action.action}`);
    const b = TcpConnection.accept({ now, syn, iss: Math.imul(i + 1, 40503) >>> 0, config });
    let closing = false;
    for (let guard = 0; guard < 20; guard++) {
      const movedB = pass(b, a, ba);
      if (a.state === TcpState.Established && !closing) {
        a.close(now);
        closing = true;
      }
      const movedA = pass(a, b, ab);
      if (b.state === TcpState.CloseWait) b.close(now);
      if (!movedA && !movedB && b.isClosed) break;
    }
    if (a.state !== TcpState.TimeWait || !b.isClosed) throw new Error(`connection ${i} ended A ${a.state}, B ${b.state}`);
  }
  return { connections: n, ms: performance.now() - t0, segments };
}

export interface MemoryResult {
  readonly connections: number;
  readonly heapBytes: number;
  readonly bytesPerConnection: number;
}

/**
 * The heap held by `n` idle established connections (n/2 pairs, both ends kept), measured as the
 * growth of the V8 heap after full collections (needs node --expose-gc). The connections never
 * carried data, so no buffer holds data; what is measured is the cost of a connection itself.
 */
export function idleConnections(n: number): MemoryResult {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('idle-connections needs node --expose-gc');
  const config: Partial<TcpConfig> = {};
  const keep: TcpConnection[] = [];
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const now = 1000;
  for (let i = 0; i < n / 2; i++) {
    const a = TcpConnection.connect({ now, localPort: 1024 + (i % 60000), remotePort: 80, iss: Math.imul(i, 2654435761) >>> 0, config });
    const syn = a.pollTransmit(now)!;
    const b = TcpConnection.accept({ now, syn, iss: Math.imul(i + 1, 40503) >>> 0, config });
    for (let s = b.pollTransmit(now); s; s = b.pollTransmit(now)) a.handleSegment(now, s);
    for (let s = a.pollTransmit(now); s; s = a.pollTransmit(now)) b.handleSegment(now, s);
    while (a.pollEvent());
    while (b.pollEvent());
    if (a.state !== TcpState.Established || b.state !== TcpState.Established) throw new Error(`pair ${i}: ${a.state}/${b.state}`);
    keep.push(a, b);
  }
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  const heapBytes = after - before;
  if (keep.length !== n) throw new Error('lost connections');
  return { connections: keep.length, heapBytes, bytesPerConnection: heapBytes / keep.length };
}
