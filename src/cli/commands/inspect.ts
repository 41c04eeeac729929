import { flag, parse, UsageError } from '../args.js';
import type { Command, Io } from '../io.js';
import { readInput } from '../program-file.js';
import { inspectElf } from '../../vm/elf.js';

const usage = `usage: pquic inspect FILE.o [--json]

Shows what an eBPF ELF object holds: sections, functions, relocations and the helper
functions it calls (resolved by name when loaded).

options:
  --json      machine-readable output
  -h, --help`;

const hex = (n: number): string => '0x' + n.toString(16);

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'list the sections, functions, relocations and helpers of an ELF object',
  usage,
  run(argv: string[], io: Io): number {
    const p = parse(argv, { json: { type: 'boolean' } });
    if (p.positionals.length !== 1) throw new UsageError('expected exactly one FILE');
    const info = inspectElf(readInput(p.positionals[0]!));
    if (flag(p, 'json')) {
      io.out(JSON.stringify(info, null, 2));
      return 0;
    }
    io.out(`machine: ${info.machine === 247 ? 'EM_BPF (247)' : `EM_NONE (${info.machine})`}`);
    io.out('');
    io.out(`sections (${info.sections.length}):`);
    for (const s of info.sections) {
      io.out(`  [${String(s.index).padStart(2)}] ${s.name.padEnd(24)} ${s.type.padEnd(10)} ${s.flags.padEnd(5)} offset ${hex(s.offset).padEnd(8)} size ${s.size}`);
    }
    io.out('');
    io.out(`functions (${info.functions.length}):`);
    for (const f of info.functions) {
      io.out(`  ${f.name.padEnd(24)} ${f.section}+${hex(f.offset)} ${f.size / 8} insns${f.global ? '' : ' (static)'}`);
    }
    io.out('');
    io.out(`relocations (${info.relocations.length}):`);
    for (const r of info.relocations) {
      io.out(`  ${r.section}+${hex(r.offset).padEnd(8)} ${r.typeName.padEnd(14)} ${r.symbol}${r.addend ? ` + ${r.addend}` : ''}`);
    }
    io.out('');
    io.out(`helpers (${info.helpers.length}): ${info.helpers.join(', ') || '(none)'}`);
    return 0;
  },
};
