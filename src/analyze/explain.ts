/**
 * `synack explain`'s engine: a capture, explained connection by connection and frame by frame in
 * plain language, the way the support article KB 172983 and the lecture on connection set-up and
 * close (seeds/000-003) explain theirs: the handshake frame by frame with its numbers, the data
 * phase summarised in runs (one sentence for a run of data and ACK segments, however long), the
 * close and half-close frame by frame, every anomaly tshark would flag explained where it happens
 * and what it means for the user, and a closing summary per connection. Where the bytes contradict
 * a reading of them (frames that look like the close of the connection just opened but belong to
 * another one, a SYN-ACK acknowledging the wrong number) the explanation says so.
 *
 * Streaming: `push` capture records, `end()`; each connection's explanation leaves through
 * `onConnection` when the connection tracker (conns.ts) emits it, in connection id order. Per
 * connection the explainer keeps O(1) state plus a bounded list of sentences (anomalies beyond
 * `ANOMALY_CAP` per kind are counted, not explained one by one), so a multi-GB capture runs in
 * bounded memory. The tracker gives the verdicts (anomalies.ts) and the record; the explainer
 * reads each frame's TCP fields with its own `SegmentDecoder` at the moment the tracker reports
 * the frame.
 *
 * Every sentence is a message of the catalogue (i18n/): an id and typed parameters, rendered in
 * the chosen language; items keep the parameters so the browser UI can render them again in
 * another language. Sequence numbers are absolute, as in the frames.
 *
 * Invariants: never throws on any bytes; every frame-level item names frames of its connection;
 * numbers in the parameters are the frames' own fields (or the record's). Browser-safe.
 */
import type { CaptureRecord } from '../capture/types.js';
import { formatIpv4Address } from '../wire/ipv4.js';
import { formatIpv6Address } from '../wire/ipv6.js';
import { ANOMALY_KINDS, AnomalyBit, type AnomalyKind } from './anomalies.js';
import { type CapturePoint, ConnTracker, type ConnectionRecord } from './conns.js';
import { newSegment, SegmentDecoder, type TcpSegment } from './conns-segment.js';
import { type KindCount, type Lang, type Message, type MessageId, type Offer, render, type Side, type ZeekState } from './i18n/index.js';

const FIN = 0x001;
const SYN = 0x002;
const RST = 0x004;
const ACK = 0x010;

/** Anomalies of one kind explained one by one per connection; the rest are counted. */
export const ANOMALY_CAP = 20;
/** Data runs of at most this many frames are told frame by frame. */
export const SHORT_RUN = 3;
/** Frames listed in a grouped sentence (duplicate ACKs, window updates). */
const LIST_MAX = 12;

/** Kinds folded into data runs and told as a group (they are frequent and mean little alone). */
const MINOR: ReadonlySet<AnomalyKind> = new Set<AnomalyKind>(['duplicateAck', 'windowUpdate', 'keepAliveAck', 'zeroWindowProbeAck']);
/** Kinds told frame by frame, in this order within a frame. */
const MAJOR: readonly AnomalyKind[] = [
  'badChecksum',
  'lostSegment',
  'ackedUnseen',
  'retransmission',
  'fastRetransmission',
  'spuriousRetransmission',
  'outOfOrder',
  'zeroWindow',
  'zeroWindowProbe',
  'windowFull',
  'keepAlive',
];

/** Messages that continue the sentence before them about the same frame (one paragraph in text). */
export const CONTINUES: ReadonlySet<MessageId> = new Set<MessageId>(['hs.synOptionBytes', 'hs.netmonLen', 'hs.synAckWrongAck', 'hs.rtt', 'hs.windowScale']);

/** Which part of a connection's explanation an item belongs to. */
export type ExplainSection = 'head' | 'frames' | 'summary';

/** One sentence (or a few) of an explanation. */
export type ExplainItem = Message & {
  readonly conn: number;
  readonly section: ExplainSection;
  /** The frame it is about (the first, for a range or a list); null for the connection as a whole. */
  readonly frame: number | null;
  /** The last frame of a range (data runs, frames that are not a continuation). */
  readonly lastFrame?: number;
  /** The frames a grouped sentence lists (duplicate ACKs, window updates). */
  readonly frames?: readonly number[];
  readonly text: string;
};

export interface ConnectionExplanation {
  readonly id: number;
  readonly record: ConnectionRecord;
  readonly items: readonly ExplainItem[];
}

export interface ExplainerOptions {
  readonly lang?: Lang;
  /** Explain only this connection id (the others are tracked but not reported). */
  readonly conn?: number;
  readonly verifyChecksums?: boolean;
  readonly maxConnections?: number;
  readonly onConnection: (e: ConnectionExplanation) => void;
}

/** What a draft sentence needs when the connection's record is known. */
interface Resolve {
  readonly rec: ConnectionRecord;
  side(dir: 0 | 1): Side;
  suspected(kind: AnomalyKind, dir: 0 | 1): boolean;
}

