// ChaCha20-Poly1305 (RFC 8439) and ChaCha20 header protection (RFC 9001 §5.4.4), compiled by asc
// to build/aead.wasm. The JS wrapper (src/quic/crypto/wasm-aead-core.ts) writes keys, nonces and
// packet bytes into this module's memory at the fixed addresses below and calls the exports; no
// export allocates, and none branches on or indexes memory by secret data (key, keystream,
// plaintext, MAC state): ChaCha20 and Poly1305 are pure add/rotate/xor/multiply arithmetic, and the
// tag comparison folds every byte before looking at the result.
//
// ChaCha20 runs four blocks at once in Wasm SIMD (one i32x4 lane per block, RFC 8439 §2.3 state
// words in 16 vectors); Poly1305 (RFC 8439 §2.5) uses five 26-bit limbs so that every product of
// two limbs, summed five times, fits a u64, and absorbs runs of four blocks in four SIMD lanes.
//
// Measured per 1171-byte payload (one process, min of alternating runs, 2026-11-27): ChaCha20
// 0.84 µs, Poly1305 0.54 µs scalar and 0.50 µs in four lanes; the whole seal 1.46 µs.

// Fixed layout of the scratch area (byte addresses; asc's own static data starts at memoryBase,
// above all of these). The wrapper mirrors these numbers.
const KEY: usize = 64; //       32 bytes: the AEAD key, or the one-time key for poly1305()
const NONCE: usize = 96; //     12 bytes
const TAG: usize = 112; //      16 bytes: tag out of poly1305(), the expected tag inside open()
const HP_KEY: usize = 128; //   32 bytes: header protection key
const SAMPLE: usize = 160; //   16 bytes: header protection sample
const MASK: usize = 176; //     5 bytes of header protection mask out
const BLOCK: usize = 192; //    16 bytes: a zero-padded final Poly1305 block
const LENGTHS: usize = 208; //  16 bytes: le64(aad length) || le64(ciphertext length)
const POLY_KEY: usize = 256; // 64 bytes: keystream block 0 (its first 32 bytes are the MAC key)
const ZERO: usize = 224; //     16 bytes, never written: an all-zero Poly1305 block
const POWERS: usize = 320; //   160 bytes: limb k of r^4, r^3, r^2, r at POWERS + 16 k (4 x u32),
//                                 and 5 times limb k at POWERS + 80 + 16 k
const STREAM: usize = 512; //   256 bytes: keystream of four blocks

// "expand 32-byte k" (RFC 8439 §2.3).
const C0: u32 = 0x61707865;
const C1: u32 = 0x3320646e;
const C2: u32 = 0x79622d32;
const C3: u32 = 0x6b206574;

// ---------------------------------------------------------------------------------------------
// ChaCha20, one block at a time (header protection and the Poly1305 key, RFC 8439 §2.3, §2.6)
// ---------------------------------------------------------------------------------------------

