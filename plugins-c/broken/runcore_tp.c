/* runcore_tp: runs the core operation process_transport_parameter with numbers (runcore.h). */
#define OP "process_transport_parameter"
#define OP_PARAM NO_PARAM
#include "runcore.h"
