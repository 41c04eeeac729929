/**
 * The host's half of an extern operation's input contract (signatures.ts, externContract): the
 * verifier proved the pluglet's accesses for a buffer input whose length input is the buffer's
 * length (or less), within the contract's bounds. The application supplies both, so the host
 * checks them before the pluglet runs and grants the bytes into the plugin's heap; a call that
 * breaks the contract is the application's error, thrown to it, and the plugin stays intact.
 */
import type { InputContract } from './signatures.js';

type U64 = number | bigint;

export class ExternInputError extends Error {}

/**
 * The u64 inputs of an extern call under `contract`. `grant` copies bytes into the plugin's heap
 * for the call (and back out after it) and returns their address.
 */
export function externInputs(op: string, contract: InputContract, args: readonly unknown[], grant: (b: Uint8Array) => number, toU64: (x: unknown) => U64): U64[] {
  const kinds = contract.inputs;
  if (args.length !== kinds.length) throw new ExternInputError(`${op}: ${args.length} inputs, expected ${kinds.length}`);
  const buffer = kinds.indexOf('buffer');
  if (buffer < 0) return args.map(toU64);
  const bytes = args[buffer];
  if (!(bytes instanceof Uint8Array)) throw new ExternInputError(`${op}: input ${buffer} must be a Uint8Array`);
  const size = bytes.length;
  const lenAt = kinds.indexOf('buffer_len');
  const len = lenAt >= 0 ? args[lenAt] : size;
  const [lo, hi] = contract.bufferLen;
  // The verifier knew only that the length is the buffer's, in [lo, hi]: a longer one would let
  // proven (unchecked) accesses run past the grant.
  if (typeof len !== 'number' || !Number.isSafeInteger(len) || len < lo || len > hi || len > size) {
    throw new ExternInputError(`${op}: length ${String(len)} is not within the ${size} bytes given (and [${lo}, ${hi}])`);
  }
  const ptr = grant(bytes);
  return kinds.map((kind, i): U64 => {
    switch (kind) {
      case 'buffer': return ptr;
      case 'buffer_end': return ptr + len;
      case 'buffer_len': return len;
      default: return toU64(args[i]);
    }
  });
}
