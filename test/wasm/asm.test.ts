// The WebAssembly assembler (src/wasm/asm.ts) against the binary format's own examples and the
// engine: LEB128 as the specification's examples encode it, labels resolved to the right depths
// (a loop that runs), branches that escape their label refused, and modules that validate.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { block, br, br_if, call, Func, i32, i64, if_, Label, loop, Module, ret, uleb } from '../../src/wasm/asm.js';

function instantiate(m: Module): WebAssembly.Exports {
  const bytes = m.bytes();
  assert.equal(WebAssembly.validate(bytes), true);
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports;
}

describe('asm', () => {
  test('unsigned LEB128 as in the DWARF and WebAssembly examples (624485 is e5 8e 26)', () => {
    assert.deepEqual(uleb(0), [0]);
    assert.deepEqual(uleb(127), [0x7f]);
    assert.deepEqual(uleb(128), [0x80, 0x01]);
    assert.deepEqual(uleb(624485), [0xe5, 0x8e, 0x26]);
    assert.deepEqual(uleb(0xffffffff), [0xff, 0xff, 0xff, 0xff, 0x0f]);
    assert.throws(() => uleb(-1), RangeError);
  });

  test('i32.const uses signed LEB128 (-123456 is c0 bb 78; 2^32-1 is the i32 -1)', () => {
    assert.deepEqual(i32.c(-123456), [0x41, 0xc0, 0xbb, 0x78]);
    assert.deepEqual(i32.c(63), [0x41, 0x3f]);
    assert.deepEqual(i32.c(64), [0x41, 0xc0, 0x00]);
    assert.deepEqual(i32.c(0xffffffff), [0x41, 0x7f]);
    assert.throws(() => i32.c(2 ** 32), RangeError);
  });

  test('loops, nested blocks and calls run: the sum 1..n and n-th triangular numbers agree', () => {
    const m = new Module(1);
    const tri = m.add(new Func('tri', ['i32'], ['i32']), true);
    {
      const n = tri.param(0);
      tri.body = ret(i32.div_u(i32.mul(n.get, i32.add(n.get, i32.c(1))), i32.c(2)));
    }
    const sum = m.add(new Func('sum', ['i32'], ['i32']), true);
    {
      const n = sum.param(0);
      const k = sum.local('i32');
      const acc = sum.local('i32');
      const done = new Label('done');
      const again = new Label('again');
      sum.body = [
        k.set(n.get),
        block(done, loop(again, [
          br_if(done, i32.eqz(k.get)),
          acc.set(i32.add(acc.get, k.get)),
          k.set(i32.sub(k.get, i32.c(1))),
          br(again),
        ])),
        // An if that returns early when the loop's result disagrees with the call to tri().
        if_(i32.ne(acc.get, call(tri, n.get)), ret(i32.c(-1))),
        ret(acc.get),
      ];
    }
    const ex = instantiate(m);
    const f = ex['sum'] as (n: number) => number;
    for (const n of [0, 1, 2, 10, 1000]) assert.equal(f(n), (n * (n + 1)) / 2);
    assert.equal(f(100), 5050);
  });

  test('i64 constants and memory loads round-trip through the engine', () => {
    const m = new Module(1);
    const f = m.add(new Func('hi', ['i32'], ['i32']), true);
    f.body = ret(i32.wrap_i64(i64.shr_u(i64.add(i64.c(0xffffffffn), i64.load32_u(f.param(0).get)), i64.c(32))));
    const ex = instantiate(m);
    const mem = new Uint8Array((ex['memory'] as WebAssembly.Memory).buffer);
    mem.set([1, 0, 0, 0], 8);
    assert.equal((ex['hi'] as (p: number) => number)(8), 1);
    assert.equal((ex['hi'] as (p: number) => number)(16), 0);
  });

  test('a branch to a label that does not enclose it is an assembly error', () => {
    const m = new Module(1);
    const f = m.add(new Func('f', [], []));
    const outside = new Label('outside');
    f.body = [block(new Label('inner'), br(outside))];
    assert.throws(() => m.bytes(), /does not enclose/);
  });

  test('a call to a function outside the module is an assembly error', () => {
    const m = new Module(1);
    const stranger = new Func('stranger', [], []);
    const f = m.add(new Func('f', [], []));
    f.body = call(stranger);
    assert.throws(() => m.bytes(), /not in the module/);
  });
});
