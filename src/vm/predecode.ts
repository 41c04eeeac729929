/**
 * Turns validated bytecode into the interpreter's fixed 16-byte records, so that the dispatch
 * loop never decodes bit fields, sign-extends or computes jump targets at run time:
 *
 *   byte 0  opcode
 *   byte 1  dst * 8 (byte offset of the register)   byte 2  src * 8
 *   byte 3  call kind (0 helper, 1 local) for CALL
 *   i32 @4  aux: absolute target pc (jumps, local calls), helper id (helper calls),
 *           the offset (stores, atomics, div/mod/movsx variants)
 *   i64 @8  imm: the sign-extended immediate; for loads the sign-extended offset; for lddw the
 *           whole 64-bit constant
 *
 * One extra record with opcode 0 follows the program, so running off the end faults. Targets are
 * absolute record indices: `base` is where the program's slot 0 lands in the code area, so
 * several programs can share one code area (link.ts).
 */
import { RECORD_BYTES } from './layout.js';
import { OP_LDDW, OPCODES, decodeInsn } from './isa.js';

export function predecode(code: Uint8Array, base = 0): Uint8Array {
  const n = code.length / 8;
  const out = new Uint8Array((n + 1) * RECORD_BYTES);
  const view = new DataView(out.buffer);
  for (let pc = 0; pc < n; pc++) {
    const insn = decodeInsn(code, pc);
    const o = pc * RECORD_BYTES;
    const info = OPCODES.get(insn.opcode);
    out[o] = insn.opcode;
    out[o + 1] = insn.dst * 8;
    out[o + 2] = insn.src * 8;
    let aux = insn.off;
    let imm = BigInt(insn.imm);
    switch (info?.kind) {
      case 'ja':
      case 'jcond':
        aux = base + pc + 1 + insn.off;
        break;
      case 'ja32':
        aux = base + pc + 1 + insn.imm;
        break;
      case 'call':
        out[o + 3] = insn.src;
        aux = insn.src === 1 ? base + pc + 1 + insn.imm : insn.imm;
        break;
      case 'ldx':
      case 'ldxs':
        imm = BigInt(insn.off);
        break;
      case 'ld_imm64': {
        const hi = decodeInsn(code, pc + 1).imm >>> 0;
        imm = (BigInt(hi) << 32n) | BigInt(insn.imm >>> 0);
        // The second slot keeps opcode 0: reaching it faults (validation forbids jumping there).
        view.setBigUint64(o + 8, imm, true);
        view.setInt32(o + 4, 0, true);
        pc++;
        continue;
      }
      default:
        break;
    }
    view.setInt32(o + 4, aux, true);
    view.setBigInt64(o + 8, imm, true);
  }
  return out;
}

/** True when the slot at pc is the second half of an lddw (for listings and error reports). */
export function isWideTail(code: Uint8Array, pc: number): boolean {
  for (let p = 0; p < pc; p++) {
    if (code[p * 8] === OP_LDDW) {
      if (p + 1 === pc) return true;
      p++;
    }
  }
  return false;
}
