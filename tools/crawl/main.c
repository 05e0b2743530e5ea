/* corio-crawl: a host-restricted concurrent web crawler (seed 001's asyncio
 * crawler grown up). Parses the command line, runs the crawl in a task that
 * SIGINT/SIGTERM cancel, draws the progress line and prints the summary. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "debug.h"
#include "crawl.h"
#include "fleet.h"
#include "links.h"

static const char *prog = "corio-crawl";

static void usage(void)
{
    printf("usage: %s [OPTIONS] URL...\n"
           "       %s --redis URL --job NAME --status | --reset\n"
           "Crawls from the URLs, following <a href> links on the allowed hosts.\n"
           "  -w, --workers N        concurrent fetches (default %d)\n"
           "  -n, --max-pages N      stop after N pages fetched (default %d)\n"
           "      --allow-host RE    follow only hosts matching this POSIX extended regex\n"
           "                         (default: exactly the start URLs' hosts)\n"
           "      --max-depth N      link depth from the start URLs (default unlimited)\n"
           "      --per-host N       concurrent requests per host (default %d)\n"
           "      --delay MS         between requests to one host (default 0)\n"
           "      --robots | --no-robots   honour robots.txt (default on)\n"
           "  -t, --timeout SEC      per request (default %d)\n"
           "      --max-bytes N      body size cap per page (default %u)\n"
           "  -o, --output FILE      JSON Lines, one per fetched URL ('-': stdout):\n"
           "                         {\"url\",\"status\",\"depth\",\"links\",\"ms\",\"bytes\","
           "\"error\"}\n"
           "      --progress | --no-progress   a progress line on stderr (default: if a tty)\n"
           "      --redis URL        crawl as one worker of a fleet sharing this Redis\n"
           "                         (redis://host:port[/db] or unix:///path; docs/scale-out.md)\n"
           "      --job NAME         the fleet's job, naming its keys (default: the first\n"
           "                         start URL, normalised)\n"
           "      --lease SEC        how long a taken URL stays this worker's (default %d)\n"
           "      --status           print the job's progress as JSON and exit\n"
           "      --reset            delete the job's keys and exit\n"
           "      --log-level LEVEL  what corio logs on stderr: error, warn (default), info,\n"
           "                         debug or off\n"
           "  -h, --help             this help\n"
           "      --version          the version\n"
           "Exit status: 0 when the crawl ran (whatever pages failed), 1 when it could not\n"
           "(with --redis: Redis unreachable for a lease's time), 2 for usage errors.\n",
           prog, prog, CRAWL_WORKERS_DEFAULT, CRAWL_MAX_PAGES_DEFAULT, CRAWL_PER_HOST_DEFAULT,
           CRAWL_TIMEOUT_DEFAULT / 1000, CRAWL_MAX_BODY_DEFAULT, FLEET_LEASE_DEFAULT / 1000);
    exit(CLI_OK);
}

typedef enum job_action { JOB_CRAWL, JOB_STATUS, JOB_RESET } job_action;

typedef struct app {
    crawl_opts o;
    crawler c;
    job_action action;
    char *job; /* the default job name, malloc'ed */
    bool progress;
    int signal; /* what stopped the crawl, 0 if it ended by itself */
    int rc;
} app;

static intptr_t crawl_task(void *arg)
{
    app *a = arg;
    return crawl_run(&a->c);
}

static void progress_line(const crawl_stats *s, const char *end)
{
    size_t errors = 0;
    for (size_t i = 0; i < s->nclasses; i++)
        errors += s->classes[i].count;
    fprintf(stderr, "\r%s: %zu fetched, %zu seen, %zu in flight, %zu errors%s", prog, s->fetched,
            s->seen, s->in_flight, errors, end);
}

static intptr_t progress_task(void *arg)
{
    app *a = arg;
    while (corio_sleep(500) == 0)
        progress_line(&a->c.stats, "");
    return 0;
}

/* --status, --reset: one call on the job's keys. */
static intptr_t job_task(app *a)
{
    fleet *f;
    int rc = fleet_open(a->o.redis, a->o.job, a->o.lease_ms, a->o.max_pages, &f);
    char *json = NULL;
    if (rc == 0 && a->action == JOB_STATUS && (rc = fleet_status(f, &json)) == 0)
        printf("%s\n", json);
    if (rc == 0 && a->action == JOB_RESET)
        rc = fleet_reset(f);
    free(json);
    fleet_close(f);
    return rc;
}

