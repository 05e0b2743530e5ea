/* `corio-fakeweb urls`: a URL list with an exact mix of outcomes. Each kind
 * gets its share of --count by largest remainder, so the counts a checker
 * must report follow from the options alone; the order is shuffled by the
 * seed. */
#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "cli.h"
#include "fakeweb.h"

static const char *const prog = "corio-fakeweb urls";

enum { MAX_KINDS = 64 };

typedef struct kind {
    char name[16]; /* a status code, or hang, refused, reset, redirect, chunked, invalid */
    long weight;
    long count;
} kind;

static int known_kind(const char *name)
{
    static const char *const words[] = {"hang",     "refused", "reset",
                                        "redirect", "chunked", "invalid"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (!strcmp(name, words[i]))
            return 1;
    char *end;
    long code = strtol(name, &end, 10);
    return *name && !*end && code >= 200 && code <= 999;
}

static size_t parse_mix(const char *spec, kind *kinds)
{
    size_t n = 0;
    char *copy = strdup(spec), *save = NULL;
    if (!copy)
        exit(CLI_FAILURE);
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':');
        if (!colon || n == MAX_KINDS || (size_t)(colon - tok) >= sizeof kinds[n].name)
            cli_usage_error(prog, "--mix: expected KIND:WEIGHT,..., not '%s'", spec);
        *colon = '\0';
        if (!known_kind(tok))
            cli_usage_error(prog, "--mix: unknown kind '%s'", tok);
        snprintf(kinds[n].name, sizeof kinds[n].name, "%s", tok);
        kinds[n].weight = cli_long(prog, "--mix weight", colon + 1, 0, 1000000);
        n++;
    }
    free(copy);
    if (n == 0)
        cli_usage_error(prog, "--mix: empty");
    return n;
}

static void apportion(kind *kinds, size_t n, long count)
{
    long total = 0, given = 0;
    for (size_t i = 0; i < n; i++)
        total += kinds[i].weight;
    if (total == 0)
        cli_usage_error(prog, "--mix: the weights add up to 0");
    for (size_t i = 0; i < n; i++) {
        kinds[i].count = count * kinds[i].weight / total;
        given += kinds[i].count;
    }
    /* The rest, one each, to the largest remainders (earlier kinds first). */
    while (given < count) {
        size_t best = 0;
        long best_rem = -1;
        for (size_t i = 0; i < n; i++) {
            long rem = count * kinds[i].weight % total;
            if (rem > best_rem && kinds[i].count == count * kinds[i].weight / total) {
                best = i;
                best_rem = rem;
            }
        }
        kinds[best].count++;
        given++;
    }
}

/* A loopback port nothing listens on. A privileged one that refuses
 * connections now (9, discard, is closed on nearly every machine), since no
 * program can be given it by the kernel in the meantime, as it could a
 * port that was merely free when the list was made (seen in the tests: a
 * server started later took it, and "refused" came back as a reset).
 * Failing that, a port that was free a moment ago. */
