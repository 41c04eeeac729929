/*
 * uBPF runner for `npm run bench:vm -- --ubpf PATH_TO_BUILT_RUNNER` (bench/vm.ts).
 *
 * Runs one function of one of our clang-built eBPF objects (the .o files of plugins-c/bench) on uBPF
 * (github.com/iovisor/ubpf), its x86-64 JIT by default or its interpreter with --interpreter,
 * with uBPF's calling convention r1 = mem, r2 = its length (the one our kernels are written
 * for), and prints the timing as one JSON line on stdout.
 *
 * This repository neither ships nor builds uBPF. Build uBPF's library yourself and compile this
 * file against it, for example (uBPF's own CMake with tests off works too):
 *
 *   cc -O2 -I UBPF_SRC/vm/inc -I DIR_WITH_ubpf_config.h bench/ubpf/runner.c UBPF_LIB/libubpf.a -lm -o ubpf-runner
 *
 * Usage: ubpf-runner OBJECT.o FUNCTION ITERATIONS [--interpreter] [--warmup N] < INPUT
 *
 * INPUT (stdin, binary) is the kernel's mem. Every run sees the same bytes (several kernels
 * write into mem) and is timed the way bench/vm.ts times our `vm.exec({ mem })`: copy the host's
 * buffer into the VM's memory, run, copy it back to the host's buffer. "ns" is that, per run;
 * "call_ns" the call into uBPF alone (CLOCK_MONOTONIC around each part). WARMUP untimed runs
 * come first.
 *
 * Output: {"engine":"ubpf-jit"|"ubpf-interpreter","runs":N,"r0":"0x..","mem_fnv1a":"0x..",
 *          "ns":[...],"call_ns":[...],"median_ns":..,"min_ns":..,"median_call_ns":..}
 * r0 and an FNV-1a 64 digest of mem after the first run let the caller check that uBPF computed
 * what our VM computed. On any error: a message on stderr and exit status 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ubpf.h>

/* Largest object and input we accept: far above the kernels' sizes, bounds a bad argument. */
#define MAX_FILE_BYTES (64u << 20)
#define MAX_RUNS 10000000L

struct bytes {
    uint8_t *data;
    size_t len;
};

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "ubpf-runner: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

/* Reads all of f into an 8-byte aligned buffer (the kernels read u64 words of mem). */
static struct bytes read_all(FILE *f, const char *name)
{
    struct bytes b = { NULL, 0 };
    size_t cap = 1 << 16;
    b.data = aligned_alloc(8, cap);
    if (!b.data)
        die("out of memory reading", name);
    for (;;) {
        if (b.len == cap) {
            if (cap >= MAX_FILE_BYTES)
                die("input too large", name);
            uint8_t *bigger = aligned_alloc(8, cap * 2);
            if (!bigger)
                die("out of memory reading", name);
            memcpy(bigger, b.data, b.len);
            free(b.data);
            b.data = bigger;
            cap *= 2;
        }
        size_t got = fread(b.data + b.len, 1, cap - b.len, f);
        b.len += got;
        if (got == 0) {
            if (ferror(f))
                die("cannot read", name);
            return b;
        }
    }
}

