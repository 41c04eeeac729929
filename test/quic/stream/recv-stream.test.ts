import { describe, expect, it } from 'vitest';
import { ReceiveWindow } from '../../../src/quic/stream/flow-control.js';
import { ReassemblyBuffer } from '../../../src/quic/stream/reassembly.js';
import { RecvStream } from '../../../src/quic/stream/recv-stream.js';
import { TransportErrorCode } from '../../../src/quic/wire/errors.js';
import { codeOf } from './error-code.js';
import { Prng } from '../recovery/prng.js';

const bytes = (...values: number[]) => new Uint8Array(values);
const range = (start: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);

function stream(window = 1000, connection?: ReceiveWindow): RecvStream {
  return new RecvStream({ window: { initialWindow: window }, connection });
}

describe('RecvStream reassembly', () => {
  it('delivers in-order data', () => {
    const s = stream();
    s.onData(0, bytes(1, 2, 3), false);
    expect(s.readable).toBe(3);
    expect([...s.read()]).toEqual([1, 2, 3]);
    expect(s.read().length).toBe(0);
  });

  it('holds out-of-order data until the gap fills', () => {
    const s = stream();
    s.onData(3, bytes(4, 5), false);
    expect(s.readable).toBe(0);
    expect(s.read().length).toBe(0);
    s.onData(0, bytes(1, 2, 3), false);
    expect([...s.read()]).toEqual([1, 2, 3, 4, 5]);
  });

  it('overlapping and duplicate frames deliver each byte once', () => {
    const s = stream();
    s.onData(2, range(2, 4), false);
    s.onData(0, range(0, 3), false);
    s.onData(1, range(1, 7), false);
    s.onData(0, range(0, 8), false);
    expect([...s.read()]).toEqual([...range(0, 8)]);
    s.onData(0, range(0, 8), false);
    expect(s.readable).toBe(0);
  });

  it('read(max) returns at most max bytes', () => {
    const s = stream();
    s.onData(0, range(0, 10), false);
    s.onData(10, range(10, 10), false);
    expect([...s.read(4)]).toEqual([...range(0, 4)]);
    expect([...s.read(12)]).toEqual([...range(4, 12)]);
    expect([...s.read()]).toEqual([...range(16, 4)]);
  });

  it('copies only new bytes: stored bytes never exceed unique bytes', () => {
    const buf = new ReassemblyBuffer();
    expect(buf.insert(0, range(0, 10))).toBe(10);
    expect(buf.insert(5, range(5, 10))).toBe(5);
    expect(buf.insert(3, range(3, 4))).toBe(0);
    expect(buf.bufferedBytes).toBe(15);
  });

  it('does not keep a reference to the caller buffer', () => {
    const s = stream();
    const data = range(0, 4);
    s.onData(0, data, false);
    data.fill(0xee);
    expect([...s.read()]).toEqual([0, 1, 2, 3]);
  });
});

describe('RecvStream states (RFC 9000 §3.2)', () => {
  it('Recv → SizeKnown → DataRecvd → DataRead', () => {
    const s = stream();
    expect(s.state).toBe('Recv');
    s.onData(5, range(5, 5), true);
    expect(s.state).toBe('SizeKnown');
    expect(s.finalSize).toBe(10);
    s.onData(0, range(0, 5), false);
    expect(s.state).toBe('DataRecvd');
    expect([...s.read(7)]).toEqual([...range(0, 7)]);
    expect(s.state).toBe('DataRecvd');
    expect(s.isFinished).toBe(false);
    s.read();
    expect(s.state).toBe('DataRead');
    expect(s.isFinished).toBe(true);
  });

  it('an empty stream finished with a zero-length FIN', () => {
    const s = stream();
    s.onData(0, new Uint8Array(0), true);
    expect(s.state).toBe('DataRecvd');
    expect(s.read().length).toBe(0);
    expect(s.state).toBe('DataRead');
  });
});

