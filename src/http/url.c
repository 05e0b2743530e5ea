/* URLs per RFC 3986. Every entry point first splits its input into spans
 * pointing into the caller's string, without allocating, then writes its
 * result into one malloc'ed buffer sized from the input lengths. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corio/url.h>

typedef struct span {
    const char *p; /* NULL when the component is absent */
    size_t n;
} span;

typedef struct parts {
    span scheme, userinfo, host, port, path, query, fragment;
    int portnum; /* -1 when the port is absent or empty */
    bool ipv6;   /* the host was in brackets (the span excludes them) */
} parts;

/* Room for what the writers add around the components: "://", "@", "[]",
 * ":", "?", "#", the "/" of a merge or of an empty path, a "/." or "./"
 * guard in front of the path, and the NUL. */
#define URL_SLACK 16

/* Character classes as 128-bit sets over ASCII, one bit per character; a
 * byte >= 0x80 belongs to a class when its high flag is set. */
typedef struct cset {
    uint64_t lo, hi;
    bool high;
} cset;

#define BIT(c)  (1ULL << ((c) % 64))
#define DIGITS  (0x3ffULL << ('0' % 64))
#define LETTERS (0x3ffffffULL << ('A' % 64) | 0x3ffffffULL << ('a' % 64))
#define SUB_DELIMS                                                                                 \
    (BIT('!') | BIT('$') | BIT('&') | BIT('\'') | BIT('(') | BIT(')') | BIT('*') | BIT('+') |      \
     BIT(',') | BIT(';') | BIT('='))

/* ALPHA / DIGIT / "+" / "-" / "." */
static const cset scheme_chars = {DIGITS | BIT('+') | BIT('-') | BIT('.'), LETTERS, false};
/* unreserved / pct-encoded / sub-delims, and UTF-8 as pages write IDNs */
static const cset regname_chars = {DIGITS | BIT('-') | BIT('.') | BIT('%') | SUB_DELIMS,
                                   LETTERS | BIT('_') | BIT('~'), true};
static const cset userinfo_chars = {DIGITS | BIT('-') | BIT('.') | BIT('%') | BIT(':') | SUB_DELIMS,
                                    LETTERS | BIT('_') | BIT('~'), true};
/* unreserved / pct-encoded (RFC 6874) */
static const cset zone_chars = {DIGITS | BIT('-') | BIT('.') | BIT('%'),
                                LETTERS | BIT('_') | BIT('~'), false};

static bool in_set(unsigned char c, const cset *set)
{
    if (c >= 128)
        return set->high;
    return ((c < 64 ? set->lo : set->hi) >> (c % 64)) & 1;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static bool is_alpha(char c)
{
    c |= 0x20;
    return c >= 'a' && c <= 'z';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c | 0x20) : c;
}

/* Every byte of s[0..n) is in set and each '%' starts an escape. */
static bool valid_chars(const char *s, size_t n, const cset *set)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!in_set(c, set))
            return false;
        if (c == '%') {
            if (n - i < 3 || hexval((unsigned char)s[i + 1]) < 0 ||
                hexval((unsigned char)s[i + 2]) < 0)
                return false;
            i += 2;
        }
    }
    return true;
}

/* The inside of "[...]": an IPv6 address, perhaps with an RFC 6874 zone
 * ("fe80::1%25eth0"). IPvFuture is refused: nothing can connect to it, and
 * corio_url has no room to remember its brackets for corio_url_format. */
static bool valid_ipv6(const char *s, size_t n)
{
    const char *zone = memchr(s, '%', n);
    size_t an = zone ? (size_t)(zone - s) : n;
    char addr[INET6_ADDRSTRLEN];
    unsigned char bin[16];
    if (an == 0 || an >= sizeof(addr))
        return false;
    memcpy(addr, s, an);
    addr[an] = '\0';
    if (inet_pton(AF_INET6, addr, bin) != 1)
        return false;
    if (!zone)
        return true;
    size_t zn = n - an;
    return zn > 3 && zone[1] == '2' && zone[2] == '5' && valid_chars(zone + 3, zn - 3, &zone_chars);
}

