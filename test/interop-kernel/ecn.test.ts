/**
 * ECN (RFC 3168) between synack (on a TUN device) and the Linux kernel, IPv4 and IPv6.
 *
 * Negotiation, on a direct link:
 *  - synack's client with ecn 'on' against a kernel listener left at the default tcp_ecn = 2
 *    (answer ECN requests, ask for none): the SYN carries ECE + CWR, the SYN-ACK ECE alone
 *    (6.1.1); synack's new data goes ECT(0), its SYN and pure ACKs not-ECT (6.1.4-6.1.6);
 *  - a kernel client with tcp_ecn = 1 (ask for ECN) against synack's listener (ecn 'passive',
 *    the default): the same handshake the other way round, the kernel's data ECT(0), synack's ACKs
 *    not-ECT.
 * In both, `ss -tin` reports `ecn` (ECN in use on the kernel's socket) and `ecnseen` (the kernel
 * saw ECT/CE-marked packets from synack).
 *
 * Congestion marks, on a routed lab (the kernel endpoint one hop away): nftables in the router's
 * forward chain sets CE (`ip ecn set ce`, `ip6 ecn set ce`) on a random 2% of the ECT(0) packets
 * going one way, as an AQM would (there is no qdisc that marks here: this kernel has no red,
 * fq_codel or other sch modules):
 *  - synack's data marked: the kernel echoes ECE (6.1.3), synack reduces its window without a
 *    loss and says CWR on new data (6.1.2); nothing is retransmitted, every byte arrives;
 *  - the kernel's data marked: synack echoes ECE on its ACKs from the first CE mark until the
 *    kernel's CWR (6.1.3); the kernel's CWR follows synack's ECE; every byte arrives.
 * The capture is taken on synack's side of the router: synack's packets as it sent them (before a
 * mark), the kernel's as synack received them (after one). Truth is tshark's decoding of that
 * capture, the nftables counters and the kernel's `ss`, not synack's own view.
 *
 * ECN fallback (6.1.1.1): synack's ECN-setup SYN is answered only after synack retransmitted it
 * without ECE and CWR (the kernel's SYN-ACKs are dropped for 1.5 s). Linux keeps ECN for the
 * connection (every SYN-ACK it sends is ECN-setup) and its data goes ECT(0); synack MUST NOT set
 * ECT (it sent a non-ECN-setup SYN) but MUST process CE marks (it sent an ECN-setup SYN and got no
 * non-ECN-setup SYN-ACK), 6.1.1.
 *
 * `synack nc --ecn` (spawned in the lab's namespace, on its own TUN device) gets ECN from a kernel
 * echo server at tcp_ecn = 2; without --ecn its SYN asks for nothing and nothing is ECN-capable.
 */
import { after, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { findTool, run } from '../kernel/netns.js';
import { tcpPackets, type TcpPacket } from '../interop/tcp-packets.js';
import { DEVICE, REPO, labSkipReason, receiveAll, sendRandom, sleep, withLab, within, type Family, type TunLab } from './lab.js';

const skip = (await labSkipReason()) ?? false;

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** `synack nc ARGS` run in namespace `ns` with `input` on stdin: exit code, stdout's SHA-256, stderr. */
function ncIn(ns: string, args: readonly string[], input: Uint8Array): Promise<{ code: number | null; sha256: string; bytes: number; stderr: string }> {
  const child = spawn(tool('ip'), ['netns', 'exec', ns, process.execPath, '--import', 'tsx', MAIN, 'nc', ...args], { cwd: REPO });
  const hash = createHash('sha256');
  let bytes = 0;
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    hash.update(d);
    bytes += d.length;
  });
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  child.stdin.on('error', () => undefined);
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, sha256: hash.digest('hex'), bytes, stderr });
    }),
  );
}

/** The IP ECN codepoints (RFC 3168 5). */
const NOT_ECT = 0;
const ECT0 = 2;
const CE = 3;

type Pkt = TcpPacket;


function tool(name: 'tshark' | 'nft' | 'ss' | 'ip'): string {
  const p = findTool(name);
  if (p === null) throw new Error(`${name} not found`);
  return p;
}

