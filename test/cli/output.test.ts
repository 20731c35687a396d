/**
 * The CLI's line writer over a slow pipe: a stream that says "wait" (write() returns false) gets one
 * 'drain' listener however many writes are waiting (Node warns past ten: MaxListenersExceeded, as
 * `synack conns big.pcap --json | cat` once printed), and every byte arrives in order.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { LineWriter } from '../../src/cli/output.js';

/** A pipe that takes one chunk per macrotask and asks the writer to wait after every write. */
function slowPipe(): { stream: Writable; text: () => string; maxDrainListeners: () => number } {
  const parts: string[] = [];
  let max = 0;
  const stream = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _enc, cb) {
      parts.push(chunk.toString());
      setImmediate(cb);
    },
  });
  const watch = (): void => {
    max = Math.max(max, stream.listenerCount('drain'));
  };
  stream.on('newListener', (name) => {
    if (name === 'drain') setImmediate(watch);
  });
  return { stream, text: () => parts.join(''), maxDrainListeners: () => (watch(), max) };
}

describe('LineWriter', () => {
  it('waits on a full pipe with one drain listener, whether or not callers await, and loses nothing', async () => {
    const pipe = slowPipe();
    const w = new LineWriter(pipe.stream);
    const expected: string[] = [];
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      const text = `line ${i} ${'x'.repeat(i % 50)}`;
      expected.push(text);
      w.line(text);
      // Flushed without waiting for the previous flush, as a producer that ignores backpressure.
      waits.push(w.flush());
      if (i % 7 === 0) {
        const r = w.write(new TextEncoder().encode(`bytes ${i}\n`));
        expected.push(`bytes ${i}`);
        if (r !== undefined) waits.push(r);
      }
    }
    await Promise.all(waits);
    await new Promise<void>((resolve) => pipe.stream.end(resolve));
    assert.equal(pipe.text(), expected.map((l) => `${l}\n`).join(''));
    assert.ok(pipe.maxDrainListeners() <= 1, `at most one drain listener at a time (saw ${pipe.maxDrainListeners()})`);
  });
});
