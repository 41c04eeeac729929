/**
 * The linear-memory layout shared by the WebAssembly interpreter core (assembly/interpreter.ts)
 * and the TypeScript host. Keep both files in sync.
 *
 * Addresses below CODE are the core's own state and never part of a region, so a NULL or small
 * pointer always faults. eBPF addresses are linear-memory offsets (identity mapping), valid only
 * inside a region of the region table.
 */
export const REGS = 0x100;
export const STATUS = 0x180;
export const FRAMES = 0x200;
/** Bytes per call frame in FRAMES: return pc (i32, padded to 8), r6..r9, r10. */
export const FRAME_BYTES = 48;
export const REGION_COUNT = 0x3f0;
export const REGION_TABLE = 0x400;
export const REGION_BYTES = 72;
export const MAX_REGIONS = 16;
export const CODE = 0x1000;
/** Bytes per pre-decoded instruction record. */
export const RECORD_BYTES = 16;

// Status block fields (offsets from STATUS).
export const ST_CODE = 0;
export const ST_PC = 4;
export const ST_ADDR = 8;
export const ST_SIZE = 16;
export const ST_WRITE = 20;
export const ST_FUEL = 24;
export const ST_DEPTH = 32;
export const ST_ARG = 36;
export const ST_FRAME = 40;

// Result codes of run().
export const RESULT_OK = 0;
export const RESULT_OOB = 1;
export const RESULT_FUEL = 2;
export const RESULT_DEPTH = 3;
export const RESULT_HELPER = 4;
export const RESULT_BAD_PC = 5;
export const RESULT_BAD_OP = 6;
export const RESULT_UNKNOWN_HELPER = 7;
/**
 * Not a result of run(): the JIT's code returns it when the fuel left cannot pay for a whole basic
 * block. The registers, pc (ST_PC), fuel and call depth (ST_DEPTH) are in place, the callers'
 * frames in FRAMES, and the host continues with the interpreter's resume() (src/vm/jit/codegen.ts).
 */
export const RESULT_JIT_BAIL = 8;

/** Local calls nest at most this deep (uBPF's UBPF_MAX_CALL_DEPTH). */
export const MAX_CALL_DEPTH = 8;
/** Stack bytes per call frame (the kernel's MAX_BPF_STACK). */
export const STACK_FRAME_SIZE = 512;

export const PAGE = 65536;
