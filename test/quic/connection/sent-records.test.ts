import { describe, expect, it } from 'vitest';
import { SentPacketRecord, SentRecordPool } from '../../../src/quic/connection/sent-records.js';

describe('SentRecordPool', () => {
  it('hands a released record out again, emptied, with its STREAM frame records', () => {
    const pool = new SentRecordPool();
    const p = pool.packet();
    p.pn = 7;
    const f = pool.streamFrame(4, 100, 50, true);
    p.frames.push(f, { k: 'ping' });
    p.pluginMeta = new Map([[{}, [1n]]]);
    pool.release(p);
    const q = pool.packet();
    expect(q).toBe(p);
    expect(q.frames).toEqual([]);
    expect(q.pluginMeta).toBeUndefined();
    const g = pool.streamFrame(8, 0, 10, false);
    expect(g).toBe(f);
    expect(g).toEqual({ k: 'stream', id: 8, offset: 0, length: 10, fin: false });
  });

  it('ignores a second release and records it did not make', () => {
    const pool = new SentRecordPool();
    const p = pool.packet();
    pool.release(p);
    pool.release(p);
    pool.release({ pn: 1, timeSent: 0, size: 10, ackEliciting: true, inFlight: true, frames: [] });
    const a = pool.packet();
    const b = pool.packet();
    expect(a).toBe(p);
    expect(b).not.toBe(p);
    expect(b).toBeInstanceOf(SentPacketRecord);
  });

  it('recycles MAX_STREAM_DATA records with their packet and leaves other kinds alone', () => {
    const pool = new SentRecordPool();
    const p = pool.packet();
    const m = pool.maxStreamDataFrame(12);
    const other = { k: 'max_data' as const };
    p.frames.push(m, other);
    pool.release(p);
    const n = pool.maxStreamDataFrame(20);
    expect(n).toBe(m);
    expect(n).toEqual({ k: 'max_stream_data', id: 20 });
    expect(pool.maxStreamDataFrame(24)).not.toBe(m);
  });
});
