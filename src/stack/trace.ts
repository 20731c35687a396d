/**
 * Traces of a simulated exchange: every packet put on the wire between two named hosts, decoded
 * into a `TraceSegment`, and rendered the way the seed documents show TCP:
 *
 *  - one line per segment in the lecture's notation (seeds/003, "4.4.3 Verbindungsauf- und
 *    -abbau"): `A -> B [ACK, ack=67, SYN, seq=1112]`, `A -> B [ACK, ack=1113, seq=86, 5 bytes data]`
 *    (the lecture writes the acknowledgment first, then SYN/FIN/RST, then seq and the data length;
 *    PSH is not part of its notation and is left out; "no data" is left out);
 *  - a ladder diagram: A on the left, B on the right, one arrow per segment, the virtual time of
 *    sending on the left, each side's connection state at that moment;
 *  - tcpdump-style lines for reference.
 *
 * Invariant: rendering never throws; a packet that is not TCP is kept with `tcp: undefined` and
 * rendered by its IP summary. The states are those at the moment the segment was built.
 */
import {
  formatIpAddress,
  Ipv4Packet,
  Ipv6Packet,
  parseTcpOptions,
  TcpFlag,
  TcpPacket,
  tcpFlagsToString,
  tcpOptionToString,
  walkIpv6Chain,
  type TcpRepr,
} from '../wire/index.js';
import type { PacketFate } from '../link/memory.js';
import { type LadderModel, type LadderRow, renderLadderText } from '../analyze/ladder.js';

/** A segment's TCP header as a TcpRepr has it, with the payload's length in place of its bytes. */
export interface TraceTcp extends Pick<TcpRepr, 'srcPort' | 'dstPort' | 'seq' | 'ack' | 'flags' | 'window' | 'options'> {
  readonly payloadLength: number;
}

export interface TraceSegment {
  /** 1-based position in the trace. */
  readonly index: number;
  /** Virtual time of sending, ms. */
  readonly time: number;
  /** Virtual time of arrival (of the first copy), when delivered. */
  readonly arrival?: number;
  readonly from: string;
  readonly to: string;
  readonly fate: PacketFate;
  readonly reordered: boolean;
  /** The link marked it Congestion Experienced (RFC 3168; the packet shown is as sent). */
  readonly ceMarked?: boolean;
  readonly src: string;
  readonly dst: string;
  /** undefined when the packet is not TCP (ICMP...). */
  readonly tcp: TraceTcp | undefined;
  /** Phase label set by the scenario ("setup", "lecture"...). */
  readonly phase: string;
  /** Sender's and receiver's connection state when it was sent. */
  readonly senderState: string;
  readonly receiverState: string;
  readonly packet: Uint8Array;
}

/** Decode the IP and TCP headers of a packet for a trace (never throws). */
export function decodeForTrace(packet: Uint8Array): { src: string; dst: string; tcp: TraceTcp | undefined } {
  let src = '?';
  let dst = '?';
  let tcpBytes: Uint8Array | undefined;
  const version = (packet[0] ?? 0) >>> 4;
  if (version === 4) {
    const v = new Ipv4Packet(packet);
    if (v.check() === undefined) {
      src = formatIpAddress(v.src);
      dst = formatIpAddress(v.dst);
      if (v.protocol === 6 && v.fragmentOffset === 0) tcpBytes = v.payload;
    }
  } else if (version === 6) {
    const v = new Ipv6Packet(packet);
    if (v.check() === undefined) {
      src = formatIpAddress(v.src.slice());
      dst = formatIpAddress(v.dst.slice());
      const c = walkIpv6Chain(v);
      if (c.upperProtocol === 6 && c.upperHeaderPresent) tcpBytes = packet.subarray(c.upperOffset, c.upperOffset + c.upperLength);
    }
  }
  let tcp: TraceTcp | undefined;
  if (tcpBytes !== undefined) {
    const t = new TcpPacket(tcpBytes);
    if (t.check() === undefined) {
      tcp = {
        srcPort: t.srcPort,
        dstPort: t.dstPort,
        seq: t.seq,
        ack: t.ack,
        flags: t.flags,
        window: t.window,
        options: parseTcpOptions(t.optionBytes).options,
        payloadLength: t.payload.length,
      };
    }
  }
  return { src, dst, tcp };
}

/** The bracket of the lecture's notation: "ACK, ack=67, SYN, seq=1112" / "seq=86, 5 bytes data". */
export function lectureFields(t: TraceTcp): string {
  const parts: string[] = [];
  if (t.flags & TcpFlag.ACK) parts.push(`ACK, ack=${t.ack}`);
  if (t.flags & TcpFlag.SYN) parts.push('SYN');
  if (t.flags & TcpFlag.FIN) parts.push('FIN');
  if (t.flags & TcpFlag.RST) parts.push('RST');
  if (t.flags & TcpFlag.URG) parts.push('URG');
  if (t.flags & TcpFlag.ECE) parts.push('ECE'); // (ECN runs only: RFC 3168)
  if (t.flags & TcpFlag.CWR) parts.push('CWR');
  parts.push(`seq=${t.seq}`);
  if (t.payloadLength > 0) parts.push(`${t.payloadLength} ${t.payloadLength === 1 ? 'byte' : 'bytes'} data`);
  return parts.join(', ');
}

/** "A -> B [ACK, ack=67, SYN, seq=1112]" */
export function lectureLine(s: TraceSegment): string {
  const body = s.tcp !== undefined ? lectureFields(s.tcp) : 'not TCP';
  return `${s.from} -> ${s.to} [${body}]`;
}

