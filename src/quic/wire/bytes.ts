/**
 * A copy of bytes that is always a plain Uint8Array. `x.slice()` is not enough: on a Node
 * Buffer (which is what dgram hands out) `slice` returns a view, so keeping it would keep the
 * caller's reused buffer.
 */
export function copyBytes(x: Uint8Array, start = 0, end = x.length): Uint8Array {
  return new Uint8Array(x.subarray(start, end));
}