/** Frames matching a display filter (tshark's own analysis, e.g. tcp.analysis.retransmission). */
async function framesMatching(file: string, filter: string): Promise<number[]> {
  const r = await run([tool('tshark'), '-n', '-r', file, '-o', 'tcp.desegment_tcp_streams:FALSE', '-Y', filter, '-T', 'fields', '-e', 'frame.number'], { timeoutMs: 120_000 });
  return r.stdout.split('\n').filter((l) => l.trim() !== '').map(Number);
}

/** Data segments carrying sequence numbers not sent before by the same host (new data, not a retransmission). */
function newData(pkts: readonly Pkt[]): Set<Pkt> {
  // New data starts at or above the highest sequence number a host has sent so far (mod 2^32); a
  // segment starting below it repeats bytes already sent (a retransmission, however it is cut).
  const high = new Map<string, number>();
  const out = new Set<Pkt>();
  for (const p of pkts) {
    if (p.len === 0) continue;
    const h = high.get(p.src);
    if (h === undefined || ((p.seq - h) >>> 0) < 0x80000000) out.add(p);
    const end = (p.seq + p.len) >>> 0;
    if (h === undefined || ((end - h) >>> 0) < 0x80000000) high.set(p.src, end);
  }
  return out;
}

const describePkt = (p: Pkt | undefined): string =>
  p === undefined ? 'none' : `frame ${p.frame} from ${p.src} ecn=${p.ecn}${p.syn ? ' SYN' : ''}${p.ack ? ' ACK' : ''}${p.ece ? ' ECE' : ''}${p.cwr ? ' CWR' : ''} len=${p.len}`;

/** The handshake checks shared by both roles: ECN-setup SYN and SYN-ACK (RFC 3168 6.1.1), neither ECN-capable. */
function checkHandshake(pkts: readonly Pkt[], client: string, server: string): void {
  const syn = pkts.find((p) => p.syn && !p.ack);
  const synAck = pkts.find((p) => p.syn && p.ack);
  assert.equal(syn?.src, client, `the SYN: ${describePkt(syn)}`);
  assert.equal(synAck?.src, server, `the SYN-ACK: ${describePkt(synAck)}`);
  assert.ok(syn.ece && syn.cwr, `an ECN-setup SYN has ECE and CWR: ${describePkt(syn)}`);
  assert.ok(synAck.ece && !synAck.cwr, `an ECN-setup SYN-ACK has ECE and not CWR: ${describePkt(synAck)}`);
  assert.equal(pkts.filter((p) => p.syn).length, 2, 'no SYN was retransmitted (a retransmitted SYN would drop ECN)');
  assert.equal(syn.ecn, NOT_ECT, 'the SYN is not ECN-capable (6.1.1)');
}

/** Every host's new data ECT(0), its retransmissions and segments without data not-ECT (6.1.4-6.1.6). */
function checkEct(pkts: readonly Pkt[], host: string, who: string): { data: number; pureAcks: number } {
  const mine = pkts.filter((p) => p.src === host);
  const fresh = newData(mine);
  let data = 0;
  let pureAcks = 0;
  for (const p of mine) {
    if (p.len === 0) {
      if (!p.syn && !p.fin) pureAcks++;
      assert.equal(p.ecn, NOT_ECT, `${who}'s segment without data is not ECN-capable: ${describePkt(p)}`);
    } else if (fresh.has(p)) {
      data++;
      assert.equal(p.ecn, ECT0, `${who}'s new data is ECT(0): ${describePkt(p)}`);
    } else {
      assert.equal(p.ecn, NOT_ECT, `${who}'s retransmission is not ECN-capable (6.1.5): ${describePkt(p)}`);
    }
  }
  return { data, pureAcks };
}

/**
 * The kernel's `ss -tine` info for the connection on `port` (while established). `-e` is needed:
 * iproute2 6.1 on this kernel prints the option flags (ts, sack, ecn, ecnseen) only with it.
 */
