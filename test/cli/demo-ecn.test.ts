/**
 * `synack demo --ecn` and `--ce P`: both hosts ask for ECN (RFC 3168) and the in-memory link marks
 * ECN-capable packets Congestion Experienced with probability P; the report gains an `ecn` object
 * (JSON) and an ECN line (text). Without the flags the report has neither (the output is
 * byte-identical to before the flags existed; checked by diffing every scenario when they were
 * added).
 *
 * Truth: the packets themselves, written with --pcap and decoded by tshark (the capture is taken as
 * packets are put on the link, before a mark): the ECN-setup SYN and SYN-ACK (6.1.1), ECT(0) on A's
 * data and not on B's pure ACKs (6.1.4), ECE only from the receiver and CWR only from the sender
 * (6.1.2, 6.1.3), as many of each as the report says. And the RFC's bookkeeping: on a lossless link
 * every mark lands on a segment of an ECN connection, so the receiver takes in as many CE marks as
 * the link set, and the sender's answer needs no retransmission.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tcpPackets, type TcpPacket } from '../interop/tcp-packets.js';
import { tsharkPath } from '../interop/tshark.js';
import { synack } from './run.js';

const TSHARK = tsharkPath();
const noTshark = TSHARK === null ? 'needs tshark' : false;

interface EcnJson {
  negotiated: boolean;
  ceMarked: number;
  ceIn: number;
  ecnReductions: number;
  eceSegments: number;
  cwrSegments: number;
}

interface DemoJson {
  link: Record<string, number>;
  bulk?: { intact: boolean; retransmissions: number; bytesReceived: number };
  ecn?: EcnJson;
  explanation: string[];
}

function demoJson(args: readonly string[]): DemoJson {
  const r = synack(['demo', '--json', ...args]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as DemoJson;
}

type Pkt = TcpPacket;
const packets = tcpPackets;

/** RFC 3168 6.1.1: A's SYN has ECE and CWR, B's SYN-ACK ECE alone; neither is ECN-capable. */
function assertEcnSetup(pkts: readonly Pkt[], a: string, b: string): void {
  const syn = pkts.find((p) => p.syn && !p.ack);
  const synAck = pkts.find((p) => p.syn && p.ack);
  assert.ok(syn !== undefined && syn.src === a && syn.ece && syn.cwr && syn.ecn === 0, `ECN-setup SYN from A: ${JSON.stringify(syn)}`);
  assert.ok(synAck !== undefined && synAck.src === b && synAck.ece && !synAck.cwr && synAck.ecn === 0, `ECN-setup SYN-ACK from B: ${JSON.stringify(synAck)}`);
}

