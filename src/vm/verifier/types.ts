/**
 * The verifier's public types: policies, options, helper signatures, and the result with its
 * rejections. Kept apart from the analysis so the plugin ABI (src/plugins) and the CLI can name
 * them without pulling the analysis in.
 */
import type { Scalar } from './scalar.js';

/**
 * `strict`: everything is proven (plugins received from a peer); what cannot be proven is
 * rejected. `checked`: local plugins; only definite violations are rejected, and what is not
 * proven keeps its runtime check (fuel for loops, the region check for memory accesses).
 */
export type Policy = 'strict' | 'checked';

/**
 * How r1 (and r2) are set on entry. `pluglet`: r1 is the opaque connection handle (PQUIC's
 * pluglet convention). `mem`: r1 points to a buffer of r2 bytes (uBPF's convention).
 */
export type CtxKind = 'pluglet' | 'mem';

/**
 * One argument of a helper (r1..r5).
 * - `scalar`: any number; a pointer is refused under strict (it would leak an address).
 * - `value`: a u64 stored by the host (set_* values): a pointer is a leak under strict.
 * - `handle`: an opaque handle of the given kind; the host checks it, so a scalar is accepted,
 *   a pointer never.
 * - `mem`: a pointer to `access` bytes of program memory whose length is argument `len` (1-based
 *   register number) times `scale`, or the constant `size`, never more than `cap` bytes (the
 *   host touches at most that many, whatever the length says); `nullable` accepts NULL (when the
 *   length is 0); `unsized`: the host decides the length (only the pointer can be checked),
 *   unless `keysArg` names a comma-separated key list that is a constant of read-only data:
 *   then the length is `size` bytes per key (pquic_qlog_values); `records`: the bytes are
 *   records holding a value the host keeps for the plugin (reserve_frames' frame_ctx); `fillArg`:
 *   the host writes the byte in that register (1-based) over every byte (my_memset).
 * - `cstring`: a pointer to a NUL-terminated string the host reads.
 * - `heap_or_null`: a block from my_malloc, or NULL (my_free, my_realloc).
 * - `any`: anything initialized, addresses included (pquic_log's values: %s takes a pointer).
 * - `kept`: a u64 the host keeps for the plugin and gives back only to the same plugin instance
 *   (metadata slots, the frame structure parse_frame outputs), never interpreting it: a heap
 *   pointer there is no leak, a stack pointer still is (kept.ts). `keyArg` is the register
 *   holding the slot (or output) index; `store` names the slots.
 */
export type ArgSpec =
  | { kind: 'scalar' }
  | { kind: 'value' }
  | { kind: 'handle'; handle: string }
  | { kind: 'mem'; access: 'read' | 'write'; len?: number; scale?: number; size?: number; cap?: number; maxLen?: number; nullable?: boolean; unsized?: boolean; keysArg?: number; records?: KeptRecords; fillArg?: number }
  | { kind: 'cstring' }
  | { kind: 'heap_or_null' }
  | { kind: 'any' }
  | { kind: 'kept'; store: KeptStore; keyArg: number };

/**
 * Records of `stride` bytes read by the host, each with a u64 it keeps for the plugin at
 * `valueOff` under the frame type at `typeOff` (reserve_frame_slot_t: frame_ctx, handed back to
 * write_frame and notify_frame of that type): a heap pointer there is no leak, a stack pointer is.
 */
export interface KeptRecords {
  stride: number;
  typeOff: number;
  valueOff: number;
}

/**
 * The slots the host keeps values in for one plugin instance: its metadata by object kind, and
 * `output`, the outputs of the running pluglet (parse_frame's output 0 is the frame structure
 * the host hands back to the plugin's process_frame).
 */
export type KeptStore = 'cnx_metadata' | 'path_metadata' | 'pkt_ctx_metadata' | 'pkt_metadata' | 'output';

/**
 * What a kept slot may hold, over every pluglet of a plugin (the plugin-wide summary): only its
 * initial 0 (`null`), a heap block with at least `size` accessible bytes or NULL (`heap`), or
 * anything (`number`). `nonNull`: never NULL, for values with no initial 0 (reserve_frames'
 * frame_ctx: write_frame and notify_frame run only for a reservation).
 */
export type KeptFact = { kind: 'null' } | { kind: 'heap'; size: bigint; nonNull?: true; sites?: readonly number[] } | { kind: 'number' };

/**
 * The allocation sites a heap pointer's block may be of (sorted, at most MAX_SITES, state.ts), its offset
 * counted from the block's start; or null: any site, and maybe not from a block's start (a
 * pointer into a block kept and read back). A site is an allocating call (cells.ts).
 */
