/* sequential mode: the seed's naive checker, one URL after another. */
#include <errno.h>
#include <stdlib.h>

#include "check.h"

int check_run_sequential(const check_input *in, const check_opts *o, check_sink *s)
{
    FILE *f = check_input_reopen(in);
    if (!f)
        return -errno;
    char *line = NULL;
    size_t cap = 0;
    const char *url;
    int rc = 0;
    for (uint64_t index = 0; rc == 0 && check_input_next(f, &line, &cap, &url) == 1; index++) {
        check_result r;
        check_fetch_blocking(url, o, &r);
        rc = check_sink_add(s, index, &r);
    }
    free(line);
    fclose(f);
    return rc;
}
