/**
 * PQUIC's plugin manifest (`.plugin`) grammar (reference/pquic.md §3):
 *
 *   PLUGIN_NAME [rate_unlimited] [dynamic_memory] [negotiate] [optional]
 *   PROTOOP [param N] replace|pre|post|extern RELATIVE/PATH.o
 *   RELATIVE/PATH.plugin include
 *   -                      (negotiate: the lines after it are injected once negotiated)
 *   # comment
 *
 * Options: `rate_unlimited` exempts the plugin's congestion-controlled reserved frames from the
 * plugin share of the congestion window (QuicConnection.reserveFrame); `negotiate` as above;
 * `optional` is ours (a failing plugin leaves the connection instead of closing it).
 * `dynamic_memory` chose PQUIC's general allocator over its pool of 2092-byte blocks; our heap
 * (heap.ts) is a general allocator for every plugin, so the option is accepted and changes
 * nothing.
 *
 * Unlike PQUIC, includes are checked for cycles and depth, and every error names the file and
 * line it comes from.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';

export type ManifestAnchor = 'replace' | 'pre' | 'post' | 'extern';
/** PQUIC's three options, and ours: `optional` (the connection continues without a failed plugin). */
export type ManifestOption = 'rate_unlimited' | 'dynamic_memory' | 'negotiate' | 'optional';

/** "No parameter" in a manifest (PQUIC's NO_PARAM). */
export const MANIFEST_NO_PARAM = 0xffff;

export interface PlugletEntry {
  protoop: string;
  /** Frame type or transport parameter id; MANIFEST_NO_PARAM when the line has no `param`. */
  param: number;
  anchor: ManifestAnchor;
  /** Absolute path of the eBPF object. */
  objectPath: string;
  /** Where the line was written, for error messages. */
  source: { file: string; line: number };
  /** For `negotiate` plugins: true for lines after the `-` marker. */
  afterNegotiation: boolean;
}

export interface Manifest {
  name: string;
  options: Set<ManifestOption>;
  pluglets: PlugletEntry[];
  /** The manifest file itself. */
  file: string;
}

export class ManifestError extends Error {
  readonly file: string;
  readonly line: number;
  constructor(message: string, file: string, line: number) {
    super(line > 0 ? `${file}:${line}: ${message}` : `${file}: ${message}`);
    this.name = 'ManifestError';
    this.file = file;
    this.line = line;
  }
}

const OPTIONS: ReadonlySet<string> = new Set(['rate_unlimited', 'dynamic_memory', 'negotiate', 'optional']);
const ANCHORS: ReadonlySet<string> = new Set(['replace', 'pre', 'post', 'extern']);
const NAME_MAX = 100; // PROTOOPPLUGINNAME_MAX
const MAX_INCLUDE_DEPTH = 16;
const MAX_MANIFEST_BYTES = 1 << 20;
const PROTOOP_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PLUGIN_NAME = /^[A-Za-z0-9_.-]+$/;

export type ReadFile = (path: string) => string;

function defaultRead(path: string): string {
  const buf = readFileSync(path);
  if (buf.length > MAX_MANIFEST_BYTES) throw new Error(`larger than ${MAX_MANIFEST_BYTES} bytes`);
  return buf.toString('utf8');
}

/** Reads and parses a manifest file, expanding includes. Throws ManifestError. */
export function loadManifest(path: string, read: ReadFile = defaultRead): Manifest {
  const file = resolve(path);
  const text = readOrFail(read, file, file, 0);
  return parseManifest(text, file, read);
}

function readOrFail(read: ReadFile, path: string, from: string, line: number): string {
  try {
    return read(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.message;
    throw new ManifestError(`cannot read ${path}: ${why}`, from, line);
  }
}

/** Parses manifest text; `file` names it in errors and anchors relative paths. */
export function parseManifest(text: string, file: string, read: ReadFile = defaultRead): Manifest {
  const lines = text.split(/\r?\n/);
  let first = -1;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l !== '' && !l.startsWith('#')) {
      first = i;
      break;
    }
  }
  if (first < 0) throw new ManifestError('empty manifest: the first line must name the plugin', file, 0);
  const [name, ...opts] = lines[first]!.trim().split(/\s+/);
  if (!name || name.length > NAME_MAX || !PLUGIN_NAME.test(name)) {
    throw new ManifestError(`invalid plugin name '${name ?? ''}' (letters, digits, '.', '_', '-'; at most ${NAME_MAX} characters)`, file, first + 1);
  }
  if (name.endsWith('.plugin') || name.endsWith('.o')) {
    throw new ManifestError(`the first line must be the plugin name, not '${name}' (is this an included file?)`, file, first + 1);
  }
  const options = new Set<ManifestOption>();
  for (const o of opts) {
    if (!OPTIONS.has(o)) throw new ManifestError(`unrecognized plugin option '${o}' (known: ${[...OPTIONS].join(', ')})`, file, first + 1);
    options.add(o as ManifestOption);
  }
  const pluglets: PlugletEntry[] = [];
  const state = { afterMarker: false };
  parseBody(lines, first + 1, file, read, pluglets, [file], state);
  if (pluglets.length === 0) throw new ManifestError('the plugin has no pluglets', file, 0);
  if (state.afterMarker && !options.has('negotiate')) {
    throw new ManifestError("the '-' marker only makes sense with the negotiate option", file, 0);
  }
  return { name, options, pluglets, file };
}

