// build-flags: -DFEC_SCHEME=2
/* The random linear code variant of process_tp.c (FEC_SCHEME_RLC). */
#include "process_tp.c"
