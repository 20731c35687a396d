/**
 * Error classes of the public API. Every error carries a stable `code` that callers can switch on;
 * the CLI prints `message` as one line and exits non-zero.
 */
export class SynackError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SynackError';
    this.code = code;
  }
}
