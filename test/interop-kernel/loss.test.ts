/**
 * Transfers between synack and the Linux kernel over a lossy path: the kernel endpoint sits one
 * hop beyond the TUN device's namespace (a routed lab), where nftables in the forward chain drops
 * 1% or 5% of the TCP segments at random, either those synack writes or those the kernel sends;
 * both are real losses to the sending TCP (lab.ts addLoss says why a drop on the kernel's own
 * output would not be). SYNs are exempt; data, ACKs and FINs are not. 2 MB go each way at once, so in every case
 * both data and ACKs of both directions are lost. IPv4 and IPv6; synack is the client at 1% and
 * the server at 5%.
 *
 * What must hold: every byte arrives, SHA-256 equal at both ends; both sides close cleanly; the
 * drops really happened (the nftables counter); the receiver that lost data told its peer with
 * SACK blocks (RFC 2018): the kernel when synack's segments were dropped, synack when the kernel's
 * were (seen in the capture, which is taken on synack's side of the drop); and tshark finds no
 * malformed frame, bad checksum or expert error.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readTsharkFields } from '../interop/tshark.js';
import { labSkipReason, receiveAll, sendRandom, withLab, within, type Role } from './lab.js';

const skip = (await labSkipReason()) ?? false;
const BYTES = 2_000_000;

describe('lossy transfers between synack and the Linux kernel over TUN', { skip, concurrency: false, timeout: 900_000 }, () => {
  for (const family of [4, 6] as const) {
    for (const percent of [1, 5]) {
      const role: Role = percent === 1 ? 'synack-client' : 'kernel-client';
      for (const direction of ['to-kernel', 'to-synack'] as const) {
        const lost = direction === 'to-kernel' ? "synack's segments" : "the kernel's segments";
        it(`IPv${family}, ${role}, ${percent}% of ${lost} dropped: 2 MB each way arrive intact`, async () => {
          await withLab({ routed: true }, async (lab) => {
            const counters = await lab.addLoss(direction, percent);
            const { sock, agent, id } = await lab.open(role, family, 47300 + family * 10 + percent);
            const closed = new Promise<boolean>((r) => sock.once('close', r));
            const got = receiveAll(sock);
            agent.command({ op: 'send', id, bytes: BYTES });
            agent.command({ op: 'end', id });
            const sent = await within(sendRandom(sock, BYTES), 120_000, 'synack sending 2 MB');
            sock.end();
            const fromKernel = await within(got, 120_000, "the kernel's 2 MB");
            const kernelClose = await agent.event('close', id, 120_000);
            assert.equal(await within(closed, 60_000, "synack's close"), false, 'synack closes without error');
            assert.deepEqual(fromKernel, (await agent.event('sent', id)).sent, 'kernel -> synack intact');
            assert.deepEqual(kernelClose.received, sent, 'synack -> kernel intact');
            assert.equal(kernelClose.hadError, false);

            const c = await counters();
            assert.ok(c.dropped > 0, `nftables dropped ${c.dropped} of ${c.seen} segments`);
            const frames = await readTsharkFields(lab.capture());
            const sackFrom = (src: string): number => frames.filter((f) => (f['ip.src'][0] ?? f['ipv6.src'][0]) === src && f['tcp.options.sack_le'].length > 0).length;
            const receiver = direction === 'to-kernel' ? lab.kernel(family) : lab.synack(family);
            assert.ok(sackFrom(receiver) > 0, `${receiver}, whose incoming segments were dropped, sends SACK blocks`);
            if (direction === 'to-kernel') {
              const tc = sock.core.tcpCounters;
              assert.ok(tc !== undefined && tc.retransmissions > 0, 'synack retransmitted');
            }
            const cap = await lab.checkCapture();
            assert.deepEqual(cap.bad, [], 'tshark: no malformed frame, bad checksum or expert error');
          });
        });
      }
    }
  }
});
