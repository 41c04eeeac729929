/**
 * TypeScript versions of the eBPF benchmark kernels in plugins-c/bench/*.c.
 *
 * Each function does the same work as its C twin on the same bytes: same algorithm, same writes
 * into `mem`, same u64 result (returned as a bigint). They are the reference that the VM's
 * results are checked against (test/vm/programs.test.ts) and the baseline it is timed against
 * (bench/vm.ts). They are written the way one writes fast JavaScript: 32-bit integer arithmetic
 * (`Math.imul`, `>>> 0`), typed-array views, 64-bit values as two 32-bit halves and no BigInt
 * inside loops, so that the VM/TS ratio compares the VM with what V8 does for plain code.
 *
 * Typed-array views need `mem.byteOffset` to be a multiple of 4 and a little-endian host, like
 * the eBPF kernels, which read little-endian words.
 */

const TWO32 = 4294967296;

/** A benchmark kernel: its eBPF object, its TypeScript twin and its benchmark input. */
export interface Kernel {
  /** Name of the C file in plugins-c/bench/ (without .c) and of its entry function. */
  name: string;
  /** What one run does on the benchmark input. */
  description: string;
  /** The TypeScript version: mutates mem like the eBPF kernel and returns its r0. */
  run(mem: Uint8Array): bigint;
  /** The benchmark input, from a seeded generator: the same bytes on every call. */
  input(): Uint8Array;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function u32view(mem: Uint8Array, count: number): Uint32Array {
  if (!LITTLE_ENDIAN) throw new Error('bench kernels need a little-endian host');
  if (mem.byteOffset % 4 !== 0) throw new Error('bench kernels need mem.byteOffset to be a multiple of 4');
  return new Uint32Array(mem.buffer, mem.byteOffset, count);
}

function u64(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** `size` pseudo-random bytes from xorshift32 seeded with `seed` (non-zero). */
export function seededBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed | 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x >>> 24;
  }
  return out;
}

// ---- crc32.c ----