export type Sites = readonly number[] | null;

/**
 * What a field of heap memory may hold (cells.ts): a kept value's facts (`heap` with the block's
 * allocation `sites` when known), or a number in range `s`; `within` = w: every value but 0 is at
 * most the size of the block that holds it minus w (len-fields.ts).
 */
export type CellFact = KeptFact | { kind: 'scalar'; s: Scalar; within?: bigint };

/**
 * One write into heap memory, relative to the start of blocks of allocation site `site` (-1: a
 * block of any site). `store`: `width` bytes at an offset in [lo, hi], all congruent to `res`
 * modulo `mod` (a power of two: the offset's low bits known; 1 when none is), holding `fact`. `zero`: the bytes [lo, hi) set to 0.
 * `poison`: the bytes [lo, hi) set to anything.
 */
export interface HeapWrite {
  kind: 'store' | 'zero' | 'poison';
  site: number;
  lo: bigint;
  hi: bigint;
  width: number;
  mod: number;
  res: number;
  fact: CellFact;
}

/** The plugin-wide summary of heap writes a pluglet's loads are typed with (cells.ts). */
export interface HeapCells {
  /** What a load of `width` bytes at an offset in [lo, hi] (congruent to res modulo mod) of a block of one of `sites` reads. */
  read(sites: Sites, lo: bigint, hi: bigint, width: number, mod: number, res: number): CellFact;
  /** Whether bytes [lo, hi) of a block of one of `sites` may hold an address. */
  holdsPointer(sites: Sites, lo: bigint, hi: bigint): boolean;
}

/** The heap side of plugin-wide verification (src/plugins/verify-plugin.ts). */
export interface HeapOptions {
  /** This object's allocation sites are siteBase + the pc of the allocating call. */
  siteBase: number;
  /** Types loads from heap memory; absent: they read numbers. */
  cells?: HeapCells;
  /** Called with every write into heap memory. */
  record?: (w: HeapWrite) => void;
  /** Called when the program allocates or accesses heap memory (it needs the typed pass). */
  touch?: () => void;
}

/** The plugin-wide view of kept slots for one pluglet (src/plugins/verify-plugin.ts builds it). */
export interface KeptOptions {
  /** Facts by key (`${store}:${index}`, `${store}:*` for writes at an unknown index, `frame:T`). */
  summary?: ReadonlyMap<string, KeptFact>;
  /** Called with every value written to a kept slot: the first pass builds the summary from it. */
  record?: (key: string, fact: KeptFact) => void;
  /**
   * Called with the keys every read consults (`${store}:` for a read at an unknown index: any
   * slot of the store): a pluglet that reads no slot holding a heap block needs no second pass.
   */
  read?: (key: string) => void;
  /** Keys output i of this pluglet is kept under (parse_frame: output 0, the frame); none: the host reads it. */
  outputKeys?: readonly (readonly string[] | undefined)[];
  /** Keys input i reads back (process_frame: input 0, a frame this plugin parsed). */
  inputKeys?: readonly (readonly string[] | undefined)[];
}

/** What a helper leaves in r0. */
export type RetSpec =
  /**
   * A number; at most `max`, and at most `args[atMostArg]`, when the host guarantees it
   * (picoquic_varint_*: the bytes of one varint, never more than the room it was given).
   */
  | { kind: 'scalar'; max?: number; atMostArg?: number }
  /**
   * Input `args[indexArg]` of the running operation when `args[keyArg]` is the constant `key`
   * (get_cnx(cnx, AK_CNX_INPUT, i)): typed by VerifyOptions.inputs, a number otherwise.
   */
  | { kind: 'input'; keyArg: number; key: number; indexArg: number }
  | { kind: 'void' }
  /**
   * A heap block of at least argument `sizeArg` bytes, or NULL (my_malloc, my_realloc).
   * `copies`: its bytes start as a copy of another block's (my_realloc), not zeroed.
   */
  | { kind: 'heap_or_null'; sizeArg: number; copies?: true }
  /** The value kept in slot `args[keyArg]` of `store`: typed by VerifyOptions.kept.summary, a number otherwise. */
  | { kind: 'kept'; store: KeptStore; keyArg: number };

export interface HelperSignature {
  name: string;
  args: ArgSpec[];
  ret: RetSpec;
}