static int parse_port(parts *u)
{
    int port = 0;
    for (size_t i = 0; i < u->port.n; i++) {
        char c = u->port.p[i];
        if (c < '0' || c > '9')
            return -EINVAL;
        port = port * 10 + (c - '0');
        if (port > 65535)
            return -EINVAL;
    }
    u->portnum = u->port.n > 0 ? port : -1;
    return 0;
}

static int parse_authority(const char *s, size_t n, parts *u)
{
    const char *at = memchr(s, '@', n);
    if (at) {
        u->userinfo = (span){s, (size_t)(at - s)};
        if (!valid_chars(s, u->userinfo.n, &userinfo_chars))
            return -EINVAL;
        n -= u->userinfo.n + 1;
        s = at + 1;
    }
    const char *end = s + n, *hend;
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close || !valid_ipv6(s + 1, (size_t)(close - s - 1)))
            return -EINVAL;
        u->host = (span){s + 1, (size_t)(close - s - 1)};
        u->ipv6 = true;
        hend = close + 1;
        if (hend != end && *hend != ':')
            return -EINVAL;
    } else {
        hend = memchr(s, ':', n);
        if (!hend)
            hend = end;
        u->host = (span){s, (size_t)(hend - s)};
        if (!valid_chars(s, u->host.n, &regname_chars))
            return -EINVAL;
    }
    if (hend == end)
        return 0;
    u->port = (span){hend + 1, (size_t)(end - hend - 1)};
    return parse_port(u);
}

/* Splits s[0..n) as in RFC 3986 appendix B, validating as it goes. */
static int split(const char *s, size_t n, parts *u)
{
    *u = (parts){.portnum = -1};
    /* Without an early exit the compiler vectorises this. */
    bool ctl = false;
    for (size_t i = 0; i < n; i++)
        ctl |= ((unsigned char)s[i] <= 0x20) | (s[i] == 0x7f);
    if (ctl)
        return -EINVAL;
    const char *p = s, *end = s + n;
    size_t i = 0;
    while (i < n && in_set((unsigned char)s[i], &scheme_chars))
        i++;
    if (i > 0 && i < n && s[i] == ':' && is_alpha(s[0])) {
        u->scheme = (span){s, i};
        p = s + i + 1;
    }
    if (end - p >= 2 && p[0] == '/' && p[1] == '/') {
        const char *a = p + 2;
        p = a;
        while (p < end && *p != '/' && *p != '?' && *p != '#')
            p++;
        int rc = parse_authority(a, (size_t)(p - a), u);
        if (rc < 0)
            return rc;
    }
    const char *q = memchr(p, '?', (size_t)(end - p)), *h = memchr(p, '#', (size_t)(end - p));
    if (!q || (h && h < q))
        q = h ? h : end;
    u->path = (span){p, (size_t)(q - p)};
    /* A colon in the first segment of a relative-path reference would make
     * it a scheme: "1a:b" is neither. */
    if (!u->scheme.p && !u->host.p) {
        const char *slash = memchr(p, '/', u->path.n);
        if (memchr(p, ':', slash ? (size_t)(slash - p) : u->path.n))
            return -EINVAL;
    }
    if (q < end && *q == '?') {
        const char *f = memchr(q, '#', (size_t)(end - q));
        if (!f)
            f = end;
        u->query = (span){q + 1, (size_t)(f - q - 1)};
        q = f;
    }
    if (q < end)
        u->fragment = (span){q + 1, (size_t)(end - q - 1)};
    return 0;
}

static char *put(char *w, span s)
{
    if (s.n)
        memcpy(w, s.p, s.n);
    return w + s.n;
}

/* Lower-cases ASCII letters but not the hex digits of escapes (RFC 3986
 * 6.2.2.1 prefers them upper-case) nor an IPv6 zone after its '%'. */
