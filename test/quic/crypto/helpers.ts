import { getProvider } from '../../../src/quic/crypto/index.js';
import type { CryptoProvider } from '../../../src/quic/crypto/provider.js';

export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  if (clean.length % 2 !== 0) throw new Error('odd hex length');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Both providers, for describe.each. */
export const PROVIDERS: [string, CryptoProvider][] = [
  ['node', getProvider('node')],
  ['noble', getProvider('noble')],
];

/** XORs `bits` into byte `index` (to tamper with packets and keys). */
export function flip(bytes: Uint8Array, index: number, bits: number): void {
  bytes[index] = bytes[index]! ^ bits;
}
