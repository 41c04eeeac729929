/* runcore_parse: runs the core operation parse_frame with numbers (runcore.h). */
#define OP "parse_frame"
#define OP_PARAM 0x08
#include "runcore.h"