static long parse_count(const char *s, const char *what)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 0 || v > MAX_RUNS)
        die("bad count for", what);
    return v;
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* FNV-1a 64 of mem: a digest the caller compares with the bytes our VM leaves. */
static uint64_t digest(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void print_samples(const char *key, const uint64_t *v, long n)
{
    printf("\"%s\":[", key);
    for (long i = 0; i < n; i++)
        printf("%s%" PRIu64, i ? "," : "", v[i]);
    printf("],");
}

/* One run: r0, or exit on a uBPF error (the interpreter reports faults; the JIT has none). */
static uint64_t run_once(struct ubpf_vm *vm, ubpf_jit_fn jit, uint8_t *mem, size_t len)
{
    if (jit)
        return jit(mem, len);
    uint64_t r0 = 0;
    if (ubpf_exec(vm, mem, len, &r0) != 0)
        die("uBPF's interpreter failed the run", NULL);
    return r0;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        die("usage: ubpf-runner OBJECT.o FUNCTION ITERATIONS [--interpreter] [--warmup N] < INPUT", NULL);
    const char *object_path = argv[1];
    const char *function = argv[2];
    long runs = parse_count(argv[3], "ITERATIONS");
    bool interpreter = false;
    long warmup = 3;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--interpreter") == 0)
            interpreter = true;
        else if (strcmp(argv[i], "--warmup") == 0 && i + 1 < argc)
            warmup = parse_count(argv[++i], "--warmup");
        else
            die("unknown argument", argv[i]);
    }
    if (runs < 1)
        die("ITERATIONS must be at least 1", NULL);

    FILE *of = fopen(object_path, "rb");
    if (!of)
        die("cannot open", object_path);
    struct bytes object = read_all(of, object_path);
    fclose(of);
    struct bytes input = read_all(stdin, "stdin");

    struct ubpf_vm *vm = ubpf_create();
    if (!vm)
        die("ubpf_create failed", NULL);
    char *err = NULL;
    if (ubpf_load_elf_ex(vm, object.data, object.len, function, &err) != 0)
        die("uBPF cannot load the object", err);
    ubpf_jit_fn jit = NULL;
    if (!interpreter) {
        jit = ubpf_compile(vm, &err);
        if (!jit)
            die("uBPF cannot compile the object", err);
    }

    /* mem gets at least 8 bytes so that an empty input still has a valid, aligned pointer. */
    size_t cap = input.len < 8 ? 8 : input.len;
    size_t rounded = (cap + 7) & ~(size_t)7;
    uint8_t *mem = aligned_alloc(8, rounded);
    uint8_t *host = aligned_alloc(8, rounded);
    uint64_t *samples = malloc((size_t)runs * sizeof *samples);
    uint64_t *calls = malloc((size_t)runs * sizeof *calls);
    if (!mem || !host || !samples || !calls)
        die("out of memory", NULL);

    memcpy(mem, input.data, input.len);
    uint64_t r0 = run_once(vm, jit, mem, input.len);
    uint64_t mem_digest = digest(mem, input.len);
    for (long i = 0; i < warmup; i++) {
        memcpy(mem, input.data, input.len);
        if (run_once(vm, jit, mem, input.len) != r0)
            die("runs disagree on r0", NULL);
    }
    for (long i = 0; i < runs; i++) {
        /* The host's buffer gets the input back outside the timed region, as in bench/vm.ts. */
        memcpy(host, input.data, input.len);
        uint64_t t0 = now_ns();
        memcpy(mem, host, input.len);
        uint64_t t1 = now_ns();
        uint64_t r = run_once(vm, jit, mem, input.len);
        uint64_t t2 = now_ns();
        memcpy(host, mem, input.len);
        uint64_t t3 = now_ns();
        if (r != r0)
            die("runs disagree on r0", NULL);
        samples[i] = t3 - t0;
        calls[i] = t2 - t1;
    }
    if (digest(host, input.len) != mem_digest)
        die("runs disagree on mem", NULL);

    printf("{\"engine\":\"%s\",\"runs\":%ld,\"r0\":\"0x%" PRIx64 "\",\"mem_fnv1a\":\"0x%016" PRIx64 "\",",
           interpreter ? "ubpf-interpreter" : "ubpf-jit", runs, r0, mem_digest);
    print_samples("ns", samples, runs);
    print_samples("call_ns", calls, runs);
    qsort(samples, (size_t)runs, sizeof *samples, cmp_u64);
    qsort(calls, (size_t)runs, sizeof *calls, cmp_u64);
    printf("\"median_ns\":%" PRIu64 ",\"min_ns\":%" PRIu64 ",\"median_call_ns\":%" PRIu64 "}\n",
           samples[runs / 2], samples[0], calls[runs / 2]);

    free(calls);
    free(samples);
    free(host);
    free(mem);
    free(input.data);
    free(object.data);
    ubpf_destroy(vm);
    return 0;
}
