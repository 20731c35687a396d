/**
 * Ladder (sequence) diagrams: a renderer-independent model of one exchange — two columns, one row
 * per segment with its frame, sender, label (flags, seq/ack, payload length), time and anomaly
 * marks — built from a connection of the tracker (`ladderFromConnection`) or from any list of rows
 * (the demo's simulated traces build theirs in src/stack/trace.ts), and the text renderer for
 * terminals. The SVG renderer is in ladder-svg.ts; the browser UI can draw the same model.
 *
 * Times are only true where the capture was taken: the model says which side that is
 * (`timeAt`), and a caption line says it in words.
 *
 * Invariants: the model has exactly one row per segment, in capture order; a row's marks are
 * exactly the verdicts the tracker gave its frame. The text renderer never writes a line wider
 * than the width it is given (when one is given and it is at least `MIN_TEXT_WIDTH`): labels are
 * shortened with "…" and marks move to a line of their own when they do not fit. Browser-safe.
 */
import { ANOMALY_KINDS, type AnomalyKind } from './anomalies.js';
import type { ConnectionRecord, ConnFrame } from './conns.js';

export type LadderSide = 'left' | 'right';

export interface LadderHost {
  /** Column heading ("client", "A"). */
  readonly name: string;
  /** Address text under it ("131.107.2.214:1037"). */
  readonly label: string;
}

/** An anomaly on a row: the tracker's verdict and its short label. */
export interface LadderMark {
  readonly kind: AnomalyKind;
  readonly suspected: boolean;
  /** "retransmission", "dup ACK?" (a trailing "?" when only suspected). */
  readonly label: string;
}

export interface LadderRow {
  /** Frame number in the capture (the segment's index in a simulated trace). */
  readonly frame: number;
  readonly from: LadderSide;
  /** Flags, seq/ack and payload length: "SYN,ACK seq=1109645 ack=8221823". */
  readonly label: string;
  /** Seconds since the first row. */
  readonly time: number;
  /** The time column's text. */
  readonly timeText: string;
  readonly flags: number;
  readonly length: number;
  readonly marks: readonly LadderMark[];
  /** The segment never arrived (simulated links): the arrow stops half-way. */
  readonly lost?: boolean;
  /** A note after the row ("duplicated by the link"). */
  readonly note?: string;
  /** Each side's state when the segment was sent (simulated traces). */
  readonly leftState?: string;
  readonly rightState?: string;
  /** A phase title drawn as a rule above this row. */
  readonly caption?: string;
}

export interface LadderModel {
  readonly title: string;
  readonly left: LadderHost;
  readonly right: LadderHost;
  /** Where the capture was taken, and so where times are true, in words. */
  readonly caption: string;
  /**
   * The side whose clock the times are (arrows touch its line at their row's time and slant
   * towards the other side), 'sender' when each row's time is its sending time (simulations), or
   * null when unknown (arrows are drawn level).
   */
  readonly timeAt: LadderSide | 'sender' | null;
  /** Heading of the time column ("ms"). */
  readonly timeHeading: string;
  readonly rows: readonly LadderRow[];
  /** Segments of the connection not in `rows` (the tracker kept only the first ones). */
  readonly omitted: number;
}

/** Short labels for anomaly marks, in tshark's words. */
export const MARK_LABEL: Readonly<Record<AnomalyKind, string>> = {
  retransmission: 'retransmission',
  fastRetransmission: 'fast retransmission',
  spuriousRetransmission: 'spurious retransmission',
  outOfOrder: 'out-of-order',
  lostSegment: 'previous segment not captured',
  ackedUnseen: 'ACKed unseen segment',
  duplicateAck: 'dup ACK',
  zeroWindow: 'zero window',
  zeroWindowProbe: 'zero window probe',
  windowFull: 'window full',
  windowUpdate: 'window update',
  keepAlive: 'keep-alive',
  portReuse: 'port reuse',
  badChecksum: 'bad checksum',
  keepAliveAck: 'keep-alive ACK',
  zeroWindowProbeAck: 'zero window probe ACK',
};

const FLAG_NAMES: readonly [number, string][] = [
  [0x002, 'SYN'],
  [0x001, 'FIN'],
  [0x004, 'RST'],
  [0x008, 'PSH'],
  [0x010, 'ACK'],
  [0x020, 'URG'],
  [0x040, 'ECE'],
  [0x080, 'CWR'],
  [0x100, 'AE'],
];

/** "SYN,ACK" (SYN, FIN, RST first, then the rest; "none" without flags). */
export function flagText(flags: number): string {
  const names = FLAG_NAMES.filter(([bit]) => (flags & bit) !== 0).map(([, n]) => n);
  return names.length === 0 ? 'none' : names.join(',');
}

function endpointText(e: { readonly ip: string; readonly port: number }): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