static int closed_port(const char *host)
{
    bool v6 = strchr(host, ':') != NULL;
    struct sockaddr_storage ss = {0};
    socklen_t len = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    if (v6) {
        a6->sin6_family = AF_INET6;
        a6->sin6_addr = in6addr_loopback;
    } else {
        a4->sin_family = AF_INET;
        a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    static const int quiet[] = {9, 1, 7, 13};
    for (size_t i = 0; i < sizeof quiet / sizeof *quiet; i++) {
        int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (v6)
            a6->sin6_port = htons((uint16_t)quiet[i]);
        else
            a4->sin_port = htons((uint16_t)quiet[i]);
        bool refused =
            fd >= 0 && connect(fd, (struct sockaddr *)&ss, len) < 0 && errno == ECONNREFUSED;
        if (fd >= 0)
            close(fd);
        if (refused)
            return quiet[i];
    }
    int port = -1;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (v6)
        a6->sin6_port = 0;
    else
        a4->sin_port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&ss, len) == 0 &&
        getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
        port = ntohs(v6 ? a6->sin6_port : a4->sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static void print_url(const char *base, const char *kind, long delay, int refused_port,
                      const char *loopback)
{
    char q[32] = "";
    if (delay > 0)
        snprintf(q, sizeof q, "?delay=%ld", delay);
    if (!strcmp(kind, "refused"))
        printf(strchr(loopback, ':') ? "http://[%s]:%d/status/200\n" : "http://%s:%d/status/200\n",
               loopback, refused_port);
    else if (!strcmp(kind, "invalid"))
        printf("http://exa mple.invalid/not a url\n");
    else if (!strcmp(kind, "hang") || !strcmp(kind, "reset"))
        printf("%s/%s%s\n", base, kind, q);
    else if (!strcmp(kind, "redirect"))
        printf("%s/redirect/2%s\n", base, q);
    else if (!strcmp(kind, "chunked"))
        printf("%s/chunked/3%s\n", base, q);
    else
        printf("%s/status/%s%s\n", base, kind, q);
}

static void usage(void)
{
    printf("usage: corio-fakeweb urls --count N --base URL [--mix SPEC] [--delay A-B] [--seed S]\n"
           "Prints N URLs of the fake web at URL, one a line, in a shuffled order.\n"
           "  --mix SPEC   KIND:WEIGHT,... (default \"200:80,404:10,500:5,hang:3,refused:2\");\n"
           "               KIND is a status code (/status/CODE), hang, reset, redirect\n"
           "               (/redirect/2), chunked (/chunked/3), refused (a closed loopback\n"
           "               port) or invalid (a line that is not a URL). Each kind gets\n"
           "               exactly its share of N (largest remainder).\n"
           "  --delay A-B  add ?delay=MS, MS uniform in [A, B] (default none)\n"
           "  --seed S     shuffle and delays (default 1)\n");
    exit(CLI_OK);
}

int fakeweb_urls_main(int argc, char **argv)
{
    long count = -1, dmin = 0, dmax = 0;
    const char *base = NULL, *mix = "200:80,404:10,500:5,hang:3,refused:2";
    uint64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            usage();
        else if (!strcmp(a, "--version"))
            cli_version("corio-fakeweb");
        else if (!strcmp(a, "--count"))
            count = cli_long(prog, a, cli_value(prog, argc, argv, &i), 0, 100000000);
        else if (!strcmp(a, "--base"))
            base = cli_value(prog, argc, argv, &i);
        else if (!strcmp(a, "--mix"))
            mix = cli_value(prog, argc, argv, &i);
        else if (!strcmp(a, "--seed"))
            seed = (uint64_t)cli_long(prog, a, cli_value(prog, argc, argv, &i), 0, LONG_MAX);
        else if (!strcmp(a, "--delay")) {
            const char *v = cli_value(prog, argc, argv, &i);
            char lo[32];
            const char *dash = strchr(v, '-');
            if (!dash || (size_t)(dash - v) >= sizeof lo)
                cli_usage_error(prog, "--delay: expected A-B in milliseconds, not '%s'", v);
            snprintf(lo, sizeof lo, "%.*s", (int)(dash - v), v);
            dmin = cli_long(prog, "--delay", lo, 0, 3600000);
            dmax = cli_long(prog, "--delay", dash + 1, dmin, 3600000);
        } else
            cli_usage_error(prog, "unknown argument '%s'", a);
    }
    if (count < 0 || !base)
        cli_usage_error(prog, "--count and --base are required");
    corio_url u;
    if (corio_url_parse(base, &u) < 0 || !u.scheme || !u.host)
        cli_usage_error(prog, "--base: not an absolute URL: '%s'", base);
    const char *loopback = strchr(u.host, ':') ? "::1" : "127.0.0.1";
    size_t blen = strlen(base);
    while (blen && base[blen - 1] == '/')
        blen--;
    char *trimmed = strndup(base, blen);
    kind kinds[MAX_KINDS];
    size_t nk = parse_mix(mix, kinds);
    apportion(kinds, nk, count);
    /* One byte per URL naming its kind, shuffled (Fisher-Yates). */
    unsigned char *order = malloc(count ? (size_t)count : 1);
    if (!order || !trimmed)
        return CLI_FAILURE;
    long at = 0;
    int port = -1;
    for (size_t k = 0; k < nk; k++) {
        for (long c = 0; c < kinds[k].count; c++)
            order[at++] = (unsigned char)k;
        if (kinds[k].count && !strcmp(kinds[k].name, "refused") &&
            (port = closed_port(loopback)) < 0) {
            fprintf(stderr, "%s: cannot find a closed port\n", prog);
            return CLI_FAILURE;
        }
    }
    uint64_t s = seed;
    for (long i = count - 1; i > 0; i--) {
        long j = (long)fakeweb_rand_below(&s, (uint64_t)i + 1);
        unsigned char t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (long i = 0; i < count; i++) {
        long delay =
            dmax > 0 ? dmin + (long)fakeweb_rand_below(&s, (uint64_t)(dmax - dmin + 1)) : 0;
        print_url(trimmed, kinds[order[i]].name, delay, port, loopback);
    }
    free(order);
    free(trimmed);
    corio_url_free(&u);
    return fflush(stdout) == 0 ? CLI_OK : CLI_FAILURE;
}
