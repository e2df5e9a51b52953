/*
 * test_snapshot.c: snapshots: round trips on generated streams, loading in
 * a fresh process, atomic files under SIGKILL, and corrupt, truncated and
 * crafted snapshots refused without crash or unbounded allocation.
 */
#define _POSIX_C_SOURCE 200809L
#include "snaputil.h"

#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *self_path;

static rtn_ctx *load_buf(const tu_buf *b, const rtn_config *cfg)
{
    rtn_ctx *ctx = NULL;
    int rc = rtn_snapshot_load_buffer(&ctx, cfg, b->p, b->len);
    ck_assert_msg(rc == RTN_OK, "load_buffer: %d", rc);
    return ctx;
}

static void same_stats(rtn_ctx *a, rtn_ctx *b)
{
    rtn_stats sa, sb;
    rtn_stats_init(&sa, sizeof sa);
    rtn_stats_init(&sb, sizeof sb);
    ck_assert_int_eq(rtn_ctx_stats(&sa, a), RTN_OK);
    ck_assert_int_eq(rtn_ctx_stats(&sb, b), RTN_OK);
    ck_assert_uint_eq(sa.events, sb.events);
    ck_assert_uint_eq(sa.customers, sb.customers);
    ck_assert_int_eq(sa.first_time, sb.first_time);
    ck_assert_int_eq(sa.last_time, sb.last_time);
}

static void roundtrip(const rtn_config *cfg, uint64_t seed, size_t n, uint32_t customers,
                      uint32_t days)
{
    tu_stream s, more;
    rtn_ctx *a = tu_ctx(cfg), *b, *c = NULL;
    tu_buf buf, buf2;
    su_reader rd;
    char why[512];
    int rc;
    tu_stream_gen(&s, seed, n, customers, days);
    tu_stream_gen(&more, seed + 1, n / 3, customers + 20, days + 10);
    tu_push_all(a, s.ev, s.n);
    su_save(a, &buf);
    b = load_buf(&buf, NULL);
    ck_assert_msg(tu_compare_all(a, b, days, why, sizeof why) == 0, "seed %llu: %s",
                  (unsigned long long)seed, why);
    same_stats(a, b);
    /* The same bytes through the callback loader, in odd-sized pieces. */
    rd.p = buf.p;
    rd.len = buf.len;
    rd.pos = 0;
    rd.chunk = 1 + seed % 977;
    rc = rtn_snapshot_load(&c, NULL, su_read, &rd);
    ck_assert_msg(rc == RTN_OK, "seed %llu: load %d", (unsigned long long)seed, rc);
    ck_assert_uint_eq(rd.pos, buf.len);
    /* Saving the loaded context gives the same bytes. */
    su_save(c, &buf2);
    ck_assert_uint_eq(buf2.len, buf.len);
    ck_assert(memcmp(buf.p, buf2.p, buf.len) == 0);
    /* Both keep accepting events identically. */
    tu_push_all(a, more.ev, more.n);
    tu_push_all(b, more.ev, more.n);
    ck_assert_msg(tu_compare_all(a, b, days + 10, why, sizeof why) == 0,
                  "seed %llu after more events: %s", (unsigned long long)seed, why);
    same_stats(a, b);
    rtn_ctx_free(a);
    rtn_ctx_free(b);
    rtn_ctx_free(c);
    free(buf.p);
    free(buf2.p);
    tu_stream_free(&s);
    tu_stream_free(&more);
}

START_TEST(roundtrip_default)
{
    int k, rounds = su_quick() ? 1 : 4;
    for (k = 0; k < rounds; k++)
        roundtrip(NULL, 1000 + (uint64_t)k * 31 + (uint64_t)_i * 7, 2500, 140, 120);
}
END_TEST

START_TEST(roundtrip_settings)
{
    rtn_config cfg;
    int k, rounds = su_quick() ? 1 : 3;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.inactivity_days = 14;
    cfg.resolution = _i ? RTN_RESOLUTION_HOUR : RTN_RESOLUTION_DAY;
    cfg.day_offset_minutes = _i ? -300 : 120;
    cfg.loyal_min_purchases = 2;
    cfg.loyal_window_days = 30;
    cfg.gross_margin = 0.4;
    cfg.csat_min = 1;
    cfg.csat_max = 5;
    cfg.csat_satisfied = 5;
    cfg.value_event = RTN_EV_PURCHASE;
    cfg.health.contacts = 0.7;
    for (k = 0; k < rounds; k++)
        roundtrip(&cfg, 2000 + (uint64_t)k * 17 + (uint64_t)_i, 2000, 100, 90);
}
END_TEST

