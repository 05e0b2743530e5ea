/* corio_dump_tasks: what every task of the loop is doing, for debugging. */
#include <errno.h>
#include <string.h>

#include <corio/time.h>

#include "sched.h"

static const char *state_name(const corio_task *t)
{
    switch (t->state) {
    case CORIO__READY:
        return "ready";
    case CORIO__RUNNING:
        return "running";
    case CORIO__WAITING:
        return "waiting";
    default:
        return "done";
    }
}

int corio_dump_tasks(FILE *out)
{
    corio__loop *l = CORIO__LOOP();
    int n = 0;
    for (corio__list_node *p = l->tasks.next; p != &l->tasks; p = p->next) {
        const corio_task *t = corio__container_of(p, corio_task, all);
        if (t->state == CORIO__FREE)
            continue;
        n++;
        fprintf(out, "#%-6llu %-31s %s", (unsigned long long)t->id, corio_task_name(t),
                state_name(t));
        if (t->state == CORIO__WAITING && t->wait_what) {
            fputc(' ', out);
            if (strchr(t->wait_what, '%'))
                fprintf(out, t->wait_what, (long long)t->wait_detail);
            else
                fputs(t->wait_what, out);
            if (t->timer.index != SIZE_MAX)
                fprintf(out, " (wakes in %lld ms)",
                        (long long)((t->timer.deadline - corio_now_ns()) / 1000000));
        }
        if (t->state == CORIO__DONE)
            fprintf(out, " result %lld", (long long)t->result);
        fputc('\n', out);
    }
    return n;
}
