// SummaryWriter (the byte path `synack decode` prints summaries with) against the general path it
// must equal: summaryLine(dissect(frame), t.toFixed(6)), the output checked against tshark in
// test/interop. Random frames from every layer's corner (VLANs, IPv4 options and fragments, IPv6
// extension headers, every option kind with legal and illegal lengths, truncation, wrong
// checksums, byte flips) and random clocks, in the three time modes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dissect } from '../../src/analyze/dissect.js';
import { leanSummaryInfo, SummaryWriter, summaryLine, type TimedFrame, type TimeMode } from '../../src/analyze/summary.js';
import { INPUT_SIZE, SummaryKernel, summaryKernelModule } from '../../src/analyze/summary-kernel.js';
import { PacketSlot } from '../../src/capture/packet-ref.js';
import { TextBuffer } from '../../src/analyze/textbuffer.js';
import { internetChecksum } from '../../src/wire/checksum.js';
import { tcpChecksum } from '../../src/wire/tcp.js';

/** What `synack decode` printed before SummaryWriter: the general path, line by line. */
function reference(frames: readonly TimedFrame[], mode: TimeMode): string {
  let first: number | undefined;
  let previous: number | undefined;
  let out = '';
  for (const r of frames) {
    first ??= r.timestamp;
    const t = mode === 'abs' ? r.timestamp : mode === 'rel' ? r.timestamp - first : r.timestamp - (previous ?? r.timestamp);
    previous = r.timestamp;
    out += summaryLine(dissect(r), t.toFixed(6)) + '\n';
  }
  return out;
}

function written(frames: readonly TimedFrame[], mode: TimeMode): string {
  const w = new SummaryWriter(mode);
  const out = new TextBuffer(64);
  for (const r of frames) w.append(out, r);
  return out.toString();
}

function record(data: Uint8Array, linkType = 1, frame = 1, tsSec = 1_700_000_000, tsNsec = 0): TimedFrame {
  return { frame, timestamp: tsSec + tsNsec / 1e9, tsSec, tsNsec, capturedLength: data.length, originalLength: data.length, linkType, data };
}

function be16(v: number): number[] {
  return [(v >>> 8) & 0xff, v & 0xff];
}
function be32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });

/** One TCP option as bytes: each known kind, sometimes with a wrong length, or raw junk. */
const option = fc.oneof(
  { weight: 3, arbitrary: fc.constant([1]) },
  { weight: 1, arbitrary: fc.constant([0]) },
  { weight: 2, arbitrary: u16.map((m) => [2, 4, ...be16(m)]) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 255 }).map((s) => [3, 3, s]) },
  { weight: 2, arbitrary: fc.constant([4, 2]) },
  { weight: 3, arbitrary: fc.tuple(u32, u32).map(([a, b]) => [8, 10, ...be32(a), ...be32(b)]) },
  { weight: 2, arbitrary: fc.array(fc.tuple(u32, u32), { minLength: 1, maxLength: 4 }).map((bl) => [5, 2 + 8 * bl.length, ...bl.flatMap(([l, r]) => [...be32(l), ...be32(r)])]) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 14 }), fc.uint8Array({ minLength: 0, maxLength: 12 }))
      .map(([kind, len, data]) => [kind, len, ...data]),
  },
  // A known kind with any length byte (RFC 9293 MUST-7 territory), and a lone kind byte.
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(2, 3, 4, 5, 8), fc.integer({ min: 0, max: 12 }), fc.uint8Array({ minLength: 0, maxLength: 12 }))
      .map(([kind, len, data]) => [kind, len, ...data]),
  },
  { weight: 1, arbitrary: fc.integer({ min: 2, max: 255 }).map((k) => [k]) },
  // SACK of any length with the bytes it claims (legal only for 2 + 8n, RFC 2018 3).
  { weight: 1, arbitrary: fc.integer({ min: 3, max: 38 }).chain((len) => fc.uint8Array({ minLength: len - 2, maxLength: len - 2 }).map((d) => [5, len, ...d])) },
);