describe('synack demo --ce / --ecn (RFC 3168)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'synack-demo-ecn-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

  it('bulk with --ce 0.02: marks counted, every one taken in and echoed, the window reduced, no retransmission, the bytes intact', async () => {
    const pcap = join(dir, 'bulk-ce.pcap');
    const j = demoJson(['--scenario', 'bulk', '--bytes', '1M', '--ce', '0.02', '--pcap', pcap]);
    assert.equal(j.link['ce'], 0.02);
    assert.ok(j.bulk?.intact === true && j.bulk.bytesReceived === 1024 * 1024, 'the transfer is intact');
    const e = j.ecn;
    assert.ok(e !== undefined, 'the report has an ecn object');
    assert.equal(e.negotiated, true);
    assert.ok(e.ceMarked > 0, `the link marked ${e.ceMarked} packets`);
    assert.equal(e.ceIn, e.ceMarked, 'no loss: every mark reached the receiver on an ECN connection and was counted (6.1.3)');
    assert.ok(e.ecnReductions > 0, 'the sender reduced its window (6.1.2)');
    assert.equal(j.bulk.retransmissions, 0, 'congestion without loss: nothing retransmitted');
    assert.ok(j.explanation.some((l) => l.includes(`marked ${e.ceMarked} ECN-capable packets`)), 'the explanation tells of the marks');
    if (TSHARK === null) return;
    const pkts = await packets(pcap);
    assertEcnSetup(pkts, '10.0.0.1', '10.0.0.2');
    const data = pkts.filter((p) => p.src === '10.0.0.1' && p.len > 0);
    assert.ok(data.length > 700 && data.every((p) => p.ecn === 2), "A's data (all new: nothing was retransmitted) is ECT(0) (6.1.4)");
    const acks = pkts.filter((p) => p.src === '10.0.0.2' && !p.syn);
    assert.ok(acks.every((p) => p.len === 0 && p.ecn === 0), "B's ACKs are not ECN-capable (6.1.4)");
    const ece = pkts.filter((p) => p.ece && !p.syn);
    const cwr = pkts.filter((p) => p.cwr && !p.syn);
    assert.equal(ece.length, e.eceSegments, 'the ECE count is what tshark counts');
    assert.equal(cwr.length, e.cwrSegments, 'the CWR count is what tshark counts');
    assert.ok(ece.length > 0 && ece.every((p) => p.src === '10.0.0.2'), 'ECE comes from the receiver only (6.1.3)');
    assert.ok(cwr.length > 0 && cwr.every((p) => p.src === '10.0.0.1' && p.len > 0), 'CWR from the sender only, on new data (6.1.2)');
    assert.ok(pkts.indexOf(ece[0] as Pkt) < pkts.indexOf(cwr[0] as Pkt), 'the first CWR follows the first ECE');
  });

  it('the text report names the marks in the link line and has an ECN line with the same counts as --json', () => {
    const args = ['demo', '--scenario', 'bulk', '--bytes', '256k', '--ce', '0.05', '--seed', '3'];
    const j = demoJson(args.slice(1));
    const r = synack(args);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines[1] ?? '', /; link 1 ms one way, CE marks 0\.05; seed 3$/);
    const e = j.ecn as EcnJson;
    const line = lines.find((l) => l.startsWith('  ECN  '));
    assert.equal(
      line,
      `  ECN               negotiated; ${e.ceMarked} packets marked CE by the link (${e.ceIn} taken in), ${e.eceSegments} ECE and ${e.cwrSegments} CWR segments, ${e.ecnReductions} window reductions`,
    );
  });

  it('--ecn alone on the default scenario: ECN negotiated, no marks, no ECE or CWR after the handshake', async () => {
    const pcap = join(dir, 'default-ecn.pcap');
    const j = demoJson(['--ecn', '--ipv6', '--pcap', pcap]);
    assert.deepEqual(j.ecn, { negotiated: true, ceMarked: 0, ceIn: 0, ecnReductions: 0, eceSegments: 0, cwrSegments: 0 });
    assert.equal('ce' in j.link, false, 'no CE fault asked for');
    const r = synack(['demo', '--ecn']);
    assert.match(r.stdout, /\nECN: negotiated; 0 packets marked CE by the link/);
    if (TSHARK === null) return;
    const pkts = await packets(pcap);
    assertEcnSetup(pkts, 'fd00::1', 'fd00::2');
    assert.ok(pkts.filter((p) => p.len > 0).every((p) => p.ecn === 2), 'data both ways ECT(0)');
    assert.ok(pkts.filter((p) => p.len === 0).every((p) => p.ecn === 0), 'nothing without data is ECN-capable');
  });

  it('--ce 0 turns ECN on without marking', () => {
    const j = demoJson(['--scenario', 'bulk', '--bytes', '64k', '--ce', '0']);
    assert.equal(j.ecn?.negotiated, true);
    assert.equal(j.ecn.ceMarked, 0);
    assert.equal(j.link['ce'], 0);
  });

  it('without --ecn or --ce: no ecn in the report, no ce in the link, and the SYN asks for nothing', { skip: noTshark }, async () => {
    const pcap = join(dir, 'plain.pcap');
    const j = demoJson(['--scenario', 'bulk', '--bytes', '64k', '--pcap', pcap]);
    assert.equal(j.ecn, undefined);
    assert.deepEqual(Object.keys(j.link), ['delay', 'loss', 'reorder', 'duplicate', 'corrupt']);
    const pkts = await packets(pcap);
    const syn = pkts.find((p) => p.syn && !p.ack);
    assert.ok(syn !== undefined && !syn.ece && !syn.cwr, "the hosts' default is 'passive': no ECN-setup SYN");
    assert.ok(pkts.every((p) => p.ecn === 0), 'nothing ECN-capable');
    const r = synack(['demo', '--scenario', 'bulk', '--bytes', '64k']);
    assert.doesNotMatch(r.stdout, /ECN/);
  });

  for (const bad of ['1.5', '2', 'x']) {
    it(`--ce ${bad} is a usage error`, () => {
      const r = synack(['demo', '--ce', bad]);
      assert.equal(r.status, 64);
      assert.match(r.stderr, new RegExp(`--ce wants a probability from 0 to 1, got '${bad.replace('.', '\\.')}'`));
    });
  }

  it('--help documents --ce and --ecn', () => {
    const r = synack(['demo', '--help']);
    assert.match(r.stdout, /\n {2}--ce P {14}ECN congestion marks/);
    assert.match(r.stdout, /\n {2}--ecn {13}both hosts ask for ECN \(RFC 3168\)/);
  });
});