describe('RecvStream final size (RFC 9000 §4.5)', () => {
  it('FINAL_SIZE_ERROR for data beyond the final size', () => {
    const s = stream();
    s.onData(0, range(0, 5), true);
    expect(codeOf(() => s.onData(3, range(3, 3), false))).toBe(TransportErrorCode.FINAL_SIZE_ERROR);
    // Data within the final size is fine, even repeated.
    s.onData(1, range(1, 4), false);
  });

  it('FINAL_SIZE_ERROR for a FIN at a different offset', () => {
    const s = stream();
    s.onData(0, range(0, 5), true);
    expect(codeOf(() => s.onData(0, range(0, 4), true))).toBe(TransportErrorCode.FINAL_SIZE_ERROR);
    expect(codeOf(() => s.onData(6, new Uint8Array(0), true))).toBe(TransportErrorCode.FINAL_SIZE_ERROR);
    s.onData(5, new Uint8Array(0), true);
  });

  it('FINAL_SIZE_ERROR for a FIN below data already received', () => {
    const s = stream();
    s.onData(10, range(10, 5), false);
    expect(codeOf(() => s.onData(0, range(0, 12), true))).toBe(TransportErrorCode.FINAL_SIZE_ERROR);
  });

  it('FINAL_SIZE_ERROR for a RESET_STREAM that changes or undercuts the final size', () => {
    const a = stream();
    a.onData(0, range(0, 5), true);
    expect(codeOf(() => a.onReset(1, 6))).toBe(TransportErrorCode.FINAL_SIZE_ERROR);
    const b = stream();
    b.onData(0, range(0, 8), false);
    expect(codeOf(() => b.onReset(1, 7))).toBe(TransportErrorCode.FINAL_SIZE_ERROR);
    const c = stream();
    c.onReset(1, 8);
    expect(codeOf(() => c.onReset(1, 9))).toBe(TransportErrorCode.FINAL_SIZE_ERROR);
    expect(codeOf(() => c.onData(0, range(0, 9), false))).toBe(TransportErrorCode.FINAL_SIZE_ERROR);
  });
});

describe('RecvStream flow control (RFC 9000 §4.1)', () => {
  it('FLOW_CONTROL_ERROR past the stream limit', () => {
    const s = stream(100);
    s.onData(0, range(0, 100), false);
    expect(codeOf(() => s.onData(100, bytes(1), false))).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
    expect(codeOf(() => stream(100).onData(101, new Uint8Array(0), false))).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
    expect(codeOf(() => stream(100).onReset(0, 101))).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
  });

  it('FLOW_CONTROL_ERROR past the connection limit, counting each stream highest offset once', () => {
    const conn = new ReceiveWindow({ initialWindow: 150 });
    const a = stream(100, conn);
    const b = stream(100, conn);
    a.onData(0, range(0, 80), false);
    // Retransmitted and lower data costs nothing more.
    a.onData(0, range(0, 80), false);
    expect(conn.highestReceived).toBe(80);
    b.onData(50, range(50, 20), false);
    expect(conn.highestReceived).toBe(150);
    expect(codeOf(() => b.onData(70, bytes(1), false))).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
    // Nothing was charged by the rejected frame.
    expect(conn.highestReceived).toBe(150);
    expect(b.highestReceived).toBe(70);
    expect(b.window.highestReceived).toBe(70);
  });

  it('a reset charges the connection up to the final size', () => {
    const conn = new ReceiveWindow({ initialWindow: 1000 });
    const s = stream(1000, conn);
    s.onData(0, range(0, 10), false);
    s.onReset(7, 300);
    expect(conn.highestReceived).toBe(300);
  });

  it('reports consumed bytes to both windows and asks for MAX_STREAM_DATA', () => {
    const conn = new ReceiveWindow({ initialWindow: 10_000 });
    const s = stream(100, conn);
    s.onData(0, range(0, 100), false);
    expect(s.shouldSendMaxStreamData()).toBe(false);
    s.read(50);
    expect(s.window.consumed).toBe(50);
    expect(conn.consumed).toBe(50);
    expect(s.shouldSendMaxStreamData()).toBe(false);
    s.read(1);
    expect(s.shouldSendMaxStreamData()).toBe(true);
    expect(s.maxStreamDataUpdate(0, 10_000)).toBe(151);
    s.onData(100, range(100, 51), false);
    expect(codeOf(() => s.onData(151, bytes(0), false))).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
  });

  it('no MAX_STREAM_DATA once the final size is known', () => {
    const s = stream(100);
    s.onData(0, range(0, 90), true);
    s.read();
    expect(s.shouldSendMaxStreamData()).toBe(false);
  });
});

