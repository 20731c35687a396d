/**
 * A real TUN device against the real Linux kernel. The device is created by this process, moved
 * into a fresh namespace `sk-tun-<pid>-<hex>` (the fd keeps working) and configured there; raw IP
 * packets then flow both ways:
 *
 *   - the kernel answers ICMP and ICMPv6 echo requests we write (RFC 792, RFC 4443 4.2: same
 *     identifier, sequence number and data), with checksums that verify;
 *   - a kernel TCP connect() to the peer address sends us a SYN whose MSS is the device MTU minus
 *     the IP and TCP headers (RFC 9293 3.7.1, RFC 6691), and our RST makes it fail ECONNREFUSED;
 *   - 10,000 echo requests written in one synchronous burst all come back, read in batches;
 *     10,000 full-size UDP datagrams round-trip through a kernel socket that echoes them;
 *   - deleting the device under an open fd is reported once as an IO error; close() removes it.
 *
 * Root only (CAP_NET_ADMIN, iproute2, network namespaces); otherwise skipped with the reason.
 * Everything is removed in after(), and every wait is bounded.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { TunDevice, TunErrorCode } from '../../src/link/tun.js';
import { type Ipv4Repr, Ipv4Packet, IPV4_DEFAULTS, IpProtocol, emitIpv4, formatIpv4Address, ipv4Address, parseIpv4 } from '../../src/wire/ipv4.js';
import { type Ipv6Repr, IPV6_DEFAULTS, Ipv6Packet, emitIpv6, formatIpv6Address, ipv6Address, parseIpv6 } from '../../src/wire/ipv6.js';
import { Icmpv4Packet, Icmpv4Type, Icmpv6Packet, Icmpv6Type, parseIcmpv4, parseIcmpv6 } from '../../src/wire/icmp.js';
import { TcpFlag, TcpPacket, emitTcp, findMss, parseTcp } from '../../src/wire/tcp.js';
import { UdpPacket, parseUdp } from '../../src/wire/udp.js';
import { findTool } from '../kernel/netns.js';
import { TunNetns, icmpv4Echo, icmpv6Echo, runNode, tunSkipReason, udpv4, waitFor } from './util.js';

const skip = (await tunSkipReason()) ?? false;

const KERNEL4 = '10.201.0.1';
const PEER4 = '10.201.0.2';
const KERNEL6 = 'fd20::1';
const PEER6 = 'fd20::2';
const MTU = 9000;
const DEV = 'sktun0';

/** What came out of the device, newest last; tests wait for the packet they want. */
class Inbox {
  readonly packets: Uint8Array[] = [];
  take(match: (p: Uint8Array) => boolean): Uint8Array | undefined {
    const i = this.packets.findIndex(match);
    return i < 0 ? undefined : this.packets.splice(i, 1)[0];
  }
  async next(match: (p: Uint8Array) => boolean, what: string, ms = 5000): Promise<Uint8Array> {
    let got: Uint8Array | undefined;
    await waitFor(() => (got = this.take(match)) !== undefined, ms, what);
    return got as Uint8Array;
  }
}

function ipVersion(p: Uint8Array): number {
  return (p[0] ?? 0) >> 4;
}

function isIcmpv4(p: Uint8Array, type: number, id: number): boolean {
  if (ipVersion(p) !== 4 || p[9] !== IpProtocol.ICMP) return false;
  const icmp = new Ipv4Packet(p).payload;
  return icmp[0] === type && ((icmp[4] ?? 0) << 8 | (icmp[5] ?? 0)) === id;
}