export interface LadderFromConnectionOptions {
  /** Sequence and acknowledgment numbers relative to each side's ISN (default: absolute, as in the frames). */
  readonly relative?: boolean;
}

/** The label of a captured segment: flags, seq, ack (when ACK is set), payload length. */
export function segmentLabel(f: Pick<ConnFrame, 'flags' | 'seq' | 'ack' | 'length'>, base?: { readonly seq: number; readonly ack: number }): string {
  const seq = base === undefined ? f.seq : (f.seq - base.seq) >>> 0;
  const ack = base === undefined ? f.ack : (f.ack - base.ack) >>> 0;
  let s = `${flagText(f.flags)} seq=${seq}`;
  if ((f.flags & 0x010) !== 0) s += ` ack=${ack}`;
  if (f.length > 0) s += ` len=${f.length}`;
  return s;
}

function captionOf(rec: ConnectionRecord): string {
  const p = rec.capture.point;
  if (p === 'unknown') return `Capture point unknown (${rec.capture.basis}): times are true only where the capture was taken; arrows are drawn level.`;
  return `Captured at the ${p} (${rec.capture.basis}): times are the ${p}'s; arrows touch the ${p}'s line at their time.`;
}

/**
 * The ladder of one connection of the tracker (it needs `keepFrames`): the client on the left,
 * the server on the right, one row per kept frame.
 */
export function ladderFromConnection(rec: ConnectionRecord, options: LadderFromConnectionOptions = {}): LadderModel {
  const frames = rec.frames ?? [];
  const start = frames[0]?.time ?? rec.start;
  const isn = rec.isn;
  const rows: LadderRow[] = frames.map((f) => {
    const fromClient = f.from === 'client';
    const base =
      options.relative === true
        ? { seq: (fromClient ? isn.client : isn.server) ?? 0, ack: (fromClient ? isn.server : isn.client) ?? 0 }
        : undefined;
    const marks: LadderMark[] = [];
    for (const k of ANOMALY_KINDS) {
      const v = f.anomalies.find((a) => a.kind === k);
      if (v !== undefined) marks.push({ kind: k, suspected: v.suspected, label: `${MARK_LABEL[k]}${v.suspected ? '?' : ''}` });
    }
    const t = Math.max(0, f.time - start);
    return {
      frame: f.frame,
      from: fromClient ? 'left' : 'right',
      label: segmentLabel(f, base),
      time: t,
      timeText: (t * 1000).toFixed(3),
      flags: f.flags,
      length: f.length,
      marks,
    };
  });
  const kept = rec.sent.client.packets + rec.sent.server.packets;
  return {
    title: `Connection ${rec.id}: client ${endpointText(rec.client)}, server ${endpointText(rec.server)}, frames ${rec.firstFrame}–${rec.lastFrame}${options.relative === true ? ' (relative sequence numbers)' : ''}`,
    left: { name: 'client', label: endpointText(rec.client) },
    right: { name: 'server', label: endpointText(rec.server) },
    caption: captionOf(rec),
    timeAt: rec.capture.point === 'client' ? 'left' : rec.capture.point === 'server' ? 'right' : null,
    timeHeading: 'ms',
    rows,
    omitted: Math.max(0, kept - rows.length),
  };
}

// ---- text ---------------------------------------------------------------------------------------

/** The narrowest width the text renderer can honour. */
export const MIN_TEXT_WIDTH = 40;

export interface LadderTextOptions {
  /** Total line width to fit (columns); without it the arrows get a natural width (56 or more). */
  readonly width?: number;
  /** A frame number column on the left (default true). */
  readonly frameColumn?: boolean;
  /** Without `width`: the arrow's width between the bars included (default 56, or wider for long labels). */
  readonly arrowWidth?: number;
}

/** The shaft between the two bars, `inner` characters (the label shortened when it does not fit). */
function arrowText(label: string, inner: number, right: boolean, lost: boolean): string {
  const room = Math.max(1, inner - 7);
  const shown = label.length > room ? `${label.slice(0, Math.max(0, room - 1))}…` : label;
  const text = ` ${shown} `;
  const fill = Math.max(2, inner - 3 - text.length);
  let shaft = right ? `--${text}${'-'.repeat(fill)}>` : `<${'-'.repeat(fill)}${text}--`;
  if (lost) {
    // The arrow stops in the middle of the link: "X" where the packet died.
    const keep = Math.max(text.length + 3, Math.floor(shaft.length * 0.6));
    shaft = right ? `${shaft.slice(0, keep)}X`.padEnd(shaft.length) : `X${shaft.slice(shaft.length - keep)}`.padStart(shaft.length);
  }
  return shaft;
}

/** Words of `text` in lines of at most `width` columns (a longer word is cut). */
function wrapWords(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/u)) {
    if (word === '') continue;
    let w = word;
    while (w.length > width) {
      if (line !== '') {
        out.push(line);
        line = '';
      }
      out.push(w.slice(0, width));
      w = w.slice(width);
    }
    if (line === '') line = w;
    else if (line.length + 1 + w.length <= width) line += ` ${w}`;
    else {
      out.push(line);
      line = w;
    }
  }
  if (line !== '') out.push(line);
  return out;
}

