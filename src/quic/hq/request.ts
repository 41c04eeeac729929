/**
 * The server's side of an HTTP/0.9 request: reading the request line from the stream, and
 * mapping its path to a synthetic object or a file under the web root, refusing every path
 * that would leave it.
 */
import { realpath, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { HqError, MAX_REQUEST_BYTES } from './constants.js';
import { parseSyntheticPath } from './synthetic.js';

export type RequestLine =
  | { kind: 'incomplete' }
  | { kind: 'request'; path: string }
  | { kind: 'error'; code: number; reason: string };

/**
 * Looks for a complete `GET <path>` line in the bytes received so far. The line ends with CRLF,
 * LF, or the stream's FIN (`fin`). Anything after the path on the line (e.g. " HTTP/1.0") is
 * ignored, as an HTTP/0.9 server would.
 */
export function parseRequestLine(received: Uint8Array, fin: boolean): RequestLine {
  let end = received.indexOf(0x0a);
  if (end < 0) {
    if (received.length > MAX_REQUEST_BYTES) return { kind: 'error', code: HqError.BAD_REQUEST, reason: 'request line too long' };
    if (!fin) return { kind: 'incomplete' };
    end = received.length;
  }
  if (end > MAX_REQUEST_BYTES) return { kind: 'error', code: HqError.BAD_REQUEST, reason: 'request line too long' };
  let line = Buffer.from(received.buffer, received.byteOffset, end).toString('latin1');
  if (line.endsWith('\r')) line = line.slice(0, -1);
  const m = /^GET +(\S+)(?: +\S+)?\s*$/.exec(line);
  if (!m) return { kind: 'error', code: HqError.BAD_REQUEST, reason: `not an HTTP/0.9 GET: ${JSON.stringify(line.slice(0, 80))}` };
  return { kind: 'request', path: m[1]! };
}

export type ResolvedPath =
  | { kind: 'synthetic'; size: number }
  | { kind: 'file'; file: string; size: number }
  | { kind: 'error'; code: number; reason: string };

export interface ResolveOptions {
  /** Directory the files are served from; without it only synthetic objects exist. */
  webroot?: string;
  /** Largest synthetic object served (default 1 TiB). */
  maxSyntheticBytes?: number;
}

/**
 * Maps a request path (`/dir/file?query`, percent-encoded) to what to send. Refuses, with
 * FORBIDDEN, any `..` segment and any file whose real path (symbolic links resolved) is not
 * inside the real web root.
 */
export async function resolveRequestPath(rawPath: string, opts: ResolveOptions): Promise<ResolvedPath> {
  const cut = rawPath.search(/[?#]/);
  const encoded = cut >= 0 ? rawPath.slice(0, cut) : rawPath;
  if (!encoded.startsWith('/')) return { kind: 'error', code: HqError.BAD_REQUEST, reason: 'the path does not start with /' };
  let path: string;
  try {
    path = decodeURIComponent(encoded);
  } catch {
    return { kind: 'error', code: HqError.BAD_REQUEST, reason: 'bad percent-encoding' };
  }
  if (path.includes('\0')) return { kind: 'error', code: HqError.BAD_REQUEST, reason: 'NUL in the path' };
  const synthetic = parseSyntheticPath(path);
  if (synthetic !== undefined) {
    if (synthetic > (opts.maxSyntheticBytes ?? 2 ** 40)) return { kind: 'error', code: HqError.FORBIDDEN, reason: 'synthetic object too large' };
    return { kind: 'synthetic', size: synthetic };
  }
  const segments = path.split(/[/\\]/);
  if (segments.includes('..')) return { kind: 'error', code: HqError.FORBIDDEN, reason: 'path traversal' };
  if (opts.webroot === undefined) return { kind: 'error', code: HqError.NOT_FOUND, reason: 'no web root' };
  let root: string;
  try {
    root = await realpath(opts.webroot);
  } catch {
    return { kind: 'error', code: HqError.NOT_FOUND, reason: 'the web root does not exist' };
  }
  let file = resolve(root, '.' + path);
  try {
    let real = await realpath(file);
    if (real !== root && !real.startsWith(root + sep)) return { kind: 'error', code: HqError.FORBIDDEN, reason: 'outside the web root' };
    let st = await stat(real);
    if (st.isDirectory()) {
      file = join(real, 'index.html');
      real = await realpath(file);
      if (!real.startsWith(root + sep)) return { kind: 'error', code: HqError.FORBIDDEN, reason: 'outside the web root' };
      st = await stat(real);
    }
    if (!st.isFile()) return { kind: 'error', code: HqError.NOT_FOUND, reason: 'not a regular file' };
    return { kind: 'file', file: real, size: st.size };
  } catch {
    return { kind: 'error', code: HqError.NOT_FOUND, reason: 'no such file' };
  }
}