describe('RecvStream reset and STOP_SENDING', () => {
  it('RESET_STREAM drops buffered data and releases every byte up to the final size', () => {
    const conn = new ReceiveWindow({ initialWindow: 1000 });
    const s = stream(1000, conn);
    s.onData(0, range(0, 10), false);
    s.onData(20, range(20, 10), false);
    s.read(4);
    s.onReset(42, 50);
    expect(s.state).toBe('ResetRecvd');
    expect(s.resetCode).toBe(42);
    expect(s.readable).toBe(0);
    expect(s.window.consumed).toBe(50);
    expect(conn.consumed).toBe(50);
    // Late data within the final size is ignored.
    s.onData(30, range(30, 20), false);
    expect(s.read().length).toBe(0);
    expect(s.state).toBe('ResetRead');
    expect(s.isFinished).toBe(true);
    // A repeated identical reset is harmless.
    s.onReset(42, 50);
    expect(conn.consumed).toBe(50);
  });

  it('a reset after all data arrived is ignored (DataRecvd)', () => {
    const s = stream();
    s.onData(0, range(0, 5), true);
    s.onReset(9, 5);
    expect(s.state).toBe('DataRecvd');
    expect([...s.read()]).toEqual([...range(0, 5)]);
  });

  it('STOP_SENDING discards data but still counts it for flow control', () => {
    const conn = new ReceiveWindow({ initialWindow: 1000 });
    const s = stream(1000, conn);
    s.onData(0, range(0, 10), false);
    s.onData(40, range(40, 10), false);
    expect(s.stopSending(77)).toBe(77);
    expect(s.stopSendingCode).toBe(77);
    expect(s.stopSending(78)).toBeUndefined();
    expect(conn.consumed).toBe(50);
    s.onData(50, range(50, 30), false);
    expect(conn.consumed).toBe(80);
    expect(s.read().length).toBe(0);
    // Flow control and final size rules still apply.
    expect(codeOf(() => s.onData(1000, bytes(1), false))).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
    s.onData(50, range(50, 30), true);
    expect(codeOf(() => s.onData(80, bytes(1), false))).toBe(TransportErrorCode.FINAL_SIZE_ERROR);
    expect(s.state).toBe('SizeKnown');
    // The gap fills: all data is in, though none of it was kept.
    s.onData(10, range(10, 30), false);
    expect(s.state).toBe('DataRecvd');
    expect(s.read().length).toBe(0);
    expect(s.state).toBe('DataRead');
  });

  it('STOP_SENDING is not needed once the data is all in', () => {
    const s = stream();
    s.onData(0, range(0, 5), true);
    expect(s.stopSending(1)).toBeUndefined();
    const r = stream();
    r.onReset(3, 0);
    expect(r.stopSending(1)).toBeUndefined();
  });
});

