import { describe, expect, it } from 'vitest';
import { SendCredit } from '../../../src/quic/stream/flow-control.js';
import { RecvStream } from '../../../src/quic/stream/recv-stream.js';
import { SendStream, type StreamFrameData } from '../../../src/quic/stream/send-stream.js';
import { QuicError, TransportErrorCode } from '../../../src/quic/wire/errors.js';
import { Prng } from '../recovery/prng.js';

const range = (start: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
const shape = (f: StreamFrameData | undefined) => f && { offset: f.offset, length: f.data.length, fin: f.fin, newBytes: f.newBytes };

describe('SendStream: sending', () => {
  it('splits written data into frames of at most maxBytes, FIN on the last', () => {
    const s = new SendStream(1_000_000);
    s.write(range(0, 25), true);
    const f1 = s.nextFrame(10)!;
    expect(shape(f1)).toEqual({ offset: 0, length: 10, fin: false, newBytes: 10 });
    expect([...f1.data]).toEqual([...range(0, 10)]);
    expect(shape(s.nextFrame(10))).toEqual({ offset: 10, length: 10, fin: false, newBytes: 10 });
    expect(shape(s.nextFrame(10))).toEqual({ offset: 20, length: 5, fin: true, newBytes: 5 });
    expect(s.nextFrame(10)).toBeUndefined();
  });

  it('copies written data (the caller may reuse its buffer)', () => {
    const s = new SendStream(100);
    const data = range(0, 4);
    s.write(data);
    data.fill(9);
    expect([...s.nextFrame(100)!.data]).toEqual([0, 1, 2, 3]);
  });

  it('frames spanning several writes are contiguous', () => {
    const s = new SendStream(100);
    s.write(range(0, 3));
    s.write(range(3, 3));
    s.write(range(6, 3));
    expect([...s.nextFrame(100)!.data]).toEqual([...range(0, 9)]);
  });

  it('a FIN alone becomes a zero-length frame', () => {
    const s = new SendStream(100);
    s.write(range(0, 5));
    s.nextFrame(100);
    s.write(new Uint8Array(0), true);
    expect(shape(s.nextFrame(100))).toEqual({ offset: 5, length: 0, fin: true, newBytes: 0 });
    expect(s.nextFrame(100)).toBeUndefined();
  });

  it('Ready → Send → DataSent → DataRecvd (RFC 9000 §3.1)', () => {
    const s = new SendStream(100);
    expect(s.state).toBe('Ready');
    s.write(range(0, 10));
    expect(s.state).toBe('Ready');
    s.nextFrame(4);
    expect(s.state).toBe('Send');
    s.write(new Uint8Array(0), true);
    s.nextFrame(100);
    expect(s.state).toBe('DataSent');
    s.onAcked(4, 6, true);
    expect(s.state).toBe('DataSent');
    s.onAcked(0, 4, false);
    expect(s.state).toBe('DataRecvd');
    expect(s.isFinished).toBe(true);
    expect(s.bufferedBytes).toBe(0);
  });

  it('write after FIN or after reset is a STREAM_STATE_ERROR', () => {
    const s = new SendStream(100);
    s.write(range(0, 2), true);
    expect(() => s.write(range(0, 1))).toThrow(QuicError);
    s.write(new Uint8Array(0), true);
    const r = new SendStream(100);
    r.reset(1);
    try {
      r.write(range(0, 1));
      expect.unreachable();
    } catch (e) {
      expect((e as QuicError).code).toBe(TransportErrorCode.STREAM_STATE_ERROR);
    }
  });
});

describe('SendStream: flow control', () => {
  it('never sends new data beyond the stream limit; reports STREAM_DATA_BLOCKED once', () => {
    const s = new SendStream(10);
    s.write(range(0, 30), true);
    expect(shape(s.nextFrame(100))).toEqual({ offset: 0, length: 10, fin: false, newBytes: 10 });
    expect(s.nextFrame(100)).toBeUndefined();
    expect(s.hasDataToSend()).toBe(false);
    expect(s.takeBlocked()).toBe(10);
    expect(s.takeBlocked()).toBeUndefined();
    s.onMaxStreamData(25);
    expect(s.takeBlocked()).toBeUndefined();
    expect(shape(s.nextFrame(100))).toEqual({ offset: 10, length: 15, fin: false, newBytes: 15 });
    s.onMaxStreamData(30);
    expect(shape(s.nextFrame(100))).toEqual({ offset: 25, length: 5, fin: true, newBytes: 5 });
    expect(s.takeBlocked()).toBeUndefined();
  });

  it('respects the connection credit it is given and reports new bytes', () => {
    const s = new SendStream(1000);
    s.write(range(0, 100));
    expect(s.hasDataToSend(0)).toBe(false);
    expect(s.nextFrame(100, 0)).toBeUndefined();
    expect(shape(s.nextFrame(100, 30))).toEqual({ offset: 0, length: 30, fin: false, newBytes: 30 });
    expect(s.credit.sent).toBe(30);
  });

  it('retransmissions need no credit', () => {
    const s = new SendStream(10);
    s.write(range(0, 10));
    s.nextFrame(100);
    s.onLost(0, 10, false);
    expect(shape(s.nextFrame(100, 0))).toEqual({ offset: 0, length: 10, fin: false, newBytes: 0 });
    expect(s.credit.sent).toBe(10);
  });
});

describe('SendStream: acknowledgements and losses', () => {
  it('retransmits lost ranges before new data', () => {
    const s = new SendStream(1000);
    s.write(range(0, 30));
    s.nextFrame(10);
    s.nextFrame(10);
    s.onLost(0, 10, false);
    const f = s.nextFrame(100)!;
    expect(shape(f)).toEqual({ offset: 0, length: 10, fin: false, newBytes: 0 });
    expect([...f.data]).toEqual([...range(0, 10)]);
    expect(shape(s.nextFrame(100))).toEqual({ offset: 20, length: 10, fin: false, newBytes: 10 });
  });

  it('does not retransmit bytes acknowledged by another frame', () => {
    const s = new SendStream(1000);
    s.write(range(0, 30));
    s.nextFrame(30);
    s.onLost(0, 30, false);
    // A retransmission of 10..20 was acked meanwhile (spurious loss of that part).
    s.onAcked(10, 10, false);
    expect(shape(s.nextFrame(100))).toEqual({ offset: 0, length: 10, fin: false, newBytes: 0 });
    expect(shape(s.nextFrame(100))).toEqual({ offset: 20, length: 10, fin: false, newBytes: 0 });
    expect(s.nextFrame(100)).toBeUndefined();
  });

  it('a loss reported after the ack changes nothing', () => {
    const s = new SendStream(1000);
    s.write(range(0, 10), true);
    s.nextFrame(100);
    s.onAcked(0, 10, true);
    s.onLost(0, 10, true);
    expect(s.nextFrame(100)).toBeUndefined();
    expect(s.state).toBe('DataRecvd');
  });

  it('a lost FIN is sent again, on the data frame when that is lost too', () => {
    const s = new SendStream(1000);
    s.write(range(0, 10), true);
    s.nextFrame(100);
    s.onLost(0, 10, true);
    expect(shape(s.nextFrame(4))).toEqual({ offset: 0, length: 4, fin: false, newBytes: 0 });
    expect(shape(s.nextFrame(100))).toEqual({ offset: 4, length: 6, fin: true, newBytes: 0 });
    s.onAcked(0, 10, false);
    s.onLost(4, 6, true);
    expect(shape(s.nextFrame(100))).toEqual({ offset: 10, length: 0, fin: true, newBytes: 0 });
  });

  it('releases memory as the acknowledged prefix grows', () => {
    const s = new SendStream(1 << 20);
    s.write(range(0, 100_000));
    expect(s.bufferedBytes).toBe(100_000);
    const frames: StreamFrameData[] = [];
    for (let f = s.nextFrame(1000); f !== undefined; f = s.nextFrame(1000)) frames.push(f);
    expect(frames.length).toBe(100);
    s.onAcked(50_000, 50_000, false);
    expect(s.bufferedBytes).toBe(100_000);
    s.onAcked(0, 50_000, false);
    expect(s.bufferedBytes).toBe(0);
  });
});

describe('SendStream: reset and STOP_SENDING', () => {
  it('reset reports the highest offset sent as the final size', () => {
    const s = new SendStream(1000);
    s.write(range(0, 50));
    s.nextFrame(20);
    const info = s.reset(9)!;
    expect(info).toEqual({ errorCode: 9, finalSize: 20 });
    expect(s.state).toBe('ResetSent');
    expect(s.bufferedBytes).toBe(0);
    expect(s.nextFrame(100)).toBeUndefined();
    expect(s.hasDataToSend()).toBe(false);
    expect(s.reset(10)).toBeUndefined();
  });

  it('RESET_STREAM is retransmitted until acknowledged', () => {
    const s = new SendStream(1000);
    s.reset(3);
    expect(s.takeReset()).toEqual({ errorCode: 3, finalSize: 0 });
    expect(s.takeReset()).toBeUndefined();
    s.onResetLost();
    expect(s.takeReset()).toEqual({ errorCode: 3, finalSize: 0 });
    s.onResetAcked();
    expect(s.state).toBe('ResetRecvd');
    expect(s.isFinished).toBe(true);
    s.onResetLost();
    expect(s.takeReset()).toBeUndefined();
  });

  it('acks and losses after a reset are ignored', () => {
    const s = new SendStream(1000);
    s.write(range(0, 50));
    s.nextFrame(50);
    s.reset(1);
    s.onLost(0, 50, false);
    s.onAcked(0, 50, false);
    expect(s.nextFrame(100)).toBeUndefined();
  });

  it('cannot reset once all data is acknowledged', () => {
    const s = new SendStream(1000);
    s.write(range(0, 5), true);
    s.nextFrame(100);
    s.onAcked(0, 5, true);
    expect(s.reset(1)).toBeUndefined();
    expect(s.state).toBe('DataRecvd');
  });

  it('STOP_SENDING resets with the same code (RFC 9000 §3.5)', () => {
    const s = new SendStream(1000);
    s.write(range(0, 5));
    s.nextFrame(3);
    expect(s.onStopSending(77)).toEqual({ errorCode: 77, finalSize: 3 });
    expect(s.stopSendingCode).toBe(77);
    expect(s.onStopSending(78)).toBeUndefined();
  });
});

describe('SendStream with random loss, ack and reordering (seeded)', () => {
  for (const seed of [201, 202, 203, 204, 205, 206, 207, 208, 209, 210]) {
    it(`seed ${seed}: the receiver gets exactly the written bytes; nothing beyond flow control`, () => {
      const prng = new Prng(seed);
      const size = prng.int(0, 60_000);
      const original = prng.bytes(size);
      const streamWindow = prng.int(1, 20_000);
      const recv = new RecvStream({ window: { initialWindow: streamWindow } });
      const send = new SendStream(streamWindow);
      const connection = new SendCredit(prng.int(1, 80_000));
      let written = 0;
      const inFlight: StreamFrameData[] = [];
      const received: Uint8Array[] = [];
      for (let step = 0; step < 20_000 && !send.isFinished; step++) {
        const action = prng.int(0, 9);
        if (action < 2 && written < size) {
          const n = Math.min(prng.int(1, 5000), size - written);
          send.write(original.subarray(written, written + n), written + n === size && prng.chance(0.7));
          written += n;
          if (written === size && send.finalSize === undefined && prng.chance(0.5)) send.write(new Uint8Array(0), true);
        } else if (action < 5) {
          const before = send.sentOffset;
          const frame = send.nextFrame(prng.int(0, 1500), connection.available);
          if (frame !== undefined) {
            expect(frame.newBytes).toBe(send.sentOffset - before);
            connection.onSent(frame.newBytes);
            expect(send.sentOffset).toBeLessThanOrEqual(send.credit.limit);
            expect([...frame.data]).toEqual([...original.subarray(frame.offset, frame.offset + frame.data.length)]);
            inFlight.push({ ...frame, data: frame.data.slice() });
          }
        } else if (action < 9 && inFlight.length > 0) {
          // Some frame in flight is delivered and acked, or lost.
          const i = prng.int(0, inFlight.length - 1);
          const frame = inFlight.splice(i, 1)[0]!;
          if (prng.chance(0.7)) {
            recv.onData(frame.offset, frame.data, frame.fin);
            if (prng.chance(0.9)) send.onAcked(frame.offset, frame.data.length, frame.fin);
            else send.onLost(frame.offset, frame.data.length, frame.fin);
          } else {
            send.onLost(frame.offset, frame.data.length, frame.fin);
          }
        } else {
          received.push(recv.read().slice());
          if (recv.shouldSendMaxStreamData()) send.onMaxStreamData(recv.maxStreamDataUpdate(step, 1000));
          if (prng.chance(0.3)) connection.update(connection.limit + prng.int(1, 30_000));
        }
        if (written === size && send.finalSize === undefined) send.write(new Uint8Array(0), true);
        expect(send.bufferedBytes).toBeLessThanOrEqual(written);
        expect(connection.sent).toBeLessThanOrEqual(connection.limit);
      }
      received.push(recv.read().slice());
      expect(send.isFinished).toBe(true);
      expect(send.state).toBe('DataRecvd');
      expect(send.bufferedBytes).toBe(0);
      expect(recv.state).toBe('DataRead');
      const joined = Buffer.concat(received);
      expect(joined.length).toBe(size);
      expect(joined.equals(Buffer.from(original))).toBe(true);
    });
  }
});
