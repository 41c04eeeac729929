/**
 * Stateless reset (RFC 9000 §10.3). The token of each connection ID we issue is
 * HMAC-SHA256(static key, CID) truncated to 16 bytes, so a server that lost a connection's state
 * (a restart with the same key) can still compute the token for a CID it no longer knows and
 * tell the client to stop. Every connection gets `tokenFor` as its `resetTokenFor`, so the
 * tokens in its transport parameters and NEW_CONNECTION_ID frames are the same ones.
 */
import type { CryptoProvider } from '../crypto/provider.js';

export const STATELESS_RESET_TOKEN_LENGTH = 16;
/** RFC 9000 §10.3: 1 byte of header, at least 4 unpredictable bytes, the 16-byte token. */
export const MIN_STATELESS_RESET_LENGTH = 21;
/**
 * RFC 9000 §10.3: a reset answering a packet of 43 bytes or fewer is one byte shorter than
 * it; longer triggers get about this size (padded with a few random bytes).
 */
const SHORT_TRIGGER_LIMIT = 43;

export interface StatelessResetOptions {
  /** HMAC key (any length; 32 random bytes by default). Keep it across restarts. */
  key?: Uint8Array;
  /** Resets sent per second at most (token bucket); default 100. */
  ratePerSecond?: number;
  /** Bucket size; default `ratePerSecond`. */
  burst?: number;
}

export class StatelessResetter {
  readonly key: Uint8Array;
  private readonly provider: CryptoProvider;
  private readonly rate: number;
  private readonly burst: number;
  private tokens: number;
  private lastRefillUs = -1;

  constructor(provider: CryptoProvider, opts: StatelessResetOptions = {}) {
    this.provider = provider;
    this.key = opts.key ? opts.key.slice() : provider.randomBytes(32);
    this.rate = opts.ratePerSecond ?? 100;
    this.burst = opts.burst ?? this.rate;
    this.tokens = this.burst;
  }

  /** The reset token of a connection ID we issue. Bound, so it can be passed as `resetTokenFor`. */
  readonly tokenFor = (cid: Uint8Array): Uint8Array =>
    this.provider.hmac('sha256', this.key, cid).slice(0, STATELESS_RESET_TOKEN_LENGTH);

  /**
   * A stateless reset answering `triggerLength` bytes that carried `cid`, or undefined when
   * none may be sent: the reset must be smaller than its trigger and at least 21 bytes
   * (so two endpoints can never answer each other's resets forever), and the rate limit holds.
   */
  build(triggerLength: number, cid: Uint8Array, nowUs: number): Uint8Array | undefined {
    const size = triggerLength <= SHORT_TRIGGER_LIMIT
      ? triggerLength - 1
      : Math.min(triggerLength - 1, SHORT_TRIGGER_LIMIT + (this.provider.randomBytes(1)[0]! & 0x0f));
    if (size < MIN_STATELESS_RESET_LENGTH) return undefined;
    if (!this.take(nowUs)) return undefined;
    const out = this.provider.randomBytes(size);
    // A short header: form bit 0, fixed bit 1, the rest unpredictable (§10.3).
    out[0] = 0x40 | (out[0]! & 0x3f);
    out.set(this.tokenFor(cid), size - STATELESS_RESET_TOKEN_LENGTH);
    return out;
  }

  private take(nowUs: number): boolean {
    if (this.lastRefillUs >= 0) {
      this.tokens = Math.min(this.burst, this.tokens + ((nowUs - this.lastRefillUs) / 1e6) * this.rate);
    }
    this.lastRefillUs = nowUs;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
