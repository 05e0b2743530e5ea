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

/* --- outcome.c: one URL's outcome, the same in every mode ------------------ */
/* What an answer may be: a head over CHECK_MAX_HEAD bytes is error:protocol,
 * a body over CHECK_MAX_BODY error:too-large (corio's client's defaults). */
#define CHECK_MAX_HEAD ((size_t)65536)
#define CHECK_MAX_BODY ((uint64_t)64 << 20)

/* One request to url and its whole answer (head and body), no redirect
 * followed: the status (> 0) or a negative errno; *bytes the body bytes
 * read; *location (malloc'ed, or NULL) the answer's Location. */
typedef int (*check_exchange_fn)(void *ctx, const char *url, const check_opts *o, uint64_t *bytes,
                                 char **location);

/* Checks url with exchange, hop by hop (redirects followed up to
 * max_redirects, whatever the mode), and classifies what happened into
 * r->outcome: every mode goes through here, so a hostile answer counts the
 * same in all four. The outcome is an HTTP status, or one errno per class
 * of corio_http_error_class: -EINVAL (a line, or a redirect target, that is
 * not an http(s) URL with a host), -EBADMSG (not HTTP/1.x, bad framing, a
 * Location that cannot be resolved), -EMSGSIZE, -ETIMEDOUT, -ECONNRESET,
 * -ECONNREFUSED, -CORIO_EDNS, -EPROTO (tls), -ECANCELED, -ENOMEM, or another
 * errno (error:io). */
void check_fetch(const char *url, const check_opts *o, int max_redirects,
                 check_exchange_fn exchange, void *ctx, check_result *r);
/* 0 if url is an http(s) URL with a host, else -EINVAL (error:invalid-url). */
int check_url_valid(const char *url);

/* --- fetch.c: corio's client ---------------------------------------------- */
/* With a corio client from a task (async mode), within deadline (absolute
 * corio_now() ms). */
void check_fetch_async(corio_http_client *c, const char *url, const check_opts *o, int64_t deadline,
                       check_result *r);
/* One exchange over https from a plain thread, on a private loop (the
 * blocking modes have no TLS), within deadline_ms (check_now_ms's clock). */
int check_exchange_private_loop(const char *url, const check_opts *o, double deadline_ms,
                                uint64_t *bytes, char **location);

/* --- response.c: an answer parsed as corio's client parses it ------------- */
typedef struct check_response check_response;
/* head: the request was HEAD (no body follows). NULL when out of memory. */
check_response *check_response_new(int head);
void check_response_free(check_response *r);
/* Feeds the next n bytes received (n == 0: the peer closed): 0 while more
 * is wanted, 1 when the answer is complete (bytes after it are ignored), or
 * -EBADMSG, -EMSGSIZE, -ECONNRESET (closed before the end). */
int check_response_feed(check_response *r, const char *buf, size_t n);
/* The final status, once complete; the body bytes; the Location (owned by
 * r, or NULL). */
int check_response_status(const check_response *r);
uint64_t check_response_bytes(const check_response *r);
const char *check_response_location(const check_response *r);

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
