#include "jsonl.h"

#include <inttypes.h>
#include <stddef.h>

/* The length of the valid UTF-8 sequence at s, or 0 if there is none. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n;
    uint32_t cp;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2, cp = s[0] & 0x1fu;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3, cp = s[0] & 0x0fu;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4, cp = s[0] & 0x07u;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
            return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

void jsonl_string(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    putc('"', f);
    while (*p) {
        size_t n = utf8_len(p);
        if (n == 0) {
            fputs("\\ufffd", f);
            p++;
        } else if (*p == '"' || *p == '\\') {
            fprintf(f, "\\%c", *p++);
        } else if (*p < 0x20 || *p == 0x7f) {
            fprintf(f, "\\u%04x", *p++);
        } else {
            fwrite(p, 1, n, f);
            p += n;
        }
    }
    putc('"', f);
}

void jsonl_record(FILE *f, const page_record *r)
{
    fputs("{\"url\":", f);
    jsonl_string(f, r->url);
    if (r->status)
        fprintf(f, ",\"status\":%d", r->status);
    else
        fputs(",\"status\":null", f);
    fprintf(f, ",\"depth\":%d,\"links\":%d,\"ms\":%" PRId64 ",\"bytes\":%" PRIu64 ",\"error\":",
            r->depth, r->links, r->ms, r->bytes);
    if (r->error)
        jsonl_string(f, r->error);
    else
        fputs("null", f);
    fputs("}\n", f);
}