describe('RecvStream reassembly property (seeded)', () => {
  for (const seed of [101, 102, 103, 104, 105, 106, 107, 108]) {
    it(`seed ${seed}: random splits, duplicates and reordering reassemble to the original`, () => {
      const prng = new Prng(seed);
      const size = prng.int(1, 20_000);
      const original = prng.bytes(size);
      const conn = new ReceiveWindow({ initialWindow: size });
      const s = new RecvStream({ window: { initialWindow: size }, connection: conn });
      // Random frames covering the buffer, with overlaps, plus random duplicates.
      const frames: [number, number][] = [];
      let offset = 0;
      while (offset < size) {
        const length = Math.min(prng.int(1, 1500), size - offset);
        frames.push([offset, length]);
        offset += length;
      }
      for (let i = 0, n = prng.int(0, frames.length * 2); i < n; i++) {
        const start = prng.int(0, size - 1);
        frames.push([start, Math.min(prng.int(0, 3000), size - start)]);
      }
      prng.shuffle(frames);
      const out: Uint8Array[] = [];
      let seen = 0;
      for (const [start, length] of frames) {
        // Frames go through a fresh copy, so the stream cannot depend on the caller's memory.
        s.onData(start, original.slice(start, start + length), start + length === size && prng.chance(0.5));
        seen = Math.max(seen, start + length);
        if (prng.chance(0.3)) out.push(s.read(prng.int(1, 4000)).slice());
        expect(s.window.highestReceived).toBe(seen);
      }
      s.onData(size, new Uint8Array(0), true);
      for (let chunk = s.read(); chunk.length > 0; chunk = s.read()) out.push(chunk.slice());
      const joined = new Uint8Array(out.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of out) {
        joined.set(c, at);
        at += c.length;
      }
      expect(joined.length).toBe(size);
      expect(Buffer.from(joined).equals(Buffer.from(original))).toBe(true);
      expect(s.state).toBe('DataRead');
      expect(conn.consumed).toBe(size);
      expect(conn.highestReceived).toBe(size);
    });
  }
});

describe('ReassemblyBuffer blocks', () => {
  it('agrees with a plain byte array under random overlapping, reordered and duplicated inserts', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const rnd = new Prng(seed);
      const total = rnd.int(1, 300_000);
      const source = Uint8Array.from({ length: total }, (_, i) => (i * 31 + seed) & 0xff);
      const buf = new ReassemblyBuffer();
      const got: Uint8Array[] = [];
      let delivered = 0;
      for (let step = 0; delivered < total && step < 100_000; step++) {
        // Frames near the read offset, some far ahead, of 1..3000 bytes, some from a bigger array.
        const off = Math.min(total - 1, buf.readOffset + rnd.int(0, rnd.next() < 0.9 ? 4000 : 200_000));
        const len = Math.min(total - off, rnd.int(1, 3000));
        if (rnd.next() < 0.5) {
          buf.insert(off, source.subarray(off, off + len));
        } else {
          const pad = rnd.int(0, 20);
          const wrapped = new Uint8Array(len + 2 * pad);
          wrapped.set(source.subarray(off, off + len), pad);
          buf.insertFrom(off, wrapped, pad, len);
        }
        if (rnd.next() < 0.4) {
          const chunk = buf.read(rnd.next() < 0.5 ? Infinity : rnd.int(1, 5000));
          got.push(chunk);
          delivered += chunk.length;
        }
      }
      for (let c = buf.read(); c.length > 0; c = buf.read()) {
        got.push(c);
        delivered += c.length;
      }
      expect(delivered).toBe(total);
      // Views handed out earlier still hold their bytes: blocks are never rewritten below the read offset.
      const joined = new Uint8Array(total);
      let at = 0;
      for (const c of got) {
        joined.set(c, at);
        at += c.length;
      }
      expect(Buffer.from(joined).equals(Buffer.from(source))).toBe(true);
      expect(buf.bufferedBytes).toBe(0);
    }
  });
});

