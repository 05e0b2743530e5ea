/* How much a loopback TCP connection can hold in the kernel, read at run
 * time: tests that need a peer's writes to back up must write more than
 * this, and the autotuned maxima differ between machines. */
#ifndef CORIO_TEST_KERNEL_BUFFERS_H
#define CORIO_TEST_KERNEL_BUFFERS_H

#include <stddef.h>
#include <stdio.h>

/* The largest send buffer TCP autotuning gives a socket (tcp_wmem's third
 * field); 4 MiB, Linux's default, when it cannot be read. */
static inline size_t tcp_send_buffer_max(void)
{
    unsigned long lo, def, max = 4ul << 20;
    FILE *f = fopen("/proc/sys/net/ipv4/tcp_wmem", "r");
    if (f) {
        if (fscanf(f, "%lu %lu %lu", &lo, &def, &max) != 3)
            max = 4ul << 20;
        fclose(f);
    }
    return (size_t)max;
}

#endif