async function kernelSs(lab: TunLab, port: number): Promise<string> {
  const r = await lab.exec([tool('ss'), '-tineH', 'state', 'established'], { where: 'kernel' });
  const lines = r.stdout.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const cols = (lines[i] ?? '').trim().split(/\s+/);
    if (cols.slice(2, 4).some((c) => c.endsWith(`:${port}`))) return `${(lines[i] ?? '').trim()} | ${(lines[i + 1] ?? '').trim()}`;
  }
  return assert.fail(`the kernel has no established socket on port ${port}: ${r.stdout}`);
}

/**
 * Routed labs: wait (bounded) until no IPv6 address in either namespace is tentative. While the
 * veth's link-local addresses are in duplicate address detection, the router cannot resolve the
 * far end and the first packet waits about a second: long enough for synack to retransmit its SYN
 * (without ECE and CWR, RFC 3168 6.1.1.1), which is not the handshake these tests are about.
 */
async function settled(lab: TunLab): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (const where of ['tun', 'kernel'] as const) {
    for (;;) {
      const r = await lab.exec([tool('ip'), '-6', 'addr', 'show', 'tentative'], { where });
      if (r.stdout.trim() === '') break;
      if (Date.now() > deadline) assert.fail(`IPv6 addresses still tentative in the ${where} namespace: ${r.stdout}`);
      await sleep(50);
    }
  }
}

async function kernelEcnSysctl(lab: TunLab, value?: 1): Promise<string> {
  if (value !== undefined) await lab.exec(['sysctl', '-qw', `net.ipv4.tcp_ecn=${value}`], { where: 'kernel' });
  return (await lab.exec(['sysctl', '-n', 'net.ipv4.tcp_ecn'], { where: 'kernel' })).stdout.trim();
}

/**
 * CE marks in the router (routed labs): a random `percent`% of the ECT(0) packets crossing it in
 * one direction ('to-kernel': those synack wrote to the device) get the CE codepoint, as an AQM
 * would set it (RFC 3168 5). nftables fixes the IPv4 header checksum. Returns the counters: ECT(0)
 * packets seen, and marked.
 */
async function markCe(lab: TunLab, direction: 'to-kernel' | 'to-synack', percent: number): Promise<() => Promise<{ ect: number; marked: number }>> {
  assert.ok(lab.routed, 'marks are set in the router');
  const iif = direction === 'to-kernel' ? DEVICE : 'vk0';
  const ruleset = `table inet sk_ecn {
  counter ect { }
  counter marked { }
  chain c {
    type filter hook forward priority filter; policy accept;
    iifname "${iif}" ip ecn ect0 counter name "ect"
    iifname "${iif}" ip6 ecn ect0 counter name "ect"
    iifname "${iif}" ip ecn ect0 numgen random mod 100 < ${percent} counter name "marked" ip ecn set ce
    iifname "${iif}" ip6 ecn ect0 numgen random mod 100 < ${percent} counter name "marked" ip6 ecn set ce
  }
}
`;
  await lab.exec([tool('nft'), '-f', '-'], { input: ruleset });
  return async () => {
    const r = await lab.exec([tool('nft'), '-j', 'list', 'counters', 'table', 'inet', 'sk_ecn']);
    const doc = JSON.parse(r.stdout) as { nftables?: { counter?: { name?: string; packets?: number } }[] };
    const get = (name: string): number => doc.nftables?.find((x) => x.counter?.name === name)?.counter?.packets ?? Number.NaN;
    return { ect: get('ect'), marked: get('marked') };
  };
}


/** synack's client (ecn 'on') to a kernel listener at the default tcp_ecn = 2, direct link. */
/**
 * Both ways at once on `port`: synack sends `ours` bytes, the kernel 200 kB; `ss` is asked while
 * the connection is up. Returns the capture's TCP packets and what ss said; both directions checked
 * intact.
 */
