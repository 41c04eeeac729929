/**
 * Retry packet integrity (RFC 9001 §5.8): the last 16 bytes of a Retry packet are an
 * AEAD_AES_128_GCM tag over a pseudo-packet, under a fixed key and nonce, with empty plaintext.
 */
import { type Aead, type CryptoProvider, TLS_AES_128_GCM_SHA256 } from './provider.js';

export const RETRY_INTEGRITY_TAG_LENGTH = 16;

/** RFC 9001 §5.8, QUIC version 1. */
const RETRY_KEY_V1 = Uint8Array.of(0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a, 0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68, 0xc8, 0x4e);
const RETRY_NONCE_V1 = Uint8Array.of(0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2, 0x23, 0x98, 0x25, 0xbb);

const aeadCache = new WeakMap<CryptoProvider, Aead>();

function retryAead(provider: CryptoProvider): Aead {
  let aead = aeadCache.get(provider);
  if (aead === undefined) {
    aead = provider.aead(TLS_AES_128_GCM_SHA256, RETRY_KEY_V1);
    aeadCache.set(provider, aead);
  }
  return aead;
}

/**
 * The tag for a Retry packet. `odcid` is the Original Destination Connection ID (the DCID of the
 * client's first Initial), `retryWithoutTag` the Retry packet up to the tag. The associated data
 * is the Retry pseudo-packet: ODCID Length (1 byte) || ODCID || Retry packet without the tag.
 */
export function retryIntegrityTag(provider: CryptoProvider, odcid: Uint8Array, retryWithoutTag: Uint8Array): Uint8Array {
  if (odcid.length > 255) throw new Error(`retry: original destination connection ID is ${odcid.length} bytes`);
  const pseudo = new Uint8Array(1 + odcid.length + retryWithoutTag.length);
  pseudo[0] = odcid.length;
  pseudo.set(odcid, 1);
  pseudo.set(retryWithoutTag, 1 + odcid.length);
  const tag = new Uint8Array(RETRY_INTEGRITY_TAG_LENGTH);
  retryAead(provider).seal(RETRY_NONCE_V1, pseudo, new Uint8Array(0), tag, 0);
  return tag;
}

/** Checks the tag at the end of a whole Retry packet; false when it is missing or wrong. */
export function verifyRetryIntegrity(provider: CryptoProvider, odcid: Uint8Array, retryPacket: Uint8Array): boolean {
  const tagStart = retryPacket.length - RETRY_INTEGRITY_TAG_LENGTH;
  if (tagStart < 1 || odcid.length > 255) return false;
  const expected = retryIntegrityTag(provider, odcid, retryPacket.subarray(0, tagStart));
  let diff = 0;
  for (let i = 0; i < RETRY_INTEGRITY_TAG_LENGTH; i++) diff |= expected[i]! ^ retryPacket[tagStart + i]!;
  return diff === 0;
}
