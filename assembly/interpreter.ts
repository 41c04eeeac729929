// The eBPF interpreter core (RFC 9669), compiled to WebAssembly by AssemblyScript.
//
// It runs pre-decoded programs (see src/vm/predecode.ts) held in the same linear memory as the
// program's own regions. The layout of that memory is shared with the TypeScript host through
// the constants below (mirrored in src/vm/layout.ts): keep the two in sync.
//
// Speed matters here (issue target: >= 400 M eBPF instructions/s with every access checked), so:
//  - the registers live at a fixed linear address: every register access is one load or store;
//  - dispatch is a single `switch` on the opcode byte, which binaryen turns into one br_table;
//  - no managed objects, no checked array indexing, no allocation: only raw load<T>/store<T>;
//  - a memory access is checked against the last region that matched (one subtract, one unsigned
//    compare), falling back to a scan of the region table.
//
// Addresses: an eBPF address is the linear-memory offset of the byte (identity mapping). It is
// only dereferenced after it was found inside a region, so an address with high bits set, or one
// pointing at the registers, the code or a gap between regions, can never be read or written.

// ---- Shared layout (src/vm/layout.ts) ----
const REGS: usize = 0x100; // r0..r10, 8 bytes each
const STATUS: usize = 0x180; // status block, see ST_* below
const FRAMES: usize = 0x200; // call frames, FRAME_BYTES each, MAX_DEPTH of them
const FRAME_BYTES: usize = 48; // return pc (i32, padded to 8), r6..r9, r10
const MAX_DEPTH: i32 = 8;
const REGION_COUNT: usize = 0x3f0; // i32
const REGION_TABLE: usize = 0x400; // REGION_BYTES each, MAX_REGIONS of them
const REGION_BYTES: usize = 72; // lo u64, read limits for sizes 1/2/4/8, write limits for 1/2/4/8
const MAX_REGIONS: i32 = 16;
const CODE: usize = 0x1000; // pre-decoded instructions, 16 bytes each

// Status block fields.
const ST_CODE: usize = 0; // i32 result code
const ST_PC: usize = 4; // i32 pc of the failing instruction
const ST_ADDR: usize = 8; // u64 faulting address
const ST_SIZE: usize = 16; // i32 access size
const ST_WRITE: usize = 20; // i32 1 for a store
const ST_FUEL: usize = 24; // i64 in: budget, out: what is left
const ST_DEPTH: usize = 32; // i32 call depth at the end
const ST_ARG: usize = 36; // i32 helper id or call target of the failure
const ST_FRAME: usize = 40; // i32 stack bytes per frame

// Result codes (src/vm/layout.ts RESULT_*).
const OK: i32 = 0;
const E_OOB: i32 = 1;
const E_FUEL: i32 = 2;
const E_DEPTH: i32 = 3;
const E_HELPER: i32 = 4;
const E_BAD_PC: i32 = 5;
const E_BAD_OP: i32 = 6;

/** Calls host helper `id` with r1..r5 in REGS; the host writes r0. Returns 0 or a failure code. */
@external("env", "helper")
declare function callHelper(id: i32, pc: i32): i32;

// Last region that satisfied a read and a write: the common case (a loop over one buffer, or
// stack traffic) costs one compare.
let lastRead: usize = REGION_TABLE;
let lastWrite: usize = REGION_TABLE;

@inline function reg(off: usize): u64 {
  return load<u64>(REGS + off);
}

@inline function setReg(off: usize, v: u64): void {
  store<u64>(REGS + off, v);
}

// Offset of the limit for an access of `size` bytes within a region entry.
@inline function limitOffset(size: usize, write: bool): usize {
  const idx: usize = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
  return 8 + (write ? 32 : 0) + (idx << 3);
}

/** Scans the region table; on success caches the entry and returns true. */
function findRegion(addr: u64, size: usize, write: bool): bool {
  const n = load<i32>(REGION_COUNT);
  const lim = limitOffset(size, write);
  for (let i = 0; i < n; i++) {
    const e = REGION_TABLE + <usize>i * REGION_BYTES;
    if (addr - load<u64>(e) < load<u64>(e + lim)) {
      if (write) lastWrite = e;
      else lastRead = e;
      return true;
    }
  }
  return false;
}

