/* corio-check: checks a list of URLs and prints how many gave each status,
 * in one of the seed's four modes, or all four side by side (--compare). */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "check.h"
#include "cli.h"

static const char *const prog = "corio-check";

typedef struct mode {
    const char *name;
    int (*run)(const check_input *, const check_opts *, check_sink *);
    long default_concurrency;
} mode;

/* In the seed's order: no concurrency, processes, threads, event loop. */
static const mode modes[] = {
    {"sequential", check_run_sequential, 1},
    {"processes", check_run_processes, 4},
    {"threads", check_run_threads, 32},
    {"async", check_run_async, 100},
};
enum { NMODES = sizeof modes / sizeof modes[0] };

static void usage(void)
{
    printf("usage: corio-check [OPTIONS] [FILE]\n"
           "Checks every URL of FILE ('-' or none: stdin; one a line, blank lines and '#'\n"
           "comments ignored) and prints the count of each outcome as JSON on stdout, e.g.\n"
           "{\"200\": 29, \"404\": 1, \"error:timeout\": 1}, and the time taken on stderr.\n"
           "Failures: error:dns, error:refused, error:timeout, error:reset, error:tls,\n"
           "error:protocol (not HTTP/1.x, bad framing), error:too-large (a body over\n"
           "64 MiB), error:invalid-url (a line, or a redirect's target, that is not an\n"
           "http(s) URL). Every mode counts an answer the same way.\n"
           "\n"
           "  -m, --mode MODE        async (default): corio tasks, one client with a\n"
           "                         connection pool; threads: a pthread pool with blocking\n"
           "                         sockets; processes: forked workers, each checking its\n"
           "                         share one at a time; sequential: one URL at a time.\n"
           "                         The blocking modes send https URLs to corio's client on\n"
           "                         a private loop per URL (they have no TLS of their own).\n"
           "  -c, --concurrency N    async: requests in flight (default 100); threads: worker\n"
           "                         threads (default 32); processes: worker processes\n"
           "                         (default 4). With --compare: every concurrent mode.\n"
           "  -t, --timeout SEC      per URL, the whole exchange (default 10; fractions allowed)\n"
           "      --method GET|HEAD  (default GET)\n"
           "  -L, --follow           follow redirects (at most %d); default: a 3xx is counted\n"
           "      --jsonl FILE       one JSON object per URL, in input order ('-': stdout,\n"
           "                         the counts then go to stderr):\n"
           "                         {\"url\":...,\"status\":200,\"error\":null,\"ms\":12.3,"
           "\"bytes\":1234}\n"
           "                         (with --compare: from the async run)\n"
           "      --progress, --no-progress   a bar on stderr (default: when stderr is a TTY)\n"
           "      --compare          run every mode on the list and print a table\n"
           "      --plot FILE        with --compare: a bar chart of seconds per mode (.png or\n"
           "                         .svg, drawn by gnuplot)\n"
           "      --log-level LEVEL  what corio logs on stderr: error, warn (default), info,\n"
           "                         debug or off\n"
           "  -h, --help, --version\n"
           "Exit status: 0 when the run completed (whatever the statuses), 1 failure (FILE\n"
           "cannot be read, the JSONL cannot be written, with --compare the modes\n"
           "disagree), 2 usage error.\n",
           CHECK_MAX_REDIRECTS);
    exit(CLI_OK);
}

typedef struct args {
    const char *path, *jsonl, *plot;
    int mode, compare, progress;
    long concurrency; /* 0: the mode's default */
    check_opts o;
} args;

static void parse_args(int argc, char **argv, args *a)
{
    *a = (args){.path = "-", .progress = isatty(2), .o = {.timeout_ms = 10000}};
    a->mode = NMODES - 1;
    int paths = 0;
    cli_log(prog, CLI_LOG_DEFAULT);
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            usage();
        } else if (!strcmp(s, "--version")) {
            cli_version(prog);
        } else if (cli_log_option(prog, argc, argv, &i)) {
            continue;
        } else if (!strcmp(s, "-m") || !strcmp(s, "--mode")) {
            const char *v = cli_value(prog, argc, argv, &i);
            for (a->mode = 0; a->mode < NMODES && strcmp(v, modes[a->mode].name); a->mode++) {
            }
            if (a->mode == NMODES)
                cli_usage_error(prog,
                                "%s: expected async, threads, processes or sequential, "
                                "not '%s'",
                                s, v);
        } else if (!strcmp(s, "-c") || !strcmp(s, "--concurrency")) {
            a->concurrency = cli_long(prog, s, cli_value(prog, argc, argv, &i), 1, 100000);
        } else if (!strcmp(s, "-t") || !strcmp(s, "--timeout")) {
            a->o.timeout_ms = cli_seconds_ms(prog, s, cli_value(prog, argc, argv, &i));
        } else if (!strcmp(s, "--method")) {
            const char *v = cli_value(prog, argc, argv, &i);
            if (strcmp(v, "GET") && strcmp(v, "HEAD"))
                cli_usage_error(prog, "--method: expected GET or HEAD, not '%s'", v);
            a->o.head = !strcmp(v, "HEAD");
        } else if (!strcmp(s, "-L") || !strcmp(s, "--follow")) {
            a->o.follow = 1;
        } else if (!strcmp(s, "--jsonl")) {
            a->jsonl = cli_value(prog, argc, argv, &i);
        } else if (!strcmp(s, "--progress") || !strcmp(s, "--no-progress")) {
            a->progress = !strcmp(s, "--progress");
        } else if (!strcmp(s, "--compare")) {
            a->compare = 1;
        } else if (!strcmp(s, "--plot")) {
            a->plot = cli_value(prog, argc, argv, &i);
            size_t n = strlen(a->plot);
            if (n < 5 || (strcmp(a->plot + n - 4, ".png") && strcmp(a->plot + n - 4, ".svg")))
                cli_usage_error(prog, "--plot: expected a .png or .svg file, not '%s'", a->plot);
        } else if (s[0] == '-' && s[1]) {
            cli_usage_error(prog, "unknown option '%s'", s);
        } else if (paths++) {
            cli_usage_error(prog, "one FILE at most, not '%s' too", s);
        } else {
            a->path = s;
        }
    }
    if (a->plot && !a->compare)
        cli_usage_error(prog, "--plot needs --compare");
}

