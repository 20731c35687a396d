/**
 * `synack explain FILE [--lang en|de|sv|ja] [--conn ID] [--json]`: a capture explained in plain
 * language, connection by connection and frame by frame (src/analyze/explain.ts), in English,
 * German, Swedish or Japanese. Text is wrapped to the terminal (or --width); --json prints one
 * JSON object per connection with its items (section, frame, message id, parameters, text) for
 * the browser UI and other programs.
 *
 * Streams the file: each connection is printed when the tracker is done with it. A damaged file
 * prints what was explained before the damage, then one error line naming the byte offset, and
 * exits 2.
 */
import { CONTINUES, type ConnectionExplanation, Explainer, type ExplainItem } from '../analyze/explain.js';
import { isLang, type Lang, langFromEnv, LANGS } from '../analyze/i18n/index.js';
import { displayWidth as textWidth } from '../analyze/i18n/width.js';
import { feedCapture } from './capture-input.js';
import { EXIT, LineWriter, parseFileCommand, usageError } from './output.js';

const USAGE = `usage: synack explain FILE [options]

Explains a capture in plain language: each TCP connection's handshake and close frame by frame,
its data transfer in runs, every anomaly where it happens, and a summary.

options:
      --lang L         en (default), de, sv or ja (default from LANG when it names one of them)
      --conn ID        only the connection with this id (as 'synack conns' numbers them)
      --json           one JSON object per connection: items with frame, message id, params, text
      --width N        wrap text at N columns (default: the terminal's width, or 100)
      --no-checksums   do not verify TCP checksums
  -h, --help           this text`;

export async function main(argv: string[]): Promise<number> {
  const args = parseFileCommand('explain', USAGE, argv, {
    lang: { type: 'string' },
    conn: { type: 'string' },
    json: { type: 'boolean' },
    width: { type: 'string' },
    'no-checksums': { type: 'boolean' },
  });
  if (args === undefined) return EXIT.OK;
  const { file, values } = args;
  const lang = langOption(values.lang);
  let conn: number | undefined;
  if (values.conn !== undefined) {
    conn = Number(values.conn);
    if (!Number.isInteger(conn) || conn < 0) throw usageError(`--conn wants a connection id (0, 1, ...), got '${values.conn}'`);
  }
  let width = process.stdout.isTTY === true && process.stdout.columns > 0 ? process.stdout.columns : 100;
  if (values.width !== undefined) {
    width = Number(values.width);
    if (!Number.isInteger(width) || width < 20) throw usageError(`--width wants a number of columns >= 20, got '${values.width}'`);
  }
  const json = values.json === true;
  const out = new LineWriter();
  let count = 0;
  const explainer = new Explainer({
    lang,
    ...(conn !== undefined ? { conn } : {}),
    verifyChecksums: values['no-checksums'] !== true,
    onConnection: (e) => {
      if (json) out.line(JSON.stringify(jsonOf(e, lang)));
      else {
        if (count > 0) out.line('');
        for (const l of textOf(e, width)) out.line(l);
      }
      count++;
    },
  });

  const fed = await feedCapture(file, (r) => explainer.push(r), () => out.flush());
  if (fed.unreadable !== undefined) {
    process.stderr.write(fed.unreadable + '\n');
    return EXIT.BAD_INPUT;
  }
  explainer.end();
  if (count === 0 && !json) out.line(conn !== undefined ? `no TCP connection with id ${conn}` : 'no TCP connections');
  await out.flush();
  if (fed.damage !== undefined) {
    process.stderr.write(fed.damage + '\n');
    return EXIT.BAD_INPUT;
  }
  return conn !== undefined && count === 0 ? EXIT.FAILURE : EXIT.OK;
}

/** LANG=de_DE.UTF-8 and the like pick the language when --lang is not given (shared with `synack ladder`). */
export function defaultLang(): Lang {
  return langFromEnv(process.env);
}

/** The value of --lang, or the language of the environment without it; a usage error when it names none of ours. */
export function langOption(value: string | undefined): Lang {
  if (value === undefined) return defaultLang();
  if (!isLang(value)) throw usageError(`--lang wants one of ${LANGS.join(', ')}, got '${value}'`);
  return value;
}

