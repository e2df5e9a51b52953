/*
 * jsonget.c: a tiny JSON field extractor for the tool's tests, so they need
 * neither jq nor python.
 *
 *   jsonget FILE PATH            print the value at PATH (keys and array
 *                                indexes separated by '.'); exit 1 if absent
 *   jsonget FILE PATH EXPECTED   exit 0 when the value equals EXPECTED:
 *                                numbers within 1e-9 relative (or within TOL
 *                                written EXPECTED~TOL), or the exact
 *                                text of null, true, false, a string, or the
 *                                words "object", "array", "absent"
 *   jsonget FILE PATH --count    number of members / elements
 *   jsonget FILE --valid         exit 0 when FILE is one valid JSON value
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *p;

static void ws(void)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
}

/* Skip a value; returns 0 on success. */
static int skip(void);

static int skip_string(void)
{
    if (*p != '"')
        return -1;
    for (p++; *p && *p != '"'; p++) {
        if ((unsigned char)*p < 0x20)
            return -1;
        if (*p == '\\' && *++p == '\0')
            return -1;
    }
    if (*p != '"')
        return -1;
    p++;
    return 0;
}

static int skip(void)
{
    ws();
    if (*p == '"')
        return skip_string();
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        int obj = *p == '{';
        p++;
        ws();
        if (*p == close) {
            p++;
            return 0;
        }
        for (;;) {
            if (obj) {
                ws();
                if (skip_string())
                    return -1;
                ws();
                if (*p++ != ':')
                    return -1;
            }
            if (skip())
                return -1;
            ws();
            if (*p == ',') {
                p++;
                continue;
            }
            if (*p == close) {
                p++;
                return 0;
            }
            return -1;
        }
    }
    if (strncmp(p, "null", 4) == 0 || strncmp(p, "true", 4) == 0) {
        p += 4;
        return 0;
    }
    if (strncmp(p, "false", 5) == 0) {
        p += 5;
        return 0;
    }
    {
        char *e;
        (void)strtod(p, &e);
        if (e == p || (*p != '-' && (*p < '0' || *p > '9')))
            return -1;
        p = e;
        return 0;
    }
}

/* Move p to the member `key` of the object (or element of the array) at p. */
static int descend(const char *key, size_t klen)
{
    ws();
    if (*p == '{') {
        p++;
        ws();
        if (*p == '}')
            return -1;
        for (;;) {
            const char *k, *kend;
            ws();
            k = p + 1;
            if (skip_string())
                return -1;
            kend = p - 1;
            ws();
            if (*p++ != ':')
                return -1;
            if ((size_t)(kend - k) == klen && strncmp(k, key, klen) == 0) {
                ws();
                return 0;
            }
            if (skip())
                return -1;
            ws();
            if (*p == ',') {
                p++;
                continue;
            }
            return -1;
        }
    }
    if (*p == '[') {
        long idx = strtol(key, NULL, 10), i;
        p++;
        for (i = 0;; i++) {
            ws();
            if (*p == ']')
                return -1;
            if (i == idx)
                return 0;
            if (skip())
                return -1;
            ws();
            if (*p == ',') {
                p++;
                continue;
            }
            return -1;
        }
    }
    return -1;
}

int main(int argc, char **argv)
{
    FILE *f;
    char *buf, *path;
    long n;
    const char *start, *seg;
    char text[4096];
    size_t tl;
    if (argc < 3) {
        fprintf(stderr, "usage: jsonget FILE PATH [EXPECTED|--count] | FILE --valid\n");
        return 2;
    }
    f = fopen(argv[1], "rb");
    if (f == NULL) {
        fprintf(stderr, "jsonget: cannot open %s\n", argv[1]);
        return 2;
    }
    buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = calloc((size_t)n + 1, 1)) != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf == NULL) {
        fprintf(stderr, "jsonget: cannot read %s\n", argv[1]);
        return 2;
    }
    p = buf;
    if (strcmp(argv[2], "--valid") == 0) {
        if (skip())
            return 1;
        ws();
        return *p == '\0' ? 0 : 1;
    }
    path = argv[2];
    for (seg = path; *seg;) {
        const char *dot = strchr(seg, '.');
        size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
        if (descend(seg, len)) {
            if (argc > 3 && strcmp(argv[3], "absent") == 0)
                return 0;
            fprintf(stderr, "jsonget: %s: %s is absent\n", argv[1], path);
            return 1;
        }
        seg += len + (dot != NULL);
    }
    ws();
    start = p;
    if (*p == '{' || *p == '[') {
        int obj = *p == '{';
        if (argc > 3 && strcmp(argv[3], "--count") == 0) {
            long count = 0;
            p++;
            ws();
            if (*p != (obj ? '}' : ']')) {
                for (;;) {
                    if (obj) {
                        ws();
                        if (skip_string())
                            return 2;
                        ws();
                        p++;
                    }
                    if (skip())
                        return 2;
                    count++;
                    ws();
                    if (*p != ',')
                        break;
                    p++;
                }
            }
            printf("%ld\n", count);
            return 0;
        }
        snprintf(text, sizeof(text), "%s", obj ? "object" : "array");
    } else {
        if (skip())
            return 2;
        tl = (size_t)(p - start);
        if (tl >= sizeof(text))
            tl = sizeof(text) - 1;
        memcpy(text, start, tl);
        text[tl] = '\0';
        if (text[0] == '"') {
            memmove(text, text + 1, tl);
            text[tl - 2] = '\0';
        }
    }
    if (argc == 3) {
        printf("%s\n", text);
        return 0;
    }
    {
        const char *want = argv[3];
        char *e1, *e2;
        double a = strtod(text, &e1), b = strtod(want, &e2), tol = 1e-9 * fmax(1.0, fabs(b));
        int num;
        if (*e2 == '~' && e2 != want) /* EXPECTED~TOLERANCE */
            tol = strtod(e2 + 1, &e2);
        num = start[0] != '"' && *e1 == '\0' && e1 != text && *e2 == '\0' && e2 != want;
        if (num ? fabs(a - b) <= tol : strcmp(text, want) == 0)
            return 0;
        fprintf(stderr, "jsonget: %s: %s is %s, expected %s\n", argv[1], path, text, want);
        return 1;
    }
}