/* Runs one mode: 0 and its counts and seconds, or a negative errno. */
static int run_mode(const args *a, const check_input *in, int m, const char *jsonl,
                    check_counts *counts, double *secs)
{
    check_opts o = a->o;
    o.concurrency = a->concurrency ? a->concurrency : modes[m].default_concurrency;
    check_sink *sink;
    int rc = check_sink_new(in, jsonl, a->progress, &sink);
    if (rc < 0) {
        fprintf(stderr, "%s: %s: %s\n", prog, jsonl, strerror(-rc));
        return rc;
    }
    double t0 = check_now_ms();
    rc = modes[m].run(in, &o, sink);
    *secs = (check_now_ms() - t0) / 1000;
    int src = check_sink_free(sink, counts);
    if (rc < 0 || src < 0)
        fprintf(stderr, "%s: %s mode failed: %s\n", prog, modes[m].name,
                strerror(rc < 0 ? -rc : -src));
    return rc < 0 ? rc : src;
}

static int plot(const char *file, const double *secs, long urls)
{
    FILE *gp = popen("gnuplot", "w");
    if (!gp)
        return -errno;
    size_t n = strlen(file);
    fprintf(gp,
            "set terminal %s size 800,450 font 'sans,11'\n"
            "set output '%s'\n"
            "set title 'corio-check: %ld URLs, seconds per mode (lower is better)'\n"
            "set ylabel 'seconds'\nset yrange [0:*]\nset style fill solid 0.8\n"
            "set boxwidth 0.6\nset grid ytics\n"
            "plot '-' using 0:2:xtic(1) with boxes lc rgb '#3a7bd5' notitle, "
            "'' using 0:2:(sprintf('%%.1f s', $2)) with labels offset 0,1 notitle\n",
            strcmp(file + n - 4, ".svg") ? "pngcairo" : "svg", file, urls);
    for (int pass = 0; pass < 2; pass++) {
        for (int m = 0; m < NMODES; m++)
            fprintf(gp, "%s %.3f\n", modes[m].name, secs[m]);
        fputs("e\n", gp);
    }
    int status = pclose(gp);
    return status == 0 ? 0 : -EIO;
}

static int compare(const args *a, const check_input *in, FILE *out)
{
    check_counts counts[NMODES];
    double secs[NMODES];
    for (int m = 0; m < NMODES; m++) {
        const char *jsonl = !strcmp(modes[m].name, "async") ? a->jsonl : NULL;
        if (run_mode(a, in, m, jsonl, &counts[m], &secs[m]) < 0)
            return CLI_FAILURE;
        fprintf(stderr, "%s: %s done in %.1f seconds\n", prog, modes[m].name, secs[m]);
    }
    fprintf(out, "%-11s %8s %8s  %s\n", "mode", "seconds", "speedup", "counts");
    int agree = 1;
    for (int m = 0; m < NMODES; m++) {
        fprintf(out, "%-11s %8.1f %7.1fx  ", modes[m].name, secs[m],
                secs[m] > 0 ? secs[0] / secs[m] : 0);
        check_counts_print(out, &counts[m]);
        fputc('\n', out);
        agree &= check_counts_equal(&counts[0], &counts[m]);
    }
    fprintf(out, agree ? "all modes agree on %ld URLs\n" : "THE MODES DISAGREE on %ld URLs\n",
            in->urls);
    fflush(out);
    if (a->plot) {
        int rc = plot(a->plot, secs, in->urls);
        if (rc < 0) {
            fprintf(stderr, "%s: gnuplot could not write %s\n", prog, a->plot);
            return CLI_FAILURE;
        }
    }
    return agree ? CLI_OK : CLI_FAILURE;
}

int main(int argc, char **argv)
{
    args a;
    parse_args(argc, argv, &a);
    signal(SIGPIPE, SIG_IGN);
    /* Every URL in flight holds a descriptor: allow as many as permitted. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    check_input in;
    int rc = check_input_open(a.path, &in);
    if (rc < 0) {
        fprintf(stderr, "%s: %s: %s\n", prog, a.path, strerror(-rc));
        return CLI_FAILURE;
    }
    /* With the JSONL on stdout, the counts and the table go to stderr. */
    FILE *report = a.jsonl && !strcmp(a.jsonl, "-") ? stderr : stdout;
    if (a.compare) {
        rc = compare(&a, &in, report);
    } else {
        check_counts counts;
        double secs;
        rc = run_mode(&a, &in, a.mode, a.jsonl, &counts, &secs) < 0 ? CLI_FAILURE : CLI_OK;
        if (rc == CLI_OK) {
            check_counts_print(report, &counts);
            fputc('\n', report);
            fprintf(stderr, "getting website statuses took %.1f seconds\n", secs);
        }
    }
    check_input_close(&in);
    return fflush(stdout) == 0 ? rc : CLI_FAILURE;
}
