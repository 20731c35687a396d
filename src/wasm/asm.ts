/**
 * A small WebAssembly assembler, so the project's few WebAssembly kernels (the SIMD internet
 * checksum, the `synack decode` summary kernel) are built from source we write and review here,
 * at run time, with no toolchain: code is written as expression trees (`i32.add(x.get, i32.c(1))`),
 * flattened into the binary format (WebAssembly Core Specification 2.0, section 5) by `Module.bytes()`.
 *
 * Invariants: every function's code is a tree whose leaves are bytes, locals are numbered when they
 * are declared, and labels are resolved to branch depths (spec 5.4.1) by their position in the
 * tree, so a `br` to a label that does not enclose it is an assembly error, not a wrong jump. The
 * output is validated by the engine when it is compiled (`WebAssembly.validate` in tests).
 * Browser-safe: no node: imports.
 */

export type ValType = 'i32' | 'i64' | 'f64' | 'v128';

const VALTYPE: Readonly<Record<ValType, number>> = { i32: 0x7f, i64: 0x7e, f64: 0x7c, v128: 0x7b };

/** A branch target: a block, loop or if. */
export class Label {
  constructor(readonly name: string) {}
}

type Structured = {
  readonly kind: 'block' | 'loop' | 'if';
  readonly label: Label;
  readonly result: ValType | undefined;
  readonly body: Code;
  readonly orElse: Code | undefined;
};
type Branch = { readonly kind: 'br' | 'br_if'; readonly label: Label };
type Call = { readonly kind: 'call'; readonly fn: Func };

/** Instructions: bytes, lists of code, and the forms resolved at assembly (labels, calls). */
export type Code = number | readonly Code[] | Structured | Branch | Call;

