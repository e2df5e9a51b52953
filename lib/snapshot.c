/*
 * snapshot.c: a context as a versioned, checksummed, little-endian byte
 * stream (docs/snapshots.md), loaded back with every field checked, saved to
 * files atomically; and merging one context into another.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SNAP_VERSION 1u
#define SNAP_HEADER 32u
#define SNAP_TRAILER 4u
/* Larger claimed lengths are refused before anything is read or allocated. */
#define SNAP_LEN_MAX (UINT64_C(1) << 40)
/* Bytes read per call when loading from a callback. */
#define SNAP_CHUNK ((size_t)1 << 16)

/* Entry flags a snapshot may carry: internal.h's RTN_E_KNOWN once the
 * journey module (which adds the time-to-value flag) defines it. */
#if defined(RTN_E_KNOWN)
#define SNAP_E_KNOWN RTN_E_KNOWN
#else
#define SNAP_E_KNOWN (RTN_E_ANY | RTN_E_START | RTN_E_CHURN | RTN_E_MRRLOSS)
#endif

static const unsigned char snap_magic[8] = {'R', 'T', 'N', 'S', 'N', 'A', 'P', 0x1a};

#define TAG(a, b, c, d)                                                                            \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

/* Sections of format version 1, in this order, each exactly once. */
enum {
    SEC_CONFIG,
    SEC_META,
    SEC_CUST,
    SEC_CORE,
    SEC_ENGAGE,
    SEC_JOURNEY,
    SEC_REVENUE,
    SEC_COHORT,
    SEC_N
};

static const uint32_t sec_tag[SEC_N] = {TAG('C', 'O', 'N', 'F'), TAG('M', 'E', 'T', 'A'),
                                        TAG('C', 'U', 'S', 'T'), TAG('C', 'O', 'R', 'E'),
                                        TAG('E', 'N', 'G', 'A'), TAG('J', 'O', 'U', 'R'),
                                        TAG('R', 'E', 'V', 'E'), TAG('C', 'O', 'H', 'O')};

static uint32_t le32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t le64(const unsigned char *b)
{
    return (uint64_t)le32(b) | (uint64_t)le32(b + 4) << 32;
}

/* ---- saving ---------------------------------------------------------------- */

static void save_config(const rtn_config *c, rtn_wr *w)
{
    rtn__wr_u32(w, (uint32_t)c->resolution);
    rtn__wr_u32(w, (uint32_t)c->day_offset_minutes);
    rtn__wr_u32(w, (uint32_t)c->inactivity_days);
    rtn__wr_u32(w, (uint32_t)c->loyal_min_purchases);
    rtn__wr_u32(w, (uint32_t)c->loyal_window_days);
    rtn__wr_f64(w, c->gross_margin);
    rtn__wr_u32(w, (uint32_t)c->csat_min);
    rtn__wr_u32(w, (uint32_t)c->csat_max);
    rtn__wr_u32(w, (uint32_t)c->csat_satisfied);
    rtn__wr_u32(w, (uint32_t)c->ces_min);
    rtn__wr_u32(w, (uint32_t)c->ces_max);
    rtn__wr_u32(w, (uint32_t)c->value_event);
    rtn__wr_f64(w, c->health.recency);
    rtn__wr_f64(w, c->health.frequency);
    rtn__wr_f64(w, c->health.monetary);
    rtn__wr_f64(w, c->health.satisfaction);
    rtn__wr_f64(w, c->health.contacts);
}

static void save_customers(const rtn_ctx *ctx, rtn_wr *w)
{
    const rtn_ctab *t = &ctx->cust;
    uint32_t i, k;
    rtn__wr_u32(w, t->n);
    for (i = 0; i < t->n; i++) {
        const rtn_cust *c = &t->c[i];
        rtn__wr_u32(w, rtn__cust_flags(c) & RTN_CF_ALL);
        if (rtn__cust_flags(c) & RTN_CF_STRID) {
            rtn__wr_u32(w, rtn__cust_idlen(t, c));
            rtn__wr_bytes(w, rtn__cust_str(t, c), rtn__cust_idlen(t, c));
        } else {
            rtn__wr_u64(w, c->key);
        }
        rtn__wr_u32(w, c->n);
        for (k = 0; k < c->n; k++)
            rtn__wr_u64(w, c->ent[k]);
    }
}

