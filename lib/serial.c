/*
 * serial.c: little-endian byte streams for snapshots: a buffered writer
 * with a running CRC-32 and a bounds-checked reader over a memory buffer.
 */
#include "internal.h"

#include <string.h>

uint32_t rtn__crc32(uint32_t crc, const void *p, size_t n)
{
    const unsigned char *s = p;
    size_t i;
    int k;
    crc = ~crc;
    for (i = 0; i < n; i++) {
        crc ^= s[i];
        for (k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (UINT32_C(0xedb88320) & (0u - (crc & 1u)));
    }
    return ~crc;
}

void rtn__wr_init(rtn_wr *w, rtn_write_fn fn, void *user)
{
    w->fn = fn;
    w->user = user;
    w->total = 0;
    w->crc = 0;
    w->err = RTN_OK;
    w->len = 0;
}

int rtn__wr_flush(rtn_wr *w)
{
    if (w->err == RTN_OK && w->len > 0) {
        if (w->fn(w->buf, w->len, w->user) != 0)
            w->err = RTN_EIO;
    }
    w->len = 0;
    return w->err;
}

void rtn__wr_bytes(rtn_wr *w, const void *p, size_t n)
{
    const unsigned char *s = p;
    if (w->err)
        return;
    w->crc = rtn__crc32(w->crc, p, n);
    w->total += n;
    while (n > 0) {
        size_t k = sizeof(w->buf) - w->len;
        if (k > n)
            k = n;
        memcpy(w->buf + w->len, s, k);
        w->len += k;
        s += k;
        n -= k;
        if (w->len == sizeof(w->buf) && rtn__wr_flush(w))
            return;
    }
}

void rtn__wr_u32(rtn_wr *w, uint32_t v)
{
    unsigned char b[4];
    int i;
    for (i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    rtn__wr_bytes(w, b, 4);
}

void rtn__wr_u64(rtn_wr *w, uint64_t v)
{
    unsigned char b[8];
    int i;
    for (i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    rtn__wr_bytes(w, b, 8);
}

void rtn__wr_i64(rtn_wr *w, int64_t v)
{
    rtn__wr_u64(w, (uint64_t)v);
}

void rtn__wr_f64(rtn_wr *w, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    rtn__wr_u64(w, u);
}

void rtn__rd_init(rtn_rd *r, const void *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->pos = 0;
    r->err = RTN_OK;
}

size_t rtn__rd_left(const rtn_rd *r)
{
    return r->err ? 0 : r->len - r->pos;
}

const void *rtn__rd_bytes(rtn_rd *r, size_t n)
{
    const void *p;
    if (r->err || n > r->len - r->pos) {
        r->err = RTN_EFORMAT;
        return NULL;
    }
    p = r->p + r->pos;
    r->pos += n;
    return p;
}

uint32_t rtn__rd_u32(rtn_rd *r)
{
    const unsigned char *b = rtn__rd_bytes(r, 4);
    uint32_t v = 0;
    int i;
    if (b == NULL)
        return 0;
    for (i = 3; i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

uint64_t rtn__rd_u64(rtn_rd *r)
{
    const unsigned char *b = rtn__rd_bytes(r, 8);
    uint64_t v = 0;
    int i;
    if (b == NULL)
        return 0;
    for (i = 7; i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

int64_t rtn__rd_i64(rtn_rd *r)
{
    return (int64_t)rtn__rd_u64(r);
}

double rtn__rd_f64(rtn_rd *r)
{
    uint64_t u = rtn__rd_u64(r);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

/* Only non-zero buckets are written: count, then (bucket, value) pairs. */
void rtn__fen_save(rtn_wr *w, const rtn_fen *f)
{
    uint32_t i, nz = 0;
    for (i = 0; i < f->n; i++)
        nz += rtn__fen_get(f, f->base + i) != 0;
    rtn__wr_u32(w, nz);
    for (i = 0; i < f->n; i++) {
        int64_t v = rtn__fen_get(f, f->base + i);
        if (v != 0) {
            rtn__wr_u32(w, f->base + i);
            rtn__wr_i64(w, v);
        }
    }
}

int rtn__fen_load(rtn_mem *m, rtn_rd *r, rtn_fen *f)
{
    uint32_t nz = rtn__rd_u32(r), i;
    if (r->err || (uint64_t)nz * 12 > rtn__rd_left(r))
        return RTN_EFORMAT;
    for (i = 0; i < nz; i++) {
        uint32_t b = rtn__rd_u32(r);
        int64_t v = rtn__rd_i64(r);
        if (r->err || b > (uint32_t)(RTN_TIME_MAX / RTN_MS_PER_HOUR) + 48)
            return RTN_EFORMAT;
        if (rtn__fen_reserve(m, f, b))
            return RTN_ENOMEM;
        rtn__fen_add(f, b, v);
    }
    return RTN_OK;
}
