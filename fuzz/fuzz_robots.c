/* libFuzzer target for robots.txt parsing (tools/crawl/robots.c): any text
 * parses (or fails with -ENOMEM only) and then answers for any path. The
 * paths asked about are fixed ones and each Allow/Disallow value of the
 * input itself. It aborts when an answer breaks the rules' own logic: a
 * path is always allowed when no rules apply, /robots.txt is asked like any
 * other path, and asking twice gives the same answer. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "robots.h"

static void check(int ok)
{
    if (!ok)
        abort();
}

static void ask(const robots *r, const char *path)
{
    bool a = robots_allowed(r, path);
    check(a == robots_allowed(r, path));
    if (!r)
        check(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 100000)
        return 0;
    const char *text = (const char *)data;
    robots *r;
    int rc = robots_parse(text, size, "corio-crawl", &r);
    check(rc == 0 || rc == -ENOMEM);
    if (rc < 0)
        return 0;
    static const char *const fixed[] = {"/", "", "/robots.txt", "/a/b?c=d", "/%41", "/*", "/$"};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        ask(r, fixed[i]);
    /* Every line's value after its colon, as a path. */
    char *copy = strndup(text, size);
    for (char *line = copy ? strtok(copy, "\r\n") : NULL; line; line = strtok(NULL, "\r\n")) {
        char *colon = strchr(line, ':');
        if (colon)
            ask(r, colon + 1 + strspn(colon + 1, " \t"));
    }
    free(copy);
    robots_free(r);
    return 0;
}
