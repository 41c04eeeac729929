/**
 * An NSS key log file (SSLKEYLOGFILE format) for the connection's `keyLog` callback: lines are
 * appended synchronously, so they are on disk before the first packet they decrypt is sent,
 * and a crash loses none.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export interface KeyLogFile {
  readonly path: string;
  /** Give this to the connection configuration's `keyLog`. */
  readonly write: (line: string) => void;
  close(): void;
}

/** Opens `path` for appending (creating it with mode 0600: these are secrets). Throws if it cannot. */
export function openKeyLogFile(path: string): KeyLogFile {
  let fd: number | undefined = openSync(path, 'a', 0o600);
  return {
    path,
    write: (line: string) => {
      if (fd === undefined) return;
      try {
        writeSync(fd, line.endsWith('\n') ? line : line + '\n');
      } catch {
        // A full disk must not break the connection; the key log is a debugging aid.
      }
    },
    close: () => {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
