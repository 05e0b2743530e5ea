/* Stack-overflow reporting for the loop's thread (see overflow.c). */
#ifndef CORIO_CORE_OVERFLOW_H
#define CORIO_CORE_OVERFLOW_H

typedef struct corio__overflow {
    void *altstack; /* ours, when the thread had none */
} corio__overflow;

/* Installs the process-wide SIGSEGV handler (once) and an alternate signal
 * stack for this thread if it has none. -1 when no memory for it. */
int corio__overflow_start(corio__overflow *o);
void corio__overflow_stop(corio__overflow *o);

#endif