START_TEST(empty_roundtrip)
{
    rtn_ctx *a = tu_ctx(NULL), *b;
    tu_buf buf;
    char why[512];
    rtn_config cfg;
    su_save(a, &buf);
    b = load_buf(&buf, NULL);
    ck_assert(tu_compare_all(a, b, 30, why, sizeof why) == 0);
    same_stats(a, b);
    rtn_ctx_free(b);
    /* The loaded context keeps the loader's cap, not the saver's. */
    rtn_config_init(&cfg, sizeof cfg);
    cfg.memory_cap = 1;
    ck_assert_int_eq(rtn_snapshot_load_buffer(&b, &cfg, buf.p, buf.len), RTN_ENOMEM);
    ck_assert_ptr_null(b);
    rtn_ctx_free(a);
    free(buf.p);
}
END_TEST

/* Hand-computed: 3 events, the latest at day 9 + 5 h; the resume point. */
START_TEST(stats_recorded)
{
    rtn_ctx *a = tu_ctx(NULL), *b;
    rtn_stats st;
    tu_buf buf;
    rtn_value v;
    tu_push(a, RTN_EV_PURCHASE, TD(9) + 5 * T_HOUR, 1, 10.0);
    tu_push(a, RTN_EV_PURCHASE, TD(2), 2, 2.5);
    tu_push(a, RTN_EV_ACQUIRE, TD(4), 1, 0);
    su_save(a, &buf);
    b = load_buf(&buf, NULL);
    rtn_stats_init(&st, sizeof st);
    ck_assert_int_eq(rtn_ctx_stats(&st, b), RTN_OK);
    ck_assert_uint_eq(st.events, 3);
    ck_assert_uint_eq(st.customers, 2);
    ck_assert_int_eq(st.first_time, TD(2));
    ck_assert_int_eq(st.last_time, TD(9) + 5 * T_HOUR);
    /* Revenue 10 + 2.5 over [day 0, day 10). */
    v = tu_query(b, RTN_METRIC_REVENUE, T0, TD(10));
    ck_assert(v.defined && v.value == 12.5);
    rtn_ctx_free(a);
    rtn_ctx_free(b);
    free(buf.p);
}
END_TEST

/* Every event type with edge-case ids and references (customer 0, string
 * ids, reference 0, string references, objects closed before they were
 * opened) survives a round trip and a merge. The fuzzer found such a case. */
START_TEST(edge_cases_roundtrip)
{
    rtn_config cfg;
    rtn_ctx *a, *b, *h[2];
    tu_buf buf;
    char why[512];
    int type, k, n = 0;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.inactivity_days = 7;
    a = tu_ctx(&cfg);
    h[0] = tu_ctx(&cfg);
    h[1] = tu_ctx(&cfg);
    for (type = RTN_EV_ACQUIRE; type <= RTN_EV_CES; type++)
        for (k = 0; k < 4; k++) {
            rtn_event e = tu_ev(type, TD(k * 9 + type % 5) + k * T_HOUR, (uint64_t)(k % 2), 0);
            if (k >= 2) {
                e.customer_str = k == 2 ? "cg" : "0";
                e.customer_len = (uint32_t)strlen(e.customer_str);
            }
            if (k == 1 || k == 3) {
                e.ref_str = k == 1 ? "r" : "1";
                e.ref_len = 1;
            }
            e.value = type == RTN_EV_NPS    ? 10
                      : type == RTN_EV_CSAT ? 5
                      : type == RTN_EV_CES  ? 1
                                            : 5.5 * k;
            e.quantity = k % 3;
            tu_push_ev(a, &e);
            tu_push_ev(h[n++ % 2], &e);
        }
    su_save(a, &buf);
    b = load_buf(&buf, &cfg);
    ck_assert_msg(tu_compare_all(a, b, 40, why, sizeof why) == 0, "round trip: %s", why);
    ck_assert_int_eq(rtn_ctx_merge(h[0], h[1]), RTN_OK);
    ck_assert_msg(tu_compare_all(a, h[0], 40, why, sizeof why) == 0, "merge: %s", why);
    rtn_ctx_free(a);
    rtn_ctx_free(b);
    rtn_ctx_free(h[0]);
    rtn_ctx_free(h[1]);
    free(buf.p);
    /* The fuzzer's case: two contacts resolved, never opened: reference 1 of
     * string customer "cg", reference 0 of numeric customer 0. */
    a = tu_ctx(&cfg);
    {
        rtn_event e = tu_ev(RTN_EV_CONTACT_RESOLVE, TD(224) + 12 * T_HOUR, 0, 0);
        e.customer_str = "cg";
        e.customer_len = 2;
        e.ref = 1;
        tu_push_ev(a, &e);
        e = tu_ev(RTN_EV_CONTACT_RESOLVE, T0, 0, 0);
        tu_push_ev(a, &e);
    }
    su_save(a, &buf);
    b = load_buf(&buf, &cfg);
    ck_assert_msg(tu_compare_all(a, b, 240, why, sizeof why) == 0, "round trip: %s", why);
    rtn_ctx_free(a);
    rtn_ctx_free(b);
    free(buf.p);
}
END_TEST

