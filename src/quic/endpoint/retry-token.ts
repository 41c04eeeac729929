/**
 * Retry tokens (RFC 9000 §8.1.2, §8.1.4). A token must let the server, and only the server,
 * check on the client's next Initial that (1) the client owns its address, (2) which Original
 * Destination Connection ID the first Initial carried, so the connection can authenticate it in
 * its transport parameters (§7.3), and (3) that it is recent. All three are sealed with
 * AES-128-GCM under a key only the server knows:
 *
 *   token = kind (1) || nonce (12) || AEAD(key, nonce, aad = kind || client IP,
 *                                       time ms (8) || len || ODCID || len || Retry SCID) || tag (16)
 *
 * The client's IP is authenticated as associated data rather than stored, so a token presented
 * from another address fails like a forged one. The port is left out: a NAT may rebind it
 * between the Retry and the new Initial.
 */
import { TLS_AES_128_GCM_SHA256, type Aead, type CryptoProvider } from '../crypto/provider.js';

/** First byte of our Retry tokens (tokens of NEW_TOKEN frames would use another kind). */
const TOKEN_KIND_RETRY = 0x52;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
const MAX_CID = 20;
/** Tolerated clock step backwards between sealing and checking (ms). */
const CLOCK_SKEW_MS = 1_000;

export type RetryTokenCheck =
  | { ok: true; odcid: Uint8Array; retryScid: Uint8Array; ageMs: number }
  /** forged: not sealed by us, or presented from another IP. expired: too old. wrong_cid: sealed by us for another Retry. */
  | { ok: false; reason: 'forged' | 'expired' | 'wrong_cid' };

export interface RetryTokenOptions {
  /** AES-128 key (16 bytes); random by default. */
  key?: Uint8Array;
  /** How long a token is accepted after its Retry; default 10 s. */
  lifetimeMs?: number;
}

export class RetryTokens {
  readonly lifetimeMs: number;
  private readonly provider: CryptoProvider;
  private readonly aead: Aead;

  constructor(provider: CryptoProvider, opts: RetryTokenOptions = {}) {
    this.provider = provider;
    const key = opts.key ?? provider.randomBytes(16);
    if (key.length !== 16) throw new RangeError('a retry token key is 16 bytes (AES-128-GCM)');
    this.aead = provider.aead(TLS_AES_128_GCM_SHA256, key);
    this.lifetimeMs = opts.lifetimeMs ?? 10_000;
  }

  /** A token for a Retry sent to `clientIp`, answering an Initial whose DCID was `odcid`. */
  seal(clientIp: string, odcid: Uint8Array, retryScid: Uint8Array, nowMs: number = Date.now()): Uint8Array {
    if (odcid.length > MAX_CID || retryScid.length > MAX_CID) throw new RangeError('connection ID longer than 20 bytes');
    const plain = new Uint8Array(8 + 1 + odcid.length + 1 + retryScid.length);
    const dv = new DataView(plain.buffer);
    dv.setUint32(0, Math.floor(nowMs / 0x1_0000_0000));
    dv.setUint32(4, nowMs >>> 0);
    let p = 8;
    plain[p++] = odcid.length;
    plain.set(odcid, p);
    p += odcid.length;
    plain[p++] = retryScid.length;
    plain.set(retryScid, p);
    const token = new Uint8Array(1 + NONCE_LENGTH + plain.length + TAG_LENGTH);
    token[0] = TOKEN_KIND_RETRY;
    const nonce = this.provider.randomBytes(NONCE_LENGTH);
    token.set(nonce, 1);
    this.aead.seal(nonce, aad(clientIp), plain, token, 1 + NONCE_LENGTH);
    return token;
  }

  /**
   * Checks a token from an Initial sent by `clientIp` to `dcid` (which must be the Retry's
   * SCID). Never throws.
   */
  open(token: Uint8Array, clientIp: string, dcid: Uint8Array, nowMs: number = Date.now()): RetryTokenCheck {
    if (token.length < 1 + NONCE_LENGTH + 10 + TAG_LENGTH || token[0] !== TOKEN_KIND_RETRY) return { ok: false, reason: 'forged' };
    let plain: Uint8Array | null;
    try {
      plain = this.aead.open(token.subarray(1, 1 + NONCE_LENGTH), aad(clientIp), token.subarray(1 + NONCE_LENGTH));
    } catch {
      plain = null;
    }
    if (!plain || plain.length < 10) return { ok: false, reason: 'forged' };
    const dv = new DataView(plain.buffer, plain.byteOffset, plain.length);
    const sealedAt = dv.getUint32(0) * 0x1_0000_0000 + dv.getUint32(4);
    const odcidLength = plain[8]!;
    if (odcidLength > MAX_CID || 9 + odcidLength >= plain.length) return { ok: false, reason: 'forged' };
    const odcid = plain.slice(9, 9 + odcidLength);
    const scidLength = plain[9 + odcidLength]!;
    const retryScid = plain.slice(10 + odcidLength, 10 + odcidLength + scidLength);
    if (retryScid.length !== scidLength || 10 + odcidLength + scidLength !== plain.length) return { ok: false, reason: 'forged' };
    const ageMs = nowMs - sealedAt;
    if (ageMs > this.lifetimeMs || ageMs < -CLOCK_SKEW_MS) return { ok: false, reason: 'expired' };
    if (!equal(retryScid, dcid)) return { ok: false, reason: 'wrong_cid' };
    return { ok: true, odcid, retryScid, ageMs };
  }
}

function aad(clientIp: string): Uint8Array {
  const ip = new TextEncoder().encode(clientIp);
  const out = new Uint8Array(1 + ip.length);
  out[0] = TOKEN_KIND_RETRY;
  out.set(ip, 1);
  return out;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
