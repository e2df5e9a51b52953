/*
 * fuzz_reader.c: libFuzzer target for the tool's CSV reader (tools/input.c),
 * whose common lines are scanned a block of bytes at a time and whose short
 * fields are read as whole words past their end. The input is a log's body;
 * its first byte picks the header (the usual column order, which takes the
 * reader's shortest path, or two others). Checked, besides what ASan and
 * UBSan see: every row returned has a known type, and for a line without a
 * quote, its customer id and ref are exactly the bytes of those columns of
 * the line, split here one byte at a time.
 */
#include "input.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

#define MAXF 8

static const char *const headers[] = {
    "time,type,customer,value,quantity,ref\n",
    "customer,time,type,ref\n",
    "ref,x,type,time,customer,value\n",
};
/* Column of the customer and of the ref in each header. */
static const int customer_col[] = {2, 0, 4};
static const int ref_col[] = {5, 3, 0};

static char path[256];
static int fd = -1;

static void die(const char *what)
{
    fprintf(stderr, "fuzz_reader: %s\n", what);
    abort();
}

/* Field k of line [p, e) split at commas (the last one without a '\r' at
 * the line's end, as the reader strips it): 0 when the line has fewer. */
static int field(const char *p, const char *e, int k, const char **fp, size_t *fn)
{
    const char *s = p;
    int i = 0;
    if (e > p && e[-1] == '\r')
        e--;
    for (; p <= e; p++) {
        if (p == e || *p == ',') {
            if (i == k) {
                *fp = s;
                *fn = (size_t)(p - s);
                return 1;
            }
            i++;
            s = p + 1;
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    char err[512];
    const char *body;
    size_t nb, hl;
    int h;
    in_file *f;
    rtn_event ev;
    if (fd < 0) {
        const char *dir = getenv("TMPDIR");
        snprintf(path, sizeof(path), "%s/fuzz_reader.XXXXXX", dir && *dir ? dir : "/tmp");
        if ((fd = mkstemp(path)) < 0)
            die("cannot make a temporary file");
    }
    h = n ? d[0] % 3 : 0;
    body = n ? (const char *)d + 1 : "";
    nb = n ? n - 1 : 0;
    hl = strlen(headers[h]);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, headers[h], hl, 0) != (ssize_t)hl ||
        (nb && pwrite(fd, body, nb, (off_t)hl) != (ssize_t)nb))
        die("cannot write the temporary file");
    if ((f = in_open(path, err, sizeof(err))) == NULL)
        die(err);
    rtn_event_init(&ev, RTN_EVENT_VERSION);
    for (;;) {
        int rc = in_next(f, &ev);
        uint64_t line;
        const char *p, *e, *fp;
        size_t fn, k;
        if (rc == IN_EOF || rc == IN_IO)
            break;
        if (rc == IN_BAD)
            continue;
        if (rtn_event_type_name(ev.type) == NULL)
            die("a row with an unknown type");
        if (ev.customer_str == NULL || ev.customer_len == 0)
            die("a row without a customer");
        /* Line 1 is the header: find the row's line in the body. */
        line = in_line(f);
        p = body;
        e = body + nb;
        for (k = 2; k < line && p < e; k++) {
            const char *nl = memchr(p, '\n', (size_t)(e - p));
            p = nl ? nl + 1 : e;
        }
        {
            const char *nl = memchr(p, '\n', (size_t)(e - p));
            if (nl)
                e = nl;
        }
        if (memchr(p, '"', (size_t)(e - p)))
            continue; /* a quoted line: the general parser's */
        if (!field(p, e, customer_col[h], &fp, &fn) || fn != ev.customer_len ||
            memcmp(fp, ev.customer_str, fn) != 0)
            die("the customer is not its column's bytes");
        if (field(p, e, ref_col[h], &fp, &fn) && fn) {
            if (ev.ref_str == NULL || ev.ref_len != fn || memcmp(fp, ev.ref_str, fn) != 0)
                die("the ref is not its column's bytes");
        } else if (ev.ref_str != NULL && ev.ref_len != 0) {
            die("a ref where its column is empty");
        }
    }
    in_close(f);
    return 0;
}