/** The JSON form: the connection, then its items with their parameters (the UI renders them). */
export function jsonOf(e: ConnectionExplanation, lang: Lang): Record<string, unknown> {
  const r = e.record;
  return {
    conn: e.id,
    lang,
    client: r.client,
    server: r.server,
    firstFrame: r.firstFrame,
    lastFrame: r.lastFrame,
    capture: r.capture,
    items: e.items.map((i) => ({
      section: i.section,
      frame: i.frame,
      ...(i.lastFrame !== undefined ? { lastFrame: i.lastFrame } : {}),
      ...(i.frames !== undefined ? { frames: i.frames } : {}),
      id: i.id,
      params: i.params,
      text: i.text,
    })),
  };
}

/** The text form: the heading, the head paragraph, one paragraph per frame item, the summary. */
export function textOf(e: ConnectionExplanation, width: number): string[] {
  const lines: string[] = [];
  const bySection = (s: ExplainItem['section']): ExplainItem[] => e.items.filter((i) => i.section === s);
  const [title, ...head] = bySection('head');
  if (title !== undefined) lines.push(...wrap(title.text, width, '', '  '));
  for (const i of head) lines.push(...wrap(i.text, width, '  ', '  '));
  lines.push('');
  // One paragraph per frame: sentences about the same frame that do not name it again continue it.
  const paragraphs: { frame: number | null; text: string }[] = [];
  for (const i of bySection('frames')) {
    const last = paragraphs.at(-1);
    if (last !== undefined && i.frame === last.frame && CONTINUES.has(i.id)) last.text += spaceFor(i.text) + i.text;
    else paragraphs.push({ frame: i.frame, text: i.text });
  }
  paragraphs.forEach((p, k) => {
    if (k > 0) lines.push('');
    lines.push(...wrap(p.text, width, '  ', '    '));
  });
  lines.push('');
  const summary = bySection('summary');
  if (summary.length > 0) lines.push(...wrap(summary.map((i) => i.text).join(spaceFor(summary[0]?.text ?? '')), width, '  ', '  '));
  return lines;
}

/** Japanese sentences are joined without a space. */
function spaceFor(text: string): string {
  return /[\u3040-\u30ff\u4e00-\u9fff]/u.test(text) ? '' : ' ';
}

const UNITS = new Set(['µs', 'ms', 's', 'byte', 'bytes', 'Byte', 'Bytes', '%']);
/** Characters that must not begin a line (Japanese line breaking, simplified). */
const NO_START = /^[、。，．）」』】・ー…:;,.)\]]/u;

/**
 * Greedy word wrap by display width: Latin text breaks at spaces, Japanese between any two
 * characters (never before closing punctuation). A word longer than the line stays whole.
 */
export function wrap(text: string, width: number, first: string, rest: string): string[] {
  const tokens: string[] = [];
  for (const m of text.matchAll(/\s+|[^\s\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]+|./gu)) {
    const t = m[0];
    const last = tokens.length - 1;
    if (last >= 0 && NO_START.test(t) && !/^\s/u.test(tokens[last] ?? ' ')) tokens[last] += t;
    else tokens.push(t);
  }
  // A number stays on the line of its unit ("708,4 ms", "1448 bytes").
  for (let k = 0; k + 2 < tokens.length; k++) {
    if (/^[\d.,]+$/u.test(tokens[k] ?? '') && tokens[k + 1] === ' ' && UNITS.has((tokens[k + 2] ?? '').replace(/[.,:;)]+$/u, ''))) {
      tokens.splice(k, 3, `${tokens[k] ?? ''} ${tokens[k + 2] ?? ''}`);
    }
  }
  const out: string[] = [];
  let line = first;
  let lineWidth = textWidth(first);
  let empty = true;
  for (const t of tokens) {
    if (/^\s+$/u.test(t)) {
      if (!empty) {
        line += ' ';
        lineWidth += 1;
      }
      continue;
    }
    const w = textWidth(t);
    if (!empty && lineWidth + w > width) {
      out.push(line.trimEnd());
      line = rest;
      lineWidth = textWidth(rest);
    }
    line += t;
    lineWidth += w;
    empty = false;
  }
  out.push(line.trimEnd());
  return out;
}