interface Spec {
  link: 'ethernet' | 'raw' | 'ipv4' | 'ipv6' | 'null';
  vlans: number;
  v6: boolean;
  ipOptions: number;
  ipFlags: number;
  protocol: number;
  ext: number | undefined;
  options: (readonly number[])[];
  dataOffset: number | undefined;
  flags: number;
  ports: [number, number];
  seq: number;
  ack: number;
  window: number;
  urgent: number;
  payload: Uint8Array;
  /** The IP length field: right, 0, short of the real length by n, or any value. */
  totalLength: 'right' | 'zero' | { short: number } | number;
  badIpChecksum: boolean;
  badTcpChecksum: boolean;
  cut: number | undefined;
  padding: number;
  flips: [number, number][];
  src: Uint8Array;
  dst: Uint8Array;
}

const spec: fc.Arbitrary<Spec> = fc.record({
  link: fc.constantFrom('ethernet', 'ethernet', 'ethernet', 'raw', 'ipv4', 'ipv6', 'null'),
  vlans: fc.constantFrom(0, 0, 0, 1, 2),
  v6: fc.boolean(),
  ipOptions: fc.constantFrom(0, 0, 0, 4, 12, 40),
  // DF mostly; sometimes MF, a fragment offset, or the reserved bit.
  ipFlags: fc.constantFrom(0x4000, 0x4000, 0x4000, 0, 0x2000, 0x0001, 0x8000),
  protocol: fc.constantFrom(6, 6, 6, 6, 17, 1, 58),
  ext: fc.constantFrom(undefined, undefined, undefined, 0, 60, 44, 43, 59),
  options: fc.array(option, { maxLength: 6 }),
  dataOffset: fc.option(fc.integer({ min: 0, max: 15 }), { freq: 8 }),
  flags: fc.integer({ min: 0, max: 0xfff }),
  ports: fc.tuple(u16, u16),
  seq: u32,
  ack: u32,
  window: u16,
  urgent: u16,
  payload: fc.uint8Array({ maxLength: 120 }),
  totalLength: fc.oneof(
    { weight: 12, arbitrary: fc.constant<'right' | 'zero'>('right') },
    { weight: 1, arbitrary: fc.constant<'right' | 'zero'>('zero') },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 80 }).map((short) => ({ short })) },
    { weight: 1, arbitrary: u16 },
  ),
  badIpChecksum: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  badTcpChecksum: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
  cut: fc.option(fc.integer({ min: 0, max: 200 }), { freq: 5 }),
  padding: fc.constantFrom(0, 0, 0, 6, 20),
  flips: fc.oneof(
    { weight: 4, arbitrary: fc.constant<[number, number][]>([]) },
    { weight: 1, arbitrary: fc.array(fc.tuple(fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 2 }) },
  ),
  src: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  dst: fc.uint8Array({ minLength: 16, maxLength: 16 }),
});

function lengthField(f: Spec['totalLength'], right: number): number {
  if (f === 'right') return right;
  if (f === 'zero') return 0;
  if (typeof f === 'number') return f;
  return Math.max(0, right - f.short);
}