async function exchange(lab: TunLab, role: 'synack-client' | 'kernel-client', family: Family, port: number, ours: number): Promise<{ pkts: Pkt[]; ss: string }> {
  const { sock, agent, id } = await lab.open(role, family, port);
  const got = receiveAll(sock);
  agent.command({ op: 'send', id, bytes: 200_000 });
  const sent = await within(sendRandom(sock, ours), 30_000, `synack sending ${ours / 1000} kB`);
  await agent.event('sent', id);
  await sleep(200); // the last ACKs in, before asking ss
  const ss = await kernelSs(lab, port);
  sock.end();
  agent.command({ op: 'end', id });
  const fromKernel = await within(got, 30_000, "the kernel's 200 kB");
  const kernelClose = await agent.event('close', id, 30_000);
  assert.deepEqual(kernelClose.received, sent, 'synack -> kernel intact');
  assert.deepEqual(fromKernel, kernelClose.sent, 'kernel -> synack intact');
  return { pkts: await tcpPackets(lab.capture()), ss };
}

/** What both roles end with: ss says ECN, no ECN-Echo without a mark, a clean capture in tshark. */
async function checkEcnUp(lab: TunLab, pkts: readonly Pkt[], ss: string): Promise<void> {
  assert.match(ss, /\becn\b/, `the kernel's socket uses ECN: ${ss}`);
  assert.match(ss, /\becnseen\b/, `the kernel saw ECN-capable packets from synack: ${ss}`);
  assert.ok(pkts.every((p) => !p.ece || p.syn), 'no ECN-Echo without a CE mark');
  const cap = await lab.checkCapture();
  assert.deepEqual(cap.bad, [], 'tshark: no malformed frame, bad checksum or expert error');
}

function clientAsks(family: Family): () => Promise<void> {
  return async () => {
    await withLab({ tcp: { ecn: 'on' } }, async (lab) => {
      assert.equal(await kernelEcnSysctl(lab), '2', "the kernel's default: answer ECN requests, ask for none");
      const { pkts, ss } = await exchange(lab, 'synack-client', family, 47600 + family, 200_000);
      checkHandshake(pkts, lab.synack(family), lab.kernel(family));
      const ours = checkEct(pkts, lab.synack(family), 'synack');
      assert.ok(ours.data > 100 && ours.pureAcks > 0, `synack sent data (${ours.data} new segments) and pure ACKs (${ours.pureAcks})`);
      const theirs = checkEct(pkts, lab.kernel(family), 'the kernel');
      assert.ok(theirs.data > 100, `the kernel, ECN on too, sent its new data ECT(0) (${theirs.data} segments)`);
      await checkEcnUp(lab, pkts, ss);
    });
  };
}

/** A kernel client at tcp_ecn = 1 to synack's listener ('passive', the default), direct link. */
function kernelAsks(family: Family): () => Promise<void> {
  return async () => {
    await withLab({}, async (lab) => {
      assert.equal(await kernelEcnSysctl(lab, 1), '1');
      const { pkts, ss } = await exchange(lab, 'kernel-client', family, 47610 + family, 20_000);
      checkHandshake(pkts, lab.kernel(family), lab.synack(family));
      const synAck = pkts.find((p) => p.syn && p.ack);
      assert.equal(synAck?.ecn, NOT_ECT, "synack's SYN-ACK is not ECN-capable (6.1.1)");
      const theirs = checkEct(pkts, lab.kernel(family), 'the kernel');
      assert.ok(theirs.data > 100, `the kernel's new data went ECT(0) (${theirs.data} segments)`);
      const ours = checkEct(pkts, lab.synack(family), 'synack');
      assert.ok(ours.data > 5 && ours.pureAcks > 0, `synack sent data (${ours.data} new segments, ECT(0)) and pure ACKs (${ours.pureAcks}, not-ECT)`);
      await checkEcnUp(lab, pkts, ss);
    });
  };
}

