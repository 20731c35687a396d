/**
 * The benchmark module contract and the helpers benchmarks share (timing a child process, formatting
 * rates). A benchmark is a module that measures and returns rows; the runner (bench/run.ts) prints
 * them as a table or JSON. Benchmarks never assert: they report what they measured, and say in a
 * row's note when a target was met or missed.
 *
 * Invariant: a row's `value` is a measurement in `unit` (NaN when it could not be measured, with
 * the reason in `note`); `ratio`, when present, is a dimensionless comparison whose meaning the
 * note states (e.g. "synack ÷ this").
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchRow {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly ratio?: number;
  readonly note?: string;
}

export interface BenchOptions {
  /** Frames in generated captures (--frames, default 1,000,000). */
  readonly frames: number;
  /** Timed repetitions per measurement; the best is reported (--runs, default 1). */
  readonly runs: number;
}

export interface BenchContext {
  readonly options: BenchOptions;
  /** A progress line on stderr (never on stdout, which carries the results). */
  progress(message: string): void;
}

export interface Benchmark {
  /** Short id for --only: 'decode', 'capture-read', later 'tcp-bulk', 'handshakes'... */
  readonly name: string;
  /** One line: what is measured. */
  readonly title: string;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}

/** What one run of a child process cost. CPU and RSS come from GNU time when it is installed. */
export interface ProcessTiming {
  readonly wallMs: number;
  /** User plus system CPU time, ms (NaN without /usr/bin/time). */
  readonly cpuMs: number;
  /** Peak resident set size, bytes (NaN without /usr/bin/time). */
  readonly maxRss: number;
  readonly status: number | null;
  /** The end of stderr, for error messages. */
  readonly stderr: string;
}

const GNU_TIME = '/usr/bin/time';

/**
 * Run `cmd args` with stdout to /dev/null (or `stdoutPath`), stdin closed; time it. Resolves even
 * when the command fails (check `status`).
 */
export async function timeProcess(cmd: string, args: readonly string[], options: { stdoutPath?: string; cwd?: string } = {}): Promise<ProcessTiming> {
  const dir = mkdtempSync(join(tmpdir(), 'sk-bench-time-'));
  const timeFile = join(dir, 'time');
  const useTime = existsSync(GNU_TIME);
  const out = openSync(options.stdoutPath ?? '/dev/null', 'w');
  try {
    const argv = useTime ? ['-f', '%U %S %M', '-o', timeFile, cmd, ...args] : [...args];
    const t0 = process.hrtime.bigint();
    const { status, stderr } = await new Promise<{ status: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(useTime ? GNU_TIME : cmd, argv, { stdio: ['ignore', out, 'pipe'], ...(options.cwd !== undefined ? { cwd: options.cwd } : {}) });
      let err = '';
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (d: string) => {
        err = (err + d).slice(-4000);
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ status: code, stderr: err }));
    });
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    let cpuMs = NaN;
    let maxRss = NaN;
    if (useTime && existsSync(timeFile)) {
      // GNU time writes "Command exited with non-zero status N" first when the command fails.
      const last = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1) ?? '';
      const [u, s, m] = last.split(' ').map(Number);
      if (u !== undefined && s !== undefined && m !== undefined) {
        cpuMs = (u + s) * 1000;
        maxRss = m * 1024;
      }
    }
    return { wallMs, cpuMs, maxRss, status, stderr };
  } finally {
    closeSync(out);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Is `cmd` on the PATH? */
export function onPath(cmd: string): boolean {
  const dirs = (process.env['PATH'] ?? '').split(':');
  return dirs.some((d) => d !== '' && existsSync(join(d, cmd)));
}

/** The fastest of `runs` timings (the least disturbed by other load on the machine). */
export function best<T extends { readonly wallMs: number }>(timings: readonly T[]): T {
  let b = timings[0];
  if (b === undefined) throw new Error('no timings');
  for (const t of timings) if (t.wallMs < b.wallMs) b = t;
  return b;
}

/** 1234567 -> "1.23 M", 4321 -> "4.32 k". */
export function si(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(2)} k`;
  return a >= 100 || Number.isInteger(n) ? `${Math.round(n)} ` : `${n.toFixed(2)} `;
}

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Compile `entry` (a path in the repository, e.g. 'src/cli/main.ts') and what it imports with the
 * project's tsconfig and tsc into `outDir`/dist, the form the package ships (tsx's per-module
 * wrappers make cross-module calls slower). Type errors elsewhere do not stop the emit. Returns the
 * compiled file's path.
 */
export async function compileForBench(entry: string, outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const config = join(outDir, 'tsconfig.json');
  const toRepo = relative(outDir, REPO_ROOT) || '.';
  writeFileSync(
    config,
    JSON.stringify({
      extends: join(toRepo, 'tsconfig.json'),
      compilerOptions: { outDir: './dist', rootDir: toRepo, sourceMap: false, declaration: false, noEmitOnError: false },
      files: [join(toRepo, entry)],
      include: [],
    }),
  );
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const t = await timeProcess(process.execPath, [tsc, '-p', config]);
  const out = join(outDir, 'dist', entry.replace(/\.ts$/, '.js'));
  if (!existsSync(out)) throw new Error(`tsc did not produce ${out}: ${t.stderr.slice(-500)}`);
  return out;
}
