/**
 * A small WebAssembly binary encoder (WebAssembly core spec 2.0, §5 "Binary Format"): just what
 * the JIT emits. A function body is built with `Code`, a growable byte buffer with LEB128
 * immediates; `encodeModule` wraps bodies into the type, import, function, global, export and
 * code sections. Emitting bytes directly keeps translation in the tens of microseconds
 * (reference/ebpf.md §6.3: building binaryen IR cost milliseconds per kernel).
 */

/** Value types (spec §5.3.1). */
export const I32 = 0x7f;
export const I64 = 0x7e;
export type ValType = typeof I32 | typeof I64;

/** Block type "no result" (spec §5.4.1). */
export const VOID = 0x40;

/** Opcodes used by the JIT (spec §5.4). */
export const Op = {
  unreachable: 0x00, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b,
  br: 0x0c, br_if: 0x0d, br_table: 0x0e, return: 0x0f, call: 0x10, drop: 0x1a, select: 0x1b,
  local_get: 0x20, local_set: 0x21, local_tee: 0x22, global_get: 0x23, global_set: 0x24,
  i32_load: 0x28, i64_load: 0x29, i32_load8_u: 0x2d, i32_load16_u: 0x2f,
  i64_load8_s: 0x30, i64_load8_u: 0x31, i64_load16_s: 0x32, i64_load16_u: 0x33, i64_load32_s: 0x34, i64_load32_u: 0x35,
  i32_store: 0x36, i64_store: 0x37, i32_store8: 0x3a, i32_store16: 0x3b, i64_store8: 0x3c, i64_store16: 0x3d, i64_store32: 0x3e,
  i32_const: 0x41, i64_const: 0x42,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_s: 0x48, i32_lt_u: 0x49, i32_gt_s: 0x4a, i32_gt_u: 0x4b,
  i32_le_s: 0x4c, i32_le_u: 0x4d, i32_ge_s: 0x4e, i32_ge_u: 0x4f,
  i64_eqz: 0x50, i64_eq: 0x51, i64_ne: 0x52, i64_lt_s: 0x53, i64_lt_u: 0x54, i64_gt_s: 0x55, i64_gt_u: 0x56,
  i64_le_s: 0x57, i64_le_u: 0x58, i64_ge_s: 0x59, i64_ge_u: 0x5a,
  i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c, i32_div_s: 0x6d, i32_div_u: 0x6e, i32_rem_s: 0x6f, i32_rem_u: 0x70,
  i32_and: 0x71, i32_or: 0x72, i32_xor: 0x73, i32_shl: 0x74, i32_shr_s: 0x75, i32_shr_u: 0x76, i32_rotl: 0x77, i32_rotr: 0x78,
  i64_add: 0x7c, i64_sub: 0x7d, i64_mul: 0x7e, i64_div_s: 0x7f, i64_div_u: 0x80, i64_rem_s: 0x81, i64_rem_u: 0x82,
  i64_and: 0x83, i64_or: 0x84, i64_xor: 0x85, i64_shl: 0x86, i64_shr_s: 0x87, i64_shr_u: 0x88, i64_rotl: 0x89, i64_rotr: 0x8a,
  i32_wrap_i64: 0xa7, i64_extend_i32_s: 0xac, i64_extend_i32_u: 0xad,
  i32_extend8_s: 0xc0, i32_extend16_s: 0xc1, i64_extend8_s: 0xc2, i64_extend16_s: 0xc3, i64_extend32_s: 0xc4,
} as const;

/** A growable byte buffer with the encodings of spec §5.2 (LEB128 integers, vectors, names). */
export class Bytes {
  buf: Uint8Array;
  len = 0;