describe('readInto: bytes copied into the reader\'s buffer', () => {
  it('partial reads at an offset, leaving the rest of the buffer alone', () => {
    const s = stream();
    s.onData(0, range(0, 10), false);
    const into = new Uint8Array(8).fill(0xee);
    expect(s.readInto(into, 2, 4)).toBe(4);
    expect([...into]).toEqual([0xee, 0xee, 0, 1, 2, 3, 0xee, 0xee]);
    expect(s.readable).toBe(6);
    expect(s.readInto(into, 0, 8)).toBe(6);
    expect([...into.subarray(0, 6)]).toEqual([4, 5, 6, 7, 8, 9]);
    expect(s.readInto(into, 0, 8)).toBe(0);
  });

  it('a zero-length read takes nothing (and still reports the end)', () => {
    const s = stream();
    s.onData(0, range(0, 3), true);
    const empty = new Uint8Array(0);
    expect(s.readInto(empty, 0, 0)).toBe(0);
    expect(s.readable).toBe(3);
    expect(s.readInto(new Uint8Array(3), 0, 3)).toBe(3);
    expect(s.state).toBe('DataRead');
    expect(s.readInto(empty, 0, 0)).toBe(-1);
  });

  it('the end (-1) comes after the last bytes, or at once for a FIN with nothing left', () => {
    const s = stream();
    s.onData(0, range(0, 5), false);
    const into = new Uint8Array(16);
    expect(s.readInto(into, 0, 16)).toBe(5);
    s.onData(5, new Uint8Array(0), true);
    expect(s.state).toBe('DataRecvd');
    expect(s.readInto(into, 0, 16)).toBe(-1);
    expect(s.state).toBe('DataRead');
    expect(s.readInto(into, 0, 16)).toBe(-1);
  });

  it('a reset ends reading (-1) and moves ResetRecvd → ResetRead', () => {
    const s = stream();
    s.onData(0, range(0, 5), false);
    s.onReset(7, 20);
    expect(s.readInto(new Uint8Array(10), 0, 10)).toBe(-1);
    expect(s.state).toBe('ResetRead');
  });

  it('returns flow-control credit as the reader consumes (RFC 9000 §4.1)', () => {
    const conn = new ReceiveWindow({ initialWindow: 10_000 });
    const s = stream(100, conn);
    s.onData(0, range(0, 100), false);
    const into = new Uint8Array(30);
    expect(s.readInto(into, 0, 30)).toBe(30);
    expect(s.window.consumed).toBe(30);
    expect(conn.consumed).toBe(30);
    expect(s.shouldSendMaxStreamData()).toBe(false);
    s.readInto(into, 0, 21);
    expect(s.consumed).toBe(51);
    expect(s.shouldSendMaxStreamData()).toBe(true);
  });
});

describe('ReassemblyBuffer.readInto', () => {
  it('copies across blocks and agrees with the source under random inserts and read sizes', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rnd = new Prng(seed);
      const total = rnd.int(1, 200_000);
      const source = Uint8Array.from({ length: total }, (_, i) => (i * 29 + seed) & 0xff);
      const buf = new ReassemblyBuffer();
      const out = new Uint8Array(total);
      const scratch = new Uint8Array(70_000);
      let delivered = 0;
      const take = (max: number): void => {
        const at = rnd.int(0, 100);
        const n = buf.readInto(scratch, at, Math.min(max, scratch.length - at));
        out.set(scratch.subarray(at, at + n), delivered);
        delivered += n;
      };
      for (let step = 0; delivered < total && step < 100_000; step++) {
        // From a little below the read offset (bytes already read, ignored) to well ahead of it.
        const off = Math.min(total - 1, Math.max(0, buf.readOffset - 1000 + rnd.int(0, 6000)));
        const len = Math.min(total - off, rnd.int(1, 3000));
        buf.insert(off, source.subarray(off, off + len));
        // Some reads span several blocks (up to 69 900 bytes at once).
        if (rnd.next() < 0.3) take(rnd.next() < 0.5 ? 69_900 : rnd.int(0, 5000));
      }
      while (delivered < total) {
        const before = delivered;
        take(69_900);
        if (delivered === before) break;
      }
      expect(delivered).toBe(total);
      expect(Buffer.from(out).equals(Buffer.from(source))).toBe(true);
      expect(buf.bufferedBytes).toBe(0);
    }
  });
});
