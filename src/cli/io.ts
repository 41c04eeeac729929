/** Where a command writes: injected so tests can capture output without spawning processes. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : text + '\n'),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : text + '\n'),
};

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Returns the process exit status. */
  run(argv: string[], io: Io): number | Promise<number>;
}