interface Draft {
  readonly frame: number;
  readonly lastFrame?: number;
  readonly frames?: readonly number[];
  build(r: Resolve): Message | undefined;
}

interface FrameNote {
  readonly frame: number;
  readonly dir: 0 | 1;
  readonly flags: number;
  readonly seq: number;
  readonly ack: number;
  readonly len: number;
  readonly window: number;
}

interface Group {
  readonly dir: 0 | 1;
  count: number;
  readonly frames: number[];
}

/** A run of ordinary data and ACK segments. */
class Run {
  readonly first: number;
  last: number;
  readonly firstTime: number;
  lastTime: number;
  readonly segs: [number, number] = [0, 0];
  readonly bytes: [number, number] = [0, 0];
  readonly acks: [number, number] = [0, 0];
  readonly notes: FrameNote[] = [];
  count = 0;
  readonly dupAcks = new Map<string, Group & { ack: number }>();
  readonly minor = new Map<string, Group & { kind: AnomalyKind }>();

  constructor(frame: number, time: number) {
    this.first = frame;
    this.last = frame;
    this.firstTime = time;
    this.lastTime = time;
  }
}

function addToGroup(g: Group, frame: number): void {
  g.count++;
  if (g.frames.length < LIST_MAX) g.frames.push(frame);
}

/** docs/analyzer.md "suspected": verdicts that may describe the capture rather than the connection. */
function suspectedKind(kind: AnomalyKind, sender: Side, point: CapturePoint): boolean {
  const atReceiver = point !== 'unknown' && point !== sender;
  const atSender = point === sender;
  switch (kind) {
    case 'lostSegment':
    case 'outOfOrder':
      return !atReceiver;
    case 'ackedUnseen':
      return true;
    case 'spuriousRetransmission':
      return !atSender;
    default:
      return false;
  }
}

function offerOf(o: ConnectionRecord['handshake']['client']): Offer {
  return { mss: o?.mss ?? null, windowScale: o?.windowScale ?? null, sackPermitted: o?.sackPermitted ?? false, timestamps: o?.timestamps ?? false };
}

function addressText(seg: TcpSegment, src: boolean): string {
  const w = src ? [seg.s0, seg.s1, seg.s2, seg.s3] : [seg.d0, seg.d1, seg.d2, seg.d3];
  if (seg.family === 4) return formatIpv4Address(w[0] ?? 0);
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  w.forEach((x, i) => view.setUint32(4 * i, x >>> 0));
  return formatIpv6Address(bytes);
}

/** The Ethernet addresses of a frame as one sorted string, or null for other link types. */
function macPair(r: CaptureRecord): string | null {
  if (r.linkType !== 1 || r.data.length < 12) return null;
  const hex = (a: number, b: number): string => Array.from(r.data.subarray(a, b), (x) => x.toString(16).padStart(2, '0')).join(':');
  return [hex(0, 6), hex(6, 12)].sort().join(' ');
}

const u32 = (x: number): number => x >>> 0;

/** What is kept of an earlier connection that was opened and never closed (for `conn.notContinuation`). */
interface OpenEnded {
  readonly firstFrame: number;
  readonly lastFrame: number;
  readonly client: ConnectionRecord['client'];
  readonly server: ConnectionRecord['server'];
  readonly nextSeq: number;
  readonly lastAck: number;
  readonly macs: string | null;
}

/** The per-connection narrator: turns frames into draft sentences, then into items. */
class Narrator {
  readonly drafts: Draft[] = [];
  readonly endpoint: { readonly ip: string; readonly port: number };
  readonly macs: string | null;
  readonly firstTcp: number;
  lastTcp: number;
  /** First frame (seq, ack) per direction. */
  readonly firstOf: [{ seq: number; ack: number; flags: number } | undefined, { seq: number; ack: number; flags: number } | undefined] = [undefined, undefined];
  readonly ttl: [number, number] = [-1, -1];
  /** ISN per direction (from its SYN or SYN-ACK), the SYN's frame and time. */
  readonly isn: [number | undefined, number | undefined] = [undefined, undefined];
  readonly synTime: [number, number] = [0, 0];
  readonly synSent: [number, number] = [0, 0];
  readonly synFrame: [number, number] = [0, 0];
  synAck: { dir: 0 | 1; frame: number; time: number } | undefined;
  lastSynTime = 0;
  lastSynAckTime = 0;
  hsTimes: [number, number, number] | undefined;
  handshakeDone = false;
  /** Highest sequence number + 1 reached per direction (SYN and FIN count), and the last ACK sent. */
  readonly high: [number | undefined, number | undefined] = [undefined, undefined];
  readonly lastAck: [number | undefined, number | undefined] = [undefined, undefined];
  readonly fin: [{ frame: number; end: number } | undefined, { frame: number; end: number } | undefined] = [undefined, undefined];
  readonly finAcked: [boolean, boolean] = [false, false];
  rsts = 0;
  halfClose = false;
  readonly told = new Map<AnomalyKind, number>();
  readonly overflow = new Map<AnomalyKind, { count: number; first: number; last: number }>();
  dataSegments = 0;
  retransmittedData = 0;
  readonly zeroWindows: [number, number] = [0, 0];
  /** Kinds already explained in full in this connection (later ones get the short sentence). */
  readonly explained = new Set<AnomalyKind>();
  run: Run | undefined;

