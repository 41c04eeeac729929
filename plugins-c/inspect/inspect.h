/*
 * The inspect plugin reads the core's packets, headers, connection IDs, streams and received
 * ranges through the connection API's getters and checks that what it reads is consistent.
 * Its counters live in the connection's metadata slots, which the application and tests read.
 */
#ifndef INSPECT_H
#define INSPECT_H
#include <pquic.h>

#define IN_HEADERS 0        /* header_parsed calls */
#define IN_SHORT_HEADERS 1  /* of which 1-RTT */
#define IN_DCID_IS_OURS 2   /* 1-RTT packets whose DCID is the path's local CID */
#define IN_LOST 3           /* packet_was_lost calls */
#define IN_LOST_BYTES 4     /* their AK_PKT_LENGTH */
#define IN_MAX_STREAMS 5    /* most open streams seen by walking the stream list */
#define IN_MAX_RANGES 6     /* most ranges of received 1-RTT packet numbers */
#define IN_SACK_WALKS 7     /* received_packet calls that walked the ranges */
#define IN_ERRORS 9         /* inconsistencies found (0 expected) */

static inline void in_add(picoquic_cnx_t *cnx, int slot, uint64_t n)
{
    set_cnx_metadata(cnx, slot, get_cnx_metadata(cnx, slot) + n);
}

static inline void in_max(picoquic_cnx_t *cnx, int slot, uint64_t v)
{
    if (v > get_cnx_metadata(cnx, slot))
        set_cnx_metadata(cnx, slot, v);
}

#endif