static intptr_t main_task(void *arg)
{
    app *a = arg;
    if (a->action != JOB_CRAWL)
        return job_task(a);
    corio_task *crawl, *progress = NULL, *dump = NULL;
    int rc = corio_spawn(NULL, crawl_task, a, &crawl);
    if (rc == 0)
        rc = tool_dump_start(&dump);
    if (rc == 0 && a->progress)
        rc = corio_spawn(NULL, progress_task, a, &progress);
    if (rc < 0)
        return rc;
    a->signal = corio_signal_wait_shutdown(crawl);
    intptr_t result = 0;
    corio_join(crawl, &result, -1);
    tool_dump_stop(dump);
    if (progress) {
        corio_task_cancel(progress);
        corio_join(progress, NULL, -1);
        progress_line(&a->c.stats, "\n");
    }
    a->rc = (int)result;
    return 0;
}

static void summary(const app *a, int64_t elapsed_ms)
{
    const crawl_stats *s = &a->c.stats;
    fprintf(stderr,
            "%s: %s%zu pages fetched, %zu failed, %zu unique URLs seen, %zu left in queue, "
            "%zu disallowed by robots.txt, %zu HTTP errors, %.2f s\n",
            prog, a->signal ? "interrupted: " : "", s->fetched, s->failed, s->seen, s->left,
            s->robots_skipped, s->http_errors, (double)elapsed_ms / 1000);
    fprintf(stderr, "%s: errors by class:", prog);
    for (size_t i = 0; i < s->nclasses; i++)
        fprintf(stderr, " %s %zu", s->classes[i].name, s->classes[i].count);
    fprintf(stderr, "%s\n", s->nclasses ? "" : " none");
}

