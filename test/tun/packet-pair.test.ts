/**
 * The native packet I/O path (native/tun.c's PacketFd under src/link/tun.ts's PacketLink), over an
 * AF_UNIX SOCK_SEQPACKET pair: the same batching and EAGAIN queue a TUN device uses, with a peer
 * whose socket buffer we can shrink so the kernel really says EAGAIN. No root needed; skipped
 * (with the reason) when the addon is not built.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadTunAddon, openPacketPair, type PacketLink } from '../../src/link/tun.js';
import { waitFor } from './util.js';

function addonMissing(): string | false {
  try {
    loadTunAddon();
    return false;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
const skip = addonMissing();

/** A packet whose first 4 bytes are its sequence number and the rest a pattern derived from it. */
function numbered(seq: number, length: number): Uint8Array {
  const p = new Uint8Array(length);
  new DataView(p.buffer).setUint32(0, seq);
  for (let i = 4; i < length; i++) p[i] = (seq * 31 + i) & 0xff;
  return p;
}

function seqOf(p: Uint8Array): number {
  return new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(0);
}

function withPair<T>(options: Parameters<typeof openPacketPair>[0], fn: (a: PacketLink, b: PacketLink) => Promise<T>): Promise<T> {
  const [a, b] = openPacketPair(options);
  return fn(a, b).finally(() => {
    a.close();
    b.close();
  });
}

