// build-flags: -DFEC_SCHEME=2
/* The random linear code variant of write_tp.c (FEC_SCHEME_RLC). */
#include "write_tp.c"
