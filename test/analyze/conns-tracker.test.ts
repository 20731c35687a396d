/**
 * Connection boundaries, records and bad input. Boundaries must be tshark's (connection id =
 * tcp.stream, checked with tshark when installed): port reuse starts a new connection, the final
 * ACK after the second FIN does not, midstream starts and captures that end mid-connection give
 * one record each. The seed vector (KB 172983) holds two connections. Frames that are not TCP,
 * cut short, fragmented, VLAN-tagged or random bytes never crash the tracker, and its memory stays
 * bounded with 10,000 connections on the same ports.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { type ConnectionRecord, ConnTracker, trackConnections } from '../../src/analyze/conns.js';
import { decodeCapture } from '../../src/capture/decoder.js';
import { PcapWriter } from '../../src/capture/pcap.js';
import type { CaptureRecord } from '../../src/capture/types.js';
import { ACK, CLIENT4, CLIENT6, type CraftSegment, craftFrame, craftPcap, FIN, handshake, PSH, SERVER4, SERVER6, SYN, writeCraft } from './conns-craft.js';
import { diffWithTshark, tsharkAvailable } from './conns-tshark.js';

const SEED = fileURLToPath(new URL('../fixtures/kb172983.pcap', import.meta.url));
const C = 1000;
const S = 5000;

function track(segs: readonly CraftSegment[], options: ConstructorParameters<typeof ConnTracker>[0] = {}): ConnectionRecord[] {
  const { records } = decodeCapture(craftPcap(segs));
  return trackConnections(records, options);
}

/** A record as a capture layer would deliver it, for hand-made frames. */
function record(frame: number, data: Uint8Array, t = 1_700_000_000 + frame / 1000, linkType = 1): CaptureRecord {
  const tsSec = Math.floor(t);
  const tsNsec = Math.round((t - tsSec) * 1e6) * 1000;
  return { frame, timestamp: tsSec + tsNsec / 1e9, tsSec, tsNsec, capturedLength: data.length, originalLength: data.length, linkType, interfaceId: 0, data, fileOffset: 0 };
}

/** Write records to a pcap file (for tshark). */
function writeRecords(name: string, records: readonly CaptureRecord[]): string {
  const w = new PcapWriter({ linkType: 1 });
  const parts = [w.header(), ...records.map((r) => w.packet(r))];
  const dir = mkdtempSync(join(tmpdir(), 'synack-conns-rec-'));
  const file = join(dir, `${name}.pcap`);
  writeFileSync(file, Buffer.concat(parts));
  return file;
}

/** A whole connection: handshake, `n` bytes up, FIN both ways, last ACK. */
function session(c: number, s: number, t0: number, n = 100): CraftSegment[] {
  return [
    ...handshake(c, s, t0, 0.002),
    { t: t0 + 0.003, from: 'c', flags: PSH | ACK, seq: c + 1, ack: s + 1, win: 502, len: n },
    { t: t0 + 0.004, from: 's', flags: ACK, seq: s + 1, ack: c + 1 + n, win: 509 },
    { t: t0 + 0.005, from: 'c', flags: FIN | ACK, seq: c + 1 + n, ack: s + 1, win: 502 },
    { t: t0 + 0.006, from: 's', flags: FIN | ACK, seq: s + 1, ack: c + 2 + n, win: 509 },
    { t: t0 + 0.007, from: 'c', flags: ACK, seq: c + 2 + n, ack: s + 2, win: 502 },
  ];
}