static int save_section(rtn_ctx *ctx, rtn_wr *w, int sec)
{
    switch (sec) {
    case SEC_CONFIG:
        save_config(&ctx->cfg, w);
        return RTN_OK;
    case SEC_META:
        rtn__wr_u64(w, ctx->events);
        rtn__wr_i64(w, ctx->first_time);
        rtn__wr_i64(w, ctx->last_time);
        return RTN_OK;
    case SEC_CUST:
        save_customers(ctx, w);
        return RTN_OK;
    case SEC_CORE:
        rtn__fen_save(w, &ctx->core.purchases);
        rtn__fen_save(w, &ctx->core.revenue);
        rtn__fen_save(w, &ctx->core.items_sold);
        rtn__fen_save(w, &ctx->core.items_returned);
        return RTN_OK;
    case SEC_ENGAGE:
        return rtn__engage_save(ctx, w);
    case SEC_JOURNEY:
        return rtn__journey_save(ctx, w);
    case SEC_REVENUE:
        return rtn__revenue_save(ctx, w);
    default:
        return rtn__cohort_save(ctx, w);
    }
}

/* Section lengths are needed before the sections, and the stream goes to a
 * callback that cannot seek: a first pass only measures. */
static int measure(rtn_ctx *ctx, uint64_t len[SEC_N], uint64_t *total)
{
    rtn_wr wr, *w = &wr;
    int sec, rc;
    rtn__wr_init(w, NULL, NULL);
    *total = SNAP_HEADER + SNAP_TRAILER;
    for (sec = 0; sec < SEC_N; sec++) {
        uint64_t start = w->total;
        if ((rc = save_section(ctx, w, sec)))
            return rc;
        len[sec] = w->total - start;
        *total += 12 + len[sec];
    }
    return RTN_OK;
}

static int emit(rtn_ctx *ctx, const uint64_t len[SEC_N], uint64_t total, rtn_write_fn fn,
                void *user)
{
    rtn_wr wr, *w = &wr;
    int sec, rc;
    rtn__wr_init(w, fn, user);
    rtn__wr_bytes(w, snap_magic, sizeof snap_magic);
    rtn__wr_u32(w, SNAP_VERSION);
    rtn__wr_u32(w, 0); /* flags: none defined in version 1 */
    rtn__wr_u64(w, total);
    rtn__wr_u32(w, w->crc); /* header CRC: the 24 bytes above */
    rtn__wr_u32(w, 0);      /* reserved */
    for (sec = 0; sec < SEC_N; sec++) {
        uint64_t start;
        rtn__wr_u32(w, sec_tag[sec]);
        rtn__wr_u64(w, len[sec]);
        start = w->total;
        if ((rc = save_section(ctx, w, sec)))
            return rc;
        if (w->err == RTN_OK && w->total - start != len[sec])
            return rtn__fail(ctx, RTN_EIO, "snapshot section %d changed length between passes",
                             sec);
    }
    rtn__wr_u32(w, w->crc);
    if (rtn__wr_flush(w))
        return rtn__fail(ctx, RTN_EIO, "snapshot write callback failed");
    return RTN_OK;
}

static int save_stream(rtn_ctx *ctx, rtn_write_fn fn, void *user)
{
    uint64_t len[SEC_N], total;
    int rc = measure(ctx, len, &total);
    if (rc)
        return rc;
    return emit(ctx, len, total, fn, user);
}

int rtn_snapshot_save(rtn_ctx *ctx, rtn_write_fn write, void *user)
{
    if (ctx == NULL)
        return RTN_EINVAL;
    if (write == NULL)
        return rtn__fail(ctx, RTN_EINVAL, "write callback is NULL");
    return save_stream(ctx, write, user);
}

typedef struct fd_sink {
    int fd;
    int err; /* errno of the first failure */
} fd_sink;

