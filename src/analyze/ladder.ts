/**
 * Ladder (sequence) diagrams: a renderer-independent model of one exchange — two columns, one row
 * per segment with its frame, sender, label (flags, seq/ack, payload length), time and anomaly
 * marks — built from a connection of the tracker (`ladderFromConnection`) or from any list of rows
 * (the demo's simulated traces build theirs in src/stack/trace.ts), and the text renderer for
 * terminals. The SVG renderer is in ladder-svg.ts; the browser UI can draw the same model.
 *
 * Languages: every human-language word comes from the ladder catalogue (i18n/ladder.ts) in the
 * model's `lang` (en, de, sv, ja; 'en' when absent). The model's own texts are written in it when
 * it is built; the renderers write their headings and notes in it. Protocol tokens (SYN, ACK,
 * seq=, ack=, len=) stay as tcpdump prints them in every locale.
 *
 * Times are only true where the capture was taken: the model says which side that is
 * (`timeAt`), and a caption line says it in words.
 *
 * Invariants: the model has exactly one row per segment, in capture order; a row's marks are
 * exactly the verdicts the tracker gave its frame. The text renderer never writes a line wider
 * than the width it is given (when one is given and it is at least `MIN_TEXT_WIDTH`), measured in
 * terminal columns (East Asian wide characters take two, i18n/width.ts): labels are shortened with
 * "…" and marks move to a line of their own when they do not fit. Browser-safe.
 */
import { ANOMALY_KINDS, type AnomalyKind } from './anomalies.js';
import type { ConnectionRecord, ConnFrame } from './conns.js';
import { type CaptureBasis, ladderText, markLabel } from './i18n/ladder.js';
import { MARK_WORDS } from './i18n/ladder-en.js';
import type { Lang } from './i18n/types.js';
import { clipToWidth, displayWidth, padEndToWidth, padStartToWidth, wrapToWidth } from './i18n/width.js';
import { tcpFlagNameList } from './summary.js';

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
  /** "retransmission", "dup ACK?" (a trailing "?" when only suspected), in the model's language. */
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
  /** The language of the model's words, and of the renderers' headings and notes (default 'en'). */
  readonly lang?: Lang;
  readonly title: string;
  readonly left: LadderHost;
  readonly right: LadderHost;
  /** Where the capture was taken, and so where times are true, in words. */
  readonly caption: string;
  /** What the label notation means (a line under the caption; none when absent or ''). */
  readonly legend?: string;
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

/** Short English labels for anomaly marks, in tshark's words (`markLabel(lang, kind)` for the others). */
export const MARK_LABEL: Readonly<Record<AnomalyKind, string>> = MARK_WORDS;

/** "SYN,ACK" (SYN, FIN, RST first, then the rest; "none" without flags). */
export function flagText(flags: number): string {
  const names = tcpFlagNameList(flags);
  return names.length === 0 ? 'none' : names.join(',');
}

function endpointText(e: { readonly ip: string; readonly port: number }): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

