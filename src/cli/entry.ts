/** Process entry of the bundled CLI (dist/cli/pquic.mjs). */
import { main } from './main.js';

// A closed pipe (`pquic disasm x.o | head`) is the reader's choice, not an error of ours.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`pquic: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 70;
  },
);
