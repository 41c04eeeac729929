/**
 * The TLS 1.3 key-schedule helpers (RFC 8446 §7.1) over a CryptoProvider; QUIC derives all its
 * packet protection keys with them (RFC 9001 §5.1).
 */
import type { CryptoProvider, HashAlgorithm } from './provider.js';

const LABEL_PREFIX = 'tls13 ';

/**
 * The HkdfLabel structure (RFC 8446 §7.1):
 *   struct { uint16 length; opaque label<7..255> = "tls13 " + Label; opaque context<0..255>; }
 */
export function hkdfLabel(label: string, context: Uint8Array, length: number): Uint8Array {
  const full = LABEL_PREFIX + label;
  if (full.length > 255) throw new Error(`HKDF label "${label}" is too long`);
  if (context.length > 255) throw new Error(`HKDF context is ${context.length} bytes, at most 255 allowed`);
  if (!Number.isInteger(length) || length < 0 || length > 0xffff) throw new Error(`HKDF output length ${length} out of range`);
  const out = new Uint8Array(2 + 1 + full.length + 1 + context.length);
  out[0] = length >>> 8;
  out[1] = length & 0xff;
  out[2] = full.length;
  for (let i = 0; i < full.length; i++) {
    const c = full.charCodeAt(i);
    if (c > 0x7e) throw new Error(`HKDF label "${label}" must be ASCII`);
    out[3 + i] = c;
  }
  out[3 + full.length] = context.length;
  out.set(context, 4 + full.length);
  return out;
}

/** HKDF-Expand-Label(Secret, Label, Context, Length) = HKDF-Expand(Secret, HkdfLabel, Length). */
export function hkdfExpandLabel(
  provider: CryptoProvider,
  alg: HashAlgorithm,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  return provider.hkdfExpand(alg, secret, hkdfLabel(label, context, length), length);
}

/**
 * Derive-Secret(Secret, Label, Messages) = HKDF-Expand-Label(Secret, Label,
 * Transcript-Hash(Messages), Hash.length). Takes the transcript hash rather than the messages,
 * since the TLS layer keeps a running hash; for the "derived" steps pass
 * `emptyTranscriptHash(provider, alg)`.
 */
export function deriveSecret(
  provider: CryptoProvider,
  alg: HashAlgorithm,
  secret: Uint8Array,
  label: string,
  transcriptHash: Uint8Array,
): Uint8Array {
  return hkdfExpandLabel(provider, alg, secret, label, transcriptHash, hashLength(alg));
}

/** Transcript-Hash of no messages, Hash(""), used by Derive-Secret(., "derived", ""). */
export function emptyTranscriptHash(provider: CryptoProvider, alg: HashAlgorithm): Uint8Array {
  return provider.hash(alg, new Uint8Array(0));
}

export function hashLength(alg: HashAlgorithm): number {
  return alg === 'sha256' ? 32 : 48;
}
