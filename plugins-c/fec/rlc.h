/*
 * The sliding-window random linear code over GF(256) (PQUIC's fec_rlc_gf256_window): a repair
 * symbol every R source symbols combines the last W symbols with coefficients derived from the
 * window's first id; a receiver solves for up to MAX_UNKNOWN missing symbols by Gaussian
 * elimination once it holds as many independent repairs.
 *
 * These pluglets may come from a peer, so they are written to be proven safe by the verifier's
 * strict policy: every index is compared with or masked to the size of the array it indexes,
 * every length read back from the heap is clamped to the buffer it is used on, and the stack
 * arrays are filled whole before they are read at computed indexes.
 */
#include "fec.h"

/* The receiver's window of source symbols (fec_t.rx_win). */
#define RX_WIN 16

/*
 * An index masked to the size of the array it selects: a power of two, so the mask is the same
 * as `% size`. A symbol id picks its window slot this way. In rlc_try_decode every index is
 * below MAX_UNKNOWN already (counters below nu <= MAX_UNKNOWN, values read back from row[] and
 * eq[], which hold such counters), so there the mask changes nothing; it states the bound where
 * the verifier cannot see it: what a stack array holds at a computed index, and counters that
 * clang turns into pointers stepped through an array (a masked index cannot be stepped).
 */
_Static_assert((MAX_UNKNOWN & (MAX_UNKNOWN - 1)) == 0, "MAX_UNKNOWN must be a power of two");
_Static_assert((RX_WIN & (RX_WIN - 1)) == 0, "RX_WIN must be a power of two");
_Static_assert(sizeof(((fec_t *)0)->rx_win) == RX_WIN * sizeof(win_symbol_t), "RX_WIN is rx_win's length");
#define ROW(x) ((x) & (MAX_UNKNOWN - 1))
#define RX_SLOT(id) ((id) & (RX_WIN - 1))

/* A symbol or repair length read back from the heap, clamped to the MAX_SYMBOL bytes that every
 * symbol buffer holds: the writers never store more, this keeps each copy inside its buffer. */
static inline __attribute__((always_inline)) uint64_t symbol_len(uint64_t len)
{
    return len > MAX_SYMBOL ? MAX_SYMBOL : len;
}

/* GF(256) with the polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d). */
static inline __attribute__((always_inline)) void gf_init(fec_t *f)
{
    if (f->gf_ready)
        return;
    uint64_t x = 1;
    for (int i = 0; i < 255; i++) {
        f->gf_exp[i] = (uint8_t)x;
        f->gf_exp[i + 255] = (uint8_t)x;
        f->gf_log[x] = (uint8_t)i;
        x <<= 1;
        if (x & 0x100)
            x ^= 0x11d;
        /* The reduction leaves x below 256 (bit 8 cleared); the mask says so to the verifier,
         * which does not follow the bit test, so that x provably indexes gf_log[256]. */
        x &= 0xff;
    }
    f->gf_exp[510] = f->gf_exp[0];
    f->gf_exp[511] = f->gf_exp[1];
    f->gf_ready = 1;
}

static inline __attribute__((always_inline)) uint8_t gf_mul(fec_t *f, uint8_t a, uint8_t b)
{
    if (a == 0 || b == 0)
        return 0;
    return f->gf_exp[(uint64_t)f->gf_log[a] + f->gf_log[b]];
}

static inline __attribute__((always_inline)) uint8_t gf_inv(fec_t *f, uint8_t a)
{
    return f->gf_exp[255 - f->gf_log[a]];
}

/* The coefficient of symbol `id` in the repair whose window starts at `first`: never 0. */
static inline __attribute__((always_inline)) uint8_t rlc_coef(uint64_t first, uint64_t id)
{
    uint64_t h = (first * 0x9E3779B97F4A7C15ULL) ^ (id * 0xC2B2AE3D27D4EB4FULL);
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 32;
    return (uint8_t)(1 + h % 255);
}

/* acc[0..len) ^= c * data[0..len); both buffers hold MAX_SYMBOL bytes. */
static inline __attribute__((always_inline)) void gf_axpy(fec_t *f, uint8_t *acc, const uint8_t *data, uint64_t len, uint8_t c)
{
    if (c == 0)
        return;
    len = symbol_len(len);
    uint64_t lc = f->gf_log[c];
    for (uint64_t i = 0; i < len; i++) {
        uint8_t d = data[i];
        if (d != 0)
            acc[i] ^= f->gf_exp[lc + f->gf_log[d]];
    }
}

/*
 * How many symbols a stored repair covers: its count, at most W (the sender never combines
 * more). Walking k < span from the window's first id, rather than j up to first + count, keeps
 * a counter the verifier can bound whatever `first` is (ids are varints, below 2^62, so
 * first + W never wraps and both walks visit the same ids).
 */
static inline __attribute__((always_inline)) uint64_t repair_span(const rx_repair_t *r)
{
    return r->count < W ? r->count : W;
}

/*
 * Solves for the missing symbols covered by the stored repairs, when there are at least as many
 * usable repairs as unknowns: each rebuilt packet goes to the connection and is announced in a
 * RECOVERED frame.
 */
