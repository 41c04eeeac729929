/* Functions spread over .text and two custom executable sections, with calls across sections:
 * to global functions (relocation against the function symbol) and to static functions
 * (relocation against the STT_SECTION symbol, the offset held in the call's imm). */

typedef unsigned long long u64;

extern u64 helper_log(const char *msg);

#define SEC(name) __attribute__((section(name), noinline))

static SEC("pluglet2") u64 p2_double(u64 x);
static SEC("pluglet2") u64 p2_triple(u64 x);
SEC("pluglet2") u64 p2_entry(u64 x);
SEC("pluglet3") u64 p3_entry(u64 x);
static __attribute__((noinline)) u64 text_helper(u64 x);

u64 pluglet(u64 *arg)
{
	return p2_entry(arg[0]) + p3_entry(arg[1]) + p2_triple(arg[2]) + text_helper(arg[3]);
}

static __attribute__((noinline)) u64 text_helper(u64 x)
{
	helper_log("text");
	return x ^ 0x5a;
}

static SEC("pluglet2") u64 p2_double(u64 x)
{
	return x * 2 + 1;
}

static SEC("pluglet2") u64 p2_triple(u64 x)
{
	return x * 3 + p2_double(x);
}

SEC("pluglet2") u64 p2_entry(u64 x)
{
	return p2_double(x) + p2_triple(x + 1) + text_helper(x);
}

SEC("pluglet3") u64 p3_entry(u64 x)
{
	helper_log("p3");
	return p2_entry(x) + p2_double(x);
}
