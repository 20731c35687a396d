/**
 * The addon's offload mode (virtio_net_hdr on every packet), without root: a SOCK_SEQPACKET pair
 * whose two ends both speak it, so what one end merges into TSO super-packets the other cuts back
 * into segments, exactly as the Linux kernel's GSO would (tcp_gso_segment: the template header,
 * payloads of gso_size, IPv4 IDs counting up, sequence numbers following on, FIN and PSH kept on
 * the last segment only). A run of back-to-back segments must come out byte for byte as it went
 * in, every checksum verifying; packets that may not be merged (another flow, a gap, a changed
 * window, PSH in the middle, a SYN, UDP) go out one by one, unchanged. The kernel's side of
 * offload is tested against the real kernel in test/interop-kernel (bulk and nc with --offload).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadTunAddon, openPacketPair, type PacketLink } from '../../src/link/tun.js';
import { IPV4_DEFAULTS, IpProtocol, Ipv4Packet, emitIpv4, ipv4Address, parseIpv4 } from '../../src/wire/ipv4.js';
import { IPV6_DEFAULTS, Ipv6Packet, emitIpv6, ipv6Address, parseIpv6 } from '../../src/wire/ipv6.js';
import { TcpFlag, TcpPacket, emitTcp, parseTcp, type TcpOption } from '../../src/wire/tcp.js';
import { emitUdp } from '../../src/wire/udp.js';
import { waitFor } from './util.js';

/** Why the addon cannot be used here (no root needed for a seqpacket pair), or false. */
function addonMissing(): string | false {
  try {
    loadTunAddon();
    return false;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
const skip = addonMissing();
const { ACK, PSH, FIN, SYN } = TcpFlag;
const TS: TcpOption = { kind: 8, name: 'timestamps', tsval: 123456, tsecr: 654321 };

interface SegSpec {
  readonly seq: number;
  readonly len: number;
  readonly flags?: number;
  readonly window?: number;
  readonly srcPort?: number;
  readonly id?: number;
}

/** One TCP segment of flow 10.9.0.2:40000 -> 10.9.0.1:5001 (or the IPv6 twin), payload bytes from its sequence number. */
function segment(v: 4 | 6, s: SegSpec): Uint8Array {
  const payload = new Uint8Array(s.len).map((_, i) => (s.seq + i) * 7);
  const tcp = { srcPort: s.srcPort ?? 40000, dstPort: 5001, seq: s.seq >>> 0, ack: 99, flags: s.flags ?? ACK, window: s.window ?? 500, urgentPointer: 0, options: [{ kind: 1, name: 'nop' } as TcpOption, { kind: 1, name: 'nop' } as TcpOption, TS], payload };
  const tcpLen = 32 + s.len;
  if (v === 4) {
    const ip = { ...IPV4_DEFAULTS, src: ipv4Address('10.9.0.2'), dst: ipv4Address('10.9.0.1'), protocol: IpProtocol.TCP, payloadLength: tcpLen, identification: s.id ?? 0 };
    const buf = new Uint8Array(20 + tcpLen);
    emitIpv4(ip, buf);
    emitTcp(tcp, buf.subarray(20), ip);
    return buf;
  }
  const ip = { ...IPV6_DEFAULTS, src: ipv6Address('fd09::2'), dst: ipv6Address('fd09::1'), nextHeader: IpProtocol.TCP, payloadLength: tcpLen };
  const buf = new Uint8Array(40 + tcpLen);
  emitIpv6(ip, buf);
  emitTcp(tcp, buf.subarray(40), ip);
  return buf;
}

/** `n` back-to-back segments of `mss` bytes (IPv4 IDs consecutive), the last `last` bytes with `lastFlags`. */
function run(v: 4 | 6, n: number, mss: number, last: number, lastFlags: number = ACK, seq0 = 1000, id0 = 500): Uint8Array[] {
  return Array.from({ length: n }, (_, i) =>
    segment(v, { seq: seq0 + i * mss, len: i === n - 1 ? last : mss, flags: i === n - 1 ? lastFlags : ACK, id: (id0 + i) & 0xffff }),
  );
}

function verifies(p: Uint8Array): boolean {
  if ((p[0] ?? 0) >> 4 === 4) {
    const ip = parseIpv4(new Ipv4Packet(p));
    return ip.ok && parseTcp(new TcpPacket(new Ipv4Packet(p).payload), ip.value).ok;
  }
  const ip = parseIpv6(new Ipv6Packet(p));
  return ip.ok && parseTcp(new TcpPacket(new Ipv6Packet(p).payload), ip.value).ok;
}

async function through(packets: readonly Uint8Array[]): Promise<{ got: Uint8Array[]; a: PacketLink; b: PacketLink }> {
  const [a, b] = openPacketPair({ vnetHdr: true });
  const got: Uint8Array[] = [];
  b.onPackets((ps) => got.push(...ps.map((p) => p.slice())));
  assert.equal(a.sendMany(packets), 0, 'every packet taken');
  await waitFor(() => got.length >= packets.length, 5000, `${packets.length} packets (have ${got.length})`);
  await new Promise((r) => setTimeout(r, 20));
  return { got, a, b };
}

describe('TSO offload through the addon (seqpacket pair in virtio_net_hdr mode)', { skip }, () => {
  for (const v of [4, 6] as const) {
    it(`IPv${v}: 40 back-to-back segments (the last shorter, PSH) go out as one super-packet and come back identical`, async () => {
      const seg = run(v, 40, 1448, 300, ACK | PSH);
      const { got, a, b } = await through(seg);
      try {
        assert.equal(a.stats().txSuper, 1);
        assert.equal(a.stats().txMerged, 40);
        assert.equal(a.stats().txPackets, 1, 'one write(2)');
        assert.equal(b.stats().rxSuper, 1);
        assert.equal(b.stats().rxSplit, 40);
        assert.equal(got.length, 40);
        got.forEach((p, i) => {
          assert.ok(verifies(p), `segment ${i}: IP and TCP checksums verify`);
          assert.deepEqual(p, seg[i], `segment ${i} byte for byte`);
        });
      } finally {
        a.close();
        b.close();
      }
    });
  }

  it('keeps FIN on the last segment only, and splits runs at 64 segments and at 64 KiB', async () => {
    const fin = run(4, 10, 1000, 1000, ACK | FIN, 7000, 1);
    const long = run(4, 100, 536, 536, ACK, 50_000, 100);
    const big = run(6, 12, 8000, 8000, ACK, 900_000);
    const { got, a, b } = await through([...fin, ...long, ...big]);
    try {
      assert.deepEqual(got, [...fin, ...long, ...big]);
      // 10 with FIN: one; 100 x 536: 64 + 36; 12 x 8000 B: 8 per 64 KiB, then 4.
      assert.equal(a.stats().txSuper, 5);
      assert.equal(a.stats().txPackets, 5);
      assert.equal(b.stats().rxSplit, 122);
    } finally {
      a.close();
      b.close();
    }
  });

  it('writes one by one, unchanged, what may not be merged', async () => {
    const base = run(4, 3, 1000, 1000);
    const s = (spec: SegSpec): Uint8Array => segment(4, { id: 0, ...spec });
    const udp = ((): Uint8Array => {
      const ip = { ...IPV4_DEFAULTS, src: ipv4Address('10.9.0.2'), dst: ipv4Address('10.9.0.1'), protocol: IpProtocol.UDP, payloadLength: 108 };
      const buf = new Uint8Array(128);
      emitIpv4(ip, buf);
      emitUdp({ srcPort: 1, dstPort: 2, payload: new Uint8Array(100) }, buf.subarray(20), ip);
      return buf;
    })();
    const cases: Uint8Array[][] = [
      [s({ seq: 1, len: 1000 }), s({ seq: 1001, len: 1000, srcPort: 40001 })], // another flow
      [s({ seq: 1, len: 1000 }), s({ seq: 2001, len: 1000 })], // a gap
      [s({ seq: 1, len: 1000 }), s({ seq: 1001, len: 1000, window: 501 })], // the window changed
      [s({ seq: 1, len: 1000, flags: ACK | PSH }), s({ seq: 1001, len: 1000 })], // PSH before the end
      [s({ seq: 1, len: 500 }), s({ seq: 501, len: 1000 })], // a longer one after a shorter one
      [s({ seq: 1, len: 0, flags: SYN }), s({ seq: 2, len: 1000 })], // a SYN
      [udp, udp],
      [s({ seq: 1, len: 0 }), s({ seq: 1, len: 0 })], // pure ACKs
    ];
    const all = cases.flat();
    const { got, a, b } = await through([...all, ...base]);
    try {
      assert.deepEqual(got, [...all, ...base]);
      assert.equal(a.stats().txSuper, 1, 'only the last three (a proper run) were merged');
      assert.equal(a.stats().txPackets, all.length + 1);
    } finally {
      a.close();
      b.close();
    }
  });

  it('single sends still work in offload mode (a zero header in front)', async () => {
    const [a, b] = openPacketPair({ vnetHdr: true });
    try {
      const got: Uint8Array[] = [];
      b.onPackets((ps) => got.push(...ps.map((p) => p.slice())));
      const p = segment(6, { seq: 5, len: 10 });
      assert.equal(a.send(p), true);
      await waitFor(() => got.length === 1, 5000, 'the packet');
      assert.deepEqual(got[0], p);
    } finally {
      a.close();
      b.close();
    }
  });
});