/* ---- a fresh process ----------------------------------------------------- */

#define FRESH_DAYS 100

static void make_stream_ctx(rtn_ctx **out, uint64_t seed, size_t n)
{
    tu_stream s;
    *out = tu_ctx(NULL);
    tu_stream_gen(&s, seed, n, 150, FRESH_DAYS);
    tu_push_all(*out, s.ev, s.n);
    tu_stream_free(&s);
}

/* `test_snapshot digest FILE`: load FILE and print its digest. */
static int digest_main(const char *path)
{
    rtn_ctx *ctx = NULL;
    int rc = rtn_snapshot_load_file(&ctx, NULL, path);
    if (rc != RTN_OK) {
        printf("error %d\n", rc);
        return 1;
    }
    printf("%016llx\n", (unsigned long long)su_digest(ctx, FRESH_DAYS));
    rtn_ctx_free(ctx);
    return 0;
}

START_TEST(fresh_process)
{
    char dir[] = "/tmp/rtn-snap-XXXXXX", path[256], line[64] = "";
    int fds[2], status;
    rtn_ctx *a;
    pid_t pid;
    FILE *f;
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/fresh.snap", dir);
    make_stream_ctx(&a, 77, 3000);
    ck_assert_int_eq(rtn_snapshot_save_file(a, path), RTN_OK);
    ck_assert_int_eq(pipe(fds), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        execl(self_path, self_path, "digest", path, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    f = fdopen(fds[0], "r");
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    fclose(f);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    {
        char mine[64];
        snprintf(mine, sizeof mine, "%016llx\n", (unsigned long long)su_digest(a, FRESH_DAYS));
        ck_assert_str_eq(line, mine);
    }
    unlink(path);
    rmdir(dir);
    rtn_ctx_free(a);
}
END_TEST

/* ---- atomic files ---------------------------------------------------------- */

static int count_temps(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".tmp-") != NULL)
            n++;
    closedir(d);
    return n;
}

static void remove_temps(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".tmp-") != NULL) {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    closedir(d);
}

START_TEST(save_file_replaces)
{
    char dir[] = "/tmp/rtn-snap-XXXXXX", path[256];
    rtn_ctx *a = tu_ctx(NULL), *b;
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/s.snap", dir);
    tu_push(a, RTN_EV_PURCHASE, TD(1), 1, 5);
    ck_assert_int_eq(rtn_snapshot_save_file(a, path), RTN_OK);
    tu_push(a, RTN_EV_PURCHASE, TD(2), 2, 5);
    ck_assert_int_eq(rtn_snapshot_save_file(a, path), RTN_OK);
    ck_assert_int_eq(rtn_snapshot_load_file(&b, NULL, path), RTN_OK);
    ck_assert_double_eq(tu_query(b, RTN_METRIC_PURCHASES, T0, TD(5)).value, 2);
    ck_assert_int_eq(count_temps(dir), 0);
    rtn_ctx_free(b);
    /* Errors: a missing directory, a missing file. */
    ck_assert_int_eq(rtn_snapshot_save_file(a, "/nonexistent-dir-rtn/x.snap"), RTN_EIO);
    ck_assert(strlen(rtn_ctx_last_error(a)) > 0);
    ck_assert_int_eq(rtn_snapshot_load_file(&b, NULL, "/nonexistent-dir-rtn/x.snap"), RTN_EIO);
    ck_assert_ptr_null(b);
    unlink(path);
    rmdir(dir);
    rtn_ctx_free(a);
}
END_TEST

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A child saves two different contexts alternately to one path in a loop;
 * the parent kills it with SIGKILL at random moments. After every kill the
 * file must load and be one of the two states. Kill delays are drawn over
 * three times what one save of each takes here (much longer under
 * valgrind or on a loaded machine), and rounds go on, up to a limit, until
 * both states and a kill mid-save have been seen. */