/** The frame a spec describes: headers built by hand, checksums computed then maybe broken. */
function build(s: Spec): { data: Uint8Array; linkType: number } {
  let opts = s.options.flat();
  if (opts.length > 40) opts = opts.slice(0, 40);
  while (opts.length % 4 !== 0) opts.push(0);
  const hl = 20 + opts.length;
  const doff = s.dataOffset ?? hl / 4;
  const tcp = new Uint8Array(hl + s.payload.length);
  tcp.set([...be16(s.ports[0]), ...be16(s.ports[1]), ...be32(s.seq), ...be32(s.ack), (doff << 4) | ((s.flags >>> 8) & 0x0f), s.flags & 0xff, ...be16(s.window), 0, 0, ...be16(s.urgent)]);
  tcp.set(opts, 20);
  tcp.set(s.payload, hl);

  let ip: Uint8Array;
  if (!s.v6) {
    const ihl = 20 + s.ipOptions;
    ip = new Uint8Array(ihl + tcp.length);
    const total = lengthField(s.totalLength, ip.length);
    ip.set([0x40 | (ihl / 4), 0, ...be16(total), 0x12, 0x34, ...be16(s.ipFlags), 64, s.protocol, 0, 0, ...s.src.subarray(0, 4), ...s.dst.subarray(0, 4)]);
    for (let i = 20; i < ihl; i++) ip[i] = 1; // NOP options
    ip.set(tcp, ihl);
    const pair = { src: ((s.src[0]! << 24) | (s.src[1]! << 16) | (s.src[2]! << 8) | s.src[3]!) >>> 0, dst: ((s.dst[0]! << 24) | (s.dst[1]! << 16) | (s.dst[2]! << 8) | s.dst[3]!) >>> 0 };
    const sum = tcpChecksum(tcp, pair);
    ip[ihl + 16] = (sum >>> 8) ^ (s.badTcpChecksum ? 0x5a : 0);
    ip[ihl + 17] = sum & 0xff;
    const hsum = internetChecksum(ip, 0, ihl);
    ip[10] = (hsum >>> 8) ^ (s.badIpChecksum ? 0x01 : 0);
    ip[11] = hsum & 0xff;
  } else {
    const extLen = s.ext === undefined ? 0 : 8;
    ip = new Uint8Array(40 + extLen + tcp.length);
    const plen = lengthField(s.totalLength, ip.length - 40);
    ip.set([0x60, 0, 0, 1, ...be16(plen), s.ext ?? s.protocol, 64, ...s.src, ...s.dst]);
    if (s.ext !== undefined) ip.set([s.protocol, 0, 0, 0, 0, 0, 0, 0], 40);
    ip.set(tcp, 40 + extLen);
    const sum = tcpChecksum(tcp, { src: s.src, dst: s.dst });
    ip[40 + extLen + 16] = (sum >>> 8) ^ (s.badTcpChecksum ? 0x5a : 0);
    ip[40 + extLen + 17] = sum & 0xff;
  }

  let head: number[];
  let linkType: number;
  switch (s.link) {
    case 'ethernet': {
      head = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
      for (let i = 0; i < s.vlans; i++) head.push(...be16(i === 0 && s.vlans > 1 ? 0x88a8 : 0x8100), 0, 10 + i);
      head.push(...be16(s.v6 ? 0x86dd : 0x0800));
      linkType = 1;
      break;
    }
    case 'null':
      head = s.v6 ? [30, 0, 0, 0] : [2, 0, 0, 0];
      linkType = 0;
      break;
    case 'raw':
      head = [];
      linkType = 101;
      break;
    default:
      head = [];
      linkType = s.link === 'ipv4' ? 228 : 229;
  }
  let data = new Uint8Array(head.length + ip.length + s.padding);
  data.set(head);
  data.set(ip, head.length);
  for (const [at, v] of s.flips) if (at < data.length) data[at] = v;
  if (s.cut !== undefined) data = data.subarray(0, Math.min(data.length, s.cut));
  return { data, linkType };
}

