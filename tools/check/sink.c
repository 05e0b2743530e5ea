/* Where results go: counts by outcome, the JSONL file in input order
 * (results finish out of order; a window holds the compact results of the
 * URLs not yet written, and the URLs themselves are read again from the
 * list as their lines come up), and the progress bar. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static const char *const error_classes[] = {"dns",       "refused",  "timeout",   "reset",
                                            "tls",       "protocol", "too-large", "invalid-url",
                                            "cancelled", "io"};
enum { NCLASSES = sizeof error_classes / sizeof error_classes[0] };

struct check_sink {
    check_counts counts;
    FILE *jsonl, *urls; /* the JSONL file and its own reader of the list */
    char *line;
    size_t line_cap;
    check_result *ring; /* results of URLs base.. not yet written */
    unsigned char *ready;
    size_t cap;
    uint64_t base;
    int failed;
    int progress;
    long total, done;
    double start_ms, drawn_ms;
};

static size_t error_index(int outcome)
{
    const char *cls = corio_http_error_class(outcome);
    for (size_t i = 0; i < NCLASSES; i++)
        if (!strcmp(cls, error_classes[i]))
            return i;
    return NCLASSES - 1;
}

int check_sink_new(const check_input *in, const char *jsonl, int progress, check_sink **out)
{
    check_sink *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->progress = progress;
    s->total = in->urls;
    s->start_ms = check_now_ms();
    if (jsonl) {
        s->jsonl = strcmp(jsonl, "-") ? fopen(jsonl, "w") : stdout;
        s->urls = s->jsonl ? check_input_reopen(in) : NULL;
        if (!s->urls) {
            int rc = -errno;
            if (s->jsonl && s->jsonl != stdout)
                fclose(s->jsonl);
            free(s);
            return rc;
        }
    }
    *out = s;
    return 0;
}

static void json_string(FILE *f, const char *s)
{
    putc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            putc(c, f);
    }
    putc('"', f);
}

static void write_line(check_sink *s, const check_result *r)
{
    const char *url = "";
    check_input_next(s->urls, &s->line, &s->line_cap, &url);
    fputs("{\"url\":", s->jsonl);
    json_string(s->jsonl, url);
    if (r->outcome > 0)
        fprintf(s->jsonl, ",\"status\":%d,\"error\":null", (int)r->outcome);
    else
        fprintf(s->jsonl, ",\"status\":null,\"error\":\"error:%s\"",
                error_classes[error_index(r->outcome)]);
    fprintf(s->jsonl, ",\"ms\":%.1f,\"bytes\":%llu}\n", r->ms, (unsigned long long)r->bytes);
}

/* Writes every result from base on that is ready, in order. */
static int write_ready(check_sink *s, uint64_t index, const check_result *r)
{
    if (index - s->base >= s->cap) {
        size_t cap = s->cap ? s->cap : 256;
        while (index - s->base >= cap)
            cap *= 2;
        check_result *ring = malloc(cap * sizeof *ring);
        unsigned char *ready = calloc(cap, 1);
        if (!ring || !ready) {
            free(ring);
            free(ready);
            return -ENOMEM;
        }
        for (size_t i = 0; i < s->cap; i++) {
            ring[(s->base + i) % cap] = s->ring[(s->base + i) % s->cap];
            ready[(s->base + i) % cap] = s->ready[(s->base + i) % s->cap];
        }
        free(s->ring);
        free(s->ready);
        s->ring = ring;
        s->ready = ready;
        s->cap = cap;
    }
    s->ring[index % s->cap] = *r;
    s->ready[index % s->cap] = 1;
    while (s->ready[s->base % s->cap]) {
        s->ready[s->base % s->cap] = 0;
        write_line(s, &s->ring[s->base % s->cap]);
        s->base++;
    }
    return 0;
}

static void draw_progress(check_sink *s, double now)
{
    double secs = (now - s->start_ms) / 1000, rate = secs > 0 ? s->done / secs : 0;
    fprintf(stderr, "\r\033[K%ld/%ld  %.0f URLs/s", s->done, s->total, rate);
    if (rate > 0 && s->done < s->total)
        fprintf(stderr, "  ETA %.0f s", (s->total - s->done) / rate);
    s->drawn_ms = now;
}

int check_sink_add(check_sink *s, uint64_t index, const check_result *r)
{
    if (r->outcome > 0 && r->outcome < 1000)
        s->counts.status[r->outcome]++;
    else
        s->counts.error[error_index(r->outcome > 0 ? -EBADMSG : r->outcome)]++;
    s->done++;
    if (s->progress) {
        double now = check_now_ms();
        if (now - s->drawn_ms >= 100)
            draw_progress(s, now);
    }
    if (s->jsonl && !s->failed && write_ready(s, index, r) < 0)
        s->failed = 1;
    return s->failed ? -ENOMEM : 0;
}

int check_sink_free(check_sink *s, check_counts *counts)
{
    int rc = s->failed ? -ENOMEM : 0;
    if (s->progress)
        fputs("\r\033[K", stderr);
    if (s->jsonl) {
        if (s->base != (uint64_t)s->done)
            rc = -EIO; /* a gap: some URL never reported */
        if ((s->jsonl == stdout ? fflush(s->jsonl) : fclose(s->jsonl)) != 0 && rc == 0)
            rc = -EIO;
        fclose(s->urls);
    }
    *counts = s->counts;
    free(s->line);
    free(s->ring);
    free(s->ready);
    free(s);
    return rc;
}

typedef struct key {
    char name[32];
    long n;
} key;

static int key_cmp(const void *a, const void *b)
{
    return strcmp(((const key *)a)->name, ((const key *)b)->name);
}

void check_counts_print(FILE *f, const check_counts *c)
{
    key keys[1000 + NCLASSES];
    size_t n = 0;
    for (int i = 0; i < 1000; i++)
        if (c->status[i]) {
            snprintf(keys[n].name, sizeof keys[n].name, "%d", i);
            keys[n++].n = c->status[i];
        }
    for (size_t i = 0; i < NCLASSES; i++)
        if (c->error[i]) {
            snprintf(keys[n].name, sizeof keys[n].name, "error:%s", error_classes[i]);
            keys[n++].n = c->error[i];
        }
    qsort(keys, n, sizeof keys[0], key_cmp);
    putc('{', f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s\"%s\": %ld", i ? ", " : "", keys[i].name, keys[i].n);
    putc('}', f);
}

int check_counts_equal(const check_counts *a, const check_counts *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}
