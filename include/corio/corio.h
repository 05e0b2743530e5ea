/* corio: asyncio-style coroutines, structured concurrency and I/O for C. */
#ifndef CORIO_H
#define CORIO_H

#include "cancel.h"
#include "common.h"
#include "dns.h"
#include "error.h"
#include "file.h"
#include "future.h"
#include "gen.h"
#include "http.h"
#include "io.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "nursery.h"
#include "pool.h"
#include "process.h"
#include "protocol.h"
#include "procpool.h"
#include "queue.h"
#include "respool.h"
#include "run.h"
#include "signal.h"
#include "stream.h"
#include "sync.h"
#include "task.h"
#include "tls.h"
#include "tsqueue.h"
#include "url.h"
#include "time.h"

#endif