static char *put_lower(char *w, span s, bool ipv6)
{
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] == '%') {
            size_t rest = ipv6 ? s.n - i : (s.n - i < 3 ? s.n - i : 3);
            memcpy(w, s.p + i, rest);
            w += rest;
            i += rest - 1;
            continue;
        }
        *w++ = lower(s.p[i]);
    }
    return w;
}

/* scheme ":" "//" authority, the part before the path (RFC 3986 5.3). */
static char *put_head(char *w, const parts *t, bool lowercase)
{
    if (t->scheme.p) {
        w = lowercase ? put_lower(w, t->scheme, false) : put(w, t->scheme);
        *w++ = ':';
    }
    if (!t->host.p)
        return w;
    *w++ = '/';
    *w++ = '/';
    if (t->userinfo.p) {
        w = put(w, t->userinfo);
        *w++ = '@';
    }
    if (t->ipv6)
        *w++ = '[';
    w = lowercase ? put_lower(w, t->host, t->ipv6) : put(w, t->host);
    if (t->ipv6)
        *w++ = ']';
    if (t->port.p) {
        *w++ = ':';
        w = put(w, t->port);
    }
    return w;
}

static char *put_tail(char *w, const parts *t)
{
    if (t->query.p) {
        *w++ = '?';
        w = put(w, t->query);
    }
    if (t->fragment.p) {
        *w++ = '#';
        w = put(w, t->fragment);
    }
    *w = '\0';
    return w;
}

static char *prefix_path(char *path, char *w, const char *pre, size_t n)
{
    memmove(path + n, path, (size_t)(w - path));
    memcpy(path, pre, n);
    return w + n;
}

/* Keeps the path [path, w) from being read back as something else: after
 * an authority it must start with '/'; without one it must not start with
 * "//" (an authority) nor, in a relative reference, have a colon in its
 * first segment (a scheme). Only resolving odd bases such as "a:/b" against
 * "..//c", or formatting hand-built structs, gets here. */
static char *guard_path(char *path, char *w, const parts *t)
{
    size_t n = (size_t)(w - path);
    if (t->host.p)
        return n > 0 && path[0] != '/' ? prefix_path(path, w, "/", 1) : w;
    if (n >= 2 && path[0] == '/' && path[1] == '/')
        return prefix_path(path, w, "/.", 2);
    if (t->scheme.p)
        return w;
    const char *slash = memchr(path, '/', n);
    if (memchr(path, ':', slash ? (size_t)(slash - path) : n))
        return prefix_path(path, w, "./", 2);
    return w;
}

/* The last segment of the output and the '/' before it. */
static size_t pop_segment(const char *p, size_t w)
{
    while (w > 0 && p[w - 1] != '/')
        w--;
    return w > 0 ? w - 1 : 0;
}

/* RFC 3986 5.2.4 in place: the output never outgrows what was read. */
static size_t remove_dots(char *p, size_t n)
{
    size_t r = 0, w = 0;
    while (r < n) {
        const char *in = p + r;
        size_t left = n - r;
        if (left >= 3 && in[0] == '.' && in[1] == '.' && in[2] == '/') {
            r += 3;
        } else if (left >= 2 && in[0] == '.' && in[1] == '/') {
            r += 2;
        } else if (left >= 3 && in[0] == '/' && in[1] == '.' && in[2] == '/') {
            r += 2;
        } else if (left == 2 && in[0] == '/' && in[1] == '.') {
            p[w++] = '/';
            r = n;
        } else if (left >= 4 && in[0] == '/' && in[1] == '.' && in[2] == '.' && in[3] == '/') {
            w = pop_segment(p, w);
            r += 3;
        } else if (left == 3 && in[0] == '/' && in[1] == '.' && in[2] == '.') {
            w = pop_segment(p, w);
            p[w++] = '/';
            r = n;
        } else if ((left == 1 && in[0] == '.') || (left == 2 && in[0] == '.' && in[1] == '.')) {
            r = n;
        } else {
            size_t e = r + 1;
            while (e < n && p[e] != '/')
                e++;
            memmove(p + w, in, e - r);
            w += e - r;
            r = e;
        }
    }
    return w;
}