describe('connection boundaries', () => {
  test('port reuse: three sessions on one 4-tuple are three connections, the last ACKs stay with theirs', () => {
    const segs = [...session(C, S, 0), ...session(C + 50_000, S + 70_000, 1), ...session(C + 90_000, S + 30_000, 2)];
    const all = track(segs);
    assert.deepEqual(
      all.map((c) => [c.id, c.firstFrame, c.lastFrame, c.state, c.history, c.close.finalAck, c.anomalies.portReuse]),
      [
        [0, 1, 8, 'SF', 'ShADaFf', 8, 0],
        [1, 9, 16, 'SF', 'ShADaFf', 16, 1],
        [2, 17, 24, 'SF', 'ShADaFf', 24, 1],
      ],
    );
    if (tsharkAvailable()) assert.deepEqual(diffWithTshark(writeCraft('reuse-3', segs)), []);
  });

  test('a retransmitted SYN (same ISN) is not a new connection', () => {
    const segs = [{ t: 0, from: 'c', flags: SYN, seq: C, win: 64240 } as const, ...session(C, S, 1)];
    const all = track(segs);
    assert.equal(all.length, 1);
    assert.equal(all[0]?.handshake.syn, 1);
    assert.equal(all[0]?.anomalies.retransmission, 1);
  });

  test('a connection seen from the middle: no SYN, roles from Zeek, a note says so', () => {
    const all = track([
      { t: 0, from: 'c', flags: PSH | ACK, seq: C, ack: S, win: 502, len: 10 },
      { t: 0.01, from: 's', flags: ACK, seq: S, ack: C + 10, win: 509 },
    ]);
    assert.equal(all.length, 1);
    const c = all[0] as ConnectionRecord;
    assert.equal(c.roles, 'zeek-originator');
    assert.equal(c.handshake.rtt, null);
    assert.ok(c.notes.some((n) => n.startsWith('midstream')));
  });

  test('a capture that ends mid-connection: S1 and a note', () => {
    const all = track([...handshake(C, S), { t: 0.02, from: 'c', flags: PSH | ACK, seq: C + 1, ack: S + 1, win: 502, len: 10 }]);
    assert.equal(all[0]?.state, 'S1');
    assert.ok(all[0]?.notes.includes('capture ended before the connection closed'));
    assert.equal(all[0]?.close.by, null);
  });

  test('the seed vector: frames 1-3 and 4-7 are two connections; the second is a midstream close', () => {
    const { records } = decodeCapture(new Uint8Array(readFileSync(SEED)));
    const [a, b] = trackConnections(records);
    assert.ok(a !== undefined && b !== undefined);
    assert.deepEqual([a.client, a.server, a.firstFrame, a.lastFrame], [{ ip: '131.107.2.214', port: 1037 }, { ip: '131.107.2.211', port: 139 }, 1, 3]);
    assert.deepEqual([a.state, a.history, a.handshake.syn, a.handshake.synAck, a.handshake.ack], ['S1', 'ShA', 1, 2, 3]);
    // tshark: tcp.analysis.initial_rtt of frame 3 is 0.708500000 s (SYN at 0, ACK at 0.7085).
    assert.ok(Math.abs((a.handshake.rtt ?? 0) - 0.7085) < 1e-9);
    assert.deepEqual(a.handshake.client, { mss: 1460, windowScale: null, sackPermitted: false, timestamps: false });
    assert.deepEqual([b.client, b.server, b.firstFrame, b.lastFrame], [{ ip: '192.94.222.123', port: 2337 }, { ip: '192.94.222.87', port: 1352 }, 4, 7]);
    // Zeek: the first packet is a FIN from 2337 (not a likely server port): the originator; its
    // FIN, the peer's ACK, the peer's FIN, its last ACK.
    assert.deepEqual([b.state, b.history, b.roles], ['SF', 'FafA', 'zeek-originator']);
    assert.deepEqual([b.close.by, b.close.how, b.close.clientFin, b.close.serverFin, b.close.finalAck, b.close.graceful], ['client', 'fin', 4, 6, 7, true]);
    assert.ok(b.notes.some((n) => n.startsWith('midstream')));
    if (tsharkAvailable()) assert.deepEqual(diffWithTshark(SEED), []);
  });
});

