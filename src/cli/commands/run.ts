import { engineOpt, intOpt, parse, str, strs, flag, UsageError } from '../args.js';
import type { Command, Io } from '../io.js';
import { readInput, readProgram } from '../program-file.js';
import { Vm } from '../../vm/vm.js';

const usage = `usage: pquic run FILE [options]

Runs an eBPF program in the sandboxed interpreter and prints r0.
FILE is an ELF object (clang -O2 -target bpf -c x.c), assembly text or raw bytecode.

options:
  --entry NAME        function to run (ELF; default: the function at offset 0 of .text)
  --format F          elf | asm | raw (default: detected)
  --mem HEX           bytes granted to the program: r1 = their address, r2 = their length
  --mem-file FILE     the same, read from a file
  --mem-size N        N zero bytes granted (with --mem/--mem-file: padded to N)
  --arg V             r1..r5 (repeatable, up to 5; decimal or 0x hex, negative as --arg=-5)
  --fuel N            instruction budget (default: unlimited)
  --heap N            heap region size in bytes (default 65536)
  --engine E          interpreter (default) | jit
  --show-mem          print the granted memory after the run (hex)
  --json              machine-readable result
  -h, --help`;

function parseHex(s: string): Uint8Array {
  const clean = s.replace(/0x/gi, '').replace(/[\s,:]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(clean)) throw new UsageError(`--mem must be hex bytes, got '${s}'`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function parseArg(s: string): bigint {
  try {
    if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(s)) throw new Error();
    return s.startsWith('-') ? BigInt.asUintN(64, -BigInt(s.slice(1))) : BigInt(s);
  } catch {
    throw new UsageError(`--arg must be an integer, got '${s}'`);
  }
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run an eBPF program (ELF, assembly or raw) and print r0',
  usage,
  run(argv: string[], io: Io): number {
    const p = parse(argv, {
      entry: { type: 'string' }, format: { type: 'string' }, mem: { type: 'string' }, 'mem-file': { type: 'string' },
      'mem-size': { type: 'string' }, arg: { type: 'string', multiple: true }, fuel: { type: 'string' },
      heap: { type: 'string' }, engine: { type: 'string' }, 'show-mem': { type: 'boolean' }, json: { type: 'boolean' },
    });
    if (p.positionals.length !== 1) throw new UsageError('expected exactly one FILE');
    const engine = engineOpt(p);
    const fuel = intOpt(p, 'fuel', 0, 2 ** 53);
    const heap = intOpt(p, 'heap', 0, 1 << 30) ?? 65536;
    const memSize = intOpt(p, 'mem-size', 0, 1 << 30);
    let mem: Uint8Array | undefined;
    if (str(p, 'mem') !== undefined) mem = parseHex(str(p, 'mem')!);
    if (str(p, 'mem-file') !== undefined) {
      if (mem) throw new UsageError('give --mem or --mem-file, not both');
      mem = readInput(str(p, 'mem-file')!);
    }
    if (memSize !== undefined) {
      const m = new Uint8Array(Math.max(memSize, mem?.length ?? 0));
      if (mem) m.set(mem);
      mem = m;
    }
    const args = strs(p, 'arg').map(parseArg);
    if (args.length > 5) throw new UsageError('at most 5 --arg values (r1..r5)');
    if (args.length > 0 && mem) throw new UsageError('--arg sets r1..r5 and --mem* sets r1/r2: give one or the other');

    const file = readProgram(p.positionals[0]!, str(p, 'format'));
    const vm = new Vm({ heapSize: heap, engine });
    vm.registerStandardHelpers({ log: (line) => io.out(line) });
    if (file.format === 'elf') vm.loadElf(file.bytes, str(p, 'entry') !== undefined ? { entry: str(p, 'entry')! } : {});
    else {
      if (str(p, 'entry') !== undefined) throw new UsageError('--entry needs an ELF object');
      vm.load(file.bytes);
    }
    const t0 = process.hrtime.bigint();
    const r = vm.exec({ ...(mem ? { mem } : { args }), ...(fuel !== undefined ? { fuel } : {}) });
    const ns = Number(process.hrtime.bigint() - t0);
    const signed = BigInt.asIntN(64, r.r0);
    if (flag(p, 'json')) {
      io.out(JSON.stringify({ r0: '0x' + r.r0.toString(16), r0_signed: signed.toString(), instructions: r.instructions, ns, ...(mem && flag(p, 'show-mem') ? { mem: Buffer.from(mem).toString('hex') } : {}) }));
    } else {
      io.out(`r0 = 0x${r.r0.toString(16)} (${signed})`);
      io.out(`${r.instructions} instructions in ${(ns / 1e3).toFixed(1)} µs`);
      if (mem && flag(p, 'show-mem')) io.out(`mem = ${Buffer.from(mem).toString('hex')}`);
    }
    return 0;
  },
};