int corio_url_parse(const char *s, corio_url *u)
{
    *u = (corio_url){.port = -1};
    size_t n = strlen(s);
    parts t;
    int rc = split(s, n, &t);
    if (rc < 0)
        return rc;
    /* Each component is a distinct piece of s: n bytes and six NULs. */
    char *buf = malloc(n + 7), *w = buf;
    if (!buf)
        return -ENOMEM;
    span *from[] = {&t.scheme, &t.userinfo, &t.host, &t.path, &t.query, &t.fragment};
    char **to[] = {&u->scheme, &u->userinfo, &u->host, &u->path, &u->query, &u->fragment};
    for (size_t i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
        if (!from[i]->p)
            continue;
        *to[i] = w;
        w = i == 0 || i == 2 ? put_lower(w, *from[i], t.ipv6 && i == 2) : put(w, *from[i]);
        *w++ = '\0';
    }
    u->port = t.portnum;
    u->buf_ = buf;
    return 0;
}

void corio_url_free(corio_url *u)
{
    free(u->buf_);
    *u = (corio_url){.port = -1};
}

static int default_port(const char *s, size_t n)
{
    static const struct {
        const char *scheme;
        int port;
    } defaults[] = {{"http", 80}, {"https", 443}, {"ws", 80}, {"wss", 443}};
    for (size_t i = 0; s && i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        const char *d = defaults[i].scheme;
        size_t j = 0;
        while (j < n && d[j] && lower(s[j]) == d[j])
            j++;
        if (j == n && !d[j])
            return defaults[i].port;
    }
    return -1;
}

int corio_url_port(const corio_url *u)
{
    if (u->port >= 0)
        return u->port;
    return u->scheme ? default_port(u->scheme, strlen(u->scheme)) : -1;
}

int corio_url_resolve(const char *base, const char *ref, char **out)
{
    size_t bn = strlen(base), rn = strlen(ref);
    parts b, t;
    int rc = split(base, bn, &b);
    if (rc < 0)
        return rc;
    if (!b.scheme.p)
        return -EINVAL;
    rc = split(ref, rn, &t);
    if (rc < 0)
        return rc;
    /* RFC 3986 5.2.2, with t starting as the reference; the merged path
     * (5.2.3) is prefix followed by t.path. */
    span prefix = {"", 0};
    bool dots = true;
    if (!t.scheme.p) {
        if (!t.host.p) {
            t.userinfo = b.userinfo;
            t.host = b.host;
            t.port = b.port;
            t.ipv6 = b.ipv6;
            if (t.path.n == 0) {
                t.path = b.path;
                dots = false;
                if (!t.query.p)
                    t.query = b.query;
            } else if (t.path.p[0] != '/') {
                if (b.host.p && b.path.n == 0) {
                    prefix = (span){"/", 1};
                } else {
                    prefix = b.path;
                    while (prefix.n > 0 && prefix.p[prefix.n - 1] != '/')
                        prefix.n--;
                }
            }
        }
        t.scheme = b.scheme;
    }
    char *buf = malloc(bn + rn + URL_SLACK);
    if (!buf)
        return -ENOMEM;
    char *path = put_head(buf, &t, true), *w = put(put(path, prefix), t.path);
    if (dots)
        w = path + remove_dots(path, (size_t)(w - path));
    w = guard_path(path, w, &t);
    put_tail(w, &t);
    *out = buf;
    return 0;
}

