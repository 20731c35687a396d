/**
 * Buffered output for CLI commands: lines are collected and written to stdout in large chunks,
 * respecting backpressure; a closed pipe (`synack decode f | head`) ends the program quietly.
 */
import { SynackError } from '../errors.js';

const FLUSH_AT = 1 << 16;

export class LineWriter {
  private parts: string[] = [];
  private size = 0;
  private closed = false;
  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {
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
    this.parts.push(text, '\n');
    this.size += text.length + 1;
    return this.size >= FLUSH_AT ? this.flush() : undefined;
  }

  /** Write what is queued; resolves when the stream can take more. */
  flush(): Promise<void> {
    if (this.parts.length === 0 || this.closed) return Promise.resolve();
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    const ok = this.stream.write(chunk);
    return ok ? Promise.resolve() : new Promise((resolve) => this.stream.once('drain', () => resolve()));
  }
}

/** Exit codes of the CLI. */
export const EXIT = { OK: 0, FAILURE: 1, BAD_INPUT: 2, USAGE: 64 } as const;

/** A usage error: bad flags or arguments. */
export function usageError(message: string): SynackError {
  return new SynackError('ERR_SYNACK_USAGE', message);
}
