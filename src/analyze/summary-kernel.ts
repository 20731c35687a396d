/**
 * The `synack decode` summary kernel: SummaryWriter's lean path (summary.ts) as one WebAssembly
 * function, assembled at start-up by src/wasm/asm.ts from the code below. Capture chunks are read
 * straight into the kernel's memory (`input`), so each plain TCP segment is checked (Ethernet and
 * VLAN tags, IPv4 or IPv6, header and segment checksums with the SIMD sum of checksum-wasm.ts) and
 * its whole summary line is written as bytes into the kernel's `output`, with no copy of the frame,
 * no object and no string. Address-and-port text comes from a cache in kernel memory that JavaScript
 * fills on a miss, with the same functions as summary.ts (RFC 5952 for IPv6).
 *
 * Invariant: the kernel writes a line only when it is the line SummaryWriter.append writes for the
 * frame, i.e. summaryLine(dissect(frame), t.toFixed(6)); for anything else (other link types,
 * fragments, extension headers, bad checksums, option problems, times toFixed must round) it writes
 * nothing and the caller takes the JavaScript path. The checks mirror summary.ts's leanIpv4,
 * leanIpv6, tcpHeaderOk, leanTcp and leanOptions in order; test/analyze/summary-kernel.test.ts holds
 * the two equal on random and mutated frames. Browser-safe; `create()` returns undefined where
 * WebAssembly (with SIMD) is missing or synchronous compilation is refused.
 */
import type { PacketRef } from '../capture/types.js';
import { block, br, br_if, call, Func, i32, i64, if_, Label, loop, Module, ret, select, v128, type Code, type Local } from '../wasm/asm.js';
import { u32 } from '../wire/bytes.js';
import { checksumFunc } from '../wire/checksum-wasm.js';
import { FLAG_BYTES, v4PairText, v6PairText } from './summary.js';
import { TextBuffer } from './textbuffer.js';

// Memory map. Tables first, then the pair cache, a scratch area for frames outside the input
// region, the output region and the input region.
/** "00".."99" as byte pairs. */
const DIGITS = 0x100;
/** Per value of the nine flag bits: a length byte, then ` TCP ${letters} [${names}] seq=`. */
const FLAGS = 0x400;
const FLAG_STRIDE = 64;
/** Address-and-port cache: key (IPv4: src, dst, ports; IPv6: 32 address bytes, ports), kind, text. */
const PAIRS = 0x10000;
const SLOTS = 4096;
const SLOT = 160;
const SLOT_KIND = 36;
const SLOT_TEXT_LEN = 37;
const SLOT_TEXT = 40;
/** Room for slot text: the kernel copies 16 bytes at a time, so up to 112 without leaving the slot. */
const SLOT_TEXT_MAX = 112;
const SCRATCH = PAIRS + SLOTS * SLOT;
const SCRATCH_SIZE = 1 << 18;
const OUT = SCRATCH + SCRATCH_SIZE;
const OUT_SIZE = 1 << 18;
const IN = OUT + OUT_SIZE;
/** The input region: what `synack decode` reads the file into, a chunk at a time. */
export const INPUT_SIZE = 1 << 20;
const PAGES = Math.ceil((IN + INPUT_SIZE + 64) / 65536);

/**
 * Room the kernel needs after the output position: the longest line (about 430 bytes: a 10-digit
 * frame and seconds, bracketed IPv6 pair, nine flag names, four 10-digit numbers, 40 bytes of
 * options at their wordiest) plus the up to 15 bytes its 16-byte copies and 8-byte stores run over.
 */
export const MAX_LINE = 512;

/** The lengths the dissector checks, and what the kernel reports. */
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const TPIDS = [0x8100, 0x88a8, 0x9100]; // isVlanTpid in wire/ethernet.ts