describe('packet fd links (SOCK_SEQPACKET pair)', { skip }, () => {
  it('delivers each packet whole, byte for byte, in order', () =>
    withPair({}, async (a, b) => {
      const sizes = [1, 4, 20, 40, 59, 60, 576, 1280, 1499, 1500, 9000, 65535];
      const sent = sizes.map((n, i) => numbered(i, Math.max(n, 4)));
      const got: Uint8Array[] = [];
      b.onReceive((p) => got.push(p.slice()));
      for (const p of sent) assert.equal(a.send(p), true);
      await waitFor(() => got.length === sent.length, 5000, 'all packets');
      assert.deepEqual(got, sent);
      assert.equal(b.stats().rxBytes, sent.reduce((s, p) => s + p.length, 0));
    }));

  it('hands a burst to JS in batches of at most batchSize, in order', () =>
    withPair({ batchSize: 32 }, async (a, b) => {
      // Written before anyone reads: they wait in the socket, then come out in batches.
      for (let i = 0; i < 200; i++) a.send(numbered(i, 100));
      const batches: number[] = [];
      const seqs: number[] = [];
      b.onPackets((ps) => {
        batches.push(ps.length);
        for (const p of ps) seqs.push(seqOf(p));
      });
      await waitFor(() => seqs.length === 200, 5000, '200 packets');
      assert.deepEqual(seqs, Array.from({ length: 200 }, (_, i) => i));
      assert.ok(batches.every((n) => n <= 32), `batch sizes ${batches.join(',')}`);
      assert.ok(batches.length <= 200 / 32 + 2, `${batches.length} calls for 200 packets: not batched`);
      assert.equal(b.stats().rxBatches, batches.length);
    }));

  it('gives onReceive and onPackets the same packets when both are set', () =>
    withPair({}, async (a, b) => {
      const one: number[] = [];
      const many: number[] = [];
      b.onReceive((p) => one.push(seqOf(p)));
      b.onPackets((ps) => many.push(...ps.map(seqOf)));
      for (let i = 0; i < 50; i++) a.send(numbered(i, 64));
      await waitFor(() => many.length === 50, 5000, '50 packets');
      assert.deepEqual(one, many);
    }));

  it('keeps all 10,000 packets and their order when the kernel says EAGAIN', () =>
    withPair({ sndbuf: 4096 }, async (a, b) => {
      const N = 10_000;
      const seqs: number[] = [];
      let bytes = 0;
      b.onPackets((ps) => {
        for (const p of ps) {
          seqs.push(seqOf(p));
          bytes += p.length;
        }
      });
      let expectedBytes = 0;
      for (let i = 0; i < N; i++) {
        const p = numbered(i, 60 + (i % 1441)); // 60..1500 bytes
        expectedBytes += p.length;
        assert.equal(a.send(p), true, `packet ${i} refused`);
      }
      // The socket buffer holds a few packets: the rest had to wait in the native queue.
      const st = a.stats();
      assert.ok(st.txEagain > 0, 'the kernel never said EAGAIN: the queue path was not exercised');
      assert.ok(st.txQueued > 0);
      await waitFor(() => seqs.length === N, 20_000, `${N} packets (have ${seqs.length})`);
      assert.deepEqual(seqs, Array.from({ length: N }, (_, i) => i));
      assert.equal(bytes, expectedBytes);
      const end = a.stats();
      assert.equal(end.txPackets, N);
      assert.equal(end.txDropped, 0);
      assert.equal(end.txErrors, 0);
      assert.equal(end.queuePackets, 0);
      assert.equal(end.queueBytes, 0);
    }));

  it('copies a queued packet: the sender may reuse its buffer at once', () =>
    withPair({ sndbuf: 4096 }, async (a, b) => {
      const buf = new Uint8Array(1000);
      let i = 0;
      // Fill the socket until packets start to queue.
      while (a.stats().txQueued === 0 && i < 10_000) {
        buf.fill(i & 0xff);
        new DataView(buf.buffer).setUint32(0, i);
        a.send(buf);
        i++;
      }
      const sent = i;
      assert.ok(a.stats().txQueued > 0);
      buf.fill(0xee); // scribble over the buffer of the last (queued) send
      const got: Uint8Array[] = [];
      b.onReceive((p) => got.push(p.slice()));
      await waitFor(() => got.length === sent, 5000, `${sent} packets`);
      const last = got[sent - 1];
      assert.ok(last !== undefined);
      assert.equal(seqOf(last), sent - 1);
      assert.equal(last[999], (sent - 1) & 0xff);
    }));

  it('drops beyond the queue limit, counts the drops, and keeps what it accepted', () =>
    withPair({ sndbuf: 4096, queueLimit: 10 }, async (a, b) => {
      const accepted: number[] = [];
      let refused = 0;
      for (let i = 0; i < 500; i++) {
        if (a.send(numbered(i, 500))) accepted.push(i);
        else refused++;
      }
      assert.ok(refused > 0, 'nothing was refused');
      assert.equal(a.stats().txDropped, refused);
      assert.ok(a.stats().queuePackets <= 10);
      const seqs: number[] = [];
      b.onReceive((p) => seqs.push(seqOf(p)));
      await waitFor(() => seqs.length === accepted.length, 5000, `${accepted.length} packets`);
      assert.deepEqual(seqs, accepted);
    }));

  it('delivers nothing more after close, even the rest of a batch', () =>
    withPair({}, async (a, b) => {
      for (let i = 0; i < 20; i++) a.send(numbered(i, 40));
      const seen: number[] = [];
      b.onReceive((p) => {
        seen.push(seqOf(p));
        if (seen.length === 3) b.close();
      });
      await waitFor(() => b.closed, 5000, 'close');
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(seen, [0, 1, 2]);
      assert.equal(b.send(numbered(99, 40)), false, 'send after close must be a no-op');
      b.close(); // idempotent
    }));

  it('reports the end of the peer once, as an IO error, and stops reading', () =>
    withPair({}, async (a, b) => {
      const errors: string[] = [];
      b.onError((e) => errors.push(`${e.code}: ${e.message}`));
      b.onReceive(() => undefined);
      a.close();
      await waitFor(() => errors.length > 0, 5000, 'the error');
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(errors.length, 1);
      assert.match(errors[0] ?? '', /^ERR_SYNACK_TUN_IO: .*EOF/);
    }));

  it('refuses what is not a Uint8Array', () =>
    withPair({}, async (a) => {
      assert.throws(() => a.send(new Uint16Array(4) as unknown as Uint8Array), TypeError);
      assert.throws(() => a.send('abc' as unknown as Uint8Array), TypeError);
    }));

  it('does not keep the process alive once unref()d', async () => {
    // A child opens a pair, listens, unrefs both ends: it must exit by itself.
    const { runNode, TUN_MODULE } = await import('./util.js');
    const r = await runNode(
      `import { openPacketPair } from ${JSON.stringify(TUN_MODULE)};
       const [a, b] = openPacketPair(); b.onReceive(() => {}); a.unref(); b.unref(); console.log('ok');`,
      { timeoutMs: 10_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'ok');
  });
});