static int fd_write(const void *data, size_t len, void *user)
{
    fd_sink *s = user;
    const char *p = data;
    while (len > 0) {
        ssize_t k = write(s->fd, p, len);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            s->err = errno;
            return -1;
        }
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

/* Make the rename itself durable: fsync the directory holding the file.
 * Some file systems refuse to fsync directories; the data is safe anyway. */
static void sync_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t n;
    int fd;
    if (slash == NULL) {
        strcpy(dir, ".");
    } else {
        n = (size_t)(slash - path);
        if (n == 0)
            n = 1;
        if (n >= sizeof dir)
            return;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int rtn_snapshot_save_file(rtn_ctx *ctx, const char *path)
{
    static const char suffix[] = ".tmp-XXXXXX";
    size_t plen, tlen;
    char *tmp;
    fd_sink s;
    int rc;
    if (ctx == NULL)
        return RTN_EINVAL;
    if (path == NULL || path[0] == '\0')
        return rtn__fail(ctx, RTN_EINVAL, "snapshot path is NULL or empty");
    plen = strlen(path);
    tlen = plen + sizeof suffix;
    tmp = rtn__alloc(&ctx->mem, tlen);
    if (tmp == NULL)
        return rtn__fail(ctx, RTN_ENOMEM, "out of memory for the temporary file name");
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, suffix, sizeof suffix);
    s.err = 0;
    s.fd = mkstemp(tmp);
    if (s.fd < 0) {
        rc = rtn__fail(ctx, RTN_EIO, "cannot create a temporary file next to %s: %s", path,
                       strerror(errno));
        rtn__free(&ctx->mem, tmp, tlen);
        return rc;
    }
    rc = save_stream(ctx, fd_write, &s);
    if (rc == RTN_EIO && s.err)
        rc = rtn__fail(ctx, RTN_EIO, "writing %s: %s", tmp, strerror(s.err));
    if (rc == RTN_OK && fsync(s.fd) != 0)
        rc = rtn__fail(ctx, RTN_EIO, "fsync %s: %s", tmp, strerror(errno));
    if (close(s.fd) != 0 && rc == RTN_OK)
        rc = rtn__fail(ctx, RTN_EIO, "close %s: %s", tmp, strerror(errno));
    if (rc == RTN_OK && rename(tmp, path) != 0)
        rc = rtn__fail(ctx, RTN_EIO, "rename %s to %s: %s", tmp, path, strerror(errno));
    if (rc == RTN_OK)
        sync_dir(path);
    else
        unlink(tmp);
    rtn__free(&ctx->mem, tmp, tlen);
    return rc;
}

/* ---- loading ------------------------------------------------------------- */

/* The fixed header: magic, version, flags, total length, header CRC. */
static int check_header(const unsigned char *h, uint64_t *total, char *why, size_t wl)
{
    uint32_t version = le32(h + 8);
    if (memcmp(h, snap_magic, sizeof snap_magic) != 0) {
        snprintf(why, wl, "not a libretention snapshot (bad magic)");
        return RTN_EFORMAT;
    }
    if (version == 0 || version > SNAP_VERSION) {
        snprintf(why, wl, "snapshot format version %u; this library reads 1..%u", (unsigned)version,
                 SNAP_VERSION);
        return RTN_EVERSION;
    }
    if (rtn__crc32(0, h, 24) != le32(h + 24) || le32(h + 12) != 0 || le32(h + 28) != 0) {
        snprintf(why, wl, "snapshot header corrupt");
        return RTN_EFORMAT;
    }
    *total = le64(h + 16);
    if (*total < SNAP_HEADER + SNAP_TRAILER + 12 * SEC_N || *total > SNAP_LEN_MAX ||
        *total > (uint64_t)SIZE_MAX) {
        snprintf(why, wl, "snapshot length %llu is impossible", (unsigned long long)*total);
        return RTN_EFORMAT;
    }
    return RTN_OK;
}

static int load_config(rtn_rd *r, const rtn_config *loader, rtn_config *out, char *why, size_t wl)
{
    rtn_config c;
    rtn_config_init(&c, sizeof c);
    c.resolution = (int32_t)rtn__rd_u32(r);
    c.day_offset_minutes = (int32_t)rtn__rd_u32(r);
    c.inactivity_days = (int32_t)rtn__rd_u32(r);
    c.loyal_min_purchases = (int32_t)rtn__rd_u32(r);
    c.loyal_window_days = (int32_t)rtn__rd_u32(r);
    c.gross_margin = rtn__rd_f64(r);
    c.csat_min = (int32_t)rtn__rd_u32(r);
    c.csat_max = (int32_t)rtn__rd_u32(r);
    c.csat_satisfied = (int32_t)rtn__rd_u32(r);
    c.ces_min = (int32_t)rtn__rd_u32(r);
    c.ces_max = (int32_t)rtn__rd_u32(r);
    c.value_event = (int32_t)rtn__rd_u32(r);
    c.health.recency = rtn__rd_f64(r);
    c.health.frequency = rtn__rd_f64(r);
    c.health.monetary = rtn__rd_f64(r);
    c.health.satisfaction = rtn__rd_f64(r);
    c.health.contacts = rtn__rd_f64(r);
    if (r->err)
        return RTN_EFORMAT;
    c.allocator = loader->allocator;
    c.memory_cap = loader->memory_cap;
    if (rtn__config_resolve(out, &c, why, wl) != RTN_OK)
        return RTN_EFORMAT;
    return RTN_OK;
}

static int load_meta(rtn_ctx *ctx, rtn_rd *r)
{
    ctx->events = rtn__rd_u64(r);
    ctx->first_time = rtn__rd_i64(r);
    ctx->last_time = rtn__rd_i64(r);
    if (r->err)
        return RTN_EFORMAT;
    if (ctx->events == 0)
        return ctx->first_time == 0 && ctx->last_time == 0 ? RTN_OK : RTN_EFORMAT;
    if (ctx->first_time < 0 || ctx->first_time + ctx->offset_ms < 0 ||
        ctx->last_time < ctx->first_time || ctx->last_time >= RTN_TIME_MAX)
        return RTN_EFORMAT;
    return RTN_OK;
}

/* Smallest record: flags, a 1-byte string id with its length, entry count. */
#define CUST_MIN_BYTES 13u

static int load_customers(rtn_ctx *ctx, rtn_rd *r, uint32_t blo, uint32_t bhi)
{
    rtn_ctab *t = &ctx->cust;
    uint32_t n = rtn__rd_u32(r), i, k;
    if (r->err || (uint64_t)n * CUST_MIN_BYTES > rtn__rd_left(r) || n > ctx->events)
        return RTN_EFORMAT;
    if (rtn__grow(&ctx->mem, (void **)&t->c, &t->cap, n, sizeof(rtn_cust)))
        return RTN_ENOMEM;
    for (i = 0; i < n; i++) {
        uint32_t flags = rtn__rd_u32(r), nent;
        rtn_ckey key;
        rtn_cust *c;
        uint64_t *ent;
        if (flags & ~RTN_CF_ALL)
            return RTN_EFORMAT;
        if (flags & RTN_CF_STRID) {
            uint32_t len = rtn__rd_u32(r);
            const char *s;
            if (r->err || len == 0 || len > RTN_ID_MAX)
                return RTN_EFORMAT;
            if ((s = rtn__rd_bytes(r, len)) == NULL)
                return RTN_EFORMAT;
            rtn__ckey_str(&key, s, len);
        } else {
            rtn__ckey_num(&key, rtn__rd_u64(r));
        }
        nent = rtn__rd_u32(r);
        if (r->err || nent == 0 || (uint64_t)nent * 8 > rtn__rd_left(r))
            return RTN_EFORMAT;
        if (rtn__ctab_find(t, &key) != UINT32_MAX)
            return RTN_EFORMAT; /* the same id twice */
        if (rtn__ctab_reserve(&ctx->mem, t, &key))
            return RTN_ENOMEM;
        ent = rtn__alloc(&ctx->mem, (size_t)nent * sizeof(uint64_t));
        if (ent == NULL)
            return RTN_ENOMEM;
        c = &t->c[rtn__ctab_insert(t, &key)];
        c->meta = flags << 24;
        c->ent = ent;
        rtn__cust_set_cap(c, nent);
        for (k = 0; k < nent; k++) {
            uint64_t e = rtn__rd_u64(r);
            uint32_t b = rtn__e_bucket(e), f = rtn__e_flags(e);
            if ((f & ~SNAP_E_KNOWN) || (f == 0 && rtn__e_purch(e) == 0) || b < blo || b > bhi ||
                (k > 0 && b <= rtn__e_bucket(ent[k - 1])))
                return RTN_EFORMAT;
            ent[k] = e;
            c->n = k + 1;
        }
    }
    return r->err ? RTN_EFORMAT : RTN_OK;
}

static int load_section(rtn_ctx *ctx, rtn_rd *r, int sec, uint32_t blo, uint32_t bhi)
{
    rtn_core *c = &ctx->core;
    rtn_mem *m = &ctx->mem;
    int rc;
    switch (sec) {
    case SEC_META:
        return load_meta(ctx, r);
    case SEC_CUST:
        return load_customers(ctx, r, blo, bhi);
    case SEC_CORE:
        if ((rc = rtn__fen_load_range(m, r, &c->purchases, blo, bhi)) ||
            (rc = rtn__fen_load_range(m, r, &c->revenue, blo, bhi)) ||
            (rc = rtn__fen_load_range(m, r, &c->items_sold, blo, bhi)) ||
            (rc = rtn__fen_load_range(m, r, &c->items_returned, blo, bhi)))
            return rc;
        return RTN_OK;
    case SEC_ENGAGE:
        return rtn__engage_load(ctx, r);
    case SEC_JOURNEY:
        return rtn__journey_load(ctx, r);
    case SEC_REVENUE:
        return rtn__revenue_load(ctx, r);
    default:
        return rtn__cohort_load(ctx, r);
    }
}

/* Rebuild what contributions derive from the loaded customers and raw state. */
static int recontribute_all(rtn_ctx *ctx)
{
    uint32_t i;
    int rc;
    for (i = 0; i < ctx->cust.n; i++)
        if ((rc = rtn__contrib_customer(ctx, i, +1)))
            return rc;
    return RTN_OK;
}

/* Parse a complete snapshot held in memory (its header already checked). */
static int parse(rtn_ctx **out, const rtn_config *loader, const unsigned char *p, size_t len,
                 char *why, size_t wl)
{
    rtn_rd r, sub;
    rtn_ctx *ctx = NULL;
    rtn_config cfg;
    uint32_t blo = 1, bhi = 0; /* an empty range until META names the times */
    int sec, rc = RTN_OK;

    if (rtn__crc32(0, p, len - SNAP_TRAILER) != le32(p + len - SNAP_TRAILER)) {
        snprintf(why, wl, "snapshot checksum mismatch");
        return RTN_EFORMAT;
    }
    rtn__rd_init(&r, p + SNAP_HEADER, len - SNAP_HEADER - SNAP_TRAILER);
    for (sec = 0; sec < SEC_N && rc == RTN_OK; sec++) {
        uint32_t tag = rtn__rd_u32(&r);
        uint64_t slen = rtn__rd_u64(&r);
        const void *body;
        if (r.err || tag != sec_tag[sec] || slen > rtn__rd_left(&r)) {
            snprintf(why, wl, "snapshot section %d missing or truncated", sec);
            rc = RTN_EFORMAT;
            break;
        }
        body = rtn__rd_bytes(&r, (size_t)slen);
        rtn__rd_init(&sub, body, (size_t)slen);
        if (sec == SEC_CONFIG) {
            if ((rc = load_config(&sub, loader, &cfg, why, wl)) == RTN_OK &&
                (rc = rtn__ctx_create(&ctx, &cfg)) != RTN_OK)
                snprintf(why, wl, "out of memory creating the context");
        } else {
            rc = load_section(ctx, &sub, sec, blo, bhi);
            if (sec == SEC_META && rc == RTN_OK && ctx->events > 0) {
                blo = rtn__bucket(ctx, ctx->first_time);
                bhi = rtn__bucket(ctx, ctx->last_time);
            }
            if (rc == RTN_ENOMEM)
                snprintf(why, wl, "out of memory (or over the memory cap) loading section %d", sec);
            else if (rc)
                snprintf(why, wl, "snapshot section %d invalid", sec);
        }
        if (rc == RTN_OK && (sub.err || sub.pos != sub.len)) {
            snprintf(why, wl, "snapshot section %d has %zu unexpected bytes", sec,
                     sub.len - sub.pos);
            rc = RTN_EFORMAT;
        }
    }
    if (rc == RTN_OK && rtn__rd_left(&r) != 0) {
        snprintf(why, wl, "snapshot has trailing bytes after its sections");
        rc = RTN_EFORMAT;
    }
    if (rc == RTN_OK && (rc = recontribute_all(ctx)) != RTN_OK)
        snprintf(why, wl, "out of memory (or over the memory cap) rebuilding accumulators");
    if (rc) {
        rtn_ctx_free(ctx);
        return rc;
    }
    *out = ctx;
    return RTN_OK;
}

static int resolve_loader(rtn_config *c, const rtn_config *cfg)
{
    char why[160];
    return rtn__config_resolve(c, cfg, why, sizeof why);
}

int rtn_snapshot_load_buffer(rtn_ctx **out, const rtn_config *cfg, const void *data, size_t len)
{
    rtn_config loader;
    uint64_t total;
    char why[200];
    int rc;
    if (out == NULL)
        return RTN_EINVAL;
    *out = NULL;
    if (data == NULL && len > 0)
        return RTN_EINVAL;
    if ((rc = resolve_loader(&loader, cfg)))
        return rc;
    if (len < SNAP_HEADER)
        return RTN_EFORMAT;
    if ((rc = check_header(data, &total, why, sizeof why)))
        return rc;
    if (total != len)
        return RTN_EFORMAT;
    return parse(out, &loader, data, len, why, sizeof why);
}

/* Read exactly n bytes, or fewer at the end of the stream. */
static int read_full(rtn_read_fn read, void *user, unsigned char *p, size_t n, size_t *got)
{
    *got = 0;
    while (*got < n) {
        int64_t k = read(p + *got, n - *got, user);
        if (k < 0 || (uint64_t)k > n - *got)
            return RTN_EIO;
        if (k == 0)
            break;
        *got += (size_t)k;
    }
    return RTN_OK;
}

int rtn_snapshot_load(rtn_ctx **out, const rtn_config *cfg, rtn_read_fn read, void *user)
{
    rtn_config loader;
    rtn_mem m;
    unsigned char head[SNAP_HEADER], *buf;
    uint64_t total;
    size_t have, cap, got;
    char why[200];
    int rc;
    if (out == NULL)
        return RTN_EINVAL;
    *out = NULL;
    if (read == NULL)
        return RTN_EINVAL;
    if ((rc = resolve_loader(&loader, cfg)))
        return rc;
    if ((rc = read_full(read, user, head, SNAP_HEADER, &got)))
        return rc;
    if (got < SNAP_HEADER)
        return RTN_EFORMAT;
    if ((rc = check_header(head, &total, why, sizeof why)))
        return rc;
    /* The buffer grows only as bytes arrive, so a header claiming a huge
     * length costs at most one chunk before the stream runs dry. */
    memset(&m, 0, sizeof m);
    m.a = loader.allocator;
    m.cap = loader.memory_cap;
    cap = total < SNAP_CHUNK ? (size_t)total : SNAP_CHUNK;
    if ((buf = rtn__alloc(&m, cap)) == NULL)
        return RTN_ENOMEM;
    memcpy(buf, head, SNAP_HEADER);
    have = SNAP_HEADER;
    while (have < total) {
        if (have == cap) {
            size_t ncap = cap > (size_t)total - cap ? (size_t)total : cap * 2;
            unsigned char *q = rtn__realloc(&m, buf, cap, ncap);
            if (q == NULL) {
                rc = RTN_ENOMEM;
                break;
            }
            buf = q;
            cap = ncap;
        }
        if ((rc = read_full(read, user, buf + have, cap - have, &got)))
            break;
        if (got < cap - have) {
            rc = RTN_EFORMAT; /* truncated */
            break;
        }
        have += got;
    }
    if (rc == RTN_OK)
        rc = parse(out, &loader, buf, (size_t)total, why, sizeof why);
    rtn__free(&m, buf, cap);
    return rc;
}

static int64_t file_read(void *data, size_t len, void *user)
{
    FILE *f = user;
    size_t k = fread(data, 1, len, f);
    if (k < len && ferror(f))
        return -1;
    return (int64_t)k;
}

int rtn_snapshot_load_file(rtn_ctx **out, const rtn_config *cfg, const char *path)
{
    FILE *f;
    int rc;
    if (out == NULL)
        return RTN_EINVAL;
    *out = NULL;
    if (path == NULL)
        return RTN_EINVAL;
    if ((f = fopen(path, "rb")) == NULL)
        return RTN_EIO;
    rc = rtn_snapshot_load(out, cfg, file_read, f);
    fclose(f);
    return rc;
}

/* ---- merge ------------------------------------------------------------------ */

static const char *config_mismatch(const rtn_config *a, const rtn_config *b)
{
    if (a->resolution != b->resolution)
        return "resolution";
    if (a->day_offset_minutes != b->day_offset_minutes)
        return "day_offset_minutes";
    if (a->inactivity_days != b->inactivity_days)
        return "inactivity_days";
    if (a->loyal_min_purchases != b->loyal_min_purchases)
        return "loyal_min_purchases";
    if (a->loyal_window_days != b->loyal_window_days)
        return "loyal_window_days";
    if (a->gross_margin != b->gross_margin)
        return "gross_margin";
    if (a->csat_min != b->csat_min || a->csat_max != b->csat_max ||
        a->csat_satisfied != b->csat_satisfied)
        return "CSAT scale";
    if (a->ces_min != b->ces_min || a->ces_max != b->ces_max)
        return "CES scale";
    if (a->value_event != b->value_event)
        return "value_event";
    if (a->health.recency != b->health.recency || a->health.frequency != b->health.frequency ||
        a->health.monetary != b->health.monetary ||
        a->health.satisfaction != b->health.satisfaction ||
        a->health.contacts != b->health.contacts)
        return "health weights";
    return NULL;
}

/* The union of two customers' day entries: flags OR, purchase counts add.
 * d's old array is freed, or only uncounted when another context shares it. */
static int union_entries(rtn_ctx *ctx, rtn_cust *d, const rtn_cust *s, int shared)
{
    uint32_t i = 0, j = 0, n = 0, cap = d->n + s->n;
    uint64_t *e;
    if (cap == 0)
        return RTN_OK;
    if ((e = rtn__alloc(&ctx->mem, (size_t)cap * sizeof(uint64_t))) == NULL)
        return RTN_ENOMEM;
    while (i < d->n || j < s->n) {
        uint32_t bd = i < d->n ? rtn__e_bucket(d->ent[i]) : UINT32_MAX;
        uint32_t bs = j < s->n ? rtn__e_bucket(s->ent[j]) : UINT32_MAX;
        if (i < d->n && (j >= s->n || bd < bs)) {
            e[n++] = d->ent[i++];
        } else if (i >= d->n || bs < bd) {
            e[n++] = s->ent[j++];
        } else {
            uint64_t p = (uint64_t)rtn__e_purch(d->ent[i]) + rtn__e_purch(s->ent[j]);
            if (p > RTN_E_PURCH_MAX) {
                rtn__free(&ctx->mem, e, (size_t)cap * sizeof(uint64_t));
                return rtn__fail(ctx, RTN_ERANGE,
                                 "purchase count per customer and bucket out of range");
            }
            e[n++] =
                rtn__e_make(bd, (uint32_t)p, rtn__e_flags(d->ent[i]) | rtn__e_flags(s->ent[j]));
            i++;
            j++;
        }
    }
    if (shared)
        ctx->mem.used -= (uint64_t)rtn__cust_cap(d) * sizeof(uint64_t);
    else
        rtn__free(&ctx->mem, d->ent, (size_t)rtn__cust_cap(d) * sizeof(uint64_t));
    d->ent = e;
    d->n = n;
    rtn__cust_set_cap(d, cap);
    return RTN_OK;
}

/* Copy a customer of src (new to w) into w's record ci. */
static int copy_customer(rtn_ctx *w, uint32_t ci, const rtn_cust *sc)
{
    rtn_cust *dc = &w->cust.c[ci];
    if (sc->n &&
        (dc->ent = rtn__alloc(&w->mem, (size_t)sc->n * sizeof(uint64_t))) == NULL)
        return RTN_ENOMEM;
    if (sc->n) {
        memcpy(dc->ent, sc->ent, (size_t)sc->n * sizeof(uint64_t));
        rtn__cust_set_cap(dc, sc->n);
    }
    dc->n = sc->n;
    rtn__cust_add_flags(dc, rtn__cust_flags(sc) & RTN_CF_ALL);
    return RTN_OK;
}

/* Fold src (with no dirty customers) into w, a folded private copy of dst
 * (on failure it is simply freed). Accumulators are sums over customers
 * of their contributions, so src's are added to w's wholesale; a customer
 * of both has its two contributions withdrawn and the contribution of its
 * merged history added. A customer only in src keeps its contribution
 * (the wholesale add brought it) and its MRR-loss flags: its subscription
 * records are src's alone after the revenue merge, so its loss buckets are
 * src's. The cost is the copy plus the customers of both. */
static int merge_into(rtn_ctx *w, const rtn_ctx *src, const rtn_ctab *shared)
{
    const rtn_ctab *st = &src->cust;
    rtn_ctab *t = &w->cust;
    uint32_t i, *cmap, *both, nboth = 0;
    size_t sz = (size_t)(st->n ? st->n : 1) * 2 * sizeof(uint32_t);
    int rc = RTN_OK;
    if (st->n == 0 && src->events == 0)
        return RTN_OK;
    if ((cmap = rtn__alloc(&w->mem, sz)) == NULL)
        return RTN_ENOMEM;
    both = cmap + (st->n ? st->n : 1);
    /* Room for every customer of src at once (one index rebuild at most). */
    if ((rc = rtn__ctab_reserve_more(&w->mem, t, st->n, st->ids.len)))
        goto out;
    /* Find or insert every customer of src; withdraw the contributions of
     * those that already exist, before anything they derive from changes. */
    for (i = 0; i < st->n && rc == RTN_OK; i++) {
        const rtn_cust *sc = &st->c[i];
        rtn_ckey key;
        uint32_t ci;
        rtn__cust_key(&key, st, sc);
        ci = rtn__ctab_find(t, &key);
        if (ci == UINT32_MAX) {
            if ((rc = rtn__ctab_reserve(&w->mem, t, &key)) == RTN_OK)
                rc = copy_customer(w, ci = rtn__ctab_insert(t, &key), sc);
        } else {
            both[nboth++] = i;
            rc = rtn__contrib_customer(w, ci, -1);
        }
        cmap[i] = ci;
    }
    if (rc == RTN_OK && (rc = rtn__core_add_contrib(w, src)) == RTN_OK &&
        (rc = rtn__engage_add_contrib(w, src)) == RTN_OK &&
        (rc = rtn__journey_add_contrib(w, src)) == RTN_OK)
        rc = rtn__cohort_add_contrib(w, src);
    for (i = 0; i < nboth && rc == RTN_OK; i++) {
        const rtn_cust *sc = &st->c[both[i]];
        rtn_cust *dc = &t->c[cmap[both[i]]];
        if ((rc = rtn__contrib_withdraw(w, sc, sc->ent, sc->n)) == RTN_OK &&
            (rc = union_entries(w, dc, sc, rtn__ctab_shares(t, cmap[both[i]], shared))) ==
                RTN_OK)
            rtn__cust_add_flags(dc, rtn__cust_flags(sc) & RTN_CF_ALL);
    }
    if (rc == RTN_OK &&
        (rc = rtn__fen_add_tree(&w->mem, &w->core.purchases, &src->core.purchases)) == RTN_OK &&
        (rc = rtn__fen_add_tree(&w->mem, &w->core.revenue, &src->core.revenue)) == RTN_OK &&
        (rc = rtn__fen_add_tree(&w->mem, &w->core.items_sold, &src->core.items_sold)) == RTN_OK &&
        (rc = rtn__fen_add_tree(&w->mem, &w->core.items_returned, &src->core.items_returned)) == RTN_OK &&
        (rc = rtn__engage_merge(w, src, cmap)) == RTN_OK &&
        (rc = rtn__journey_merge(w, src, cmap)) == RTN_OK &&
        (rc = rtn__revenue_merge_in_place(w, src, cmap)) == RTN_OK)
        rc = rtn__cohort_merge(w, src, cmap);
    /* The MRR-loss flags of a customer of both depend on its whole merged
     * subscription history, not on the OR of the parts' flags. */
    for (i = 0; i < nboth && rc == RTN_OK; i++)
        rc = rtn__revenue_set_flags(w, cmap[both[i]]);
    for (i = 0; i < nboth && rc == RTN_OK; i++)
        rc = rtn__contrib_customer(w, cmap[both[i]], +1);
    if (rc == RTN_OK) {
        if (src->events > 0 && (w->events == 0 || src->first_time < w->first_time))
            w->first_time = src->first_time;
        if (src->events > 0 && (w->events == 0 || src->last_time > w->last_time))
            w->last_time = src->last_time;
        w->events += src->events;
    }
out:
    rtn__free(&w->mem, cmap, sz);
    return rc;
}

int rtn_ctx_merge(rtn_ctx *dst, const rtn_ctx *src)
{
    rtn_ctx *w = NULL;
    rtn_mem wm, spare;
    const char *what;
    char why[sizeof dst->err] = "";
    int rc;
    if (dst == NULL)
        return RTN_EINVAL;
    if (src == NULL)
        return rtn__fail(dst, RTN_EINVAL, "source context is NULL");
    if ((what = config_mismatch(&dst->cfg, &src->cfg)) != NULL)
        return rtn__fail(dst, RTN_EMISMATCH, "contexts differ in %s", what);
    if (src->events == 0)
        return RTN_OK;
    /* src applies its pending changes (nothing it answers changes), so
     * that its accumulators are the sums of its customers' contributions. */
    if ((rc = rtn__fold((rtn_ctx *)(uintptr_t)src)) != RTN_OK)
        return rtn__fail(dst, rc,
                         "out of memory applying the pending changes of the source context");
    /* Build the result in a copy, so that dst is untouched on failure. The
     * copy shares dst's entry arrays (a merge edits none in place: a
     * customer of both gets a new array), so they are not copied; whichever
     * side is freed first lets go of them. */
    if ((rc = rtn__ctx_clone(&w, dst, 1)) == RTN_OK && (rc = rtn__fold(w)) == RTN_OK &&
        (rc = merge_into(w, src, &dst->cust)) != RTN_OK)
        snprintf(why, sizeof why, "%s", w->err);
    if (rc) {
        if (w)
            rtn__ctab_unshare(&w->mem, &w->cust, &dst->cust);
        rtn_ctx_free(w);
        if (rc == RTN_ENOMEM)
            return rtn__fail(dst, rc,
                             "out of memory (or over the memory cap of %llu bytes) merging",
                             (unsigned long long)dst->mem.cap);
        return rtn__fail(dst, rc, "merge failed: %s", why);
    }
    /* Swap the copy's contents in: dst keeps its own address. */
    rtn__ctab_unshare(&dst->mem, &dst->cust, &w->cust);
    rtn__ctx_free_contents(dst);
    wm = w->mem;
    memcpy(dst, w, sizeof *dst);
    dst->mem = wm;
    spare = wm;
    rtn__free(&spare, w, sizeof *w); /* the copy's shell: dst's own shell replaces it */
    rtn__clear_error(dst);
    return RTN_OK;
}
