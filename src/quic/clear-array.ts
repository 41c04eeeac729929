/**
 * Empties an array that is refilled right away (per packet, per ACK) while keeping its storage.
 * V8 frees the backing store of an array whose `length` is set to 0, so the next push would
 * allocate a new one; popping to empty keeps it.
 */
export function clearArray(a: unknown[]): void {
  while (a.length > 0) a.pop();
}
