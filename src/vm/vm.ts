/**
 * The VM's host API, modelled on uBPF's small surface: create, register a helper by id and name,
 * load raw bytecode or an ELF object, exec with arguments and memory.
 *
 * Each Vm owns one WebAssembly.Memory holding the core's state, the pre-decoded program and the
 * program's regions: its stack, its data sections, its heap and the buffer granted for one exec.
 * The program can touch nothing else; helpers receive pointers that are checked the same way.
 *
 * 64-bit values cross the JS/Wasm boundary through the register block in linear memory, read
 * and written as two 32-bit halves, so a helper call allocates no BigInt unless the helper asks
 * for one (HelperCall.u64) or returns one.
 */
import { coreModule, type CoreExports } from './core.js';
import {
  MAX_CALL_DEPTH, MAX_REGIONS, PAGE, REGION_BYTES, REGION_COUNT, REGION_TABLE,
  REGS, RESULT_BAD_OP, RESULT_BAD_PC, RESULT_DEPTH, RESULT_FUEL, RESULT_HELPER, RESULT_OK, RESULT_OOB,
  RESULT_JIT_BAIL, RESULT_UNKNOWN_HELPER, STACK_FRAME_SIZE, STATUS, ST_ADDR, ST_ARG, ST_DEPTH, ST_FRAME, ST_FUEL,
  ST_PC, ST_SIZE, ST_WRITE,
} from './layout.js';
import { instantiateJit, jitModule, type JitEntry, type JitModule } from './jit/compile.js';
import { proofsHold, type JitProofs } from './jit/proofs.js';
import { ExecError, HelperFault, VmError } from './errors.js';
import { registerStandardHelpers, type StandardHelperOptions } from './helpers.js';
import { MAX_INSNS } from './isa.js';
import { rawImage, type ProgramImage } from './program.js';
import { linkPrograms, type LinkedImage, type LinkedProgram, type Region } from './link.js';
import { loadElf as parseElf } from './elf.js';
export type { Region } from './link.js';
import { disassembleInsn } from './disasm.js';

/** A helper's view of one call: its arguments r1..r5 and checked access to program memory. */
export interface HelperCall {
  readonly vm: Vm;
  /** pc of the calling instruction. */
  readonly pc: number;
  /** Argument i (1..5) as an unsigned 64-bit bigint. */
  u64(i: number): bigint;
  /** Argument i as a signed 64-bit bigint. */
  i64(i: number): bigint;
  /** Low 32 bits of argument i, unsigned. */
  u32(i: number): number;
  /** Low 32 bits of argument i, signed. */
  i32(i: number): number;
  /** Argument i as a JS number: exact below 2^53. */
  num(i: number): number;
  /** [ptr, ptr+len) of program memory; throws unless it lies inside one region (writable if `write`). */
  bytes(ptr: number | bigint, len: number | bigint, write?: boolean): Uint8Array;
  /** The NUL-terminated string at ptr (at most `max` bytes), inside one region. */
  cstring(ptr: number | bigint, max?: number): string;
  /**
   * Charges `n` instructions of the running program's fuel for the helper's own work (copies,
   * walks), so that host time stays bounded by the budget. Throws a HelperFault, leaving no fuel,
   * when the budget cannot pay.
   */
  charge(n: number): void;
}

/** A helper returns r0 as a number (integers only; negative means two's complement) or a bigint. */
export type HelperFn = (call: HelperCall) => number | bigint | void;

/** Which engine runs the programs: the WebAssembly interpreter core, or the eBPF-to-Wasm JIT. */
export type Engine = 'interpreter' | 'jit';

export const ENGINES: readonly Engine[] = ['interpreter', 'jit'];

/** Parses an engine name (CLI flags, environment); throws a VmError naming the choices. */
export function parseEngine(name: string): Engine {
  if (name === 'interpreter' || name === 'jit') return name;
  throw new VmError('VM_STATE', `unknown engine '${name}' (expected ${ENGINES.join(' or ')})`);
}

