/**
 * NSS key log lines (the SSLKEYLOGFILE format Wireshark reads):
 * `<label> <client_random hex> <secret hex>`, one per secret.
 */
import { toHex } from './wire.js';

export const KeyLogLabel = {
  clientEarlyTrafficSecret: 'CLIENT_EARLY_TRAFFIC_SECRET',
  clientHandshakeTrafficSecret: 'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
  serverHandshakeTrafficSecret: 'SERVER_HANDSHAKE_TRAFFIC_SECRET',
  clientTrafficSecret0: 'CLIENT_TRAFFIC_SECRET_0',
  serverTrafficSecret0: 'SERVER_TRAFFIC_SECRET_0',
} as const;
export type KeyLogLabel = (typeof KeyLogLabel)[keyof typeof KeyLogLabel];

export function keyLogLine(label: KeyLogLabel, clientRandom: Uint8Array, secret: Uint8Array): string {
  return `${label} ${toHex(clientRandom)} ${toHex(secret)}`;
}
