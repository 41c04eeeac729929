/*
 * A test plugin for reserved frames (test/plugins/reserved-frames.test.ts): the frame_ctx of a
 * reservation is a heap note that write_frame and notify_frame of the same plugin dereference.
 * The frame on the wire is a PING (RFC 9000 §19.2), which any peer accepts; 0x3e is only the
 * key the sender schedules it under.
 */
#include "pquic.h"

#define FT_NOTE 0x3e
#define FT_NOT_WRITTEN 0x3f
#define ACKED_SLOT 1

typedef struct note {
    uint64_t seq;
    uint64_t written;
} note_t;
