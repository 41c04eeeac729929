/** Shared test helpers for the wire tests. */
import { expect } from 'vitest';
import { QuicError } from '../../../src/quic/wire/errors.js';

export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Runs `fn`, expecting a QuicError with `code`; returns it. */
export function expectQuicError(fn: () => unknown, code: number): QuicError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a QuicError').toBeInstanceOf(QuicError);
  const err = caught as QuicError;
  expect(err.code, err.message).toBe(code);
  return err;
}
