/** Process entry of the bundled CLI (dist/cli/pquic.mjs). */
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`pquic: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 70;
  },
);
