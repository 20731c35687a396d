/**
 * Bulk transfers between synack (on a TUN device) and the Linux kernel, IPv4 and IPv6, both roles,
 * over a clean link:
 *  - 1 MB each way at once on one connection (both data directions, both sides closing after);
 *  - 100 MB one way: synack -> kernel with synack as the client, kernel -> synack with synack as
 *    the server (so each data direction and each role moves 100 MB in each family).
 * Every byte is checked by SHA-256 at both ends (the kernel agent hashes what its sockets read and
 * write), the connection closes cleanly (no RST, no error on either side), and the capture of the
 * whole transfer opens in tshark with no malformed frame, no bad checksum, no expert error.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ROLES, labSkipReason, receiveAll, sendRandom, withLab, within } from './lab.js';

const skip = (await labSkipReason()) ?? false;

describe('bulk transfers between synack and the Linux kernel over TUN', { skip, concurrency: false, timeout: 600_000 }, () => {
  for (const family of [4, 6] as const) {
    for (const role of ROLES) {
      it(`IPv${family}, ${role}: 1 MB each way at once, SHA-256 equal at both ends`, async () => {
        await withLab({}, async (lab) => {
          const { sock, agent, id } = await lab.open(role, family, 47100 + family);
          const closed = new Promise<boolean>((r) => sock.once('close', r));
          const got = receiveAll(sock);
          agent.command({ op: 'send', id, bytes: 1_000_000 });
          agent.command({ op: 'end', id });
          const sent = await within(sendRandom(sock, 1_000_000), 30_000, 'synack sending 1 MB');
          sock.end();
          const fromKernel = await within(got, 30_000, "the kernel's 1 MB");
          const kernelClose = await agent.event('close', id, 30_000);
          assert.equal(await within(closed, 10_000, "synack's close"), false, 'synack closes without error');
          assert.deepEqual(fromKernel, (await agent.event('sent', id)).sent, 'kernel -> synack intact');
          assert.deepEqual(kernelClose.received, sent, 'synack -> kernel intact');
          assert.equal(kernelClose.hadError, false);
          const cap = await lab.checkCapture();
          assert.deepEqual(cap.bad, [], 'tshark: no malformed frame, bad checksum or expert error');
        });
      });
    }

    for (const [role, direction] of [
      ['synack-client', 'synack -> kernel'],
      ['kernel-client', 'kernel -> synack'],
    ] as const) {
      it(`IPv${family}, ${role}: 100 MB ${direction}, SHA-256 equal at both ends`, async () => {
        await withLab({}, async (lab) => {
          const { sock, agent, id } = await lab.open(role, family, 47200 + family);
          const closed = new Promise<boolean>((r) => sock.once('close', r));
          const got = receiveAll(sock);
          const n = 100_000_000;
          let sent;
          if (direction === 'synack -> kernel') {
            agent.command({ op: 'end', id });
            sent = await within(sendRandom(sock, n), 240_000, 'synack sending 100 MB');
            sock.end();
            const fromKernel = await within(got, 10_000, "the kernel's FIN");
            assert.equal(fromKernel.bytes, 0);
          } else {
            agent.command({ op: 'send', id, bytes: n });
            agent.command({ op: 'end', id });
            const fromKernel = await within(got, 240_000, "the kernel's 100 MB");
            sent = (await agent.event('sent', id)).sent;
            assert.deepEqual(fromKernel, sent, 'kernel -> synack intact');
            sock.end();
          }
          const kernelClose = await agent.event('close', id, 30_000);
          assert.equal(await within(closed, 10_000, "synack's close"), false);
          assert.equal(kernelClose.hadError, false);
          if (direction === 'synack -> kernel') assert.deepEqual(kernelClose.received, sent, 'synack -> kernel intact');
          const cap = await lab.checkCapture();
          assert.ok(cap.frames > n / 1500, `${cap.frames} frames`);
          assert.deepEqual(cap.bad, [], 'tshark: no malformed frame, bad checksum or expert error');
        });
      });
    }
  }
});

describe('bulk transfers with TSO/GSO offload on the TUN device', { skip, concurrency: false, timeout: 600_000 }, () => {
  // The kernel sends TSO super-packets (cut back into segments by the addon, or with gro taken
  // whole) and takes synack's merged ones; the bytes must not notice.
  for (const family of [4, 6] as const) {
    for (const gro of [false, true]) {
      const role = gro ? 'kernel-client' : 'synack-client';
      it(`IPv${family}, ${role}, ${gro ? 'GRO' : 'segments cut'}: 1 MB each way, then 20 MB each way, SHA-256 equal; super-packets both ways`, async () => {
        await withLab({ offload: true, gro }, async (lab) => {
          assert.equal(lab.dev.offload, true);
          for (const [port, n] of [
            [47400 + family * 2 + (gro ? 1 : 0), 1_000_000],
            [47500 + family * 2 + (gro ? 1 : 0), 20_000_000],
          ] as const) {
            const { sock, agent, id } = await lab.open(role, family, port, `k${port}`);
            const closed = new Promise<boolean>((r) => sock.once('close', r));
            const got = receiveAll(sock);
            agent.command({ op: 'send', id, bytes: n });
            agent.command({ op: 'end', id });
            const sent = await within(sendRandom(sock, n), 60_000, `synack sending ${n} B`);
            sock.end();
            const fromKernel = await within(got, 60_000, `the kernel's ${n} B`);
            const kernelClose = await agent.event('close', id, 30_000);
            assert.equal(await within(closed, 10_000, "synack's close"), false);
            assert.deepEqual(fromKernel, (await agent.event('sent', id)).sent, 'kernel -> synack intact');
            assert.deepEqual(kernelClose.received, sent, 'synack -> kernel intact');
            assert.equal(kernelClose.hadError, false);
          }
          const s = lab.dev.stats();
          assert.ok(s.txSuper > 0 && s.txMerged > s.txSuper, `synack wrote super-packets: ${s.txSuper} from ${s.txMerged} segments`);
          assert.ok(s.rxSuper > 0, `the kernel sent super-packets: ${s.rxSuper}`);
          assert.equal(s.rxBad, 0);
          if (!gro) assert.ok(s.rxSplit > s.rxSuper, `cut into ${s.rxSplit} segments`);
          const cap = await lab.checkCapture();
          assert.deepEqual(cap.bad, [], 'tshark: no malformed frame, bad checksum or expert error');
        });
      });
    }
  }
});