export interface VmOptions {
  /** Engine: 'interpreter' (default) or 'jit' (src/vm/jit/, same results and errors). */
  engine?: Engine;
  /** Bytes of heap region (zeroed at load). Default 0. */
  heapSize?: number;
  /** Stack bytes per call frame. Default 512. */
  frameSize?: number;
  /** Maximum program slots. Default 65535. */
  maxInsns?: number;
}

export interface LoadOptions {
  /**
   * The verifier's proofs by program index (jit/proofs.ts, `programProofs(verifyProgram(...))`):
   * the JIT drops the checks of proven accesses. Ignored by the interpreter, which checks all.
   */
  proofs?: JitProofs;
}

export interface ExecOptions {
  /** Copied into a granted region for this call (and copied back after): r1 = its address, r2 = its length. */
  mem?: Uint8Array;
  /** r1..r5 when no mem is given (numbers must be integers; negative = two's complement). */
  args?: ArrayLike<bigint | number>;
  /** Instruction budget; exceeding it fails with FUEL_EXHAUSTED. Default: unlimited (2^53). */
  fuel?: number;
  /** Which installed program runs: index or name (default the first). */
  program?: number | string;
}

export interface ExecResult {
  r0: bigint;
  /** eBPF instructions executed. */
  instructions: number;
}


interface HelperEntry {
  id: number;
  name: string;
  fn: HelperFn;
}


const UNLIMITED_FUEL = 2 ** 53;
/** Placeholders until a program is loaded (the core runs only after a load). */
const EMPTY_MEMORY = { buffer: new ArrayBuffer(0), grow: () => 0 } as unknown as WebAssembly.Memory;
const notLoaded = (): never => {
  throw new VmError('VM_STATE', 'no program loaded');
};
const UNLOADED_CORE: CoreExports = { run: notLoaded, resume: notLoaded };
const TWO32 = 4294967296;

export class Vm implements HelperCall {
  private mem: WebAssembly.Memory;
  private core: CoreExports;
  private dv: DataView;
  private u8: Uint8Array;
  private readonly helpersById = new Map<number, HelperEntry>();
  private readonly helperIdsByName = new Map<string, number>();
  private linked: LinkedImage | undefined;
  private regions: Region[] = [];
  private readonly heapSize: number;
  private readonly frameSize: number;
  private readonly maxInsns: number;
  readonly engine: Engine;
  /** The JIT's entry per program index (engine 'jit'), compiled with the load's proofs if any. */
  private jitEntries: JitEntry[] = [];
  /** Verifier proofs the JIT module was compiled with (jit/proofs.ts), by program index. */
  private proofs: JitProofs | undefined;
  /** Entries of the module without proofs, for runs that break the proofs' entry convention. */
  private plainEntries: JitEntry[] | undefined;
  /** Whether `core` is instantiated: the JIT needs it only when it hands a run over. */
  private coreReady = false;
  private helperError: unknown;
  /** The error of the last exec, if it failed (uBPF's ubpf_get_error_msg); cleared by each exec. */
  lastError: ExecError | undefined;
  /** Grant size the region table was built for (-1: not built). */
  private tableMemLen = -1;
  private callPc = 0;

  constructor(opts: VmOptions = {}) {
    this.heapSize = opts.heapSize ?? 0;
    this.frameSize = opts.frameSize ?? STACK_FRAME_SIZE;
    this.maxInsns = opts.maxInsns ?? MAX_INSNS - 1;
    this.engine = opts.engine === undefined ? 'interpreter' : parseEngine(opts.engine);
    if (!Number.isInteger(this.heapSize) || this.heapSize < 0 || this.heapSize > 1 << 30) {
      throw new VmError('VM_STATE', `heapSize must be an integer in [0, 1 GiB], got ${opts.heapSize}`);
    }
    if (!Number.isInteger(this.frameSize) || this.frameSize < 16 || this.frameSize % 16 !== 0 || this.frameSize > 1 << 20) {
      throw new VmError('VM_STATE', `frameSize must be a multiple of 16 in [16, 1 MiB], got ${opts.frameSize}`);
    }
    // No memory until a program is loaded: it is then created at its final size (growing a
    // fresh memory page by page costs more than making it once, and plugins are instantiated
    // per connection).
    this.mem = EMPTY_MEMORY;
    this.core = UNLOADED_CORE;
    this.dv = new DataView(new ArrayBuffer(0));
    this.u8 = new Uint8Array(0);
  }

