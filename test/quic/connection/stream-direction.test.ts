/**
 * Frames that name the side an open stream lacks (RFC 9000 §19.4, §19.5, §19.8, §19.10, §19.13):
 * STREAM, RESET_STREAM and STREAM_DATA_BLOCKED for a send-only stream, STOP_SENDING and
 * MAX_STREAM_DATA for a receive-only one are a STREAM_STATE_ERROR even after the stream has
 * been opened (fuzz:quic's conn target found them ignored once the stream existed).
 */
import { describe, expect, it } from 'vitest';
import { TransportErrorCode } from '../../../src/quic/wire/errors.js';
import { codeOf } from '../stream/error-code.js';
import { handshake, makePair, runUntil } from './harness.js';
import { runCase } from '../fuzz/runner.js';
import { connTarget } from '../fuzz/conn-target.js';

describe('frames for the missing side of an open stream', () => {
  function openUniStreams() {
    const p = makePair();
    handshake(p);
    const server = p.server!;
    // One unidirectional stream each way, both open and known to the receiver.
    const clientUni = p.client.createStream(false);
    p.client.sendStreamData(clientUni, new Uint8Array([1, 2, 3]));
    runUntil(p, () => server.streams.streamView(clientUni) !== undefined);
    const serverUni = server.createStream(false);
    server.sendStreamData(serverUni, new Uint8Array([4, 5]));
    runUntil(p, () => p.client.streams.streamView(serverUni) !== undefined);
    return { p, server, clientUni, serverUni };
  }

  it('closes with STREAM_STATE_ERROR for each, on an existing stream', () => {
    const { server, clientUni, serverUni } = openUniStreams();
    const m = server.streams;
    // serverUni is send-only at the server, clientUni receive-only.
    expect(codeOf(() => m.onStreamFrame({ type: 'stream', streamId: serverUni, offset: 0, data: new Uint8Array(1), fin: false }, 0)))
      .toBe(TransportErrorCode.STREAM_STATE_ERROR);
    expect(codeOf(() => m.onResetStream({ type: 'reset_stream', streamId: serverUni, applicationProtocolErrorCode: 1, finalSize: 0 })))
      .toBe(TransportErrorCode.STREAM_STATE_ERROR);
    expect(codeOf(() => m.onStreamDataBlocked(serverUni))).toBe(TransportErrorCode.STREAM_STATE_ERROR);
    expect(codeOf(() => m.onStopSending({ type: 'stop_sending', streamId: clientUni, applicationProtocolErrorCode: 7 })))
      .toBe(TransportErrorCode.STREAM_STATE_ERROR);
    expect(codeOf(() => m.onMaxStreamData(clientUni, 1 << 20))).toBe(TransportErrorCode.STREAM_STATE_ERROR);
  });

  it('still accepts the side the stream has', () => {
    const { server, clientUni, serverUni } = openUniStreams();
    const m = server.streams;
    expect(() => m.onMaxStreamData(serverUni, 1 << 20)).not.toThrow();
    expect(() => m.onStreamDataBlocked(clientUni)).not.toThrow();
    expect(() => m.onStreamFrame({ type: 'stream', streamId: clientUni, offset: 3, data: new Uint8Array(1), fin: false }, 0)).not.toThrow();
  });

  it('closes a live connection with that code and frame type (fuzz:quic conn, seed 7 case 9)', () => {
    // The fuzzer's replay: after the handshake the client's next 1-RTT packet, protected with
    // valid keys, carries MAX_STREAM_DATA for the client's own open unidirectional stream, on
    // which the server can only receive.
    const r = runCase(connTarget, 7, 9);
    expect(r.problem).toBeUndefined();
    expect(r.desc).toContain('§19.10 MAX_STREAM_DATA for an open receive-only stream');
    expect(r.outcome).toBe('crafted STREAM_STATE_ERROR');
  });
});