export function crc32(mem: Uint8Array): bigint {
  const table = new Uint32Array(16);
  for (let i = 0; i < 16; i++) {
    let c = i;
    for (let k = 0; k < 4; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    table[i] = c;
  }
  let crc = 0xffffffff;
  for (let i = 0; i < mem.length; i++) {
    crc ^= mem[i]!;
    crc = (crc >>> 4) ^ table[crc & 15]!;
    crc = (crc >>> 4) ^ table[crc & 15]!;
  }
  return BigInt((crc ^ 0xffffffff) >>> 0);
}

// ---- fnv1a.c ----

export function fnv1a(mem: Uint8Array): bigint {
  // h = hi * 2^32 + lo, both int32. The prime is 2^40 + 0x1b3, so h * prime = h * 0x1b3 + (h << 40).
  // lo * 0x1b3 is formed from 16-bit halves so that every intermediate stays a small integer.
  let hi = 0xcbf29ce4 | 0;
  let lo = 0x84222325 | 0;
  for (let i = 0; i < mem.length; i++) {
    lo ^= mem[i]!;
    const t0 = (lo & 0xffff) * 0x1b3;
    const t1 = (lo >>> 16) * 0x1b3 + (t0 >>> 16);
    hi = (Math.imul(hi, 0x1b3) + (t1 >>> 16) + (lo << 8)) | 0;
    lo = (t1 << 16) | (t0 & 0xffff);
  }
  return u64(hi, lo);
}

// ---- sieve.c ----

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

export function sieve(mem: Uint8Array): bigint {
  const words = Math.floor(mem.length / 8);
  if (words === 0) return 0n;
  const n = words * 64;
  // The u64 word w is the u32 pair (2w, 2w + 1) on a little-endian host; bit m is bits[m >>> 5].
  const bits = u32view(mem, words * 2);
  // Multiples of 3 within a word, for the three values of w mod 3 (64 = 1 mod 3).
  const m3: number[] = [];
  for (let r = 0; r < 3; r++) {
    let lo = 0;
    let hi = 0;
    for (let b = 0; b < 32; b++) {
      if ((r + b) % 3 === 0) lo |= 1 << b;
      if ((r + b + 32) % 3 === 0) hi |= 1 << b;
    }
    m3.push(lo, hi);
  }
  const evens = 0x55555555;
  for (let w = 0, r = 0; w < words; w++, r = r === 2 ? 0 : r + 1) {
    bits[2 * w] = evens | m3[2 * r]!;
    bits[2 * w + 1] = evens | m3[2 * r + 1]!;
  }
  bits[0] = (bits[0]! | 3) & ~12;
  for (let p = 5; p * p < n; p += 2) {
    if (bits[p >>> 5]! & (1 << (p & 31))) continue;
    for (let m = p * p; m < n; m += 2 * p) bits[m >>> 5]! |= 1 << (m & 31);
  }
  let count = 0;
  for (let i = 0; i < words * 2; i++) count += popcount32(~bits[i]!);
  return BigInt(count);
}

// ---- xor_blocks.c ----

const BLOCK = 1200;

export function xorBlocks(mem: Uint8Array): bigint {
  const k = Math.floor(mem.length / BLOCK);
  if (k === 0) return 0n;
  const words = u32view(mem, (k * BLOCK) / 4);
  const per = BLOCK / 4;
  for (let b = 1; b < k; b++) {
    const base = b * per;
    for (let i = 0; i < per; i++) words[i]! ^= words[base + i]!;
  }
  // c = c * 31 + word (mod 2^64) over the 150 u64 words of block 0, from c = k.
  let hi = 0;
  let lo = k;
  for (let i = 0; i < per; i += 2) {
    const t = lo * 31 + words[i]!; // < 2^37: exact
    const tLo = t >>> 0;
    hi = (Math.imul(hi, 31) + words[i + 1]! + (t - tLo) / TWO32) >>> 0;
    lo = tLo;
  }
  return u64(hi, lo);
}

// ---- insertion_sort.c ----

export function insertionSort(mem: Uint8Array): bigint {
  const n = Math.floor(mem.length / 4);
  const a = u32view(mem, n);
  for (let i = 1; i < n; i++) {
    const v = a[i]!;
    let j = i;
    while (j > 0 && a[j - 1]! > v) {
      a[j] = a[j - 1]!;
      j--;
    }
    a[j] = v;
  }
  // c = c * 31 + a[i] (mod 2^64), from c = n.
  let hi = 0;
  let lo = n;
  for (let i = 0; i < n; i++) {
    const t = lo * 31 + a[i]!;
    const tLo = t >>> 0;
    hi = (Math.imul(hi, 31) + (t - tLo) / TWO32) >>> 0;
    lo = tLo;
  }
  return u64(hi, lo);
}

// ---- varint.c ----

export function varint(mem: Uint8Array): bigint {
  const len = mem.length;
  let x = 0x9e3779b9 | 0;
  let pos = 0;
  let count = 0;
  // 64-bit sums as (hi, lo) halves; xors likewise.
  let sumHi = 0;
  let sumLo = 0;
  let xorHi = 0;
  let xorLo = 0;
  while (pos + 8 <= len) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const cls = x >>> 30;
    let vHi = 0;
    let vLo: number;
    if (cls === 0) {
      vLo = x & 0x3f;
      mem[pos] = vLo;
      pos += 1;
    } else if (cls === 1) {
      vLo = x & 0x3fff;
      mem[pos] = 0x40 | (vLo >>> 8);
      mem[pos + 1] = vLo;
      pos += 2;
    } else if (cls === 2) {
      vLo = x & 0x3fffffff;
      mem[pos] = 0x80 | (vLo >>> 24);
      mem[pos + 1] = vLo >>> 16;
      mem[pos + 2] = vLo >>> 8;
      mem[pos + 3] = vLo;
      pos += 4;
    } else {
      vHi = x & 0x3fffffff;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      vLo = x >>> 0;
      mem[pos] = 0xc0 | (vHi >>> 24);
      mem[pos + 1] = vHi >>> 16;
      mem[pos + 2] = vHi >>> 8;
      mem[pos + 3] = vHi;
      mem[pos + 4] = vLo >>> 24;
      mem[pos + 5] = vLo >>> 16;
      mem[pos + 6] = vLo >>> 8;
      mem[pos + 7] = vLo;
      pos += 8;
    }
    sumLo += vLo;
    if (sumLo >= TWO32) {
      sumLo -= TWO32;
      sumHi++;
    }
    sumHi = (sumHi + vHi) >>> 0;
    xorHi ^= vHi;
    xorLo ^= vLo;
    count++;
  }

  const end = pos;
  let outHi = 0;
  let outLo = 0;
  let outXorHi = 0;
  let outXorLo = 0;
  pos = 0;
  for (let i = 0; i < count && pos < end; i++) {
    const first = mem[pos]!;
    const n = 1 << (first >>> 6);
    let vHi = 0;
    let vLo = first & 0x3f;
    if (n < 8) {
      for (let k = 1; k < n; k++) vLo = vLo * 256 + mem[pos + k]!;
    } else {
      vHi = (vLo << 24) | (mem[pos + 1]! << 16) | (mem[pos + 2]! << 8) | mem[pos + 3]!;
      vLo = ((mem[pos + 4]! << 24) | (mem[pos + 5]! << 16) | (mem[pos + 6]! << 8) | mem[pos + 7]!) >>> 0;
    }
    pos += n;
    outLo += vLo;
    if (outLo >= TWO32) {
      outLo -= TWO32;
      outHi++;
    }
    outHi = (outHi + vHi) >>> 0;
    outXorHi ^= vHi;
    outXorLo ^= vLo;
  }
  if (outHi !== sumHi || outLo !== sumLo || outXorHi !== xorHi || outXorLo !== xorLo) return 0n;
  // + (count << 48): count < 2^32, so it adds count << 16 to the high half (mod 2^32).
  return u64((outHi + (count << 16)) >>> 0, outLo);
}