@inline function canRead(addr: u64, size: usize): bool {
  const e = lastRead;
  if (addr - load<u64>(e) < load<u64>(e + limitOffset(size, false))) return true;
  return findRegion(addr, size, false);
}

@inline function canWrite(addr: u64, size: usize): bool {
  const e = lastWrite;
  if (addr - load<u64>(e) < load<u64>(e + limitOffset(size, true))) return true;
  return findRegion(addr, size, true);
}

function fault(code: i32, pc: i32, fuel: i64): i32 {
  store<i32>(STATUS + ST_CODE, code);
  store<i32>(STATUS + ST_PC, pc);
  store<i64>(STATUS + ST_FUEL, fuel);
  return code;
}

function memFault(pc: i32, addr: u64, size: i32, write: bool, fuel: i64): i32 {
  store<u64>(STATUS + ST_ADDR, addr);
  store<i32>(STATUS + ST_SIZE, size);
  store<i32>(STATUS + ST_WRITE, write ? 1 : 0);
  return fault(E_OOB, pc, fuel);
}

@inline function bswap16(x: u64): u64 {
  return ((x & 0xff) << 8) | ((x >> 8) & 0xff);
}

@inline function bswap32(x: u64): u64 {
  const v = <u32>x;
  return <u64>(((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >> 8) & 0xff00) | (v >> 24));
}

@inline function bswap64(x: u64): u64 {
  return (bswap32(x) << 32) | bswap32(x >> 32);
}

// Division and modulo with RFC 9669 §4.1 semantics: x/0 = 0, x%0 = x, INT_MIN/-1 = INT_MIN,
// INT_MIN%-1 = 0 (Wasm's div_s would trap on both of the first and on overflow).
@inline function udiv64(a: u64, b: u64): u64 {
  return b == 0 ? 0 : a / b;
}
@inline function umod64(a: u64, b: u64): u64 {
  return b == 0 ? a : a % b;
}
@inline function sdiv64(a: u64, b: u64): u64 {
  if (b == 0) return 0;
  if (<i64>b == -1) return <u64>(0 - <i64>a);
  return <u64>(<i64>a / <i64>b);
}
@inline function smod64(a: u64, b: u64): u64 {
  if (b == 0) return a;
  if (<i64>b == -1) return 0;
  return <u64>(<i64>a % <i64>b);
}
@inline function udiv32(a: u64, b: u64): u64 {
  const y = <u32>b;
  return y == 0 ? 0 : <u64>(<u32>a / y);
}
@inline function umod32(a: u64, b: u64): u64 {
  const y = <u32>b;
  return y == 0 ? <u64>(<u32>a) : <u64>(<u32>a % y);
}
@inline function sdiv32(a: u64, b: u64): u64 {
  const y = <i32>b;
  if (y == 0) return 0;
  if (y == -1) return <u64>(<u32>(0 - <i32>a));
  return <u64>(<u32>(<i32>a / y));
}
@inline function smod32(a: u64, b: u64): u64 {
  const y = <i32>b;
  if (y == 0) return <u64>(<u32>a);
  if (y == -1) return 0;
  return <u64>(<u32>(<i32>a % y));
}

/**
 * Runs from `entry` until the outermost `exit` or a fault. The fuel budget is read from and the
 * remainder written back to the status block. Returns a result code (0 = exited normally, r0 in REGS).
 */
export function run(entry: i32): i32 {
  return resume(entry, 0);
}

/**
 * Continues a run at `pc` with `depth` local calls active, their frames already in FRAMES and the
 * registers in REGS. The JIT (src/vm/jit/) hands a run over here when the fuel left cannot pay for
 * a whole basic block, so that the point of exhaustion, and every effect before it, is exactly
 * the interpreter's.
 */