  constructor(
    readonly id: number,
    seg: TcpSegment,
    rec: CaptureRecord,
    tcpIndex: number,
  ) {
    this.endpoint = { ip: addressText(seg, true), port: seg.srcPort };
    this.macs = macPair(rec);
    this.firstTcp = tcpIndex;
    this.lastTcp = tcpIndex;
  }

  dirOf(seg: TcpSegment): 0 | 1 {
    return seg.srcPort === this.endpoint.port && addressText(seg, true) === this.endpoint.ip ? 0 : 1;
  }

  /** Count an anomaly told one by one; false when the cap is reached (then it is only counted). */
  private tell(kind: AnomalyKind, frame: number): boolean {
    const n = this.told.get(kind) ?? 0;
    if (n < ANOMALY_CAP) {
      this.told.set(kind, n + 1);
      return true;
    }
    const o = this.overflow.get(kind);
    if (o === undefined) this.overflow.set(kind, { count: 1, first: frame, last: frame });
    else {
      o.count++;
      o.last = frame;
    }
    return false;
  }

  frame(seg: TcpSegment, bits: number, tcpIndex: number): void {
    this.lastTcp = tcpIndex;
    const d = this.dirOf(seg);
    const o: 0 | 1 = d === 0 ? 1 : 0;
    const { frame, flags, seq, ack, time } = seg;
    const len = seg.payloadLength;
    const isSyn = (flags & SYN) !== 0;
    const isAck = (flags & ACK) !== 0;
    const isFin = (flags & FIN) !== 0;
    const isRst = (flags & RST) !== 0;
    this.firstOf[d] ??= { seq, ack, flags };
    if (this.ttl[d] === -1) this.ttl[d] = seg.ttl;
    const out: Draft[] = [];
    let mentionsData = false;
    /** Kinds already told by a handshake or close sentence. */
    const handled = new Set<AnomalyKind>();

    if (isSyn && (bits & AnomalyBit.portReuse) !== 0) {
      // A SYN (or SYN-ACK) with a new ISN on the same ports: tshark's "port numbers reused".
      handled.add('portReuse');
      out.push({ frame, build: (r) => ({ id: 'anom.portReuse', params: { frame, clientPort: r.rec.client.port, serverPort: r.rec.server.port } }) });
    }
    if (isSyn && !isAck) {
      this.synSent[d]++;
      this.lastSynTime = time;
      if (this.isn[d] === undefined) {
        this.isn[d] = seq;
        this.synFrame[d] = frame;
        this.synTime[d] = time;
        out.push({
          frame,
          build: (r) => ({
            id: 'hs.syn',
            params: { frame, client: r.rec.client.ip, clientPort: r.rec.client.port, server: r.rec.server.ip, serverPort: r.rec.server.port, isn: seq, offer: offerOf(r.rec.handshake.client) },
          }),
        });
        const optionBytes = seg.headerLength - 20;
        if (len === 0 && optionBytes > 0) {
          const headerBytes = seg.headerLength;
          out.push({ frame, build: () => ({ id: 'hs.synOptionBytes', params: { frame, headerBytes, optionBytes } }) });
          // KB 172983: Network Monitor printed "len: 4" for a SYN whose only option was the MSS.
          if (optionBytes === 4) out.push({ frame, build: () => ({ id: 'hs.netmonLen', params: { frame, optionBytes } }) });
        }
      } else if ((bits & AnomalyBit.retransmission) !== 0) {
        // The same SYN again (tshark: a retransmission); other verdicts are told as anomalies.
        handled.add('retransmission');
        const after = time - this.synTime[d];
        const isn = this.isn[d] ?? seq;
        if (this.tell('retransmission', frame)) out.push({ frame, build: () => ({ id: 'hs.synRetry', params: { frame, isn, after } }) });
      }
    } else if (isSyn && isAck) {
      this.lastSynAckTime = time;
      if (this.synAck === undefined) {
        this.synAck = { dir: d, frame, time };
        this.isn[d] = seq;
        const clientIsn = this.synFrame[o] !== 0 ? (this.isn[o] ?? null) : null;
        out.push({ frame, build: (r) => ({ id: 'hs.synAck', params: { frame, server: r.rec.server.ip, isn: seq, ack, clientIsn, offer: offerOf(r.rec.handshake.server) } }) });
        if (clientIsn !== null && ack !== u32(clientIsn + 1)) {
          const expected = u32(clientIsn + 1);
          out.push({ frame, build: () => ({ id: 'hs.synAckWrongAck', params: { frame, ack, expected } }) });
        }
      } else if ((bits & AnomalyBit.retransmission) !== 0) {
        handled.add('retransmission');
        const after = time - this.synAck.time;
        if (this.tell('retransmission', frame)) out.push({ frame, build: () => ({ id: 'hs.synAckRetry', params: { frame, after } }) });
      }
    } else if (isRst) {
      if (this.synFrame[o] !== 0 && this.synAck === undefined && !this.handshakeDone) {
        const after = time - this.synTime[o];
        out.push({ frame, build: (r) => ({ id: 'rst.refused', params: { frame, server: r.rec.server.ip, serverPort: r.rec.server.port, after } }) });
      } else if (this.rsts === 0) {
        const afterFin = this.fin[0] !== undefined || this.fin[1] !== undefined;
        out.push({ frame, build: (r) => ({ id: afterFin ? 'rst.afterFin' : 'rst.abort', params: { frame, from: r.side(d) } }) });
      } else if (this.rsts < 3) {
        out.push({ frame, build: (r) => ({ id: 'rst.again', params: { frame, from: r.side(d) } }) });
      }
      this.rsts++;
    } else {
      // The handshake's ACK: from the side the SYN-ACK went to, acknowledging its ISN + 1.
      const synAck = this.synAck;
      if (!this.handshakeDone && synAck !== undefined && isAck && synAck.dir === o && ack === u32((this.isn[o] ?? 0) + 1)) {
        this.handshakeDone = true;
        const serverIsn = this.isn[o] ?? 0;
        mentionsData = len > 0;
        out.push({ frame, build: () => ({ id: 'hs.ack', params: { frame, ack, serverIsn, bytes: len } }) });
        out.push({ frame, build: (r) => (r.rec.handshake.ack === frame && r.rec.handshake.rtt !== null ? { id: 'hs.rtt', params: { frame, rtt: r.rec.handshake.rtt } } : undefined) });
        out.push({
          frame,
          build: (r) => {
            const c = r.rec.handshake.client?.windowScale ?? null;
            const s = r.rec.handshake.server?.windowScale ?? null;
            return r.rec.handshake.client !== null && r.rec.handshake.server !== null && (c !== null || s !== null) ? { id: 'hs.windowScale', params: { client: c, server: s } } : undefined;
          },
        });
      }
      if (isFin) {
        const mine = this.fin[d];
        const theirs = this.fin[o];
        if (mine !== undefined) {
          // The same FIN again (tshark: a retransmission); a FIN elsewhere is told by its verdicts.
          if ((bits & AnomalyBit.retransmission) !== 0) {
            handled.add('retransmission');
            mentionsData = true;
            if (this.tell('retransmission', frame)) out.push({ frame, build: (r) => ({ id: 'close.finRetry', params: { frame, from: r.side(d), seq } }) });
          }
        } else {
          this.fin[d] = { frame, end: u32(seq + len) };
          if (theirs === undefined) {
            mentionsData = true;
            const ackOrNull = isAck ? ack : null;
            out.push({ frame, build: (r) => ({ id: 'close.fin', params: { frame, from: r.side(d), seq, bytes: len, ack: ackOrNull } }) });
          } else if (isAck && !this.finAcked[o] && ack === u32(theirs.end + 1)) {
            this.finAcked[o] = true;
            const finFrame = theirs.frame;
            out.push({ frame, build: (r) => ({ id: 'close.fin2Ack', params: { frame, from: r.side(d), seq, ack, finFrame } }) });
          } else {
            out.push({ frame, build: (r) => ({ id: 'close.fin2', params: { frame, from: r.side(d), seq } }) });
          }
        }
      } else {
        const theirs = this.fin[o];
        if (isAck && theirs !== undefined && !this.finAcked[o] && ack === u32(theirs.end + 1)) {
          this.finAcked[o] = true;
          const finFrame = theirs.frame;
          const mine = this.fin[d];
          const final = mine !== undefined && mine.frame < theirs.frame;
          out.push({ frame, build: (r) => ({ id: final ? 'close.finalAck' : 'close.finAck', params: { frame, from: r.side(d), ack, finFrame } }) });
        }
      }
      // Data from one side after the other side's FIN: a half-closed connection (RFC 9293 3.6).
      const newData = len > 0 && (this.high[d] === undefined || ((u32(seq + len) - (this.high[d] ?? 0)) | 0) > 0);
      if (newData && !this.halfClose && this.fin[o] !== undefined && this.fin[o]?.frame !== frame && this.fin[d] === undefined) {
        this.halfClose = true;
        out.push({
          frame,
          build: (r) => (r.rec.close.halfClose ? { id: 'data.halfClose', params: { frame, closed: r.side(o), sender: r.side(d), bytes: r.rec.close.bytesAfterFirstFin } } : undefined),
        });
      }
    }

    // Anomalies, told where they happen (the first ANOMALY_CAP of each kind).
    if (bits !== 0) {
      for (const kind of MAJOR) {
        if ((bits & AnomalyBit[kind]) === 0 || handled.has(kind)) continue;
        if (kind === 'zeroWindow') this.zeroWindows[d]++;
        if (!this.tell(kind, frame)) continue;
        out.push(anomalyDraft(kind, frame, d, seq, ack, len, this.explained.has(kind)));
        this.explained.add(kind);
        if (kind === 'retransmission' || kind === 'fastRetransmission' || kind === 'spuriousRetransmission' || kind === 'outOfOrder') mentionsData = true;
      }
    }
    if (len > 0 && (bits & (AnomalyBit.retransmission | AnomalyBit.fastRetransmission | AnomalyBit.spuriousRetransmission)) !== 0) this.retransmittedData++;
    if (len > 0) this.dataSegments++;

    // Sequence bookkeeping.
    const end = u32(seq + len + (isSyn ? 1 : 0) + (isFin ? 1 : 0));
    if (!isRst && (this.high[d] === undefined || ((end - (this.high[d] ?? 0)) | 0) > 0)) this.high[d] = end;
    if (isAck) this.lastAck[d] = ack;
    if (!isSyn && !this.handshakeDone && this.synFrame[0] === 0 && this.synFrame[1] === 0 && this.synAck === undefined) this.handshakeDone = true;
    if (this.hsTimes === undefined && isAck && !isSyn && this.lastSynAckTime > 0 && this.lastSynTime > 0 && this.lastSynAckTime >= this.lastSynTime) {
      this.hsTimes = [this.lastSynTime, this.lastSynAckTime, time];
    }

    if (out.length === 0) {
      this.addToRun(seg, d, bits);
      return;
    }
    this.flushRun();
    if (len > 0 && !mentionsData) {
      const ackOrNull = isAck ? ack : null;
      out.push({ frame, build: (r) => ({ id: 'data.segment', params: { frame, from: r.side(d), seq, bytes: len, ack: ackOrNull } }) });
    }
    this.drafts.push(...out);
  }