function clip(s: string, width: number): string {
  return s.length <= width ? s : `${s.slice(0, Math.max(0, width - 1))}…`;
}

/**
 * The diagram as text lines: a title and caption, the column headings, then one line per segment:
 * frame, time, (states,) the arrow between the two bars, anomaly marks or a note after it.
 *
 *     frame       ms  client                                    server
 *                     131.107.2.214:1037               131.107.2.211:139
 *         1    0.000  |-- SYN seq=8221822 ------------------------->|
 *         2    0.100  |<------------- SYN,ACK seq=1109645 ack=8221823 --|
 */
export function renderLadderText(model: LadderModel, options: LadderTextOptions = {}): string[] {
  const width = options.width === undefined ? undefined : Math.max(MIN_TEXT_WIDTH, options.width);
  const frameCol = options.frameColumn ?? true;
  const rows = model.rows;
  const frameW = frameCol ? Math.max(5, ...rows.map((r) => String(r.frame).length)) : 0;
  const timeW = Math.max(model.timeHeading.length, 7, ...rows.map((r) => r.timeText.length));
  const states = rows.some((r) => r.leftState !== undefined || r.rightState !== undefined);
  const stateW = states ? Math.max(5, ...rows.map((r) => (r.leftState ?? '').length)) : 0;
  const lead = (frameCol ? frameW + 1 : 0) + timeW + 2 + (states ? stateW + 1 : 0);
  const after = (r: LadderRow): string => {
    const parts: string[] = [];
    if (r.rightState !== undefined) parts.push(r.rightState);
    const tail: string[] = [];
    if (r.marks.length > 0) tail.push(`! ${r.marks.map((m) => m.label).join(', ')}`);
    if (r.note !== undefined && r.note !== '') tail.push(`(${r.note})`);
    return [...parts, ...(tail.length > 0 ? [(parts.length > 0 ? ' ' : '') + tail.join(' ')] : [])].join('  ');
  };
  const longest = Math.max(0, ...rows.map((r) => r.label.length));
  let inner: number;
  if (width === undefined) inner = Math.max(12, (options.arrowWidth ?? Math.max(56, longest + 10)) - 2);
  else {
    // Room for the bars and, when it fits, the longest text after the right bar.
    const tail = Math.max(0, ...rows.map((r) => after(r).length));
    const natural = Math.max(longest + 8, 20);
    inner = Math.max(12, Math.min(natural, width - lead - 2 - (tail > 0 ? tail + 2 : 0)));
    if (inner < Math.min(natural, 30)) inner = Math.max(12, width - lead - 2);
  }
  const lines: string[] = [];
  const fit = (s: string): string => (width === undefined ? s : clip(s, width));
  const pushWrapped = (text: string): void => {
    if (width === undefined) lines.push(text);
    else lines.push(...wrapWords(text, width));
  };
  if (model.title !== '') pushWrapped(model.title);
  if (model.caption !== '') pushWrapped(model.caption);
  if (model.omitted > 0) pushWrapped(`(${model.omitted} more segments not shown: only the first ${rows.length} were kept)`);
  const pad = ' '.repeat(lead);
  const head = `${frameCol ? `${'frame'.padStart(frameW)} ` : ''}${model.timeHeading.padStart(timeW)}  ${states ? `${'state'.padEnd(stateW)} ` : ''}`;
  const names = (a: string, b: string): string => {
    const gap = inner + 2 - a.length;
    return gap >= 1 ? `${a}${' '.repeat(gap)}${b}` : `${a} ${b}`;
  };
  lines.push(fit(`${head}${names(model.left.name, model.right.name)}${states ? '  state' : ''}`.trimEnd()));
  lines.push(fit(`${pad}${names(model.left.label, model.right.label)}`.trimEnd()));
  for (const r of rows) {
    if (r.caption !== undefined) lines.push(fit(`${pad}${`- - ${r.caption} - -`}`));
    const frame = frameCol ? `${String(r.frame).padStart(frameW)} ` : '';
    const st = states ? `${(r.leftState ?? '').padEnd(stateW)} ` : '';
    const body = `|${arrowText(r.label, inner, r.from === 'left', r.lost === true)}|`;
    const line = `${frame}${r.timeText.padStart(timeW)}  ${st}${body}`;
    const tail = after(r);
    if (tail === '') lines.push(line);
    else if (width === undefined || line.length + 2 + tail.length <= width) lines.push(`${line}  ${tail}`);
    else {
      lines.push(line);
      for (const l of wrapWords(tail, Math.max(10, width - lead - 2))) lines.push(`${pad}  ${l}`);
    }
  }
  return lines;
}
