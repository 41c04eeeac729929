/**
 * Initial secrets and packet protection keys (RFC 9001 §5.1-§5.2).
 */
import { hkdfExpandLabel } from './hkdf-label.js';
import { type CipherSuite, type CryptoProvider, TLS_AES_128_GCM_SHA256, suiteParams } from './provider.js';

export const QUIC_VERSION_1 = 0x00000001;

/** RFC 9001 §5.2: initial_salt for QUIC version 1. */
export const INITIAL_SALT_V1 = Uint8Array.of(
  0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
  0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
);

/** Initial packets always use AEAD_AES_128_GCM with SHA-256 (RFC 9001 §5.2). */
export const INITIAL_CIPHER_SUITE: CipherSuite = TLS_AES_128_GCM_SHA256;

export interface InitialSecrets {
  /** Protects packets the client sends. */
  client: Uint8Array;
  /** Protects packets the server sends. */
  server: Uint8Array;
}

/**
 * initial_secret = HKDF-Extract(initial_salt, client_dst_connection_id);
 * client_initial_secret = HKDF-Expand-Label(initial_secret, "client in", "", 32), and likewise
 * "server in". `dcid` is the Destination Connection ID of the client's first Initial packet.
 */
export function initialSecrets(provider: CryptoProvider, dcid: Uint8Array): InitialSecrets {
  const initialSecret = provider.hkdfExtract('sha256', INITIAL_SALT_V1, dcid);
  const empty = new Uint8Array(0);
  return {
    client: hkdfExpandLabel(provider, 'sha256', initialSecret, 'client in', empty, 32),
    server: hkdfExpandLabel(provider, 'sha256', initialSecret, 'server in', empty, 32),
  };
}

export interface PacketKeys {
  /** AEAD key (16 or 32 bytes). */
  key: Uint8Array;
  /** AEAD IV, 12 bytes. */
  iv: Uint8Array;
  /** Header protection key, as long as the AEAD key. */
  hp: Uint8Array;
}

/** RFC 9001 §5.1: key, iv and hp from a traffic secret, labels "quic key", "quic iv", "quic hp". */
export function derivePacketKeys(provider: CryptoProvider, suite: CipherSuite, secret: Uint8Array): PacketKeys {
  const { keyLength, ivLength, hash } = suiteParams(suite);
  const empty = new Uint8Array(0);
  return {
    key: hkdfExpandLabel(provider, hash, secret, 'quic key', empty, keyLength),
    iv: hkdfExpandLabel(provider, hash, secret, 'quic iv', empty, ivLength),
    hp: hkdfExpandLabel(provider, hash, secret, 'quic hp', empty, keyLength),
  };
}
