/* URLs: parsing, RFC 3986 section 5.4 resolution, normalising, formatting,
 * percent-decoding and query lookup. No loop: pure functions. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <corio/url.h>

#define BASE "http://a/b/c/d;p?q"

static const char *const rfc_examples[][2] = {
    /* 5.4.1 normal examples */
    {"g:h", "g:h"},
    {"g", "http://a/b/c/g"},
    {"./g", "http://a/b/c/g"},
    {"g/", "http://a/b/c/g/"},
    {"/g", "http://a/g"},
    {"//g", "http://g"},
    {"?y", "http://a/b/c/d;p?y"},
    {"g?y", "http://a/b/c/g?y"},
    {"#s", "http://a/b/c/d;p?q#s"},
    {"g#s", "http://a/b/c/g#s"},
    {"g?y#s", "http://a/b/c/g?y#s"},
    {";x", "http://a/b/c/;x"},
    {"g;x", "http://a/b/c/g;x"},
    {"g;x?y#s", "http://a/b/c/g;x?y#s"},
    {"", "http://a/b/c/d;p?q"},
    {".", "http://a/b/c/"},
    {"./", "http://a/b/c/"},
    {"..", "http://a/b/"},
    {"../", "http://a/b/"},
    {"../g", "http://a/b/g"},
    {"../..", "http://a/"},
    {"../../", "http://a/"},
    {"../../g", "http://a/g"},
    /* 5.4.2 abnormal examples */
    {"../../../g", "http://a/g"},
    {"../../../../g", "http://a/g"},
    {"/./g", "http://a/g"},
    {"/../g", "http://a/g"},
    {"g.", "http://a/b/c/g."},
    {".g", "http://a/b/c/.g"},
    {"g..", "http://a/b/c/g.."},
    {"..g", "http://a/b/c/..g"},
    {"./../g", "http://a/b/g"},
    {"./g/.", "http://a/b/c/g/"},
    {"g/./h", "http://a/b/c/g/h"},
    {"g/../h", "http://a/b/c/h"},
    {"g;x=1/./y", "http://a/b/c/g;x=1/y"},
    {"g;x=1/../y", "http://a/b/c/y"},
    {"g?y/./x", "http://a/b/c/g?y/./x"},
    {"g?y/../x", "http://a/b/c/g?y/../x"},
    {"g#s/./x", "http://a/b/c/g#s/./x"},
    {"g#s/../x", "http://a/b/c/g#s/../x"},
    {"http:g", "http:g"},
};

static void expect_resolve(const char *base, const char *ref, const char *want)
{
    char *out = NULL;
    int rc = corio_url_resolve(base, ref, &out);
    cr_assert_eq(rc, 0, "resolve(%s, %s) = %d", base, ref, rc);
    cr_expect_str_eq(out, want, "resolve(%s, %s)", base, ref);
    free(out);
}

Test(url, rfc3986_examples)
{
    for (size_t i = 0; i < sizeof(rfc_examples) / sizeof(rfc_examples[0]); i++)
        expect_resolve(BASE, rfc_examples[i][0], rfc_examples[i][1]);
}

Test(url, resolve_edges)
{
    /* A base without authority: the merged path must not turn into one. */
    expect_resolve("a:/b", "..//c", "a:/.//c");
    expect_resolve("http://a", "g", "http://a/g");
    expect_resolve("http://a", "?x", "http://a?x");
    expect_resolve("HTTP://A.Example/x#frag", "y", "http://a.example/y");
    expect_resolve("http://a/b", "//[::1]:81/x/../y", "http://[::1]:81/y");
    expect_resolve("http://u@a:8/b/c", "d", "http://u@a:8/b/d");
    expect_resolve("https://a/b", "HTTPS://B/c", "https://b/c");
    char *out = (char *)"untouched";
    cr_expect_eq(corio_url_resolve("/relative/base", "g", &out), -EINVAL);
    cr_expect_eq(corio_url_resolve("http://a b/", "g", &out), -EINVAL);
    cr_expect_eq(corio_url_resolve(BASE, "g h", &out), -EINVAL);
    cr_expect_eq(corio_url_resolve(BASE, "1x:y", &out), -EINVAL);
    cr_expect_str_eq(out, "untouched");
}

