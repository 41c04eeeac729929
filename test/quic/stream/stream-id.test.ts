import { describe, expect, it } from 'vitest';
import {
  LocalStreamLimit,
  MAX_STREAM_COUNT,
  PeerStreamLimit,
  checkStreamFrame,
  hasRecvSide,
  hasSendSide,
  isBidirectional,
  isLocallyInitiated,
  isUnidirectional,
  streamDirection,
  streamId,
  streamIndex,
  streamInitiator,
} from '../../../src/quic/stream/stream-id.js';
import { QuicError, TransportErrorCode } from '../../../src/quic/wire/errors.js';
import { codeOf } from './error-code.js';

describe('stream IDs (RFC 9000 §2.1)', () => {
  it('the two low bits give initiator and direction', () => {
    expect([0, 1, 2, 3].map(streamInitiator)).toEqual(['client', 'server', 'client', 'server']);
    expect([0, 1, 2, 3].map(streamDirection)).toEqual(['bidi', 'bidi', 'uni', 'uni']);
    expect(isBidirectional(4)).toBe(true);
    expect(isUnidirectional(7)).toBe(true);
    expect(streamIndex(0)).toBe(0);
    expect(streamIndex(13)).toBe(3);
  });

  it('streamId inverts the helpers', () => {
    for (let id = 0; id < 64; id++) {
      expect(streamId(streamIndex(id), streamInitiator(id), streamDirection(id))).toBe(id);
    }
    expect(streamId(2 ** 50, 'server', 'uni')).toBe(2 ** 52 + 3);
    expect(streamIndex(2 ** 52 + 3)).toBe(2 ** 50);
  });

  it('which side of each stream type exists for client and server', () => {
    // Client: its bidi (0), server bidi (1), its uni (2, send only), server uni (3, receive only).
    expect([0, 1, 2, 3].map((id) => isLocallyInitiated(id, true))).toEqual([true, false, true, false]);
    expect([0, 1, 2, 3].map((id) => hasSendSide(id, true))).toEqual([true, true, true, false]);
    expect([0, 1, 2, 3].map((id) => hasRecvSide(id, true))).toEqual([true, true, false, true]);
    expect([0, 1, 2, 3].map((id) => hasSendSide(id, false))).toEqual([true, true, false, true]);
    expect([0, 1, 2, 3].map((id) => hasRecvSide(id, false))).toEqual([true, true, true, false]);
  });
});

describe('checkStreamFrame: STREAM_STATE_ERROR cases', () => {
  it('STREAM data on our own unidirectional stream', () => {
    expect(codeOf(() => checkStreamFrame(2, true, 'recv', 10))).toBe(TransportErrorCode.STREAM_STATE_ERROR);
  });

  it('MAX_STREAM_DATA or STOP_SENDING on the peer unidirectional stream', () => {
    expect(codeOf(() => checkStreamFrame(3, true, 'send', 0))).toBe(TransportErrorCode.STREAM_STATE_ERROR);
  });

  it('any frame on a local stream we have not opened', () => {
    expect(codeOf(() => checkStreamFrame(8, true, 'recv', 2))).toBe(TransportErrorCode.STREAM_STATE_ERROR);
    expect(codeOf(() => checkStreamFrame(4, true, 'send', 2))).toBeUndefined();
    // Peer-initiated streams are governed by the stream limit instead.
    expect(codeOf(() => checkStreamFrame(401, true, 'recv', 0))).toBeUndefined();
  });
});

describe('PeerStreamLimit (RFC 9000 §4.6, §3.2)', () => {
  it('opening a stream opens every lower stream of its type', () => {
    const server = new PeerStreamLimit(false, 'bidi', 10);
    expect(server.open(8)).toEqual([0, 4, 8]);
    expect(server.open(4)).toEqual([]);
    expect(server.isOpened(4)).toBe(true);
    expect(server.isOpened(12)).toBe(false);
    expect(server.open(12)).toEqual([12]);
    const client = new PeerStreamLimit(true, 'uni', 10);
    expect(client.open(7)).toEqual([3, 7]);
  });

  it('STREAM_LIMIT_ERROR beyond our advertised count', () => {
    const limit = new PeerStreamLimit(false, 'uni', 3);
    expect(limit.open(streamId(2, 'client', 'uni'))).toHaveLength(3);
    expect(codeOf(() => limit.open(streamId(3, 'client', 'uni')))).toBe(TransportErrorCode.STREAM_LIMIT_ERROR);
  });

  it('returns credit with MAX_STREAMS as peer streams close', () => {
    const limit = new PeerStreamLimit(false, 'bidi', 4);
    limit.open(streamId(3, 'client', 'bidi'));
    limit.onStreamClosed();
    expect(limit.shouldSendMaxStreams()).toBe(false);
    limit.onStreamClosed();
    expect(limit.shouldSendMaxStreams()).toBe(true);
    expect(limit.nextMaxStreams()).toBe(6);
    expect(limit.shouldSendMaxStreams()).toBe(false);
    expect(limit.open(streamId(5, 'client', 'bidi'))).toEqual([16, 20]);
    expect(codeOf(() => limit.open(streamId(6, 'client', 'bidi')))).toBe(TransportErrorCode.STREAM_LIMIT_ERROR);
  });

  it('rejects a stream of the wrong type as an internal error', () => {
    expect(() => new PeerStreamLimit(false, 'bidi', 4).open(1)).toThrow(QuicError);
  });
});

describe('LocalStreamLimit', () => {
  it('opens streams up to the peer limit, then reports STREAMS_BLOCKED once per limit', () => {
    const limit = new LocalStreamLimit(true, 'bidi', 2);
    expect(limit.open()).toBe(0);
    expect(limit.open()).toBe(4);
    expect(limit.open()).toBeUndefined();
    expect(limit.takeBlocked()).toBe(2);
    expect(limit.takeBlocked()).toBeUndefined();
    expect(limit.onMaxStreams(1)).toBe(false);
    expect(limit.onMaxStreams(3)).toBe(true);
    expect(limit.open()).toBe(8);
    expect(limit.takeBlocked()).toBe(3);
    const server = new LocalStreamLimit(false, 'uni', 1);
    expect(server.open()).toBe(3);
  });

  it('stream counts above 2^60 are errors (RFC 9000 §19.11)', () => {
    expect(codeOf(() => new LocalStreamLimit(true, 'uni', MAX_STREAM_COUNT * 2))).toBe(
      TransportErrorCode.TRANSPORT_PARAMETER_ERROR,
    );
    const limit = new LocalStreamLimit(true, 'uni', 0);
    expect(codeOf(() => limit.onMaxStreams(2 ** 61))).toBe(TransportErrorCode.FRAME_ENCODING_ERROR);
    expect(limit.onMaxStreams(MAX_STREAM_COUNT)).toBe(true);
  });
});
