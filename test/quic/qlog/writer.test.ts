import { describe, expect, it, vi } from 'vitest';
import {
  NULL_QLOG,
  QLOG_FORMAT,
  QLOG_VERSION,
  createQlogWriter,
  emit,
  packetHeader,
  packetSentEvent,
} from '../../../src/quic/qlog/index.js';
import { memorySink, parseSeq } from './seq.js';

const ODCID = Uint8Array.from([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]);
const START = 5_000_000;

describe('createQlogWriter', () => {
  it('writes the header record first, with the main-schema fields', () => {
    const m = memorySink();
    const q = createQlogWriter(m.sink, { vantage: 'server', odcid: ODCID, startTimeUs: START, referenceTimeMs: 1_700_000_000_123.5 });
    // The header goes out at once, before any event or flush.
    expect(m.chunks).toHaveLength(1);
    q.close();
    const [header, ...rest] = parseSeq(m.text());
    expect(rest).toHaveLength(0);
    expect(header).toEqual({
      qlog_version: QLOG_VERSION,
      qlog_format: QLOG_FORMAT,
      title: 'pquic-ts server 0123456789abcdef',
      trace: {
        title: 'pquic-ts server 0123456789abcdef',
        vantage_point: { type: 'server' },
        common_fields: {
          ODCID: '0123456789abcdef',
          group_id: '0123456789abcdef',
          protocol_type: ['QUIC'],
          time_format: 'relative',
          reference_time: 1_700_000_000_123.5,
        },
      },
    });
    expect(header!.qlog_version).toBe('0.3');
    expect(header!.qlog_format).toBe('JSON-SEQ');
  });

  it('takes a title and description, and defaults reference_time to the wall clock', () => {
    const m = memorySink();
    const before = Date.now();
    const q = createQlogWriter(m.sink, { vantage: 'client', odcid: ODCID, startTimeUs: 0, title: 'T', description: 'D' });
    const after = Date.now();
    q.close();
    const [header] = parseSeq(m.text());
    expect(header!.title).toBe('T');
    expect(header!.description).toBe('D');
    const trace = header!.trace as Record<string, any>;
    expect(trace.title).toBe('T');
    expect(trace.description).toBe('D');
    expect(trace.vantage_point).toEqual({ type: 'client' });
    expect(trace.common_fields.reference_time).toBeGreaterThanOrEqual(before);
    expect(trace.common_fields.reference_time).toBeLessThanOrEqual(after);
  });

  it('frames every record as RS + JSON + LF, times relative in ms with µs precision', () => {
    const m = memorySink();
    const q = createQlogWriter(m.sink, { vantage: 'client', odcid: ODCID, startTimeUs: START });
    expect(q.enabled).toBe(true);
    const times = [START, START + 1, START + 999, START + 1000, START + 1234, START + 1234, START + 2_500_000, START + 86_400_000_123];
    for (const [i, t] of times.entries()) q.event(t, 'transport:packet_sent', { i, text: 'line\nbreak \x1e rs "quote"' });
    q.close();
    const records = parseSeq(m.text());
    expect(records).toHaveLength(1 + times.length);
    const events = records.slice(1);
    expect(events.map((e) => e.time)).toEqual([0, 0.001, 0.999, 1, 1.234, 1.234, 2500, 86_400_000.123]);
    for (const [i, e] of events.entries()) {
      expect(Object.keys(e)).toEqual(['time', 'name', 'data']);
      expect(e.name).toBe('transport:packet_sent');
      expect(e.data).toEqual({ i, text: 'line\nbreak \x1e rs "quote"' });
    }
  });

  it('keeps times non-decreasing for events given in order, and rounds fractional µs', () => {
    const m = memorySink();
    const q = createQlogWriter(m.sink, { vantage: 'client', odcid: ODCID, startTimeUs: 100.25 });
    let t = 100.25;
    for (let i = 0; i < 500; i++) {
      t += (i * 7919) % 13 === 0 ? 0 : ((i * 104729) % 5000) / 3;
      q.event(t, 'recovery:metrics_updated', { i });
    }
    q.close();
    const times = parseSeq(m.text()).slice(1).map((e) => e.time as number);
    expect(times).toHaveLength(500);
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
    for (const v of times) expect(Math.round(v * 1000) / 1000).toBe(v);
  });

  it('batches writes: one sink call per buffer, flush and close push the rest', () => {
    const m = memorySink();
    const q = createQlogWriter(m.sink, { vantage: 'client', odcid: ODCID, startTimeUs: 0, bufferBytes: 4096 });
    expect(m.chunks).toHaveLength(1);
    for (let i = 0; i < 10; i++) q.event(i, 'x:y', { i });
    expect(m.chunks).toHaveLength(1);
    q.flush();
    expect(m.chunks).toHaveLength(2);
    q.flush();
    expect(m.chunks).toHaveLength(2);
    for (let i = 0; i < 1000; i++) q.event(100 + i, 'x:y', { i, pad: 'p'.repeat(40) });
    const calls = m.chunks.length;
    expect(calls).toBeGreaterThan(5);
    expect(calls).toBeLessThan(40);
    for (const c of m.chunks.slice(2)) expect(c.length).toBeGreaterThanOrEqual(4096);
    q.close();
    const records = parseSeq(m.text());
    expect(records).toHaveLength(1 + 10 + 1000);
    expect(records.slice(1).map((r) => (r.data as { i: number }).i)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => i),
      ...Array.from({ length: 1000 }, (_, i) => i),
    ]);
  });

  it('flushes when event time passes the flush interval', () => {
    const m = memorySink();
    const q = createQlogWriter(m.sink, { vantage: 'client', odcid: ODCID, startTimeUs: 0, flushIntervalUs: 1000 });
    q.event(10, 'a:b', {});
    q.event(999, 'a:b', {});
    expect(m.chunks).toHaveLength(1);
    q.event(1000, 'a:b', {});
    expect(m.chunks).toHaveLength(2);
    q.event(1500, 'a:b', {});
    expect(m.chunks).toHaveLength(2);
    q.event(2000, 'a:b', {});
    expect(m.chunks).toHaveLength(3);
    q.close();
    expect(parseSeq(m.text())).toHaveLength(6);
  });

  it('with bufferBytes 0 writes every event at once', () => {
    const m = memorySink();
    const q = createQlogWriter(m.sink, { vantage: 'client', odcid: ODCID, startTimeUs: 0, bufferBytes: 0 });
    q.event(1, 'a:b', {});
    q.event(2, 'a:b', {});
    expect(m.chunks).toHaveLength(3);
    q.close();
  });

  it('close is idempotent and disables the trace', () => {
    const m = memorySink();
    const q = createQlogWriter(m.sink, { vantage: 'client', odcid: ODCID, startTimeUs: 0 });
    q.event(1, 'a:b', { v: 1 });
    q.close();
    const text = m.text();
    expect(q.enabled).toBe(false);
    q.close();
    q.event(2, 'a:b', { v: 2 });
    q.flush();
    q.close();
    expect(m.text()).toBe(text);
    expect(parseSeq(text)).toHaveLength(2);
  });

  it('disables itself when the sink throws, reporting once, never throwing', () => {
    let calls = 0;
    const errors: unknown[] = [];
    const q = createQlogWriter(
      () => {
        calls++;
        if (calls >= 2) throw new Error('disk full');
      },
      { vantage: 'client', odcid: ODCID, startTimeUs: 0, bufferBytes: 0, onError: (e) => errors.push(e) },
    );
    expect(q.enabled).toBe(true);
    expect(() => q.event(1, 'a:b', {})).not.toThrow();
    expect(q.enabled).toBe(false);
    expect(() => q.event(2, 'a:b', {})).not.toThrow();
    expect(() => q.flush()).not.toThrow();
    expect(() => q.close()).not.toThrow();
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('disk full');
  });

  it('reports sink errors to stderr by default', () => {
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const q = createQlogWriter(() => { throw new Error('boom'); }, { vantage: 'client', odcid: ODCID, startTimeUs: 0 });
      expect(q.enabled).toBe(false);
      q.event(1, 'a:b', {});
      q.close();
      expect(spy).toHaveBeenCalledTimes(1);
      expect(String(spy.mock.calls[0]![0])).toMatch(/^qlog: .*boom/);
    } finally {
      spy.mockRestore();
    }
  });

  it('an onError that throws does not make the trace throw', () => {
    const q = createQlogWriter(() => { throw new Error('a'); }, {
      vantage: 'client', odcid: ODCID, startTimeUs: 0, onError: () => { throw new Error('b'); },
    });
    expect(q.enabled).toBe(false);
    expect(() => q.close()).not.toThrow();
  });

  it('still writes a parseable record for data JSON.stringify rejects', () => {
    const m = memorySink();
    const q = createQlogWriter(m.sink, { vantage: 'client', odcid: ODCID, startTimeUs: 0 });
    q.event(1, 'a:big', { n: 5n, huge: 2n ** 64n, bytes: Uint8Array.from([1, 2]) });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    q.event(2, 'a:cycle', cyclic);
    q.event(3, 'a:ok', { fine: true });
    q.close();
    const [, big, cycle, ok] = parseSeq(m.text());
    expect(big).toEqual({ time: 0.001, name: 'a:big', data: { n: 5, huge: '18446744073709551616', bytes: '0102' } });
    expect(cycle!.name).toBe('a:cycle');
    expect((cycle!.data as Record<string, string>).qlog_error).toMatch(/^unserializable event data/);
    expect(ok).toEqual({ time: 0.003, name: 'a:ok', data: { fine: true } });
  });

  it('carries builder output unchanged (emit)', () => {
    const m = memorySink();
    const q = createQlogWriter(m.sink, { vantage: 'client', odcid: ODCID, startTimeUs: 0 });
    emit(q, 1500, packetSentEvent(packetHeader('initial', 0, { dcid: ODCID, version: 1 }), [{ type: 'ping' }], 1200));
    q.close();
    const [, ev] = parseSeq(m.text());
    expect(ev).toEqual({
      time: 1.5,
      name: 'transport:packet_sent',
      data: {
        header: { packet_type: 'initial', packet_number: 0, version: '00000001', dcil: 8, dcid: '0123456789abcdef' },
        frames: [{ frame_type: 'ping' }],
        raw: { length: 1200 },
      },
    });
  });
});

describe('NULL_QLOG', () => {
  it('is disabled and does nothing', () => {
    expect(NULL_QLOG.enabled).toBe(false);
    expect(() => {
      NULL_QLOG.event(1, 'a:b', { x: 1 });
      NULL_QLOG.flush();
      NULL_QLOG.close();
      NULL_QLOG.close();
    }).not.toThrow();
    expect(NULL_QLOG.enabled).toBe(false);
    expect(Object.isFrozen(NULL_QLOG)).toBe(true);
  });

  it('emit skips a disabled trace without calling event', () => {
    const event = vi.fn();
    emit({ enabled: false, event, close: () => {} }, 1, { name: 'a:b', data: {} });
    expect(event).not.toHaveBeenCalled();
  });
});