function parseBody(lines: string[], start: number, file: string, read: ReadFile, out: PlugletEntry[], stack: string[], state: { afterMarker: boolean }): void {
  const dir = dirname(file);
  for (let i = start; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith('#')) continue;
    if (raw === '-') {
      if (state.afterMarker) throw new ManifestError("a second '-' marker", file, lineNo);
      state.afterMarker = true;
      continue;
    }
    const t = raw.split(/\s+/);
    if (t.length === 2 && t[1] === 'include') {
      const inc = resolvePath(dir, t[0]!, file, lineNo);
      if (!inc.endsWith('.plugin')) throw new ManifestError(`include of '${t[0]}': only .plugin files can be included`, file, lineNo);
      if (stack.includes(inc)) throw new ManifestError(`cyclic include of ${inc}`, file, lineNo);
      if (stack.length >= MAX_INCLUDE_DEPTH) throw new ManifestError(`includes nested deeper than ${MAX_INCLUDE_DEPTH}`, file, lineNo);
      const text = readOrFail(read, inc, file, lineNo);
      // An included file has no name line: all of it is body.
      parseBody(text.split(/\r?\n/), 0, inc, read, out, [...stack, inc], state);
      continue;
    }
    let k = 0;
    const protoop = t[k++]!;
    if (!PROTOOP_NAME.test(protoop) || protoop.length > NAME_MAX) {
      throw new ManifestError(`invalid protoop name '${protoop}'`, file, lineNo);
    }
    let param = MANIFEST_NO_PARAM;
    if (t[k] === 'param') {
      k++;
      const v = t[k++];
      if (v === undefined) throw new ManifestError('param needs a number', file, lineNo);
      param = parseParam(v, file, lineNo);
    }
    const anchor = t[k++];
    if (anchor === undefined || !ANCHORS.has(anchor)) {
      throw new ManifestError(`expected an anchor (replace, pre, post or extern), got '${anchor ?? 'end of line'}'`, file, lineNo);
    }
    const obj = t[k++];
    if (obj === undefined) throw new ManifestError(`missing the object file after '${anchor}'`, file, lineNo);
    if (k !== t.length) throw new ManifestError(`unexpected '${t.slice(k).join(' ')}' at the end of the line`, file, lineNo);
    if (anchor === 'extern' && param !== MANIFEST_NO_PARAM) throw new ManifestError('extern operations take no param', file, lineNo);
    out.push({
      protoop, param, anchor: anchor as ManifestAnchor, objectPath: resolvePath(dir, obj, file, lineNo),
      source: { file, line: lineNo }, afterNegotiation: state.afterMarker,
    });
  }
}

function parseParam(v: string, file: string, line: number): number {
  // strtoul(..., 0): decimal, 0x hex or 0 octal.
  let n: number;
  if (/^0x[0-9a-f]+$/i.test(v)) n = parseInt(v, 16);
  else if (/^0[0-7]+$/.test(v)) n = parseInt(v, 8);
  else if (/^\d+$/.test(v)) n = parseInt(v, 10);
  else throw new ManifestError(`param '${v}' is not a number`, file, line);
  if (n > 0xffff) throw new ManifestError(`param ${v} does not fit 16 bits`, file, line);
  return n;
}

function resolvePath(dir: string, p: string, file: string, line: number): string {
  if (isAbsolute(p)) throw new ManifestError(`'${p}': paths are relative to the manifest`, file, line);
  const full = resolve(dir, p);
  if (full.length >= 250) throw new ManifestError(`path too long: ${full}`, file, line);
  return full;
}