describe('TUN device against the Linux kernel', { skip, concurrency: false }, () => {
  let ns: TunNetns;
  let dev: TunDevice;
  const inbox = new Inbox();
  // Packets are handed over by the batch callback; bulk tests switch this off and count themselves.
  let collect = true;

  before(async () => {
    ns = await TunNetns.create();
    dev = await TunDevice.open({
      name: DEV,
      netns: ns.name,
      address: [`${KERNEL4}/24`, `${KERNEL6}/64`],
      peer: PEER4,
      mtu: MTU,
      txQueueLength: 12_000,
    });
    dev.onPackets((ps) => {
      if (collect) for (const p of ps) inbox.packets.push(p);
    });
  });

  after(async () => {
    dev?.close();
    await ns?.destroy();
  });

  it('creates and configures the device in the namespace: up, MTU, addresses, peer', async () => {
    assert.equal(dev.name, DEV);
    assert.equal(dev.created, true);
    assert.equal(dev.netns, ns.name);
    assert.equal(dev.mtu, MTU);
    const r = await ns.ip(['-j', 'addr', 'show', 'dev', DEV]);
    const [info] = JSON.parse(r.stdout) as { flags: string[]; mtu: number; txqlen: number; addr_info: { family: string; local: string; address?: string; prefixlen: number }[] }[];
    assert.ok(info !== undefined);
    assert.ok(info.flags.includes('UP'), `flags ${info.flags.join(',')}`);
    assert.ok(info.flags.includes('POINTOPOINT'), 'a TUN device is point-to-point');
    assert.equal(info.mtu, MTU);
    assert.equal(info.txqlen, 12_000);
    assert.ok(info.addr_info.some((a) => a.family === 'inet' && a.local === KERNEL4 && a.address === PEER4), JSON.stringify(info.addr_info));
    assert.ok(info.addr_info.some((a) => a.family === 'inet6' && a.local === KERNEL6 && a.prefixlen === 64));
  });

  it('the kernel answers an ICMP echo request written to the device (RFC 792)', async () => {
    const data = new TextEncoder().encode('synack over TUN: echo me back, byte for byte!');
    assert.equal(dev.send(icmpv4Echo(PEER4, KERNEL4, 0x5341, 7, data)), true);
    const reply = await inbox.next((p) => isIcmpv4(p, Icmpv4Type.ECHO_REPLY, 0x5341), 'the echo reply');
    const ip = parseIpv4(new Ipv4Packet(reply));
    assert.ok(ip.ok, 'IPv4 header checksum must verify');
    assert.equal(formatIpv4Address(ip.value.src), KERNEL4);
    assert.equal(formatIpv4Address(ip.value.dst), PEER4);
    const icmp = parseIcmpv4(new Icmpv4Packet(new Ipv4Packet(reply).payload));
    assert.ok(icmp.ok, 'ICMP checksum must verify');
    assert.equal(icmp.value.type, Icmpv4Type.ECHO_REPLY);
    assert.equal(icmp.value.code, 0);
    assert.equal(icmp.value.rest, (0x5341 << 16) | 7);
    assert.deepEqual(icmp.value.payload, data);
  });

  it('the kernel answers an ICMPv6 echo request (RFC 4443 4.2)', async () => {
    const data = new Uint8Array(100).map((_, i) => i);
    assert.equal(dev.send(icmpv6Echo(PEER6, KERNEL6, 0x5336, 9, data)), true);
    const reply = await inbox.next((p) => {
      if (ipVersion(p) !== 6 || p[6] !== 58) return false;
      const m = new Ipv6Packet(p).payload;
      return m[0] === Icmpv6Type.ECHO_REPLY && m[4] === 0x53 && m[5] === 0x36;
    }, 'the ICMPv6 echo reply');
    const ip = parseIpv6(new Ipv6Packet(reply));
    assert.ok(ip.ok);
    assert.equal(formatIpv6Address(ip.value.src), KERNEL6);
    assert.equal(formatIpv6Address(ip.value.dst), PEER6);
    const icmp = parseIcmpv6(new Icmpv6Packet(new Ipv6Packet(reply).payload), ip.value);
    assert.ok(icmp.ok, 'ICMPv6 checksum (with the pseudo-header) must verify');
    assert.equal(icmp.value.rest, (0x5336 << 16) | 9);
    assert.deepEqual(icmp.value.payload, data);
  });

  for (const family of [4, 6] as const) {
    it(`a kernel connect() over IPv${family} sends us a SYN with MSS = MTU - ${family === 4 ? 40 : 60}, and our RST refuses it`, async () => {
      const peer = family === 4 ? PEER4 : PEER6;
      const port = 8000 + family;
      const child = runNode(
        `import net from 'node:net';
         const s = net.connect({ host: ${JSON.stringify(peer)}, port: ${port} });
         s.on('connect', () => { console.log('connected'); process.exit(0); });
         s.on('error', (e) => { console.log(e.code); process.exit(0); });
         setTimeout(() => { console.log('no answer'); process.exit(0); }, 8000);`,
        { netns: ns.name, timeoutMs: 12_000 },
      );
      const synPacket = await inbox.next((p) => {
        if (ipVersion(p) !== family) return false;
        const [proto, seg] = family === 4 ? [p[9], new Ipv4Packet(p).payload] : [p[6], new Ipv6Packet(p).payload];
        return proto === IpProtocol.TCP && ((seg[2] ?? 0) << 8 | (seg[3] ?? 0)) === port;
      }, 'the SYN', 8000);
      let syn;
      let rstIp: Ipv4Repr | Ipv6Repr;
      if (family === 4) {
        const ipr = parseIpv4(new Ipv4Packet(synPacket));
        assert.ok(ipr.ok);
        assert.equal(formatIpv4Address(ipr.value.src), KERNEL4);
        syn = parseTcp(new TcpPacket(new Ipv4Packet(synPacket).payload), ipr.value);
        rstIp = { ...IPV4_DEFAULTS, src: ipv4Address(PEER4), dst: ipr.value.src, protocol: IpProtocol.TCP, payloadLength: 20 };
      } else {
        const ipr = parseIpv6(new Ipv6Packet(synPacket));
        assert.ok(ipr.ok);
        assert.equal(formatIpv6Address(ipr.value.src), KERNEL6);
        syn = parseTcp(new TcpPacket(new Ipv6Packet(synPacket).payload), ipr.value);
        rstIp = { ...IPV6_DEFAULTS, src: ipv6Address(PEER6), dst: ipr.value.src, nextHeader: IpProtocol.TCP, payloadLength: 20 };
      }
      assert.ok(syn.ok, 'TCP checksum must verify');
      assert.equal(syn.value.flags, TcpFlag.SYN);
      assert.equal(findMss(syn.value.options), MTU - (family === 4 ? 40 : 60));
      // RFC 9293 3.10.7.3 (SYN-SENT): an acceptable RST (ACK = ISS + 1) means "connection refused".
      const hl = family === 4 ? 20 : 40;
      const rst = new Uint8Array(hl + 20);
      if ('protocol' in rstIp) emitIpv4(rstIp, rst);
      else emitIpv6(rstIp, rst);
      emitTcp(
        { srcPort: port, dstPort: syn.value.srcPort, seq: 0, ack: (syn.value.seq + 1) >>> 0, flags: TcpFlag.RST | TcpFlag.ACK, window: 0, urgentPointer: 0, options: [], payload: new Uint8Array(0) },
        rst.subarray(hl),
        rstIp,
      );
      assert.equal(dev.send(rst), true);
      const out = await child;
      assert.equal(out.stdout.trim(), 'ECONNREFUSED', out.stderr);
    });
  }

  it('10,000 echo requests written in one synchronous burst all come back, read in batches', async () => {
    collect = false;
    const N = 10_000;
    const seen = new Uint8Array(N);
    let replies = 0;
    let bad = 0;
    const before = dev.stats();
    dev.onPackets((ps) => {
      for (const p of ps) {
        if (!isIcmpv4(p, Icmpv4Type.ECHO_REPLY, 0xb00)) continue;
        const icmp = parseIcmpv4(new Icmpv4Packet(new Ipv4Packet(p).payload));
        if (!icmp.ok) {
          bad++;
          continue;
        }
        const seq = icmp.value.rest & 0xffff;
        if (seq < N && seen[seq] === 0) {
          seen[seq] = 1;
          replies++;
        }
      }
    });
    try {
      const payload = new Uint8Array(56).fill(0x5a);
      for (let i = 0; i < N; i++) assert.equal(dev.send(icmpv4Echo(PEER4, KERNEL4, 0xb00, i, payload)), true);
      await waitFor(() => replies === N, 20_000, `${N} echo replies (have ${replies})`);
      assert.equal(bad, 0);
      const s = dev.stats();
      assert.equal(s.txPackets - before.txPackets, N);
      assert.equal(s.txErrors, 0);
      assert.equal(s.txDropped, 0);
      const batches = s.rxBatches - before.rxBatches;
      assert.ok(batches <= N / 8, `${batches} calls into JS for ${N} replies: not batched`);
    } finally {
      dev.onPackets((ps) => {
        if (collect) for (const p of ps) inbox.packets.push(p);
      });
      collect = true;
    }
  });

  it('10,000 full-size UDP datagrams round-trip through a kernel socket that echoes them', async () => {
    const PORT = 7007;
    const server = spawnEcho(ns.name, KERNEL4, PORT);
    collect = false;
    try {
      await waitForLine(server, 'ready', 8000);
      const N = 10_000;
      const WINDOW = 64; // below what the echo socket's receive buffer holds
      const size = 1500 - 28; // 1500-byte IP packets
      let sent = 0;
      let received = 0;
      let bytes = 0;
      let corrupt = 0;
      const sendOne = (): void => {
        const payload = new Uint8Array(size);
        new DataView(payload.buffer).setUint32(0, sent);
        payload.fill(sent & 0xff, 4);
        assert.equal(dev.send(udpv4(PEER4, 40000, KERNEL4, PORT, payload)), true);
        sent++;
      };
      dev.onPackets((ps) => {
        for (const p of ps) {
          if (ipVersion(p) !== 4 || p[9] !== IpProtocol.UDP) continue;
          const ipv = new Ipv4Packet(p);
          const ipr = parseIpv4(ipv);
          const udp = ipr.ok ? parseUdp(new UdpPacket(ipv.payload), ipr.value) : undefined;
          if (udp === undefined || !udp.ok || udp.value.srcPort !== PORT) {
            corrupt++;
            continue;
          }
          const pl = udp.value.payload;
          const seq = new DataView(pl.buffer, pl.byteOffset).getUint32(0);
          if (pl.length !== size || pl[size - 1] !== (seq & 0xff)) corrupt++;
          received++;
          bytes += p.length;
          if (sent < N) sendOne();
        }
      });
      while (sent < WINDOW) sendOne();
      await waitFor(() => received === N, 30_000, `${N} echoed datagrams (have ${received}, sent ${sent})`);
      assert.equal(corrupt, 0);
      assert.equal(bytes, N * 1500);
    } finally {
      server.kill('SIGKILL');
      dev.onPackets((ps) => {
        if (collect) for (const p of ps) inbox.packets.push(p);
      });
      collect = true;
    }
  });

  it('reports the deletion of the device under an open fd once, as an IO error', async () => {
    const other = await TunDevice.open({ name: 'sktun1', netns: ns.name });
    try {
      const errors: string[] = [];
      other.onError((e) => errors.push(`${e.code} ${e.message}`));
      other.onReceive(() => undefined);
      await ns.ip(['link', 'del', 'dev', 'sktun1']);
      await waitFor(() => errors.length > 0, 5000, 'the error');
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(errors.length, 1);
      assert.match(errors[0] ?? '', new RegExp(`^${TunErrorCode.IO} TUN device sktun1: the device was deleted`));
    } finally {
      other.close();
    }
  });

  it('lets the kernel pick the name when none is given, and routes extra prefixes to the device', async () => {
    const other = await TunDevice.open({ netns: ns.name, address: ['10.205.0.1/24', 'fd25::1/64'], routes: ['10.206.0.0/16', 'fd26::/64'] });
    try {
      assert.match(other.name, /^tun\d+$/);
      for (const dst of ['10.206.7.7', 'fd26::7']) {
        const r = await ns.ip(['route', 'get', dst]);
        assert.match(r.stdout, new RegExp(`\\bdev ${other.name}\\b`), `route to ${dst}: ${r.stdout}`);
      }
    } finally {
      other.close();
    }
  });

  it('close() removes the device it created', async () => {
    const other = await TunDevice.open({ name: 'sktun2', netns: ns.name, address: '10.202.0.1/24' });
    assert.equal((await ns.ip(['link', 'show', 'dev', 'sktun2'], { allowFailure: true })).code, 0);
    other.close();
    let gone = false;
    for (let i = 0; i < 50 && !gone; i++) {
      gone = (await ns.ip(['link', 'show', 'dev', 'sktun2'], { allowFailure: true })).code !== 0;
      if (!gone) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(gone, 'sktun2 is still there after close()');
    assert.equal(other.send(new Uint8Array(20)), false);
  });
});

/** A kernel UDP echo server (node dgram) inside the namespace; prints 'ready' once bound. */
function spawnEcho(netns: string, host: string, port: number): ChildProcess {
  const ip = findTool('ip') ?? 'ip';
  const code = `import dgram from 'node:dgram';
    const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
    s.on('message', (m, r) => s.send(m, r.port, r.address));
    s.bind(${port}, ${JSON.stringify(host)}, () => console.log('ready'));
    setTimeout(() => process.exit(0), 60000);`;
  return spawn(ip, ['netns', 'exec', netns, process.execPath, '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
}

function waitForLine(child: ChildProcess, line: string, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no '${line}' from the child within ${ms} ms`)), ms);
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      buf += s;
      if (buf.split('\n').includes(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the child exited (${code}) before '${line}'`));
    });
  });
}
