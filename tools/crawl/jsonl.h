/* The crawler's JSON Lines output: one object per fetched URL. */
#ifndef CORIO_CRAWL_JSONL_H
#define CORIO_CRAWL_JSONL_H

#include <stdint.h>
#include <stdio.h>

typedef struct page_record {
    const char *url;   /* the final URL, after redirects */
    int status;        /* HTTP status, or 0 when no response came (written as null) */
    int depth;         /* links from a start URL */
    int links;         /* http(s) links found on the page */
    int64_t ms;        /* from the first request to the end of the body */
    uint64_t bytes;    /* body bytes read */
    const char *error; /* an error class, or NULL */
} page_record;

/* Writes s as a JSON string (quotes included): '"', '\\' and control
 * characters escaped, bytes that are not valid UTF-8 replaced by U+FFFD so
 * that every line stays valid JSON whatever a page links to. */
void jsonl_string(FILE *f, const char *s);

/* Writes one line: {"url":…,"status":…,"depth":…,"links":…,"ms":…,"bytes":…,"error":…}. */
void jsonl_record(FILE *f, const page_record *r);

#endif
