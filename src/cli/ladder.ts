/**
 * `synack ladder FILE [--lang en|de|sv|ja] [--conn ID] [--svg OUT] [--width N] [--relative|--absolute]`:
 * the sequence diagram of each TCP connection of a capture (src/analyze/ladder.ts): client and
 * server columns, one arrow per segment with flags, seq/ack and payload length, the time at the
 * capture point, anomalies marked, and a caption saying where the capture was taken. Text for
 * terminals (fitted to the terminal or --width, in display columns), SVG for documents (--svg OUT,
 * '-' for standard output). Words in English, German, Swedish or Japanese (--lang, else LANG as
 * for `synack explain`); protocol tokens as tcpdump prints them.
 *
 * Streams the file: each connection's diagram is printed when the tracker is done with it. The
 * tracker keeps at most --max-frames frames per connection (default 5000); the caption says when
 * a diagram is cut. A damaged file draws what came before the damage and exits 2.
 */
import { writeFileSync } from 'node:fs';
import { ConnTracker } from '../analyze/conns.js';
import { ladderFromConnection, type LadderModel, MIN_TEXT_WIDTH, renderLadderText } from '../analyze/ladder.js';
import { renderLadderSvg } from '../analyze/ladder-svg.js';
import { langOption } from './explain.js';
import { feedCapture } from './capture-input.js';
import { EXIT, LineWriter, parseFileCommand, usageError } from './output.js';

const USAGE = `usage: synack ladder FILE [options]

Sequence diagrams of the TCP connections of a capture: one arrow per segment, with flags,
seq/ack, payload length and time; anomalies marked; the capture point in the caption.

options:
      --lang L          words in en (default), de, sv or ja (default from LANG when it names one
                        of them); for text and --svg alike; SYN, ACK, seq=, ack=, len= stay as is
      --conn ID         only the connection with this id (as 'synack conns' numbers them)
      --svg OUT         write an SVG document to OUT ('-' for standard output) instead of text
      --width N         text width in columns (default: the terminal's width, or 100)
      --relative        sequence numbers relative to each side's ISN
      --absolute        sequence numbers as in the frames (default)
      --max-frames N    frames kept per connection (default 5000)
      --max-svg N       connections drawn in one SVG without --conn (default 50)
  -h, --help            this text`;

export async function main(argv: string[]): Promise<number> {
  const args = parseFileCommand('ladder', USAGE, argv, {
    lang: { type: 'string' },
    conn: { type: 'string' },
    svg: { type: 'string' },
    width: { type: 'string' },
    relative: { type: 'boolean' },
    absolute: { type: 'boolean' },
    'max-frames': { type: 'string' },
    'max-svg': { type: 'string' },
  });
  if (args === undefined) return EXIT.OK;
  const { file, values } = args;
  if (values.relative === true && values.absolute === true) throw usageError('--relative and --absolute exclude each other');
  const int = (name: string, v: string | undefined, min: number): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw usageError(`--${name} wants an integer >= ${min}, got '${v}'`);
    return n;
  };
  const conn = int('conn', values.conn, 0);
  const maxFrames = int('max-frames', values['max-frames'], 1) ?? 5000;
  const maxSvg = int('max-svg', values['max-svg'], 1) ?? 50;
  const width = int('width', values.width, MIN_TEXT_WIDTH) ?? (process.stdout.isTTY === true && process.stdout.columns > 0 ? Math.max(MIN_TEXT_WIDTH, process.stdout.columns) : 100);
  const relative = values.relative === true;
  const lang = langOption(values.lang);
  const svgOut = values.svg;

  const out = new LineWriter();
  const models: LadderModel[] = [];
  let count = 0;
  let skippedSvg = 0;
  const tracker = new ConnTracker({
    keepFrames: maxFrames,
    onConnection: (c) => {
      if (conn !== undefined && c.id !== conn) return;
      count++;
      const model = ladderFromConnection(c, { relative, lang });
      if (svgOut !== undefined) {
        if (models.length < maxSvg) models.push(model);
        else skippedSvg++;
        return;
      }
      if (count > 1) out.line('');
      // The legend (what seq, ack, len and the marks mean) once, under the first diagram's caption.
      for (const l of renderLadderText(model, { width, legend: count === 1 })) out.line(l);
    },
  });

  const fed = await feedCapture(file, (r) => tracker.push(r), () => out.flush());
  if (fed.unreadable !== undefined) {
    process.stderr.write(fed.unreadable + '\n');
    return EXIT.BAD_INPUT;
  }
  tracker.end();
  if (svgOut !== undefined && models.length > 0) {
    const svg = renderLadderSvg(models);
    if (svgOut === '-') out.line(svg.trimEnd());
    else writeFileSync(svgOut, svg);
    if (skippedSvg > 0) process.stderr.write(`synack: the SVG shows the first ${models.length} connections; ${skippedSvg} more were left out (--conn ID or --max-svg N)\n`);
  }
  if (count === 0) out.line(conn !== undefined ? `no TCP connection with id ${conn}` : 'no TCP connections');
  await out.flush();
  if (fed.damage !== undefined) {
    process.stderr.write(fed.damage + '\n');
    return EXIT.BAD_INPUT;
  }
  return conn !== undefined && count === 0 ? EXIT.FAILURE : EXIT.OK;
}
