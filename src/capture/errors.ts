/**
 * The one error class of the capture layer: a bad or truncated capture file, or a writer misuse.
 *
 * Invariant: every CaptureError names what is wrong and where — `offset` is the absolute byte offset
 * in the file of the structure at fault (file header, record header or block start), `frame` the
 * 1-based number of the packet the damaged record would have been, when the damage is in a packet.
 * The `code` strings are stable; callers switch on them, never on messages.
 */
import { SynackError } from '../errors.js';

export const CaptureErrorCode = {
  /** The file does not start with a pcap magic number or a pcapng Section Header Block. */
  BAD_MAGIC: 'ERR_SYNACK_CAPTURE_BAD_MAGIC',
  /** A pcap or pcapng major version we do not read. */
  UNSUPPORTED_VERSION: 'ERR_SYNACK_CAPTURE_UNSUPPORTED_VERSION',
  /** The file ends inside the pcap file header or the first Section Header Block (or is empty). */
  TRUNCATED_HEADER: 'ERR_SYNACK_CAPTURE_TRUNCATED_HEADER',
  /** The file ends inside a packet record or a pcapng block. */
  TRUNCATED_RECORD: 'ERR_SYNACK_CAPTURE_TRUNCATED_RECORD',
  /** A packet's captured length is larger than the snapshot length of its file or interface. */
  SNAPLEN_EXCEEDED: 'ERR_SYNACK_CAPTURE_SNAPLEN_EXCEEDED',
  /** A pcap record larger than the reader's cap (refused before any allocation). */
  RECORD_TOO_LARGE: 'ERR_SYNACK_CAPTURE_RECORD_TOO_LARGE',
  /** A pcapng block length smaller than the minimum for its type, or not a multiple of 4. */
  BAD_BLOCK_LENGTH: 'ERR_SYNACK_CAPTURE_BAD_BLOCK_LENGTH',
  /** A pcapng block larger than the reader's cap (refused before any allocation). */
  BLOCK_TOO_LARGE: 'ERR_SYNACK_CAPTURE_BLOCK_TOO_LARGE',
  /** A pcapng block whose trailing Block Total Length differs from the leading one. */
  BLOCK_LENGTH_MISMATCH: 'ERR_SYNACK_CAPTURE_BLOCK_LENGTH_MISMATCH',
  /** A pcapng block whose body is inconsistent (packet data or an option overruns the block). */
  BAD_BLOCK: 'ERR_SYNACK_CAPTURE_BAD_BLOCK',
  /** A packet or statistics block before any Interface Description Block of its section. */
  NO_INTERFACE: 'ERR_SYNACK_CAPTURE_NO_INTERFACE',
  /** A packet or statistics block naming an interface id the section has not described. */
  BAD_INTERFACE: 'ERR_SYNACK_CAPTURE_BAD_INTERFACE',
  /** Data pushed after end() or after an error, or a writer given an impossible packet. */
  MISUSE: 'ERR_SYNACK_CAPTURE_MISUSE',
} as const;

export type CaptureErrorCode = (typeof CaptureErrorCode)[keyof typeof CaptureErrorCode];

export class CaptureError extends SynackError {
  override readonly code: CaptureErrorCode;
  /** Absolute byte offset of the structure at fault (−1 for writer misuse). */
  readonly offset: number;
  /** 1-based frame number of the damaged packet, when the damage is in a packet record. */
  readonly frame: number | undefined;

  constructor(code: CaptureErrorCode, message: string, offset: number, frame?: number) {
    const where = offset < 0 ? '' : frame === undefined ? ` (at byte ${offset})` : ` (frame ${frame}, at byte ${offset})`;
    super(code, message + where);
    this.name = 'CaptureError';
    this.code = code;
    this.offset = offset;
    this.frame = frame;
  }
}
