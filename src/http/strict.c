/* What the server refuses in a request head beyond what llhttp (built
 * strict) refuses: each is a way to make two parsers disagree about where a
 * request ends or what it asks for. */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "http.h"

/* RFC 9110's tchar: what a method token is made of. */
static bool tchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

bool corio__http_could_be_request(const char *p, size_t n)
{
    size_t i = 0, method = 0;
    while (i < n && tchar((unsigned char)p[i]))
        i++;
    return i == n || (p[i] == ' ' && i > method);
}

int corio__http_check_line(const char *line, size_t n)
{
    while (n && (line[n - 1] == '\r' || line[n - 1] == '\n'))
        n--;
    const char *sp = memchr(line, ' ', n);
    const char *last = sp ? memrchr(line, ' ', n) : NULL;
    if (!sp || last == sp) /* "GET /": no version at all */
        return 400;
    const char *v = last + 1;
    size_t vn = (size_t)(line + n - v);
    if (vn != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.')
        return 400;
    if (memcmp(v + 5, "1.0", 3) != 0 && memcmp(v + 5, "1.1", 3) != 0)
        return 505; /* 0.9, 1.2, 2.0 alike: not a version this server speaks */
    return 0;
}

int corio__http_check_headers(const http_hdrs *h, int minor, const char **why)
{
    size_t hosts = 0, codings = 0;
    const char *te = NULL;
    for (size_t i = 0; i < h->n; i++) {
        if (corio__http_hdr_is(&h->v[i], LIT("Host")))
            hosts++;
        else if (corio__http_hdr_is(&h->v[i], LIT("Transfer-Encoding")))
            codings++, te = h->v[i].value;
    }
    if (hosts > 1 || (minor >= 1 && hosts == 0)) {
        *why = hosts ? "more than one Host" : "HTTP/1.1 without Host";
        return 400;
    }
    /* Only chunked is ever decoded: anything else, or a list, would leave
     * the body's end to a guess. */
    if (codings > 1 || (te && strcasecmp(te, "chunked") != 0)) {
        *why = "a transfer coding other than chunked";
        return 501;
    }
    return 0;
}
