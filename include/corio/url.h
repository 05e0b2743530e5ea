/* URLs per RFC 3986: parsing into components, resolving a reference against
 * a base (section 5.2, what a crawler needs for every href), normalising
 * (lower-case scheme and host, default port dropped, dot segments removed,
 * fragment dropped), percent-decoding and query-string lookup.
 *
 * A corio_url owns one allocation holding every component; components that
 * are absent are NULL (an empty one, like the query of "http://a/?", is "").
 * Pure functions: no loop or task needed. */
#ifndef CORIO_URL_H
#define CORIO_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct corio_url {
    char *scheme;   /* lower-cased, e.g. "http" */
    char *userinfo; /* "user:pass" (raw), or NULL */
    char *host;     /* reg-name lower-cased; an IPv6 literal without brackets */
    int port;       /* the explicit port, or -1 (see corio_url_port) */
    char *path;     /* raw (percent-encoded) path, "" when empty */
    char *query;    /* raw, without '?', or NULL */
    char *fragment; /* raw, without '#', or NULL */
    /* private: */
    char *buf_;
} corio_url;

/* Parses an absolute URL or a relative reference (then scheme and perhaps
 * host are NULL). -EINVAL on a malformed URL (bad port, bad percent escape
 * in the authority, control characters or spaces, unbalanced IPv6
 * brackets), -ENOMEM. On success free u with corio_url_free; after a failure
 * u is empty and freeing it is harmless.
 *
 * Userinfo and host must hold only the characters RFC 3986 allows there,
 * plus bytes >= 0x80 (UTF-8 host names pass through), so "a@b@c" is
 * refused. IPv6 literals are checked (an RFC 6874 zone, "%25eth0", is
 * kept in its case); IPvFuture ("[v1.x]") is refused. Path, query and
 * fragment are only checked for control characters and spaces. Escapes keep
 * their case, even in the host. An empty port ("http://a:/") gives -1. */
CORIO_API int corio_url_parse(const char *s, corio_url *u);
CORIO_API void corio_url_free(corio_url *u);

/* The port, or the scheme's default (http 80, https 443, ws 80, wss 443),
 * or -1 if unknown (not an errno: nothing else can go wrong). */
CORIO_API int corio_url_port(const corio_url *u);

/* RFC 3986 section 5.2 (strict): resolves reference ref against the absolute
 * URL base and writes the result, as a string, into out (malloc'ed, the
 * caller frees). -EINVAL if base is not absolute or either is malformed,
 * -ENOMEM. Scheme and host come out lower-cased as corio_url_parse stores
 * them, the port as written. A path that would read back as an authority
 * (base "a:/b", ref "..//c") gets a "/." in front: "a:/.//c". */
CORIO_API int corio_url_resolve(const char *base, const char *ref, char **out);

/* Normalises an absolute http(s) URL for comparing and de-duplicating:
 * scheme and host lower-cased, default port removed, dot segments removed,
 * empty path becomes "/", fragment dropped. Writes a malloc'ed string into
 * out. -EINVAL if not absolute or host missing (or empty, as in
 * "file:///x"), -ENOMEM. Any scheme with a host is accepted; the defaults
 * dropped are those of corio_url_port, a kept port is written without
 * leading zeros. Userinfo, query and percent escapes are left as they are
 * (escapes are neither decoded nor changed in case). */
CORIO_API int corio_url_normalize(const char *s, char **out);

/* Writes the components back as a string (malloc'ed) per RFC 3986 5.3; IPv6
 * hosts (any host with a ':') get their brackets back. Components are
 * written as they are; userinfo and port (when >= 0) only with a host.
 * Paths that would read back differently are guarded: "/" before a rootless
 * path after a host, "/." before "//" without a host, "./" before a first
 * segment with a ':' in a relative reference. -ENOMEM. */
CORIO_API int corio_url_format(const corio_url *u, char **out);

/* Percent-decodes len bytes of s into out (room for len + 1 bytes; '+' is a
 * space when plus_is_space, as in query strings); NUL-terminates. Returns
 * the decoded length, or -EINVAL on a bad escape, leaving out untouched.
 * out may equal s. */
CORIO_API long corio_url_decode(const char *s, size_t len, bool plus_is_space, char *out);

/* Finds key in a raw query string ("a=1&b=x%20y"): decodes the first
 * matching value into out (at most cap - 1 bytes, NUL-terminated) and
 * returns its decoded length; a key present without '=' gives "". -ENOENT
 * when absent, -ENOSPC when the value does not fit, -EINVAL bad escape; out
 * is untouched on error. Keys are compared decoded ('+' a space, a key with
 * a bad escape matches nothing); pairs are separated by '&' only. */
CORIO_API long corio_url_query_get(const char *query, const char *key, char *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
