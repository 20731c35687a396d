/**
 * RFC 9293 requirements the codec carries (3.1, 3.2): the window as an unsigned number (MUST-1),
 * options at any byte offset (MUST-64), a length field on every option we send but EOL and NOP
 * (MUST-68), zero padding after the options (MUST-69). The truth is the RFC's option layouts
 * (RFC 9293 3.2, RFC 7323 2.2/3.2, RFC 2018 2/3) and tshark's reading of the fixture capture.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { emitTcp, emitTcpOptions, parseTcp, parseTcpOptions, TcpFlag, TcpPacket, type TcpOption, type TcpRepr } from '../../src/wire/tcp.js';
import { EthernetFrame } from '../../src/wire/ethernet.js';
import { Ipv4Packet } from '../../src/wire/ipv4.js';
import { fixture, hex, num, prefilled, truth } from '../wire/helpers.js';

const V4 = { src: 0x0a000001, dst: 0x0a000002 };
const BASE: TcpRepr = { srcPort: 1, dstPort: 2, seq: 3, ack: 4, flags: TcpFlag.ACK, window: 5, urgentPointer: 0, options: [], payload: new Uint8Array(0) };

describe('window field (RFC 9293 3.1)', () => {
  test('a window field with the top bit set reads as tshark reads it, an unsigned number (MUST-1)', () => {
    const eth = new EthernetFrame(fixture('ipv4-tcp-flags-unknown-opt'));
    const seg = new TcpPacket(new Ipv4Packet(eth.payload).payload);
    assert.equal(seg.window, num(truth('ipv4-tcp-flags-unknown-opt'), 'tcp.window_size_value'));
    assert.equal(seg.window, 65535);
    // And a hand-made header: bytes 14-15 = 0x8001 is 32769, not -32767.
    const raw = hex('0001 0002 00000003 00000004 5010 8001 0000 0000');
    const r = parseTcp(new TcpPacket(raw));
    assert.ok(r.ok);
    assert.equal(r.value.window, 0x8001);
    // The emitter writes the same 16 unsigned bits back.
    const out = prefilled(20);
    emitTcp({ ...BASE, window: 0xffff }, out, V4);
    assert.deepEqual([out[14], out[15]], [0xff, 0xff]);
  });
});

describe('options (RFC 9293 3.1, 3.2)', () => {
  test('options that begin at odd offsets are decoded (MUST-64)', () => {
    // NOP at 20, MSS at 21-24, NOP at 25, window scale at 26-28, EOL at 29, padding 30-31.
    const r = parseTcpOptions(hex('01 020405b4 01 030307 00 0000'));
    assert.equal(r.error, undefined);
    assert.deepEqual(r.options, [
      { kind: 1, name: 'nop' },
      { kind: 2, name: 'mss', mss: 1460 },
      { kind: 1, name: 'nop' },
      { kind: 3, name: 'wscale', shift: 7 },
      { kind: 0, name: 'eol' },
    ]);
    assert.deepEqual(r.offsets, [20, 21, 25, 26, 29]);
    // An unknown kind of odd length shifts the next option off the word boundary too.
    const u = parseTcpOptions(hex('fe05aabbcc 020405b4 000000'));
    assert.deepEqual(u.options.slice(0, 2), [{ kind: 254, name: 'unknown', data: hex('aabbcc') }, { kind: 2, name: 'mss', mss: 1460 }]);
    assert.deepEqual(u.offsets.slice(0, 2), [20, 25]);
  });

  test('every option we send other than EOL and NOP has a length byte that counts kind, length and data (MUST-68)', () => {
    // Sizes from the defining RFCs: MSS 4 (RFC 9293 3.2), window scale 3 (RFC 7323 2.2),
    // SACK-permitted 2 (RFC 2018 2), SACK 2 + 8n (RFC 2018 3), timestamps 10 (RFC 7323 3.2).
    const cases: readonly (readonly [TcpOption, number])[] = [
      [{ kind: 2, name: 'mss', mss: 1460 }, 4],
      [{ kind: 3, name: 'wscale', shift: 7 }, 3],
      [{ kind: 4, name: 'sackPermitted' }, 2],
      [{ kind: 5, name: 'sack', blocks: [{ left: 1, right: 2 }] }, 10],
      [{ kind: 5, name: 'sack', blocks: [{ left: 1, right: 2 }, { left: 5, right: 9 }, { left: 20, right: 30 }] }, 26],
      [{ kind: 8, name: 'timestamps', tsval: 1, tsecr: 2 }, 10],
      [{ kind: 254, name: 'unknown', data: hex('4a17') }, 4],
      [{ kind: 30, name: 'unknown', data: new Uint8Array(0) }, 2],
    ];
    for (const [option, size] of cases) {
      const buf = prefilled(40);
      emitTcpOptions([option], buf, 0);
      assert.equal(buf[0], option.kind, option.name);
      assert.equal(buf[1], size, `${option.name}: length byte`);
      // Skipping by the length byte alone lands on the padding (or the end).
      for (let i = size; i < ((size + 3) & ~3); i++) assert.equal(buf[i], 0, `${option.name}: byte ${i} after the option`);
    }
    // EOL and NOP are single octets.
    const one = prefilled(4);
    emitTcpOptions([{ kind: 1, name: 'nop' }, { kind: 1, name: 'nop' }, { kind: 1, name: 'nop' }, { kind: 0, name: 'eol' }], one, 0);
    assert.deepEqual([...one], [1, 1, 1, 0]);
  });

  test('the header after the last option, and after an EOL, is zero padding (MUST-69)', () => {
    const seg = prefilled(24);
    emitTcp({ ...BASE, options: [{ kind: 1, name: 'nop' }, { kind: 0, name: 'eol' }] }, seg, V4);
    assert.equal((seg[12] as number) >> 4, 6, 'data offset 6 words');
    assert.deepEqual([...seg.subarray(20, 24)], [1, 0, 0, 0]);
    const seg2 = prefilled(28);
    emitTcp({ ...BASE, options: [{ kind: 2, name: 'mss', mss: 536 }, { kind: 3, name: 'wscale', shift: 2 }] }, seg2, V4);
    assert.deepEqual([...seg2.subarray(20, 28)], [2, 4, 0x02, 0x18, 3, 3, 2, 0]);
  });

  test('no option can be emitted after an EOL, so the padding stays zero (MUST-69)', () => {
    const seg = prefilled(28);
    assert.throws(
      () => emitTcp({ ...BASE, options: [{ kind: 0, name: 'eol' }, { kind: 2, name: 'mss', mss: 536 }] }, seg, V4),
      (e: unknown) => e instanceof Error && 'code' in e && e.code === 'ERR_SYNACK_WIRE_INVALID_REPR',
    );
  });
});
