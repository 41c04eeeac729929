/**
 * Issue 5's targets against uBPF's x86-64 JIT, steady state: at most 1.1x uBPF's time on
 * ALU-bound kernels and 1.5x on load/store loops with every check on. Which kind each kernel of
 * plugins-c/bench is, and why (its hot loop, per iteration, in the clang-built object).
 */
export type KernelKind = 'alu' | 'load/store';

export interface UbpfTarget {
  kind: KernelKind;
  /** Largest JIT / uBPF time ratio the issue accepts. */
  maxRatio: number;
  /** What the hot loop does, which decides the kind. */
  why: string;
}

const ALU = 1.1;
const LOAD_STORE = 1.5;

export const UBPF_TARGETS: Readonly<Record<string, UbpfTarget>> = {
  crc32: {
    kind: 'alu',
    maxRatio: ALU,
    why: 'one byte load, then two shift/mask/xor steps whose table reads are in-frame stack loads (never checked): a dependency chain',
  },
  fnv1a: { kind: 'alu', maxRatio: ALU, why: 'one byte load, then a xor and a 64-bit multiply: the multiplier\'s latency chain' },
  sieve: { kind: 'load/store', maxRatio: LOAD_STORE, why: 'read-modify-write of one u64 word of mem per strike' },
  xor_blocks: { kind: 'load/store', maxRatio: LOAD_STORE, why: 'two u64 loads and one store of mem per 8 bytes' },
  insertion_sort: { kind: 'load/store', maxRatio: LOAD_STORE, why: 'one u32 load and one store of mem per move' },
  varint: { kind: 'load/store', maxRatio: LOAD_STORE, why: 'byte stores (encoder) and byte loads (decoder) of mem, data-dependent branches' },
  matmul: { kind: 'load/store', maxRatio: LOAD_STORE, why: 'two u32 loads of mem per multiply-add' },
};

/** "met" / "not met" for a kernel's ratio, or "" for a kernel without a target. */
export function ubpfTargetLine(kernel: string, ratio: number): string {
  const t = UBPF_TARGETS[kernel];
  if (!t) return '';
  return `${ratio <= t.maxRatio ? 'met' : 'not met'} (≤ ${t.maxRatio}, ${t.kind})`;
}