int corio_url_normalize(const char *s, char **out)
{
    size_t n = strlen(s);
    parts t;
    int rc = split(s, n, &t);
    if (rc < 0)
        return rc;
    if (!t.scheme.p || !t.host.n)
        return -EINVAL;
    /* Decimal without leading zeros is never longer than the digits read. */
    char port[8];
    t.port = (span){0};
    if (t.portnum >= 0 && t.portnum != default_port(t.scheme.p, t.scheme.n))
        t.port = (span){port, (size_t)snprintf(port, sizeof(port), "%d", t.portnum)};
    t.fragment = (span){0};
    char *buf = malloc(n + URL_SLACK);
    if (!buf)
        return -ENOMEM;
    char *path = put_head(buf, &t, true), *w = put(path, t.path);
    w = path + remove_dots(path, (size_t)(w - path));
    if (w == path)
        *w++ = '/';
    put_tail(w, &t);
    *out = buf;
    return 0;
}

static span str_span(const char *s)
{
    return (span){s, s ? strlen(s) : 0};
}

int corio_url_format(const corio_url *u, char **out)
{
    parts t = {
        .scheme = str_span(u->scheme),
        .userinfo = str_span(u->userinfo),
        .host = str_span(u->host),
        .path = str_span(u->path),
        .query = str_span(u->query),
        .fragment = str_span(u->fragment),
        .ipv6 = u->host && strchr(u->host, ':'),
    };
    char port[16];
    if (u->port >= 0)
        t.port = (span){port, (size_t)snprintf(port, sizeof(port), "%d", u->port)};
    char *buf = malloc(t.scheme.n + t.userinfo.n + t.host.n + t.port.n + t.path.n + t.query.n +
                       t.fragment.n + URL_SLACK);
    if (!buf)
        return -ENOMEM;
    char *path = put_head(buf, &t, false), *w = put(path, t.path);
    w = guard_path(path, w, &t);
    put_tail(w, &t);
    *out = buf;
    return 0;
}

/* The length s[0..len) decodes to, or -EINVAL. */
static long decoded_len(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++, n++) {
        if (s[i] != '%')
            continue;
        if (len - i < 3 || hexval((unsigned char)s[i + 1]) < 0 ||
            hexval((unsigned char)s[i + 2]) < 0)
            return -EINVAL;
        i += 2;
    }
    return (long)n;
}

/* Decodes s[0..len), already checked by decoded_len. */
static size_t decode(const char *s, size_t len, char *out, int plus_is_space)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            c = (char)(hexval((unsigned char)s[i + 1]) << 4 | hexval((unsigned char)s[i + 2]));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        out[n++] = c;
    }
    out[n] = '\0';
    return n;
}

long corio_url_decode(const char *s, size_t len, bool plus_is_space, char *out)
{
    /* Checking first leaves out (perhaps s itself) untouched on error. */
    long n = decoded_len(s, len);
    if (n < 0)
        return n;
    decode(s, len, out, plus_is_space);
    return n;
}

/* Whether the raw query key s[0..n) decodes to key[0..klen). */
static bool key_matches(const char *s, size_t n, const char *key, size_t klen)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++, k++) {
        char c = s[i];
        if (c == '%') {
            if (n - i < 3)
                return false;
            int hi = hexval((unsigned char)s[i + 1]), lo = hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0)
                return false;
            c = (char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (k == klen || key[k] != c)
            return false;
    }
    return k == klen;
}

long corio_url_query_get(const char *query, const char *key, char *out, size_t cap)
{
    if (!query)
        return -ENOENT;
    size_t klen = strlen(key);
    for (const char *p = query; *p;) {
        const char *end = p;
        while (*end && *end != '&')
            end++;
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (end > p && key_matches(p, (size_t)((eq ? eq : end) - p), key, klen)) {
            const char *v = eq ? eq + 1 : end;
            long n = decoded_len(v, (size_t)(end - v));
            if (n < 0)
                return n;
            if ((size_t)n >= cap)
                return -ENOSPC;
            decode(v, (size_t)(end - v), out, 1);
            return n;
        }
        p = *end ? end + 1 : end;
    }
    return -ENOENT;
}
