/**
 * The read loops of the commands that analyse a capture file: `feedCapture` hands records over in
 * read batches (explain, ladder); `feedCapturePackets` hands packets over without record objects,
 * reading blocks into caller-given memory while the previous block is analysed (conns). Both report
 * damage after the good packets before it, and name an unreadable file plainly. Apart from
 * output.ts so that commands which read no capture do not load the capture reader at start-up.
 *
 * Invariant (both): the packets are those of CaptureDecoder over the whole file, in file order;
 * memory is bounded by the read buffers (one block at a time) and one straddling record.
 */
import { closeSync, openSync, read } from 'node:fs';
import { CaptureDecoder } from '../capture/decoder.js';
import { CaptureError } from '../capture/errors.js';
import type { CaptureRecord, PacketRef } from '../capture/types.js';
import { unreadableFile } from './output.js';

/** How reading a capture file ended: the error line for damage met after good records, or for a file that cannot be read. */
export interface CaptureFeed {
  readonly damage?: string;
  readonly unreadable?: string;
}

/** The CaptureFeed for an error thrown while reading `file`; other errors are thrown again. */
function ended(file: string, e: unknown): CaptureFeed {
  if (e instanceof CaptureError) return { damage: `synack: ${file}: ${e.message}` };
  const why = unreadableFile(e);
  if (why !== undefined) return { unreadable: `synack: ${file}: ${why}` };
  throw e;
}

/**
 * Every record of capture `file` to `push`, a read batch at a time; `afterBatch` runs after each
 * (flushing output, progress). Damage is reported after the records before it were pushed; errors
 * other than damage and an unreadable file are thrown.
 */
export async function feedCapture(file: string, push: (r: CaptureRecord) => void, afterBatch: (batch: readonly CaptureRecord[]) => Promise<void>): Promise<CaptureFeed> {
  try {
    // Loaded here: `synack conns` reads through feedCapturePackets and never needs the stream reader.
    const { readCaptureBatches } = await import('../capture/node.js');
    for await (const batch of readCaptureBatches(file)) {
      for (const r of batch) push(r);
      await afterBatch(batch);
    }
  } catch (e) {
    return ended(file, e);
  }
  return {};
}

/** Bytes read at once by feedCapturePackets when the caller gives no memory (two blocks are used). */
export const PACKET_READ_BLOCK = 1 << 20;

/** fs.read as a promise: bytes read into `into` from file position `at` (0 at end of file). */
function readAt(fd: number, into: Uint8Array, at: number): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, into, 0, into.length, at, (err, n) => (err !== null ? reject(err) : resolve(n)));
  });
}

/**
 * Every packet of capture `file` to `onPacket` as the decoder's one reused PacketRef (no record
 * object and no view per packet; its fields and bytes are valid only during the call). The file is
 * read in blocks into the two halves of `memory` (give memory from frameMemory() to have checksums
 * summed in place): while one block is decoded, the next is read into the other half on libuv's
 * thread pool, so reading overlaps analysis. `afterBlock` runs after each block with the bytes of
 * the file framed so far (flushing output, progress). Outcomes as feedCapture's.
 */
export async function feedCapturePackets(
  file: string,
  onPacket: (p: PacketRef) => void,
  afterBlock: (bytesFramed: number) => Promise<void>,
  memory: Uint8Array = new Uint8Array(2 * PACKET_READ_BLOCK),
): Promise<CaptureFeed> {
  const half = Math.max(1, memory.length >>> 1);
  const blocks = [memory.subarray(0, half), memory.subarray(half, 2 * half)] as const;
  const decoder = new CaptureDecoder({ onPacket });
  let fd: number | undefined;
  // The read in flight, if any: awaited before the file is closed, even after an error.
  let next: Promise<number> | undefined;
  try {
    fd = openSync(file, 'r');
    let pos = 0;
    let i = 0;
    next = readAt(fd, blocks[0], 0);
    for (;;) {
      const n = await next;
      next = undefined;
      if (n === 0) break;
      pos += n;
      const block = blocks[i as 0 | 1];
      i ^= 1;
      // The decoder keeps no view of a block once push returns (a straddling record is copied).
      next = readAt(fd, blocks[i as 0 | 1], pos);
      decoder.push(n === block.length ? block : block.subarray(0, n));
      await afterBlock(decoder.bytesConsumed);
    }
    decoder.end();
  } catch (e) {
    return ended(file, e);
  } finally {
    if (next !== undefined) await next.catch(() => 0);
    if (fd !== undefined) closeSync(fd);
  }
  return {};
}