Test(url, parse_components)
{
    corio_url u;
    cr_assert_eq(corio_url_parse("HTTP://User:Pa%20ss@WWW.Example.COM:8080/A/b%2F?x=1&Y#Frag", &u),
                 0);
    cr_expect_str_eq(u.scheme, "http");
    cr_expect_str_eq(u.userinfo, "User:Pa%20ss");
    cr_expect_str_eq(u.host, "www.example.com");
    cr_expect_eq(u.port, 8080);
    cr_expect_eq(corio_url_port(&u), 8080);
    cr_expect_str_eq(u.path, "/A/b%2F");
    cr_expect_str_eq(u.query, "x=1&Y");
    cr_expect_str_eq(u.fragment, "Frag");
    corio_url_free(&u);

    cr_assert_eq(corio_url_parse("http://a", &u), 0);
    cr_expect_str_eq(u.host, "a");
    cr_expect_str_eq(u.path, "");
    cr_expect_null(u.userinfo);
    cr_expect_null(u.query);
    cr_expect_null(u.fragment);
    cr_expect_eq(u.port, -1);
    cr_expect_eq(corio_url_port(&u), 80);
    corio_url_free(&u);

    cr_assert_eq(corio_url_parse("http://a/?#", &u), 0);
    cr_expect_str_eq(u.query, "");
    cr_expect_str_eq(u.fragment, "");
    corio_url_free(&u);

    /* Escapes in the host keep their case; the path keeps a stray '%'. */
    cr_assert_eq(corio_url_parse("http://%C3%A9X.Com/100%", &u), 0);
    cr_expect_str_eq(u.host, "%C3%A9x.com");
    cr_expect_str_eq(u.path, "/100%");
    corio_url_free(&u);

    cr_assert_eq(corio_url_parse("file:///etc/hosts", &u), 0);
    cr_expect_str_eq(u.scheme, "file");
    cr_expect_str_eq(u.host, "");
    cr_expect_str_eq(u.path, "/etc/hosts");
    corio_url_free(&u);

    cr_assert_eq(corio_url_parse("mailto:Someone@Example.com", &u), 0);
    cr_expect_str_eq(u.scheme, "mailto");
    cr_expect_null(u.host);
    cr_expect_str_eq(u.path, "Someone@Example.com");
    corio_url_free(&u);
}

Test(url, parse_relative)
{
    corio_url u;
    cr_assert_eq(corio_url_parse("../x?y#z", &u), 0);
    cr_expect_null(u.scheme);
    cr_expect_null(u.host);
    cr_expect_str_eq(u.path, "../x");
    cr_expect_str_eq(u.query, "y");
    cr_expect_str_eq(u.fragment, "z");
    cr_expect_eq(corio_url_port(&u), -1);
    corio_url_free(&u);

    cr_assert_eq(corio_url_parse("//H:1/p", &u), 0);
    cr_expect_null(u.scheme);
    cr_expect_str_eq(u.host, "h");
    cr_expect_eq(u.port, 1);
    cr_expect_str_eq(u.path, "/p");
    corio_url_free(&u);

    cr_assert_eq(corio_url_parse("", &u), 0);
    cr_expect_null(u.scheme);
    cr_expect_null(u.host);
    cr_expect_str_eq(u.path, "");
    corio_url_free(&u);

    cr_assert_eq(corio_url_parse("./a:b", &u), 0);
    cr_expect_str_eq(u.path, "./a:b");
    corio_url_free(&u);

    cr_expect_eq(corio_url_parse("1a:b", &u), -EINVAL);
    cr_expect_eq(corio_url_parse(":b", &u), -EINVAL);
    cr_expect_eq(corio_url_parse("a_b:c", &u), -EINVAL);
    /* A failed parse leaves u safe to free. */
    corio_url_free(&u);
}

