import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  connectionStateUpdatedEvent,
  emit,
  openQlogFile,
  packetHeader,
  packetSentEvent,
  qlogFileName,
} from '../../../src/quic/qlog/index.js';
import { parseSeq } from './seq.js';

const ODCID = Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]);

let tmp: string;
let stderr: ReturnType<typeof vi.spyOn>;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pquic-qlog-'));
  stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterEach(() => {
  stderr.mockRestore();
  vi.restoreAllMocks();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('openQlogFile', () => {
  it('names the file <ODCID hex>_<vantage>.sqlog', () => {
    expect(qlogFileName(ODCID, 'client')).toBe('deadbeef0001_client.sqlog');
    expect(qlogFileName(ODCID, 'server')).toBe('deadbeef0001_server.sqlog');
  });

  it('creates the directory, writes the header at once and the events on close', () => {
    const dir = path.join(tmp, 'a', 'b');
    const q = openQlogFile(dir, { vantage: 'server', odcid: ODCID, startTimeUs: 1_000 });
    expect(q.enabled).toBe(true);
    expect(q.path).toBe(path.join(dir, 'deadbeef0001_server.sqlog'));
    expect(fs.readdirSync(dir)).toEqual(['deadbeef0001_server.sqlog']);
    // The header is on disk before any event.
    const early = parseSeq(fs.readFileSync(q.path, 'utf8'));
    expect(early).toHaveLength(1);
    expect(early[0]!.qlog_format).toBe('JSON-SEQ');

    emit(q, 1_000, connectionStateUpdatedEvent(undefined, 'attempted'));
    emit(q, 3_500, packetSentEvent(packetHeader('initial', 0, { dcid: ODCID, version: 1 }), [{ type: 'padding', length: 1000 }], 1200));
    // Batched: not written yet.
    expect(parseSeq(fs.readFileSync(q.path, 'utf8'))).toHaveLength(1);
    q.close();
    expect(q.enabled).toBe(false);
    q.close();

    const records = parseSeq(fs.readFileSync(q.path, 'utf8'));
    expect(records).toHaveLength(3);
    const trace = records[0]!.trace as Record<string, any>;
    expect(trace.vantage_point).toEqual({ type: 'server' });
    expect(trace.common_fields.ODCID).toBe('deadbeef0001');
    expect(trace.common_fields.time_format).toBe('relative');
    expect(records[1]).toEqual({ time: 0, name: 'connectivity:connection_state_updated', data: { new: 'attempted' } });
    expect(records[2]!.time).toBe(2.5);
    expect(records[2]!.name).toBe('transport:packet_sent');
    expect(stderr).not.toHaveBeenCalled();
  });

  it('flush writes what is buffered; large traces stream out in batches', () => {
    const q = openQlogFile(tmp, { vantage: 'client', odcid: ODCID, startTimeUs: 0 });
    q.event(1, 'a:b', { x: 1 });
    q.flush();
    expect(parseSeq(fs.readFileSync(q.path, 'utf8'))).toHaveLength(2);
    const write = vi.spyOn(fs, 'writeSync');
    for (let i = 0; i < 5000; i++) q.event(10 + i, 'transport:packet_received', { header: { packet_type: '1RTT', packet_number: i } });
    const writes = write.mock.calls.length;
    expect(writes).toBeGreaterThan(5);
    expect(writes).toBeLessThan(100);
    q.close();
    const records = parseSeq(fs.readFileSync(q.path, 'utf8'));
    expect(records).toHaveLength(2 + 5000);
    const times = records.slice(1).map((r) => r.time as number);
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
  });

  it('writes non-ASCII text as UTF-8', () => {
    const q = openQlogFile(tmp, { vantage: 'client', odcid: ODCID, startTimeUs: 0 });
    q.event(1, 'pquic:note', { text: 'h\u00e9llo \u{1f600}' });
    q.close();
    expect(parseSeq(fs.readFileSync(q.path, 'utf8'))[1]!.data).toEqual({ text: 'h\u00e9llo \u{1f600}' });
  });

  it('truncates an existing file of the same connection', () => {
    const first = openQlogFile(tmp, { vantage: 'client', odcid: ODCID, startTimeUs: 0 });
    for (let i = 0; i < 100; i++) first.event(i, 'a:b', { i });
    first.close();
    const second = openQlogFile(tmp, { vantage: 'client', odcid: ODCID, startTimeUs: 0 });
    second.close();
    expect(parseSeq(fs.readFileSync(second.path, 'utf8'))).toHaveLength(1);
  });

  it('a directory under a regular file gives a disabled trace, reported once, no throw', () => {
    const file = path.join(tmp, 'plain');
    fs.writeFileSync(file, 'x');
    const dir = path.join(file, 'qlog');
    let q!: ReturnType<typeof openQlogFile>;
    expect(() => { q = openQlogFile(dir, { vantage: 'client', odcid: ODCID, startTimeUs: 0 }); }).not.toThrow();
    expect(q.enabled).toBe(false);
    expect(() => {
      q.event(1, 'a:b', {});
      q.flush();
      q.close();
    }).not.toThrow();
    expect(stderr).toHaveBeenCalledTimes(1);
    expect(String(stderr.mock.calls[0]![0])).toMatch(/^qlog: cannot create .*plain.*qlog/);
    // Another connection logging to the same broken directory adds no new line.
    const again = openQlogFile(dir, { vantage: 'server', odcid: ODCID, startTimeUs: 0 });
    expect(again.enabled).toBe(false);
    expect(stderr).toHaveBeenCalledTimes(1);
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });

  it('a path taken by a directory gives a disabled trace', () => {
    fs.mkdirSync(path.join(tmp, qlogFileName(ODCID, 'client')));
    const q = openQlogFile(tmp, { vantage: 'client', odcid: ODCID, startTimeUs: 0 });
    expect(q.enabled).toBe(false);
    expect(stderr).toHaveBeenCalledTimes(1);
  });

  it('a write error disables the trace, is reported once, and never throws', () => {
    const q = openQlogFile(tmp, { vantage: 'client', odcid: ODCID, startTimeUs: 0, bufferBytes: 0 });
    q.event(1, 'a:b', { ok: true });
    const write = vi.spyOn(fs, 'writeSync').mockImplementation(() => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    });
    const close = vi.spyOn(fs, 'closeSync');
    expect(() => q.event(2, 'a:b', { lost: true })).not.toThrow();
    expect(q.enabled).toBe(false);
    expect(() => {
      q.event(3, 'a:b', {});
      q.flush();
      q.close();
      q.close();
    }).not.toThrow();
    expect(write).toHaveBeenCalledTimes(1);
    expect(close).toHaveBeenCalledTimes(1);
    expect(stderr).toHaveBeenCalledTimes(1);
    expect(String(stderr.mock.calls[0]![0])).toMatch(/^qlog: cannot write .*ENOSPC/);
    write.mockRestore();
    // What was written before the error is intact.
    expect(parseSeq(fs.readFileSync(q.path, 'utf8'))).toHaveLength(2);
  });

  it('handles short writes', () => {
    const real = fs.writeSync;
    const q = openQlogFile(tmp, { vantage: 'client', odcid: ODCID, startTimeUs: 0 });
    const spy = vi.spyOn(fs, 'writeSync').mockImplementation(((fd: number, buf: Uint8Array, off: number, len: number) =>
      real(fd, buf, off, Math.min(len, 7))) as typeof fs.writeSync);
    for (let i = 0; i < 20; i++) q.event(i, 'a:b', { i });
    q.close();
    spy.mockRestore();
    expect(parseSeq(fs.readFileSync(q.path, 'utf8'))).toHaveLength(21);
  });

  it('buffered records reach the file when the process exits without closing the trace', async () => {
    // The 'exit' listener flushes open traces: bundle a script that exits abruptly and run it.
    const { build } = await import('esbuild');
    const { execFileSync } = await import('node:child_process');
    const entry = path.join(tmp, 'exit.ts');
    const out = path.join(tmp, 'exit.mjs');
    fs.writeFileSync(entry, [
      `import { openQlogFile } from ${JSON.stringify(fileURLToPath(new URL('../../../src/quic/qlog/index.ts', import.meta.url)))};`,
      `const q = openQlogFile(process.argv[2], { vantage: 'client', odcid: new Uint8Array([1]), startTimeUs: 0 });`,
      `q.event(5, 'a:b', { last: true });`,
      `process.exit(0);`,
    ].join('\n'));
    await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'silent' });
    execFileSync(process.execPath, [out, tmp], { stdio: 'pipe' });
    const records = parseSeq(fs.readFileSync(path.join(tmp, '01_client.sqlog'), 'utf8'));
    expect(records).toHaveLength(2);
    expect(records[1]!.data).toEqual({ last: true });
  });
});
