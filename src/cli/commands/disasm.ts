import { parse, str, UsageError } from '../args.js';
import type { Command, Io } from '../io.js';
import { readProgram } from '../program-file.js';
import { loadElf } from '../../vm/elf.js';
import { disassemble } from '../../vm/disasm.js';
import { rawImage, type ProgramImage } from '../../vm/program.js';
import { STANDARD_HELPER_IDS } from '../../vm/helpers.js';

const usage = `usage: pquic disasm FILE [options]

Disassembles an eBPF program. For an ELF object the listing is per function, with the
relocations applied at load (data addresses, helper names) shown as comments.

options:
  --entry NAME    entry function (ELF; default: the function at offset 0 of .text)
  --format F      elf | asm | raw (default: detected)
  -h, --help`;

/** Comments for the relocated instructions of a linked image. */
export function annotations(image: ProgramImage): Map<number, string> {
  const notes = new Map<number, string>();
  for (const r of image.dataRelocs) {
    const s = image.sections[r.section];
    let note = `${s?.name ?? `section ${r.section}`}+${r.offset}`;
    if (s && !s.writable && r.offset < s.bytes.length) {
      // Show the string a pointer into read-only data starts with, if it is one.
      const end = s.bytes.indexOf(0, r.offset);
      const text = new TextDecoder().decode(s.bytes.subarray(r.offset, end < 0 ? s.bytes.length : end));
      if (end > r.offset && /^[\x20-\x7e]*$/.test(text)) note += ` ${JSON.stringify(text.length > 40 ? text.slice(0, 40) + '…' : text)}`;
    }
    notes.set(r.pc, note);
  }
  for (const r of image.helperRelocs) {
    const id = STANDARD_HELPER_IDS.get(r.name);
    notes.set(r.pc, `helper ${r.name}${id !== undefined ? ` (id ${id})` : ' (resolved by name at load)'}`);
  }
  return notes;
}

export const disasmCommand: Command = {
  name: 'disasm',
  summary: 'disassemble an eBPF program (ELF per function, with relocations)',
  usage,
  run(argv: string[], io: Io): number {
    const p = parse(argv, { entry: { type: 'string' }, format: { type: 'string' } });
    if (p.positionals.length !== 1) throw new UsageError('expected exactly one FILE');
    const file = readProgram(p.positionals[0]!, str(p, 'format'));
    const entry = str(p, 'entry');
    const image = file.format === 'elf' ? loadElf(file.bytes, entry !== undefined ? { entry } : {}) : rawImage(file.bytes);
    if (file.format === 'elf') {
      const e = image.functions.find((f) => f.pc === image.entry);
      io.out(`; ${file.path}: ${image.functions.length} function(s), entry ${e?.name ?? image.entry}, ${image.code.length / 8} slots`);
      for (const s of image.sections) io.out(`; data ${s.name}: ${s.bytes.length} bytes${s.writable ? '' : ', read-only'}`);
    }
    io.out(disassemble(image.code, { functions: image.functions, annotations: annotations(image) }).replace(/\n$/, ''));
    return 0;
  },
};