/** Writes the 64-byte ChaCha20 block for (key, counter, nonce) at `out` (RFC 8439 §2.3). */
function block(key: usize, counter: u32, nonce: usize, out: usize): void {
  const k0 = load<u32>(key), k1 = load<u32>(key, 4), k2 = load<u32>(key, 8), k3 = load<u32>(key, 12);
  const k4 = load<u32>(key, 16), k5 = load<u32>(key, 20), k6 = load<u32>(key, 24), k7 = load<u32>(key, 28);
  const n0 = load<u32>(nonce), n1 = load<u32>(nonce, 4), n2 = load<u32>(nonce, 8);
  let x0 = C0, x1 = C1, x2 = C2, x3 = C3;
  let x4 = k0, x5 = k1, x6 = k2, x7 = k3, x8 = k4, x9 = k5, x10 = k6, x11 = k7;
  let x12 = counter, x13 = n0, x14 = n1, x15 = n2;
  for (let i = 0; i < 10; i++) {
    // Column round, then diagonal round: each line is one quarter round (RFC 8439 §2.1, §2.3).
    x0 += x4; x12 = rotl<u32>(x12 ^ x0, 16); x8 += x12; x4 = rotl<u32>(x4 ^ x8, 12); x0 += x4; x12 = rotl<u32>(x12 ^ x0, 8); x8 += x12; x4 = rotl<u32>(x4 ^ x8, 7);
    x1 += x5; x13 = rotl<u32>(x13 ^ x1, 16); x9 += x13; x5 = rotl<u32>(x5 ^ x9, 12); x1 += x5; x13 = rotl<u32>(x13 ^ x1, 8); x9 += x13; x5 = rotl<u32>(x5 ^ x9, 7);
    x2 += x6; x14 = rotl<u32>(x14 ^ x2, 16); x10 += x14; x6 = rotl<u32>(x6 ^ x10, 12); x2 += x6; x14 = rotl<u32>(x14 ^ x2, 8); x10 += x14; x6 = rotl<u32>(x6 ^ x10, 7);
    x3 += x7; x15 = rotl<u32>(x15 ^ x3, 16); x11 += x15; x7 = rotl<u32>(x7 ^ x11, 12); x3 += x7; x15 = rotl<u32>(x15 ^ x3, 8); x11 += x15; x7 = rotl<u32>(x7 ^ x11, 7);
    x0 += x5; x15 = rotl<u32>(x15 ^ x0, 16); x10 += x15; x5 = rotl<u32>(x5 ^ x10, 12); x0 += x5; x15 = rotl<u32>(x15 ^ x0, 8); x10 += x15; x5 = rotl<u32>(x5 ^ x10, 7);
    x1 += x6; x12 = rotl<u32>(x12 ^ x1, 16); x11 += x12; x6 = rotl<u32>(x6 ^ x11, 12); x1 += x6; x12 = rotl<u32>(x12 ^ x1, 8); x11 += x12; x6 = rotl<u32>(x6 ^ x11, 7);
    x2 += x7; x13 = rotl<u32>(x13 ^ x2, 16); x8 += x13; x7 = rotl<u32>(x7 ^ x8, 12); x2 += x7; x13 = rotl<u32>(x13 ^ x2, 8); x8 += x13; x7 = rotl<u32>(x7 ^ x8, 7);
    x3 += x4; x14 = rotl<u32>(x14 ^ x3, 16); x9 += x14; x4 = rotl<u32>(x4 ^ x9, 12); x3 += x4; x14 = rotl<u32>(x14 ^ x3, 8); x9 += x14; x4 = rotl<u32>(x4 ^ x9, 7);
  }
  // The block is the final state plus the initial state, serialized little-endian (§2.3).
  store<u32>(out, x0 + C0); store<u32>(out, x1 + C1, 4); store<u32>(out, x2 + C2, 8); store<u32>(out, x3 + C3, 12);
  store<u32>(out, x4 + k0, 16); store<u32>(out, x5 + k1, 20); store<u32>(out, x6 + k2, 24); store<u32>(out, x7 + k3, 28);
  store<u32>(out, x8 + k4, 32); store<u32>(out, x9 + k5, 36); store<u32>(out, x10 + k6, 40); store<u32>(out, x11 + k7, 44);
  store<u32>(out, x12 + counter, 48); store<u32>(out, x13 + n0, 52); store<u32>(out, x14 + n1, 56); store<u32>(out, x15 + n2, 60);
}

// ---------------------------------------------------------------------------------------------
// ChaCha20, four blocks at once in Wasm SIMD
// ---------------------------------------------------------------------------------------------