Test(url, ports)
{
    static const struct {
        const char *url;
        int port, effective;
    } ok[] = {
        {"http://a:0/", 0, 0},       {"http://a:65535/", 65535, 65535},
        {"http://a:/", -1, 80},      {"https://a", -1, 443},
        {"ws://a", -1, 80},          {"wss://a", -1, 443},
        {"ftp://a", -1, -1},         {"https://a:8443", 8443, 8443},
        {"http://a:00080/", 80, 80}, {"http://[::1]:/", -1, 80},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        corio_url u;
        cr_assert_eq(corio_url_parse(ok[i].url, &u), 0, "%s", ok[i].url);
        cr_expect_eq(u.port, ok[i].port, "%s", ok[i].url);
        cr_expect_eq(corio_url_port(&u), ok[i].effective, "%s", ok[i].url);
        corio_url_free(&u);
    }
    static const char *const bad[] = {
        "http://a:65536/", "http://a:99999999999999999999/",
        "http://a:8a/",    "http://a:-1/",
        "http://a:+80/",   "http://a:80:80/",
        "http://a: 80/",   "http://a:0x50/",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        corio_url u;
        cr_expect_eq(corio_url_parse(bad[i], &u), -EINVAL, "%s", bad[i]);
    }
}

Test(url, ipv6_literals)
{
    corio_url u;
    cr_assert_eq(corio_url_parse("http://[::1]:8080/x", &u), 0);
    cr_expect_str_eq(u.host, "::1");
    cr_expect_eq(u.port, 8080);
    cr_expect_str_eq(u.path, "/x");
    corio_url_free(&u);

    cr_assert_eq(corio_url_parse("http://u@[2001:DB8::7]", &u), 0);
    cr_expect_str_eq(u.userinfo, "u");
    cr_expect_str_eq(u.host, "2001:db8::7");
    cr_expect_eq(u.port, -1);
    corio_url_free(&u);

    cr_assert_eq(corio_url_parse("http://[::FFFF:1.2.3.4]/", &u), 0);
    cr_expect_str_eq(u.host, "::ffff:1.2.3.4");
    corio_url_free(&u);

    /* The zone (RFC 6874) names an interface: its case is kept. */
    cr_assert_eq(corio_url_parse("http://[FE80::1%25Eth0]/", &u), 0);
    cr_expect_str_eq(u.host, "fe80::1%25Eth0");
    corio_url_free(&u);

    static const char *const bad[] = {
        "http://[::1/",       "http://::1]/",     "http://[::1]x/", "http://[zz::1]/",
        "http://[]/",         "http://[v1.x]/",   "http://a]b/",    "http://[::1]]/",
        "http://[::1%eth0]/", "http://[::1%25]/", "http://a[::1]/", "http://[1:2:3:4:5:6:7:8:9]/",
        "http://[::1]:x/",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_eq(corio_url_parse(bad[i], &u), -EINVAL, "%s", bad[i]);
}

Test(url, userinfo)
{
    corio_url u;
    cr_assert_eq(corio_url_parse("ftp://anonymous:Secret%40x@ftp.example:21/", &u), 0);
    cr_expect_str_eq(u.userinfo, "anonymous:Secret%40x");
    cr_expect_str_eq(u.host, "ftp.example");
    cr_expect_eq(u.port, 21);
    corio_url_free(&u);

    cr_assert_eq(corio_url_parse("http://@a/", &u), 0);
    cr_expect_str_eq(u.userinfo, "");
    cr_expect_str_eq(u.host, "a");
    corio_url_free(&u);

    cr_expect_eq(corio_url_parse("http://a@b@c/", &u), -EINVAL);
    cr_expect_eq(corio_url_parse("http://u%4@a/", &u), -EINVAL);
    cr_expect_eq(corio_url_parse("http://u<@a/", &u), -EINVAL);
}

Test(url, rejects_malformed)
{
    static const char *const bad[] = {
        "http://a/b c", "http://a/\tb", "http://a/\x7f", "\x01",          "http://a b/",
        " http://a/",   "http://a/\n",  "http://a%2/",   "http://a%zz/",  "http://a%/",
        "http://a<b/",  "http://a\\b/", "http://a{/",    "http://a/?x y", "http://a/#\r",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        corio_url u;
        cr_expect_eq(corio_url_parse(bad[i], &u), -EINVAL, "%s", bad[i]);
        char *out;
        cr_expect_eq(corio_url_normalize(bad[i], &out), -EINVAL, "%s", bad[i]);
    }
}

static void expect_normalize(const char *in, const char *want)
{
    char *out = NULL;
    int rc = corio_url_normalize(in, &out);
    cr_assert_eq(rc, 0, "normalize(%s) = %d", in, rc);
    cr_expect_str_eq(out, want, "normalize(%s)", in);
    free(out);
}

Test(url, normalize)
{
    expect_normalize("HTTP://WWW.Example.COM:80/a/./b/../c?Q=1#frag",
                     "http://www.example.com/a/c?Q=1");
    expect_normalize("https://a:443", "https://a/");
    expect_normalize("https://a:80/", "https://a:80/");
    expect_normalize("http://a:443/", "http://a:443/");
    expect_normalize("http://a:0080/", "http://a/");
    expect_normalize("http://a:08080/", "http://a:8080/");
    expect_normalize("http://a:/x", "http://a/x");
    expect_normalize("http://a?x", "http://a/?x");
    expect_normalize("http://a/?", "http://a/?");
    expect_normalize("http://a/x#", "http://a/x");
    expect_normalize("http://a/%7e%7E", "http://a/%7e%7E");
    expect_normalize("http://a/../../x/..", "http://a/");
    expect_normalize("http://a/b/c/./../../g", "http://a/g");
    expect_normalize("http://a/?q=/../x", "http://a/?q=/../x");
    expect_normalize("http://[::1]:80/../x", "http://[::1]/x");
    expect_normalize("http://U:P@A.B/", "http://U:P@a.b/");
    expect_normalize("ftp://a:21/", "ftp://a:21/");

    char *out = (char *)"untouched";
    cr_expect_eq(corio_url_normalize("/relative", &out), -EINVAL);
    cr_expect_eq(corio_url_normalize("//a/b", &out), -EINVAL);
    cr_expect_eq(corio_url_normalize("mailto:x@y", &out), -EINVAL);
    cr_expect_eq(corio_url_normalize("file:///etc", &out), -EINVAL);
    cr_expect_eq(corio_url_normalize("http://a:99999/", &out), -EINVAL);
    cr_expect_str_eq(out, "untouched");
}

Test(url, format_round_trips)
{
    static const char *const same[] = {
        "http://u:p@h:8/p?q#f",
        "http://[::1]:80/",
        "http://[fe80::1%25Eth0]/",
        "g:h",
        "http:g",
        "//g",
        "?y",
        "#s",
        "",
        "../x",
        "http://a",
        "http://a/?",
        "http://a#",
        "mailto:x@y",
        "file:///etc",
        "http://@a/",
        "http://a/%7E?%zz#%",
    };
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        corio_url u;
        char *out;
        cr_assert_eq(corio_url_parse(same[i], &u), 0, "%s", same[i]);
        cr_assert_eq(corio_url_format(&u, &out), 0);
        cr_expect_str_eq(out, same[i]);
        free(out);
        corio_url_free(&u);
    }

    corio_url u;
    char *out;
    cr_assert_eq(corio_url_parse("HTTP://A.B:/x", &u), 0);
    cr_assert_eq(corio_url_format(&u, &out), 0);
    cr_expect_str_eq(out, "http://a.b/x");
    free(out);
    corio_url_free(&u);

    /* Hand-built structs get what keeps them from reading back differently. */
    static const struct {
        corio_url u;
        const char *want;
    } built[] = {
        {{.host = "h", .path = "x", .port = -1}, "//h/x"},
        {{.path = "a:b", .port = -1}, "./a:b"},
        {{.path = "//x", .port = -1}, "/.//x"},
        {{.scheme = "s", .path = "//x", .port = -1}, "s:/.//x"},
        {{.scheme = "http", .host = "::1", .port = 443, .path = "/"}, "http://[::1]:443/"},
        {{.scheme = "Http", .host = "A", .port = -1}, "Http://A"},
        {{.scheme = "http", .userinfo = "u", .port = 8, .path = "/"}, "http:/"},
    };
    for (size_t i = 0; i < sizeof(built) / sizeof(built[0]); i++) {
        cr_assert_eq(corio_url_format(&built[i].u, &out), 0);
        cr_expect_str_eq(out, built[i].want);
        free(out);
    }
}

