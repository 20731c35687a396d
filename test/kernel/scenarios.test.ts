/**
 * Each kernel scenario really contains what it is named for. The truth is tshark's reading of the
 * capture checked against the RFCs (sequence arithmetic of RFC 9293, MSS = MTU - headers,
 * fragment sizes of RFC 791), never synack's own decoder.
 * Needs root, iproute2, tcpdump, ethtool, nftables, tshark; skips saying which is missing.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { captureDir, kernelUnsupported } from './netns.js';
import { makeKernelCapture, type KernelCaptureMeta, type KernelCaptureOptions, type Scenario } from './scenarios.js';
import { ONES_COMPLEMENT_ZERO, readTsharkFields, tsharkFramesMatching, type TsharkFrame } from '../interop/tshark.js';

const tmp = captureDir('synack-scenarios-test-');
after(() => tmp.cleanup());

interface Made {
  readonly meta: KernelCaptureMeta;
  readonly frames: readonly TsharkFrame[];
}
const made = new Map<string, Promise<Made>>();

/** Makes (once per key) the capture and tshark's reading of it. */
function capture(key: string, scenario: Scenario, opts: KernelCaptureOptions = {}): Promise<Made> {
  let p = made.get(key);
  if (p === undefined) {
    p = (async () => {
      const meta = await makeKernelCapture(scenario, join(tmp.dir, `${key}.pcap`), opts);
      return { meta, frames: await readTsharkFields(meta.file) };
    })();
    made.set(key, p);
  }
  return p;
}

const skipReason = (): Promise<string | null> => kernelUnsupported(['ip', 'ss', 'tcpdump', 'ethtool', 'nft', 'tshark']);

// --- reading tshark rows ------------------------------------------------------------------------
const num = (f: TsharkFrame, field: keyof TsharkFrame): number => Number(f[field][0]);
const has = (f: TsharkFrame, field: keyof TsharkFrame): boolean => f[field].length > 0;
const flags = (f: TsharkFrame): number => Number(f['tcp.flags'][0] ?? 0);
const SYN = 0x02;
const RST = 0x04;
const FIN = 0x01;
const ACK = 0x10;
const isTcp = (f: TsharkFrame): boolean => has(f, 'tcp.srcport');
const from = (f: TsharkFrame, port: number): boolean => isTcp(f) && num(f, 'tcp.srcport') === port;
const kinds = (f: TsharkFrame): number[] => f['tcp.option_kind'].map(Number);
const mod32 = (n: number): number => n % 2 ** 32;

function synOf(frames: readonly TsharkFrame[], port: number, withAck: boolean): TsharkFrame {
  const syn = frames.find((f) => from(f, port) && (flags(f) & SYN) !== 0 && ((flags(f) & ACK) !== 0) === withAck);
  assert.ok(syn, `a SYN${withAck ? '-ACK' : ''} from port ${port}`);
  return syn;
}

function payloadFrom(frames: readonly TsharkFrame[], port: number): number {
  return frames.filter((f) => from(f, port)).reduce((n, f) => n + num(f, 'tcp.len'), 0);
}

function finsFrom(frames: readonly TsharkFrame[], port: number): TsharkFrame[] {
  return frames.filter((f) => from(f, port) && (flags(f) & FIN) !== 0);
}

async function checkCompleteCapture(m: Made): Promise<void> {
  assert.equal(m.meta.capture.packetsDroppedByKernel, 0);
  assert.equal(m.frames.length, m.meta.capture.packetsCaptured, 'tshark reads every frame tcpdump counted');
}

