/**
 * The capture check every interop test ends with (lab.ts captureProblems) must be able to fail:
 * crafted LINKTYPE_RAW captures with one defect each (a bad TCP checksum, a bad IPv4 header
 * checksum, a TCP header cut short) are flagged at exactly that frame, and a clean capture is not,
 * even with random payload on a port tshark gives to a protocol (6000, X11), nor a TCP checksum
 * written as 0xffff where 0x0000 is computed (RFC 1624 3; the Linux kernel does that).
 * Needs tshark only (no root).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureRecorder } from '../../src/link/tap.js';
import { IPV4_DEFAULTS, IpProtocol, emitIpv4, ipv4Address } from '../../src/wire/ipv4.js';
import { TcpFlag, emitTcp } from '../../src/wire/tcp.js';
import { findTool } from '../kernel/netns.js';
import { captureProblems } from './lab.js';

const skip = findTool('tshark') === null ? 'needs tshark (apt-get install tshark)' : false;

const A = ipv4Address('10.91.0.2');
const B = ipv4Address('10.91.0.1');

/** An IPv4/TCP packet with `payload` (checksums right). */
function packet(seq: number, payload: Uint8Array, ports: [number, number] = [50000, 6000]): Uint8Array {
  const ip = { ...IPV4_DEFAULTS, src: A, dst: B, protocol: IpProtocol.TCP, payloadLength: 20 + payload.length, identification: seq & 0xffff };
  const buf = new Uint8Array(40 + payload.length);
  emitIpv4(ip, buf);
  emitTcp({ srcPort: ports[0], dstPort: ports[1], seq, ack: 1, flags: TcpFlag.ACK | TcpFlag.PSH, window: 1000, urgentPointer: 0, options: [], payload }, buf.subarray(20), ip);
  return buf;
}

const dir = mkdtempSync(join(tmpdir(), 'synack-capcheck-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function pcap(name: string, packets: readonly Uint8Array[]): string {
  const chunks: Uint8Array[] = [];
  const rec = new CaptureRecorder({ sink: (c) => chunks.push(c.slice()), epochSeconds: 1_700_000_000 });
  packets.forEach((p, i) => rec.record(i, p));
  const file = join(dir, name);
  writeFileSync(file, Buffer.concat(chunks));
  return file;
}

describe('captureProblems (the tshark check of every interop capture)', { skip }, () => {
  const payloads = [0, 1, 2, 3].map(() => new Uint8Array(randomBytes(700)));
  let seq = 1000;
  const clean = payloads.map((p) => {
    const pk = packet(seq, p);
    seq += p.length;
    return pk;
  });

  it('passes a clean capture with random payload on an X11 port', async () => {
    assert.deepEqual(await captureProblems(pcap('clean.pcap', clean)), { frames: 4, bad: [] });
  });

  it('flags the frame with a bad TCP checksum', async () => {
    const bad = clean.map((p) => p.slice());
    const third = bad[2] as Uint8Array;
    third[36] = (third[36] ?? 0) ^ 0x01; // TCP checksum, high byte
    assert.deepEqual(await captureProblems(pcap('tcp-sum.pcap', bad)), { frames: 4, bad: [3] });
  });

  it('flags the frame with a bad IPv4 header checksum', async () => {
    const bad = clean.map((p) => p.slice());
    const second = bad[1] as Uint8Array;
    second[10] = (second[10] ?? 0) ^ 0x80;
    assert.deepEqual(await captureProblems(pcap('ip-sum.pcap', bad)), { frames: 4, bad: [2] });
  });

  it("passes a TCP checksum of 0xffff where 0x0000 is computed (RFC 1624 3: the same zero; Linux's CSUM_MANGLED_0)", async () => {
    // Payload word 0 chosen so that the checksum computes to 0x0000 (adding w to the sum adds w):
    // with the word 0 the checksum is C = ~sum; with the word C the sum is 0xffff, its complement 0.
    const p = new Uint8Array(100);
    const first = packet(5000, p);
    p[0] = first[36] ?? 0;
    p[1] = first[37] ?? 0;
    const zero = packet(5000, p);
    assert.equal((zero[36] ?? 1) | (zero[37] ?? 1), 0, 'the crafted segment checksums to 0x0000');
    zero[36] = 0xff;
    zero[37] = 0xff;
    const wrong = zero.slice();
    wrong[37] = 0xfe;
    assert.deepEqual(await captureProblems(pcap('ffff.pcap', [zero, wrong])), { frames: 2, bad: [2] });
  });

  it('flags a frame whose TCP header is cut short', async () => {
    const cut = clean.map((p) => p.slice());
    // IPv4 total length 30: ten bytes of a TCP header.
    const last = (cut[3] as Uint8Array).slice(0, 30);
    last[2] = 0;
    last[3] = 30;
    const ip = { ...IPV4_DEFAULTS, src: A, dst: B, protocol: IpProtocol.TCP, payloadLength: 10, identification: 9 };
    emitIpv4(ip, last);
    cut[3] = last;
    assert.deepEqual(await captureProblems(pcap('cut.pcap', cut)), { frames: 4, bad: [4] });
  });
});
