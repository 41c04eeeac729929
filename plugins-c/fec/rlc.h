/*
 * The sliding-window random linear code over GF(256) (PQUIC's fec_rlc_gf256_window): a repair
 * symbol every R source symbols combines the last W symbols with coefficients derived from the
 * window's first id; a receiver solves for up to MAX_UNKNOWN missing symbols by Gaussian
 * elimination once it holds as many independent repairs.
 */
#include "fec.h"

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

/* acc[0..len) ^= c * data[0..len) */
static inline __attribute__((always_inline)) void gf_axpy(fec_t *f, uint8_t *acc, const uint8_t *data, uint64_t len, uint8_t c)
{
    if (c == 0)
        return;
    uint64_t lc = f->gf_log[c];
    for (uint64_t i = 0; i < len; i++) {
        uint8_t d = data[i];
        if (d != 0)
            acc[i] ^= f->gf_exp[lc + f->gf_log[d]];
    }
}

/*
 * Solves for the missing symbols covered by the stored repairs, when there are at least as many
 * usable repairs as unknowns: each rebuilt packet goes to the connection and is announced in a
 * RECOVERED frame.
 */
static inline __attribute__((always_inline)) void rlc_try_decode(picoquic_cnx_t *cnx, fec_t *f)
{
    uint64_t unk[MAX_UNKNOWN];
    uint64_t nu = 0;
    uint64_t eq[MAX_UNKNOWN];
    uint64_t ne = 0;
    for (uint64_t i = 0; i < MAX_UNKNOWN; i++) {
        rx_repair_t *r = &f->rx_rep[i];
        if (!r->valid)
            continue;
        uint64_t missing = 0;
        uint64_t ok = 1;
        for (uint64_t j = r->first; j < r->first + r->count && j < r->first + W; j++) {
            win_symbol_t *s = &f->rx_win[j % 16];
            if (s->valid && s->id == j)
                continue;
            if (s->valid && s->id > j) {
                ok = 0; /* evicted: this repair can no longer be used */
                break;
            }
            missing++;
            uint64_t seen = 0;
            for (uint64_t u = 0; u < nu; u++)
                if (unk[u] == j)
                    seen = 1;
            if (!seen) {
                if (nu == MAX_UNKNOWN) {
                    ok = 0;
                    break;
                }
                unk[nu++] = j;
            }
        }
        if (!ok || missing == 0) {
            r->valid = 0;
            continue;
        }
        eq[ne++] = i;
    }
    if (nu == 0 || ne < nu)
        return;
    /* rhs[e] = repair - sum of the known symbols; a[e][u] the unknowns' coefficients. */
    uint8_t a[MAX_UNKNOWN][MAX_UNKNOWN];
    uint64_t len = 0;
    for (uint64_t e = 0; e < nu; e++) {
        rx_repair_t *r = &f->rx_rep[eq[e]];
        my_memcpy(f->rhs[e], r->data, r->len);
        my_memset(f->rhs[e] + r->len, 0, MAX_SYMBOL - r->len);
        if (r->len > len)
            len = r->len;
        for (uint64_t u = 0; u < nu; u++)
            a[e][u] = (unk[u] >= r->first && unk[u] < r->first + r->count) ? rlc_coef(r->first, unk[u]) : 0;
        for (uint64_t j = r->first; j < r->first + r->count && j < r->first + W; j++) {
            win_symbol_t *s = &f->rx_win[j % 16];
            if (s->valid && s->id == j)
                gf_axpy(f, f->rhs[e], s->data, s->len, rlc_coef(r->first, j));
        }
    }
    /* Gaussian elimination over GF(256), rows permuted through row[]. */
    uint64_t row[MAX_UNKNOWN];
    for (uint64_t e = 0; e < nu; e++)
        row[e] = e;
    for (uint64_t c = 0; c < nu; c++) {
        uint64_t p = c;
        while (p < nu && a[row[p]][c] == 0)
            p++;
        if (p == nu)
            return; /* not independent yet: wait for another repair */
        uint64_t t = row[c];
        row[c] = row[p];
        row[p] = t;
        uint64_t pr = row[c];
        uint8_t inv = gf_inv(f, a[pr][c]);
        for (uint64_t k = 0; k < nu; k++)
            a[pr][k] = gf_mul(f, a[pr][k], inv);
        for (uint64_t i = 0; i < len; i++)
            f->rhs[pr][i] = gf_mul(f, f->rhs[pr][i], inv);
        for (uint64_t e = 0; e < nu; e++) {
            uint64_t er = row[e];
            if (er == pr || a[er][c] == 0)
                continue;
            uint8_t factor = a[er][c];
            for (uint64_t k = 0; k < nu; k++)
                a[er][k] ^= gf_mul(f, factor, a[pr][k]);
            gf_axpy(f, f->rhs[er], f->rhs[pr], len, factor);
        }
    }
    for (uint64_t u = 0; u < nu; u++) {
        uint8_t *sym = f->rhs[row[u]];
        uint64_t n = ((uint64_t)sym[0] << 8) | sym[1];
        if (n == 0 || n + 2 > len)
            continue;
        win_symbol_t *s = &f->rx_win[unk[u] % 16];
        s->id = unk[u];
        s->valid = 1;
        s->len = n + 2;
        my_memcpy(s->data, sym, n + 2);
        recover_packet(cnx, s->data + 2, n);
        f->rx_has_id = 0;
        f->recovered++;
        reserve_frame_slot_t slot = { FT_RECOVERED, 9, 0, unk[u] };
        reserve_frames(cnx, 1, &slot);
    }
    for (uint64_t e = 0; e < nu; e++)
        f->rx_rep[eq[e]].valid = 0;
}