describe('SummaryWriter', () => {
  test('writes exactly the general path line for random frames, in every time mode', () => {
    const clock = fc.tuple(
      fc.oneof(fc.integer({ min: 1_600_000_000, max: 1_600_000_100 }), fc.integer({ min: 0, max: 5 }), fc.constant(0x80000000), fc.integer({ min: 0x7ffffff0, max: 0x8000000f })),
      fc.oneof(fc.integer({ min: 0, max: 999 }).map((us) => us * 1_000_000), fc.integer({ min: 0, max: 999_999 }).map((us) => us * 1000), fc.integer({ min: 0, max: 999_999_999 }), fc.integer({ min: 0, max: 999_999 }).map((us) => us * 1000 + 500)),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(spec, clock), { minLength: 1, maxLength: 12 }), fc.constantFrom<TimeMode>('rel', 'abs', 'delta'), (items, mode) => {
        const frames = items.map(([s, [sec, nsec]], i) => {
          const { data, linkType } = build(s);
          return record(data, linkType, i + 1 + (i % 3) * 997, sec, nsec);
        });
        assert.equal(written(frames, mode), reference(frames, mode));
      }),
      { numRuns: 3000 },
    );
  });

  test('formats a plain TCP segment from the bytes, without falling back to the dissector', () => {
    const s: Spec = {
      link: 'ethernet', vlans: 0, v6: false, ipOptions: 0, ipFlags: 0x4000, protocol: 6, ext: undefined,
      options: [[2, 4, 5, 0xb4], [4, 2], [8, 10, 0, 0, 0, 1, 0, 0, 0, 0], [1], [3, 3, 7]],
      dataOffset: undefined, flags: 0x002, ports: [40000, 443], seq: 4_000_000_000, ack: 0, window: 64240, urgent: 0,
      payload: new Uint8Array(0), totalLength: 'right', badIpChecksum: false, badTcpChecksum: false, cut: undefined, padding: 0, flips: [],
      src: new Uint8Array([192, 168, 0, 2, ...new Array<number>(12).fill(0)]), dst: new Uint8Array([198, 51, 100, 7, ...new Array<number>(12).fill(0)]),
    };
    const out = new TextBuffer();
    assert.equal(leanSummaryInfo(out, record(build(s).data)), true);
    assert.equal(out.toString(), '192.168.0.2:40000 -> 198.51.100.7:443 TCP ....S. [SYN] seq=4000000000 ack=0 win=64240 len=0 <mss 1460,sackOK,TS val 1 ecr 0,wscale 7>');
    // The same segment over IPv6 (RFC 5952 text in brackets), then with a wrong checksum: that one
    // is the dissector's to describe, with its problem.
    const v6 = { ...s, v6: true, src: new Uint8Array([0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1]), dst: new Uint8Array([0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 2]) };
    out.clear();
    assert.equal(leanSummaryInfo(out, record(build(v6).data)), true);
    assert.match(out.toString(), /^\[2001:db8::1\]:40000 -> \[2001:db8::2\]:443 TCP /);
    out.clear();
    assert.equal(leanSummaryInfo(out, record(build({ ...s, badTcpChecksum: true }).data)), false);
  });

  test('times: the digits toFixed(6) gives, across sub-microsecond halves, 2^31 s and clocks that go back', () => {
    const cases: [number, number][] = [
      [1_700_000_000, 0],
      [1_700_000_000, 499],
      [1_700_000_000, 500],
      [1_700_000_000, 501],
      [1_700_000_000, 999_999_500],
      [1_700_000_001, 999_999_999],
      [1_700_000_000, 123_456_789],
      [1_699_999_999, 999_999_000],
      [0x7fffffff, 999_999_600],
      [0x80000000, 400],
      [0, 1],
      [0, 0],
    ];
    const frames = cases.map(([sec, nsec], i) => record(new Uint8Array(0), 1, i + 1, sec, nsec));
    for (const mode of ['rel', 'abs', 'delta'] as const) assert.equal(written(frames, mode), reference(frames, mode), mode);
  });
});