  private addToRun(seg: TcpSegment, d: 0 | 1, bits: number): void {
    let run = this.run;
    if (run === undefined) {
      run = new Run(seg.frame, seg.time);
      this.run = run;
    }
    run.last = seg.frame;
    run.lastTime = seg.time;
    run.count++;
    if (seg.payloadLength > 0) {
      run.segs[d]++;
      run.bytes[d] += seg.payloadLength;
    } else run.acks[d]++;
    if (run.notes.length < SHORT_RUN) {
      run.notes.push({ frame: seg.frame, dir: d, flags: seg.flags, seq: seg.seq, ack: seg.ack, len: seg.payloadLength, window: seg.window });
    }
    if ((bits & AnomalyBit.duplicateAck) !== 0) {
      const key = `${d}:${seg.ack}`;
      let g = run.dupAcks.get(key);
      if (g === undefined) {
        g = { dir: d, ack: seg.ack, count: 0, frames: [] };
        run.dupAcks.set(key, g);
      }
      addToGroup(g, seg.frame);
    }
    for (const kind of ['windowUpdate', 'keepAliveAck', 'zeroWindowProbeAck'] as const) {
      if ((bits & AnomalyBit[kind]) === 0) continue;
      const key = `${d}:${kind}`;
      let g = run.minor.get(key);
      if (g === undefined) {
        g = { dir: d, kind, count: 0, frames: [] };
        run.minor.set(key, g);
      }
      addToGroup(g, seg.frame);
    }
  }