function fateNote(s: TraceSegment): string {
  switch (s.fate) {
    case 'lost':
      return 'lost on the link';
    case 'corrupted':
      return 'corrupted on the link (a bit flipped): dropped on the checksum';
    case 'duplicated':
      return 'duplicated by the link';
    case 'too-big':
      return 'larger than the link MTU: dropped';
    case 'queue-full':
      return 'link queue full: dropped';
    case 'closed':
      return 'link closed';
    default:
      return [s.reordered ? 'held back by the link (reordered)' : '', s.ceMarked === true ? 'marked CE by the link' : ''].filter((x) => x !== '').join('; ');
  }
}

/** tcpdump -S -n style, with the addresses: "10.0.0.1.49152 > 10.0.0.2.80: Flags [S], seq 66, win 65535, options [mss 1460], length 0". */
export function tcpdumpLine(s: TraceSegment): string {
  const t = s.tcp;
  if (t === undefined) return `${s.src} > ${s.dst}: not TCP, length ${s.packet.length}`;
  let line = `${s.src}.${t.srcPort} > ${s.dst}.${t.dstPort}: Flags [${tcpFlagsToString(t.flags)}]`;
  if (t.payloadLength > 0 || t.flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) {
    line += `, seq ${t.seq}`;
    if (t.payloadLength > 0) line += `:${(t.seq + t.payloadLength) >>> 0}`;
  }
  if (t.flags & TcpFlag.ACK) line += `, ack ${t.ack}`;
  line += `, win ${t.window}`;
  if (t.options.length > 0) line += `, options [${t.options.map(tcpOptionToString).join(',')}]`;
  return `${line}, length ${t.payloadLength}`;
}

export interface LadderOptions {
  /** Name and address text for the two columns. */
  readonly left: { readonly name: string; readonly label: string };
  readonly right: { readonly name: string; readonly label: string };
  /** Width of the arrow between the two bars (default: 56, or wider for long labels). */
  readonly width?: number;
  /** Draw a separator before the first segment of these phases. */
  readonly phaseTitles?: Readonly<Record<string, string>>;
}

function fmtTime(ms: number): string {
  return ms.toFixed(ms < 100000 ? 3 : 1);
}

/**
 * The trace as a ladder model (src/analyze/ladder.ts), the same model `synack ladder` draws for
 * captures: A on the left, B on the right, one row per segment at its virtual sending time, each
 * side's state at that moment, lost segments stopping half-way, the link's fate as a note.
 */
export function ladderModel(segments: readonly TraceSegment[], o: LadderOptions): LadderModel {
  let phase: string | undefined;
  const rows: LadderRow[] = segments.map((s) => {
    let caption: string | undefined;
    if (s.phase !== phase) {
      phase = s.phase;
      caption = o.phaseTitles?.[phase];
    }
    const leftToRight = s.from === o.left.name;
    const note = fateNote(s);
    return {
      frame: s.index,
      from: leftToRight ? 'left' : 'right',
      label: s.tcp !== undefined ? lectureFields(s.tcp) : 'not TCP',
      time: s.time / 1000,
      timeText: fmtTime(s.time),
      flags: s.tcp?.flags ?? 0,
      length: s.tcp?.payloadLength ?? 0,
      marks: [],
      leftState: leftToRight ? s.senderState : s.receiverState,
      rightState: leftToRight ? s.receiverState : s.senderState,
      ...(s.fate === 'lost' || s.fate === 'too-big' || s.fate === 'queue-full' || s.fate === 'closed' ? { lost: true } : {}),
      ...(note !== '' ? { note } : {}),
      ...(caption !== undefined ? { caption } : {}),
    };
  });
  return { title: '', caption: '', left: o.left, right: o.right, timeAt: 'sender', timeHeading: 'time/ms', rows, omitted: 0 };
}

/**
 * The ladder diagram: time on the left, then A's state, A's bar, the arrow, B's bar and B's state
 * (the shared text renderer of src/analyze/ladder.ts).
 *
 *      time/ms  state        A                                   B  state
 *        0.000  SYN-SENT     |---- SYN, seq=66 ---------------->|  LISTEN
 */
export function ladder(segments: readonly TraceSegment[], o: LadderOptions): string[] {
  return renderLadderText(ladderModel(segments, o), { frameColumn: false, ...(o.width !== undefined ? { arrowWidth: o.width } : {}) });
}

/** The segment as a plain JSON value (no bytes). */
export function segmentJson(s: TraceSegment): Record<string, unknown> {
  const t = s.tcp;
  return {
    index: s.index,
    time: s.time,
    ...(s.arrival !== undefined ? { arrival: s.arrival } : {}),
    from: s.from,
    to: s.to,
    src: s.src,
    dst: s.dst,
    fate: s.fate,
    ...(s.reordered ? { reordered: true } : {}),
    ...(s.ceMarked === true ? { ceMarked: true } : {}),
    phase: s.phase,
    senderState: s.senderState,
    receiverState: s.receiverState,
    line: lectureLine(s),
    tcpdump: tcpdumpLine(s),
    ...(t !== undefined
      ? {
          srcPort: t.srcPort,
          dstPort: t.dstPort,
          flags: flagNames(t.flags),
          seq: t.seq,
          ack: t.ack,
          window: t.window,
          length: t.payloadLength,
          options: t.options.map(tcpOptionToString),
        }
      : {}),
    bytes: s.packet.length,
  };
}

export function flagNames(flags: number): string[] {
  const out: string[] = [];
  for (const [name, bit] of Object.entries(TcpFlag)) if (flags & bit) out.push(name);
  return out;
}