describe('SummaryKernel (the WebAssembly lean path)', () => {
  const kernel = SummaryKernel.create();

  /**
   * The lines SummaryWriter writes with the kernel, each frame delivered as a PacketRef: in the
   * kernel's input region at an offset of `at` (any alignment), or outside it (copied in).
   */
  function withKernel(frames: readonly TimedFrame[], mode: TimeMode, placement: readonly number[]): string {
    const k = kernel!;
    const w = new SummaryWriter(mode, k);
    const out = k.output;
    out.clear();
    const slot = new PacketSlot();
    let text = '';
    frames.forEach((r, i) => {
      const at = placement[i % placement.length] ?? -1;
      if (at >= 0) {
        k.input.set(r.data, at);
        slot.set(k.input, at, r.data.length, r.frame, r.tsSec, r.tsNsec, r.originalLength, r.linkType, 0, 0);
      } else {
        slot.set(r.data, 0, r.data.length, r.frame, r.tsSec, r.tsNsec, r.originalLength, r.linkType, 0, 0);
      }
      w.appendPacket(out, slot);
      if (out.length > 1 << 16) {
        text += out.toString();
        out.clear();
      }
    });
    text += out.toString();
    out.clear();
    return text;
  }

  test('assembles into a module the engine accepts', () => {
    assert.equal(WebAssembly.validate(summaryKernelModule()), true);
    assert.notEqual(kernel, undefined, 'Node 20 has WebAssembly SIMD');
  });

  test('writes exactly the general path line for random frames, in every time mode, wherever the frame lies', () => {
    const clock = fc.tuple(
      fc.oneof(fc.integer({ min: 1_600_000_000, max: 1_600_000_100 }), fc.integer({ min: 0, max: 5 }), fc.constant(0x80000000), fc.integer({ min: 0x7ffffff0, max: 0x8000000f })),
      fc.oneof(fc.integer({ min: 0, max: 999 }).map((us) => us * 1_000_000), fc.integer({ min: 0, max: 999_999 }).map((us) => us * 1000), fc.integer({ min: 0, max: 999_999_999 }), fc.integer({ min: 0, max: 999_999 }).map((us) => us * 1000 + 500)),
    );
    const placement = fc.array(fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: INPUT_SIZE - 2000 })), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(fc.array(fc.tuple(spec, clock), { minLength: 1, maxLength: 12 }), fc.constantFrom<TimeMode>('rel', 'abs', 'delta'), placement, (items, mode, where) => {
        const frames = items.map(([s, [sec, nsec]], i) => {
          const { data, linkType } = build(s);
          return record(data, linkType, i + 1 + (i % 3) * 997, sec, nsec);
        });
        assert.equal(withKernel(frames, mode, where), reference(frames, mode));
      }),
      { numRuns: 3000 },
    );
  });

  test('takes a plain segment itself: Ethernet, IPv4, options, a frame number past 9999', () => {
    const s: Spec = {
      link: 'ethernet', vlans: 1, v6: false, ipOptions: 0, ipFlags: 0x4000, protocol: 6, ext: undefined,
      options: [[2, 4, 5, 0xb4], [4, 2], [8, 10, 0, 0, 0, 1, 0, 0, 0, 0], [1], [3, 3, 7], [5, 10, 0, 0, 0, 1, 0, 0, 0, 2]],
      dataOffset: undefined, flags: 0x0a2, ports: [40000, 443], seq: 4_000_000_000, ack: 0, window: 64240, urgent: 9,
      payload: new Uint8Array(3), totalLength: 'right', badIpChecksum: false, badTcpChecksum: false, cut: undefined, padding: 0, flips: [],
      src: new Uint8Array([192, 168, 0, 2, ...new Array<number>(12).fill(0)]), dst: new Uint8Array([198, 51, 100, 7, ...new Array<number>(12).fill(0)]),
    };
    const k = kernel!;
    const data = build(s).data;
    k.input.set(data, 5);
    const out = k.output;
    out.clear();
    const p = new PacketSlot().set(k.input, 5, data.length, 12345, 1_700_000_000, 250_000_000, data.length, 1, 0, 0);
    assert.equal(k.tryLine(out, p, 1_699_999_999, 500_000_000, true), true);
    assert.equal(
      out.toString(),
      '12345 0.750000 192.168.0.2:40000 -> 198.51.100.7:443 TCP U...S. [SYN, URG, CWR] seq=4000000000 ack=0 win=64240 len=3 urg=9 <mss 1460,sackOK,TS val 1 ecr 0,wscale 7,sack 1 {1:2}>\n',
    );
    // A wrong TCP checksum is the dissector's to describe: the kernel leaves the frame alone.
    out.clear();
    const bad = build({ ...s, badTcpChecksum: true }).data;
    k.input.set(bad, 5);
    assert.equal(k.tryLine(out, p, 0, 0, false), false);
    assert.equal(out.length, 0);
  });
});

describe('TextBuffer', () => {
  test('writes integers as String() does, from 0 to 2^53', () => {
    const edges = [0, 1, 9, 10, 99, 100, 999, 1000, 65535, 99_999_999, 100_000_000, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 1e15, 2 ** 53 - 1];
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...edges), fc.integer({ min: 0, max: 0xffffffff }), fc.maxSafeNat()), fc.integer({ min: 0, max: 20 }), (n, width) => {
        const b = new TextBuffer(8);
        b.uint(n);
        b.byte(0x2c);
        b.uintPadded(n, width, 0x30);
        assert.equal(b.toString(), `${n},${String(n).padStart(width, '0')}`);
      }),
      { numRuns: 2000 },
    );
  });

  test('grows past its first capacity and keeps UTF-8 text', () => {
    const b = new TextBuffer(1);
    b.ascii('ascii ');
    b.text('und UTF-8: 1 → 2 ✓');
    for (let i = 0; i < 100; i++) b.uint(i);
    assert.equal(b.toString(), `ascii und UTF-8: 1 → 2 ✓${Array.from({ length: 100 }, (_, i) => i).join('')}`);
  });
});
