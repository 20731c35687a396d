/**
 * The three-way handshake between synack (on a TUN device) and the Linux kernel, both roles, IPv4
 * and IPv6: the options each side offers and what each side makes of the other's.
 *
 * Truth comes from outside synack: tshark decodes the SYN and SYN-ACK from the capture of the TUN
 * link, and `ss -tin` in the namespace reports the kernel's socket. The rules checked:
 *  - MSS: each side announces MTU - 40 (IPv4) or MTU - 60 (IPv6), RFC 9293 3.7.1 / RFC 6691 (the
 *    kernel derives its MSS from the device MTU too; both ends see the same device);
 *  - SACK-permitted (RFC 2018), timestamps (RFC 7323 3) and window scale (RFC 7323 2) are offered
 *    on both SYNs, so both sides use all three;
 *  - window scale: each side uses the shift the *other* announced (RFC 7323 2.2): the kernel's
 *    `wscale:snd,rcv` is (synack's shift, the kernel's shift), and synack's engine the reverse;
 *  - with timestamps in use, the data in a full segment is the peer's MSS minus the 12 bytes of the
 *    timestamp option (RFC 7323 3.2, RFC 6691): the kernel's `mss`, and the largest segment each
 *    side sent (10,000 bytes each way, so each sends one full segment);
 *  - the kernel's send window (`snd_wnd`) is the window synack advertised, scaled by synack's shift.
 * The device MTU differs per family (1500, 4000) so the MSS values are not a coincidence.
 * `ss` (iproute2 6.1) on this kernel (6.18) prints no `ts`/`sack` flags, even between two kernel
 * sockets, although getsockopt(TCP_INFO) has them: the kernel's use of timestamps shows in its mss
 * and segment sizes instead, and its use of SACK in loss.test.ts (SACK blocks it sends).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readTsharkFields, type TsharkFrame } from '../interop/tshark.js';
import { ROLES, labSkipReason, withLab, type Family } from './lab.js';

const skip = (await labSkipReason()) ?? false;

const MTU: Record<Family, number> = { 4: 1500, 6: 4000 };
const HEADERS: Record<Family, number> = { 4: 40, 6: 60 };

interface Syn {
  readonly src: string;
  readonly flags: number;
  readonly mss: number | undefined;
  readonly wscale: number | undefined;
  readonly sackPermitted: boolean;
  readonly timestamps: boolean;
}

function synOf(f: TsharkFrame): Syn {
  const kinds = f['tcp.option_kind'].map(Number);
  const num = (v: string | undefined): number | undefined => (v === undefined || v === '' ? undefined : Number(v));
  return {
    src: f['ip.src'][0] ?? f['ipv6.src'][0] ?? '',
    flags: Number(f['tcp.flags'][0] ?? 'NaN'),
    mss: num(f['tcp.options.mss_val'][0]),
    wscale: num(f['tcp.options.wscale.shift'][0]),
    sackPermitted: kinds.includes(4),
    timestamps: kinds.includes(8),
  };
}

describe('handshake between synack and the Linux kernel over TUN', { skip, concurrency: false, timeout: 120_000 }, () => {
  for (const family of [4, 6] as const) {
    for (const role of ROLES) {
      it(`IPv${family}, ${role}: both sides offer MSS (MTU - ${HEADERS[family]}), SACK-permitted, timestamps and window scale, and both use them`, async () => {
        await withLab({ mtu: MTU[family] }, async (lab) => {
          const port = 5000 + family;
          const { sock, agent, id } = await lab.open(role, family, port);
          // Some data both ways, so each side has seen the other's scaled windows.
          sock.write(new Uint8Array(10_000).fill(1));
          agent.command({ op: 'send', id, bytes: 10_000 });
          await agent.event('sent', id);
          await new Promise((r) => setTimeout(r, 100));
          const ss = await lab.ss(port);
          const info = sock.core.tcpInfo();
          assert.ok(ss !== undefined, 'the kernel has an established socket');
          assert.ok(info !== undefined);
          sock.end();
          agent.command({ op: 'end', id });
          await agent.event('close', id);

          const all = await readTsharkFields(lab.capture());
          const frames = all.filter((f) => (Number(f['tcp.flags'][0] ?? '0') & 0x02) !== 0);
          const syns = frames.map(synOf);
          const largest = (src: string): number =>
            Math.max(0, ...all.filter((f) => (f['ip.src'][0] ?? f['ipv6.src'][0]) === src).map((f) => Number(f['tcp.len'][0] ?? '0')));
          assert.equal(syns.length, 2, `one SYN and one SYN-ACK in the capture, got ${JSON.stringify(syns)}`);
          const [syn, synAck] = syns as [Syn, Syn];
          assert.equal(syn.flags & 0x12, 0x02, 'the first is a SYN');
          assert.equal(synAck.flags & 0x12, 0x12, 'the second is a SYN-ACK');
          const [ours, kernels] = role === 'synack-client' ? [syn, synAck] : [synAck, syn];
          assert.equal(ours.src, lab.synack(family));
          assert.equal(kernels.src, lab.kernel(family));

          const mss = MTU[family] - HEADERS[family];
          for (const [who, s] of [['synack', ours], ['kernel', kernels]] as const) {
            assert.equal(s.mss, mss, `${who}'s MSS option`);
            assert.ok(s.sackPermitted, `${who} offers SACK-permitted`);
            assert.ok(s.timestamps, `${who} offers timestamps`);
            assert.ok(s.wscale !== undefined && s.wscale >= 0 && s.wscale <= 14, `${who} offers window scale 0..14 (RFC 7323 2.3), got ${s.wscale}`);
          }

          // synack's view (its engine): the kernel's options taken as offered.
          assert.equal(info.timestamps, true, 'synack uses timestamps');
          assert.equal(info.sack, true, 'synack uses SACK');
          assert.equal(info.sndWndShift, kernels.wscale, "synack scales the kernel's windows by the kernel's shift");
          assert.equal(info.rcvWndShift, ours.wscale, 'synack scales its own windows by the shift it announced');
          assert.equal(info.peerMss, mss);
          assert.equal(info.effSndMss, mss, 'effective send MSS before options (RFC 9293 3.7.1)');
          assert.equal(largest(lab.synack(family)), mss - 12, "synack's full segments carry MSS - 12 bytes next to the timestamp option");
          assert.equal(largest(lab.kernel(family)), mss - 12, "the kernel's full segments carry MSS - 12 bytes next to the timestamp option");

          // The kernel's view (ss -tin).
          assert.deepEqual(ss.wscale, [ours.wscale, kernels.wscale], `kernel's wscale:snd,rcv; ss: ${ss.line}`);
          assert.equal(ss.mss, mss - 12, `the kernel's mss accounts for the timestamp option; ss: ${ss.line}`);
          const sndWnd = /\bsnd_wnd:(\d+)/.exec(ss.line);
          assert.ok(sndWnd !== null, ss.line);
          assert.equal(Number(sndWnd[1]) % 2 ** (ours.wscale ?? 0), 0, `the kernel's send window is a multiple of 2^${ours.wscale}: ${ss.line}`);
          assert.ok(Number(sndWnd[1]) > 65535, `the kernel's send window (synack's receive window) exceeds 64 KiB: scaling is in use; ${ss.line}`);

          const cap = await lab.checkCapture();
          assert.deepEqual(cap.bad, [], 'tshark: no malformed frame, bad checksum or expert error');
        });
      });
    }
  }
});