export function resume(entry: i32, calls: i32): i32 {
  let pc = entry;
  let fuel = load<i64>(STATUS + ST_FUEL);
  let depth: i32 = calls;
  const frame: u64 = <u64>load<i32>(STATUS + ST_FRAME);
  while (true) {
    if (--fuel < 0) return fault(E_FUEL, pc, 0);
    const ip = CODE + (<usize>pc << 4);
    const head = load<u32>(ip);
    const d: usize = (head >> 8) & 0xff; // byte offset of dst in REGS
    const s: usize = (head >> 16) & 0xff; // byte offset of src in REGS
    pc++;
    switch (head & 0xff) {
      // ---- ALU64 (class 7), K form takes the sign-extended imm (RFC 9669 §4.1) ----
      case 0x07: setReg(d, reg(d) + load<u64>(ip, 8)); break;
      case 0x0f: setReg(d, reg(d) + reg(s)); break;
      case 0x17: setReg(d, reg(d) - load<u64>(ip, 8)); break;
      case 0x1f: setReg(d, reg(d) - reg(s)); break;
      case 0x27: setReg(d, reg(d) * load<u64>(ip, 8)); break;
      case 0x2f: setReg(d, reg(d) * reg(s)); break;
      case 0x37: setReg(d, load<i32>(ip, 4) == 1 ? sdiv64(reg(d), load<u64>(ip, 8)) : udiv64(reg(d), load<u64>(ip, 8))); break;
      case 0x3f: setReg(d, load<i32>(ip, 4) == 1 ? sdiv64(reg(d), reg(s)) : udiv64(reg(d), reg(s))); break;
      case 0x47: setReg(d, reg(d) | load<u64>(ip, 8)); break;
      case 0x4f: setReg(d, reg(d) | reg(s)); break;
      case 0x57: setReg(d, reg(d) & load<u64>(ip, 8)); break;
      case 0x5f: setReg(d, reg(d) & reg(s)); break;
      case 0x67: setReg(d, reg(d) << (load<u64>(ip, 8) & 63)); break;
      case 0x6f: setReg(d, reg(d) << (reg(s) & 63)); break;
      case 0x77: setReg(d, reg(d) >> (load<u64>(ip, 8) & 63)); break;
      case 0x7f: setReg(d, reg(d) >> (reg(s) & 63)); break;
      case 0x87: setReg(d, 0 - reg(d)); break;
      case 0x97: setReg(d, load<i32>(ip, 4) == 1 ? smod64(reg(d), load<u64>(ip, 8)) : umod64(reg(d), load<u64>(ip, 8))); break;
      case 0x9f: setReg(d, load<i32>(ip, 4) == 1 ? smod64(reg(d), reg(s)) : umod64(reg(d), reg(s))); break;
      case 0xa7: setReg(d, reg(d) ^ load<u64>(ip, 8)); break;
      case 0xaf: setReg(d, reg(d) ^ reg(s)); break;
      case 0xb7: setReg(d, load<u64>(ip, 8)); break;
      case 0xbf: {
        // MOV, or MOVSX when offset is 8/16/32 (RFC 9669 §4.1.1)
        const off = load<i32>(ip, 4);
        const v = reg(s);
        setReg(d, off == 0 ? v : off == 8 ? <u64>(<i64>(<i8>v)) : off == 16 ? <u64>(<i64>(<i16>v)) : <u64>(<i64>(<i32>v)));
        break;
      }
      case 0xc7: setReg(d, <u64>(<i64>reg(d) >> (load<i64>(ip, 8) & 63))); break;
      case 0xcf: setReg(d, <u64>(<i64>reg(d) >> <i64>(reg(s) & 63))); break;
      case 0xd7: {
        // BSWAP16/32/64, unconditional (RFC 9669 §4.2)
        const w = load<i32>(ip, 8);
        const v = reg(d);
        setReg(d, w == 16 ? bswap16(v) : w == 32 ? bswap32(v) : bswap64(v));
        break;
      }

      // ---- ALU (class 4): 32-bit operations, result zero-extended ----
      case 0x04: setReg(d, <u64>(<u32>reg(d) + <u32>load<u64>(ip, 8))); break;
      case 0x0c: setReg(d, <u64>(<u32>reg(d) + <u32>reg(s))); break;
      case 0x14: setReg(d, <u64>(<u32>reg(d) - <u32>load<u64>(ip, 8))); break;
      case 0x1c: setReg(d, <u64>(<u32>reg(d) - <u32>reg(s))); break;
      case 0x24: setReg(d, <u64>(<u32>reg(d) * <u32>load<u64>(ip, 8))); break;
      case 0x2c: setReg(d, <u64>(<u32>reg(d) * <u32>reg(s))); break;
      case 0x34: setReg(d, load<i32>(ip, 4) == 1 ? sdiv32(reg(d), load<u64>(ip, 8)) : udiv32(reg(d), load<u64>(ip, 8))); break;
      case 0x3c: setReg(d, load<i32>(ip, 4) == 1 ? sdiv32(reg(d), reg(s)) : udiv32(reg(d), reg(s))); break;
      case 0x44: setReg(d, <u64>(<u32>reg(d) | <u32>load<u64>(ip, 8))); break;
      case 0x4c: setReg(d, <u64>(<u32>reg(d) | <u32>reg(s))); break;
      case 0x54: setReg(d, <u64>(<u32>reg(d) & <u32>load<u64>(ip, 8))); break;
      case 0x5c: setReg(d, <u64>(<u32>reg(d) & <u32>reg(s))); break;
      case 0x64: setReg(d, <u64>(<u32>reg(d) << (<u32>load<u64>(ip, 8) & 31))); break;
      case 0x6c: setReg(d, <u64>(<u32>reg(d) << (<u32>reg(s) & 31))); break;
      case 0x74: setReg(d, <u64>(<u32>reg(d) >> (<u32>load<u64>(ip, 8) & 31))); break;
      case 0x7c: setReg(d, <u64>(<u32>reg(d) >> (<u32>reg(s) & 31))); break;
      case 0x84: setReg(d, <u64>(<u32>(<u32>0 - <u32>reg(d)))); break;
      case 0x94: setReg(d, load<i32>(ip, 4) == 1 ? smod32(reg(d), load<u64>(ip, 8)) : umod32(reg(d), load<u64>(ip, 8))); break;
      case 0x9c: setReg(d, load<i32>(ip, 4) == 1 ? smod32(reg(d), reg(s)) : umod32(reg(d), reg(s))); break;
      case 0xa4: setReg(d, <u64>(<u32>reg(d) ^ <u32>load<u64>(ip, 8))); break;
      case 0xac: setReg(d, <u64>(<u32>reg(d) ^ <u32>reg(s))); break;
      case 0xb4: setReg(d, <u64>(<u32>load<u64>(ip, 8))); break;
      case 0xbc: {
        // MOV32, or MOVSX8/16 into 32 bits then zero-extended
        const off = load<i32>(ip, 4);
        const v = reg(s);
        setReg(d, off == 0 ? <u64>(<u32>v) : off == 8 ? <u64>(<u32>(<i32>(<i8>v))) : <u64>(<u32>(<i32>(<i16>v))));
        break;
      }
      case 0xc4: setReg(d, <u64>(<u32>(<i32>reg(d) >> (<i32>load<u64>(ip, 8) & 31)))); break;
      case 0xcc: setReg(d, <u64>(<u32>(<i32>reg(d) >> (<i32>reg(s) & 31)))); break;
      case 0xd4: {
        // TO_LE on a little-endian machine: truncate to the width (RFC 9669 §4.2)
        const w = load<i32>(ip, 8);
        const v = reg(d);
        setReg(d, w == 16 ? v & 0xffff : w == 32 ? v & 0xffffffff : v);
        break;
      }
      case 0xdc: {
        // TO_BE: byte swap, zero-extended
        const w = load<i32>(ip, 8);
        const v = reg(d);
        setReg(d, w == 16 ? bswap16(v) : w == 32 ? bswap32(v) : bswap64(v));
        break;
      }

      // ---- lddw: the pre-decoder put the whole 64-bit constant in imm ----
      case 0x18: setReg(d, load<u64>(ip, 8)); pc++; break;

      // ---- LDX / LDXS: src + offset, zero- or sign-extending ----
      case 0x61: { const a = reg(s) + load<i64>(ip, 8); if (!canRead(a, 4)) return memFault(pc - 1, a, 4, false, fuel); setReg(d, <u64>load<u32>(<usize>a)); break; }
      case 0x69: { const a = reg(s) + load<i64>(ip, 8); if (!canRead(a, 2)) return memFault(pc - 1, a, 2, false, fuel); setReg(d, <u64>load<u16>(<usize>a)); break; }
      case 0x71: { const a = reg(s) + load<i64>(ip, 8); if (!canRead(a, 1)) return memFault(pc - 1, a, 1, false, fuel); setReg(d, <u64>load<u8>(<usize>a)); break; }
      case 0x79: { const a = reg(s) + load<i64>(ip, 8); if (!canRead(a, 8)) return memFault(pc - 1, a, 8, false, fuel); setReg(d, load<u64>(<usize>a)); break; }
      case 0x81: { const a = reg(s) + load<i64>(ip, 8); if (!canRead(a, 4)) return memFault(pc - 1, a, 4, false, fuel); setReg(d, <u64>load<i32>(<usize>a)); break; }
      case 0x89: { const a = reg(s) + load<i64>(ip, 8); if (!canRead(a, 2)) return memFault(pc - 1, a, 2, false, fuel); setReg(d, <u64>load<i16>(<usize>a)); break; }
      case 0x91: { const a = reg(s) + load<i64>(ip, 8); if (!canRead(a, 1)) return memFault(pc - 1, a, 1, false, fuel); setReg(d, <u64>load<i8>(<usize>a)); break; }

      // ---- ST (imm) and STX (register): dst + offset. For stores aux holds the offset and imm the value ----
      case 0x62: { const a = reg(d) + <i64>load<i32>(ip, 4); if (!canWrite(a, 4)) return memFault(pc - 1, a, 4, true, fuel); store<u32>(<usize>a, <u32>load<u64>(ip, 8)); break; }
      case 0x6a: { const a = reg(d) + <i64>load<i32>(ip, 4); if (!canWrite(a, 2)) return memFault(pc - 1, a, 2, true, fuel); store<u16>(<usize>a, <u16>load<u64>(ip, 8)); break; }
      case 0x72: { const a = reg(d) + <i64>load<i32>(ip, 4); if (!canWrite(a, 1)) return memFault(pc - 1, a, 1, true, fuel); store<u8>(<usize>a, <u8>load<u64>(ip, 8)); break; }
      case 0x7a: { const a = reg(d) + <i64>load<i32>(ip, 4); if (!canWrite(a, 8)) return memFault(pc - 1, a, 8, true, fuel); store<u64>(<usize>a, load<u64>(ip, 8)); break; }
      case 0x63: { const a = reg(d) + <i64>load<i32>(ip, 4); if (!canWrite(a, 4)) return memFault(pc - 1, a, 4, true, fuel); store<u32>(<usize>a, <u32>reg(s)); break; }
      case 0x6b: { const a = reg(d) + <i64>load<i32>(ip, 4); if (!canWrite(a, 2)) return memFault(pc - 1, a, 2, true, fuel); store<u16>(<usize>a, <u16>reg(s)); break; }
      case 0x73: { const a = reg(d) + <i64>load<i32>(ip, 4); if (!canWrite(a, 1)) return memFault(pc - 1, a, 1, true, fuel); store<u8>(<usize>a, <u8>reg(s)); break; }
      case 0x7b: { const a = reg(d) + <i64>load<i32>(ip, 4); if (!canWrite(a, 8)) return memFault(pc - 1, a, 8, true, fuel); store<u64>(<usize>a, reg(s)); break; }

      // ---- Atomics (RFC 9669 §5.3); one thread per memory, so load-op-store is atomic ----
      case 0xc3: {
        const a = reg(d) + <i64>load<i32>(ip, 4);
        if (!canWrite(a, 4) || !canRead(a, 4)) return memFault(pc - 1, a, 4, true, fuel);
        const p = <usize>a;
        const op = load<i32>(ip, 8);
        const old = load<u32>(p);
        const v = <u32>reg(s);
        const base = op & 0xf0;
        if (op == 0xf1) {
          if (<u32>reg(0) == old) store<u32>(p, v);
          setReg(0, <u64>old);
        } else if (op == 0xe1) {
          store<u32>(p, v);
          setReg(s, <u64>old);
        } else {
          store<u32>(p, base == 0x00 ? old + v : base == 0x40 ? old | v : base == 0x50 ? old & v : old ^ v);
          if (op & 1) setReg(s, <u64>old);
        }
        break;
      }
      case 0xdb: {
        const a = reg(d) + <i64>load<i32>(ip, 4);
        if (!canWrite(a, 8) || !canRead(a, 8)) return memFault(pc - 1, a, 8, true, fuel);
        const p = <usize>a;
        const op = load<i32>(ip, 8);
        const old = load<u64>(p);
        const v = reg(s);
        const base = op & 0xf0;
        if (op == 0xf1) {
          if (reg(0) == old) store<u64>(p, v);
          setReg(0, old);
        } else if (op == 0xe1) {
          store<u64>(p, v);
          setReg(s, old);
        } else {
          store<u64>(p, base == 0x00 ? old + v : base == 0x40 ? old | v : base == 0x50 ? old & v : old ^ v);
          if (op & 1) setReg(s, old);
        }
        break;
      }

      // ---- JMP (class 5): aux holds the absolute target pc ----
      case 0x05: pc = load<i32>(ip, 4); break;
      case 0x15: if (reg(d) == load<u64>(ip, 8)) pc = load<i32>(ip, 4); break;
      case 0x1d: if (reg(d) == reg(s)) pc = load<i32>(ip, 4); break;
      case 0x25: if (reg(d) > load<u64>(ip, 8)) pc = load<i32>(ip, 4); break;
      case 0x2d: if (reg(d) > reg(s)) pc = load<i32>(ip, 4); break;
      case 0x35: if (reg(d) >= load<u64>(ip, 8)) pc = load<i32>(ip, 4); break;
      case 0x3d: if (reg(d) >= reg(s)) pc = load<i32>(ip, 4); break;
      case 0x45: if ((reg(d) & load<u64>(ip, 8)) != 0) pc = load<i32>(ip, 4); break;
      case 0x4d: if ((reg(d) & reg(s)) != 0) pc = load<i32>(ip, 4); break;
      case 0x55: if (reg(d) != load<u64>(ip, 8)) pc = load<i32>(ip, 4); break;
      case 0x5d: if (reg(d) != reg(s)) pc = load<i32>(ip, 4); break;
      case 0x65: if (<i64>reg(d) > load<i64>(ip, 8)) pc = load<i32>(ip, 4); break;
      case 0x6d: if (<i64>reg(d) > <i64>reg(s)) pc = load<i32>(ip, 4); break;
      case 0x75: if (<i64>reg(d) >= load<i64>(ip, 8)) pc = load<i32>(ip, 4); break;
      case 0x7d: if (<i64>reg(d) >= <i64>reg(s)) pc = load<i32>(ip, 4); break;
      case 0xa5: if (reg(d) < load<u64>(ip, 8)) pc = load<i32>(ip, 4); break;
      case 0xad: if (reg(d) < reg(s)) pc = load<i32>(ip, 4); break;
      case 0xb5: if (reg(d) <= load<u64>(ip, 8)) pc = load<i32>(ip, 4); break;
      case 0xbd: if (reg(d) <= reg(s)) pc = load<i32>(ip, 4); break;
      case 0xc5: if (<i64>reg(d) < load<i64>(ip, 8)) pc = load<i32>(ip, 4); break;
      case 0xcd: if (<i64>reg(d) < <i64>reg(s)) pc = load<i32>(ip, 4); break;
      case 0xd5: if (<i64>reg(d) <= load<i64>(ip, 8)) pc = load<i32>(ip, 4); break;
      case 0xdd: if (<i64>reg(d) <= <i64>reg(s)) pc = load<i32>(ip, 4); break;

      // ---- JMP32 (class 6): compare the low 32 bits ----
      case 0x06: pc = load<i32>(ip, 4); break;
      case 0x16: if (<u32>reg(d) == load<u32>(ip, 8)) pc = load<i32>(ip, 4); break;
      case 0x1e: if (<u32>reg(d) == <u32>reg(s)) pc = load<i32>(ip, 4); break;
      case 0x26: if (<u32>reg(d) > load<u32>(ip, 8)) pc = load<i32>(ip, 4); break;
      case 0x2e: if (<u32>reg(d) > <u32>reg(s)) pc = load<i32>(ip, 4); break;
      case 0x36: if (<u32>reg(d) >= load<u32>(ip, 8)) pc = load<i32>(ip, 4); break;
      case 0x3e: if (<u32>reg(d) >= <u32>reg(s)) pc = load<i32>(ip, 4); break;
      case 0x46: if ((<u32>reg(d) & load<u32>(ip, 8)) != 0) pc = load<i32>(ip, 4); break;
      case 0x4e: if ((<u32>reg(d) & <u32>reg(s)) != 0) pc = load<i32>(ip, 4); break;
      case 0x56: if (<u32>reg(d) != load<u32>(ip, 8)) pc = load<i32>(ip, 4); break;
      case 0x5e: if (<u32>reg(d) != <u32>reg(s)) pc = load<i32>(ip, 4); break;
      case 0x66: if (<i32>reg(d) > load<i32>(ip, 8)) pc = load<i32>(ip, 4); break;
      case 0x6e: if (<i32>reg(d) > <i32>reg(s)) pc = load<i32>(ip, 4); break;
      case 0x76: if (<i32>reg(d) >= load<i32>(ip, 8)) pc = load<i32>(ip, 4); break;
      case 0x7e: if (<i32>reg(d) >= <i32>reg(s)) pc = load<i32>(ip, 4); break;
      case 0xa6: if (<u32>reg(d) < load<u32>(ip, 8)) pc = load<i32>(ip, 4); break;
      case 0xae: if (<u32>reg(d) < <u32>reg(s)) pc = load<i32>(ip, 4); break;
      case 0xb6: if (<u32>reg(d) <= load<u32>(ip, 8)) pc = load<i32>(ip, 4); break;
      case 0xbe: if (<u32>reg(d) <= <u32>reg(s)) pc = load<i32>(ip, 4); break;
      case 0xc6: if (<i32>reg(d) < load<i32>(ip, 8)) pc = load<i32>(ip, 4); break;
      case 0xce: if (<i32>reg(d) < <i32>reg(s)) pc = load<i32>(ip, 4); break;
      case 0xd6: if (<i32>reg(d) <= load<i32>(ip, 8)) pc = load<i32>(ip, 4); break;
      case 0xde: if (<i32>reg(d) <= <i32>reg(s)) pc = load<i32>(ip, 4); break;

      // ---- Calls and exit ----
      case 0x85: {
        if (load<u8>(ip, 3) == 0) {
          // helper call: aux holds the helper id
          const id = load<i32>(ip, 4);
          // The helper may charge fuel for its own work (HelperCall.charge): hand it the budget.
          store<i64>(STATUS + ST_FUEL, fuel);
          const rc = callHelper(id, pc - 1);
          fuel = load<i64>(STATUS + ST_FUEL);
          if (rc != 0) {
            store<i32>(STATUS + ST_ARG, id);
            return fault(rc, pc - 1, fuel);
          }
          break;
        }
        // local call (src = 1): save the return pc and the callee-saved r6..r9 and r10
        if (depth >= MAX_DEPTH) {
          store<i32>(STATUS + ST_DEPTH, depth);
          return fault(E_DEPTH, pc - 1, fuel);
        }
        const f = FRAMES + <usize>depth * FRAME_BYTES;
        store<i32>(f, pc);
        store<u64>(f, reg(48), 8);
        store<u64>(f, reg(56), 16);
        store<u64>(f, reg(64), 24);
        store<u64>(f, reg(72), 32);
        store<u64>(f, reg(80), 40);
        setReg(80, reg(80) - frame);
        depth++;
        pc = load<i32>(ip, 4);
        break;
      }
      case 0x8d: {
        // callx: the helper id is the value of the register in dst (bpf_conformance's encoding)
        const v = reg(d);
        const id: i32 = v > 0x7fffffff ? -1 : <i32>v;
        store<i64>(STATUS + ST_FUEL, fuel);
        const rc = callHelper(id, pc - 1);
        fuel = load<i64>(STATUS + ST_FUEL);
        if (rc != 0) {
          store<i32>(STATUS + ST_ARG, id);
          return fault(rc, pc - 1, fuel);
        }
        break;
      }
      case 0x95: {
        if (depth == 0) {
          store<i32>(STATUS + ST_CODE, OK);
          store<i64>(STATUS + ST_FUEL, fuel);
          store<i32>(STATUS + ST_DEPTH, 0);
          return OK;
        }
        depth--;
        const f = FRAMES + <usize>depth * FRAME_BYTES;
        pc = load<i32>(f);
        setReg(48, load<u64>(f, 8));
        setReg(56, load<u64>(f, 16));
        setReg(64, load<u64>(f, 24));
        setReg(72, load<u64>(f, 32));
        setReg(80, load<u64>(f, 40));
        break;
      }
      case 0x00: return fault(E_BAD_PC, pc - 1, fuel);
      default: return fault(E_BAD_OP, pc - 1, fuel);
    }
  }
  return OK;
}
