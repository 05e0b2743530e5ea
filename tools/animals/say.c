/* `corio-animals say`: for each NAME prints `The NAME says "SOUND".`, in
 * the order given, then how long it took. The names are fetched all at
 * once (one task each, one connection each) unless --sequential, as the
 * talk's aiohttp rewrite of its first, one-at-a-time client. An unknown
 * animal gets a line of its own and exit status 1, after the others. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "animals.h"
#include "cli.h"

#define MAX_NAMES 256

typedef struct lookup {
    const char *name;
    corio_http_client *client;
    const char *base;
    int status;  /* HTTP status, or a negative errno */
    char *sound; /* on 200 */
} lookup;

static int sequential;

/* base + "/animals/" + name, percent-encoded; caller frees. */
static char *animal_url(const char *base, const char *name)
{
    size_t blen = strlen(base);
    while (blen && base[blen - 1] == '/')
        blen--;
    char *u = malloc(blen + sizeof "/animals/" + 3 * strlen(name));
    if (!u)
        return NULL;
    char *p = u + sprintf(u, "%.*s/animals/", (int)blen, base);
    for (const unsigned char *s = (const unsigned char *)name; *s; s++)
        if (isalnum(*s) || strchr("-._~", *s))
            *p++ = (char)*s;
        else
            p += sprintf(p, "%%%02X", *s);
    *p = '\0';
    return u;
}

/* The sound in a {"animal":..,"sound":..} body, or NULL. */
static char *parse_sound(const char *body, size_t len)
{
    json_t *j = json_loadb(body, len, 0, NULL);
    const char *s = json_string_value(json_object_get(j, "sound"));
    char *sound = s ? strdup(s) : NULL;
    json_decref(j);
    return sound;
}

static intptr_t fetch(void *arg)
{
    lookup *l = arg;
    char *url = animal_url(l->base, l->name);
    if (!url)
        return l->status = -ENOMEM, 0;
    corio_http_response *r;
    int rc = corio_http_client_request(l->client, url, NULL, &r, -1);
    free(url);
    if (rc < 0)
        return l->status = rc, 0;
    const char *body;
    size_t len;
    l->status = corio_http_response_status(r);
    if (corio_http_response_body(r, &body, &len) == 0 && l->status == 200 &&
        !(l->sound = parse_sound(body, len)))
        l->status = -EBADMSG;
    corio_http_response_free(r);
    return 0; /* failures are reported per name, in order */
}

typedef struct job {
    lookup *lookups;
    size_t n;
} job;

static intptr_t fetch_all(void *arg)
{
    job *j = arg;
    corio_http_client_opts opts = {.max_per_host = (unsigned)j->n, .max_total = (unsigned)j->n};
    corio_http_client *client;
    int rc = corio_http_client_new(&opts, &client);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < j->n; i++)
        j->lookups[i].client = client;
    if (sequential) {
        for (size_t i = 0; i < j->n; i++)
            fetch(&j->lookups[i]);
    } else {
        corio_nursery *n;
        rc = corio_nursery_open(&n);
        for (size_t i = 0; rc == 0 && i < j->n; i++)
            rc = corio_spawn(n, fetch, &j->lookups[i], NULL);
        intptr_t closed = corio_nursery_close(n);
        rc = rc ? rc : (int)closed;
    }
    corio_http_client_free(client);
    return rc;
}

/* "corio-animals: cow: http://127.0.0.1:1/animals/cow: refused (Connection
 * refused)": the name and the URL that failed. */
static void report_error(const lookup *l)
{
    char *url = animal_url(l->base, l->name);
    fprintf(stderr, "%s: %s: %s: %s (%s)\n", ANIMALS_PROG, l->name, url ? url : l->base,
            corio_http_error_class(l->status), corio_strerror(l->status));
    free(url);
}

static void usage(void)
{
    printf("usage: %s say [--url U] [--sequential] [--log-level LEVEL] NAME...\n"
           "Prints what each animal says, in the order given, and the time it took.\n"
           "  --url U             the Animals API (default http://127.0.0.1:8080)\n"
           "  --sequential        ask about one animal at a time (default: all at once)\n"
           "  --log-level LEVEL   what corio logs on stderr: error, warn (default), info,\n"
           "                      debug or off\n",
           ANIMALS_PROG);
    exit(CLI_OK);
}

int animals_say(int argc, char **argv)
{
    const char *base = "http://127.0.0.1:8080";
    static lookup lookups[MAX_NAMES];
    size_t n = 0;
    cli_log(ANIMALS_PROG, CLI_LOG_DEFAULT);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            usage();
        else if (!strcmp(a, "--version"))
            cli_version(ANIMALS_PROG);
        else if (cli_log_option(ANIMALS_PROG, argc, argv, &i))
            continue;
        else if (!strcmp(a, "--url"))
            base = cli_value(ANIMALS_PROG, argc, argv, &i);
        else if (!strcmp(a, "--sequential"))
            sequential = 1;
        else if (a[0] == '-')
            cli_usage_error(ANIMALS_PROG, "say: unknown option '%s'", a);
        else if (n == MAX_NAMES)
            cli_usage_error(ANIMALS_PROG, "say: at most %d names", MAX_NAMES);
        else
            lookups[n++].name = a;
    }
    if (n == 0)
        cli_usage_error(ANIMALS_PROG, "say: which animals? give at least one NAME");
    corio_url u;
    int urc = corio_url_parse(base, &u);
    bool http = urc == 0 && u.scheme && u.host && *u.host &&
                (!strcmp(u.scheme, "http") || !strcmp(u.scheme, "https"));
    if (urc == 0)
        corio_url_free(&u);
    if (!http)
        cli_usage_error(ANIMALS_PROG, "say: --url: not an http or https URL: '%s'", base);
    for (size_t i = 0; i < n; i++)
        lookups[i].base = base;
    setvbuf(stdout, NULL, _IOLBF, 0);
    int64_t t0 = corio_now();
    job j = {lookups, n};
    intptr_t rc = corio_run(fetch_all, &j);
    double secs = (double)(corio_now() - t0) / 1000.0;
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", ANIMALS_PROG, corio_strerror((int)rc));
        return CLI_FAILURE;
    }
    int status = CLI_OK;
    for (size_t i = 0; i < n; i++) {
        lookup *l = &lookups[i];
        if (l->sound) {
            printf("The %s says \"%s\".\n", l->name, l->sound);
            free(l->sound);
            continue;
        }
        status = CLI_FAILURE;
        fflush(stdout); /* keep the lines in order when both go to one terminal */
        if (l->status == 404)
            fprintf(stderr, "%s: no such animal: '%s'\n", ANIMALS_PROG, l->name);
        else if (l->status < 0)
            report_error(l);
        else
            fprintf(stderr, "%s: %s: the service answered %d %s\n", ANIMALS_PROG, l->name,
                    l->status, corio_http_reason(l->status));
    }
    printf("%zu animal%s in %.2f s (%s)\n", n, n == 1 ? "" : "s", secs,
           sequential ? "one at a time" : "all at once");
    return status;
}
