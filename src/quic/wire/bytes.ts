/** Small byte-array utilities shared by the QUIC, TLS and X.509 modules. */

/**
 * A copy of bytes that is always a plain Uint8Array. `x.slice()` is not enough: on a Node
 * Buffer (which is what dgram hands out) `slice` returns a view, so keeping it would keep the
 * caller's reused buffer.
 */
export function copyBytes(x: Uint8Array, start = 0, end = x.length): Uint8Array {
  return new Uint8Array(x.subarray(start, end));
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Equality without an early exit, so comparing secrets (tokens, Finished) leaks no timing. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