  flushRun(): void {
    const run = this.run;
    if (run === undefined) return;
    this.run = undefined;
    const drafts: Draft[] = [];
    // Frames a group sentence covers (duplicate ACKs, window updates) are not told again one by one.
    const grouped = new Set<number>();
    for (const g of run.dupAcks.values()) for (const f of g.frames) grouped.add(f);
    for (const g of run.minor.values()) for (const f of g.frames) grouped.add(f);
    if (run.count <= SHORT_RUN) {
      for (const n of run.notes) {
        const { frame, dir, seq, ack, len, window } = n;
        const isAck = (n.flags & ACK) !== 0;
        if (len > 0) {
          drafts.push({ frame, build: (r) => ({ id: 'data.segment', params: { frame, from: r.side(dir), seq, bytes: len, ack: isAck ? ack : null } }) });
        } else if (isAck && !grouped.has(frame)) {
          drafts.push({ frame, build: (r) => ({ id: 'data.ack', params: { frame, from: r.side(dir), ack, window: scaledWindow(r.rec, r.side(dir), window) } }) });
        }
      }
    } else {
      const { first, last } = run;
      const duration = run.lastTime - run.firstTime;
      const segs = [...run.segs] as [number, number];
      const bytes = [...run.bytes] as [number, number];
      const acks = [...run.acks] as [number, number];
      drafts.push({
        frame: first,
        lastFrame: last,
        build: (r) => {
          const c: 0 | 1 = r.side(0) === 'client' ? 0 : 1;
          const s: 0 | 1 = c === 0 ? 1 : 0;
          return {
            id: 'data.run',
            params: {
              first,
              last,
              duration,
              segs: { client: segs[c], server: segs[s] },
              bytes: { client: bytes[c], server: bytes[s] },
              acks: { client: acks[c], server: acks[s] },
            },
          };
        },
      });
    }
    const groups: Draft[] = [];
    for (const g of run.dupAcks.values()) {
      const { dir, ack, count } = g;
      const frames = [...g.frames];
      const again = this.explained.has('duplicateAck');
      this.explained.add('duplicateAck');
      groups.push({ frame: frames[0] ?? run.first, frames, build: (r) => ({ id: 'data.dupAcks', params: { from: r.side(dir), again, ack, count, frames } }) });
    }
    for (const g of run.minor.values()) {
      const { dir, count, kind } = g;
      const frames = [...g.frames];
      const again = this.explained.has(kind);
      this.explained.add(kind);
      const id = kind === 'windowUpdate' ? 'data.windowUpdates' : kind === 'keepAliveAck' ? 'data.keepAliveAcks' : 'data.probeAcks';
      groups.push({ frame: frames[0] ?? run.first, frames, build: (r) => ({ id, params: { from: r.side(dir), again, count, frames } }) });
    }
    // A long run's summary first, then its groups; a short run's sentences in frame order.
    groups.sort((a, b) => a.frame - b.frame);
    if (run.count <= SHORT_RUN) {
      drafts.push(...groups);
      drafts.sort((a, b) => a.frame - b.frame);
    } else drafts.push(...groups);
    this.drafts.push(...drafts);
  }
}

