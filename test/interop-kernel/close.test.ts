/**
 * Closing against the Linux kernel over TUN, IPv4 and IPv6, both roles:
 *  - half-close (RFC 9293 3.6, 3.10.4): one side shuts down its sending direction (FIN) and keeps
 *    receiving; the other goes on sending after that FIN (the capture shows data segments from it
 *    after the first FIN), then closes too. Both directions' bytes arrive intact (SHA-256 at each
 *    end) and both sides see a clean close. Done with the kernel closing first (shutdown(SHUT_WR):
 *    node's end() with allowHalfOpen) and with synack closing first.
 *  - refused (RFC 9293 3.10.7.1 and 3.10.7.3): a SYN to a port nobody listens on is answered with
 *    RST; synack's connect fails with ECONNREFUSED, and so does the kernel's connect() to a closed
 *    synack port.
 *  - abort (RFC 9293 3.10.5): a RST each way in the middle of a transfer; the other side's
 *    application sees ECONNRESET.
 * Every capture opens in tshark without malformed frames, bad checksums or expert errors.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readTsharkFields } from '../interop/tshark.js';
import { ROLES, labSkipReason, receiveAll, sendRandom, withLab, within, type Family, type TunLab } from './lab.js';

const skip = (await labSkipReason()) ?? false;
const FIN = 0x01;
const RST = 0x04;

/** Frames of the capture as (source, flags, payload length), in order. */
async function segments(lab: TunLab): Promise<{ src: string; flags: number; len: number }[]> {
  const frames = await readTsharkFields(lab.capture());
  return frames
    .filter((f) => f['tcp.flags'].length > 0)
    .map((f) => ({ src: f['ip.src'][0] ?? f['ipv6.src'][0] ?? '', flags: Number(f['tcp.flags'][0]), len: Number(f['tcp.len'][0] ?? '0') }));
}

async function assertCleanCapture(lab: TunLab): Promise<void> {
  const cap = await lab.checkCapture();
  assert.ok(cap.frames > 0);
  assert.deepEqual(cap.bad, [], 'tshark: no malformed frame, bad checksum or expert error');
}

describe('half-close against the Linux kernel over TUN', { skip, concurrency: false, timeout: 300_000 }, () => {
  for (const family of [4, 6] as const) {
    for (const role of ROLES) {
      it(`IPv${family}, ${role}: the kernel shuts down first (SHUT_WR), keeps receiving, and synack sends 1 MB after the kernel's FIN`, async () => {
        await withLab({}, async (lab) => {
          const { sock, agent, id } = await lab.open(role, family, 6000 + family);
          const closed = new Promise((r) => sock.once('close', r));
          const got = receiveAll(sock);
          agent.command({ op: 'send', id, bytes: 100_000 });
          agent.command({ op: 'end', id });
          const fromKernel = await within(got, 20_000, "the kernel's 100 kB and FIN");
          // The kernel's direction is closed; ours still flows.
          const sent = await within(sendRandom(sock, 1_000_000), 30_000, 'synack sending 1 MB after the FIN');
          sock.end();
          const kernelClose = await agent.event('close', id, 30_000);
          await within(closed, 10_000, "synack's close");

          const kernelSent = (await agent.event('sent', id)).sent;
          assert.deepEqual(fromKernel, kernelSent, 'the kernel -> synack bytes arrived intact');
          assert.deepEqual(kernelClose.received, sent, 'the synack -> kernel bytes sent after the FIN arrived intact');
          assert.equal(kernelClose.hadError, false);
          assert.ok(!agent.seen('error', id), 'the kernel saw no error');

          const segs = await segments(lab);
          const kernelFin = segs.findIndex((s) => s.src === lab.kernel(family) && (s.flags & FIN) !== 0);
          let lastSynackData = -1;
          segs.forEach((s, i) => {
            if (s.src === lab.synack(family) && s.len > 0) lastSynackData = i;
          });
          assert.ok(kernelFin >= 0, "the kernel's FIN is in the capture");
          assert.ok(lastSynackData > kernelFin, 'synack data segments follow the kernel FIN');
          const dataAfter = segs.slice(kernelFin + 1).filter((s) => s.src === lab.synack(family)).reduce((n, s) => n + s.len, 0);
          assert.ok(dataAfter >= 1_000_000, `synack sent ${dataAfter} bytes after the kernel's FIN`);
          assert.equal(segs.filter((s) => (s.flags & RST) !== 0).length, 0, 'no RST: a clean close both ways');
          await assertCleanCapture(lab);
        });
      });

      it(`IPv${family}, ${role}: synack shuts down first, keeps receiving, and the kernel sends 1 MB after synack's FIN`, async () => {
        await withLab({}, async (lab) => {
          const { sock, agent, id } = await lab.open(role, family, 6100 + family);
          const closed = new Promise((r) => sock.once('close', r));
          const got = receiveAll(sock);
          const sent = await sendRandom(sock, 100_000);
          sock.end();
          const eof = await agent.event('eof', id, 20_000);
          assert.deepEqual(eof.received, sent, 'the synack -> kernel bytes arrived intact before its FIN');
          agent.command({ op: 'send', id, bytes: 1_000_000 });
          agent.command({ op: 'end', id });
          const fromKernel = await within(got, 30_000, "the kernel's 1 MB after synack's FIN");
          const kernelSent = (await agent.event('sent', id)).sent;
          assert.deepEqual(fromKernel, kernelSent, 'the kernel -> synack bytes sent after the FIN arrived intact');
          await within(closed, 10_000, "synack's close");
          const kernelClose = await agent.event('close', id, 10_000);
          assert.equal(kernelClose.hadError, false);

          const segs = await segments(lab);
          const synackFin = segs.findIndex((s) => s.src === lab.synack(family) && (s.flags & FIN) !== 0);
          const after = segs.slice(synackFin + 1).filter((s) => s.src === lab.kernel(family)).reduce((n, s) => n + s.len, 0);
          assert.ok(synackFin >= 0, "synack's FIN is in the capture");
          assert.ok(after >= 1_000_000, `the kernel sent ${after} bytes after synack's FIN`);
          assert.equal(segs.filter((s) => (s.flags & RST) !== 0).length, 0, 'no RST: a clean close both ways');
          await assertCleanCapture(lab);
        });
      });
    }
  }
});

