/*
 * Verifier corpus: state kept in metadata slot 0 by one pluglet and used by others (PQUIC's
 * convention). Verified together, as the pluglets of one plugin (src/plugins/verify-plugin.ts):
 * keep_state with read_state is accepted under strict; each other reader, or keep_stack or
 * keep_number next to keep_state, must stay rejected.
 */
#include <pquic.h>

typedef struct {
    uint64_t packets;
    uint64_t bytes;
    uint64_t last;
    uint64_t flags;
} state_t;

/* Allocates the state once and keeps it in metadata slot 0. */
protoop_arg_t keep_state(picoquic_cnx_t *cnx)
{
    state_t *st = (state_t *)get_cnx_metadata(cnx, 0);
    if (st == NULL) {
        st = (state_t *)my_malloc(cnx, sizeof(state_t));
        if (st == NULL)
            return 1;
        my_memset(st, 0, sizeof(state_t));
        set_cnx_metadata(cnx, 0, (protoop_arg_t)st);
    }
    st->packets++;
    return 0;
}

/* Reads the state back: NULL-checked, every field inside the block. */
protoop_arg_t read_state(picoquic_cnx_t *cnx)
{
    state_t *st = (state_t *)get_cnx_metadata(cnx, 0);
    if (st == NULL)
        return 0;
    st->last = st->packets + st->bytes;
    return st->flags;
}

/* One word past the 32-byte block. */
protoop_arg_t read_past(picoquic_cnx_t *cnx)
{
    uint64_t *st = (uint64_t *)get_cnx_metadata(cnx, 0);
    if (st == NULL)
        return 0;
    return st[4];
}

/* No NULL check: the slot is 0 until keep_state ran. */
protoop_arg_t read_unchecked(picoquic_cnx_t *cnx)
{
    state_t *st = (state_t *)get_cnx_metadata(cnx, 0);
    return st->packets;
}

/* The address of a stack variable kept in the slot: a leak, and no state for the readers. */
protoop_arg_t keep_stack(picoquic_cnx_t *cnx)
{
    volatile uint64_t local = 5;
    set_cnx_metadata(cnx, 0, (protoop_arg_t)&local);
    return local;
}

/* A number kept in the slot: the readers cannot dereference what it holds. */
protoop_arg_t keep_number(picoquic_cnx_t *cnx)
{
    set_cnx_metadata(cnx, 0, picoquic_current_time());
    return 0;
}