/** The window in bytes a side announced, when the scale is known (RFC 7323 2.3). */
function scaledWindow(rec: ConnectionRecord, side: Side, raw: number): number | null {
  const shift = rec.windowScale[side];
  return shift === null ? null : raw * 2 ** shift;
}

function anomalyDraft(kind: AnomalyKind, frame: number, d: 0 | 1, seq: number, ack: number, len: number, again: boolean): Draft {
  return {
    frame,
    build: (r): Message | undefined => {
      const from = r.side(d);
      const suspected = r.suspected(kind, d);
      switch (kind) {
        case 'retransmission':
          return { id: 'anom.retransmission', params: { frame, from, again, seq, bytes: len } };
        case 'fastRetransmission':
          return { id: 'anom.fastRetransmission', params: { frame, from, again, seq, bytes: len } };
        case 'spuriousRetransmission':
          return { id: 'anom.spuriousRetransmission', params: { frame, from, again, seq, bytes: len, suspected } };
        case 'outOfOrder':
          return { id: 'anom.outOfOrder', params: { frame, from, again, seq, bytes: len, suspected } };
        case 'lostSegment':
          return { id: 'anom.lostSegment', params: { frame, from, again, seq, suspected } };
        case 'ackedUnseen':
          return { id: 'anom.ackedUnseen', params: { frame, from, again, ack } };
        case 'zeroWindow':
          return { id: 'anom.zeroWindow', params: { frame, from, again } };
        case 'zeroWindowProbe':
          return { id: 'anom.zeroWindowProbe', params: { frame, from, again } };
        case 'windowFull':
          return { id: 'anom.windowFull', params: { frame, from, again } };
        case 'keepAlive':
          return { id: 'anom.keepAlive', params: { frame, from, again } };
        case 'badChecksum':
          return { id: 'anom.badChecksum', params: { frame, from, again } };
        default:
          return undefined;
      }
    },
  };
}

/**
 * Explains a capture, streaming: push records, then `end()`. Each connection's explanation is
 * passed to `onConnection` when the tracker is done with it, in id order.
 */
export class Explainer {
  readonly tracker: ConnTracker;
  private readonly decoder = new SegmentDecoder({ verifyChecksums: false });
  private readonly seg = newSegment();
  private current: CaptureRecord | undefined;
  private currentIsTcp = false;
  private tcpIndex = 0;
  private readonly narrators = new Map<number, Narrator>();
  /** Connections opened and never closed, by the index of their last TCP frame (the most recent 64). */
  private readonly openEnded = new Map<number, OpenEnded>();
  private readonly lang: Lang;

