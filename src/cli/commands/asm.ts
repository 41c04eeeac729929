import { writeFileSync } from 'node:fs';
import { parse, str, UsageError } from '../args.js';
import type { Command, Io } from '../io.js';
import { readInput } from '../program-file.js';
import { assemble } from '../../vm/asm.js';
import { VmError } from '../../vm/errors.js';

const usage = `usage: pquic asm FILE [-o OUT]

Assembles eBPF assembly (the syntax of bpf_conformance .data files) into raw bytecode.
Without -o the bytecode is printed as hex, one instruction per line.

options:
  -o, --output OUT    write the bytecode to OUT
  -h, --help`;

export const asmCommand: Command = {
  name: 'asm',
  summary: 'assemble eBPF assembly into raw bytecode',
  usage,
  run(argv: string[], io: Io): number {
    const p = parse(argv, { output: { type: 'string', short: 'o' } });
    if (p.positionals.length !== 1) throw new UsageError('expected exactly one FILE');
    const src = new TextDecoder().decode(readInput(p.positionals[0]!));
    const code = assemble(src);
    const out = str(p, 'output');
    if (out !== undefined) {
      try {
        writeFileSync(out, code);
      } catch (e) {
        throw new VmError('VM_STATE', `cannot write ${out}: ${(e as Error).message}`);
      }
      io.out(`${code.length / 8} instructions written to ${out}`);
    } else {
      for (let i = 0; i < code.length; i += 8) io.out(Buffer.from(code.subarray(i, i + 8)).toString('hex').replace(/(..)(?!$)/g, '$1 '));
    }
    return 0;
  },
};
