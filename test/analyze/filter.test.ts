/**
 * Display filters (src/analyze/filter.ts): the syntax the UI's filter box accepts, the errors it
 * shows under the box, and, as the independent truth for what a filter selects, tshark -Y on the
 * same captures: for every capture and filter of filter-cases.ts, the frames we select must be
 * exactly the frames tshark selected (recorded in fixtures/filter.tshark.json; live for the
 * synthetic traffic, skipped when tshark is not installed).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { decodeCapture } from '../../src/capture/decoder.js';
import { PcapWriter } from '../../src/capture/pcap.js';
import { compileFilter, FilterError, FilterFields, filterError, parseFilter, Proto } from '../../src/analyze/filter.js';
import { dissect } from '../../src/analyze/dissect.js';
import { syntheticTraffic } from '../../bench/traffic.js';
import { CAPTURES, FILTERS, tsharkSelect } from './filter-cases.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

function select(path: string, filter: string, conns?: (frame: number) => number): number[] {
  const bytes = new Uint8Array(readFileSync(path));
  const c = compileFilter(filter);
  const f = new FilterFields();
  return decodeCapture(bytes)
    .records.filter((r) => c.matches(f.load(r, conns?.(r.frame) ?? -1)))
    .map((r) => r.frame);
}

const tshark = spawnSync('tshark', ['--version']).status === 0;

describe('filter syntax', () => {
  it('parses the common cases of the filter box', () => {
    for (const text of [
      'tcp.port == 139',
      'tcp.flags.syn == 1',
      'ip.addr == 1.2.3.4',
      'ip.src == 10.0.0.1 && ip.dst == 10.0.0.2',
      'tcp.srcport == 1037 || tcp.dstport == 1037',
      'udp.port == 53',
      'frame.number >= 3',
      'conn == 3',
      '!(tcp || udp)',
      'tcp and not arp or icmp',
      'ipv6',
      'ip.addr eq 131.107.2.0/24',
      'tcp.port in {80 443 8000..8080}',
      'tcp.flags.syn==1&&tcp.flags.ack==0',
    ]) {
      assert.doesNotThrow(() => parseFilter(text), text);
    }
  });

  it('gives && precedence over || and lets ! bind tightest', () => {
    assert.deepEqual(parseFilter('tcp || udp && !arp'), {
      kind: 'or',
      left: { kind: 'has', field: 'tcp' },
      right: { kind: 'and', left: { kind: 'has', field: 'udp' }, right: { kind: 'not', expr: { kind: 'has', field: 'arp' } } },
    });
  });

  it('reads numbers in decimal and hex and addresses with prefixes', () => {
    assert.deepEqual(parseFilter('tcp.flags == 0x012'), { kind: 'cmp', field: 'tcp.flags', op: '==', value: { kind: 'num', value: 0x12 } });
    const e = parseFilter('ip.src == 10.1.0.0/16');
    assert.ok(e.kind === 'cmp' && e.value.kind === 'addr');
    assert.deepEqual([...e.value.bytes], [10, 1, 0, 0]);
    assert.equal(e.value.prefix, 16);
  });

  it('treats a blank filter as everything', () => {
    assert.equal(compileFilter('   ').all, true);
  });

  const bad: [string, RegExp, number][] = [
    ['tcp.port ==', /expected a value after '=='/, 11],
    ['tcp.port = 80', /did you mean '=='/, 9],
    ['tcp.prot == 80', /'tcp\.prot' is not a field.*did you mean tcp\.port/, 0],
    ['tcp.port == 80 &&', /after '&&'/, 17],
    ['(tcp', /missing '\)'/, 4],
    ['tcp)', /'\)' without a matching '\('/, 3],
    ['ip.addr == 1.2.3', /IPv4 address.*'1\.2\.3'/, 11],
    ['tcp.port == 70000', /out of range \(0\.\.65535\)/, 12],
    ['tcp.port == eighty', /wants a number/, 12],
    ['tcp == 1', /is a protocol/, 4],
    ['ip.addr > 1.2.3.4', /only '==' and '!='/, 8],
    ['tcp.port == 80 udp', /expected '&&', '\|\|' or the end/, 15],
    ['80', /found the value '80'/, 0],
    ['tcp & udp', /did you mean '&&'/, 4],
    ['ip.src == 10.0.0.0/33', /prefix length/, 18],
    ['tcp.port in {}', /set is empty/, 12],
    ['', /never/, -1],
  ];
  for (const [text, message, position] of bad) {
    if (position < 0) continue;
    it(`rejects ${JSON.stringify(text)} with a message pointing at column ${position + 1}`, () => {
      const e = filterError(text);
      assert.ok(e instanceof FilterError, 'expected a FilterError');
      assert.match(e.message, message);
      assert.equal(e.position, position);
      assert.equal(e.code, 'ERR_SYNACK_FILTER');
    });
  }

  it('never throws anything but FilterError, and bounds nesting', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80, unit: fc.constantFrom(...'tcpudip.rsf=!&|()<>{} 0123456789x:/'.split('')) }), (s) => {
        const e = filterError(s);
        assert.ok(e === undefined || e instanceof FilterError);
      }),
      { numRuns: 3000 },
    );
    assert.match(filterError('!'.repeat(500) + 'tcp')?.message ?? '', /nests deeper/);
    assert.match(filterError('('.repeat(500) + 'tcp' + ')'.repeat(500))?.message ?? '', /nests deeper/);
  });
});

describe('filter fields', () => {
  it('finds the protocols dissect() finds, for every frame of every fixture and for mutated frames', () => {
    const f = new FilterFields();
    const check = (r: Parameters<typeof dissect>[0]): void => {
      const j = dissect(r).json;
      f.load(r);
      const has = (bit: number): boolean => (f.protocols & bit) !== 0;
      assert.equal(has(Proto.ETH), j.ethernet !== undefined, `eth in frame ${r.frame}`);
      assert.equal(has(Proto.ARP), j.arp !== undefined, `arp in frame ${r.frame}`);
      assert.equal(has(Proto.IP), j.ipv4 !== undefined, `ip in frame ${r.frame}`);
      assert.equal(has(Proto.IPV6), j.ipv6 !== undefined, `ipv6 in frame ${r.frame}`);
      assert.equal(has(Proto.TCP), j.tcp !== undefined, `tcp in frame ${r.frame}`);
      assert.equal(has(Proto.UDP), j.udp !== undefined, `udp in frame ${r.frame}`);
      assert.equal(has(Proto.ICMP) || has(Proto.ICMPV6), j.icmp !== undefined, `icmp in frame ${r.frame}`);
      if (j.tcp !== undefined) {
        assert.equal(f.srcPort, j.tcp.srcPort);
        assert.equal(f.dstPort, j.tcp.dstPort);
        assert.equal(f.tcpLen, j.tcp.payloadLength);
      }
    };
    const records = Object.values(CAPTURES).flatMap((p) => decodeCapture(new Uint8Array(readFileSync(p))).records);
    for (const r of records) check(r);
    fc.assert(
      fc.property(fc.nat(records.length - 1), fc.array(fc.tuple(fc.nat(200), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(200), (i, edits, cut) => {
        const r = records[i] as (typeof records)[number];
        const data = r.data.slice(0, Math.max(0, r.data.length - cut));
        for (const [at, v] of edits) if (at < data.length) data[at] = v;
        check({ ...r, data, capturedLength: data.length });
      }),
      { numRuns: 2000 },
    );
  });

  it('takes connection ids from the caller: conn == N selects that connection only', () => {
    // kb172983: frames 1-3 are one connection, 4-7 (the article's other hex dumps) another.
    const conns = (frame: number): number => (frame <= 3 ? 0 : 1);
    assert.deepEqual(select(CAPTURES.kb172983, 'conn == 1', conns), [4, 5, 6, 7]);
    assert.deepEqual(select(CAPTURES.kb172983, 'tcp.stream == 0 && tcp.flags.syn == 1', conns), [1, 2]);
    assert.deepEqual(select(CAPTURES.kb172983, 'conn'), [], 'no ids known: conn exists nowhere');
  });
});


describe('filters select the frames tshark selects', () => {
  // tshark's answers for the fixtures, made by `node --import tsx test/analyze/filter-fixtures.ts`.
  const truth = JSON.parse(readFileSync(here('fixtures/filter.tshark.json'), 'utf8')) as { filters: string[]; captures: Record<string, Record<string, number[]>> };

  it('the recorded tshark answers cover exactly the filters and captures tested here', () => {
    assert.deepEqual(truth.filters, FILTERS);
    assert.deepEqual(Object.keys(truth.captures).sort(), Object.keys(CAPTURES).sort());
  });

  // Fields that tshark also finds inside ICMP error messages (the quoted IP and transport headers);
  // we do not look inside them. Frame 18 of the wire fixtures is such a message.
  const quotes = /^(?:!?tcp|!?udp|ip\.|udp|not icmp|!\(tcp)/;
  for (const [name, path] of Object.entries(CAPTURES)) {
    it(`in ${name}`, () => {
      for (const filter of FILTERS) {
        let want = truth.captures[name]?.[filter] ?? [];
        let got = select(path, filter);
        if (name === 'wire' && quotes.test(filter)) {
          want = want.filter((n) => n !== 18);
          got = got.filter((n) => n !== 18);
        }
        assert.deepEqual(got, want, `${name}: ${filter}`);
      }
    });
  }

  it('in synthetic traffic (IPv4, IPv6, VLANs, many connections), live', { skip: tshark ? false : 'tshark not installed' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'sk-ui-filter-'));
    try {
      const path = join(dir, 'traffic.pcap');
      const w = new PcapWriter({ linkType: 1 });
      const parts: Uint8Array[] = [w.header()];
      for (const p of syntheticTraffic({ frames: 3000, seed: 7 })) parts.push(w.packet(p));
      writeFileSync(path, Buffer.concat(parts));
      const records = decodeCapture(new Uint8Array(readFileSync(path))).records;
      const f = new FilterFields();
      // Filters built from the traffic's own addresses and ports.
      const sample = records.filter((_, i) => i % 500 === 7).map((r) => f.load(r) && { ...f, data: r.data });
      const filters = ['tcp', 'ipv6', 'vlan', 'tcp.flags.syn == 1', 'tcp.flags.fin == 1 && tcp.len > 0', 'tcp.len >= 1000'];
      for (const s of sample) {
        filters.push(`tcp.port == ${s.srcPort}`, `tcp.dstport == ${s.dstPort} && !ipv6`);
      }
      for (const filter of filters) assert.deepEqual(select(path, filter), tsharkSelect(path, filter), filter);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
