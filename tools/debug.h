/* SIGQUIT (Ctrl-\) makes a running tool write a task dump to stderr (id,
 * name, state and what each task waits on, corio_dump_tasks) and go on:
 * what a stuck crawl or server is doing, without a debugger. */
#ifndef CORIO_TOOLS_DEBUG_H
#define CORIO_TOOLS_DEBUG_H

#include <signal.h>
#include <stdio.h>

#include <corio/corio.h>

static inline intptr_t tool_dump_on_sigquit(void *unused)
{
    (void)unused;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGQUIT);
    while (corio_signal_wait(&set, -1) > 0)
        corio_dump_tasks(stderr);
    return 0;
}

/* Starts the dumping task in the calling task's nursery; *t is to be given
 * to tool_dump_stop when the tool's work is over. */
static inline int tool_dump_start(corio_task **t)
{
    return corio_spawn(NULL, tool_dump_on_sigquit, NULL, t);
}

static inline void tool_dump_stop(corio_task *t)
{
    if (!t)
        return;
    corio_task_cancel(t);
    corio_join(t, NULL, -1);
    corio_task_release(t);
}

#endif