export interface LadderFromConnectionOptions {
  /** Sequence and acknowledgment numbers relative to each side's ISN (default: absolute, as in the frames). */
  readonly relative?: boolean;
  /** The language of the diagram's words (default 'en'). */
  readonly lang?: Lang;
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

function captionOf(rec: ConnectionRecord, lang: Lang): string {
  const p = rec.capture.point;
  const basis = rec.capture.reason;
  return p === 'unknown' ? ladderText(lang, 'caption.unknown', { basis }) : ladderText(lang, 'caption.at', { point: p, basis });
}

/**
 * Phase rules of a captured connection, as the seed article divides its frames: establishing the
 * connection (from the first row when it is a SYN), data transfer (the first row with data after
 * that), terminating the connection (the first FIN or RST). Row index -> caption.
 */
function phasesOf(frames: readonly ConnFrame[], lang: Lang): Map<number, string> {
  const out = new Map<number, string>();
  const closeAt = frames.findIndex((f) => (f.flags & 0x005) !== 0);
  const end = closeAt < 0 ? frames.length : closeAt;
  if ((frames[0]?.flags ?? 0) & 0x002) out.set(0, ladderText(lang, 'phase.open', {}));
  const dataAt = frames.findIndex((f, i) => i < end && f.length > 0 && (f.flags & 0x002) === 0);
  if (dataAt >= 0) out.set(dataAt, ladderText(lang, 'phase.data', {}));
  if (closeAt >= 0 && !out.has(closeAt)) out.set(closeAt, ladderText(lang, 'phase.close', {}));
  return out;
}

/**
 * The ladder of one connection of the tracker (it needs `keepFrames`): the client on the left,
 * the server on the right, one row per kept frame.
 */
export function ladderFromConnection(rec: ConnectionRecord, options: LadderFromConnectionOptions = {}): LadderModel {
  const lang = options.lang ?? 'en';
  const frames = rec.frames ?? [];
  const start = frames[0]?.time ?? rec.start;
  const isn = rec.isn;
  const phases = phasesOf(frames, lang);
  const rows: LadderRow[] = frames.map((f, i) => {
    const fromClient = f.from === 'client';
    const base =
      options.relative === true
        ? { seq: (fromClient ? isn.client : isn.server) ?? 0, ack: (fromClient ? isn.server : isn.client) ?? 0 }
        : undefined;
    const marks: LadderMark[] = [];
    for (const k of ANOMALY_KINDS) {
      const v = f.anomalies.find((a) => a.kind === k);
      if (v !== undefined) marks.push({ kind: k, suspected: v.suspected, label: markLabel(lang, k, v.suspected) });
    }
    const t = Math.max(0, f.time - start);
    const caption = phases.get(i);
    return {
      frame: f.frame,
      from: fromClient ? 'left' : 'right',
      label: segmentLabel(f, base),
      time: t,
      timeText: (t * 1000).toFixed(3),
      flags: f.flags,
      length: f.length,
      marks,
      ...(caption !== undefined ? { caption } : {}),
    };
  });
  const kept = rec.sent.client.packets + rec.sent.server.packets;
  const client = endpointText(rec.client);
  const server = endpointText(rec.server);
  return {
    lang,
    title: ladderText(lang, 'title', { id: rec.id, client, server, first: rec.firstFrame, last: rec.lastFrame, relative: options.relative === true }),
    left: { name: ladderText(lang, 'host.client', {}), label: client },
    right: { name: ladderText(lang, 'host.server', {}), label: server },
    caption: captionOf(rec, lang),
    legend: ladderText(lang, 'legend', {}),
    timeAt: rec.capture.point === 'client' ? 'left' : rec.capture.point === 'server' ? 'right' : null,
    timeHeading: ladderText(lang, 'head.time', {}),
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
  /** Print the model's legend (default true; a command printing many diagrams prints it once). */
  readonly legend?: boolean;
}

/** The shaft between the two bars, `inner` columns (the label shortened when it does not fit). */
function arrowText(label: string, inner: number, right: boolean, lost: boolean): string {
  const room = Math.max(1, inner - 7);
  const text = ` ${clipToWidth(label, room)} `;
  const textW = displayWidth(text);
  const fill = Math.max(2, inner - 3 - textW);
  const shaft = right ? `--${text}${'-'.repeat(fill)}>` : `<${'-'.repeat(fill)}${text}--`;
  if (!lost) return shaft;
  // The arrow stops in the middle of the link: "X" where the packet died. Only the dashes after
  // (or before) the text are cut, so the cut never splits a wide character.
  const shaftW = textW + fill + 3;
  const keep = Math.max(textW + 3, Math.floor(shaftW * 0.6));
  const cut = shaftW - keep;
  if (right) return `--${text}${'-'.repeat(Math.max(0, fill + 1 - cut))}X${' '.repeat(Math.max(0, cut - 1))}`;
  return `${' '.repeat(Math.max(0, cut - 1))}X${'-'.repeat(Math.max(0, fill + 1 - cut))}${text}--`;
}

/**
 * The diagram as text lines: a title, caption and legend, the column headings, then one line per
 * segment: frame, time, (states,) the arrow between the two bars, anomaly marks or a note after it.
 * Headings and the note on omitted segments are in the model's language.
 *
 *     frame       ms  client                                    server
 *                     131.107.2.214:1037               131.107.2.211:139
 *         1    0.000  |-- SYN seq=8221822 ------------------------->|
 *         2    0.100  |<------------- SYN,ACK seq=1109645 ack=8221823 --|
 */
export function renderLadderText(model: LadderModel, options: LadderTextOptions = {}): string[] {
  const lang = model.lang ?? 'en';
  const width = options.width === undefined ? undefined : Math.max(MIN_TEXT_WIDTH, options.width);
  const frameCol = options.frameColumn ?? true;
  const rows = model.rows;
  const frameHead = ladderText(lang, 'head.frame', {});
  const stateHead = ladderText(lang, 'head.state', {});
  const frameW = frameCol ? Math.max(5, displayWidth(frameHead), ...rows.map((r) => String(r.frame).length)) : 0;
  const timeW = Math.max(displayWidth(model.timeHeading), 7, ...rows.map((r) => displayWidth(r.timeText)));
  const states = rows.some((r) => r.leftState !== undefined || r.rightState !== undefined);
  const stateW = states ? Math.max(5, displayWidth(stateHead), ...rows.map((r) => displayWidth(r.leftState ?? ''))) : 0;
  const lead = (frameCol ? frameW + 1 : 0) + timeW + 2 + (states ? stateW + 1 : 0);
  const after = (r: LadderRow): string => {
    const parts: string[] = [];
    if (r.rightState !== undefined) parts.push(r.rightState);
    const tail: string[] = [];
    if (r.marks.length > 0) tail.push(`! ${r.marks.map((m) => m.label).join(', ')}`);
    if (r.note !== undefined && r.note !== '') tail.push(`(${r.note})`);
    return [...parts, ...(tail.length > 0 ? [(parts.length > 0 ? ' ' : '') + tail.join(' ')] : [])].join('  ');
  };
  const longest = Math.max(0, ...rows.map((r) => displayWidth(r.label)));
  let inner: number;
  if (width === undefined) inner = Math.max(12, (options.arrowWidth ?? Math.max(56, longest + 10)) - 2);
  else {
    // Room for the bars and, when it fits, the longest text after the right bar.
    const tail = Math.max(0, ...rows.map((r) => displayWidth(after(r))));
    const natural = Math.max(longest + 8, 20);
    inner = Math.max(12, Math.min(natural, width - lead - 2 - (tail > 0 ? tail + 2 : 0)));
    if (inner < Math.min(natural, 30)) inner = Math.max(12, width - lead - 2);
  }
  const lines: string[] = [];
  const fit = (s: string): string => (width === undefined ? s : clipToWidth(s, width));
  const pushWrapped = (text: string): void => {
    if (width === undefined) lines.push(text);
    else lines.push(...wrapToWidth(text, width));
  };
  if (model.title !== '') pushWrapped(model.title);
  if (model.caption !== '') pushWrapped(model.caption);
  if (options.legend !== false && model.legend !== undefined && model.legend !== '') pushWrapped(model.legend);
  if (model.omitted > 0) pushWrapped(ladderText(lang, 'omitted', { omitted: model.omitted, kept: rows.length }));
  const pad = ' '.repeat(lead);
  const head = `${frameCol ? `${padStartToWidth(frameHead, frameW)} ` : ''}${padStartToWidth(model.timeHeading, timeW)}  ${states ? `${padEndToWidth(stateHead, stateW)} ` : ''}`;
  // The left heading starts over the left bar; the right one over the right bar, or, when that
  // would run past the width, ends over it.
  const names = (a: string, b: string): string => {
    let gap = inner + 2 - displayWidth(a);
    if (width !== undefined && lead + inner + 2 + displayWidth(b) > width) gap = inner + 2 - displayWidth(a) - displayWidth(b);
    return gap >= 1 ? `${a}${' '.repeat(gap)}${b}` : `${a} ${b}`;
  };
  lines.push(fit(`${head}${names(model.left.name, model.right.name)}${states ? `  ${stateHead}` : ''}`.trimEnd()));
  lines.push(fit(`${pad}${names(model.left.label, model.right.label)}`.trimEnd()));
  for (const r of rows) {
    if (r.caption !== undefined) lines.push(fit(`${pad}${`- - ${r.caption} - -`}`));
    const frame = frameCol ? `${String(r.frame).padStart(frameW)} ` : '';
    const st = states ? `${padEndToWidth(r.leftState ?? '', stateW)} ` : '';
    const body = `|${arrowText(r.label, inner, r.from === 'left', r.lost === true)}|`;
    const line = `${frame}${padStartToWidth(r.timeText, timeW)}  ${st}${body}`;
    const tail = after(r);
    if (tail === '') lines.push(width === undefined ? line : fit(line));
    else if (width === undefined || displayWidth(line) + 2 + displayWidth(tail) <= width) lines.push(`${line}  ${tail}`);
    else {
      lines.push(fit(line));
      for (const l of wrapToWidth(tail, Math.max(10, width - lead - 2))) lines.push(`${pad}  ${l}`);
    }
  }
  return lines;
}