// --- bulk transfers -----------------------------------------------------------------------------
for (const family of [4, 6] as const) {
  const scenario: Scenario = family === 4 ? 'ipv4-bulk' : 'ipv6-bulk';
  describe(`${scenario} capture`, () => {
    test('both SYNs carry the kernel defaults: MSS = MTU - headers, SACK-permitted, timestamps, window scale', async (t) => {
      const why = await skipReason();
      if (why !== null) return t.skip(why);
      const m = await capture(scenario, scenario);
      await checkCompleteCapture(m);
      // RFC 9293 3.7.1: MSS = MTU (1500) - fixed IP header (20 | 40) - fixed TCP header (20).
      const mss = family === 4 ? 1460 : 1440;
      for (const syn of [synOf(m.frames, m.meta.client.port, false), synOf(m.frames, m.meta.server.port, true)]) {
        for (const k of [2, 3, 4, 8]) assert.ok(kinds(syn).includes(k), `option kind ${k} in ${kinds(syn).join(',')}`);
        assert.equal(num(syn, 'tcp.options.mss_val'), mss);
        assert.equal(has(syn, family === 4 ? 'ip.src' : 'ipv6.src'), true);
      }
    });

    test('every frame is a wire frame: at most 1514 bytes, IP and TCP checksums valid (offloads off)', async (t) => {
      const why = await skipReason();
      if (why !== null) return t.skip(why);
      const { meta, frames } = await capture(scenario, scenario);
      const onesZero = new Set(await tsharkFramesMatching(meta.file, ONES_COMPLEMENT_ZERO));
      for (const f of frames) {
        const n = Number(f['frame.number'][0]);
        assert.ok(num(f, 'frame.len') <= 1514, `frame ${n} is ${num(f, 'frame.len')} bytes`);
        if (isTcp(f)) assert.ok(f['tcp.checksum.status'][0] === '1' || onesZero.has(n), `frame ${n} TCP checksum ${f['tcp.checksum'][0]}`);
        if (has(f, 'ip.checksum.status')) assert.equal(f['ip.checksum.status'][0], '1', `frame ${n} IP checksum`);
      }
    });

    test('the client sends the bytes written, then its FIN at ISN + 1 + bytes (retransmitted or not); the server FINs too', async (t) => {
      const why = await skipReason();
      if (why !== null) return t.skip(why);
      const { meta, frames } = await capture(scenario, scenario);
      const bytes = 4 << 20;
      assert.equal(meta.clientResult.sent, bytes);
      // >= rather than ==: a spurious RTO on a loaded machine may resend a segment; the FIN's
      // sequence number below pins the exact byte count.
      assert.ok(payloadFrom(frames, meta.client.port) >= bytes, 'all the payload is on the wire');
      const isn = num(synOf(frames, meta.client.port, false), 'tcp.seq_raw');
      // One FIN per side, in sequence space: on a loaded machine the FIN itself may be retransmitted
      // (same sequence number), which is still one FIN.
      const finSeqs = (port: number): Set<number> => new Set(finsFrom(frames, port).map((f) => mod32(num(f, 'tcp.seq_raw') + num(f, 'tcp.len'))));
      // RFC 9293 3.4: the SYN occupies one sequence number, so data ends at ISN + 1 + bytes.
      assert.deepEqual([...finSeqs(meta.client.port)], [mod32(isn + 1 + bytes)]);
      assert.equal(finSeqs(meta.server.port).size, 1);
    });
  });
}

describe('refused capture', () => {
  test('a SYN to a port without listener is answered <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK> (RFC 9293 3.10.7.1)', async (t) => {
    const why = await skipReason();
    if (why !== null) return t.skip(why);
    const m = await capture('refused', 'refused');
    await checkCompleteCapture(m);
    assert.equal(m.meta.clientResult.error, 'ECONNREFUSED');
    const tcp = m.frames.filter(isTcp);
    assert.equal(tcp.length, 2, 'SYN and RST only');
    const [syn, rst] = tcp as [TsharkFrame, TsharkFrame];
    assert.equal(flags(syn), SYN);
    assert.equal(num(syn, 'tcp.srcport'), m.meta.client.port);
    assert.equal(flags(rst), RST | ACK);
    assert.equal(num(rst, 'tcp.seq_raw'), 0);
    assert.equal(num(rst, 'tcp.ack_raw'), mod32(num(syn, 'tcp.seq_raw') + 1));
  });
});

describe('abort capture', () => {
  test('after receiving data the client resets with <SEQ=SND.NXT><CTL=RST> and sends no FIN (RFC 9293 3.10.5)', async (t) => {
    const why = await skipReason();
    if (why !== null) return t.skip(why);
    const m = await capture('abort', 'abort');
    await checkCompleteCapture(m);
    const { meta, frames } = m;
    const rstIdx = frames.findIndex((f) => from(f, meta.client.port) && (flags(f) & RST) !== 0);
    assert.ok(rstIdx > 0, 'the client sent an RST');
    const rst = frames[rstIdx]!;
    const isn = num(synOf(frames, meta.client.port, false), 'tcp.seq_raw');
    assert.equal(num(rst, 'tcp.seq_raw'), mod32(isn + 1), 'the client sent no data: SND.NXT = ISN + 1');
    assert.ok(payloadFrom(frames.slice(0, rstIdx), meta.server.port) >= 128 << 10, 'data flowed before the reset');
    assert.equal(finsFrom(frames, meta.client.port).length, 0);
    assert.ok(meta.serverResult?.error === 'ECONNRESET' || meta.serverResult?.error === 'EPIPE', `server saw ${meta.serverResult?.error}`);
  });
});