START_TEST(kill_during_save)
{
    char dir[] = "/tmp/rtn-snap-XXXXXX", path[256];
    rtn_ctx *small, *big, *got;
    uint64_t dsmall, dbig, d;
    int rounds = su_quick() ? 12 : 60, most = 200, k, saw_big = 0, saw_small = 0, temps = 0;
    double t0, cycle;
    tu_rng r = {4711};
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/kill.snap", dir);
    make_stream_ctx(&small, 5, 300);
    make_stream_ctx(&big, 6, su_quick() ? 6000 : 60000);
    dsmall = su_digest(small, FRESH_DAYS);
    dbig = su_digest(big, FRESH_DAYS);
    ck_assert(dsmall != dbig);
    t0 = mono_s();
    ck_assert_int_eq(rtn_snapshot_save_file(big, path), RTN_OK);
    ck_assert_int_eq(rtn_snapshot_save_file(small, path), RTN_OK);
    cycle = mono_s() - t0;
    for (k = 0; k < most && (k < rounds || !saw_big || !saw_small || !temps); k++) {
        struct timespec ts;
        int status;
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            int i;
            for (i = 0;; i++)
                if (rtn_snapshot_save_file(i % 2 ? small : big, path) != RTN_OK)
                    _exit(3);
        }
        {
            double wait = 3.0 * cycle * (double)tu_below(&r, 1000000u) / 1e6;
            ts.tv_sec = (time_t)wait;
            ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
        }
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFSIGNALED(status), "the saving child failed on its own (status %d)",
                      status);
        got = NULL;
        ck_assert_int_eq(rtn_snapshot_load_file(&got, NULL, path), RTN_OK);
        d = su_digest(got, FRESH_DAYS);
        ck_assert_msg(d == dsmall || d == dbig, "round %d: the file holds neither state", k);
        saw_small += d == dsmall;
        saw_big += d == dbig;
        rtn_ctx_free(got);
        temps += count_temps(dir);
        remove_temps(dir);
    }
    /* The kills did land mid-save (temporary files left behind), and both
     * states were observed. */
    ck_assert_int_gt(temps, 0);
    ck_assert_int_gt(saw_small, 0);
    ck_assert_int_gt(saw_big, 0);
    unlink(path);
    rmdir(dir);
    rtn_ctx_free(small);
    rtn_ctx_free(big);
}
END_TEST

/* ---- corrupt and hostile snapshots ------------------------------------------ */

static void small_snapshot(tu_buf *b)
{
    rtn_ctx *a = tu_ctx(NULL);
    tu_stream s;
    tu_stream_gen(&s, 99, 40, 6, 20);
    tu_push_all(a, s.ev, s.n);
    su_save(a, b);
    rtn_ctx_free(a);
    tu_stream_free(&s);
}

START_TEST(every_truncation)
{
    tu_buf b;
    size_t len;
    small_snapshot(&b);
    for (len = 0; len < b.len; len++) {
        rtn_ctx *c = (rtn_ctx *)&c;
        su_reader rd = {b.p, len, 0, 0};
        ck_assert_int_eq(rtn_snapshot_load_buffer(&c, NULL, b.p, len), RTN_EFORMAT);
        ck_assert_ptr_null(c);
        ck_assert_int_eq(rtn_snapshot_load(&c, NULL, su_read, &rd), RTN_EFORMAT);
        ck_assert_ptr_null(c);
    }
    free(b.p);
}
END_TEST

START_TEST(every_bit_flip)
{
    tu_buf b;
    size_t i;
    int bit;
    small_snapshot(&b);
    for (i = 0; i < b.len; i++)
        for (bit = 0; bit < 8; bit++) {
            rtn_ctx *c = NULL;
            int rc;
            b.p[i] ^= (unsigned char)(1u << bit);
            rc = rtn_snapshot_load_buffer(&c, NULL, b.p, b.len);
            b.p[i] ^= (unsigned char)(1u << bit);
            ck_assert_msg(rc == RTN_EFORMAT || rc == RTN_EVERSION, "byte %zu bit %d: rc %d", i, bit,
                          rc);
            ck_assert_ptr_null(c);
        }
    free(b.p);
}
END_TEST

