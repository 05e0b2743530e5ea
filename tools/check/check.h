/* corio-check: the seed's website status checker, in four modes. */
#ifndef CORIO_TOOLS_CHECK_H
#define CORIO_TOOLS_CHECK_H

#include <stdint.h>
#include <stdio.h>

#include <corio/corio.h>

enum { CHECK_MAX_REDIRECTS = 10 };

typedef struct check_opts {
    int64_t timeout_ms; /* per URL, the whole exchange */
    int head;           /* --method HEAD */
    int follow;         /* -L */
    long concurrency;   /* the mode's -c, resolved */
} check_opts;

/* One URL's outcome, compact: what the reorder window keeps per URL. */
typedef struct check_result {
    int32_t outcome; /* the final HTTP status (> 0), or a negative errno */
    float ms;
    uint64_t bytes;
} check_result;

/* --- input.c: the URL list, streamed --------------------------------------- */
typedef struct check_input {
    FILE *f;   /* seekable: the file, or stdin spooled to a temporary file */
    long urls; /* non-blank, non-comment lines */
} check_input;

/* Opens path ("-": stdin); -errno when it cannot be read. */
int check_input_open(const char *path, check_input *in);
void check_input_close(check_input *in);
/* An independent reader of the same list from its start (own offset: for
 * forked workers and the JSONL writer). NULL and errno on failure. */
FILE *check_input_reopen(const check_input *in);
/* The next URL (surrounding whitespace stripped) into *url, pointing into
 * *line: 1, or 0 at the end. Blank lines and '#' comments are skipped. */
int check_input_next(FILE *f, char **line, size_t *cap, const char **url);

/* --- sink.c: counts, JSONL in input order, progress ------------------------ */
typedef struct check_counts {
    long status[1000];
    long error[16]; /* by check_error_index */
} check_counts;

typedef struct check_sink check_sink;
/* jsonl: NULL or a file to write ("-": stdout); progress: draw the bar on stderr. */
int check_sink_new(const check_input *in, const char *jsonl, int progress, check_sink **out);
/* Records URL number index (0-based, in input order). Not thread-safe. */
int check_sink_add(check_sink *s, uint64_t index, const check_result *r);
/* Flushes and frees; the counts go to *counts. -EIO when the JSONL could
 * not be written. */
int check_sink_free(check_sink *s, check_counts *counts);
/* {"200": 29, "error:timeout": 1}, keys sorted, no newline. */
void check_counts_print(FILE *f, const check_counts *c);
int check_counts_equal(const check_counts *a, const check_counts *b);

/* --- fetch.c: one URL ------------------------------------------------------ */
/* 0 if url is an http(s) URL with a host, else -EINVAL (error:invalid-url). */
int check_url_valid(const char *url);
/* With a corio client from a task (async mode), within deadline (absolute
 * corio_now() ms) and up to max_redirects. */
void check_fetch_async(corio_http_client *c, const char *url, const check_opts *o, int64_t deadline,
                       int max_redirects, check_result *r);
/* The same from a plain thread, on a private loop (https in the blocking
 * modes). */
void check_fetch_private_loop(const char *url, const check_opts *o, double deadline_ms,
                              int max_redirects, check_result *r);

/* --- blocking.c: HTTP/1.1 over blocking sockets ---------------------------- */
/* Checks url in the calling thread (threads, processes, sequential modes). */
void check_fetch_blocking(const char *url, const check_opts *o, check_result *r);

/* --- the modes: 0, or a negative errno for an internal failure -------------- */
int check_run_async(const check_input *in, const check_opts *o, check_sink *s);
int check_run_threads(const check_input *in, const check_opts *o, check_sink *s);
int check_run_processes(const check_input *in, const check_opts *o, check_sink *s);
int check_run_sequential(const check_input *in, const check_opts *o, check_sink *s);

/* Milliseconds on the monotonic clock, for threads without a loop. */
double check_now_ms(void);

#endif
