/**
 * A synthetic program of a chosen size for the verifier's benchmark and tests: what a large
 * pluglet does, in proportion (input reads under a length check, arithmetic, branches, stack
 * spills and reloads, bounded loops, helper calls), every access provable. uBPF's convention:
 * r1 = buffer, r2 = its length.
 */
import { assemble } from '../asm.js';

export function synthProgram(targetInsns: number): Uint8Array {
  const lines: string[] = ['mov %r6, %r1', 'mov %r7, %r2', 'mov %r0, 0', 'jlt %r7, 64, out'];
  let k = 0;
  let n = 4;
  while (n < targetInsns - 12) {
    const off = (k * 7) % 56;
    const slot = 8 * ((k % 32) + 1);
    if (k % 16 === 15) {
      // A bounded loop over 16 input bytes.
      lines.push(
        'mov %r5, 0',
        `loop${k}:`,
        'mov %r3, %r6',
        'add %r3, %r5',
        `ldxb %r4, [%r3+${off % 48}]`,
        'add %r0, %r4',
        'add %r5, 1',
        `jlt %r5, 16, loop${k}`,
      );
      n += 7;
    } else if (k % 16 === 7) {
      // A helper call on a stack buffer (my_memset), its bytes then read back.
      lines.push('mov %r8, %r0', 'mov %r1, %r10', 'add %r1, -280', 'mov %r2, 0', 'mov %r3, 16', 'call 36', 'ldxdw %r0, [%r10-272]', 'add %r0, %r8');
      n += 8;
    } else {
      lines.push(
        `ldxb %r3, [%r6+${off}]`,
        'add %r0, %r3',
        `jgt %r3, 100, big${k}`,
        'mul %r0, 3',
        `ja next${k}`,
        `big${k}:`,
        'xor %r0, %r3',
        `next${k}:`,
        `stxdw [%r10-${slot}], %r0`,
        `ldxdw %r4, [%r10-${slot}]`,
        'rsh %r4, 1',
        'add %r0, %r4',
      );
      n += 10;
    }
    k++;
  }
  lines.push('out:', 'exit');
  return assemble(lines.join('\n'));
}