/** Unsigned LEB128 (spec 5.2.2). */
export function uleb(n: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`uleb: ${n} is not a non-negative integer`);
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer (spec 5.2.2), without BigInt: this runs once per constant at start-up. */
function sleb32(v: number): number[] {
  const out: number[] = [];
  v |= 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** Signed LEB128 of a bigint (spec 5.2.2). */
function slebBig(v: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function utf8Name(s: string): number[] {
  const b = new TextEncoder().encode(s);
  return [...uleb(b.length), ...b];
}

function memarg(align: number, offset: number): number[] {
  return [...uleb(align), ...uleb(offset)];
}

/** A local variable or parameter of a function. */
export class Local {
  constructor(
    readonly index: number,
    readonly type: ValType,
  ) {}
  get get(): Code {
    return [0x20, ...uleb(this.index)];
  }
  set(value: Code): Code {
    return [value, 0x21, ...uleb(this.index)];
  }
  tee(value: Code): Code {
    return [value, 0x22, ...uleb(this.index)];
  }
}

/** A function: parameters and locals are declared on it, then its body is set. */
export class Func {
  readonly params: Local[] = [];
  private readonly locals: Local[] = [];
  body: Code = [];

  constructor(
    readonly name: string,
    paramTypes: readonly ValType[],
    readonly results: readonly ValType[],
  ) {
    for (const t of paramTypes) this.params.push(new Local(this.params.length, t));
  }

  /** The i-th parameter. */
  param(i: number): Local {
    const p = this.params[i];
    if (p === undefined) throw new RangeError(`${this.name}: no parameter ${i}`);
    return p;
  }

  local(type: ValType): Local {
    const l = new Local(this.params.length + this.locals.length, type);
    this.locals.push(l);
    return l;
  }

  /** The type's encoding (spec 5.3.6), the key functions of one signature share. */
  typeBytes(): number[] {
    return [0x60, ...uleb(this.params.length), ...this.params.map((p) => VALTYPE[p.type]), ...uleb(this.results.length), ...this.results.map((t) => VALTYPE[t])];
  }

  /** The code entry (spec 5.5.13): locals then the body's flattened instructions. */
  codeBytes(index: ReadonlyMap<Func, number>): number[] {
    const out: number[] = [];
    out.push(...uleb(this.locals.length));
    for (const l of this.locals) out.push(1, VALTYPE[l.type]);
    flatten(this.body, [], index, out, this.name);
    out.push(0x0b);
    return uleb(out.length).concat(out);
  }
}

function flatten(code: Code, labels: Label[], index: ReadonlyMap<Func, number>, out: number[], where: string): void {
  if (typeof code === 'number') {
    if (!Number.isInteger(code) || code < 0 || code > 255) throw new RangeError(`${where}: ${code} is not a byte`);
    out.push(code);
    return;
  }
  if (Array.isArray(code)) {
    for (const c of code as readonly Code[]) flatten(c, labels, index, out, where);
    return;
  }
  const c = code as Structured | Branch | Call;
  switch (c.kind) {
    case 'block':
    case 'loop':
    case 'if': {
      out.push(c.kind === 'block' ? 0x02 : c.kind === 'loop' ? 0x03 : 0x04, c.result === undefined ? 0x40 : VALTYPE[c.result]);
      labels.push(c.label);
      flatten(c.body, labels, index, out, where);
      if (c.orElse !== undefined) {
        out.push(0x05);
        flatten(c.orElse, labels, index, out, where);
      }
      labels.pop();
      out.push(0x0b);
      return;
    }
    case 'br':
    case 'br_if': {
      const depth = labels.lastIndexOf(c.label);
      if (depth < 0) throw new Error(`${where}: branch to ${c.label.name}, which does not enclose it`);
      out.push(c.kind === 'br' ? 0x0c : 0x0d, ...uleb(labels.length - 1 - depth));
      return;
    }
    case 'call': {
      const i = index.get(c.fn);
      if (i === undefined) throw new Error(`${where}: call to ${c.fn.name}, which is not in the module`);
      out.push(0x10, ...uleb(i));
      return;
    }
  }
}

/** A module with one memory of its own (exported as `memory`) and functions. */
export class Module {
  private readonly funcs: Func[] = [];
  private readonly exported = new Set<Func>();

  /** `pages` of 64 KiB, fixed (minimum = maximum), so views over it never detach. */
  constructor(readonly pages: number) {}

  add(fn: Func, exportIt = false): Func {
    this.funcs.push(fn);
    if (exportIt) this.exported.add(fn);
    return fn;
  }

  bytes(): Uint8Array<ArrayBuffer> {
    const types: string[] = [];
    const typeOf: number[] = [];
    const typeBodies: number[][] = [];
    for (const f of this.funcs) {
      const t = f.typeBytes();
      const key = t.join(',');
      let i = types.indexOf(key);
      if (i < 0) {
        i = types.length;
        types.push(key);
        typeBodies.push(t);
      }
      typeOf.push(i);
    }
    const index = new Map<Func, number>(this.funcs.map((f, i) => [f, i]));
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const section = (id: number, items: readonly number[][]): void => {
      const count = uleb(items.length);
      let size = count.length;
      for (const it of items) size += it.length;
      out.push(id, ...uleb(size), ...count);
      for (const it of items) for (const b of it) out.push(b);
    };
    const exports = [[...utf8Name('memory'), 0x02, 0]];
    for (const f of this.funcs) if (this.exported.has(f)) exports.push([...utf8Name(f.name), 0x00, ...uleb(index.get(f) ?? 0)]);
    section(1, typeBodies);
    section(3, typeOf.map((t) => uleb(t)));
    section(5, [[0x01, ...uleb(this.pages), ...uleb(this.pages)]]);
    section(7, exports);
    section(10, this.funcs.map((f) => f.codeBytes(index)));
    return new Uint8Array(out);
  }
}

// ---------------------------------------------------------------------------------------------
// Instructions (spec 5.4), as functions of their operands: `i32.add(a, b)` is a's code, b's code,
// then the opcode, so code reads as the expression it computes.

const bin = (op: number) => (a: Code, b: Code): Code => [a, b, op];
const un = (op: number) => (a: Code): Code => [a, op];
const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];

export const i32 = {
  c: (n: number): Code => {
    if (!Number.isInteger(n) || n < -0x80000000 || n > 0xffffffff) throw new RangeError(`i32.const ${n}`);
    return [0x41, ...sleb32(n)];
  },
  load: (addr: Code, offset = 0): Code => [addr, 0x28, ...memarg(0, offset)],
  load8_u: (addr: Code, offset = 0): Code => [addr, 0x2d, ...memarg(0, offset)],
  load16_u: (addr: Code, offset = 0): Code => [addr, 0x2f, ...memarg(0, offset)],
  store: (addr: Code, value: Code, offset = 0): Code => [addr, value, 0x36, ...memarg(0, offset)],
  store8: (addr: Code, value: Code, offset = 0): Code => [addr, value, 0x3a, ...memarg(0, offset)],
  store16: (addr: Code, value: Code, offset = 0): Code => [addr, value, 0x3b, ...memarg(0, offset)],
  eqz: un(0x45),
  eq: bin(0x46),
  ne: bin(0x47),
  lt_s: bin(0x48),
  lt_u: bin(0x49),
  gt_s: bin(0x4a),
  gt_u: bin(0x4b),
  le_s: bin(0x4c),
  le_u: bin(0x4d),
  ge_s: bin(0x4e),
  ge_u: bin(0x4f),
  add: bin(0x6a),
  sub: bin(0x6b),
  mul: bin(0x6c),
  div_u: bin(0x6e),
  rem_u: bin(0x70),
  and: bin(0x71),
  or: bin(0x72),
  xor: bin(0x73),
  shl: bin(0x74),
  shr_s: bin(0x75),
  shr_u: bin(0x76),
  rotl: bin(0x77),
  rotr: bin(0x78),
  wrap_i64: un(0xa7),
};

export const i64 = {
  c: (n: number | bigint): Code => [0x42, ...slebBig(BigInt.asIntN(64, BigInt(n)))],
  load32_u: (addr: Code, offset = 0): Code => [addr, 0x35, ...memarg(0, offset)],
  store: (addr: Code, value: Code, offset = 0): Code => [addr, value, 0x37, ...memarg(0, offset)],
  eqz: un(0x50),
  eq: bin(0x51),
  ne: bin(0x52),
  gt_u: bin(0x56),
  add: bin(0x7c),
  and: bin(0x83),
  shr_u: bin(0x88),
  extend_i32_u: un(0xad),
};

export const v128 = {
  load: (addr: Code, offset = 0): Code => [addr, ...simd(0x00), ...memarg(0, offset)],
  store: (addr: Code, value: Code, offset = 0): Code => [addr, value, ...simd(0x0b), ...memarg(0, offset)],
  /** All lanes zero. */
  zero: (): Code => [...simd(0x0c), ...new Array<number>(16).fill(0)],
};

export const i32x4 = {
  add: (a: Code, b: Code): Code => [a, b, ...simd(0xae)],
  extract_lane: (v: Code, lane: number): Code => [v, ...simd(0x1b, lane)],
  /** Adds adjacent unsigned 16-bit lanes into 32-bit lanes. */
  extadd_pairwise_i16x8_u: (v: Code): Code => [v, ...simd(0x7f)],
};

// Control (spec 5.4.1).
export function block(label: Label, body: Code, result?: ValType): Code {
  return { kind: 'block', label, result, body, orElse: undefined };
}
export function loop(label: Label, body: Code): Code {
  return { kind: 'loop', label, result: undefined, body, orElse: undefined };
}
/** `if cond then body [else orElse]`; the label lets `br` leave the if. */
export function if_(cond: Code, body: Code, orElse?: Code, label = new Label('if'), result?: ValType): Code {
  return [cond, { kind: 'if', label, result, body, orElse }];
}
export function br(label: Label): Code {
  return { kind: 'br', label };
}
export function br_if(label: Label, cond: Code): Code {
  return [cond, { kind: 'br_if', label }];
}
export function ret(value?: Code): Code {
  return value === undefined ? 0x0f : [value, 0x0f];
}
export function call(fn: Func, ...args: Code[]): Code {
  return [args, { kind: 'call', fn }];
}
export function drop(value: Code): Code {
  return [value, 0x1a];
}
/** `cond ? a : b` (both evaluated). */
export function select(a: Code, b: Code, cond: Code): Code {
  return [a, b, cond, 0x1b];
}
