/* BPF-to-BPF calls inside .text: global and static non-inlined functions, recursion, and a
 * helper called by raw id (no relocation, src 0). The pluglet comes first, at offset 0. */

typedef unsigned long long u64;

static long (*const helper_by_id)(u64 v) = (void *)35;

__attribute__((noinline)) u64 add3(u64 a, u64 b, u64 c);
static __attribute__((noinline)) u64 square(u64 x);
static __attribute__((noinline)) u64 fib(u64 n);

u64 pluglet(u64 *arg)
{
	u64 x = arg[0];
	u64 s = square(x);
	u64 f = fib(x & 7);
	u64 t = add3(s, f, arg[1]);
	return t + (u64)helper_by_id(t);
}

__attribute__((noinline)) u64 add3(u64 a, u64 b, u64 c)
{
	return a + square(b) + c;
}

static __attribute__((noinline)) u64 square(u64 x)
{
	return x * x + 1;
}

static __attribute__((noinline)) u64 fib(u64 n)
{
	if (n < 2)
		return n;
	return fib(n - 1) + fib(n - 2);
}
