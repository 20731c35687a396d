/**
 * `npm run bench`: runs the benchmark modules (bench/lib.ts's Benchmark contract) one after the
 * other and prints their rows as a table, or as one JSON document with --json. Progress goes to
 * stderr, results to stdout, so `npm run -s bench -- --json > out.json` keeps a clean file (-s keeps
 * npm's own banner off stdout).
 *
 * Adding a benchmark: write a module exporting a Benchmark and list it in BENCHMARKS below.
 * Benchmarks measure and report; they do not pass or fail (a failed benchmark is reported and the
 * runner exits 1 after the others have run).
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { captureDecodeBenchmark } from './capture-decode.js';
import { checksumBenchmark } from './checksum.js';
import { connsBenchmark } from './conns.js';
import { decodeBenchmark } from './decode.js';
import { type Benchmark, type BenchOptions, type BenchRow, si } from './lib.js';
import { tcpBulkBenchmark, tcpEngineBenchmark, tcpHandshakeBenchmark, tcpMemoryBenchmark } from './tcp.js';
import { tunBenchmark } from './tun.js';
import { tunTcpBenchmark } from './tun-tcp.js';

const BENCHMARKS: readonly Benchmark[] = [
  decodeBenchmark,
  checksumBenchmark,
  captureDecodeBenchmark,
  connsBenchmark,
  tcpEngineBenchmark,
  tcpBulkBenchmark,
  tcpHandshakeBenchmark,
  tcpMemoryBenchmark,
  tunBenchmark,
  tunTcpBenchmark,
];

const USAGE = `usage: npm run bench -- [options]     (npm run -s bench -- --json > out.json: JSON only)

options:
  --only NAME      run only this benchmark (repeatable, or comma-separated)
  --list           list the benchmarks and exit
  --json           print the results as JSON on stdout (progress stays on stderr)
  --frames N       frames in generated captures (default 1000000)
  --runs N         timed runs per measurement, the best is reported (default 1)
  -h, --help       this text`;

interface Result {
  readonly name: string;
  readonly title: string;
  readonly seconds: number;
  readonly rows: readonly BenchRow[];
  readonly error?: string;
}

function positiveInt(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} wants a positive integer, got '${text}'`);
  return n;
}

function formatValue(r: BenchRow): string {
  if (!Number.isFinite(r.value)) return '-';
  if (r.unit === 'x') return `${r.value.toFixed(2)}`;
  return si(r.value).trim();
}

function table(res: Result): string {
  const lines = [`${res.name}: ${res.title} (${res.seconds.toFixed(1)} s)`];
  if (res.error !== undefined) lines.push(`  FAILED: ${res.error}`);
  const cells = res.rows.map((r) => [r.name, formatValue(r), r.unit, r.ratio === undefined || !Number.isFinite(r.ratio) ? '' : `${r.ratio.toFixed(2)}x`, r.note ?? '']);
  const head = ['measurement', 'value', 'unit', 'ratio', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const fmt = (c: readonly string[]): string =>
    '  ' +
    c
      .map((s, i) => (i === 1 || i === 3 ? s.padStart(widths[i] ?? 0) : i === c.length - 1 ? s : s.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  if (cells.length > 0) lines.push(fmt(head), ...cells.map(fmt));
  return lines.join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      list: { type: 'boolean' },
      json: { type: 'boolean' },
      frames: { type: 'string' },
      runs: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n\nbenchmarks:\n${BENCHMARKS.map((b) => `  ${b.name.padEnd(14)} ${b.title}`).join('\n')}\n`);
    return 0;
  }
  if (values.list === true) {
    for (const b of BENCHMARKS) process.stdout.write(`${b.name}\t${b.title}\n`);
    return 0;
  }
  const options: BenchOptions = {
    frames: positiveInt(values.frames, 1_000_000, '--frames'),
    runs: positiveInt(values.runs, 1, '--runs'),
  };
  const only = (values.only ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  const unknown = only.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  const chosen = only.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => only.includes(b.name));

  const env = {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
    date: new Date().toISOString(),
    options,
  };
  const json = values.json === true;
  if (!json) {
    process.stdout.write(`synack benchmarks: node ${env.node}, ${env.platform}, ${env.cores} x ${env.cpu}, load ${env.loadAverage.join(' ')}\n\n`);
  }
  const results: Result[] = [];
  for (const b of chosen) {
    const t0 = process.hrtime.bigint();
    let rows: BenchRow[] = [];
    let error: string | undefined;
    try {
      rows = await b.run({ options, progress: (m) => process.stderr.write(`[bench] ${m}\n`) });
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const res: Result = { name: b.name, title: b.title, seconds: Number(process.hrtime.bigint() - t0) / 1e9, rows, ...(error !== undefined ? { error } : {}) };
    results.push(res);
    if (!json) process.stdout.write(`${table(res)}\n\n`);
  }
  if (json) process.stdout.write(`${JSON.stringify({ env, benchmarks: results }, null, 2)}\n`);
  return results.some((r) => r.error !== undefined) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
    process.exitCode = 64;
  },
);
