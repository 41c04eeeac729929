/* Data sections: string literals (.rodata.str1.1), const tables (.rodata), initialized
 * globals (.data), zeroed globals (.bss), pointer arrays (R_BPF_64_ABS64 in .data and .rodata),
 * and helpers called through undefined extern symbols. */

typedef unsigned long long u64;

extern u64 my_memcpy(void *dst, const void *src, u64 n);
extern u64 helper_log(const char *msg);
extern u64 get_time(void);

const unsigned int table[6] = {2, 3, 5, 7, 11, 13};
u64 counter = 42;
unsigned char flags[3] = {1, 2, 3};
u64 scratch[4];
unsigned int hits;
const char *const rnames[] = {"first", "second", "third"};
const char *wnames[] = {"alpha", "beta"};

u64 pluglet(u64 *arg)
{
	char buf[16];
	u64 i = arg[0];

	helper_log("pluglet start");
	my_memcpy(buf, "0123456789abcdef", 16);
	scratch[i & 3] = table[i % 6] + get_time();
	hits++;
	counter += flags[i % 3];
	helper_log(rnames[i % 3]);
	wnames[i & 1] = "gamma";
	helper_log(wnames[(i + 1) & 1]);
	return counter + (u64)buf[i & 15] + scratch[(i + 1) & 3] + hits;
}
