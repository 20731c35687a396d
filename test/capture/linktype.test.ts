/**
 * Link-layer decoding against tshark's dissection of the same frames (*.link.tsv): SLL and SLL2
 * fields from real tcpdump captures, NULL/LOOP families in both byte orders, raw IP. The network
 * packet must start where we say: the IPv4 total length / IPv6 payload length read at our offset
 * equal tshark's ip.len / ipv6.plen.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCapture } from '../../src/capture/decoder.js';
import { EtherType } from '../../src/wire/ethernet.js';
import {
  LinkType,
  NULL_FIELDS,
  SLL2_FIELDS,
  SLL_FIELDS,
  decodeLink,
  linkTypeName,
  type LinkDecode,
} from '../../src/capture/linktype.js';
import { SEED, fixture, tsv } from './helpers.js';

function decodeAll(file: string): { decoded: LinkDecode; data: Uint8Array }[] {
  const got = decodeCapture(fixture(file));
  assert.equal(got.error, undefined);
  return got.records.map((r) => ({ decoded: decodeLink(r.linkType, r.data), data: r.data }));
}

/** The IP length field at the network offset, in the form tshark prints. */
function ipLengths(data: Uint8Array, offset: number, etherType: number): { ipLen: string; ip6Plen: string } {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (etherType === EtherType.IPV4) return { ipLen: String(v.getUint16(offset + 2)), ip6Plen: '' };
  if (etherType === EtherType.IPV6) return { ipLen: '', ip6Plen: String(v.getUint16(offset + 4)) };
  return { ipLen: '', ip6Plen: '' };
}

const mac = (a: Uint8Array): string => Array.from(a, (b) => b.toString(16).padStart(2, '0')).join(':');

describe('Linux cooked captures', () => {
  for (const [file, kind] of [
    ['linux-sll.pcap', 'sll'],
    ['linux-sll2.pcap', 'sll2'],
  ] as const) {
    test(`${file}: header fields and network offset match tshark`, () => {
      const rows = tsv(`${file}.link.tsv`);
      const frames = decodeAll(file);
      assert.equal(frames.length, rows.length);
      frames.forEach(({ decoded, data }, i) => {
        const row = rows[i] ?? {};
        assert.ok(decoded.ok && decoded.next === 'network', JSON.stringify(decoded));
        const h = decoded.header;
        assert.ok(h !== undefined && h.kind === kind);
        assert.equal(decoded.offset, kind === 'sll' ? 16 : 20);
        assert.deepEqual(
          {
            pkttype: String(h.packetType),
            hatype: String(h.arphrdType),
            halen: String(h.addressLength),
            src: mac(h.address),
            etype: `0x${decoded.etherType.toString(16).padStart(4, '0')}`,
            ifindex: h.kind === 'sll2' ? String(h.interfaceIndex) : '',
            ...ipLengths(data, decoded.offset, decoded.etherType),
          },
          {
            pkttype: row['sll.pkttype'],
            hatype: row['sll.hatype'],
            halen: row['sll.halen'],
            src: row['sll.src.eth'],
            etype: row['sll.etype'],
            ifindex: row['sll.ifindex'],
            ipLen: row['ip.len'],
            ip6Plen: row['ipv6.plen'],
          },
          `frame ${i + 1}`,
        );
      });
    });
  }

  test('field tables point at the bytes the decoded values come from', () => {
    const { decoded, data } = decodeAll('linux-sll2.pcap')[0] ?? assert.fail();
    assert.ok(decoded.ok && decoded.next === 'network' && decoded.header?.kind === 'sll2');
    const [pOff, pLen] = SLL2_FIELDS.protocol;
    assert.equal((data[pOff] ?? 0) * 256 + (data[pOff + pLen - 1] ?? 0), decoded.etherType);
    assert.equal(data[SLL2_FIELDS.packetType[0]], decoded.header.packetType);
    assert.deepEqual(SLL_FIELDS.protocol, [14, 2]);
    assert.deepEqual(NULL_FIELDS.family, [0, 4]);
  });
});

describe('BSD loopback and raw IP', () => {
  for (const file of ['null.pcap', 'loop.pcap', 'raw.pcap', 'ipv4.pcap', 'ipv6.pcap']) {
    test(`${file}: family, EtherType and network offset match tshark`, () => {
      const rows = tsv(`${file}.link.tsv`);
      const frames = decodeAll(file);
      assert.equal(frames.length, rows.length);
      frames.forEach(({ decoded, data }, i) => {
        const row = rows[i] ?? {};
        const family = decoded.header?.kind === 'null' ? String(decoded.header.family) : '';
        assert.equal(family, row['null.family'], `frame ${i + 1} family`);
        if (row['ip.len'] === '' && row['ipv6.plen'] === '') {
          // tshark found no IP inside (family 7 = OSI): we must say why, not guess.
          assert.ok(!decoded.ok && decoded.problem === 'unknown-protocol', JSON.stringify(decoded));
          return;
        }
        assert.ok(decoded.ok && decoded.next === 'network', `frame ${i + 1}: ${JSON.stringify(decoded)}`);
        assert.deepEqual(ipLengths(data, decoded.offset, decoded.etherType), { ipLen: row['ip.len'], ip6Plen: row['ipv6.plen'] }, `frame ${i + 1}`);
      });
    });
  }

  test('NULL reports which byte order the family was stored in', () => {
    const frames = decodeAll('null.pcap');
    const orders = frames.map(({ decoded }) => (decoded.header?.kind === 'null' ? decoded.header.bigEndian : undefined));
    // make_fixtures.py wrote families 2 LE, 2 BE, 30 LE, 24 BE, 28 LE, 7 LE.
    assert.deepEqual(orders, [false, true, false, true, false, false]);
  });
});

describe('other link types', () => {
  test('Ethernet is handed on as an Ethernet frame at offset 0', () => {
    const r = decodeCapture(fixture(SEED)).records[0] ?? assert.fail();
    assert.deepEqual(decodeLink(r.linkType, r.data), { ok: true, linkType: 1, next: 'ethernet', offset: 0, header: undefined });
  });

  test('an unknown link type is reported per frame, not fatal', () => {
    const d = decodeLink(147, Uint8Array.of(1, 2, 3));
    assert.ok(!d.ok);
    assert.equal(d.problem, 'unsupported');
    assert.equal(d.reason, 'link type 147 not supported');
    const wifi = decodeLink(105, new Uint8Array(30));
    assert.ok(!wifi.ok && wifi.reason === 'link type 105 (IEEE802_11) not supported');
  });

  test('short frames are truncated link headers, never exceptions', () => {
    for (const lt of [LinkType.NULL, LinkType.LOOP, LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.RAW]) {
      for (let n = 0; n < 20; n++) {
        const d = decodeLink(lt, new Uint8Array(n));
        if (!d.ok) assert.ok(['truncated', 'unknown-protocol'].includes(d.problem));
      }
      const d = decodeLink(lt, new Uint8Array(0));
      assert.ok(!d.ok && d.problem === 'truncated', `${lt}`);
    }
  });

  test('raw IP with a version that is neither 4 nor 6', () => {
    const d = decodeLink(LinkType.RAW, Uint8Array.of(0x50, 0, 0, 0));
    assert.ok(!d.ok && d.problem === 'unknown-protocol');
  });

  test('names', () => {
    assert.equal(linkTypeName(1), 'ETHERNET');
    assert.equal(linkTypeName(276), 'LINUX_SLL2');
    assert.equal(linkTypeName(4242), undefined);
  });
});
