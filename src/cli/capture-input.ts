/**
 * The read loop of the commands that analyse a capture file record by record (conns, explain,
 * ladder): records in read batches, damage reported after the good records before it, an
 * unreadable file named plainly. Apart from output.ts so that commands which read no capture do
 * not load the capture reader at start-up.
 */
import { CaptureError } from '../capture/errors.js';
import { readCaptureBatches } from '../capture/node.js';
import type { CaptureRecord } from '../capture/types.js';
import { unreadableFile } from './output.js';

/** How reading a capture file ended: the error line for damage met after good records, or for a file that cannot be read. */
export interface CaptureFeed {
  readonly damage?: string;
  readonly unreadable?: string;
}

/**
 * Every record of capture `file` to `push`, a read batch at a time; `afterBatch` runs after each
 * (flushing output, progress). Damage is reported after the records before it were pushed; errors
 * other than damage and an unreadable file are thrown.
 */
export async function feedCapture(file: string, push: (r: CaptureRecord) => void, afterBatch: (batch: readonly CaptureRecord[]) => Promise<void>): Promise<CaptureFeed> {
  try {
    for await (const batch of readCaptureBatches(file)) {
      for (const r of batch) push(r);
      await afterBatch(batch);
    }
  } catch (e) {
    if (e instanceof CaptureError) return { damage: `synack: ${file}: ${e.message}` };
    const why = unreadableFile(e);
    if (why !== undefined) return { unreadable: `synack: ${file}: ${why}` };
    throw e;
  }
  return {};
}
