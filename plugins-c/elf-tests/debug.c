// build-flags: -g
/* Compiled with -g: .BTF, .BTF.ext and .debug_* sections with their own relocations (including
 * R_BPF_64_NODYLD32 and R_BPF_64_ABS32), all of which the loader must ignore. */

typedef unsigned long long u64;

extern u64 helper_log(const char *msg);

struct point {
	int x;
	int y;
};

static const struct point corners[3] = {{0, 0}, {4, 0}, {0, 3}};
int visits;
const char *labels[2] = {"even", "odd"};

static __attribute__((noinline)) int dist2(const struct point *a, const struct point *b)
{
	int dx = a->x - b->x;
	int dy = a->y - b->y;
	return dx * dx + dy * dy;
}

u64 pluglet(u64 i)
{
	visits++;
	helper_log(labels[i & 1]);
	helper_log("debug pluglet");
	return (u64)dist2(&corners[i % 3], &corners[(i + 1) % 3]) + (u64)visits;
}
