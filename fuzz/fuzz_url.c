/* libFuzzer target for src/http/url.c. The input is one URL, or a base and a
 * reference separated by a newline. Besides crashes and sanitizer reports it
 * aborts when a round trip disagrees: format(parse(s)) must parse and format
 * to itself, a resolved URL must parse, and normalising is idempotent. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <corio/url.h>

#define BASE "http://a/b/c/d;p?q"

static void check(int ok)
{
    if (!ok)
        abort();
}

static void round_trip(const char *s)
{
    corio_url u;
    char *out, *again;
    int rc = corio_url_parse(s, &u);
    check(rc == 0 || rc == -EINVAL);
    if (rc < 0)
        return;
    check(corio_url_format(&u, &out) == 0);
    corio_url_free(&u);
    check(corio_url_parse(out, &u) == 0);
    check(corio_url_format(&u, &again) == 0);
    check(strcmp(out, again) == 0);
    free(again);
    free(out);
    corio_url_free(&u);
}

static void resolve(const char *base, const char *ref)
{
    char *out;
    int rc = corio_url_resolve(base, ref, &out);
    check(rc == 0 || rc == -EINVAL);
    if (rc < 0)
        return;
    round_trip(out);
    free(out);
}

static void normalize(const char *s)
{
    char *out, *again;
    int rc = corio_url_normalize(s, &out);
    check(rc == 0 || rc == -EINVAL);
    if (rc < 0)
        return;
    check(corio_url_normalize(out, &again) == 0);
    check(strcmp(out, again) == 0);
    free(again);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1), *buf = malloc(size + 1);
    if (!s || !buf)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    size_t len = strlen(s);

    round_trip(s);
    resolve(BASE, s);
    resolve(s, "../g;x?y#s");
    normalize(s);
    long n = corio_url_decode(s, len, true, buf);
    check(n == -EINVAL || (n >= 0 && (size_t)n <= len));
    char value[16];
    n = corio_url_query_get(s, "a", value, sizeof(value));
    check(n == -ENOENT || n == -EINVAL || n == -ENOSPC || (n >= 0 && n < (long)sizeof(value)));

    char *nl = strchr(s, '\n');
    if (nl) {
        *nl = '\0';
        resolve(s, nl + 1);
    }
    free(buf);
    free(s);
    return 0;
}
