/**
 * The ladder diagram as a self-contained SVG document (ladder.ts builds the model): a light
 * background, monospace labels, the two hosts as vertical lines, one arrow per segment with its
 * label above it, the time and frame on the left, anomalies as a red dot on the arrow and a red
 * label on the right. When the capture point is known the arrows slant: they touch the capturing
 * side's line at their row's time and meet the other line one step earlier or later, so the
 * picture shows where the times are true. Each segment is a group with `data-frame` and a
 * `<title>` (hover text) naming its frame, so a UI can map it back to the capture.
 *
 * Words (headings, hover titles, the note on omitted segments) are in the model's language
 * (`model.lang`, default 'en'), each diagram's group carries it as `xml:lang`, and the font list
 * ends in Japanese-capable fonts before the generic monospace. Text is measured in monospace columns
 * (East Asian wide characters take two, i18n/width.ts), so Japanese labels are sized like the rest.
 *
 * Invariants: well-formed XML (every text escaped, no external references); exactly one
 * `line.arrow` per row and one `circle.mark` per row with anomalies; no text is wider than the
 * room it is given, at CHAR pixels a column (a wide character is at most 2 * CHAR in the fonts
 * listed). Browser-safe.
 */
import { ladderText } from './i18n/ladder.js';
import { clipToWidth, displayWidth, wrapToWidth } from './i18n/width.js';
import type { LadderModel, LadderRow } from './ladder.js';

export interface LadderSvgOptions {
  /** Width of the drawing in pixels (default 820). */
  readonly width?: number;
}

const ROW = 34;
const SLANT = 12;
const FONT = 11;
const CHAR = 6.7;
const INK = '#222';
const MUTED = '#666';
const RED = '#c62828';
const BLUE = '#1f5fa8';
/** Monospace fonts, then fonts with Japanese glyphs (IPAGothic is what CI installs), then the generic family. */
const FONTS = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', 'IPAGothic', 'IPAexGothic', 'Noto Sans Mono CJK JP', 'Noto Sans CJK JP', 'MS Gothic', monospace";

