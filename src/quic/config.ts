/**
 * Configuration of one QUIC connection (aioquic's QuicConfiguration shape). Times are in
 * microseconds in the sans-IO core; the option names here say their unit.
 */
import type { CipherSuite, NamedGroup, PrivateKey } from './crypto/provider.js';
import type { SessionCache } from './tls/session.js';
import { SessionTicketKey } from './tls/ticket.js';
import type { Certificate } from './tls/x509.js';

export interface QuicConfiguration {
  isClient: boolean;
  /** ALPN protocols, in preference order (hq-interop for HTTP/0.9). */
  alpnProtocols: string[];
  /** Client: server name for SNI and certificate verification. */
  serverName?: string;
  /** Server: DER certificate chain, leaf first, and its private key. */
  certificateChain?: Uint8Array[];
  privateKey?: PrivateKey;
  /** Client: trust anchors for verification; `insecure` skips verification. */
  trustAnchors?: Certificate[];
  insecure?: boolean;
  /** Crypto provider: node:crypto (default) or the portable @noble one. */
  crypto: 'node' | 'noble';
  cipherSuites?: CipherSuite[];
  groups?: NamedGroup[];
  /** NSS key log lines (SSLKEYLOGFILE format). */
  keyLog?: (line: string) => void;
  /** Client: sessions to resume by server name; tickets the server sends are stored in it. */
  sessionCache?: SessionCache;
  /**
   * Server: the key sealing session tickets, shared by all its connections (a fresh random one
   * by default); undefined sends no NewSessionTicket and resumes nothing.
   */
  sessionTicketKey?: SessionTicketKey;
  /**
   * Server: accept 0-RTT from clients resuming our tickets (RFC 9001 §4.6). Early data can be
   * replayed within the ticket-age window (RFC 8446 §8): only for idempotent requests.
   */
  acceptEarlyData?: boolean;
  /**
   * Client: when the cached session allows it, send stream data in 0-RTT packets before the
   * handshake completes (RFC 9001 §4.6). Same replay caveat: only idempotent requests.
   */
  enableEarlyData?: boolean;

  // Transport parameters we send (RFC 9000 §18.2).
  maxIdleTimeoutMs: number;
  /** Initial connection-level receive window; grows up to maxDataWindow with auto-tuning. */
  initialMaxData: number;
  initialMaxStreamData: number;
  maxDataWindow: number;
  maxStreamDataWindow: number;
  initialMaxStreamsBidi: number;
  initialMaxStreamsUni: number;
  ackDelayExponent: number;
  maxAckDelayMs: number;
  activeConnectionIdLimit: number;
  /** Largest UDP payload we accept (max_udp_payload_size). */
  maxUdpPayloadSize: number;
  /** Largest UDP payload we send (until PMTU discovery exists: 1200 is always safe). */
  maxDatagramSize: number;
  disableActiveMigration: boolean;
  /** Length of the connection IDs we issue (0..20). */
  connectionIdLength: number;
  /** QUIC versions we speak, preferred first. */
  versions: number[];
}

export function defaultConfiguration(overrides: Partial<QuicConfiguration> & { isClient: boolean }): QuicConfiguration {
  return {
    alpnProtocols: ['hq-interop'],
    crypto: 'node',
    maxIdleTimeoutMs: 30_000,
    initialMaxData: 1 << 20,
    initialMaxStreamData: 256 << 10,
    maxDataWindow: 24 << 20,
    maxStreamDataWindow: 16 << 20,
    initialMaxStreamsBidi: 128,
    initialMaxStreamsUni: 128,
    ackDelayExponent: 3,
    maxAckDelayMs: 25,
    activeConnectionIdLimit: 4,
    maxUdpPayloadSize: 65527,
    maxDatagramSize: 1200,
    disableActiveMigration: false,
    connectionIdLength: 8,
    versions: [0x00000001],
    ...(overrides.isClient ? {} : { sessionTicketKey: new SessionTicketKey() }),
    ...overrides,
  };
}