// ---- matmul.c ----

export function matmul(mem: Uint8Array): bigint {
  let n = 0;
  while (3 * (n + 1) * (n + 1) * 4 <= mem.length) n++;
  const nn = n * n;
  const m = u32view(mem, 3 * nn);
  const a = 0;
  const b = nn;
  const c = 2 * nn;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s = (s + Math.imul(m[a + i * n + k]!, m[b + k * n + j]!)) | 0;
      m[c + i * n + j] = s;
    }
  }
  let h = n;
  for (let i = 0; i < nn; i++) h = (Math.imul(h, 31) + m[c + i]!) | 0;
  return BigInt(h >>> 0);
}

// ---- the benchmark set ----

export const KERNELS: readonly Kernel[] = [
  {
    name: 'crc32',
    description: 'CRC-32 of 64 KiB',
    run: crc32,
    input: () => seededBytes(64 * 1024, 0x1234567),
  },
  {
    name: 'fnv1a',
    description: 'FNV-1a 64 of 64 KiB',
    run: fnv1a,
    input: () => seededBytes(64 * 1024, 0x2345678),
  },
  {
    name: 'sieve',
    description: 'primes below 2^19 (64 KiB bit array)',
    run: sieve,
    input: () => new Uint8Array(64 * 1024),
  },
  {
    name: 'xor_blocks',
    description: 'XOR of 64 blocks of 1200 B',
    run: xorBlocks,
    input: () => seededBytes(64 * BLOCK, 0x3456789),
  },
  {
    name: 'insertion_sort',
    description: 'insertion sort of 1024 u32',
    run: insertionSort,
    input: () => seededBytes(1024 * 4, 0x456789a),
  },
  {
    name: 'varint',
    description: 'QUIC varints: encode + decode 64 KiB',
    run: varint,
    input: () => new Uint8Array(64 * 1024),
  },
  {
    name: 'matmul',
    description: '32x32 u32 matrix product',
    run: matmul,
    input: () => seededBytes(3 * 32 * 32 * 4, 0x56789ab),
  },
];
