/* 32-bit data pointers emitted by the assembler: .long of a read-only symbol gives
 * R_BPF_64_ABS32, .long of a writable symbol gives R_BPF_64_NODYLD32 (clang 14), next to a
 * 64-bit .quad (R_BPF_64_ABS64). */

typedef unsigned long long u64;

const unsigned int ro_words[4] = {1, 2, 3, 4};
u64 rw_words[2] = {5, 6};

asm(".section .data.ptrs,\"aw\",@progbits\n"
    ".p2align 3\n"
    ".globl ptrs\n"
    "ptrs:\n"
    ".long ro_words+4\n"
    ".long rw_words+8\n"
    ".quad ro_words+12\n"
    ".text\n");

extern unsigned int ptrs[4];

u64 pluglet(u64 i)
{
	return ptrs[i & 3] + ro_words[i & 3] + rw_words[i & 1];
}
