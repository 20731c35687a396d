/**
 * Buffered output for CLI commands: lines are collected and written to stdout in large chunks,
 * respecting backpressure; a closed pipe (`synack decode f | head`) ends the program quietly.
 */
import { fstatSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SynackError } from '../errors.js';

const FLUSH_AT = 1 << 16;

export class LineWriter {
  // One growing string rather than an array of parts: V8 appends to a rope and flattens it once
  // when it is written, which is cheaper than join() over two parts per line (bench/decode.ts).
  private pending = '';
  private closed = false;
  /** The stream's next 'drain', while a write is waiting for it: one listener however many wait. */
  private drained: Promise<void> | undefined;
  /** Set when the stream is a file or /dev/null: then chunks go straight to writeSync. */
  private readonly fd: number | undefined;
  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {
    this.fd = blockingFd(stream);
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') {
        this.closed = true;
        process.exit(0);
      }
    });
  }

  /** Queue one line (a newline is added). Returns a promise only when the caller should wait. */
  line(text: string): Promise<void> | undefined {
    if (this.closed) return undefined;
    this.pending += text + '\n';
    return this.pending.length >= FLUSH_AT ? this.flush() : undefined;
  }

  /**
   * Write bytes of text (whole lines) after what is queued; `bytes` may be reused once this
   * returns. Returns a promise only when the caller should wait.
   */
  write(bytes: Uint8Array): Promise<void> | undefined {
    if (this.closed || bytes.length === 0) return undefined;
    if (this.pending !== '') void this.flush();
    if (this.fd !== undefined) {
      writeAllSync(this.fd, bytes);
      return undefined;
    }
    return this.stream.write(bytes.slice()) ? undefined : this.drain();
  }

  /** Write what is queued; resolves when the stream can take more. */
  flush(): Promise<void> {
    if (this.pending === '' || this.closed) return Promise.resolve();
    const chunk = this.pending;
    this.pending = '';
    if (this.fd !== undefined) {
      writeAllSync(this.fd, chunk);
      return Promise.resolve();
    }
    return this.stream.write(chunk) ? Promise.resolve() : this.drain();
  }

  private drain(): Promise<void> {
    this.drained ??= new Promise((resolve) =>
      this.stream.once('drain', () => {
        this.drained = undefined;
        resolve();
      }),
    );
    return this.drained;
  }
}

/** writeSync until every byte is out (a file or device may take less than asked). */
function writeAllSync(fd: number, data: string | Uint8Array): void {
  let bytes: Uint8Array;
  if (typeof data === 'string') {
    // Strings go down as they are (encoded natively, no Buffer made here); only a short write,
    // which files practically never do, pays for the conversion.
    const n = writeSync(fd, data);
    if (n >= Buffer.byteLength(data)) return;
    bytes = Buffer.from(data).subarray(n);
  } else {
    bytes = data;
  }
  for (;;) {
    const n = writeSync(fd, bytes);
    if (n >= bytes.length) return;
    // A file that takes nothing would loop forever: report it like the failed write it is.
    if (n <= 0) throw Object.assign(new Error('write to standard output made no progress'), { code: 'EIO' });
    bytes = bytes.subarray(n);
  }
}

/**
 * The descriptor of a stream that Node itself writes with blocking writeSync calls: process.stdout
 * when it is a regular file or a character device other than a terminal (/dev/null). Writing the
 * string there directly skips the stream's conversion of each chunk to a Buffer, which costs as
 * much as formatting the lines (bench/decode.ts). Pipes, sockets and terminals keep the stream.
 */
function blockingFd(stream: NodeJS.WritableStream): number | undefined {
  const fd = (stream as { fd?: unknown }).fd;
  if (typeof fd !== 'number') return undefined;
  try {
    const st = fstatSync(fd);
    return st.isFile() || (st.isCharacterDevice() && !isatty(fd)) ? fd : undefined;
  } catch {
    return undefined;
  }
}

/** Exit codes of the CLI. */
export const EXIT = { OK: 0, FAILURE: 1, BAD_INPUT: 2, USAGE: 64 } as const;

/** A usage error: bad flags or arguments. */
export function usageError(message: string): SynackError {
  return new SynackError('ERR_SYNACK_USAGE', message);
}

type FileCommandOptions = NonNullable<ParseArgsConfig['options']>;
type FileCommandValues<O extends FileCommandOptions> = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: O }>>['values'];

/**
 * The flags of a command that takes exactly one FILE: parses `argv` against `options` (which get
 * `-h/--help` added), turns a parse error into a usage error carrying `usage`, and returns
 * undefined after printing `usage` for --help.
 */
export function parseFileCommand<const O extends FileCommandOptions>(
  name: string,
  usage: string,
  argv: string[],
  options: O,
): { readonly file: string; readonly values: FileCommandValues<O> } | undefined {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { ...options, help: { type: 'boolean', short: 'h' } } as O });
  } catch (e) {
    throw usageError(`${e instanceof Error ? e.message : String(e)}\n${usage}`);
  }
  if ((parsed.values as { help?: boolean }).help === true) {
    process.stdout.write(usage + '\n');
    return undefined;
  }
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0) throw usageError(`${name} takes exactly one FILE\n${usage}`);
  return { file, values: parsed.values };
}

/** 'no such file', 'is a directory' or 'permission denied' for a file that cannot be read; undefined for any other error. */
export function unreadableFile(e: unknown): string | undefined {
  if (!(e instanceof Error) || !('code' in e)) return undefined;
  if (e.code === 'ENOENT') return 'no such file';
  if (e.code === 'EISDIR') return 'is a directory';
  if (e.code === 'EACCES') return 'permission denied';
  return undefined;
}
