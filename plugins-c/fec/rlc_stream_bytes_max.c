// build-flags: -DFEC_SCHEME=2
/* The random linear code variant of stream_bytes_max.c (FEC_SCHEME_RLC). */
#include "stream_bytes_max.c"
