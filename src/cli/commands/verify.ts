import { flag, parse, str, UsageError } from '../args.js';
import type { Command, Io } from '../io.js';
import { readProgram } from '../program-file.js';
import { loadElf } from '../../vm/elf.js';
import { VmError } from '../../vm/errors.js';
import { rawImage, type ProgramImage } from '../../vm/program.js';
import { formatRejection, verifyProgram, type CtxKind, type Policy } from '../../vm/verifier/index.js';
import { pluginHelpers } from '../../plugins/helper-signatures.js';
import { externContract, inputContract } from '../../plugins/signatures.js';
import { verifyPluginFiles } from './verify-plugin.js';

const usage = `usage: pquic verify FILE [options]
       pquic verify --plugin MANIFEST [--policy P] [--trace] [--json]

Proves an eBPF program safe before it runs (the static verifier): every instruction valid,
every memory access inside its region, every register and stack slot written before it is
read, helper arguments matching the connection API, no pointer reaching the host, and (strict)
every loop bounded. Exit status: 0 accepted, 1 rejected, 2 usage or I/O error.

options:
  --entry NAME       function to verify (ELF; default: the function at offset 0 of .text)
  --policy P         strict (default; everything proven, as for a plugin from a peer) |
                     checked (local plugins: what is not proven keeps its runtime check)
  --ctx C            pluglet (default): r1 is the connection handle (PQUIC's convention) |
                     mem: r1 points to a buffer of r2 bytes (uBPF's convention)
  --protoop OP       the operation the pluglet implements: its inputs' contract (for
                     parse_frame, write_frame, write_transport_parameter and
                     process_transport_parameter, finalize_and_protect_packet, and the
                     extern send_message and get_message, the buffer the host grants)
                     is then known
  --plugin MANIFEST  every pluglet object of a plugin, as Plugin.load verifies them: each
                     with its operation's contract, and the values the host keeps for the
                     plugin (metadata, parse_frame's frames) typed by what all its pluglets
                     store there (exit 1 when one object is rejected)
  --format F         elf | asm | raw (default: detected)
  --trace            print the path (instructions and states) that led to each rejection
  --json             machine-readable result
  -h, --help`;

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'prove an eBPF program safe (static verifier), or say exactly why not',
  usage,
  run(argv: string[], io: Io): number {
    const p = parse(argv, {
      entry: { type: 'string' }, policy: { type: 'string' }, ctx: { type: 'string' }, format: { type: 'string' }, protoop: { type: 'string' },
      trace: { type: 'boolean' }, json: { type: 'boolean' }, plugin: { type: 'string' },
    });
    const policy = str(p, 'policy') ?? 'strict';
    if (policy !== 'strict' && policy !== 'checked') throw new UsageError(`--policy must be strict or checked, got '${policy}'`);
    const manifest = str(p, 'plugin');
    if (manifest !== undefined) {
      if (p.positionals.length !== 0) throw new UsageError('--plugin takes the manifest: no FILE');
      for (const o of ['entry', 'ctx', 'format', 'protoop']) if (str(p, o) !== undefined) throw new UsageError(`--${o} does not apply to --plugin (the manifest says what each object is)`);
      return verifyPluginFiles(manifest, policy, { json: flag(p, 'json'), trace: flag(p, 'trace') }, io);
    }
    if (p.positionals.length !== 1) throw new UsageError('expected exactly one FILE');
    const ctx = str(p, 'ctx') ?? 'pluglet';
    if (ctx !== 'pluglet' && ctx !== 'mem') throw new UsageError(`--ctx must be pluglet or mem, got '${ctx}'`);
    const entry = str(p, 'entry');
    const protoop = str(p, 'protoop');
    // A core operation's contract, or an extern one's (send_message, get_message): the host
    // checks the application's buffer and length against it before the pluglet runs
    // (src/plugins/extern-inputs.ts), so the verifier may assume it as Plugin.load does.
    const contract = protoop !== undefined ? inputContract(protoop) ?? externContract(protoop) : undefined;
    if (protoop !== undefined && ctx !== 'pluglet') throw new UsageError('--protoop needs --ctx pluglet');
    let image: ProgramImage;
    let format: string;
    try {
      const file = readProgram(p.positionals[0]!, str(p, 'format'));
      format = file.format;
      if (entry !== undefined && file.format !== 'elf') throw new UsageError('--entry needs an ELF object');
      image = file.format === 'elf' ? loadElf(file.bytes, entry !== undefined ? { entry } : {}) : rawImage(file.bytes);
    } catch (e) {
      // A file that is not a program at all is an input error, not a rejection.
      if (e instanceof VmError) {
        io.err(`pquic verify: ${p.positionals[0]}: ${e.message}`);
        return 2;
      }
      throw e;
    }
    const t0 = performance.now();
    const r = verifyProgram(image, { ...pluginHelpers, policy: policy as Policy, ctx: ctx as CtxKind, ...(contract ?? {}) });
    const ms = performance.now() - t0;
    if (flag(p, 'json')) {
      io.out(JSON.stringify({
        file: p.positionals[0], format, policy, ctx, ok: r.ok, instructions: image.code.length / 8, steps: r.steps,
        ms: Math.round(ms * 1000) / 1000, provenAccesses: [...r.provenAccesses].sort((a, b) => a - b),
        // What the proofs assume of a run (the JIT uses them only for runs that honour it).
        assumed: r.assumed,
        unboundedLoops: r.unboundedLoops, errors: r.errors,
      }, null, 2));
      return r.ok ? 0 : 1;
    }
    const what = `${p.positionals[0]}${entry ? ` (${entry})` : ''}`;
    if (r.ok) {
      const notes: string[] = [`${r.provenAccesses.size} memory accesses proven`];
      if (r.unboundedLoops.length) notes.push(`loops at PC ${r.unboundedLoops.join(', ')} left to the fuel`);
      io.out(`${what}: accepted (${policy}, ctx ${ctx}; ${image.code.length / 8} instructions, ${notes.join(', ')}; ${ms.toFixed(2)} ms)`);
      return 0;
    }
    io.out(`${what}: rejected (${policy}, ctx ${ctx}): ${r.errors.length} problem${r.errors.length > 1 ? 's' : ''}`);
    for (const e of r.errors) io.out(formatRejection(e, { trace: flag(p, 'trace') }));
    return 1;
  },
};
