/**
 * Entry point of the crypto layer: the provider registry and the QUIC packet protection helpers.
 */
import { NobleCryptoProvider } from './noble-provider.js';
import { NodeCryptoProvider } from './node-provider.js';
import type { CryptoProvider } from './provider.js';

export * from './provider.js';
export * from './hkdf-label.js';
export * from './initial.js';
export {
  AEAD_TAG_LENGTH,
  HP_SAMPLE_LENGTH,
  PacketProtector,
  type PayloadKey,
  type PayloadKeySelector,
  type UnprotectedPacket,
  payloadKey,
} from './packet-protection.js';
export * from './retry.js';
export * from './key-update.js';
export { NodeCryptoProvider } from './node-provider.js';
export { NobleCryptoProvider } from './noble-provider.js';

export type ProviderName = CryptoProvider['name'];

const providers = new Map<ProviderName, CryptoProvider>();

/** The shared provider instance of that name ('node', node:crypto, by default). */
export function getProvider(name: ProviderName = 'node'): CryptoProvider {
  let provider = providers.get(name);
  if (provider === undefined) {
    if (name === 'node') provider = new NodeCryptoProvider();
    else if (name === 'noble') provider = new NobleCryptoProvider();
    else throw new Error(`unknown crypto provider "${String(name)}" (expected "node" or "noble")`);
    providers.set(name, provider);
  }
  return provider;
}