  constructor(private readonly options: ExplainerOptions) {
    this.lang = options.lang ?? 'en';
    this.tracker = new ConnTracker({
      ...(options.verifyChecksums !== undefined ? { verifyChecksums: options.verifyChecksums } : {}),
      ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}),
      onFrame: (id, frame, bits) => this.onFrame(id, frame, bits),
      onConnection: (c) => this.onConnection(c),
    });
  }

  push(r: CaptureRecord): void {
    this.current = r;
    this.currentIsTcp = this.decoder.decode(r, this.seg) === 'tcp';
    this.tracker.push(r);
    this.current = undefined;
  }

  end(): void {
    this.tracker.end();
  }

  private onFrame(id: number, frame: number, bits: number): void {
    const seg = this.seg;
    const r = this.current;
    // Both decoders read the same record; they agree unless a fragment table overflowed differently.
    if (!this.currentIsTcp || r === undefined || seg.frame !== frame) return;
    this.tcpIndex++;
    let n = this.narrators.get(id);
    if (n === undefined) {
      n = new Narrator(id, seg, r, this.tcpIndex);
      this.narrators.set(id, n);
    }
    n.frame(seg, bits, this.tcpIndex);
  }

  private onConnection(rec: ConnectionRecord): void {
    const n = this.narrators.get(rec.id);
    this.narrators.delete(rec.id);
    if (n === undefined) return;
    n.flushRun();
    const clientDir: 0 | 1 = rec.client.ip === n.endpoint.ip && rec.client.port === n.endpoint.port ? 0 : 1;
    const prev = n.firstTcp > 1 ? this.openEnded.get(n.firstTcp - 1) : undefined;
    if (rec.handshake.syn !== null && rec.close.how === null) {
      const c = clientDir;
      const nextSeq = n.high[c];
      const lastAck = n.lastAck[c];
      if (nextSeq !== undefined && lastAck !== undefined) {
        this.openEnded.set(n.lastTcp, { firstFrame: rec.firstFrame, lastFrame: rec.lastFrame, client: rec.client, server: rec.server, nextSeq, lastAck, macs: n.macs });
        if (this.openEnded.size > 64) {
          const oldest = this.openEnded.keys().next().value;
          if (oldest !== undefined) this.openEnded.delete(oldest);
        }
      }
    }
    if (this.options.conn !== undefined && this.options.conn !== rec.id) return;
    const items = explainNarrated(rec, n, clientDir, prev, this.lang);
    this.options.onConnection({ id: rec.id, record: rec, items });
  }
}