// Rotations by 16 and 8 move whole bytes, so a byte shuffle does them in one instruction; 12 and
// 7 need two shifts and an or.
// @ts-ignore: decorator
@inline function rotv16(x: v128): v128 {
  return i8x16.shuffle(x, x, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
}
// @ts-ignore: decorator
@inline function rotv8(x: v128): v128 {
  return i8x16.shuffle(x, x, 3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14);
}
// @ts-ignore: decorator
@inline function rotv12(x: v128): v128 {
  return v128.or(i32x4.shl(x, 12), i32x4.shr_u(x, 20));
}
// @ts-ignore: decorator
@inline function rotv7(x: v128): v128 {
  return v128.or(i32x4.shl(x, 7), i32x4.shr_u(x, 25));
}

/**
 * Stores four words of four blocks: lane j of a, b, c, d is word w, w+1, w+2, w+3 of block j. A
 * 4x4 transpose turns them into four 16-byte runs, one per block, at out + 64 j + 4 w.
 */
// @ts-ignore: decorator
@inline function storeTransposed(out: usize, a: v128, b: v128, c: v128, d: v128): void {
  const t0 = v128.shuffle<i32>(a, b, 0, 4, 1, 5);
  const t1 = v128.shuffle<i32>(a, b, 2, 6, 3, 7);
  const t2 = v128.shuffle<i32>(c, d, 0, 4, 1, 5);
  const t3 = v128.shuffle<i32>(c, d, 2, 6, 3, 7);
  v128.store(out, v128.shuffle<i64>(t0, t2, 0, 2));
  v128.store(out, v128.shuffle<i64>(t0, t2, 1, 3), 64);
  v128.store(out, v128.shuffle<i64>(t1, t3, 0, 2), 128);
  v128.store(out, v128.shuffle<i64>(t1, t3, 1, 3), 192);
}

/** Writes the four blocks for counters counter .. counter + 3 (mod 2^32) at `out`, 256 bytes. */
function block4(key: usize, counter: u32, nonce: usize, out: usize): void {
  const k0 = i32x4.splat(load<u32>(key)), k1 = i32x4.splat(load<u32>(key, 4));
  const k2 = i32x4.splat(load<u32>(key, 8)), k3 = i32x4.splat(load<u32>(key, 12));
  const k4 = i32x4.splat(load<u32>(key, 16)), k5 = i32x4.splat(load<u32>(key, 20));
  const k6 = i32x4.splat(load<u32>(key, 24)), k7 = i32x4.splat(load<u32>(key, 28));
  const ctr = i32x4.add(i32x4.splat(counter), i32x4(0, 1, 2, 3));
  const n0 = i32x4.splat(load<u32>(nonce)), n1 = i32x4.splat(load<u32>(nonce, 4)), n2 = i32x4.splat(load<u32>(nonce, 8));
  const c0 = i32x4.splat(C0), c1 = i32x4.splat(C1), c2 = i32x4.splat(C2), c3 = i32x4.splat(C3);
  let x0 = c0, x1 = c1, x2 = c2, x3 = c3;
  let x4 = k0, x5 = k1, x6 = k2, x7 = k3, x8 = k4, x9 = k5, x10 = k6, x11 = k7;
  let x12 = ctr, x13 = n0, x14 = n1, x15 = n2;
  for (let i = 0; i < 10; i++) {
    // Columns (RFC 8439 §2.3).
    x0 = i32x4.add(x0, x4); x12 = rotv16(v128.xor(x12, x0)); x8 = i32x4.add(x8, x12); x4 = rotv12(v128.xor(x4, x8));
    x0 = i32x4.add(x0, x4); x12 = rotv8(v128.xor(x12, x0)); x8 = i32x4.add(x8, x12); x4 = rotv7(v128.xor(x4, x8));
    x1 = i32x4.add(x1, x5); x13 = rotv16(v128.xor(x13, x1)); x9 = i32x4.add(x9, x13); x5 = rotv12(v128.xor(x5, x9));
    x1 = i32x4.add(x1, x5); x13 = rotv8(v128.xor(x13, x1)); x9 = i32x4.add(x9, x13); x5 = rotv7(v128.xor(x5, x9));
    x2 = i32x4.add(x2, x6); x14 = rotv16(v128.xor(x14, x2)); x10 = i32x4.add(x10, x14); x6 = rotv12(v128.xor(x6, x10));
    x2 = i32x4.add(x2, x6); x14 = rotv8(v128.xor(x14, x2)); x10 = i32x4.add(x10, x14); x6 = rotv7(v128.xor(x6, x10));
    x3 = i32x4.add(x3, x7); x15 = rotv16(v128.xor(x15, x3)); x11 = i32x4.add(x11, x15); x7 = rotv12(v128.xor(x7, x11));
    x3 = i32x4.add(x3, x7); x15 = rotv8(v128.xor(x15, x3)); x11 = i32x4.add(x11, x15); x7 = rotv7(v128.xor(x7, x11));
    // Diagonals.
    x0 = i32x4.add(x0, x5); x15 = rotv16(v128.xor(x15, x0)); x10 = i32x4.add(x10, x15); x5 = rotv12(v128.xor(x5, x10));
    x0 = i32x4.add(x0, x5); x15 = rotv8(v128.xor(x15, x0)); x10 = i32x4.add(x10, x15); x5 = rotv7(v128.xor(x5, x10));
    x1 = i32x4.add(x1, x6); x12 = rotv16(v128.xor(x12, x1)); x11 = i32x4.add(x11, x12); x6 = rotv12(v128.xor(x6, x11));
    x1 = i32x4.add(x1, x6); x12 = rotv8(v128.xor(x12, x1)); x11 = i32x4.add(x11, x12); x6 = rotv7(v128.xor(x6, x11));
    x2 = i32x4.add(x2, x7); x13 = rotv16(v128.xor(x13, x2)); x8 = i32x4.add(x8, x13); x7 = rotv12(v128.xor(x7, x8));
    x2 = i32x4.add(x2, x7); x13 = rotv8(v128.xor(x13, x2)); x8 = i32x4.add(x8, x13); x7 = rotv7(v128.xor(x7, x8));
    x3 = i32x4.add(x3, x4); x14 = rotv16(v128.xor(x14, x3)); x9 = i32x4.add(x9, x14); x4 = rotv12(v128.xor(x4, x9));
    x3 = i32x4.add(x3, x4); x14 = rotv8(v128.xor(x14, x3)); x9 = i32x4.add(x9, x14); x4 = rotv7(v128.xor(x4, x9));
  }
  storeTransposed(out, i32x4.add(x0, c0), i32x4.add(x1, c1), i32x4.add(x2, c2), i32x4.add(x3, c3));
  storeTransposed(out + 16, i32x4.add(x4, k0), i32x4.add(x5, k1), i32x4.add(x6, k2), i32x4.add(x7, k3));
  storeTransposed(out + 32, i32x4.add(x8, k4), i32x4.add(x9, k5), i32x4.add(x10, k6), i32x4.add(x11, k7));
  storeTransposed(out + 48, i32x4.add(x12, ctr), i32x4.add(x13, n0), i32x4.add(x14, n1), i32x4.add(x15, n2));
}

/** XORs the ChaCha20 keystream from block `counter` on into text[0, len) (RFC 8439 §2.4). */
function chachaXor(key: usize, counter: u32, nonce: usize, text: usize, len: usize): void {
  let p = text;
  const end = text + len;
  while (p < end) {
    block4(key, counter, nonce, STREAM);
    counter += 4;
    const chunkEnd = end - p >= 256 ? p + 256 : end;
    let s = STREAM;
    for (; p + 16 <= chunkEnd; p += 16, s += 16) v128.store(p, v128.xor(v128.load(p), v128.load(s)));
    for (; p < chunkEnd; p++, s++) store<u8>(p, load<u8>(p) ^ load<u8>(s));
  }
}

// ---------------------------------------------------------------------------------------------
// Poly1305 (RFC 8439 §2.5): h = (h + block) * r mod 2^130 - 5, in 26-bit limbs
// ---------------------------------------------------------------------------------------------

const M26: u32 = 0x3ffffff;
let r0: u32 = 0, r1: u32 = 0, r2: u32 = 0, r3: u32 = 0, r4: u32 = 0;
let h0: u32 = 0, h1: u32 = 0, h2: u32 = 0, h3: u32 = 0, h4: u32 = 0;

/** Loads r from key[0, 16), clamped (RFC 8439 §2.5.1), and clears the accumulator. */
function polyInit(key: usize): void {
  // Each limb reads 32 bits at the byte where it starts; the masks both clamp and keep 26 bits.
  r0 = load<u32>(key) & 0x3ffffff;
  r1 = (load<u32>(key, 3) >>> 2) & 0x3ffff03;
  r2 = (load<u32>(key, 6) >>> 4) & 0x3ffc0ff;
  r3 = (load<u32>(key, 9) >>> 6) & 0x3f03fff;
  r4 = (load<u32>(key, 12) >>> 8) & 0x00fffff;
  h0 = 0; h1 = 0; h2 = 0; h3 = 0; h4 = 0;
}

/**
 * Absorbs `count` 16-byte blocks from m. `hibit` is 1 << 24 (the 2^128 bit, limb 4) for a full
 * block, 0 for a final partial block that already carries its 0x01 byte (§2.5.1).
 */
function polyBlocks(m: usize, count: usize, hibit: u32): void {
  const R0 = <u64>r0, R1 = <u64>r1, R2 = <u64>r2, R3 = <u64>r3, R4 = <u64>r4;
  // 2^130 = 5 (mod p): limb products past 2^130 fold back multiplied by 5.
  const S1 = R1 * 5, S2 = R2 * 5, S3 = R3 * 5, S4 = R4 * 5;
  let a0 = h0, a1 = h1, a2 = h2, a3 = h3, a4 = h4;
  for (let i: usize = 0; i < count; i++, m += 16) {
    a0 += load<u32>(m) & M26;
    a1 += (load<u32>(m, 3) >>> 2) & M26;
    a2 += (load<u32>(m, 6) >>> 4) & M26;
    a3 += (load<u32>(m, 9) >>> 6) & M26;
    a4 += (load<u32>(m, 12) >>> 8) | hibit;
    const A0 = <u64>a0, A1 = <u64>a1, A2 = <u64>a2, A3 = <u64>a3, A4 = <u64>a4;
    let d0 = A0 * R0 + A1 * S4 + A2 * S3 + A3 * S2 + A4 * S1;
    let d1 = A0 * R1 + A1 * R0 + A2 * S4 + A3 * S3 + A4 * S2;
    let d2 = A0 * R2 + A1 * R1 + A2 * R0 + A3 * S4 + A4 * S3;
    let d3 = A0 * R3 + A1 * R2 + A2 * R1 + A3 * R0 + A4 * S4;
    let d4 = A0 * R4 + A1 * R3 + A2 * R2 + A3 * R1 + A4 * R0;
    // Partial carry: limbs end below 2^26 except a1, which may exceed it slightly; fine as input.
    d1 += d0 >> 26; a0 = <u32>d0 & M26;
    d2 += d1 >> 26; a1 = <u32>d1 & M26;
    d3 += d2 >> 26; a2 = <u32>d2 & M26;
    d4 += d3 >> 26; a3 = <u32>d3 & M26;
    const c = <u32>(d4 >> 26); a4 = <u32>d4 & M26;
    a0 += c * 5;
    a1 += a0 >>> 26; a0 &= M26;
  }
  h0 = a0; h1 = a1; h2 = a2; h3 = a3; h4 = a4;
}

// ---------------------------------------------------------------------------------------------
// Poly1305 on four blocks at once: four accumulators, one per i32x4 lane
// ---------------------------------------------------------------------------------------------
//
// Lane j absorbs blocks j, j + 4, j + 8, ... and is multiplied by r^4 after each, except after
// the last group, where lanes 0..3 are multiplied by r^4, r^3, r^2, r: the sum of the lanes is
// then exactly the serial Horner evaluation (RFC 8439 §2.5.1 computes sum m_i r^(n - i + 1)).
// Products of 26-bit limbs come from i64x2.extmul (u32 x u32 -> u64), two lanes at a time.

/** Fills POWERS with r^4, r^3, r^2 (partly reduced limbs, as polyBlocks leaves them) and r. */
function polyPowers(): void {
  const s0 = h0, s1 = h1, s2 = h2, s3 = h3, s4 = h4;
  // (h + 0) * r with h = r^k gives r^(k + 1): polyBlocks on a zero block without the 2^128 bit.
  h0 = r0; h1 = r1; h2 = r2; h3 = r3; h4 = r4;
  for (let lane: usize = 3; ; lane--) {
    const at = POWERS + (lane << 2);
    store<u32>(at, h0); store<u32>(at, h1, 16); store<u32>(at, h2, 32); store<u32>(at, h3, 48); store<u32>(at, h4, 64);
    store<u32>(at, h0 * 5, 80); store<u32>(at, h1 * 5, 96); store<u32>(at, h2 * 5, 112); store<u32>(at, h3 * 5, 128); store<u32>(at, h4 * 5, 144);
    if (lane == 0) break;
    polyBlocks(ZERO, 1, 0);
  }
  h0 = s0; h1 = s1; h2 = s2; h3 = s3; h4 = s4;
}

/** Packs the low 32 bits of lanes 0, 1 (i64x2 lo) and 2, 3 (i64x2 hi) into one i32x4. */
// @ts-ignore: decorator
@inline function narrow(lo: v128, hi: v128): v128 {
  return v128.shuffle<i32>(lo, hi, 0, 2, 4, 6);
}

/** narrow() of the values mod 2^26. */
// @ts-ignore: decorator
@inline function low26(lo: v128, hi: v128): v128 {
  const m = i64x2.splat(0x3ffffff);
  return narrow(v128.and(lo, m), v128.and(hi, m));
}

/** Sum over lanes 0, 1 (low) or 2, 3 (high) of a * b, u32 x u32 -> u64, for five pairs. */
// @ts-ignore: decorator
@inline function dotLow(a: v128, b: v128, c: v128, d: v128, e: v128, ra: v128, rb: v128, rc: v128, rd: v128, re: v128): v128 {
  return i64x2.add(i64x2.add(i64x2.add(i64x2.add(
    i64x2.extmul_low_i32x4_u(a, ra), i64x2.extmul_low_i32x4_u(b, rb)), i64x2.extmul_low_i32x4_u(c, rc)),
    i64x2.extmul_low_i32x4_u(d, rd)), i64x2.extmul_low_i32x4_u(e, re));
}
// @ts-ignore: decorator
@inline function dotHigh(a: v128, b: v128, c: v128, d: v128, e: v128, ra: v128, rb: v128, rc: v128, rd: v128, re: v128): v128 {
  return i64x2.add(i64x2.add(i64x2.add(i64x2.add(
    i64x2.extmul_high_i32x4_u(a, ra), i64x2.extmul_high_i32x4_u(b, rb)), i64x2.extmul_high_i32x4_u(c, rc)),
    i64x2.extmul_high_i32x4_u(d, rd)), i64x2.extmul_high_i32x4_u(e, re));
}

// @ts-ignore: decorator
@inline function laneSum(v: v128): u32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

/**
 * Absorbs `groups` groups of four full 16-byte blocks from m. The accumulator enters in lane 0
 * and leaves summed back into h0..h4 with the partial carry polyBlocks leaves.
 */
function polyBlocks4(m: usize, groups: usize): void {
  if (groups == 0) return;
  polyPowers();
  const mask = i32x4.splat(0x3ffffff);
  const hibit = i32x4.splat(1 << 24);
  let a0 = i32x4(h0, 0, 0, 0), a1 = i32x4(h1, 0, 0, 0), a2 = i32x4(h2, 0, 0, 0), a3 = i32x4(h3, 0, 0, 0), a4 = i32x4(h4, 0, 0, 0);
  for (let g: usize = 0; g < groups; g++, m += 64) {
    // Multiplier: r^4 in every lane, or r^4, r^3, r^2, r for the last group.
    const last = g + 1 == groups;
    const R0 = last ? v128.load(POWERS) : v128.load32_splat(POWERS);
    const R1 = last ? v128.load(POWERS, 16) : v128.load32_splat(POWERS, 16);
    const R2 = last ? v128.load(POWERS, 32) : v128.load32_splat(POWERS, 32);
    const R3 = last ? v128.load(POWERS, 48) : v128.load32_splat(POWERS, 48);
    const R4 = last ? v128.load(POWERS, 64) : v128.load32_splat(POWERS, 64);
    // 2^130 = 5 (mod p), as in polyBlocks.
    const S1 = last ? v128.load(POWERS, 96) : v128.load32_splat(POWERS, 96);
    const S2 = last ? v128.load(POWERS, 112) : v128.load32_splat(POWERS, 112);
    const S3 = last ? v128.load(POWERS, 128) : v128.load32_splat(POWERS, 128);
    const S4 = last ? v128.load(POWERS, 144) : v128.load32_splat(POWERS, 144);
    // Word w of the four blocks in one vector each (a 4 x 4 transpose), then the 26-bit limbs.
    const b0 = v128.load(m), b1 = v128.load(m, 16), b2 = v128.load(m, 32), b3 = v128.load(m, 48);
    const t0 = v128.shuffle<i32>(b0, b1, 0, 4, 1, 5), t1 = v128.shuffle<i32>(b0, b1, 2, 6, 3, 7);
    const t2 = v128.shuffle<i32>(b2, b3, 0, 4, 1, 5), t3 = v128.shuffle<i32>(b2, b3, 2, 6, 3, 7);
    const w0 = v128.shuffle<i64>(t0, t2, 0, 2), w1 = v128.shuffle<i64>(t0, t2, 1, 3);
    const w2 = v128.shuffle<i64>(t1, t3, 0, 2), w3 = v128.shuffle<i64>(t1, t3, 1, 3);
    a0 = i32x4.add(a0, v128.and(w0, mask));
    a1 = i32x4.add(a1, v128.and(v128.or(i32x4.shr_u(w0, 26), i32x4.shl(w1, 6)), mask));
    a2 = i32x4.add(a2, v128.and(v128.or(i32x4.shr_u(w1, 20), i32x4.shl(w2, 12)), mask));
    a3 = i32x4.add(a3, v128.and(v128.or(i32x4.shr_u(w2, 14), i32x4.shl(w3, 18)), mask));
    a4 = i32x4.add(a4, v128.or(i32x4.shr_u(w3, 8), hibit));
    // d_k = sum of a_i * r_j over i + j = k, with the x5 limbs S for i + j >= 5.
    let d0l = dotLow(a0, a1, a2, a3, a4, R0, S4, S3, S2, S1), d0h = dotHigh(a0, a1, a2, a3, a4, R0, S4, S3, S2, S1);
    let d1l = dotLow(a0, a1, a2, a3, a4, R1, R0, S4, S3, S2), d1h = dotHigh(a0, a1, a2, a3, a4, R1, R0, S4, S3, S2);
    let d2l = dotLow(a0, a1, a2, a3, a4, R2, R1, R0, S4, S3), d2h = dotHigh(a0, a1, a2, a3, a4, R2, R1, R0, S4, S3);
    let d3l = dotLow(a0, a1, a2, a3, a4, R3, R2, R1, R0, S4), d3h = dotHigh(a0, a1, a2, a3, a4, R3, R2, R1, R0, S4);
    let d4l = dotLow(a0, a1, a2, a3, a4, R4, R3, R2, R1, R0), d4h = dotHigh(a0, a1, a2, a3, a4, R4, R3, R2, R1, R0);
    // polyBlocks' partial carry, lane-wise: d1 += d0 >> 26, ..., and c = d4 >> 26 wraps around
    // as 5 c into limb 0, whose own carry goes to limb 1.
    d1l = i64x2.add(d1l, i64x2.shr_u(d0l, 26)); d1h = i64x2.add(d1h, i64x2.shr_u(d0h, 26));
    d2l = i64x2.add(d2l, i64x2.shr_u(d1l, 26)); d2h = i64x2.add(d2h, i64x2.shr_u(d1h, 26));
    d3l = i64x2.add(d3l, i64x2.shr_u(d2l, 26)); d3h = i64x2.add(d3h, i64x2.shr_u(d2h, 26));
    d4l = i64x2.add(d4l, i64x2.shr_u(d3l, 26)); d4h = i64x2.add(d4h, i64x2.shr_u(d3h, 26));
    // c < 2^30 (d4 has no x5 terms), so 5 c + (d0 mod 2^26) < 2^32 fits the 32-bit lanes.
    const cl = i64x2.shr_u(d4l, 26), ch = i64x2.shr_u(d4h, 26);
    a0 = i32x4.add(low26(d0l, d0h), narrow(i64x2.add(i64x2.shl(cl, 2), cl), i64x2.add(i64x2.shl(ch, 2), ch)));
    a1 = i32x4.add(low26(d1l, d1h), i32x4.shr_u(a0, 26));
    a0 = v128.and(a0, mask);
    a2 = low26(d2l, d2h);
    a3 = low26(d3l, d3h);
    a4 = low26(d4l, d4h);
  }
  // Sum the lanes (each below 2^27, so the sums fit 32 bits) and carry as polyBlocks does.
  let t0 = laneSum(a0), t1 = laneSum(a1), t2 = laneSum(a2), t3 = laneSum(a3), t4 = laneSum(a4);
  t1 += t0 >>> 26; t0 &= M26;
  t2 += t1 >>> 26; t1 &= M26;
  t3 += t2 >>> 26; t2 &= M26;
  t4 += t3 >>> 26; t3 &= M26;
  t0 += (t4 >>> 26) * 5; t4 &= M26;
  t1 += t0 >>> 26; t0 &= M26;
  h0 = t0; h1 = t1; h2 = t2; h3 = t3; h4 = t4;
}

/**
 * Absorbs msg[0, len). A last partial block is zero-filled to 16 bytes; `messageEnd` says how it
 * counts: the end of a bare Poly1305 message gets a 0x01 byte after its data and no 2^128 bit
 * (§2.5.1), while the AEAD's zero padding (pad16, §2.8) makes it a full block.
 */
function polyMessage(msg: usize, len: usize, messageEnd: bool): void {
  const full = len >>> 4;
  polyBlocks4(msg, full >>> 2);
  polyBlocks(msg + ((full & ~3) << 4), full & 3, 1 << 24);
  const rest = len & 15;
  if (rest != 0) {
    v128.store(BLOCK, i32x4.splat(0));
    memory.copy(BLOCK, msg + (full << 4), rest);
    if (messageEnd) store<u8>(BLOCK + rest, 1);
    polyBlocks(BLOCK, 1, messageEnd ? 0 : 1 << 24);
  }
}

/** Fully reduces h mod 2^130 - 5, adds s = key[16, 32) mod 2^128 and writes the tag (§2.5.1). */
function polyFinish(key: usize, out: usize): void {
  let a0 = h0, a1 = h1, a2 = h2, a3 = h3, a4 = h4;
  let c: u32;
  c = a1 >>> 26; a1 &= M26; a2 += c;
  c = a2 >>> 26; a2 &= M26; a3 += c;
  c = a3 >>> 26; a3 &= M26; a4 += c;
  c = a4 >>> 26; a4 &= M26; a0 += c * 5;
  c = a0 >>> 26; a0 &= M26; a1 += c;
  // g = h + 5 - 2^130; if that is not negative, h >= p and the result is g. Chosen by a mask.
  let g0 = a0 + 5; c = g0 >>> 26; g0 &= M26;
  let g1 = a1 + c; c = g1 >>> 26; g1 &= M26;
  let g2 = a2 + c; c = g2 >>> 26; g2 &= M26;
  let g3 = a3 + c; c = g3 >>> 26; g3 &= M26;
  const g4 = a4 + c - (1 << 26);
  const useG = (g4 >>> 31) - 1; // all ones when g4 did not borrow
  const useH = ~useG;
  a0 = (a0 & useH) | (g0 & useG);
  a1 = (a1 & useH) | (g1 & useG);
  a2 = (a2 & useH) | (g2 & useG);
  a3 = (a3 & useH) | (g3 & useG);
  a4 = (a4 & useH) | (g4 & useG);
  // Repack into four 32-bit words (h mod 2^128) and add s with carries.
  const w0 = a0 | (a1 << 26);
  const w1 = (a1 >>> 6) | (a2 << 20);
  const w2 = (a2 >>> 12) | (a3 << 14);
  const w3 = (a3 >>> 18) | (a4 << 8);
  let f = <u64>w0 + <u64>load<u32>(key, 16);
  store<u32>(out, <u32>f);
  f = <u64>w1 + <u64>load<u32>(key, 20) + (f >> 32);
  store<u32>(out, <u32>f, 4);
  f = <u64>w2 + <u64>load<u32>(key, 24) + (f >> 32);
  store<u32>(out, <u32>f, 8);
  f = <u64>w3 + <u64>load<u32>(key, 28) + (f >> 32);
  store<u32>(out, <u32>f, 12);
}

// ---------------------------------------------------------------------------------------------
// The AEAD (RFC 8439 §2.8)
// ---------------------------------------------------------------------------------------------

/** The tag over aad and ciphertext with the one-time key in POLY_KEY, written at `out`. */
function aeadTag(aad: usize, aadLen: usize, text: usize, textLen: usize, out: usize): void {
  // The Poly1305 key is the first 32 bytes of block 0 under the AEAD key and nonce (§2.6).
  block(KEY, 0, NONCE, POLY_KEY);
  polyInit(POLY_KEY);
  polyMessage(aad, aadLen, false);
  polyMessage(text, textLen, false);
  store<u64>(LENGTHS, <u64>aadLen);
  store<u64>(LENGTHS, <u64>textLen, 8);
  polyBlocks(LENGTHS, 1, 1 << 24);
  polyFinish(POLY_KEY, out);
}

/**
 * Encrypts text[0, textLen) in place with KEY and NONCE and writes the tag right after it, so the
 * result is ciphertext || tag as QUIC puts it on the wire (RFC 9001 §5.3) and leaves in one copy.
 */
export function seal(aad: usize, aadLen: usize, text: usize, textLen: usize): void {
  chachaXor(KEY, 1, NONCE, text, textLen);
  aeadTag(aad, aadLen, text, textLen, text + textLen);
}

/**
 * Checks the tag that follows the ciphertext text[0, textLen) (at text + textLen, as received)
 * against the one computed over aad and the ciphertext; on success decrypts in place
 * and returns 1, otherwise returns 0 and leaves the ciphertext as it was (RFC 8439 §2.8: no
 * plaintext is released before the tag is verified).
 */
export function open(aad: usize, aadLen: usize, text: usize, textLen: usize): i32 {
  aeadTag(aad, aadLen, text, textLen, TAG);
  // Compare all 16 bytes before deciding, so the time does not depend on where they differ.
  const diff = v128.xor(v128.load(TAG), v128.load(text + textLen));
  const folded = i64x2.extract_lane(diff, 0) | i64x2.extract_lane(diff, 1);
  if (folded != 0) return 0;
  chachaXor(KEY, 1, NONCE, text, textLen);
  return 1;
}

/**
 * RFC 9001 §5.4.4: counter = sample[0, 4) little-endian, nonce = sample[4, 16); the mask is the
 * first 5 bytes of that ChaCha20 block under HP_KEY.
 */
export function headerMask(): void {
  block(HP_KEY, load<u32>(SAMPLE), SAMPLE + 4, STREAM);
  store<u32>(MASK, load<u32>(STREAM));
  store<u8>(MASK + 4, load<u8>(STREAM + 4));
}

/** Bare ChaCha20 (RFC 8439 §2.4) with KEY and NONCE from block `counter` on, in place; for tests. */
export function chacha20(counter: u32, text: usize, len: usize): void {
  chachaXor(KEY, counter, NONCE, text, len);
}

/** Bare Poly1305 (RFC 8439 §2.5) of msg[0, len) with the one-time key at KEY, tag at TAG. */
export function poly1305(msg: usize, len: usize): void {
  polyInit(KEY);
  polyMessage(msg, len, true);
  polyFinish(KEY, TAG);
}
