/**
 * What a connection tells its application (aioquic's events.py shape): drained with
 * `connection.nextEvent()` after each receive/timer call.
 */

export interface HandshakeCompleted {
  type: 'handshake_completed';
  alpn: string | undefined;
  cipherSuite: number;
}

export interface StreamDataReceived {
  type: 'stream_data';
  streamId: number;
  data: Uint8Array;
  fin: boolean;
}

/**
 * Pull mode (`QuicConnection.setStreamReads('pull')`): bytes (or the end of the stream) can be
 * taken with `readStream`. Raised once, then not again for this stream until the application
 * has called `readStream` on it, so a reader that drains the stream hears of every arrival and
 * one that pauses is not flooded. One object per stream, reused: it carries nothing else.
 */
export interface StreamReadable {
  type: 'stream_readable';
  streamId: number;
}

export interface StreamReset {
  type: 'stream_reset';
  streamId: number;
  errorCode: number;
  finalSize: number;
}

export interface StopSendingReceived {
  type: 'stop_sending';
  streamId: number;
  errorCode: number;
}

export interface ConnectionTerminated {
  type: 'connection_terminated';
  /** Transport error code, or the application's when `application` is true. */
  errorCode: number;
  frameType: number | undefined;
  reason: string;
  application: boolean;
  /** True when the peer closed; false for a local close, idle timeout or stateless reset. */
  byPeer: boolean;
  /** idle_timeout, stateless_reset, closed, handshake_timeout ... */
  cause: string;
}

export interface ConnectionIdIssued {
  type: 'connection_id_issued';
  connectionId: Uint8Array;
}

export interface ConnectionIdRetired {
  type: 'connection_id_retired';
  connectionId: Uint8Array;
}

export interface PingAcknowledged {
  type: 'ping_acknowledged';
  uid: number;
}

export type QuicEvent =
  | HandshakeCompleted
  | StreamDataReceived
  | StreamReadable
  | StreamReset
  | StopSendingReceived
  | ConnectionTerminated
  | ConnectionIdIssued
  | ConnectionIdRetired
  | PingAcknowledged;