static void put32(unsigned char *p, uint32_t v)
{
    int i;
    for (i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Make the checksums of an edited snapshot right again, so the loader's
 * structural checks are what refuses it. */
static void fix_crcs(unsigned char *p, size_t len)
{
    put64(p + 16, len);
    put32(p + 24, rtn__crc32(0, p, 24));
    put32(p + len - 4, rtn__crc32(0, p, len - 4));
}

/* Offset of the body of section number `sec` (0 = CONF, 2 = CUST). */
static size_t section(const unsigned char *p, int sec)
{
    size_t off = 32;
    int i;
    for (i = 0; i < sec; i++)
        off += 12 + (size_t)(get32(p + off + 4));
    return off + 12;
}

static int load_counted(const unsigned char *p, size_t len, su_alloc *al)
{
    rtn_config cfg;
    rtn_ctx *c = NULL;
    int rc;
    rtn_config_init(&cfg, sizeof cfg);
    memset(al, 0, sizeof *al);
    su_config(&cfg, al);
    rc = rtn_snapshot_load_buffer(&c, &cfg, p, len);
    rtn_ctx_free(c);
    return rc;
}

/* Two numeric customers: 1 with events on days 1 and 2, 2 on day 3. */
static void two_customers(tu_buf *b)
{
    rtn_ctx *a = tu_ctx(NULL);
    tu_push(a, RTN_EV_ACQUIRE, TD(1), 1, 0);
    tu_push(a, RTN_EV_ACTIVITY, TD(2), 1, 0);
    tu_push(a, RTN_EV_PURCHASE, TD(3), 2, 4);
    su_save(a, b);
    rtn_ctx_free(a);
}

START_TEST(crafted_counts)
{
    tu_buf b;
    su_alloc al;
    size_t cust;
    two_customers(&b);
    cust = section(b.p, 2);
    ck_assert_uint_eq(get32(b.p + cust), 2);
    ck_assert_int_eq(load_counted(b.p, b.len, &al), RTN_OK);
    ck_assert_uint_gt(al.bytes, 0);
    /* 2^32 - 1 customers claimed: refused before the table is allocated. */
    put32(b.p + cust, UINT32_MAX);
    fix_crcs(b.p, b.len);
    ck_assert_int_eq(load_counted(b.p, b.len, &al), RTN_EFORMAT);
    ck_assert_uint_lt(al.bytes, 8192);
    put32(b.p + cust, 2);
    /* The first customer claims 2^31 entries. Record: flags, id, count. */
    put32(b.p + cust + 4 + 4 + 8, 0x80000000u);
    fix_crcs(b.p, b.len);
    ck_assert_int_eq(load_counted(b.p, b.len, &al), RTN_EFORMAT);
    ck_assert_uint_lt(al.max_request, 8192);
    free(b.p);
}
END_TEST

START_TEST(crafted_huge_length)
{
    tu_buf b;
    su_alloc al;
    rtn_config cfg;
    rtn_ctx *c = NULL;
    su_reader rd;
    two_customers(&b);
    /* A header claiming 2^60 bytes: refused before anything is allocated. */
    put64(b.p + 16, UINT64_C(1) << 60);
    put32(b.p + 24, rtn__crc32(0, b.p, 24));
    rtn_config_init(&cfg, sizeof cfg);
    memset(&al, 0, sizeof al);
    su_config(&cfg, &al);
    rd.p = b.p;
    rd.len = b.len;
    rd.pos = 0;
    rd.chunk = 0;
    ck_assert_int_eq(rtn_snapshot_load(&c, &cfg, su_read, &rd), RTN_EFORMAT);
    ck_assert_uint_eq(al.calls, 0);
    ck_assert_int_eq(rtn_snapshot_load_buffer(&c, &cfg, b.p, b.len), RTN_EFORMAT);
    ck_assert_uint_eq(al.calls, 0);
    /* 2^39 bytes claimed (under the limit) with a few hundred present: the
     * buffer grows only as bytes arrive. */
    put64(b.p + 16, UINT64_C(1) << 39);
    put32(b.p + 24, rtn__crc32(0, b.p, 24));
    rd.pos = 0;
    ck_assert_int_eq(rtn_snapshot_load(&c, &cfg, su_read, &rd), RTN_EFORMAT);
    ck_assert_ptr_null(c);
    ck_assert_uint_le(al.max_request, 1u << 16);
    free(b.p);
}
END_TEST

START_TEST(crafted_structure)
{
    tu_buf b;
    su_alloc al;
    size_t cust, conf, rec1, rec2;
    unsigned char *orig;
    two_customers(&b);
    orig = malloc(b.len);
    memcpy(orig, b.p, b.len);
    cust = section(b.p, 2);
    conf = section(b.p, 0);
    rec1 = cust + 4; /* flags, id, 2 entries */
    rec2 = rec1 + 4 + 8 + 4 + 16;
    ck_assert_uint_eq(get32(b.p + rec1 + 12), 2);
    ck_assert_uint_eq(get32(b.p + rec2 + 12), 1);
    /* Entries out of order. */
    memcpy(b.p + rec1 + 16, orig + rec1 + 24, 8);
    memcpy(b.p + rec1 + 24, orig + rec1 + 16, 8);
    fix_crcs(b.p, b.len);
    ck_assert_int_eq(load_counted(b.p, b.len, &al), RTN_EFORMAT);
    memcpy(b.p, orig, b.len);
    /* The same bucket twice. */
    memcpy(b.p + rec1 + 24, orig + rec1 + 16, 8);
    fix_crcs(b.p, b.len);
    ck_assert_int_eq(load_counted(b.p, b.len, &al), RTN_EFORMAT);
    memcpy(b.p, orig, b.len);
    /* A duplicate customer id. */
    put64(b.p + rec2 + 4, 1);
    fix_crcs(b.p, b.len);
    ck_assert_int_eq(load_counted(b.p, b.len, &al), RTN_EFORMAT);
    memcpy(b.p, orig, b.len);
    /* An unknown customer flag. */
    put32(b.p + rec1, 0x40);
    fix_crcs(b.p, b.len);
    ck_assert_int_eq(load_counted(b.p, b.len, &al), RTN_EFORMAT);
    memcpy(b.p, orig, b.len);
    /* An unknown entry flag. */
    b.p[rec1 + 16] |= 0x40;
    fix_crcs(b.p, b.len);
    ck_assert_int_eq(load_counted(b.p, b.len, &al), RTN_EFORMAT);
    memcpy(b.p, orig, b.len);
    /* An entry bucket outside the recorded event times. */
    put32(b.p + rec1 + 16 + 4, get32(b.p + rec1 + 16 + 4) + 400);
    fix_crcs(b.p, b.len);
    ck_assert_int_eq(load_counted(b.p, b.len, &al), RTN_EFORMAT);
    memcpy(b.p, orig, b.len);
    /* A purchase count so large that sums of the tree would overflow. */
    {
        size_t core = section(b.p, 3);
        ck_assert_uint_eq(get32(b.p + core), 1);
        put64(b.p + core + 8, UINT64_C(1) << 62);
        fix_crcs(b.p, b.len);
        ck_assert_int_eq(load_counted(b.p, b.len, &al), RTN_EFORMAT);
        memcpy(b.p, orig, b.len);
        put64(b.p + core + 8, (uint64_t)INT64_MIN);
        fix_crcs(b.p, b.len);
        ck_assert_int_eq(load_counted(b.p, b.len, &al), RTN_EFORMAT);
        memcpy(b.p, orig, b.len);
    }
    /* An invalid configuration (resolution 7). */
    put32(b.p + conf, 7);
    fix_crcs(b.p, b.len);
    ck_assert_int_eq(load_counted(b.p, b.len, &al), RTN_EFORMAT);
    memcpy(b.p, orig, b.len);
    /* A section tag out of place. */
    b.p[cust - 12] ^= 0x20;
    fix_crcs(b.p, b.len);
    ck_assert_int_eq(load_counted(b.p, b.len, &al), RTN_EFORMAT);
    memcpy(b.p, orig, b.len);
    /* Wrong magic; a future format version. */
    b.p[0] = 'X';
    ck_assert_int_eq(load_counted(b.p, b.len, &al), RTN_EFORMAT);
    memcpy(b.p, orig, b.len);
    put32(b.p + 8, 2);
    fix_crcs(b.p, b.len);
    ck_assert_int_eq(load_counted(b.p, b.len, &al), RTN_EVERSION);
    memcpy(b.p, orig, b.len);
    /* Unchanged, it loads; with a byte appended, it does not. */
    ck_assert_int_eq(load_counted(b.p, b.len, &al), RTN_OK);
    b.p = realloc(b.p, b.len + 1);
    b.p[b.len] = 0;
    ck_assert_int_eq(load_counted(b.p, b.len + 1, &al), RTN_EFORMAT);
    free(orig);
    free(b.p);
}
END_TEST

/* Every allocation of a load fails in turn: ENOMEM each time, no leak (the
 * sanitizer and valgrind runs check that), then success. */
START_TEST(load_alloc_failures)
{
    tu_buf b;
    su_alloc al;
    rtn_config cfg;
    rtn_ctx *a = tu_ctx(NULL), *c;
    tu_stream s;
    uint64_t k;
    char why[512];
    int rc;
    tu_stream_gen(&s, 31337, 400, 30, 40);
    tu_push_all(a, s.ev, s.n);
    su_save(a, &b);
    rtn_config_init(&cfg, sizeof cfg);
    su_config(&cfg, &al);
    for (k = 1;; k++) {
        memset(&al, 0, sizeof al);
        al.fail_at = k;
        c = NULL;
        rc = rtn_snapshot_load_buffer(&c, &cfg, b.p, b.len);
        if (rc == RTN_OK)
            break;
        ck_assert_msg(rc == RTN_ENOMEM, "allocation %llu: rc %d", (unsigned long long)k, rc);
        ck_assert_ptr_null(c);
        ck_assert_uint_lt(k, 100000);
    }
    al.fail_at = 0;
    ck_assert_msg(tu_compare_all(a, c, 40, why, sizeof why) == 0, "%s", why);
    rtn_ctx_free(c);
    rtn_ctx_free(a);
    tu_stream_free(&s);
    free(b.p);
}
END_TEST

START_TEST(save_errors)
{
    rtn_ctx *a = tu_ctx(NULL), *c;
    tu_buf b, ok;
    memset(&b, 0, sizeof b);
    tu_push(a, RTN_EV_PURCHASE, TD(1), 1, 5);
    b.fail_after = 20;
    ck_assert_int_eq(rtn_snapshot_save(a, tu_buf_write, &b), RTN_EIO);
    ck_assert_int_eq(rtn_snapshot_save(a, NULL, &b), RTN_EINVAL);
    ck_assert_int_eq(rtn_snapshot_save(NULL, tu_buf_write, &b), RTN_EINVAL);
    ck_assert_int_eq(rtn_snapshot_load_buffer(NULL, NULL, b.p, b.len), RTN_EINVAL);
    ck_assert_int_eq(rtn_snapshot_load(&c, NULL, NULL, NULL), RTN_EINVAL);
    /* The context is unaffected and saves fine afterwards. */
    su_save(a, &ok);
    c = load_buf(&ok, NULL);
    ck_assert_double_eq(tu_query(c, RTN_METRIC_PURCHASES, T0, TD(5)).value, 1);
    rtn_ctx_free(c);
    rtn_ctx_free(a);
    free(b.p);
    free(ok.p);
}
END_TEST

/* Issue item 5: with a memory cap, ingestion that would exceed it fails with
 * RTN_ENOMEM; the context stays usable and exact for what it accepted. */
START_TEST(memory_cap_ingestion)
{
    rtn_config cfg;
    rtn_ctx *capped, *ref;
    tu_stream s;
    rtn_stats st;
    size_t i, refused = 0;
    char why[512];
    rtn_config_init(&cfg, sizeof cfg);
    cfg.memory_cap = 96 * 1024;
    capped = tu_ctx(&cfg);
    ref = tu_ctx(NULL);
    tu_stream_gen(&s, 8080, 4000, 400, 60);
    for (i = 0; i < s.n; i++) {
        int rc = rtn_push(capped, &s.ev[i]);
        ck_assert_msg(rc == RTN_OK || rc == RTN_ENOMEM, "event %zu: %d", i, rc);
        if (rc == RTN_OK)
            tu_push_ev(ref, &s.ev[i]);
        else
            refused++;
    }
    ck_assert_uint_gt(refused, 0);
    rtn_stats_init(&st, sizeof st);
    rtn_ctx_stats(&st, capped);
    ck_assert_uint_le(st.memory_bytes, cfg.memory_cap);
    ck_assert_uint_eq(st.events, s.n - refused);
    /* Queries that need no scratch memory answer from the capped context
     * itself; for the whole comparison (survival curves allocate), its
     * snapshot is loaded without a cap. */
    {
        static const int metrics[] = {RTN_METRIC_CUSTOMERS_END, RTN_METRIC_CUSTOMERS_NEW,
                                      RTN_METRIC_CUSTOMERS_LOST, RTN_METRIC_PURCHASES,
                                      RTN_METRIC_REVENUE};
        tu_buf b;
        rtn_ctx *uncapped;
        size_t m;
        for (m = 0; m < sizeof metrics / sizeof metrics[0]; m++)
            ck_assert(tu_same(tu_query(capped, metrics[m], T0, TD(30)).value,
                              tu_query(ref, metrics[m], T0, TD(30)).value));
        su_save(capped, &b);
        uncapped = load_buf(&b, NULL);
        ck_assert_msg(tu_compare_all(uncapped, ref, 60, why, sizeof why) == 0, "%s", why);
        rtn_ctx_free(uncapped);
        free(b.p);
    }
    rtn_ctx_free(capped);
    rtn_ctx_free(ref);
    tu_stream_free(&s);
}
END_TEST

/* A snapshot of format version 1, committed under tests/data: it keeps
 * loading into the same results, and a context fed the same events saves
 * the same bytes, so a change of the format shows here first (then bump the
 * format version, keep a loader for version 1, and regenerate the file with
 * RTN_REGEN_GOLDEN=1 test_snapshot). */
START_TEST(golden_v1)
{
    static const char path[] = RTN_TEST_DATA "/snapshot-v1.rtn";
    tu_stream s;
    rtn_ctx *a = tu_ctx(NULL), *b;
    tu_buf now, gold = TU_BUF_INIT;
    rtn_stats st;
    char why[512];
    FILE *f;
    tu_stream_gen(&s, 20261201, 800, 70, 60);
    tu_push_all(a, s.ev, s.n);
    su_save(a, &now);
    if (getenv("RTN_REGEN_GOLDEN")) {
        f = fopen(path, "wb");
        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fwrite(now.p, 1, now.len, f), now.len);
        ck_assert_int_eq(fclose(f), 0);
    }
    f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    for (;;) {
        unsigned char chunk[4096];
        size_t got = fread(chunk, 1, sizeof chunk, f);
        if (got == 0)
            break;
        ck_assert_int_eq(tu_buf_write(chunk, got, &gold), 0);
    }
    fclose(f);
    ck_assert_uint_eq(gold.len, now.len);
    ck_assert_msg(memcmp(gold.p, now.p, now.len) == 0,
                  "the saved bytes differ from format version 1's");
    b = load_buf(&gold, NULL);
    rtn_stats_init(&st, sizeof st);
    ck_assert_int_eq(rtn_ctx_stats(&st, b), RTN_OK);
    ck_assert_uint_eq(st.events, 800);
    ck_assert_uint_eq(st.customers, 70);
    ck_assert_msg(tu_compare_all(a, b, 60, why, sizeof why) == 0, "%s", why);
    rtn_ctx_free(a);
    rtn_ctx_free(b);
    free(now.p);
    free(gold.p);
    tu_stream_free(&s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("snapshot");
    TCase *tc = tcase_create("roundtrip");
    TCase *th = tcase_create("hostile");
    TCase *tf = tcase_create("files");
    tcase_set_timeout(tc, 600);
    tcase_set_timeout(th, 600);
    tcase_set_timeout(tf, 600);
    tcase_add_loop_test(tc, roundtrip_default, 0, 2);
    tcase_add_loop_test(tc, roundtrip_settings, 0, 2);
    tcase_add_test(tc, empty_roundtrip);
    tcase_add_test(tc, stats_recorded);
    tcase_add_test(tc, edge_cases_roundtrip);
    tcase_add_test(tc, save_errors);
    tcase_add_test(tc, memory_cap_ingestion);
    tcase_add_test(th, every_truncation);
    tcase_add_test(th, every_bit_flip);
    tcase_add_test(th, crafted_counts);
    tcase_add_test(th, crafted_huge_length);
    tcase_add_test(th, crafted_structure);
    tcase_add_test(th, load_alloc_failures);
    tcase_add_test(tf, fresh_process);
    tcase_add_test(tf, save_file_replaces);
    tcase_add_test(tf, kill_during_save);
    tcase_add_test(tf, golden_v1);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, th);
    suite_add_tcase(s, tf);
    return s;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "digest") == 0)
        return digest_main(argv[2]);
    self_path = argv[0];
    return tu_run(suite());
}
