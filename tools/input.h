/*
 * input.h: streaming readers for event logs (CSV with a header, JSON Lines,
 * optionally gzip-compressed) that turn each row into an rtn_event.
 */
#ifndef RTN_TOOL_INPUT_H
#define RTN_TOOL_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "retention.h"

/* Outcome of reading one row. */
enum {
    IN_ROW = 1,  /* an event was parsed */
    IN_EOF = 0,  /* end of input */
    IN_BAD = -1, /* the row does not parse: in_error() says why, in_line() where */
    IN_IO = -2   /* the input cannot be read (fatal for this file) */
};

typedef struct in_file in_file;

/* Open a path ("-" = standard input). Returns NULL and fills err on failure. */
in_file *in_open(const char *path, char *err, size_t errlen);
void in_close(in_file *f);

/* Read the next row into ev (strings point into the reader's buffers and stay
 * valid until the next call). Blank lines are skipped. At least IN_READABLE
 * bytes may be read from the start of each string, past its end: copies
 * may move whole words. */
#define IN_READABLE 16
int in_next(in_file *f, rtn_event *ev);

/* Read up to max rows at once into evs[], each row's line into lines[]:
 * the rows in the form most logs have (a canonical CSV header, and a row
 * that in_next would read the same way without a second look), as many as
 * follow one another in the reader's buffer. Returns how many: 0 when the
 * next row is not in that form, or is not read yet, and in_next must take
 * it (and so also at the end of input). The strings are as in_next's, and
 * stay valid until the next call of either. */
int in_next_many(in_file *f, rtn_event *evs, uint64_t *lines, int max);

/* Line number of the row last returned (first line of it for multi-line rows). */
uint64_t in_line(const in_file *f);
/* Detail of the last IN_BAD or IN_IO. */
const char *in_error(const in_file *f);

/* Parse a time: ISO 8601 (date, date and time with optional fraction and Z or
 * +hh:mm / -hh:mm offset) or integer milliseconds. Returns 0 on success. */
int in_parse_time(const char *s, size_t len, int64_t *out_ms);

/* Format ms as "YYYY-MM-DDTHH:MM:SSZ" (buf >= 32 bytes). */
void in_format_time(char *buf, size_t len, int64_t ms);

/* Days since the epoch of a civil date, and back. */
int64_t in_days_from_civil(int64_t y, unsigned m, unsigned d);
void in_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* 1 when this build reads .gz files. */
int in_have_gzip(void);

#endif