describe('half-close capture', () => {
  test('the server keeps sending after the client FIN, then FINs at ISN + 1 + bytes (RFC 9293 3.6)', async (t) => {
    const why = await skipReason();
    if (why !== null) return t.skip(why);
    const m = await capture('half-close', 'half-close');
    await checkCompleteCapture(m);
    const { meta, frames } = m;
    const request = 1000;
    const response = 256 << 10;
    const clientFins = finsFrom(frames, meta.client.port);
    assert.equal(clientFins.length, 1);
    const clientFin = clientFins[0]!;
    const clientIsn = num(synOf(frames, meta.client.port, false), 'tcp.seq_raw');
    assert.equal(mod32(num(clientFin, 'tcp.seq_raw') + num(clientFin, 'tcp.len')), mod32(clientIsn + 1 + request));
    const finIdx = frames.indexOf(clientFin);
    const after = frames.slice(finIdx + 1);
    // The server only starts its response on reading EOF, and the capture is on the client's end,
    // so by causality every response byte is captured after the client's FIN.
    assert.equal(payloadFrom(after, meta.server.port), response, 'the whole response follows the client FIN');
    assert.equal(payloadFrom(frames, meta.server.port), response);
    const serverFins = finsFrom(frames, meta.server.port);
    assert.equal(serverFins.length, 1);
    const serverIsn = num(synOf(frames, meta.server.port, true), 'tcp.seq_raw');
    // The FIN may ride on the last data segment: the FIN's own number is seq + len.
    assert.equal(mod32(num(serverFins[0]!, 'tcp.seq_raw') + num(serverFins[0]!, 'tcp.len')), mod32(serverIsn + 1 + response));
    assert.ok(frames.indexOf(serverFins[0]!) > finIdx);
  });
});

describe('loss capture', () => {
  test('5 % loss shows retransmissions, duplicate ACKs and SACK blocks, and still delivers everything', async (t) => {
    const why = await skipReason();
    if (why !== null) return t.skip(why);
    const m = await capture('loss', 'loss');
    await checkCompleteCapture(m);
    const { meta, frames } = m;
    assert.equal(meta.serverResult?.received, 2 << 20);
    assert.ok(meta.loss, 'loss counters');
    // n ~ 1500 segments, p = 0.05: mean ~75, sd ~8.5; [1 %, 15 %] is > 7 sd either side.
    const share = meta.loss.dropped / meta.loss.seen;
    assert.ok(share > 0.01 && share < 0.15, `dropped ${meta.loss.dropped} of ${meta.loss.seen}`);
    const retrans = await tsharkFramesMatching(meta.file, 'tcp.analysis.retransmission || tcp.analysis.fast_retransmission');
    const dupAcks = await tsharkFramesMatching(meta.file, 'tcp.analysis.duplicate_ack');
    assert.ok(retrans.length > 0, 'retransmissions');
    assert.ok(dupAcks.length > 0, 'duplicate ACKs');
    const sacks = frames.filter((f) => from(f, meta.server.port) && has(f, 'tcp.options.sack_le'));
    assert.ok(sacks.length > 0, 'SACK blocks from the receiver');
    for (const f of sacks) {
      // RFC 2018 3: each block is [left, right) with left < right (mod 2^32 distance < 2^31).
      const le = f['tcp.options.sack_le'].map(Number);
      const re = f['tcp.options.sack_re'].map(Number);
      assert.equal(le.length, re.length);
      le.forEach((l, i) => {
        const d = mod32((re[i] ?? 0) - l + 2 ** 32);
        assert.ok(d > 0 && d < 2 ** 31, `frame ${f['frame.number'][0]} block ${l}-${re[i]}`);
      });
    }
  });
});

describe('udp-fragments capture', () => {
  test('IPv4: 4008 bytes of UDP leave as 1480-byte fragments; tshark ip.frag_offset counts 8-octet units (RFC 791)', async (t) => {
    const why = await skipReason();
    if (why !== null) return t.skip(why);
    const m = await capture('udp4', 'udp-fragments', { family: 4 });
    await checkCompleteCapture(m);
    const frags = m.frames.filter((f) => f['ip.src'][0] === m.meta.client.address && has(f, 'ip.frag_offset'));
    assert.equal(frags.length, 3);
    // MTU 1500 - 20 header = 1480 data bytes per fragment (a multiple of 8); 8 + 4000 = 1480 + 1480 + 1048.
    assert.deepEqual(frags.map((f) => num(f, 'ip.frag_offset')), [0, 1480 / 8, 2960 / 8]);
    assert.deepEqual(frags.map((f) => f['ip.flags.mf'][0]), ['1', '1', '0']);
    assert.deepEqual(frags.map((f) => num(f, 'ip.len') - 20), [1480, 1480, 1048]);
    assert.equal(new Set(frags.map((f) => f['ip.id'][0])).size, 1, 'one identification');
  });

  test('IPv6: the datagram leaves with Fragment headers (next header 44)', async (t) => {
    const why = await skipReason();
    if (why !== null) return t.skip(why);
    const m = await capture('udp6', 'udp-fragments', { family: 6 });
    await checkCompleteCapture(m);
    const frags = m.frames.filter((f) => f['ipv6.src'][0] === m.meta.client.address && f['ipv6.nxt'][0] === '44');
    assert.equal(frags.length, 3);
    // RFC 8200 4.5: fragmentable part 8 + 4000 bytes; per fragment 1500 - 40 - 8 = 1448 (multiple of 8).
    assert.deepEqual(frags.map((f) => num(f, 'ipv6.plen') - 8), [1448, 1448, 1112]);
  });
});