/**
 * One input of the operation a pluglet implements (what the host's `input` helper returns):
 * a plain number, the start or the end of the buffer the host grants for the call, or its
 * length. The granted buffer is the `mem` context's buffer, so accesses to it are proven the
 * same way (reference/pquic.md §2.3: parse_frame gets (bytes, bytes_max, type), ...).
 */
export type InputKind = 'scalar' | 'buffer' | 'buffer_end' | 'buffer_len';

export interface VerifyOptions {
  policy?: Policy;
  ctx?: CtxKind;
  /** Types of the operation's inputs, by index (pluglets). */
  inputs?: readonly InputKind[];
  /** Bounds of the granted buffer's length when `inputs` has one (default [0, 2^32 - 1]). */
  bufferLen?: readonly [number, number];
  /**
   * r0 may be a pointer into the granted buffer (or NULL): parse_frame returns where the frame
   * ends. The host granted that buffer, so its address tells it nothing.
   */
  returnsBufferPointer?: boolean;
  /** Kept slots: the plugin-wide summary that types the values read back (kept.ts). */
  kept?: KeptOptions;
  /** Heap memory: allocation sites and the summary of what its fields hold (cells.ts). */
  heap?: HeapOptions;
  /** Signature of a helper id; a call to an id without one is rejected. */
  helper: (id: number) => HelperSignature | undefined;
  /** Helper id of a name, for ELF calls resolved by name at load. */
  helperId?: (name: string) => number | undefined;
  /** Stack bytes per frame (the kernel's MAX_BPF_STACK, link.ts' frameSize). */
  frameSize?: number;
  /** Local calls nest at most this deep. */
  maxCallDepth?: number;
  /** strict: the largest iteration bound accepted for one loop. */
  maxLoopIterations?: number;
  /** Give up (reject as too complex) after this many instructions analysed. */
  maxSteps?: number;
}

/** Stable reason codes of a rejection; tests and tools match on these, people read the message. */
export type ReasonCode =
  | 'BAD_PROGRAM' // length, unknown opcode, reserved fields, registers: the structural checks
  | 'BAD_JUMP' // outside the program or function, or into the second half of an lddw
  | 'FALL_THROUGH'
  | 'UNREACHABLE'
  | 'R10_WRITE'
  | 'UNKNOWN_HELPER'
  | 'RECURSION'
  | 'CALL_DEPTH'
  | 'STACK_FRAME'
  | 'UNINIT_REG'
  | 'UNINIT_STACK'
  | 'OUT_OF_BOUNDS'
  | 'READ_ONLY'
  | 'HANDLE_DEREF'
  | 'NULL_DEREF'
  | 'SCALAR_DEREF'
  | 'BAD_POINTER_ARITH'
  | 'BAD_POINTER_COMPARE'
  | 'HELPER_ARG'
  | 'POINTER_LEAK'
  | 'DIV_BY_ZERO'
  | 'UNBOUNDED_LOOP'
  | 'INFINITE_LOOP'
  | 'TOO_COMPLEX'
  | 'INTERNAL'; // the verifier itself failed: the program is refused (fail closed), and it is a bug to report

/** One step of the path that led to a rejection: an instruction and the state before it. */
export interface TraceStep {
  pc: number;
  insn: string;
  state: string;
}

export interface Rejection {
  code: ReasonCode;
  pc: number;
  /** The disassembled instruction at pc. */
  insn: string;
  reason: string;
  /** The abstract state before the instruction (register types and ranges). */
  state: string;
  /** The last instructions of a path from the entry to pc, with their states. */
  trace: TraceStep[];
}

export interface VerifyResult {
  ok: boolean;
  policy: Policy;
  /** Every rejection found (sorted by pc); ok is false when there is at least one. */
  errors: Rejection[];
  /**
   * Memory accesses (loads, stores, atomics) proven inside their region on every path, by pc:
   * the JIT may drop their runtime check. Accesses missing here keep it.
   */
  provenAccesses: Set<number>;
  /** Loops whose termination is not proven and is left to the fuel (checked), by loop head pc. */
  unboundedLoops: number[];
  /** Instructions analysed (the work the fixpoint did). */
  steps: number;
  /**
   * What the proofs assume of a run: the entry convention, the bounds of the context buffer's
   * length and the frame size. `provenAccesses` hold only for runs that honour them (the JIT
   * checks the `mem` convention at every exec, src/vm/jit/proofs.ts).
   */
  assumed: Assumptions;
}

export interface Assumptions {
  ctx: CtxKind;
  /** Bounds of the context buffer's length (mem: r2; pluglets: the granted input buffer). */
  bufferLen: readonly [number, number];
  frameSize: number;
}
