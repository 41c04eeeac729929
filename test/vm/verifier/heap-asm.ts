/**
 * Pluglets in assembly that keep state in heap blocks (metadata slots hold the blocks), verified
 * together as one plugin under strict: the fixture of the heap-cell tests (heap-reuse.test.ts,
 * heap-cells.test.ts).
 */
import { assemble } from '../../../src/vm/asm.js';
import { rawImage } from '../../../src/vm/program.js';
import { MANIFEST_NO_PARAM } from '../../../src/plugins/manifest.js';
import { verifyPlugin, type PluginVerification } from '../../../src/plugins/verify-plugin.js';
import { AK_CNX_INPUT, HELPER_IDS } from '../../../src/plugins/abi.js';

export const id = (name: string): number => HELPER_IDS.get(name)!;

/** Allocates `size` bytes, runs `init` (r0 = the block), keeps it in metadata slot `slot`. */
export const allocInto = (slot: number, size: number, init = ''): string => `mov %r6, %r1
mov %r2, ${size}
call ${id('my_malloc')}
jeq %r0, 0, out
${init}
mov %r3, %r0
mov %r1, %r6
mov %r2, ${slot}
call ${id('set_cnx_metadata')}
out:
mov %r0, 0
exit`;

/** Reads metadata slot `slot` into r7 (r6 = cnx), runs `body` when it is not NULL. */
export const withSlot = (slot: number, body: string): string => `mov %r6, %r1
mov %r2, ${slot}
call ${id('get_cnx_metadata')}
jeq %r0, 0, out
mov %r7, %r0
${body}
out:
mov %r0, 0
exit`;

/** Input 0 of the running operation into r0: a number the verifier knows nothing of. */
export const anyNumber = `mov %r1, %r6\nmov %r2, ${AK_CNX_INPUT}\nmov %r3, 0\ncall ${id('get_cnx')}`;

/** The block in slot 0 read at +8 as an index into itself (s[s->i], 8-byte words): what the bound at +8 must prove. */
export const indexedRead = withSlot(0, 'ldxdw %r1, [%r7+8]\nlsh %r1, 3\nadd %r7, %r1\nldxdw %r0, [%r7]');

/** Verifies the programs as the pluglets of one plugin (each its own operation) under strict. */
export function verifyStrict(srcs: readonly string[]): PluginVerification {
  const entries = srcs.map((_, i) => ({ protoop: `op${i}`, param: MANIFEST_NO_PARAM, anchor: 'replace' as const, objectPath: `p${i}.o`, source: { file: 't.plugin', line: i + 1 }, afterNegotiation: false }));
  return verifyPlugin(srcs.map((s) => rawImage(assemble(s))), entries.map((entry, program) => ({ entry, program })), 'strict');
}

/** Reason codes of each object's rejections. */
export const codes = (v: PluginVerification): string[][] => v.results.map((r) => r.errors.map((e) => e.code));

/**
 * A block of 8 + len bytes (len = input 0, at most 1200; `size` computes r2 from r8 = len),
 * `field` stored (r0 = the block, r8 = len; by default len at +0), kept in metadata slot 0: the
 * datagram plugin's messages, the fixture of the length-field tests.
 */
export const lengthWriter = (field = 'stxdw [%r0], %r8', size = 'mov %r2, %r8\nadd %r2, 8'): string => `mov %r6, %r1
${anyNumber}
jgt %r0, 1200, out
mov %r8, %r0
${size}
mov %r1, %r6
call ${id('my_malloc')}
jeq %r0, 0, out
${field}
mov %r3, %r0
mov %r1, %r6
mov %r2, 0
call ${id('set_cnx_metadata')}
out:
mov %r0, 0
exit`;
