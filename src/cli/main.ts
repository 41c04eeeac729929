/**
 * `pquic`: the one command-line tool. Each subcommand lives in commands/ and has --help.
 * Errors are printed as one clear line (usage errors with the command's usage); the process
 * never dies with a stack trace on bad input.
 */
import { UsageError } from './args.js';
import { processIo, type Command, type Io } from './io.js';
import { VmError } from '../vm/errors.js';
import { runCommand } from './commands/run.js';
import { asmCommand } from './commands/asm.js';
import { disasmCommand } from './commands/disasm.js';
import { conformanceCommand } from './commands/conformance.js';
import { inspectCommand } from './commands/inspect.js';
import { demoCommand } from './commands/demo.js';
import { serverCommand } from './commands/server.js';
import { clientCommand } from './commands/client.js';
import { verifyCommand } from './commands/verify.js';

export const COMMANDS: Command[] = [demoCommand, runCommand, asmCommand, disasmCommand, inspectCommand, conformanceCommand, serverCommand, clientCommand, verifyCommand];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'pquic: Pluginized QUIC in TypeScript — eBPF plugin VM tools',
    '',
    'usage: pquic <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'pquic <command> --help' for a command's options.",
  ].join('\n');
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    io.out('pquic-ts 0.1.0');
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    io.err(`pquic: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(cmd.usage);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`pquic ${cmd.name}: ${e.message}\n\n${cmd.usage}`);
      return 2;
    }
    if (e instanceof VmError) {
      io.err(`pquic ${cmd.name}: ${e.message}`);
      return 1;
    }
    io.err(`pquic ${cmd.name}: internal error: ${(e as Error).stack ?? String(e)}`);
    return 70;
  }
}