/** CE marks in the router on synack's data (routed lab): the kernel echoes, synack reduces. */
function marksOnSynack(family: Family): (t: TestContext) => Promise<void> {
  return async (t) => {
    await withLab({ routed: true, tcp: { ecn: 'on' } }, async (lab) => {
      await settled(lab);
      const counters = await markCe(lab, 'to-kernel', 2);
      const { sock, agent, id } = await lab.open('synack-client', family, 47620 + family);
      const closed = new Promise<boolean>((r) => sock.once('close', r));
      const got = receiveAll(sock);
      agent.command({ op: 'end', id });
      const sent = await within(sendRandom(sock, 4_000_000), 120_000, 'synack sending 4 MB');
      sock.end();
      await within(got, 60_000, "the kernel's FIN");
      const kernelClose = await agent.event('close', id, 60_000);
      assert.equal(await within(closed, 30_000, "synack's close"), false, 'synack closes without error');
      assert.deepEqual(kernelClose.received, sent, 'synack -> kernel intact (SHA-256)');

      const c = await counters();
      assert.ok(c.marked > 0 && c.marked < c.ect, `the router marked ${c.marked} of ${c.ect} ECT(0) packets CE`);
      const pkts = await tcpPackets(lab.capture());
      const us = lab.synack(family);
      const them = lab.kernel(family);
      checkEct(pkts, us, 'synack');
      const firstEce = pkts.find((p) => p.src === them && p.ece && !p.syn);
      assert.ok(firstEce !== undefined, 'the kernel echoed a CE mark with ECE (6.1.3)');
      const cwrs = pkts.filter((p) => p.src === us && p.cwr && !p.syn);
      assert.ok(cwrs.length > 0, 'synack said CWR');
      assert.ok((cwrs[0]?.frame ?? 0) > firstEce.frame, `synack's first CWR (${describePkt(cwrs[0])}) follows the kernel's first ECE (${describePkt(firstEce)})`);
      for (const p of cwrs) assert.ok(p.len > 0 && p.ecn === ECT0, `CWR goes on new data (6.1.2): ${describePkt(p)}`);
      const tc = sock.core.tcpCounters;
      assert.ok(tc !== undefined);
      assert.ok(tc.ecnReductions > 0, `synack reduced its window on ECE (${tc.ecnReductions} times)`);
      assert.ok(cwrs.length <= tc.ecnReductions, `one CWR per reduction at most: ${cwrs.length} CWR, ${tc.ecnReductions} reductions`);
      t.diagnostic(`marked ${c.marked} of ${c.ect}; kernel ECE ACKs ${pkts.filter((p) => p.src === them && p.ece).length}; synack CWR ${cwrs.length}, ecnReductions ${tc.ecnReductions}`);
      // Congestion without loss: ECN makes nothing be sent again. A tail loss probe (RFC 8985 7)
      // is not a congestion response: on a loaded machine the host may run the probe timer
      // (2 ms at this RTT) before it reads an ACK that already arrived; it is allowed, nothing else.
      const why = `retransmissions ${tc.retransmissions}, of which tail loss probes ${tc.tailLossProbes}; fast retransmits ${tc.fastRetransmits}, timeouts ${tc.timeouts}, RACK ${tc.lostRetransmissions}`;
      assert.ok(tc.fastRetransmits === 0 && tc.timeouts === 0 && tc.retransmissions <= tc.tailLossProbes, `congestion without loss: nothing sent again (${why})`);
      // RFC 3168 6.1.2: "the TCP sender's congestion window should be reduced only once in
      // response to a series of dropped and/or CE packets from a single window of data". Each
      // reduction answers a new congestion event, so there cannot be more than there were marks.
      await t.test('at most one window reduction per CE mark (6.1.2)', () => {
        assert.ok(tc.ecnReductions <= c.marked, `${tc.ecnReductions} reductions for ${c.marked} CE marks`);
      });
      const resent = await framesMatching(lab.capture(), `tcp.analysis.retransmission && ${family === 4 ? 'ip' : 'ipv6'}.src == ${us}`);
      assert.ok(resent.length <= tc.tailLossProbes, `tshark sees no retransmission from synack but tail loss probes: frames ${resent.join(', ')} (${why})`);
      const cap = await lab.checkCapture();
      assert.deepEqual(cap.bad, [], 'tshark: no malformed frame, bad checksum or expert error');
    });
  };
}