describe('records', () => {
  test('handshake options, window scale in use, and kept frames with verdicts', () => {
    const all = track(
      [
        ...handshake(C, S, 0, 0.01, 7),
        { t: 0.02, from: 'c', flags: PSH | ACK, seq: C + 1, ack: S + 1, win: 502, len: 100 },
        { t: 0.22, from: 'c', flags: PSH | ACK, seq: C + 1, ack: S + 1, win: 502, len: 100 },
        { t: 0.23, from: 's', flags: ACK, seq: S + 1, ack: C + 101, win: 509 },
      ],
      { keepFrames: true },
    );
    const c = all[0] as ConnectionRecord;
    assert.deepEqual(c.windowScale, { client: 7, server: 7 });
    assert.deepEqual(c.isn, { client: C, server: S });
    assert.equal(c.frames?.length, 6);
    const f5 = c.frames?.[4];
    assert.deepEqual([f5?.frame, f5?.from, f5?.length, f5?.scaledWindow, f5?.anomalies], [5, 'client', 100, 502 * 128, [{ kind: 'retransmission', suspected: false }]]);
    // SYN windows are never scaled (RFC 7323 2.2).
    assert.equal(c.frames?.[0]?.scaledWindow, 64240);
    assert.deepEqual(c.sent.client, { packets: 4, payloadBytes: 200, ipBytes: 60 + 40 + 140 + 140 });
  });

  test('capture point from TTLs, else from handshake timing', () => {
    // Near the client: its own packets carry TTL 64, the server's arrive after 7 hops.
    const ttl = track([
      { t: 0, from: 'c', flags: SYN, seq: C, win: 64240, ttl: 64 },
      { t: 0.03, from: 's', flags: SYN | ACK, seq: S, ack: C + 1, win: 65160, ttl: 57 },
      { t: 0.0301, from: 'c', flags: ACK, seq: C + 1, ack: S + 1, win: 502, ttl: 64 },
    ]);
    assert.equal(ttl[0]?.capture.point, 'client');
    // Same TTLs; near the server the round trip lies between SYN-ACK and ACK.
    const timing = track([
      { t: 0, from: 'c', flags: SYN, seq: C, win: 64240 },
      { t: 0.0001, from: 's', flags: SYN | ACK, seq: S, ack: C + 1, win: 65160 },
      { t: 0.0301, from: 'c', flags: ACK, seq: C + 1, ack: S + 1, win: 502 },
      // a segment the capture missed, then the next one
      { t: 0.04, from: 'c', flags: PSH | ACK, seq: C + 101, ack: S + 1, win: 502, len: 100 },
    ], { keepFrames: true });
    const c = timing[0] as ConnectionRecord;
    assert.equal(c.capture.point, 'server');
    // At the receiver, a missing segment was really lost on the way: not merely suspected.
    assert.deepEqual(c.frames?.[3]?.anomalies, [{ kind: 'lostSegment', suspected: false }]);
    const atClient = track([
      { t: 0, from: 'c', flags: SYN, seq: C, win: 64240 },
      { t: 0.03, from: 's', flags: SYN | ACK, seq: S, ack: C + 1, win: 65160 },
      { t: 0.0301, from: 'c', flags: ACK, seq: C + 1, ack: S + 1, win: 502 },
      { t: 0.04, from: 'c', flags: PSH | ACK, seq: C + 101, ack: S + 1, win: 502, len: 100 },
    ], { keepFrames: true });
    assert.equal(atClient[0]?.capture.point, 'client');
    // A retransmitted SYN: the timing is taken from the SYN the handshake completed with.
    const retried = track([
      { t: 0, from: 'c', flags: SYN, seq: C, win: 64240 },
      { t: 1, from: 'c', flags: SYN, seq: C, win: 64240 },
      { t: 1.0001, from: 's', flags: SYN | ACK, seq: S, ack: C + 1, win: 65160 },
      { t: 1.0301, from: 'c', flags: ACK, seq: C + 1, ack: S + 1, win: 502 },
    ]);
    assert.deepEqual([retried[0]?.capture.point, retried[0]?.handshake.syn, retried[0]?.handshake.rtt?.toFixed(4)], ['server', 1, '0.0301']);
    // At the sender, the segment cannot have been lost before the tap: the capture dropped it.
    assert.deepEqual(atClient[0]?.frames?.[3]?.anomalies, [{ kind: 'lostSegment', suspected: true }]);
    assert.equal(atClient[0]?.suspected.lostSegment, 1);
  });

  test('connections come out in id order even when a long one ends last', () => {
    const long = session(C, S, 0, 10).slice(0, 4);
    const tail = session(C, S, 0, 10).slice(4).map((s) => ({ ...s, t: s.t + 5 }));
    const others = [0, 1, 2].flatMap((i) => session(C, S, 1 + i, 10).map((s) => ({ ...s, endpoints: { c: { ip: '192.0.2.9', port: 41000 + i }, s: SERVER4 } })));
    const ids: number[] = [];
    const { records } = decodeCapture(craftPcap([...long, ...others, ...tail]));
    const t = new ConnTracker({ onConnection: (c) => ids.push(c.id), closedLinger: 0.5 });
    for (const r of records) t.push(r);
    t.end();
    assert.deepEqual(ids, [0, 1, 2, 3]);
  });
});