/** line(p, n, out, frame, sec, nsec, refSec, refNsec, hasRef) -> end of line | 0 | -(slot + 1). */
function lineFunc(sum: Func): Func {
  const f = new Func('line', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'], ['i32']);
  const [p, n, out, frame, sec, nsec, refSec, refNsec, hasRef] = f.params as [Local, Local, Local, Local, Local, Local, Local, Local, Local];
  const o = f.local('i32');
  const x = f.local('i32');
  const at = f.local('i32');
  const et = f.local('i32');
  const ip = f.local('i32');
  const avail = f.local('i32');
  const hl = f.local('i32');
  const declared = f.local('i32');
  const t = f.local('i32');
  const captured = f.local('i32');
  const tcpLen = f.local('i32');
  const pseudo = f.local('i64');
  const w = f.local('i64');
  const kind = f.local('i32');
  const thl = f.local('i32');
  const flags = f.local('i32');
  const h = f.local('i32');
  const slot = f.local('i32');
  const a = f.local('i32');
  const b = f.local('i32');
  const c = f.local('i32');
  const i = f.local('i32');
  const end = f.local('i32');
  const okind = f.local('i32');
  const olen = f.local('i32');
  const any = f.local('i32');
  const k = f.local('i32');
  const us = f.local('i32');
  const rest = f.local('i32');
  const cs = f.local('i32');
  const cn = f.local('i32');
  const ck = f.local('i32');
  const dv = f.local('i32');
  const de = f.local('i32');
  const dq = f.local('i32');
  const dt = f.local('i32');

  const c32 = i32.c;
  const fail: Code = ret(c32(0));
  const be16 = (addr: Code): Code => i32.or(i32.shl(i32.load8_u(addr), c32(8)), i32.load8_u(addr, 1));
  const be32 = (addr: Code): Code => [
    x.set(i32.load(addr)),
    i32.or(i32.rotl(i32.and(x.get, c32(0xff00ff00)), c32(8)), i32.rotr(i32.and(x.get, c32(0x00ff00ff)), c32(8))),
  ];
  const advance = (by: Code): Code => o.set(i32.add(o.get, by));
  const byte = (ch: string): Code => [i32.store8(o.get, c32(ch.charCodeAt(0))), advance(c32(1))];
  /** An ASCII literal, 8 bytes a store (bytes past its end are overwritten by what follows). */
  const lit = (s: string): Code => {
    const code: Code[] = [];
    for (let off = 0; off < s.length; off += 8) {
      let v = 0n;
      for (let j = 0; j < 8 && off + j < s.length; j++) v |= BigInt(s.charCodeAt(off + j)) << BigInt(8 * j);
      code.push(i64.store(o.get, i64.c(v), off));
    }
    code.push(advance(c32(s.length)));
    return code;
  };
  /** v as unsigned decimal, two digits a step from the end (inline: calls are not inlined by V8). */
  const num = (v: Code): Code => {
    const done = new Label('digits');
    const again = new Label('pairs');
    let len: Code = c32(1);
    for (const limit of [10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9]) len = i32.add(len, i32.ge_u(dv.get, c32(limit)));
    return [
      dv.set(v),
      de.set(i32.add(o.get, len)),
      dq.set(de.get),
      block(done, loop(again, [
        br_if(done, i32.lt_u(dv.get, c32(100))),
        dt.set(i32.div_u(dv.get, c32(100))),
        dq.set(i32.sub(dq.get, c32(2))),
        i32.store16(dq.get, digitPair(i32.sub(dv.get, i32.mul(dt.get, c32(100))))),
        dv.set(dt.get),
        br(again),
      ])),
      if_(i32.ge_u(dv.get, c32(10)), i32.store16(i32.sub(dq.get, c32(2)), digitPair(dv.get)), i32.store8(i32.sub(dq.get, c32(1)), i32.add(dv.get, c32(48)))),
      o.set(de.get),
    ];
  };
  /** Copy n bytes from src to o, 16 at a time. */
  const copy = (src: Code, count: Code): Code => {
    const done = new Label('copied');
    const again = new Label('copy');
    return [
      cs.set(src),
      cn.set(count),
      ck.set(c32(0)),
      block(done, loop(again, [
        br_if(done, i32.ge_u(ck.get, cn.get)),
        v128.store(i32.add(o.get, ck.get), v128.load(i32.add(cs.get, ck.get))),
        ck.set(i32.add(ck.get, c32(16))),
        br(again),
      ])),
      advance(cn.get),
    ];
  };
  const digitPair = (v: Code): Code => i32.load16_u(i32.add(i32.shl(v, c32(1)), c32(DIGITS)));
  // Ones' complement sums in the little-endian domain (checksum-wasm.ts): 32-bit words may be
  // added as they are (RFC 1071 2(C)), then folded to 16 bits; a correct checksum folds to 0xffff.
  const le32 = (addr: Code, offset: number): Code => i64.load32_u(addr, offset);
  const fold16: Code = [
    w.set(i64.add(i64.and(w.get, i64.c(0xffffffff)), i64.shr_u(w.get, i64.c(32)))),
    w.set(i64.add(i64.and(w.get, i64.c(0xffff)), i64.shr_u(w.get, i64.c(16)))),
    w.set(i64.add(i64.and(w.get, i64.c(0xffff)), i64.shr_u(w.get, i64.c(16)))),
    w.set(i64.add(i64.and(w.get, i64.c(0xffff)), i64.shr_u(w.get, i64.c(16)))),
  ];
  /** Protocol 6 and the TCP length as the pseudo-header's last words, little-endian (byte-swapped). */
  const pseudoTail = (): Code => i64.extend_i32_u(i32.add(c32(0x0600), i32.or(i32.shl(i32.and(tcpLen.get, c32(0xff)), c32(8)), i32.shr_u(tcpLen.get, c32(8)))));
  const min = (u: Local, v: Local): Code => select(u.get, v.get, i32.lt_s(u.get, v.get));

  // --- frame number, padded to 4 (uintPadded(frame, 4, ' ')), and the time (summary.ts seconds()).
  const head: Code = [
    o.set(out.get),
    i32.store(o.get, c32(0x20202020)),
    advance(i32.add(i32.add(i32.lt_u(frame.get, c32(10)), i32.lt_u(frame.get, c32(100))), i32.lt_u(frame.get, c32(1000)))),
    num(frame.get),
    byte(' '),
    if_(hasRef.get, [
      sec.set(i32.sub(sec.get, refSec.get)),
      nsec.set(i32.sub(nsec.get, refNsec.get)),
      if_(i32.lt_s(nsec.get, c32(0)), [sec.set(i32.sub(sec.get, c32(1))), nsec.set(i32.add(nsec.get, c32(1e9)))]),
    ]),
    // A negative span, or a time that is not within 0.1 us of a whole microsecond: toFixed's.
    if_(i32.lt_s(sec.get, c32(0)), fail),
    us.set(i32.div_u(nsec.get, c32(1000))),
    rest.set(i32.sub(nsec.get, i32.mul(us.get, c32(1000)))),
    if_(i32.and(i32.gt_u(rest.get, c32(100)), i32.lt_u(rest.get, c32(900))), fail),
    if_(i32.ge_u(rest.get, c32(900)), [
      us.set(i32.add(us.get, c32(1))),
      if_(i32.eq(us.get, c32(1e6)), [sec.set(i32.add(sec.get, c32(1))), us.set(c32(0))]),
    ]),
    num(sec.get),
    byte('.'),
    a.set(i32.div_u(us.get, c32(10000))),
    b.set(i32.sub(us.get, i32.mul(a.get, c32(10000)))),
    c.set(i32.div_u(b.get, c32(100))),
    i32.store16(o.get, digitPair(a.get)),
    i32.store16(o.get, digitPair(c.get), 2),
    i32.store16(o.get, digitPair(i32.sub(b.get, i32.mul(c.get, c32(100)))), 4),
    advance(c32(6)),
    byte(' '),
  ];

  // --- Ethernet and VLAN tags (EthernetFrame.check).
  const vlanDone = new Label('vlanDone');
  const vlan = new Label('vlan');
  let isTpid: Code = i32.eq(et.get, c32(TPIDS[0] as number));
  for (const tp of TPIDS.slice(1)) isTpid = i32.or(isTpid, i32.eq(et.get, c32(tp)));
  const ethernet: Code = [
    if_(i32.lt_u(n.get, c32(14)), fail),
    at.set(c32(12)),
    et.set(be16(i32.add(p.get, c32(12)))),
    block(vlanDone, loop(vlan, [
      br_if(vlanDone, i32.eqz(isTpid)),
      at.set(i32.add(at.get, c32(4))),
      if_(i32.lt_u(n.get, i32.add(at.get, c32(2))), fail),
      et.set(be16(i32.add(p.get, at.get))),
      br(vlan),
    ])),
    at.set(i32.add(at.get, c32(2))),
    ip.set(i32.add(p.get, at.get)),
    avail.set(i32.sub(n.get, at.get)),
  ];

  // --- IPv4 (leanIpv4): RFC 791 header, no fragment, TCP, header checksum; RFC 9293 3.1 pseudo-header.
  const ipv4: Code = [
    if_(i32.lt_s(avail.get, c32(20)), fail),
    x.set(i32.load8_u(ip.get)),
    if_(i32.ne(i32.shr_u(x.get, c32(4)), c32(4)), fail),
    hl.set(i32.shl(i32.and(x.get, c32(15)), c32(2))),
    if_(i32.or(i32.lt_u(hl.get, c32(20)), i32.gt_s(hl.get, avail.get)), fail),
    // A total length of 0 (TSO captures) means "what was captured".
    declared.set(be16(i32.add(ip.get, c32(2)))),
    if_(i32.eqz(declared.get), declared.set(avail.get)),
    if_(i32.lt_s(declared.get, hl.get), fail),
    if_(i32.and(be16(i32.add(ip.get, c32(6))), c32(0x3fff)), fail),
    if_(i32.ne(i32.load8_u(ip.get, 9), c32(6)), fail),
    // The header checksum: five words summed in place for the usual 20-byte header.
    if_(
      i32.eq(hl.get, c32(20)),
      [w.set(i64.add(i64.add(i64.add(le32(ip.get, 0), le32(ip.get, 4)), i64.add(le32(ip.get, 8), le32(ip.get, 12))), le32(ip.get, 16))), fold16, x.set(i32.wrap_i64(w.get))],
      x.set(call(sum, ip.get, hl.get)),
    ),
    if_(i32.ne(x.get, c32(0xffff)), fail),
    t.set(i32.add(ip.get, hl.get)),
    captured.set(i32.sub(min(declared, avail), hl.get)),
    tcpLen.set(i32.sub(declared.get, hl.get)),
    pseudo.set(i64.add(i64.add(le32(ip.get, 12), le32(ip.get, 16)), pseudoTail())),
    kind.set(c32(4)),
  ];

  // --- IPv6 (leanIpv6): TCP right after the fixed header; RFC 8200 8.1 pseudo-header.
  const ipv6: Code = [
    if_(i32.lt_s(avail.get, c32(40)), fail),
    if_(i32.ne(i32.shr_u(i32.load8_u(ip.get), c32(4)), c32(6)), fail),
    if_(i32.ne(i32.load8_u(ip.get, 6), c32(6)), fail),
    declared.set(i32.add(c32(40), be16(i32.add(ip.get, c32(4))))),
    t.set(i32.add(ip.get, c32(40))),
    captured.set(i32.sub(min(declared, avail), c32(40))),
    tcpLen.set(i32.sub(declared.get, c32(40))),
    pseudo.set(i64.add(
      i64.add(i64.add(i64.add(le32(ip.get, 8), le32(ip.get, 12)), i64.add(le32(ip.get, 16), le32(ip.get, 20))), i64.add(i64.add(le32(ip.get, 24), le32(ip.get, 28)), i64.add(le32(ip.get, 32), le32(ip.get, 36)))),
      pseudoTail(),
    )),
    kind.set(c32(6)),
  ];

  // --- tcpHeaderOk: a whole header, and when every byte is there, a correct checksum.
  const tcpCheck: Code = [
    if_(i32.lt_s(captured.get, c32(20)), fail),
    thl.set(i32.shl(i32.shr_u(i32.load8_u(t.get, 12), c32(4)), c32(2))),
    if_(i32.or(i32.or(i32.lt_u(thl.get, c32(20)), i32.gt_s(thl.get, tcpLen.get)), i32.gt_s(thl.get, captured.get)), fail),
    if_(i32.eq(captured.get, tcpLen.get), [
      w.set(i64.add(pseudo.get, i64.extend_i32_u(call(sum, t.get, captured.get)))),
      fold16,
      if_(i64.ne(w.get, i64.c(0xffff)), fail),
    ]),
  ];

  // --- "a:p -> b:q" from the cache; a miss stores the key and asks JavaScript for the text.
  const slotAt = (hash: Code): Code => [h.set(hash), slot.set(i32.add(c32(PAIRS), i32.mul(h.get, c32(SLOT))))];
  const miss = (): Code => [i32.store8(slot.get, c32(0), SLOT_TEXT_LEN), ret(i32.sub(c32(-1), h.get))];
  let v6Same: Code = i32.eq(i32.load(slot.get, 32), c.get);
  const v6Store: Code[] = [i32.store(slot.get, c.get, 32)];
  let v6Hash: Code = c.get;
  for (let w = 0; w < 8; w++) {
    v6Same = i32.and(v6Same, i32.eq(i32.load(slot.get, 4 * w), i32.load(ip.get, 8 + 4 * w)));
    v6Store.push(i32.store(slot.get, i32.load(ip.get, 8 + 4 * w), 4 * w));
    v6Hash = i32.mul(i32.xor(v6Hash, i32.load(ip.get, 8 + 4 * w)), c32(0x9e3779b1));
  }
  const pair: Code = [
    c.set(i32.load(t.get)),
    if_(
      i32.eq(kind.get, c32(4)),
      [
        a.set(i32.load(ip.get, 12)),
        b.set(i32.load(ip.get, 16)),
        slotAt(i32.shr_u(i32.mul(i32.xor(i32.xor(a.get, i32.mul(b.get, c32(0x9e3779b1))), i32.mul(c.get, c32(0x85ebca6b))), c32(0xc2b2ae35)), c32(20))),
        if_(
          i32.eqz(i32.and(i32.and(i32.eq(i32.load8_u(slot.get, SLOT_KIND), c32(4)), i32.eq(i32.load(slot.get), a.get)), i32.and(i32.eq(i32.load(slot.get, 4), b.get), i32.eq(i32.load(slot.get, 8), c.get)))),
          [i32.store(slot.get, a.get), i32.store(slot.get, b.get, 4), i32.store(slot.get, c.get, 8), i32.store8(slot.get, c32(4), SLOT_KIND), miss()],
        ),
      ],
      [
        x.set(v6Hash),
        slotAt(i32.shr_u(i32.mul(i32.xor(x.get, i32.shr_u(x.get, c32(15))), c32(0x85ebca6b)), c32(20))),
        if_(i32.eqz(i32.and(i32.eq(i32.load8_u(slot.get, SLOT_KIND), c32(6)), v6Same)), [...v6Store, i32.store8(slot.get, c32(6), SLOT_KIND), miss()]),
      ],
    ),
    copy(i32.add(slot.get, c32(SLOT_TEXT)), i32.load8_u(slot.get, SLOT_TEXT_LEN)),
  ];

  // --- leanOptions: tcpdump's words for each option, nop and eol left out.
  const optsDone = new Label('optsDone');
  const opts = new Label('opts');
  const sackDone = new Label('sackDone');
  const sack = new Label('sack');
  const options: Code = [
    i.set(i32.add(t.get, c32(20))),
    end.set(i32.add(t.get, thl.get)),
    any.set(c32(0)),
    block(optsDone, loop(opts, [
      br_if(optsDone, i32.ge_u(i.get, end.get)),
      okind.set(i32.load8_u(i.get)),
      br_if(optsDone, i32.eqz(okind.get)), // EOL: the rest is padding (RFC 9293 3.1)
      if_(i32.eq(okind.get, c32(1)), [i.set(i32.add(i.get, c32(1))), br(opts)]),
      if_(i32.ge_u(i32.add(i.get, c32(1)), end.get), fail),
      olen.set(i32.load8_u(i.get, 1)),
      if_(i32.or(i32.lt_u(olen.get, c32(2)), i32.gt_u(i32.add(i.get, olen.get), end.get)), fail),
      if_(any.get, byte(','), lit(' <')),
      any.set(c32(1)),
      if_(
        i32.eq(okind.get, c32(2)), // MSS
        [if_(i32.ne(olen.get, c32(4)), fail), lit('mss '), num(be16(i32.add(i.get, c32(2))))],
        if_(
          i32.eq(okind.get, c32(3)), // window scale
          [if_(i32.ne(olen.get, c32(3)), fail), lit('wscale '), num(i32.load8_u(i.get, 2))],
          if_(
            i32.eq(okind.get, c32(4)), // SACK permitted
            [if_(i32.ne(olen.get, c32(2)), fail), lit('sackOK')],
            if_(
              i32.eq(okind.get, c32(8)), // timestamps
              [if_(i32.ne(olen.get, c32(10)), fail), lit('TS val '), num(be32(i32.add(i.get, c32(2)))), lit(' ecr '), num(be32(i32.add(i.get, c32(6))))],
              if_(
                i32.eq(okind.get, c32(5)), // SACK (RFC 2018 3): 2 + 8n bytes
                [
                  if_(i32.or(i32.lt_u(olen.get, c32(10)), i32.and(i32.sub(olen.get, c32(2)), c32(7))), fail),
                  lit('sack '),
                  num(i32.shr_u(i32.sub(olen.get, c32(2)), c32(3))),
                  byte(' '),
                  k.set(i32.add(i.get, c32(2))),
                  block(sackDone, loop(sack, [
                    br_if(sackDone, i32.ge_u(k.get, i32.add(i.get, olen.get))),
                    byte('{'),
                    num(be32(k.get)),
                    byte(':'),
                    num(be32(i32.add(k.get, c32(4)))),
                    byte('}'),
                    k.set(i32.add(k.get, c32(8))),
                    br(sack),
                  ])),
                ],
                fail, // a kind the dissector keeps as 'unknown'
              ),
            ),
          ),
        ),
      ),
      i.set(i32.add(i.get, olen.get)),
      br(opts),
    ])),
    if_(any.get, byte('>')),
  ];

  // --- leanTcp.
  const tcp: Code = [
    flags.set(i32.and(be16(i32.add(t.get, c32(12))), c32(0x1ff))),
    x.set(i32.add(c32(FLAGS), i32.mul(flags.get, c32(FLAG_STRIDE)))),
    copy(i32.add(x.get, c32(1)), i32.load8_u(x.get)),
    num(be32(i32.add(t.get, c32(4)))),
    lit(' ack='),
    num(be32(i32.add(t.get, c32(8)))),
    lit(' win='),
    num(be16(i32.add(t.get, c32(14)))),
    lit(' len='),
    num(i32.sub(tcpLen.get, thl.get)),
    if_(i32.and(flags.get, c32(0x20)), [lit(' urg='), num(be16(i32.add(t.get, c32(18))))]),
    if_(
      i32.ne(thl.get, c32(20)),
      // nop, nop, timestamps (RFC 7323 appendix A): the layout of nearly every segment.
      if_(
        i32.and(i32.eq(thl.get, c32(32)), i32.eq(i32.load(t.get, 20), c32(0x0a080101))),
        [lit(' <TS val '), num(be32(i32.add(t.get, c32(24)))), lit(' ecr '), num(be32(i32.add(t.get, c32(28)))), byte('>')],
        options,
      ),
    ),
  ];

  f.body = [
    head,
    ethernet,
    if_(i32.eq(et.get, c32(ETHERTYPE_IPV4)), ipv4, if_(i32.eq(et.get, c32(ETHERTYPE_IPV6)), ipv6, fail)),
    tcpCheck,
    pair,
    tcp,
    byte('\n'),
    ret(o.get),
  ];
  return f;
}

/** The kernel's module bytes (exported for the test that validates them). */
export function summaryKernelModule(): Uint8Array<ArrayBuffer> {
  const m = new Module(PAGES);
  const sum = m.add(checksumFunc('sumle', false));
  m.add(lineFunc(sum), true);
  return m.bytes();
}

type LineFn = (p: number, n: number, out: number, frame: number, sec: number, nsec: number, refSec: number, refNsec: number, hasRef: number) => number;

const encoder = new TextEncoder();

export class SummaryKernel {
  /** Where to read capture chunks (INPUT_SIZE bytes): packets there are summarised in place. */
  readonly input: Uint8Array;
  /** Where lines go: a TextBuffer over kernel memory (the kernel writes only while it stays there). */
  readonly output: TextBuffer;
  /** Lines the kernel has written (the others went to the JavaScript path). */
  lines = 0;
  private readonly mem: Uint8Array;
  private readonly buffer: ArrayBufferLike;
  private outView: Uint8Array | undefined;
  private outBase = -1;
  private inView: Uint8Array | undefined;
  private inBase = -1;

  private constructor(
    memory: WebAssembly.Memory,
    private readonly line: LineFn,
  ) {
    this.mem = new Uint8Array(memory.buffer);
    this.buffer = memory.buffer;
    this.input = this.mem.subarray(IN, IN + INPUT_SIZE);
    this.output = new TextBuffer(this.mem.subarray(OUT, OUT + OUT_SIZE));
    for (let v = 0; v < 100; v++) {
      this.mem[DIGITS + 2 * v] = 48 + Math.floor(v / 10);
      this.mem[DIGITS + 2 * v + 1] = 48 + (v % 10);
    }
    FLAG_BYTES.forEach((text, bits) => {
      // At most 61 bytes (all nine names), so a length byte and the text fit the stride.
      if (text.length >= FLAG_STRIDE) throw new Error(`summary kernel: flag text of ${text.length} bytes`);
      this.mem[FLAGS + bits * FLAG_STRIDE] = text.length;
      this.mem.set(text, FLAGS + bits * FLAG_STRIDE + 1);
    });
  }

  /** A kernel, or undefined where WebAssembly SIMD is unavailable (then use SummaryWriter alone). */
  static create(): SummaryKernel | undefined {
    try {
      if (typeof WebAssembly === 'undefined') return undefined;
      const bytes = summaryKernelModule();
      if (!WebAssembly.validate(bytes)) return undefined;
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
      return new SummaryKernel(instance.exports['memory'] as WebAssembly.Memory, instance.exports['line'] as LineFn);
    } catch {
      return undefined;
    }
  }

  /**
   * Write the summary line of `p` at the end of `out`, its time relative to the reference instant
   * (refSec, refNsec) when `hasRef`, else absolute; true when written, false (nothing written)
   * when the frame is for the JavaScript path. The caller guarantees what seconds() in summary.ts
   * checks: every time given is an integer second in [0, 2^31) and nanoseconds in [0, 1e9).
   */
  tryLine(out: TextBuffer, p: PacketRef, refSec: number, refNsec: number, hasRef: boolean): boolean {
    if (p.linkType !== 1 || (p.frame | 0) !== p.frame) return false;
    // Where the output and the packet's buffer lie in kernel memory (-1: elsewhere), looked up
    // once per array: typed arrays' buffer and byteOffset getters cost more than the line itself.
    const o = out.bytes;
    if (o !== this.outView) {
      this.outView = o;
      this.outBase = o.buffer === this.buffer ? o.byteOffset : -1;
    }
    if (this.outBase < 0 || out.length + MAX_LINE > o.length) return false;
    const b = p.buffer;
    if (b !== this.inView) {
      this.inView = b;
      this.inBase = b.buffer === this.buffer ? b.byteOffset : -1;
    }
    let addr: number;
    const len = p.capturedLength;
    if (this.inBase >= 0) {
      addr = this.inBase + p.offset;
    } else {
      // Outside kernel memory (a record that straddled read chunks): copy it in.
      if (len > SCRATCH_SIZE) return false;
      this.mem.set(b.subarray(p.offset, p.offset + len), SCRATCH);
      addr = SCRATCH;
    }
    // At most one miss: once JavaScript has filled the slot, the same frame finds its key there.
    for (let tries = 0; tries < 2; tries++) {
      const r = this.line(addr, len, this.outBase + out.length, p.frame, p.tsSec, p.tsNsec, refSec, refNsec, hasRef ? 1 : 0);
      if (r > 0) {
        out.length = r - this.outBase;
        this.lines++;
        return true;
      }
      if (r === 0) return false;
      this.fillPair(-r - 1);
    }
    return false;
  }

  /** Format the pair whose key the kernel stored in slot `h` (summary.ts's text, byte for byte). */
  private fillPair(h: number): void {
    const s = PAIRS + h * SLOT;
    const m = this.mem;
    const text = m[s + SLOT_KIND] === 4 ? v4PairText(u32(m, s), u32(m, s + 4), u32(m, s + 8)) : v6PairText(m, s, u32(m, s + 32));
    const { read, written } = encoder.encodeInto(text, m.subarray(s + SLOT_TEXT, s + SLOT_TEXT + SLOT_TEXT_MAX));
    if (read !== text.length) throw new Error(`summary kernel: pair text of ${text.length} characters does not fit its slot`);
    m[s + SLOT_TEXT_LEN] = written;
  }
}
