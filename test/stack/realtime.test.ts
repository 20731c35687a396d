/**
 * The real-time driver: the Node-style API over the in-memory pair on the host's timers
 * (RealtimeScheduler: setTimeout and performance.now), as an application would use it. No timing
 * is asserted; only that the exchange completes and the bytes arrive intact.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { RealtimePair, type NodeSocket } from '../../src/stack/node.js';

describe('real-time driver', () => {
  test('an echo server and a client exchange 256 KiB over a lossy link in real time; SHA-256 matches', async () => {
    const net = new RealtimePair({ link: { delay: 1, loss: 0.01, seed: 3 } });
    try {
      net.netB.createServer((s: NodeSocket) => s.pipe(s)).listen(7);
      const data = randomBytes(256 * 1024);
      const c = net.netA.connect({ host: '10.0.0.2', port: 7 });
      await once(c, 'connect');
      const got: Buffer[] = [];
      c.on('data', (d: Buffer) => got.push(d));
      c.end(data);
      await once(c, 'close');
      assert.equal(createHash('sha256').update(Buffer.concat(got)).digest('hex'), createHash('sha256').update(data).digest('hex'));
    } finally {
      net.close();
    }
  });

  test('ECONNREFUSED in real time', async () => {
    const net = new RealtimePair();
    try {
      const c = net.netA.connect({ host: '10.0.0.2', port: 9 });
      const [err] = (await once(c, 'error')) as [Error & { code: string }];
      assert.equal(err.code, 'ECONNREFUSED');
    } finally {
      net.close();
    }
  });
});