Test(url, decode)
{
    char out[32];
    cr_expect_eq(corio_url_decode("a%20b+c", 7, true, out), 5);
    cr_expect_str_eq(out, "a b c");
    cr_expect_eq(corio_url_decode("a%20b+c", 7, false, out), 5);
    cr_expect_str_eq(out, "a b+c");
    cr_expect_eq(corio_url_decode("%41BC", 3, false, out), 1);
    cr_expect_str_eq(out, "A");
    cr_expect_eq(corio_url_decode("%c3%A9", 6, false, out), 2);
    cr_expect_str_eq(out, "\xc3\xa9");
    cr_expect_eq(corio_url_decode("x%00y", 5, false, out), 3);
    cr_expect_eq(memcmp(out, "x\0y", 4), 0);
    cr_expect_eq(corio_url_decode("", 0, false, out), 0);
    cr_expect_str_eq(out, "");

    char in_place[] = "%7Euser%2Fdir";
    cr_expect_eq(corio_url_decode(in_place, strlen(in_place), false, in_place), 9);
    cr_expect_str_eq(in_place, "~user/dir");

    static const char *const bad[] = {"%", "%2", "%zz", "a%g1", "abc%4"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_eq(corio_url_decode(bad[i], strlen(bad[i]), false, out), -EINVAL, "%s", bad[i]);
    /* The length bounds the escape: "%41" cut to "%4" is bad. */
    cr_expect_eq(corio_url_decode("%41", 2, false, out), -EINVAL);

    char kept[] = "ok%zz";
    cr_expect_eq(corio_url_decode(kept, strlen(kept), false, kept), -EINVAL);
    cr_expect_str_eq(kept, "ok%zz");
}

Test(url, query_get)
{
    const char *q = "a=1&b=x%20y&c&d=&e=1+2&a=2&my%20key=v&k+1=w&bad=%zz&&long=0123456789";
    char out[16];
    cr_expect_eq(corio_url_query_get(q, "a", out, sizeof(out)), 1);
    cr_expect_str_eq(out, "1");
    cr_expect_eq(corio_url_query_get(q, "b", out, sizeof(out)), 3);
    cr_expect_str_eq(out, "x y");
    cr_expect_eq(corio_url_query_get(q, "c", out, sizeof(out)), 0);
    cr_expect_str_eq(out, "");
    cr_expect_eq(corio_url_query_get(q, "d", out, sizeof(out)), 0);
    cr_expect_str_eq(out, "");
    cr_expect_eq(corio_url_query_get(q, "e", out, sizeof(out)), 3);
    cr_expect_str_eq(out, "1 2");
    cr_expect_eq(corio_url_query_get(q, "my key", out, sizeof(out)), 1);
    cr_expect_str_eq(out, "v");
    cr_expect_eq(corio_url_query_get(q, "k 1", out, sizeof(out)), 1);
    cr_expect_str_eq(out, "w");
    cr_expect_eq(corio_url_query_get(q, "long", out, sizeof(out)), 10);
    cr_expect_str_eq(out, "0123456789");

    cr_expect_eq(corio_url_query_get(q, "f", out, sizeof(out)), -ENOENT);
    cr_expect_eq(corio_url_query_get(q, "", out, sizeof(out)), -ENOENT);
    cr_expect_eq(corio_url_query_get(q, "my%20key", out, sizeof(out)), -ENOENT);
    cr_expect_eq(corio_url_query_get(q, "A", out, sizeof(out)), -ENOENT);
    cr_expect_eq(corio_url_query_get(NULL, "a", out, sizeof(out)), -ENOENT);
    cr_expect_eq(corio_url_query_get("", "a", out, sizeof(out)), -ENOENT);
    cr_expect_eq(corio_url_query_get("ab=1", "a", out, sizeof(out)), -ENOENT);

    cr_expect_eq(corio_url_query_get(q, "bad", out, sizeof(out)), -EINVAL);
    cr_expect_eq(corio_url_query_get(q, "a", out, 1), -ENOSPC);
    cr_expect_eq(corio_url_query_get(q, "a", NULL, 0), -ENOSPC);
    cr_expect_eq(corio_url_query_get(q, "a", out, 2), 1);
    cr_expect_eq(corio_url_query_get(q, "b", out, 3), -ENOSPC);
    cr_expect_eq(corio_url_query_get(q, "b", out, 4), 3);
    cr_expect_eq(corio_url_query_get(q, "long", out, 10), -ENOSPC);
    cr_expect_eq(corio_url_query_get("=v", "", out, sizeof(out)), 1);
    cr_expect_str_eq(out, "v");
}

static const char alphabet[] = ":/?#[]@%.+-_~!$&'()*,;=aAzZ09Ff \t\x01\x7f\x80\xff\\\"<>^`{|}";

static void check_garbage(const char *s)
{
    corio_url u;
    char *out, *again;
    int rc = corio_url_parse(s, &u);
    cr_assert(rc == 0 || rc == -EINVAL, "parse(%s) = %d", s, rc);
    if (rc == 0) {
        /* What parses formats to a string that parses to the same thing. */
        cr_assert_eq(corio_url_format(&u, &out), 0);
        corio_url_free(&u);
        cr_assert_eq(corio_url_parse(out, &u), 0, "reparse(%s) of %s", out, s);
        cr_assert_eq(corio_url_format(&u, &again), 0);
        cr_assert_str_eq(again, out, "format of %s", s);
        free(again);
        free(out);
        corio_url_free(&u);
    }
    rc = corio_url_resolve(BASE, s, &out);
    cr_assert(rc == 0 || rc == -EINVAL, "resolve(%s) = %d", s, rc);
    if (rc == 0) {
        cr_assert_eq(corio_url_parse(out, &u), 0, "parse(%s) of resolved %s", out, s);
        corio_url_free(&u);
        free(out);
    }
    rc = corio_url_normalize(s, &out);
    cr_assert(rc == 0 || rc == -EINVAL, "normalize(%s) = %d", s, rc);
    if (rc == 0) {
        cr_assert_eq(corio_url_normalize(out, &again), 0);
        cr_assert_str_eq(again, out, "normalize is not idempotent on %s", s);
        free(again);
        free(out);
    }
    char buf[64];
    long n = corio_url_query_get(s, "a", buf, sizeof(buf));
    cr_assert(n >= 0 || n == -ENOENT || n == -EINVAL || n == -ENOSPC);
    n = corio_url_decode(s, strlen(s), true, buf);
    cr_assert(n == -EINVAL || (n >= 0 && (size_t)n <= strlen(s)));
}

Test(url, garbage_does_not_crash)
{
    static const char *const edges[] = {
        "",
        ":",
        "/",
        "//",
        "///",
        "?",
        "#",
        "@",
        "[",
        "]",
        "[]",
        "%",
        "%%",
        "http:",
        "http:/",
        "http://",
        "http://@",
        "http://:",
        "http://[",
        "http://]",
        "http://[:]",
        "http://[::]",
        "//[::1]:65535",
        ".",
        "..",
        "../",
        "/..",
        "/.",
        "./",
        "a:",
        "a:.",
        "a:..",
        "a:/..",
        "a:../..//",
        "http://a/..//..//.",
        "?#?#",
        "#?",
        "http://a:65535/%FF",
    };
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
        check_garbage(edges[i]);

    srand(3986);
    char s[48];
    for (int i = 0; i < 600; i++) {
        size_t len = (size_t)(rand() % (int)(sizeof(s) - 1));
        size_t pre = 0;
        /* Half start like a URL so the authority parser gets exercised. */
        if (i % 2) {
            memcpy(s, "http://", 7);
            pre = 7;
            len = len < pre ? pre : len;
        }
        for (size_t j = pre; j < len; j++)
            s[j] = alphabet[rand() % (int)(sizeof(alphabet) - 1)];
        s[len] = '\0';
        check_garbage(s);
    }
}