function explainNarrated(rec: ConnectionRecord, n: Narrator, clientDir: 0 | 1, prev: OpenEnded | undefined, lang: Lang): ExplainItem[] {
  const side = (d: 0 | 1): Side => (d === clientDir ? 'client' : 'server');
  const dirOf = (s: Side): 0 | 1 => (s === 'client' ? clientDir : clientDir === 0 ? 1 : 0);
  const resolve: Resolve = { rec, side, suspected: (kind, d) => suspectedKind(kind, side(d), rec.capture.point) };
  const items: ExplainItem[] = [];
  const add = (section: ExplainSection, m: Message | undefined, where: { frame: number | null; lastFrame?: number; frames?: readonly number[] }): void => {
    if (m === undefined) return;
    items.push({
      ...m,
      conn: rec.id,
      section,
      frame: where.frame,
      ...(where.lastFrame !== undefined ? { lastFrame: where.lastFrame } : {}),
      ...(where.frames !== undefined ? { frames: where.frames } : {}),
      text: render(lang, m),
    } as ExplainItem);
  };
  const conn = { frame: null };

  // ---- head: who, where the capture was taken, how the roles were told ----
  const segments = rec.sent.client.packets + rec.sent.server.packets;
  add(
    'head',
    {
      id: 'conn.title',
      params: {
        id: rec.id,
        client: rec.client.ip,
        clientPort: rec.client.port,
        server: rec.server.ip,
        serverPort: rec.server.port,
        family: rec.family,
        first: rec.firstFrame,
        last: rec.lastFrame,
        segments,
      },
    },
    conn,
  );
  const point = rec.capture.point;
  if (point !== 'unknown' && rec.capture.reason.kind === 'ttl') {
    const own = n.ttl[dirOf(point)];
    const other = n.ttl[dirOf(point === 'client' ? 'server' : 'client')];
    add('head', { id: 'capture.ttl', params: { point, own, other } }, conn);
  } else if (point !== 'unknown' && n.hsTimes !== undefined) {
    const [syn, synAck, ack] = n.hsTimes;
    add('head', { id: 'capture.timing', params: { point, toSynAck: synAck - syn, toAck: ack - synAck } }, conn);
  } else {
    add('head', { id: 'capture.unknown', params: {} }, conn);
  }
  if (rec.roles === 'syn-ack') add('head', { id: 'conn.rolesFromSynAck', params: {} }, conn);
  if (rec.roles === 'zeek-originator') add('head', { id: 'conn.rolesGuessed', params: {} }, conn);
  const midstream = rec.handshake.syn === null && rec.handshake.synAck === null;
  if (midstream) add('head', { id: 'conn.midstream', params: { frame: rec.firstFrame } }, { frame: rec.firstFrame });

  // Frames that read like the close of the connection just before them, but are another one.
  const first = n.firstOf[clientDir];
  if (prev !== undefined && midstream && rec.close.how !== null && first !== undefined) {
    add(
      'head',
      {
        id: 'conn.notContinuation',
        params: {
          first: rec.firstFrame,
          last: rec.lastFrame,
          prevFirst: prev.firstFrame,
          prevLast: prev.lastFrame,
          client: rec.client.ip,
          clientPort: rec.client.port,
          server: rec.server.ip,
          serverPort: rec.server.port,
          prevClient: prev.client.ip,
          prevClientPort: prev.client.port,
          prevServer: prev.server.ip,
          prevServerPort: prev.server.port,
          seq: first.seq,
          ack: first.ack,
          prevSeq: prev.nextSeq,
          prevAck: prev.lastAck,
          otherMacs: prev.macs !== null && n.macs !== null && prev.macs !== n.macs,
        },
      },
      { frame: rec.firstFrame, lastFrame: rec.lastFrame },
    );
  }

  // ---- frame by frame ----
  for (const d of n.drafts) {
    add('frames', d.build(resolve), { frame: d.frame, ...(d.lastFrame !== undefined ? { lastFrame: d.lastFrame } : {}), ...(d.frames !== undefined ? { frames: d.frames } : {}) });
  }
  const endedOpen = rec.notes.some((x) => x.startsWith('capture ended'));
  if (endedOpen && rec.close.how === null) add('frames', { id: 'conn.endedOpen', params: { frame: rec.lastFrame } }, { frame: rec.lastFrame });

  // ---- summary ----
  const bytes = { client: rec.sent.client.payloadBytes, server: rec.sent.server.payloadBytes };
  const segs = { client: rec.sent.client.packets, server: rec.sent.server.packets };
  add('summary', { id: 'sum.head', params: { id: rec.id, duration: rec.duration, segs, bytes } }, conn);
  const h = rec.handshake;
  const refused = h.syn !== null && h.synAck === null && rec.close.how === 'rst' && rec.close.by === 'server';
  if (h.syn !== null && h.synAck !== null && h.ack !== null) add('summary', { id: 'sum.opened', params: { rtt: h.rtt } }, conn);
  else if (refused) add('summary', { id: 'sum.refused', params: {} }, conn);
  else if (h.syn !== null && h.synAck === null) add('summary', { id: 'sum.unanswered', params: { attempts: n.synSent[clientDir] } }, conn);
  else if (midstream) add('summary', { id: 'sum.midstream', params: {} }, conn);
  const c = rec.close;
  if (c.how === 'rst' && !refused && c.by !== null) add('summary', { id: 'sum.closeReset', params: { by: c.by } }, conn);
  else if (c.how === 'fin' && c.by !== null) {
    if (c.graceful && c.halfClose) add('summary', { id: 'sum.halfClose', params: { by: c.by, bytes: c.bytesAfterFirstFin } }, conn);
    else if (c.graceful) add('summary', { id: 'sum.closeGraceful', params: { by: c.by } }, conn);
    else add('summary', { id: 'sum.closeIncomplete', params: { by: c.by } }, conn);
  } else if (c.how === null && h.synAck !== null) add('summary', { id: 'sum.open', params: {} }, conn);
  else if (c.how === null && midstream) add('summary', { id: 'sum.open', params: {} }, conn);

  const counts: KindCount[] = ANOMALY_KINDS.filter((k) => rec.anomalies[k] > 0).map((k) => ({ kind: k, count: rec.anomalies[k], suspected: rec.suspected[k] }));
  if (counts.length > 0) add('summary', { id: 'sum.anomalies', params: { counts } }, conn);
  else add('summary', { id: 'sum.clean', params: {} }, conn);
  if (n.retransmittedData > 0) add('summary', { id: 'sum.loss', params: { retransmitted: n.retransmittedData, dataSegments: n.dataSegments } }, conn);
  for (const d of [clientDir, clientDir === 0 ? 1 : 0] as const) {
    const zw = n.zeroWindows[d];
    if (zw > 0) add('summary', { id: 'sum.zeroWindow', params: { from: side(d), count: zw } }, conn);
  }
  for (const [kind, o] of n.overflow) add('summary', { id: 'sum.capped', params: { kind, count: o.count, first: o.first, last: o.last } }, conn);
  add('summary', { id: 'sum.zeek', params: { state: rec.state as ZeekState, history: rec.history } }, conn);
  return items;
}

/** Explain every connection of a list of records (tests, small captures, the browser). */
export function explainRecords(records: Iterable<CaptureRecord>, options: Omit<ExplainerOptions, 'onConnection'> = {}): ConnectionExplanation[] {
  const out: ConnectionExplanation[] = [];
  const e = new Explainer({ ...options, onConnection: (c) => out.push(c) });
  for (const r of records) e.push(r);
  e.end();
  return out;
}

/** The text of an item in another language (items keep their parameters). */
export function renderItem(item: ExplainItem, lang: Lang): string {
  return render(lang, item);
}
