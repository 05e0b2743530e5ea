/* The URL list is streamed, never held whole: stdin is spooled to an
 * unlinked temporary file so every mode, worker and the JSONL writer can
 * read it again from the start. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static int spool(FILE *from, FILE **out)
{
    FILE *tmp = tmpfile();
    if (!tmp)
        return -errno;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, from)) > 0)
        if (fwrite(buf, 1, n, tmp) != n) {
            fclose(tmp);
            return -EIO;
        }
    if (ferror(from) || fflush(tmp) != 0) {
        fclose(tmp);
        return -EIO;
    }
    rewind(tmp);
    *out = tmp;
    return 0;
}

int check_input_open(const char *path, check_input *in)
{
    *in = (check_input){0};
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    if (!f)
        return -errno;
    struct stat st;
    if (fstat(fileno(f), &st) < 0 || S_ISDIR(st.st_mode)) {
        int rc = S_ISDIR(st.st_mode) ? -EISDIR : -errno;
        if (f != stdin)
            fclose(f);
        return rc;
    }
    if (!S_ISREG(st.st_mode)) {
        FILE *tmp;
        int rc = spool(f, &tmp);
        if (f != stdin)
            fclose(f);
        if (rc < 0)
            return rc;
        f = tmp;
    }
    in->f = f;
    char *line = NULL;
    size_t cap = 0;
    const char *url;
    errno = 0;
    while (check_input_next(f, &line, &cap, &url) == 1)
        in->urls++;
    free(line);
    /* rewind clears the error indicator: look first. A list that cannot be
     * read to its end (EIO on /proc/self/mem) is a failure, not an empty
     * list. */
    int err = ferror(f) ? (errno ? -errno : -EIO) : 0;
    rewind(f);
    if (err < 0)
        check_input_close(in);
    return err;
}

void check_input_close(check_input *in)
{
    if (in->f && in->f != stdin)
        fclose(in->f);
    in->f = NULL;
}

FILE *check_input_reopen(const check_input *in)
{
    /* Through /proc so the new description has its own offset (dup would
     * share it), which also works for the unlinked spool file. */
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fileno(in->f));
    return fopen(path, "r");
}

int check_input_next(FILE *f, char **line, size_t *cap, const char **url)
{
    ssize_t n;
    while ((n = getline(line, cap, f)) >= 0) {
        char *s = *line, *e = s + n;
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        *e = '\0';
        if (s == e || *s == '#')
            continue;
        *url = s;
        return 1;
    }
    return 0;
}
