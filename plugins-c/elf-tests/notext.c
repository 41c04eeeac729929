/* No .text at all: every function lives in a custom section, so the default entry is the first
 * function of the first executable section. Also data in a custom-named allocated section that
 * is only reached through a relocation. */

typedef unsigned long long u64;

__attribute__((section("consts"))) const u64 weights[4] = {10, 20, 30, 40};

__attribute__((section("prog/main"), noinline)) u64 first(u64 *arg);
__attribute__((section("prog/aux"), noinline)) u64 weigh(u64 i);

__attribute__((section("prog/main"), noinline)) u64 first(u64 *arg)
{
	return weigh(arg[0]) + weigh(arg[1]);
}

__attribute__((section("prog/main"), noinline)) u64 second(u64 *arg)
{
	return first(arg) * 2;
}

__attribute__((section("prog/aux"), noinline)) u64 weigh(u64 i)
{
	return weights[i & 3] + i;
}