function esc(s: string): string {
  return s.replace(/&/gu, '&amp;').replace(/</gu, '&lt;').replace(/>/gu, '&gt;').replace(/"/gu, '&quot;').replace(/'/gu, '&apos;');
}

function num(x: number): string {
  return (Math.round(x * 10) / 10).toString();
}

/** Start and end of a row's arrow: the capturing side's end sits on the row's line. */
function ends(model: LadderModel, r: LadderRow, y: number, xL: number, xR: number): { x1: number; y1: number; x2: number; y2: number } {
  const right = r.from === 'left';
  const [x1, x2] = right ? [xL, xR] : [xR, xL];
  const at = model.timeAt;
  if (at === null) return { x1, y1: y, x2, y2: y };
  if (at === 'sender') return { x1, y1: y - SLANT / 2, x2, y2: y + SLANT / 2 };
  // Sent from the capturing side: leaves at its time, arrives later; towards it: arrived at its time.
  const fromCapture = (at === 'left') === (r.from === 'left');
  return fromCapture ? { x1, y1: y, x2, y2: y + SLANT } : { x1, y1: y - SLANT, x2, y2: y };
}

function kindColor(r: LadderRow): string {
  if (r.marks.length > 0) return RED;
  if ((r.flags & 0x007) !== 0) return BLUE;
  return INK;
}

/** One diagram at vertical offset `top` (with its legend or not); returns its SVG elements and height. */
function diagram(model: LadderModel, top: number, width: number, legend: boolean): { body: string[]; height: number } {
  const lang = model.lang ?? 'en';
  const body: string[] = [];
  const chars = Math.floor((width - 24) / CHAR);
  let y = top + 20;
  // Bold text is a little wider: the title gets 5 % less room.
  body.push(`<text class="title" x="12" y="${num(y)}" font-weight="bold">${esc(clipToWidth(model.title, Math.floor(chars * 0.95)))}</text>`);
  const notes: [string, string][] = [];
  for (const l of wrapToWidth(model.caption, chars)) notes.push(['caption', l]);
  if (legend && model.legend !== undefined && model.legend !== '') for (const l of wrapToWidth(model.legend, chars)) notes.push(['legend', l]);
  if (model.omitted > 0) for (const l of wrapToWidth(ladderText(lang, 'omitted', { omitted: model.omitted, kept: model.rows.length }), chars)) notes.push(['caption', l]);
  for (const [cls, l] of notes) {
    y += 15;
    body.push(`<text class="${cls}" x="12" y="${num(y)}" fill="${MUTED}">${esc(l)}</text>`);
  }
  const labelChars = Math.max(...model.rows.map((r) => displayWidth(r.label)), 12);
  const markChars = Math.min(30, Math.max(0, ...model.rows.map((r) => displayWidth(r.marks.map((m) => m.label).join(', ')))));
  const xL = 230;
  const xTime = 150;
  const xR = Math.max(xL + 120, Math.min(width - 20 - markChars * CHAR, xL + labelChars * CHAR + 60));
  y += 26;
  body.push(`<text x="12" y="${num(y)}" fill="${MUTED}">${esc(clipToWidth(ladderText(lang, 'head.frame', {}), Math.floor((xTime - 12) / CHAR) - 8))}</text>`);
  body.push(`<text x="${xTime}" y="${num(y)}" fill="${MUTED}" text-anchor="end">${esc(model.timeHeading)}</text>`);
  // Host names and addresses are centred on their lines (at most the gap between the lines wide),
  // moved inwards when the drawing's edge would cut them (bold text counts 10 % wider).
  const hostChars = Math.max(8, Math.floor((xR - xL - 12) / CHAR));
  const centred = (x: number, text: string, bold: boolean, cls: string): string => {
    const half = (displayWidth(text) * CHAR * (bold ? 1.1 : 1)) / 2;
    const cx = Math.max(8 + half, Math.min(width - 8 - half, x));
    return `<text${cls} x="${num(cx)}" y="${num(y)}" text-anchor="middle"${bold ? ' font-weight="bold"' : ` fill="${MUTED}"`}>${esc(text)}</text>`;
  };
  body.push(centred(xL, clipToWidth(model.left.name, hostChars), true, ' class="host"'));
  body.push(centred(xR, clipToWidth(model.right.name, hostChars), true, ' class="host"'));
  y += 14;
  body.push(centred(xL, clipToWidth(model.left.label, hostChars), false, ''));
  body.push(centred(xR, clipToWidth(model.right.label, hostChars), false, ''));
  const lineTop = y + 8;
  y += 8 + ROW;
  const rows: string[] = [];
  const maxLabel = Math.max(8, Math.floor((xR - xL - 16) / CHAR));
  const maxMarks = Math.max(8, Math.floor((width - xR - 20) / CHAR));
  for (const r of model.rows) {
    if (r.caption !== undefined) {
      rows.push(`<text class="phase" x="${num((xL + xR) / 2)}" y="${num(y - ROW / 2 + 4)}" text-anchor="middle" fill="${MUTED}">${esc(`— ${clipToWidth(r.caption, maxLabel - 4)} —`)}</text>`);
      y += ROW;
    }
    const { x1, y1, x2, y2 } = ends(model, r, y, xL, xR);
    const color = kindColor(r);
    const dx = x2 - x1;
    const dy = y2 - y1;
    const len = Math.hypot(dx, dy);
    const ux = dx / len;
    const uy = dy / len;
    // A lost segment stops 60 % of the way with a cross.
    const tx = r.lost === true ? x1 + dx * 0.6 : x2;
    const ty = r.lost === true ? y1 + dy * 0.6 : y2;
    const [fromHost, toHost] = r.from === 'left' ? [model.left.name, model.right.name] : [model.right.name, model.left.name];
    const title = ladderText(lang, 'row.title', {
      frame: r.frame,
      time: r.timeText,
      unit: model.timeHeading,
      from: fromHost,
      to: toHost,
      label: r.label,
      marks: r.marks.map((m) => m.label),
      note: r.note !== undefined && r.note !== '' ? r.note : null,
    });
    const g: string[] = [`<g class="segment" data-frame="${r.frame}">`, `<title>${esc(title)}</title>`];
    g.push(`<rect x="8" y="${num(y - ROW / 2)}" width="${width - 16}" height="${ROW}" fill="transparent"/>`);
    g.push(`<text x="12" y="${num(y + 4)}" fill="${MUTED}">${r.frame}</text>`);
    g.push(`<text x="${xTime}" y="${num(y + 4)}" fill="${MUTED}" text-anchor="end">${esc(r.timeText)}</text>`);
    g.push(`<line class="arrow" x1="${num(x1)}" y1="${num(y1)}" x2="${num(tx)}" y2="${num(ty)}" stroke="${color}" stroke-width="1.4"/>`);
    if (r.lost === true) {
      g.push(`<path d="M${num(tx - 5)} ${num(ty - 5)}L${num(tx + 5)} ${num(ty + 5)}M${num(tx - 5)} ${num(ty + 5)}L${num(tx + 5)} ${num(ty - 5)}" stroke="${RED}" stroke-width="2"/>`);
    } else {
      const hx = x2 - ux * 9;
      const hy = y2 - uy * 9;
      g.push(`<polygon points="${num(x2)},${num(y2)} ${num(hx - uy * 4)},${num(hy + ux * 4)} ${num(hx + uy * 4)},${num(hy - ux * 4)}" fill="${color}"/>`);
    }
    g.push(`<text class="label" x="${num((xL + xR) / 2)}" y="${num((y1 + y2) / 2 - 6)}" text-anchor="middle" fill="${color}">${esc(clipToWidth(r.label, maxLabel))}</text>`);
    if (r.leftState !== undefined) g.push(`<text x="${xL - 6}" y="${num(y - 8)}" text-anchor="end" fill="${MUTED}" font-size="9">${esc(r.leftState)}</text>`);
    if (r.rightState !== undefined) g.push(`<text x="${xR + 6}" y="${num(y - 8)}" fill="${MUTED}" font-size="9">${esc(r.rightState)}</text>`);
    if (r.marks.length > 0) {
      // On the arrow near its start, clear of the label in the middle.
      const mx = x1 + (x2 - x1) * 0.12;
      const my = y1 + (y2 - y1) * 0.12;
      g.push(`<circle class="mark" data-frame="${r.frame}" cx="${num(mx)}" cy="${num(my)}" r="4" fill="${RED}"/>`);
      g.push(`<text class="mark-label" x="${xR + 10}" y="${num(y + 4)}" fill="${RED}">${esc(clipToWidth(r.marks.map((m) => m.label).join(', '), maxMarks))}</text>`);
    } else if (r.note !== undefined && r.note !== '') {
      g.push(`<text x="${xR + 10}" y="${num(y + 4)}" fill="${MUTED}">${esc(clipToWidth(r.note, maxMarks))}</text>`);
    }
    g.push('</g>');
    rows.push(g.join(''));
    y += ROW;
  }
  const lineBottom = y - ROW / 2;
  body.push(`<line class="host-line" x1="${xL}" y1="${num(lineTop)}" x2="${xL}" y2="${num(lineBottom)}" stroke="${MUTED}" stroke-width="2"/>`);
  body.push(`<line class="host-line" x1="${xR}" y1="${num(lineTop)}" x2="${xR}" y2="${num(lineBottom)}" stroke="${MUTED}" stroke-width="2"/>`);
  body.push(...rows);
  return { body, height: lineBottom - top + 16 };
}

/** One SVG document with the diagrams one below the other (the legend under the first one's caption). */
export function renderLadderSvg(models: readonly LadderModel[], options: LadderSvgOptions = {}): string {
  const width = Math.max(480, Math.round(options.width ?? 820));
  const parts: string[] = [];
  let top = 0;
  for (const [i, m] of models.entries()) {
    const d = diagram(m, top, width, i === 0);
    parts.push(`<g class="ladder" xml:lang="${m.lang ?? 'en'}">`, ...d.body, '</g>');
    top += d.height + 12;
  }
  const height = Math.max(40, Math.ceil(top));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONTS}" font-size="${FONT}">`,
    `<rect class="background" x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