/** CE marks in the router on the kernel's data (routed lab): synack echoes, the kernel reduces. */
function marksOnKernel(family: Family): (t: TestContext) => Promise<void> {
  return async (t) => {
    await withLab({ routed: true }, async (lab) => {
      assert.equal(await kernelEcnSysctl(lab, 1), '1');
      await settled(lab);
      const counters = await markCe(lab, 'to-synack', 2);
      const { sock, agent, id } = await lab.open('kernel-client', family, 47630 + family);
      const closed = new Promise<boolean>((r) => sock.once('close', r));
      const got = receiveAll(sock);
      agent.command({ op: 'send', id, bytes: 4_000_000 });
      agent.command({ op: 'end', id });
      const fromKernel = await within(got, 120_000, "the kernel's 4 MB");
      sock.end();
      const kernelClose = await agent.event('close', id, 60_000);
      assert.equal(await within(closed, 30_000, "synack's close"), false, 'synack closes without error');
      assert.deepEqual(fromKernel, kernelClose.sent, 'kernel -> synack intact (SHA-256)');

      const c = await counters();
      const pkts = await tcpPackets(lab.capture());
      const us = lab.synack(family);
      const them = lab.kernel(family);
      const marked = pkts.filter((p) => p.src === them && p.ecn === CE);
      assert.ok(c.marked > 0 && c.marked < c.ect, `the router marked ${c.marked} of ${c.ect} ECT(0) packets CE`);
      assert.equal(marked.length, c.marked, 'every marked packet reached synack (the capture is behind the router)');
      const tc = sock.core.tcpCounters;
      assert.ok(tc !== undefined);
      assert.equal(tc.ceIn, marked.length, 'synack counted every CE mark');
      checkEct(pkts, us, 'synack');

      // RFC 3168 6.1.3: from a CE mark on, every ACK carries ECE until a CWR arrives (a CE mark on
      // the CWR segment itself starts the echo again). The capture shows the kernel's packets in
      // the order synack read them, but a batch read at once is recorded before any answer to
      // it: an answer may reflect the state after any packet of the batch before it.
      let echo = false;
      let states = new Set<boolean>([false]);
      let lastWasOurs = false;
      let echoes = 0;
      for (const p of pkts) {
        if (p.syn) continue;
        if (p.src === them) {
          if (lastWasOurs) states = new Set([echo]);
          if (p.cwr) echo = false;
          if (p.ecn === CE) echo = true;
          states.add(echo);
          lastWasOurs = false;
        } else {
          lastWasOurs = true;
          if (p.ece) echoes++;
          assert.ok(states.has(p.ece), `synack's ${describePkt(p)}: ECE should be ${[...states].join(' or ')} (RFC 3168 6.1.3)`);
        }
      }
      t.diagnostic(`marked ${c.marked} of ${c.ect}; synack ECE ACKs ${echoes}; kernel CWR ${pkts.filter((p) => p.src === them && p.cwr && !p.syn).length}`);
      assert.ok(echoes > 0, 'synack echoed the marks');
      const firstEce = pkts.find((p) => p.src === us && p.ece && !p.syn);
      const kernelCwrs = pkts.filter((p) => p.src === them && p.cwr && !p.syn);
      assert.ok(firstEce !== undefined && kernelCwrs.length > 0, 'the kernel answered with CWR');
      assert.ok((kernelCwrs[0]?.frame ?? 0) > firstEce.frame, `the kernel's first CWR (${describePkt(kernelCwrs[0])}) follows synack's first ECE (${describePkt(firstEce)})`);
      for (const p of kernelCwrs) assert.ok(p.len > 0, `the kernel's CWR goes on data: ${describePkt(p)}`);
      const cap = await lab.checkCapture();
      assert.deepEqual(cap.bad, [], 'tshark: no malformed frame, bad checksum or expert error');
    });
  };
}