describe('refused connections against the Linux kernel over TUN', { skip, concurrency: false, timeout: 120_000 }, () => {
  for (const family of [4, 6] as const) {
    it(`IPv${family}: synack connecting to a closed kernel port gets the kernel's RST and ECONNREFUSED`, async () => {
      await withLab({}, async (lab) => {
        const sock = lab.net.connect({ host: lab.kernel(family), port: 6999 });
        const err = await within(
          new Promise<Error & { code?: string }>((resolve, reject) => {
            sock.once('error', resolve);
            sock.once('connect', () => reject(new Error('connected to a closed port')));
          }),
          10_000,
          'the refusal',
        );
        assert.equal(err.code, 'ECONNREFUSED');
        const segs = await segments(lab);
        assert.equal(segs.length, 2, `SYN and RST only: ${JSON.stringify(segs)}`);
        assert.equal(segs[0]?.src, lab.synack(family));
        assert.equal(segs[1]?.src, lab.kernel(family));
        assert.equal((segs[1]?.flags ?? 0) & (RST | 0x10), RST | 0x10, 'the kernel answers RST+ACK (RFC 9293 3.10.7.1)');
        await assertCleanCapture(lab);
      });
    });

    it(`IPv${family}: the kernel connecting to a closed synack port gets synack's RST and ECONNREFUSED`, async () => {
      await withLab({}, async (lab) => {
        const agent = await lab.agent();
        agent.command({ op: 'connect', id: 'c', host: lab.synack(family), port: 6998 });
        const err = await agent.event('error', 'c', 10_000);
        assert.equal(err.code, 'ECONNREFUSED');
        const segs = await segments(lab);
        assert.equal(segs.length, 2, `SYN and RST only: ${JSON.stringify(segs)}`);
        assert.equal(segs[1]?.src, lab.synack(family));
        assert.equal((segs[1]?.flags ?? 0) & (RST | 0x10), RST | 0x10, 'synack answers RST+ACK');
        assert.equal(lab.stack.counters.drops['tcp-closed-port'], 1);
        await assertCleanCapture(lab);
      });
    });
  }
});

describe('aborts against the Linux kernel over TUN', { skip, concurrency: false, timeout: 120_000 }, () => {
  for (const family of [4, 6] as const) {
    const role = family === 4 ? 'synack-client' : 'kernel-client';
    it(`IPv${family}, ${role}: synack aborts (RST) while the kernel is sending; the kernel sees ECONNRESET`, async () => {
      await withLab({}, async (lab) => {
        const { sock, agent, id } = await lab.open(role, family, 6200 + family);
        let received = 0;
        sock.on('data', (d: Uint8Array) => {
          received += d.length;
          if (received >= 200_000 && !sock.destroyed) sock.destroy();
        });
        agent.command({ op: 'send', id, bytes: 50_000_000 });
        const err = await agent.event('error', id, 20_000);
        assert.ok(err.code === 'ECONNRESET' || err.code === 'EPIPE', `the kernel's error: ${err.code}`);
        await agent.event('close', id, 10_000);
        const segs = await segments(lab);
        const rst = segs.filter((s) => (s.flags & RST) !== 0);
        assert.ok(rst.length >= 1 && rst.every((s) => s.src === lab.synack(family)), `RSTs come from synack only: ${JSON.stringify(rst)}`);
        await assertCleanCapture(lab);
      });
    });

    it(`IPv${family}, ${role}: the kernel aborts (RST) while synack is sending; synack sees ECONNRESET`, async () => {
      await withLab({}, async (lab) => {
        const { sock, agent, id } = await lab.open(role, family, 6300 + family);
        agent.command({ op: 'reset-after', id, bytes: 200_000 });
        const failed = sendRandom(sock, 50_000_000).then(
          () => undefined,
          (e: unknown) => e as Error & { code?: string },
        );
        const err = await within(failed, 20_000, "synack's error");
        assert.equal(err?.code, 'ECONNRESET');
        const close = await agent.event('close', id, 10_000);
        assert.ok(close.received.bytes >= 200_000);
        const segs = await segments(lab);
        const rst = segs.filter((s) => (s.flags & RST) !== 0);
        assert.ok(rst.length >= 1 && rst[0]?.src === lab.kernel(family), `the first RST comes from the kernel: ${JSON.stringify(rst)}`);
        await assertCleanCapture(lab);
      });
    });
  }
});
