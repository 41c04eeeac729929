/**
 * A small seeded PRNG for deterministic fuzzing: SplitMix32-style mixing over a 32-bit
 * state. Same seed, same sequence, on every machine.
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 0x100000000) * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /**
   * A varint-friendly value: small values often, boundary values sometimes, anything up to
   * 2^53 - 1 otherwise.
   */
  varintValue(): number {
    switch (this.int(6)) {
      case 0: return this.int(64);
      case 1: return this.int(16384);
      case 2: return this.int(0x40000000);
      case 3: return this.pick([0, 63, 64, 16383, 16384, 0x3fffffff, 0x40000000, Number.MAX_SAFE_INTEGER]);
      default: return this.int(0x200000) * 0x100000000 + this.u32();
    }
  }

  /** `input` with a few random byte flips, insertions, deletions or truncations. */
  mutate(input: Uint8Array): Uint8Array {
    let out = Uint8Array.from(input);
    const edits = 1 + this.int(4);
    for (let e = 0; e < edits; e++) {
      switch (this.int(5)) {
        case 0: // flip a byte
          if (out.length > 0) out[this.int(out.length)] = this.u32() & 0xff;
          break;
        case 1: // flip a bit
          if (out.length > 0) out[this.int(out.length)]! ^= 1 << this.int(8);
          break;
        case 2: { // truncate
          out = out.subarray(0, this.int(out.length + 1));
          break;
        }
        case 3: { // insert random bytes
          const at = this.int(out.length + 1);
          const extra = this.bytes(1 + this.int(8));
          const grown = new Uint8Array(out.length + extra.length);
          grown.set(out.subarray(0, at), 0);
          grown.set(extra, at);
          grown.set(out.subarray(at), at + extra.length);
          out = grown;
          break;
        }
        default: { // set a byte to an interesting value
          if (out.length > 0) out[this.int(out.length)] = this.pick([0x00, 0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xc0, 0xff]);
        }
      }
    }
    return out;
  }
}