/** `synack nc` (with or without --ecn) to a kernel echo server at tcp_ecn = 2. */
function ncTo(ecn: boolean, ncDir: string): () => Promise<void> {
  return async () => {
    await withLab({ capture: false }, async (lab) => {
      const k = await lab.agent();
      k.command({ op: 'listen', id: 'e', host: '0.0.0.0', port: 7150, echo: true });
      await k.event('listening', 'e');
      const input = new Uint8Array(randomBytes(200_000));
      const pcap = join(ncDir, `nc-${ecn}.pcap`);
      const r = await ncIn(lab.ns, [...(ecn ? ['--ecn'] : []), '-v', '--pcap', pcap, '10.77.0.1', '7150'], input);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual({ bytes: r.bytes, sha256: r.sha256 }, { bytes: input.length, sha256: createHash('sha256').update(input).digest('hex') }, 'echoed intact');
      const pkts = await tcpPackets(pcap);
      const syn = pkts.find((p) => p.syn && !p.ack);
      const synAck = pkts.find((p) => p.syn && p.ack);
      if (ecn) {
        checkHandshake(pkts, '10.77.0.2', '10.77.0.1');
        const n = checkEct(pkts, '10.77.0.2', 'synack nc');
        assert.ok(n.data > 100, `nc's new data went ECT(0) (${n.data} segments)`);
        assert.match(r.stderr, /synack nc: ECN: 0 CE-marked segments received, 0 window reductions on ECN-Echo/);
      } else {
        assert.ok(syn !== undefined && !syn.ece && !syn.cwr, `a plain SYN: ${describePkt(syn)}`);
        assert.ok(synAck !== undefined && !synAck.ece, `so a plain SYN-ACK: ${describePkt(synAck)}`);
        assert.ok(pkts.every((p) => p.ecn === NOT_ECT), 'nothing is ECN-capable');
        assert.doesNotMatch(r.stderr, /ECN/);
      }
    });
  };
}

