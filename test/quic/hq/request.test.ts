import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HqError, hqErrorName } from '../../../src/quic/hq/constants.js';
import { parseRequestLine, resolveRequestPath } from '../../../src/quic/hq/request.js';
import { sharedArena } from '../../../src/quic/wire/byte-arena.js';
import { MAX_SYNTHETIC_CHUNK, SYNTHETIC_PERIOD, forEachSyntheticChunk, parseSyntheticPath, syntheticChunk } from '../../../src/quic/hq/synthetic.js';
import { tempDir } from '../endpoint/helpers.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('HTTP/0.9 request line', () => {
  it('accepts GET with CRLF, LF or FIN, and waits for more otherwise', () => {
    expect(parseRequestLine(enc('GET /a.txt\r\n'), false)).toEqual({ kind: 'request', path: '/a.txt' });
    expect(parseRequestLine(enc('GET /a.txt\n'), false)).toEqual({ kind: 'request', path: '/a.txt' });
    expect(parseRequestLine(enc('GET /a.txt'), true)).toEqual({ kind: 'request', path: '/a.txt' });
    expect(parseRequestLine(enc('GET /a.txt HTTP/1.0\r\n'), false)).toEqual({ kind: 'request', path: '/a.txt' });
    expect(parseRequestLine(enc('GET /a.t'), false)).toEqual({ kind: 'incomplete' });
  });

  it('refuses other methods, empty lines and endless lines', () => {
    for (const bad of ['POST /a\r\n', '\r\n', 'GET\r\n', 'GET /a b c\r\n']) {
      expect(parseRequestLine(enc(bad), true)).toMatchObject({ kind: 'error', code: HqError.BAD_REQUEST });
    }
    expect(parseRequestLine(enc('GET /' + 'a'.repeat(9000)), false)).toMatchObject({ kind: 'error', code: HqError.BAD_REQUEST });
  });

  it('names error codes', () => {
    expect(hqErrorName(HqError.NOT_FOUND)).toBe('NOT_FOUND (0x4)');
    expect(hqErrorName(0x77)).toBe('0x77');
  });
});

describe('request paths', () => {
  const base = tempDir('paths');
  const www = join(base, 'www');
  mkdirSync(join(www, 'dir'), { recursive: true });
  writeFileSync(join(www, 'a b.txt'), 'x');
  writeFileSync(join(www, 'dir', 'index.html'), '<p>');
  writeFileSync(join(base, 'outside.txt'), 'secret');
  symlinkSync(join(base, 'outside.txt'), join(www, 'escape.txt'));
  symlinkSync(base, join(www, 'updir'));

  it('maps files, directories (index.html), queries and percent-encoding', async () => {
    await expect(resolveRequestPath('/a%20b.txt?x=1', { webroot: www })).resolves.toMatchObject({ kind: 'file', size: 1 });
    await expect(resolveRequestPath('/dir/', { webroot: www })).resolves.toMatchObject({ kind: 'file', size: 3 });
    await expect(resolveRequestPath('/_bytes/12345', {})).resolves.toEqual({ kind: 'synthetic', size: 12345 });
  });

  it('refuses traversal in every spelling, and links that leave the web root', async () => {
    for (const p of ['/../outside.txt', '/dir/../../outside.txt', '/%2e%2e/outside.txt', '/..%2foutside.txt', '/..\\outside.txt', '/escape.txt', '/updir/outside.txt']) {
      await expect(resolveRequestPath(p, { webroot: www }), p).resolves.toMatchObject({ kind: 'error', code: HqError.FORBIDDEN });
    }
  });

  it('answers NOT_FOUND and BAD_REQUEST where due', async () => {
    await expect(resolveRequestPath('/nope', { webroot: www })).resolves.toMatchObject({ code: HqError.NOT_FOUND });
    await expect(resolveRequestPath('/a b.txt', {})).resolves.toMatchObject({ code: HqError.NOT_FOUND }); // no web root
    await expect(resolveRequestPath('/%zz', { webroot: www })).resolves.toMatchObject({ code: HqError.BAD_REQUEST });
    await expect(resolveRequestPath('/a%00b', { webroot: www })).resolves.toMatchObject({ code: HqError.BAD_REQUEST });
    await expect(resolveRequestPath('relative', { webroot: www })).resolves.toMatchObject({ code: HqError.BAD_REQUEST });
    await expect(resolveRequestPath('/_bytes/2000', { maxSyntheticBytes: 1000 })).resolves.toMatchObject({ code: HqError.FORBIDDEN });
  });
});

describe('synthetic objects', () => {
  it('are the same bytes whatever the chunking', () => {
    const size = 3 * SYNTHETIC_PERIOD + 17;
    const whole = new Uint8Array(size);
    let off = 0;
    forEachSyntheticChunk(size, (c) => {
      whole.set(c, off);
      off += c.length;
    });
    expect(off).toBe(size);
    for (const [o, n] of [[0, 10], [SYNTHETIC_PERIOD - 5, 10], [100_000, 4096], [2 * SYNTHETIC_PERIOD + 3, MAX_SYNTHETIC_CHUNK]] as const) {
      if (o + n <= size) expect(syntheticChunk(o, n)).toEqual(whole.subarray(o, o + n));
    }
    // Not a trivial pattern: the period is prime and the bytes vary.
    expect(new Set(whole.subarray(0, 1000)).size).toBeGreaterThan(200);
    expect(() => syntheticChunk(0, MAX_SYNTHETIC_CHUNK + 1)).toThrow(RangeError);
  });

  it('are views of one table in the shared byte arena, so stream writes copy them without a view', () => {
    const a = syntheticChunk(5, 100);
    const b = syntheticChunk(SYNTHETIC_PERIOD + 5, 100);
    expect(a.buffer).toBe(sharedArena().buffer);
    // Byte i is PATTERN[i mod PERIOD]: the same window of the one table.
    expect(b.byteOffset).toBe(a.byteOffset);
    expect(b).toEqual(a);
  });

  it('hand back the same view for successive whole periods (the hq server\'s writes), a new one for another window', () => {
    const first = syntheticChunk(0, MAX_SYNTHETIC_CHUNK);
    const next = syntheticChunk(MAX_SYNTHETIC_CHUNK, MAX_SYNTHETIC_CHUNK);
    expect(next).toBe(first);
    const shorter = syntheticChunk(2 * MAX_SYNTHETIC_CHUNK, 17);
    expect(shorter).not.toBe(first);
    expect(shorter.length).toBe(17);
    expect(shorter).toEqual(first.subarray(0, 17));
    const shifted = syntheticChunk(3, 17);
    expect(shifted.byteOffset).toBe(first.byteOffset + 3);
    expect(syntheticChunk(3, 17)).toBe(shifted);
  });

  it('parse only /_bytes/<digits>', () => {
    expect(parseSyntheticPath('/_bytes/0')).toBe(0);
    expect(parseSyntheticPath('/_bytes/10737418240')).toBe(10737418240);
    expect(parseSyntheticPath('/_bytes/')).toBeUndefined();
    expect(parseSyntheticPath('/_bytes/1e3')).toBeUndefined();
    expect(parseSyntheticPath('/_bytes/99999999999999999')).toBeUndefined();
  });
});
