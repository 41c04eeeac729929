/**
 * The TLS 1.3 key schedule (RFC 8446 §7.1), with or without a resumption PSK, and the transcript
 * hash (§4.4.1).
 * Every step takes its inputs explicitly (shared secret, transcript hashes) so RFC 8448 vectors
 * can be injected in tests.
 */
import type { CipherSuite, CryptoProvider, HashAlgorithm } from '../crypto/provider.js';
import { suiteParams } from '../crypto/provider.js';
import { deriveSecret, hkdfExpandLabel } from '../crypto/hkdf-label.js';
import { HandshakeType } from './constants.js';
import { concatBytes } from './wire.js';

export interface TrafficSecrets {
  client: Uint8Array;
  server: Uint8Array;
}

/**
 * One connection's key schedule. The stages run in order:
 * early secret (constructor) → {@link handshake} → {@link master}.
 */
export class KeySchedule {
  readonly hash: HashAlgorithm;
  readonly hashLength: number;
  readonly earlySecret: Uint8Array;
  private handshakeSecretValue: Uint8Array | undefined;
  private masterSecretValue: Uint8Array | undefined;

  /** `psk`: the resumption PSK, whose length is the hash length; without one the IKM is zeros. */
  constructor(private readonly provider: CryptoProvider, readonly suite: CipherSuite, psk?: Uint8Array) {
    const { hash, hashLength } = suiteParams(suite);
    this.hash = hash;
    this.hashLength = hashLength;
    const zeros = new Uint8Array(hashLength);
    this.earlySecret = provider.hkdfExtract(hash, zeros, psk ?? zeros);
  }

  /**
   * The PSK binder over Transcript-Hash(truncated ClientHello) (RFC 8446 §4.2.11.2): a Finished
   * computation keyed by binder_key = Derive-Secret(early secret, "res binder", "").
   */
  pskBinder(truncatedHelloHash: Uint8Array): Uint8Array {
    const binderKey = deriveSecret(this.provider, this.hash, this.earlySecret, 'res binder', this.emptyHash());
    return this.finishedVerifyData(binderKey, truncatedHelloHash);
  }

  get handshakeSecret(): Uint8Array {
    if (!this.handshakeSecretValue) throw new Error('key schedule: handshake secret not derived yet');
    return this.handshakeSecretValue;
  }

  get masterSecret(): Uint8Array {
    if (!this.masterSecretValue) throw new Error('key schedule: master secret not derived yet');
    return this.masterSecretValue;
  }

  private emptyHash(): Uint8Array {
    return this.provider.hash(this.hash, new Uint8Array(0));
  }

  /** client_early_traffic_secret = Derive-Secret(early secret, "c e traffic", ClientHello) (RFC 8446 §7.1). */
  clientEarlyTrafficSecret(clientHelloHash: Uint8Array): Uint8Array {
    return deriveSecret(this.provider, this.hash, this.earlySecret, 'c e traffic', clientHelloHash);
  }

  /** Mixes in the (EC)DHE shared secret; returns the handshake traffic secrets for Hash(CH..SH). */
  handshake(sharedSecret: Uint8Array, helloHash: Uint8Array): TrafficSecrets {
    const salt = deriveSecret(this.provider, this.hash, this.earlySecret, 'derived', this.emptyHash());
    this.handshakeSecretValue = this.provider.hkdfExtract(this.hash, salt, sharedSecret);
    return {
      client: deriveSecret(this.provider, this.hash, this.handshakeSecretValue, 'c hs traffic', helloHash),
      server: deriveSecret(this.provider, this.hash, this.handshakeSecretValue, 's hs traffic', helloHash),
    };
  }

  /** Derives the master secret; returns the application traffic secrets for Hash(CH..server Finished). */
  master(serverFinishedHash: Uint8Array): TrafficSecrets {
    const salt = deriveSecret(this.provider, this.hash, this.handshakeSecret, 'derived', this.emptyHash());
    this.masterSecretValue = this.provider.hkdfExtract(this.hash, salt, new Uint8Array(this.hashLength));
    return {
      client: deriveSecret(this.provider, this.hash, this.masterSecretValue, 'c ap traffic', serverFinishedHash),
      server: deriveSecret(this.provider, this.hash, this.masterSecretValue, 's ap traffic', serverFinishedHash),
    };
  }

  exporterMasterSecret(serverFinishedHash: Uint8Array): Uint8Array {
    return deriveSecret(this.provider, this.hash, this.masterSecret, 'exp master', serverFinishedHash);
  }

  resumptionMasterSecret(clientFinishedHash: Uint8Array): Uint8Array {
    return deriveSecret(this.provider, this.hash, this.masterSecret, 'res master', clientFinishedHash);
  }

  /** The PSK a NewSessionTicket stands for: HKDF-Expand-Label(rms, "resumption", nonce, Hash.length) (RFC 8446 §4.6.1). */
  resumptionPsk(resumptionMasterSecret: Uint8Array, ticketNonce: Uint8Array): Uint8Array {
    return hkdfExpandLabel(this.provider, this.hash, resumptionMasterSecret, 'resumption', ticketNonce, this.hashLength);
  }

  /** Finished.verify_data = HMAC(finished_key, Transcript-Hash) (RFC 8446 §4.4.4). */
  finishedVerifyData(trafficSecret: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
    const finishedKey = hkdfExpandLabel(this.provider, this.hash, trafficSecret, 'finished', new Uint8Array(0), this.hashLength);
    return this.provider.hmac(this.hash, finishedKey, transcriptHash);
  }

  /** application_traffic_secret_N+1 (RFC 8446 §7.2); QUIC key updates use "quic ku" instead (RFC 9001 §6). */
  nextTrafficSecret(secret: Uint8Array, label = 'traffic upd'): Uint8Array {
    return hkdfExpandLabel(this.provider, this.hash, secret, label, new Uint8Array(0), this.hashLength);
  }
}

/**
 * The handshake transcript (RFC 8446 §4.4.1). Messages are kept until the hash function is known
 * (the server's ServerHello or HelloRetryRequest picks it).
 */
export class Transcript {
  private messages: Uint8Array[] = [];

  constructor(private readonly provider: CryptoProvider) {}

  add(message: Uint8Array): void {
    this.messages.push(message);
  }

  /** The hash of the messages so far, followed by `partial` when given (a truncated ClientHello). */
  hash(alg: HashAlgorithm, partial?: Uint8Array): Uint8Array {
    const h = this.provider.createHash(alg);
    for (const m of this.messages) h.update(m);
    if (partial) h.update(partial);
    return h.digest();
  }

  /**
   * After a HelloRetryRequest, ClientHello1 is replaced by
   * `message_hash(254) 00 00 Hash.length Hash(ClientHello1)` (RFC 8446 §4.4.1).
   */
  replaceWithMessageHash(alg: HashAlgorithm): void {
    const digest = this.hash(alg);
    this.messages = [concatBytes(Uint8Array.of(HandshakeType.messageHash, 0, 0, digest.length), digest)];
  }
}