describe('ECN between synack and the Linux kernel over TUN (RFC 3168)', { skip, concurrency: false, timeout: 600_000 }, () => {
  it("IPv4, synack client with ecn 'on', kernel listener with tcp_ecn=2: ECN-setup SYN and SYN-ACK, synack's new data ECT(0), its SYN and pure ACKs not-ECT, ss shows ecn", clientAsks(4));
  it("IPv6, synack client with ecn 'on', kernel listener with tcp_ecn=2: ECN-setup SYN and SYN-ACK, synack's new data ECT(0), its SYN and pure ACKs not-ECT, ss shows ecn", clientAsks(6));
  it("IPv4, kernel client with tcp_ecn=1, synack listener (ecn 'passive'): SYN-ACK with ECE, the kernel's data ECT(0), synack's ACKs not-ECT, ss shows ecn", kernelAsks(4));
  it("IPv6, kernel client with tcp_ecn=1, synack listener (ecn 'passive'): SYN-ACK with ECE, the kernel's data ECT(0), synack's ACKs not-ECT, ss shows ecn", kernelAsks(6));
  it("IPv4, CE marks on synack's data in the router: the kernel echoes ECE, synack reduces its window and says CWR on new data, nothing retransmitted, 4 MB intact", marksOnSynack(4));
  it("IPv6, CE marks on synack's data in the router: the kernel echoes ECE, synack reduces its window and says CWR on new data, nothing retransmitted, 4 MB intact", marksOnSynack(6));
  it("IPv4, CE marks on the kernel's data in the router: synack echoes ECE from each mark until the kernel's CWR, 4 MB intact", marksOnKernel(4));
  it("IPv6, CE marks on the kernel's data in the router: synack echoes ECE from each mark until the kernel's CWR, 4 MB intact", marksOnKernel(6));


  const ncDir = mkdtempSync(join(tmpdir(), 'synack-nc-ecn-'));
  after(() => rmSync(ncDir, { recursive: true, force: true }));
  it('synack nc --ecn asks the kernel for ECN and gets it: ECN-setup SYN and SYN-ACK, its data ECT(0), 200 kB echoed intact', ncTo(true, ncDir));
  it('synack nc without --ecn asks for nothing: a plain SYN, nothing ECN-capable, 200 kB echoed intact', ncTo(false, ncDir));

  it("IPv4, synack's ECN-setup SYN answered only after its plain retransmission: no ECT from synack, and the kernel's CE marks echoed (6.1.1)", async (t) => {
    await withLab({ routed: true, tcp: { ecn: 'on' } }, async (lab) => {
      await settled(lab);
      // The kernel's SYN-ACKs are dropped for 1.5 s: synack retransmits its SYN (at the 1 s initial
      // RTO) without ECE and CWR (6.1.1.1) before any SYN-ACK, all of them ECN-setup, gets through.
      await lab.exec([tool('nft'), '-f', '-'], {
        input: `table inet sk_ecn_synack {\n  chain c {\n    type filter hook forward priority filter; policy accept;\n    iifname "vk0" tcp flags & (syn | ack) == syn | ack drop\n  }\n}\n`,
      });
      const counters = await markCe(lab, 'to-synack', 2);
      const opening = lab.open('synack-client', 4, 47640);
      await sleep(1500);
      await lab.exec([tool('nft'), 'delete', 'table', 'inet', 'sk_ecn_synack']);
      const { sock, agent, id } = await opening;
      const got = receiveAll(sock);
      agent.command({ op: 'send', id, bytes: 4_000_000 });
      agent.command({ op: 'end', id });
      const sent = await within(sendRandom(sock, 50_000), 30_000, 'synack sending 50 kB');
      const fromKernel = await within(got, 120_000, "the kernel's 4 MB");
      sock.end();
      const kernelClose = await agent.event('close', id, 60_000);
      assert.deepEqual(fromKernel, kernelClose.sent, 'kernel -> synack intact');
      assert.deepEqual(kernelClose.received, sent, 'synack -> kernel intact');

      const pkts = await tcpPackets(lab.capture());
      const us = lab.synack(4);
      const them = lab.kernel(4);
      const syns = pkts.filter((p) => p.syn && !p.ack);
      assert.ok(syns.length >= 2 && syns[0]?.ece === true && syns[0].cwr, `an ECN-setup SYN first: ${syns.map(describePkt).join('; ')}`);
      assert.ok(syns.slice(1).every((p) => !p.ece && !p.cwr), 'the retransmissions without ECE and CWR (6.1.1.1)');
      const synAcks = pkts.filter((p) => p.syn && p.ack);
      assert.ok(synAcks.length > 0 && synAcks.every((p) => p.src === them && p.ece && !p.cwr), `every SYN-ACK synack got is ECN-setup: ${synAcks.map(describePkt).join('; ')}`);
      // What the kernel made of it: ECN on (it answered the ECN-setup SYN, and keeps that answer for
      // the plain retransmission), so its new data goes ECT(0) and the router can mark it.
      const c = await counters();
      assert.ok(c.marked > 0, `the kernel's data went ECT(0) and the router marked ${c.marked} of ${c.ect}`);
      // synack has sent a non-ECN-setup SYN: it MUST NOT set ECT (6.1.1).
      const ours = pkts.filter((p) => p.src === us);
      assert.ok(ours.some((p) => p.len > 0), 'synack sent data');
      assert.ok(ours.every((p) => p.ecn === NOT_ECT), 'nothing synack sent is ECN-capable');
      const echoes = ours.filter((p) => p.ece && !p.syn).length;
      const kernelCwr = pkts.filter((p) => p.src === them && p.cwr && !p.syn).length;
      t.diagnostic(`marked ${c.marked} of ${c.ect}; synack ECE ACKs ${echoes}; kernel CWR ${kernelCwr}`);
      // It sent an ECN-setup SYN and received no non-ECN-setup SYN or SYN-ACK: CE-marked data MUST
      // be processed as on an ECN-capable connection (6.1.1), i.e. echoed with ECE (6.1.3).
      await t.test('CE marks echoed with ECE, and the kernel answers with CWR', () => {
        assert.ok(echoes > 0, `synack echoed none of the ${c.marked} CE marks`);
        assert.ok(kernelCwr > 0, 'the kernel reduced its window (CWR)');
      });
    });
  });
});
