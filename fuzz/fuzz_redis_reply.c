/* libFuzzer target: arbitrary bytes as a Redis server's replies to several
 * tasks sharing one connection (implicit pipelining) and an explicit
 * pipeline, over a real loopback connection, with a small reply limit. Any
 * input must give replies or a clean error to every caller, never a crash,
 * a leak or a hang. */
#include <stdint.h>
#include <stdlib.h>

#include <corio/corio.h>

#include "canned_server.h"

static intptr_t caller(void *arg)
{
    corio_redis_reply *r;
    corio_redis_command(arg, &r, corio_now() + 2000, "GET %s", "k");
    corio_redis_reply_free(r);
    return 0;
}

static void walk(const corio_redis_reply *r)
{
    if (r && r->type == CORIO_REDIS_ARRAY)
        for (size_t i = 0; i < r->len; i++)
            walk(r->elements[i]);
    else if (r && r->str && r->str[r->len] != '\0')
        abort();
}

static intptr_t one(void *arg)
{
    (void)arg;
    canned_server cs;
    if (canned_start(&cs, "redis", "") < 0)
        return 0;
    corio_redis_opts o = {.max_reply = 4096};
    corio_redis *c;
    if (corio_redis_connect(cs.url, &o, &c, corio_now() + 2000) == 0) {
        corio_task *callers[3];
        for (int i = 0; i < 3; i++)
            corio_spawn(NULL, caller, c, &callers[i]);
        corio_redis_pipe *p;
        corio_redis_reply *r[2];
        if (corio_redis_pipe_new(&p) == 0 && corio_redis_pipe_add(p, "PING") == 0 &&
            corio_redis_pipe_add(p, "LRANGE l 0 -1") == 0 &&
            corio_redis_pipe_run(c, p, r, corio_now() + 2000) == 0)
            for (int i = 0; i < 2; i++) {
                walk(r[i]);
                corio_redis_reply_free(r[i]);
            }
        corio_redis_pipe_free(p);
        for (int i = 0; i < 3; i++) {
            corio_join(callers[i], NULL, -1);
            corio_task_release(callers[i]);
        }
        corio_redis_close(c);
    }
    canned_stop(&cs);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return canned_run(data, size, one);
}