describe('odd input', () => {
  test('frames that are not TCP are counted and skipped', () => {
    const arp = new Uint8Array(42);
    arp.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06]);
    const udp = craftFrame({ t: 0, from: 'c', flags: 0, seq: 0 }, CLIENT4, SERVER4);
    udp[14 + 9] = 17;
    const t = new ConnTracker();
    t.push(record(1, arp));
    t.push(record(2, udp));
    t.push(record(3, new Uint8Array(0)));
    t.push(record(4, new Uint8Array(5), undefined, 147));
    t.end();
    assert.deepEqual([t.stats.otherFrames, t.stats.tcpFrames, t.stats.connections], [4, 0, 0]);
  });

  test('cut-short frames: a header cut off is malformed; a cut payload still counts, checksum unknown', () => {
    const full = craftFrame({ t: 0, from: 'c', flags: PSH | ACK, seq: C, ack: S, len: 500 }, CLIENT4, SERVER4);
    const out: ConnectionRecord[] = [];
    const t = new ConnTracker({ onConnection: (c) => out.push(c), keepFrames: true });
    t.push(record(1, full.subarray(0, 14 + 20 + 10)));
    t.push(record(2, full.subarray(0, 96)));
    t.end();
    assert.equal(t.stats.malformedTcp, 1);
    assert.equal(out.length, 1);
    assert.deepEqual([out[0]?.frames?.[0]?.length, out[0]?.frames?.[0]?.checksumValid], [500, null]);
  });

  test('an IPv4-fragmented segment counts once, at the frame that completes it, checksum verified', () => {
    const seg = craftFrame({ t: 0, from: 'c', flags: PSH | ACK, seq: C + 1, ack: S + 1, win: 502, len: 1000 }, CLIENT4, SERVER4);
    // Split the IP payload (20 + 1000 bytes of TCP) at 512 bytes into two fragments (RFC 791).
    const ip = seg.subarray(14);
    const tcp = ip.subarray(20);
    const frag = (offset: number, part: Uint8Array, more: boolean): Uint8Array => {
      const f = new Uint8Array(14 + 20 + part.length);
      f.set(seg.subarray(0, 34));
      const v = new DataView(f.buffer);
      v.setUint16(16, 20 + part.length);
      v.setUint16(18, 0x4242);
      v.setUint16(20, (more ? 0x2000 : 0) | (offset / 8));
      v.setUint16(24, 0);
      let sum = 0;
      for (let i = 14; i < 34; i += 2) sum += v.getUint16(i);
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      v.setUint16(24, ~sum & 0xffff);
      f.set(part, 34);
      return f;
    };
    const hs = craftPcap(handshake(C, S));
    const { records } = decodeCapture(hs);
    const frames = [...records, record(4, frag(0, tcp.subarray(0, 512), true), records[2]!.timestamp + 0.01), record(5, frag(512, tcp.subarray(512), false), records[2]!.timestamp + 0.011)];
    const out = trackConnections(frames, { keepFrames: true });
    assert.equal(out.length, 1);
    const last = out[0]?.frames?.at(-1);
    assert.deepEqual([last?.frame, last?.length, last?.checksumValid], [5, 1000, true]);
    assert.equal(out[0]?.sent.client.payloadBytes, 1000);
    // tshark reassembles too (ip.defragment) and analyses the segment at frame 5.
    if (tsharkAvailable()) assert.deepEqual(diffWithTshark(writeRecords('frag4', frames)), []);
  });

  test('an IPv6 segment behind a hop-by-hop header and split by a Fragment header (RFC 8200 4.5)', () => {
    const hs = decodeCapture(craftPcap(handshake(C, S), { client: CLIENT6, server: SERVER6 })).records;
    const seg = craftFrame({ t: 0, from: 'c', flags: PSH | ACK, seq: C + 1, ack: S + 1, win: 502, len: 600 }, CLIENT6, SERVER6);
    const tcp = seg.subarray(54);
    // Fixed header, hop-by-hop options (8 bytes: next header 44, PadN), fragment header, data.
    const frag = (offset: number, part: Uint8Array, more: boolean): Uint8Array => {
      const f = new Uint8Array(54 + 16 + part.length);
      f.set(seg.subarray(0, 54));
      const v = new DataView(f.buffer);
      v.setUint16(18, 16 + part.length);
      f[20] = 0;
      f.set([44, 0, 1, 4, 0, 0, 0, 0], 54);
      f.set([6, 0, 0, 0, 0, 0, 0x12, 0x34], 62);
      v.setUint16(64, offset | (more ? 1 : 0));
      f.set(part, 70);
      return f;
    };
    const t = hs[2]!.timestamp;
    const frames = [...hs, record(4, frag(0, tcp.subarray(0, 304), true), t + 0.01), record(5, frag(304, tcp.subarray(304), false), t + 0.011)];
    const out = trackConnections(frames, { keepFrames: true });
    assert.equal(out.length, 1);
    assert.deepEqual(out[0]?.client, { ip: '2001:db8::1', port: 40001 });
    const last = out[0]?.frames?.at(-1);
    assert.deepEqual([last?.frame, last?.length, last?.checksumValid], [5, 600, true]);
    if (tsharkAvailable()) assert.deepEqual(diffWithTshark(writeRecords('frag6', frames)), []);
  });

  test('raw-IP and Linux cooked captures track like Ethernet ones', () => {
    const eth = decodeCapture(craftPcap(session(C, S, 0))).records;
    const raw = eth.map((r) => ({ ...r, linkType: 101, data: r.data.subarray(14) }));
    const sll = eth.map((r) => {
      const d = new Uint8Array(16 + r.data.length - 14);
      d.set([0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00]);
      d.set(r.data.subarray(14), 16);
      return { ...r, linkType: 113, data: d };
    });
    const summary = (rs: readonly CaptureRecord[]): unknown => trackConnections(rs).map((c) => [c.client, c.server, c.state, c.history, c.sent, c.handshake.rtt]);
    assert.deepEqual(summary(raw), summary(eth));
    assert.deepEqual(summary(sll), summary(eth));
  });

  test('VLAN-tagged frames (802.1Q and QinQ) are tracked like untagged ones', () => {
    const plain = decodeCapture(craftPcap(session(C, S, 0))).records;
    const tag = (data: Uint8Array, tags: number[]): Uint8Array => {
      const out = new Uint8Array(data.length + 4 * tags.length);
      out.set(data.subarray(0, 12));
      tags.forEach((tpid, i) => {
        out[12 + 4 * i] = tpid >> 8;
        out[13 + 4 * i] = tpid & 0xff;
        out[15 + 4 * i] = 100 + i;
      });
      out.set(data.subarray(12), 12 + 4 * tags.length);
      return out;
    };
    const tagged = plain.map((r, i) => ({ ...r, data: tag(r.data, i % 2 === 0 ? [0x8100] : [0x88a8, 0x8100]) }));
    const a = trackConnections(plain);
    const b = trackConnections(tagged);
    assert.deepEqual(
      b.map((c) => [c.state, c.history, c.sent]),
      a.map((c) => [c.state, c.history, c.sent]),
    );
    assert.equal(b[0]?.state, 'SF');
  });

  test('all of one side\'s checksums wrong: a note points at checksum offload', () => {
    const segs = session(C, S, 0).map((x) => (x.from === 'c' ? { ...x, badChecksum: true } : x));
    const [c] = track(segs);
    assert.equal(c?.anomalies.badChecksum, 5);
    assert.ok(c?.notes.some((n) => n.includes('checksum offload') && n.includes('client')));
    const [clean] = track(segs, { verifyChecksums: false });
    assert.deepEqual([clean?.anomalies.badChecksum, clean?.state, clean?.history], [0, 'SF', 'ShADaFf']);
  });

  test('random and mutated frames never throw', () => {
    const good = decodeCapture(craftPcap(session(C, S, 0))).records;
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 120 }), fc.tuple(fc.nat(good.length - 1), fc.nat(200), fc.integer({ min: 0, max: 255 }))), { maxLength: 30 }),
        fc.constantFrom(1, 0, 101, 113, 276, 228, 229),
        (items, linkType) => {
          const t = new ConnTracker({ keepFrames: true, maxConnections: 3 });
          items.forEach((it, i) => {
            let data: Uint8Array;
            if (it instanceof Uint8Array) data = it;
            else {
              const src = good[it[0]]?.data ?? new Uint8Array(0);
              data = src.slice();
              if (data.length > 0) data[it[1] % data.length] = it[2];
            }
            t.push(record(i + 1, data, undefined, linkType));
          });
          t.end();
          return t.stats.frames === items.length;
        },
      ),
      { numRuns: 300 },
    );
  });

  test('10,000 connections reusing the same ports: 10,000 correct records, at most two tracked at once', () => {
    const n = 10_000;
    const w = craftPcap(Array.from({ length: n }, (_, i) => session((C + i * 7919) >>> 0, (S + i * 104729) >>> 0, i * 0.01, 20)).flat());
    const { records, error } = decodeCapture(w);
    assert.equal(error, undefined);
    let count = 0;
    let bad = 0;
    const t = new ConnTracker({
      onConnection: (c) => {
        if (c.id !== count || c.state !== 'SF' || c.history !== 'ShADaFf' || c.anomalies.portReuse !== (c.id === 0 ? 0 : 1)) bad++;
        count++;
      },
    });
    for (const r of records) t.push(r);
    t.end();
    assert.deepEqual([count, bad, t.stats.maxTracked], [n, 0, 1]);
  });

  test('more open connections than maxConnections: the least recently active are reported early, with a note', () => {
    const segs = Array.from({ length: 50 }, (_, i) => ({ ...handshake(C, S, i * 0.01)[0]!, endpoints: { c: { ip: '192.0.2.1', port: 30000 + i }, s: SERVER4 } }));
    const out = track(segs, { maxConnections: 10 });
    assert.equal(out.length, 50);
    assert.equal(out.filter((c) => c.notes.some((n) => n.startsWith('evicted'))).length, 40);
  });
});