static void parse_args(app *a, int argc, char **argv, regex_t *allow)
{
    crawl_opts *o = &a->o;
    *o = (crawl_opts){
        .workers = CRAWL_WORKERS_DEFAULT,
        .max_pages = CRAWL_MAX_PAGES_DEFAULT,
        .max_depth = -1,
        .per_host = CRAWL_PER_HOST_DEFAULT,
        .robots = true,
        .timeout_ms = CRAWL_TIMEOUT_DEFAULT,
        .max_body = CRAWL_MAX_BODY_DEFAULT,
        .lease_ms = FLEET_LEASE_DEFAULT,
    };
    a->progress = isatty(STDERR_FILENO);
    const char *output = NULL;
    cli_log(prog, CLI_LOG_DEFAULT);
    o->start = calloc((size_t)argc, sizeof *o->start);
    if (!o->start)
        exit(CLI_FAILURE);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
#define IS(s, l) (strcmp(arg, s) == 0 || strcmp(arg, l) == 0)
        if (IS("-h", "--help")) {
            usage();
        } else if (IS("--version", "--version")) {
            cli_version(prog);
        } else if (cli_log_option(prog, argc, argv, &i)) {
            continue;
        } else if (IS("-w", "--workers")) {
            o->workers = (unsigned)cli_long(prog, arg, cli_value(prog, argc, argv, &i), 1, 100000);
        } else if (IS("-n", "--max-pages")) {
            o->max_pages = cli_long(prog, arg, cli_value(prog, argc, argv, &i), 1, LONG_MAX);
        } else if (IS("--allow-host", "--allow-host")) {
            const char *re = cli_value(prog, argc, argv, &i);
            if (o->allow)
                regfree(allow);
            if (regcomp(allow, re, REG_EXTENDED | REG_NOSUB | REG_ICASE) != 0)
                cli_usage_error(prog, "--allow-host: not a POSIX extended regex: '%s'", re);
            o->allow = allow;
        } else if (IS("--max-depth", "--max-depth")) {
            o->max_depth = cli_long(prog, arg, cli_value(prog, argc, argv, &i), 0, INT_MAX - 1);
        } else if (IS("--per-host", "--per-host")) {
            o->per_host = (unsigned)cli_long(prog, arg, cli_value(prog, argc, argv, &i), 1, 100000);
        } else if (IS("--delay", "--delay")) {
            o->delay_ms = cli_long(prog, arg, cli_value(prog, argc, argv, &i), 0, 86400000);
        } else if (IS("--robots", "--robots")) {
            o->robots = true;
        } else if (IS("--no-robots", "--no-robots")) {
            o->robots = false;
        } else if (IS("-t", "--timeout")) {
            o->timeout_ms = cli_seconds_ms(prog, arg, cli_value(prog, argc, argv, &i));
        } else if (IS("--max-bytes", "--max-bytes")) {
            o->max_body = (size_t)cli_long(prog, arg, cli_value(prog, argc, argv, &i), 1, LONG_MAX);
        } else if (IS("-o", "--output")) {
            output = cli_value(prog, argc, argv, &i);
        } else if (IS("--progress", "--progress")) {
            a->progress = true;
        } else if (IS("--no-progress", "--no-progress")) {
            a->progress = false;
        } else if (IS("--redis", "--redis")) {
            o->redis = cli_value(prog, argc, argv, &i);
        } else if (IS("--job", "--job")) {
            o->job = cli_value(prog, argc, argv, &i);
        } else if (IS("--lease", "--lease")) {
            o->lease_ms = cli_seconds_ms(prog, arg, cli_value(prog, argc, argv, &i));
        } else if (IS("--status", "--status")) {
            a->action = JOB_STATUS;
        } else if (IS("--reset", "--reset")) {
            a->action = JOB_RESET;
        } else if (arg[0] == '-' && arg[1]) {
            cli_usage_error(prog, "unknown option '%s'", arg);
        } else {
            o->start[o->nstart++] = argv[i];
        }
#undef IS
    }
    if (a->action != JOB_CRAWL && !o->redis)
        cli_usage_error(prog, "--status and --reset need --redis");
    if (o->job && !*o->job)
        cli_usage_error(prog, "--job: an empty name");
    if (o->nstart == 0 && !(a->action != JOB_CRAWL && o->job))
        cli_usage_error(prog, "no URL to start from");
    const char *bad = crawl_bad_start(o);
    if (bad)
        cli_usage_error(prog, "not an http or https URL: '%s'", bad);
    if (o->redis && !o->job) {
        if (link_resolve(o->start[0], "", &a->job) <= 0)
            exit(CLI_FAILURE);
        o->job = a->job;
    }
    if (a->action != JOB_CRAWL)
        return;
    if (output && strcmp(output, "-") == 0) {
        o->out = stdout;
    } else if (output && !(o->out = fopen(output, "w"))) {
        fprintf(stderr, "%s: %s: %s\n", prog, output, strerror(errno));
        exit(CLI_FAILURE);
    }
}

int main(int argc, char **argv)
{
    static app a;
    regex_t allow;
    parse_args(&a, argc, argv, &allow);
    a.c.o = &a.o;
    int64_t t0 = corio_now();
    intptr_t rc = corio_run(main_task, &a);
    int64_t elapsed = corio_now() - t0;
    if (rc == 0)
        rc = a.rc;
    if (a.o.out && fflush(a.o.out) != 0) {
        fprintf(stderr, "%s: writing the output: %s\n", prog, strerror(errno));
        rc = -EIO;
    }
    if (a.o.out && a.o.out != stdout)
        fclose(a.o.out);
    if (a.action == JOB_CRAWL)
        summary(&a, elapsed);
    if (rc == -EINVAL && a.o.redis)
        fprintf(stderr, "%s: --redis: not a Redis URL: '%s'\n", prog, a.o.redis);
    else if (rc < 0 && a.o.redis && rc != -ENOMEM && rc != -EIO)
        fprintf(stderr, "%s: Redis at %s: %s (gave up after %.1f s of retries)\n", prog, a.o.redis,
                rc == -CORIO_ESERVER ? "a script or command was refused" : corio_strerror((int)rc),
                (double)a.o.lease_ms / 1000);
    else if (rc < 0)
        fprintf(stderr, "%s: %s\n", prog, corio_strerror((int)rc));
    free(a.job);
    if (a.o.allow)
        regfree(&allow);
    free(a.o.start);
    return rc < 0 ? CLI_FAILURE : CLI_OK;
}