static inline __attribute__((always_inline)) void rlc_try_decode(picoquic_cnx_t *cnx, fec_t *f)
{
    /* Filled whole: the loops below read them at indexes bounded only by nu and ne. */
    uint64_t unk[MAX_UNKNOWN] = { 0 };
    uint64_t nu = 0;
    uint64_t eq[MAX_UNKNOWN] = { 0 };
    uint64_t ne = 0;
    for (uint64_t i = 0; i < MAX_UNKNOWN; i++) {
        rx_repair_t *r = &f->rx_rep[i];
        if (!r->valid)
            continue;
        uint64_t first = r->first;
        uint64_t span = repair_span(r);
        uint64_t missing = 0;
        uint64_t ok = 1;
        for (uint64_t k = 0; k < span; k++) {
            uint64_t j = first + k;
            win_symbol_t *s = &f->rx_win[RX_SLOT(j)];
            if (s->valid && s->id == j)
                continue;
            if (s->valid && s->id > j) {
                ok = 0; /* evicted: this repair can no longer be used */
                break;
            }
            missing++;
            uint64_t seen = 0;
            for (uint64_t u = 0; u < nu; u++)
                if (unk[ROW(u)] == j)
                    seen = 1;
            if (!seen) {
                if (nu >= MAX_UNKNOWN) {
                    ok = 0;
                    break;
                }
                unk[ROW(nu)] = j;
                nu++;
            }
        }
        if (!ok || missing == 0) {
            r->valid = 0;
            continue;
        }
        /* ne <= i < MAX_UNKNOWN: one entry per repair at most; compared so the store is proven. */
        if (ne < MAX_UNKNOWN) {
            eq[ROW(ne)] = i;
            ne++;
        }
    }
    if (nu == 0 || ne < nu)
        return;
    /*
     * rhs[e] = repair - sum of the known symbols; a[e][u] the unknowns' coefficients (bytes of
     * GF(256), kept in 32-bit cells: with byte cells clang addresses a[e][u] as
     * (a + 4e) | u, relying on the array's alignment, and an OR on a pointer proves nothing).
     */
    uint32_t a[MAX_UNKNOWN][MAX_UNKNOWN] = { { 0 } };
    uint64_t len = 0;
    for (uint64_t e = 0; e < nu; e++) {
        rx_repair_t *r = &f->rx_rep[ROW(eq[ROW(e)])];
        uint8_t *rhs = f->rhs[ROW(e)];
        uint64_t first = r->first;
        uint64_t span = repair_span(r);
        uint64_t rlen = symbol_len(r->len);
        /* The repair, zero-padded to MAX_SYMBOL bytes. */
        my_memset(rhs, 0, MAX_SYMBOL);
        my_memcpy(rhs, r->data, rlen);
        if (rlen > len)
            len = rlen;
        for (uint64_t u = 0; u < nu; u++) {
            uint64_t id = unk[ROW(u)];
            a[ROW(e)][ROW(u)] = (id >= first && id - first < span) ? rlc_coef(first, id) : 0;
        }
        for (uint64_t k = 0; k < span; k++) {
            uint64_t j = first + k;
            win_symbol_t *s = &f->rx_win[RX_SLOT(j)];
            if (s->valid && s->id == j)
                gf_axpy(f, rhs, s->data, s->len, rlc_coef(first, j));
        }
    }
    /* Gaussian elimination over GF(256), rows permuted through row[] (a permutation of 0..nu-1). */
    uint64_t row[MAX_UNKNOWN];
    for (uint64_t e = 0; e < MAX_UNKNOWN; e++)
        row[e] = e;
    for (uint64_t c = 0; c < nu; c++) {
        uint64_t p = c;
        while (p < nu && a[ROW(row[ROW(p)])][ROW(c)] == 0)
            p++;
        if (p >= nu)
            return; /* not independent yet: wait for another repair */
        uint64_t t = row[ROW(c)];
        row[ROW(c)] = row[ROW(p)];
        row[ROW(p)] = t;
        uint64_t pr = ROW(row[ROW(c)]);
        uint8_t inv = gf_inv(f, (uint8_t)a[pr][ROW(c)]);
        for (uint64_t k = 0; k < nu; k++)
            a[pr][ROW(k)] = gf_mul(f, (uint8_t)a[pr][ROW(k)], inv);
        for (uint64_t i = 0; i < len; i++)
            f->rhs[pr][i] = gf_mul(f, f->rhs[pr][i], inv);
        for (uint64_t e = 0; e < nu; e++) {
            uint64_t er = ROW(row[ROW(e)]);
            if (er == pr || a[er][ROW(c)] == 0)
                continue;
            uint8_t factor = (uint8_t)a[er][ROW(c)];
            for (uint64_t k = 0; k < nu; k++)
                a[er][ROW(k)] ^= gf_mul(f, factor, (uint8_t)a[pr][ROW(k)]);
            gf_axpy(f, f->rhs[er], f->rhs[pr], len, factor);
        }
    }
    for (uint64_t u = 0; u < nu; u++) {
        uint8_t *sym = f->rhs[ROW(row[ROW(u)])];
        uint64_t n = ((uint64_t)sym[0] << 8) | sym[1];
        if (n == 0 || n + 2 > len)
            continue;
        uint64_t id = unk[ROW(u)];
        win_symbol_t *s = &f->rx_win[RX_SLOT(id)];
        s->id = id;
        s->valid = 1;
        s->len = n + 2;
        my_memcpy(s->data, sym, n + 2);
        recover_packet(cnx, s->data + 2, n);
        f->rx_has_id = 0;
        f->recovered++;
        reserve_frame_slot_t slot = { FT_RECOVERED, 9, 0, id };
        reserve_frames(cnx, 1, &slot);
    }
    for (uint64_t e = 0; e < nu; e++)
        f->rx_rep[ROW(eq[ROW(e)])].valid = 0;
}
