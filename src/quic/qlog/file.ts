/**
 * qlog files: one `<ODCID hex>_<client|server>.sqlog` per connection in a directory.
 *
 * Writes are synchronous (`fs.writeSync` on a descriptor kept open) but batched by the trace's
 * buffer, so a connection pays one system call per 16 KiB of records or per second of event
 * time. Being synchronous, whatever was flushed is on disk even if the process ends with
 * `process.exit`; buffers of traces still open at exit are flushed by an 'exit' listener.
 *
 * Nothing here throws: a directory or file that cannot be created yields a disabled trace, and a
 * failed write disables the trace; either is reported once on stderr.
 */

import fs from 'node:fs';
import path from 'node:path';
import { hex } from './format.js';
import {
  NULL_QLOG,
  QLOG_FILE_SUFFIX,
  type QlogWriter,
  type QlogWriterOptions,
  SeqWriter,
  reportQlogError,
} from './writer.js';

/** Options of `openQlogFile`: the writer's, except that errors always go to stderr. */
export type QlogFileOptions = Omit<QlogWriterOptions, 'onError'>;

/** A trace backed by a file. */
export interface QlogFile extends QlogWriter {
  /** The file's path (set even when it could not be created). */
  readonly path: string;
}

/** `<ODCID hex>_<vantage>.sqlog`. */
export function qlogFileName(odcid: Uint8Array, vantage: 'client' | 'server'): string {
  return `${hex(odcid)}_${vantage}${QLOG_FILE_SUFFIX}`;
}

/** Traces with a descriptor still open: flushed by the process 'exit' listener. */
const openTraces = new Set<SeqWriter>();
let exitHookInstalled = false;

function flushOpenTraces(): void {
  for (const t of openTraces) t.flush();
}

/** Creation failures already reported, by directory and error code: one line each per process. */
const reportedOpenFailures = new Set<string>();

/**
 * Opens `<dir>/<ODCID hex>_<vantage>.sqlog` (creating `dir` if needed, truncating an existing
 * file) and writes the qlog header. Never throws.
 */
export function openQlogFile(dir: string, opts: QlogFileOptions): QlogFile {
  const file = path.join(dir, qlogFileName(opts.odcid, opts.vantage));
  let fd: number;
  try {
    fs.mkdirSync(dir, { recursive: true });
    fd = fs.openSync(file, 'w');
  } catch (err) {
    const key = `${dir}\0${(err as NodeJS.ErrnoException | null)?.code ?? String(err)}`;
    if (!reportedOpenFailures.has(key)) {
      reportedOpenFailures.add(key);
      reportQlogError(`cannot create ${file}`, err);
    }
    return disabledFile(file);
  }

  let failed = false;
  let writer: FileWriter | undefined;
  const closeFd = (): void => {
    if (writer !== undefined) openTraces.delete(writer);
    try {
      fs.closeSync(fd);
    } catch (err) {
      if (!failed) reportQlogError(`cannot close ${file}`, err);
    }
  };
  const sink = (chunk: string): void => {
    const bytes = Buffer.from(chunk, 'utf8');
    let off = 0;
    while (off < bytes.length) {
      const n = fs.writeSync(fd, bytes, off, bytes.length - off);
      if (!(n > 0)) throw new Error('short write');
      off += n;
    }
  };
  const onError = (err: unknown): void => {
    failed = true;
    reportQlogError(`cannot write ${file}`, err);
  };
  writer = new FileWriter(file, sink, { ...opts, onError }, closeFd);
  if (writer.enabled) {
    openTraces.add(writer);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', flushOpenTraces);
    }
  }
  return writer;
}

class FileWriter extends SeqWriter implements QlogFile {
  readonly path: string;

  constructor(file: string, sink: (chunk: string) => void, opts: QlogWriterOptions, onClose: () => void) {
    super(sink, opts, { onClose });
    this.path = file;
  }
}

function disabledFile(file: string): QlogFile {
  return Object.freeze({ ...NULL_QLOG, path: file });
}