  /** The VM's linear memory (program memory and the core's state). */
  get memory(): WebAssembly.Memory {
    return this.mem;
  }

  private instantiate(memory: WebAssembly.Memory): CoreExports {
    const instance = new WebAssembly.Instance(coreModule(), {
      env: {
        memory,
        helper: (id: number, pc: number) => this.dispatchHelper(id, pc),
        abort: () => {
          throw new VmError('VM_STATE', 'interpreter core aborted');
        },
      },
    });
    return instance.exports as unknown as CoreExports;
  }

  // ---- helpers ----

  registerHelper(id: number, name: string, fn: HelperFn): void {
    if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) throw new VmError('VM_STATE', `helper id must be an integer in [0, 2^31), got ${id}`);
    if (this.linked) throw new VmError('VM_STATE', 'register helpers before loading a program');
    const old = this.helpersById.get(id);
    if (old) this.helperIdsByName.delete(old.name);
    this.helpersById.set(id, { id, name, fn });
    // PQUIC resolves a name to the first index registered with it.
    if (!this.helperIdsByName.has(name)) this.helperIdsByName.set(name, id);
  }

  /** Registers the standard helpers (src/vm/helpers.ts): memcpy, memset, strlen, memcmp, time, log. */
  registerStandardHelpers(opts: StandardHelperOptions = {}): void {
    registerStandardHelpers(this, opts);
  }

  helperName(id: number): string | undefined {
    return this.helpersById.get(id)?.name;
  }

  helperId(name: string): number | undefined {
    return this.helperIdsByName.get(name);
  }

  // ---- loading ----

  /** Loads raw bytecode (8 bytes per slot); helpers are called by id. */
  load(code: Uint8Array, opts: LoadOptions = {}): void {
    this.loadImage(rawImage(code), opts);
  }

  /** Loads a clang-built eBPF ELF object; `entry` names the function to run (default: offset 0 of .text). */
  loadElf(bytes: Uint8Array, opts: { entry?: string } = {}): void {
    this.loadImage(parseElf(bytes, { ...opts, maxInsns: this.maxInsns }));
  }

  /** `proofs`: the verifier's, for the JIT (see loadLinked). */
  loadImage(image: ProgramImage, opts: LoadOptions = {}): void {
    this.loadLinked(linkPrograms([{ name: 'main', image }], {
      helperId: (name) => this.helperIdsByName.get(name),
      isHelper: (id) => this.helpersById.has(id),
      heapSize: this.heapSize,
      frameSize: this.frameSize,
      maxInsns: this.maxInsns,
    }), opts);
  }

  /**
   * Installs programs linked once (link.ts) into this VM's own memory: the per-connection
   * instantiation of a plugin. The helper ids the image was linked against must be registered.
   */
  loadLinked(linked: LinkedImage, opts: LoadOptions = {}): void {
    if (this.linked) throw new VmError('VM_STATE', 'a program is already loaded in this VM');
    if (linked.frameSize !== this.frameSize) throw new VmError('VM_STATE', `image linked for ${linked.frameSize}-byte frames, VM has ${this.frameSize}`);
    // A fresh memory of the final size: it is zero-filled, so the heap needs no clearing.
    const pages = Math.ceil(linked.grantBase / PAGE);
    if (pages > 65536) throw new VmError('VM_STATE', `program memory would exceed 4 GiB (${linked.grantBase} bytes)`);
    this.mem = new WebAssembly.Memory({ initial: pages });
    if (this.engine === 'jit') {
      this.proofs = opts.proofs;
      this.plainEntries = undefined;
      this.jitEntries = instantiateJit(jitModule(linked, opts.proofs), this.mem, (id, pc) => this.dispatchHelper(id, pc));
      this.coreReady = false;
    } else {
      this.core = this.instantiate(this.mem);
      this.coreReady = true;
    }
    this.dv = new DataView(this.mem.buffer);
    this.u8 = new Uint8Array(this.mem.buffer);
    this.u8.set(linked.init, 0);
    this.linked = linked;
    this.tableMemLen = -1;
  }

  /** The JIT's compiled module of the loaded programs (engine 'jit'): sizes and timings. */
  get jit(): JitModule | undefined {
    return this.engine === 'jit' && this.linked ? jitModule(this.linked, this.proofs) : undefined;
  }

  /** The linked, helper-resolved bytecode of the first (or named) program. */
  get code(): Uint8Array {
    return this.programAt(0).code;
  }

  get program(): ProgramImage | undefined {
    return this.linked?.programs[0]?.image;
  }

  /** The programs installed in this VM (one, or a plugin's pluglets). */
  get programs(): readonly LinkedProgram[] {
    return this.linked?.programs ?? [];
  }

  /** Regions of the loaded programs (the grant region appears during exec only). */
  get layout(): { stack: Region; rodata: Region | undefined; data: Region | undefined; heap: Region | undefined } {
    const l = this.requireLoaded();
    return { stack: l.stack, rodata: l.rodata, data: l.data, heap: l.heap };
  }

  /** Entry pc (within its program) of a function of the first program, by name. */
  functionPc(name: string): number | undefined {
    return this.linked?.programs[0]?.image.functions.find((f) => f.name === name)?.pc;
  }

  private programAt(which: number | string): LinkedProgram {
    return this.requireLoaded().programs[this.programIndex(which)]!;
  }

  private programIndex(which: number | string): number {
    const l = this.requireLoaded();
    const i = typeof which === 'number' ? (Number.isInteger(which) && which >= 0 && which < l.programs.length ? which : -1) : l.programs.findIndex((x) => x.name === which);
    if (i < 0) throw new VmError('VM_STATE', `no program ${JSON.stringify(which)} in this VM`);
    return i;
  }

  /** The JIT module without proofs over this VM's memory, instantiated on first need. */
  private withAllChecks(): JitEntry[] {
    if (!this.plainEntries) this.plainEntries = instantiateJit(jitModule(this.linked!), this.mem, (id, pc) => this.dispatchHelper(id, pc));
    return this.plainEntries;
  }

  /** The interpreter core over this VM's memory, instantiated on first need with the JIT. */
  private interpreter(): CoreExports {
    if (!this.coreReady) {
      this.core = this.instantiate(this.mem);
      this.coreReady = true;
    }
    return this.core;
  }

  // ---- execution ----

  exec(opts: ExecOptions = {}): ExecResult {
    if (this.active === 0) return this.execOnce(opts);
    // A helper is running a program of this VM again (a plugin's pluglet calling another through
    // plugin_run_protoop): the core's registers, status, call frames and the stack belong to the
    // interrupted run. Save them and give them back whatever happens.
    const l = this.requireLoaded();
    const state = this.u8.slice(REGS, REGION_COUNT);
    const stack = this.u8.slice(l.stack.start, l.stack.start + l.stack.size);
    const memLen = this.tableMemLen;
    const grant = memLen > 0 ? this.u8.slice(l.grantBase, l.grantBase + memLen) : undefined;
    try {
      return this.execOnce(opts);
    } finally {
      this.u8.set(state, REGS);
      this.u8.set(stack, l.stack.start);
      if (grant) this.u8.set(grant, l.grantBase);
      if (this.tableMemLen !== memLen) this.buildRegions(l, memLen);
    }
  }

  /** Programs of this VM running now (nested through helpers). */
  private active = 0;

  private execOnce(opts: ExecOptions): ExecResult {
    const l = this.requireLoaded();
    const index = opts.program === undefined ? 0 : this.programIndex(opts.program);
    const prog = l.programs[index]!;
    const fuel = opts.fuel ?? UNLIMITED_FUEL;
    if (!(fuel >= 0) || !Number.isInteger(fuel) || fuel > UNLIMITED_FUEL) {
      throw new VmError('VM_STATE', `fuel must be a non-negative integer, got ${opts.fuel}`);
    }
    const mem = opts.mem;
    const memLen = mem ? mem.length : 0;
    if (memLen > 0) {
      this.ensureMemory(l.grantBase + memLen);
      this.u8.set(mem!, l.grantBase);
    }
    // The region table changes only with the size of the grant: rebuild it only then.
    if (memLen !== this.tableMemLen) this.buildRegions(l, memLen);

    // Registers: all zero but the arguments and the frame pointer (RFC 9669 leaves them undefined;
    // zero keeps runs deterministic).
    const dv = this.dv;
    this.u8.fill(0, REGS, REGS + 88);
    if (mem) {
      if (memLen > 0) this.setReg(1, l.grantBase);
      this.setReg(2, memLen);
    } else if (opts.args) {
      if (opts.args.length > 5) throw new VmError('VM_STATE', `at most 5 arguments, got ${opts.args.length}`);
      for (let i = 0; i < opts.args.length; i++) this.setReg(i + 1, opts.args[i]!);
    }
    this.setReg(10, l.stack.start + l.stack.size);
    dv.setUint32(STATUS + ST_FUEL, fuel >>> 0, true);
    dv.setUint32(STATUS + ST_FUEL + 4, Math.floor(fuel / TWO32), true);
    dv.setInt32(STATUS + ST_FRAME, this.frameSize, true);
    this.helperError = undefined;

    this.lastError = undefined;
    this.active++;
    let rc: number;
    try {
      if (this.engine === 'jit') {
        const proofs = this.proofs?.[index];
        // A run outside the convention the proofs assume takes the module that checks everything.
        const entries = proofs !== undefined && !proofsHold(proofs, mem ? memLen : -1) ? this.withAllChecks() : this.jitEntries;
        rc = entries[index]!();
        if (rc === RESULT_JIT_BAIL) rc = this.interpreter().resume(dv.getInt32(STATUS + ST_PC, true), dv.getInt32(STATUS + ST_DEPTH, true));
      } else {
        rc = this.core.run(prog.entry);
      }
    } catch (e) {
      // Neither engine traps by design (every access is checked, no division can trap): a Wasm
      // trap here is a bug of ours, reported as a VmError rather than a raw RuntimeError.
      if (e instanceof WebAssembly.RuntimeError) throw new VmError('VM_STATE', `the ${this.engine} trapped (a VM bug): ${e.message}`);
      throw e;
    } finally {
      this.active--;
    }
    // What is left is in [0, fuel]: never negative, so the halves read as unsigned.
    const left = dv.getUint32(STATUS + ST_FUEL + 4, true) * TWO32 + dv.getUint32(STATUS + ST_FUEL, true);
    if (memLen > 0) mem!.set(this.u8.subarray(l.grantBase, l.grantBase + memLen));
    if (rc !== RESULT_OK) {
      this.lastError = this.execError(rc, fuel);
      throw this.lastError;
    }
    const lo = dv.getUint32(REGS, true);
    const hi = dv.getUint32(REGS + 4, true);
    return { r0: hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo), instructions: fuel - left };
  }

  // ---- HelperCall, implemented by the Vm itself so a call allocates nothing ----

  get vm(): Vm {
    return this;
  }

  get pc(): number {
    return this.callPc;
  }

  u64(i: number): bigint {
    return this.dv.getBigUint64(REGS + i * 8, true);
  }

  i64(i: number): bigint {
    return this.dv.getBigInt64(REGS + i * 8, true);
  }

  u32(i: number): number {
    return this.dv.getUint32(REGS + i * 8, true);
  }

  i32(i: number): number {
    return this.dv.getInt32(REGS + i * 8, true);
  }

  num(i: number): number {
    return this.dv.getUint32(REGS + i * 8 + 4, true) * TWO32 + this.dv.getUint32(REGS + i * 8, true);
  }

  bytes(ptr: number | bigint, len: number | bigint, write = false): Uint8Array {
    const p = Number(ptr);
    const n = Number(len);
    const region = this.regionFor(p, n, write);
    if (!region) {
      const what = `${write ? 'writable ' : ''}buffer [0x${p.toString(16)}, +${n})`;
      throw new HelperFault(`${what} is not inside the program's memory${this.nearestText(p)}`, true);
    }
    return this.u8.subarray(p, p + n);
  }

  charge(n: number): void {
    if (!(n > 0)) return;
    const dv = this.dv;
    const left = dv.getUint32(STATUS + ST_FUEL + 4, true) * TWO32 + dv.getUint32(STATUS + ST_FUEL, true);
    const rest = left - Math.ceil(n);
    const v = rest < 0 ? 0 : rest;
    dv.setUint32(STATUS + ST_FUEL, v >>> 0, true);
    dv.setUint32(STATUS + ST_FUEL + 4, Math.floor(v / TWO32), true);
    if (rest < 0) throw new HelperFault(`instruction budget exhausted: this call costs ${Math.ceil(n)}, ${left} left`);
  }

  cstring(ptr: number | bigint, max = 4096): string {
    const p = Number(ptr);
    const region = this.regionFor(p, 1, false);
    if (!region) throw new HelperFault(`string at 0x${p.toString(16)} is not inside the program's memory${this.nearestText(p)}`, true);
    const end = Math.min(region.start + region.size, p + max);
    let q = p;
    while (q < end && this.u8[q] !== 0) q++;
    if (q === end) throw new HelperFault(`string at 0x${p.toString(16)} is not NUL-terminated within its region (or ${max} bytes)`, true);
    return new TextDecoder().decode(this.u8.subarray(p, q));
  }

  // ---- internals ----

  private requireLoaded(): LinkedImage {
    if (!this.linked) throw new VmError('VM_STATE', 'no program loaded');
    return this.linked;
  }

  private ensureMemory(bytes: number): void {
    const need = Math.ceil(bytes / PAGE);
    const have = this.mem.buffer.byteLength / PAGE;
    if (need > have) {
      if (need > 65536) throw new VmError('VM_STATE', `program memory would exceed 4 GiB (${bytes} bytes)`);
      this.mem.grow(need - have);
      this.dv = new DataView(this.mem.buffer);
      this.u8 = new Uint8Array(this.mem.buffer);
    }
  }

  private setReg(r: number, v: bigint | number): void {
    const at = REGS + r * 8;
    if (typeof v === 'bigint') {
      this.dv.setBigUint64(at, BigInt.asUintN(64, v), true);
    } else {
      if (!Number.isInteger(v)) throw new VmError('VM_STATE', `register value must be an integer, got ${v}`);
      this.dv.setUint32(at, v >>> 0, true);
      this.dv.setUint32(at + 4, Math.floor(v / TWO32) >>> 0, true);
    }
  }

  private buildRegions(l: LinkedImage, memLen: number): void {
    const regions: Region[] = [l.stack];
    if (memLen > 0) regions.push({ name: 'mem', start: l.grantBase, size: memLen, writable: true });
    if (l.data) regions.push(l.data);
    if (l.rodata) regions.push(l.rodata);
    if (l.heap) regions.push(l.heap);
    this.setRegions(regions);
    this.tableMemLen = memLen;
  }

  private setRegions(regions: Region[]): void {
    if (regions.length > MAX_REGIONS) throw new VmError('VM_STATE', `too many regions (${regions.length} > ${MAX_REGIONS})`);
    this.regions = regions;
    const dv = this.dv;
    for (let i = 0; i < MAX_REGIONS; i++) {
      const e = REGION_TABLE + i * REGION_BYTES;
      const r = regions[i];
      // An unused entry has all limits 0: `addr - lo < 0` never holds.
      dv.setBigUint64(e, BigInt(r ? r.start : 0), true);
      [1, 2, 4, 8].forEach((size, k) => {
        const lim = r && r.size >= size ? r.size - size + 1 : 0;
        dv.setBigUint64(e + 8 + k * 8, BigInt(lim), true);
        dv.setBigUint64(e + 40 + k * 8, BigInt(r && r.writable ? lim : 0), true);
      });
    }
    dv.setInt32(REGION_COUNT, regions.length, true);
  }

  private regionFor(p: number, n: number, write: boolean): Region | undefined {
    if (!Number.isSafeInteger(p) || !Number.isSafeInteger(n) || n < 0) return undefined;
    for (const r of this.regions) {
      if (p >= r.start && p + n <= r.start + r.size && (!write || r.writable)) return r;
    }
    return undefined;
  }

  private nearestText(addr: number): string {
    let best: Region | undefined;
    let bestDist = Infinity;
    for (const r of this.regions) {
      const dist = addr < r.start ? r.start - addr : addr >= r.start + r.size ? addr - (r.start + r.size - 1) : 0;
      if (dist < bestDist) {
        best = r;
        bestDist = dist;
      }
    }
    if (!best) return '';
    const range = `[0x${best.start.toString(16)}, 0x${(best.start + best.size).toString(16)})`;
    return bestDist === 0
      ? ` (region ${best.name} ${range}${best.writable ? '' : ', read-only'})`
      : ` (nearest region: ${best.name} ${range})`;
  }

  private dispatchHelper(id: number, pc: number): number {
    const h = id >= 0 ? this.helpersById.get(id) : undefined;
    if (!h) return RESULT_UNKNOWN_HELPER;
    this.callPc = pc;
    try {
      const r = h.fn(this);
      if (r !== undefined) this.setReg(0, r);
      else this.setReg(0, 0);
      return RESULT_OK;
    } catch (e) {
      this.helperError = e;
      return RESULT_HELPER;
    }
  }

  /** The program and relative pc of an absolute record index. */
  private locate(abs: number): { prog: LinkedProgram | undefined; pc: number } {
    for (const p of this.linked?.programs ?? []) if (abs >= p.base && abs <= p.base + p.length) return { prog: p, pc: abs - p.base };
    return { prog: undefined, pc: abs };
  }

  private execError(rc: number, fuel: number): ExecError {
    const dv = this.dv;
    const { prog, pc } = this.locate(dv.getInt32(STATUS + ST_PC, true));
    let insn = '?';
    try {
      if (prog && pc < prog.length) insn = disassembleInsn(prog.code, pc, { helperName: (id) => this.helperName(id) });
    } catch {
      insn = '?';
    }
    if (prog && (this.linked?.programs.length ?? 0) > 1) insn = `${prog.name}: ${insn}`;
    const where = `at PC ${pc} (${insn})`;
    switch (rc) {
      case RESULT_OOB: {
        const addr = dv.getBigUint64(STATUS + ST_ADDR, true);
        const size = dv.getInt32(STATUS + ST_SIZE, true);
        const write = dv.getInt32(STATUS + ST_WRITE, true) === 1;
        const region = addr < 2n ** 53n ? this.nearestText(Number(addr)) : '';
        return new ExecError(
          'OUT_OF_BOUNDS',
          `out of bounds memory ${write ? 'store' : 'load'} ${where}: address 0x${addr.toString(16)}, size ${size}${region}`,
          pc, insn,
        );
      }
      case RESULT_FUEL:
        return new ExecError('FUEL_EXHAUSTED', `instruction budget of ${fuel} exhausted ${where}`, pc, insn);
      case RESULT_DEPTH:
        return new ExecError('CALL_DEPTH', `number of nested function calls exceeds max (${MAX_CALL_DEPTH}) ${where}`, pc, insn);
      case RESULT_UNKNOWN_HELPER: {
        const id = dv.getInt32(STATUS + ST_ARG, true);
        return new ExecError('UNKNOWN_HELPER', `call to unregistered helper ${id} ${where}`, pc, insn);
      }
      case RESULT_HELPER: {
        const id = dv.getInt32(STATUS + ST_ARG, true);
        const e = this.helperError;
        const name = this.helperName(id) ?? String(id);
        const msg = e instanceof Error ? e.message : String(e);
        const code = e instanceof HelperFault && e.outOfBounds ? 'OUT_OF_BOUNDS' : 'HELPER_ERROR';
        return new ExecError(code, `helper ${name} failed ${where}: ${msg}`, pc, insn);
      }
      case RESULT_BAD_PC:
        return new ExecError('BAD_PC', `execution ran off the program or into an lddw half ${where}`, pc, insn);
      case RESULT_BAD_OP:
      default:
        return new ExecError('BAD_PC', `invalid instruction ${where}`, pc, insn);
    }
  }
}