  /** `capacity`: a guess of the final size, so that the buffer rarely has to grow. */
  constructor(capacity = 1024) {
    this.buf = new Uint8Array(capacity);
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  byte(b: number): this {
    if (this.len === this.buf.length) this.room(1);
    this.buf[this.len++] = b;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** Unsigned LEB128 of a non-negative integer below 2^32. */
  u32(v: number): this {
    if (this.len + 5 > this.buf.length) this.room(5);
    let x = v >>> 0;
    do {
      let b = x & 0x7f;
      x >>>= 7;
      if (x !== 0) b |= 0x80;
      this.buf[this.len++] = b;
    } while (x !== 0);
    return this;
  }

  /** Signed LEB128 of a 32-bit integer. */
  s32(v: number): this {
    if (this.len + 5 > this.buf.length) this.room(5);
    let x = v | 0;
    for (;;) {
      const b = x & 0x7f;
      x >>= 7;
      if ((x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0)) {
        this.buf[this.len++] = b;
        return this;
      }
      this.buf[this.len++] = b | 0x80;
    }
  }

  /** Signed LEB128 of a 64-bit integer given as a bigint (any value; taken modulo 2^64). */
  s64(v: bigint): this {
    let x = BigInt.asIntN(64, v);
    if (x >= -0x80000000n && x <= 0x7fffffffn) return this.s32(Number(x));
    this.room(10);
    for (;;) {
      const b = Number(x & 0x7fn);
      x >>= 7n;
      if ((x === 0n && (b & 0x40) === 0) || (x === -1n && (b & 0x40) !== 0)) {
        this.buf[this.len++] = b;
        return this;
      }
      this.buf[this.len++] = b | 0x80;
    }
  }

  /** A UTF-8 name (spec §5.2.4). */
  name(s: string): this {
    // The JIT's names (env, helper, memory, p0...) are ASCII, one byte per character; a
    // TextEncoder would only add Node's encoder code to the first plugin's cold path.
    let ascii = true;
    for (let i = 0; i < s.length && ascii; i++) ascii = s.charCodeAt(i) < 0x80;
    if (!ascii) {
      const b = new TextEncoder().encode(s);
      return this.u32(b.length).bytes(b);
    }
    this.u32(s.length).room(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.len++] = s.charCodeAt(i);
    return this;
  }

  /** The bytes written so far (a view, not a copy). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/** A function body: its locals beyond the parameters and its instructions (spec §5.5.13). */
export class Code extends Bytes {
  op(o: number): this {
    return this.byte(o);
  }
  i32Const(v: number): this {
    // One signed LEB128 byte holds [-64, 64).
    if (v >= -64 && v < 64 && (v | 0) === v) return this.op1(Op.i32_const, v & 0x7f);
    return this.byte(Op.i32_const).s32(v);
  }
  /** i64.const of a bigint, or of a number that must be an integer in [-2^31, 2^32). */
  i64Const(v: bigint | number): this {
    if (typeof v === 'number' && v >= -64 && v < 64 && (v | 0) === v) return this.op1(Op.i64_const, v & 0x7f);
    if (typeof v === 'number' && (v | 0) === v) return this.byte(Op.i64_const).s32(v);
    return this.byte(Op.i64_const).s64(BigInt(v));
  }
  /**
   * An opcode and one immediate below 128 (a local, a depth, a small function index): two bytes
   * written here. Translation runs tens of thousands of these per plugin, the first time before
   * V8 has optimised any of it, when every call costs: one call instead of three.
   */
  private op1(o: number, x: number): this {
    const at = this.len;
    if (x >= 0 && x < 128 && at + 2 <= this.buf.length) {
      this.buf[at] = o;
      this.buf[at + 1] = x;
      this.len = at + 2;
      return this;
    }
    return this.byte(o).u32(x);
  }
  get(l: number): this {
    return this.op1(Op.local_get, l);
  }
  set(l: number): this {
    return this.op1(Op.local_set, l);
  }
  tee(l: number): this {
    return this.op1(Op.local_tee, l);
  }
  /** A load or store with its memarg (alignment exponent, offset). */
  mem(o: number, align: number, offset = 0): this {
    if (offset >= 0 && offset < 128) return this.op1(o, align).byte(offset);
    return this.op1(o, align).u32(offset);
  }
  br(depth: number): this {
    return this.op1(Op.br, depth);
  }
  brIf(depth: number): this {
    return this.op1(Op.br_if, depth);
  }
  call(f: number): this {
    return this.op1(Op.call, f);
  }
  block(type: number = VOID): this {
    return this.byte(Op.block).byte(type);
  }
  loop(type: number = VOID): this {
    return this.byte(Op.loop).byte(type);
  }
  if(type: number = VOID): this {
    return this.byte(Op.if).byte(type);
  }
  end(): this {
    return this.byte(Op.end);
  }
}

export interface FuncType {
  params: ValType[];
  results: ValType[];
}

export interface ModuleSpec {
  types: FuncType[];
  /** Imported functions, first in the function index space. */
  imports: { module: string; name: string; type: number }[];
  /** The imported memory (always the one memory of the module). */
  memory: { module: string; name: string };
  /**
   * Module-defined functions: their type index, extra locals and body (without the final `end`),
   * optionally preceded by a `prologue` (emitted after the body, which decides what it holds).
   */
  functions: { type: number; locals: ValType[]; body: Bytes; prologue?: Bytes }[];
  exports: { name: string; func: number }[];
}

/** Bytes of the unsigned LEB128 encoding of a non-negative integer below 2^32. */
function u32Size(v: number): number {
  let n = 1;
  for (let x = v >>> 7; x !== 0; x >>>= 7) n++;
  return n;
}

/** Locals run-length encoded by type (spec §5.5.13): [count, type] pairs, flattened. */
function localRuns(locals: ValType[]): number[] {
  const runs: number[] = [];
  for (let i = 0; i < locals.length; i++) {
    const t = locals[i]!;
    if (runs.length > 0 && runs[runs.length - 1] === t) runs[runs.length - 2]!++;
    else runs.push(1, t);
  }
  return runs;
}

/**
 * Encodes a module (spec §5.5): magic, version, then the sections in their required order. The
 * small sections share one scratch buffer, and function bodies are copied once, straight into
 * the output: translation makes few, large bodies, and every extra copy and buffer showed in
 * the translator's profile.
 */
export function encodeModule(m: ModuleSpec): Uint8Array {
  // Sizes first: each body is its locals' runs, its code and the final `end`.
  const runs: number[][] = [];
  const sizes: number[] = [];
  let codeLen = u32Size(m.functions.length);
  for (let f = 0; f < m.functions.length; f++) {
    const fn = m.functions[f]!;
    const r = localRuns(fn.locals);
    let size = u32Size(r.length / 2) + (fn.prologue?.len ?? 0) + fn.body.len + 1;
    for (let j = 0; j < r.length; j += 2) size += u32Size(r[j]!) + 1;
    runs.push(r);
    sizes.push(size);
    codeLen += u32Size(size) + size;
  }
  // The small sections go to `head` first, so that the output can be allocated at its exact size.
  const head = new Bytes(512);
  const tmp = new Bytes(512);

  tmp.u32(m.types.length);
  for (const t of m.types) {
    tmp.byte(0x60).u32(t.params.length);
    for (const p of t.params) tmp.byte(p);
    tmp.u32(t.results.length);
    for (const r of t.results) tmp.byte(r);
  }
  section(head, 1, tmp);

  tmp.u32(m.imports.length + 1);
  for (const i of m.imports) tmp.name(i.module).name(i.name).byte(0x00).u32(i.type);
  // Memory import with limits {min 0, no max}: the Vm's memory of whatever size it has.
  tmp.name(m.memory.module).name(m.memory.name).byte(0x02).byte(0x00).u32(0);
  section(head, 2, tmp);

  tmp.u32(m.functions.length);
  for (const f of m.functions) tmp.u32(f.type);
  section(head, 3, tmp);

  tmp.u32(m.exports.length);
  for (const e of m.exports) tmp.name(e.name).byte(0x00).u32(e.func);
  section(head, 7, tmp);

  const out = new Bytes(8 + head.len + 1 + u32Size(codeLen) + codeLen);
  out.bytes(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00])).bytes(head.view());
  out.byte(10).u32(codeLen).u32(m.functions.length);
  for (let f = 0; f < m.functions.length; f++) {
    const r = runs[f]!;
    out.u32(sizes[f]!).u32(r.length / 2);
    for (let j = 0; j < r.length; j += 2) out.u32(r[j]!).byte(r[j + 1]!);
    const fn = m.functions[f]!;
    if (fn.prologue) out.bytes(fn.prologue.view());
    out.bytes(fn.body.view()).byte(Op.end);
  }
  // Exactly full unless a size above is wrong: then a copy of what was written, still valid.
  return out.len === out.buf.length ? out.buf : out.view().slice();
}

/** Writes a section from the scratch buffer `content`, and empties it for the next one. */
function section(out: Bytes, id: number, content: Bytes): void {
  out.byte(id).u32(content.len).bytes(content.view());
  content.len = 0;
}
