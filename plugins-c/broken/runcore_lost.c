/* runcore_lost: runs the core operation packet_was_lost with numbers (runcore.h). */
#define OP "packet_was_lost"
#define OP_PARAM NO_PARAM
#include "runcore.h"
