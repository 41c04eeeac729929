/** Types shared by the connection's modules. */

/** Where a datagram came from or goes to. The endpoint compares addresses by `key`. */
export interface PeerAddress {
  address: string;
  port: number;
}

export function addressKey(a: PeerAddress): string {
  return `${a.address}|${a.port}`;
}

export function sameAddress(a: PeerAddress, b: PeerAddress): boolean {
  return a.port === b.port && a.address === b.address;
}

/** RFC 9000 §10 lifecycle, with qlog's state names. */
export type ConnectionState = 'attempted' | 'handshake' | 'connected' | 'closing' | 'draining' | 'closed';

/**
 * What a sent packet carried, kept for its acknowledgement or loss (RFC 9002: frames are
 * retransmitted, never packets). Stream and CRYPTO data are referenced by range only: the bytes
 * stay in the stream's send buffer until acknowledged.
 */
export type SentFrame =
  | { k: 'ack'; largest: number }
  | { k: 'crypto'; offset: number; length: number }
  | { k: 'stream'; id: number; offset: number; length: number; fin: boolean }
  | { k: 'reset_stream'; id: number }
  | { k: 'stop_sending'; id: number; code: number }
  | { k: 'max_data' }
  | { k: 'max_stream_data'; id: number }
  | { k: 'max_streams'; bidi: boolean }
  | { k: 'data_blocked'; limit: number }
  | { k: 'stream_data_blocked'; id: number }
  | { k: 'streams_blocked'; bidi: boolean }
  | { k: 'handshake_done' }
  | { k: 'new_connection_id'; seq: number }
  | { k: 'retire_connection_id'; seq: number }
  | { k: 'path_challenge' }
  | { k: 'ping'; uid?: number }
  | { k: 'new_token' }
  | { k: 'close' }
  /** A frame reserved with reserveFrame and written by write_frame[type]. */
  | { k: 'plugin'; type: number; ctx: unknown; owner: string; ccBytes: number };
