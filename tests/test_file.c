/* Files through the pool. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <corio/corio.h>

#include "fdcheck.h"

static char dir[] = "/tmp/corio-file-XXXXXX";

static intptr_t file_main(void *arg)
{
    (void)arg;
    char path[128];
    void *data;
    size_t len;
    snprintf(path, sizeof path, "%s/a.txt", dir);
    cr_assert_eq(corio_file_write_all(path, "hello ", 6, false), 0);
    cr_assert_eq(corio_file_write_all(path, "world", 5, true), 0);
    cr_assert_eq(corio_file_read_all(path, 0, &data, &len), 0);
    cr_assert_eq(len, 11);
    cr_assert_str_eq(data, "hello world");
    free(data);
    cr_assert_eq(corio_file_read_all(path, 5, &data, &len), -EFBIG);
    snprintf(path, sizeof path, "%s/missing", dir);
    cr_assert_eq(corio_file_read_all(path, 0, &data, &len), -ENOENT);

    corio_file *f;
    snprintf(path, sizeof path, "%s/big.bin", dir);
    cr_assert_eq(corio_file_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644, &f), 0);
    char block[4096];
    for (int i = 0; i < 256; i++) {
        memset(block, i, sizeof block);
        cr_assert_eq(corio_file_write(f, block, sizeof block), (ssize_t)sizeof block);
    }
    cr_assert_eq(corio_file_close(f), 0);
    cr_assert_eq(corio_file_open(path, O_RDONLY, 0, &f), 0);
    for (int i = 0; i < 256; i++) {
        cr_assert_eq(corio_file_read(f, block, sizeof block), (ssize_t)sizeof block);
        cr_assert(block[0] == (char)i && block[4095] == (char)i);
    }
    cr_assert_eq(corio_file_read(f, block, sizeof block), 0, "end of file");
    corio_file_close(f);
    cr_assert_eq(corio_file_open(path, O_RDONLY | O_DIRECTORY, 0, &f), -ENOTDIR);
    unlink(path);
    snprintf(path, sizeof path, "%s/a.txt", dir);
    unlink(path);
    return 0;
}

Test(file, read_write_and_stream, .timeout = 20, .init = fd_check_start, .fini = fd_check_end)
{
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(corio_run(file_main, NULL), 0);
    rmdir(dir);
}
