/* runcore_protect: runs the core operation finalize_and_protect_packet with numbers (runcore.h). */
#define OP "finalize_and_protect_packet"
#define OP_PARAM NO_PARAM
#include "runcore.h"
