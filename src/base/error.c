#include <errno.h>
#include <string.h>

#include <corio/error.h>

const char *corio_strerror(intptr_t rc)
{
    if (rc >= 0)
        return "success";
    switch (-rc) {
    case ECANCELED:
        return "operation cancelled (the task or its scope was cancelled)";
    case ETIMEDOUT:
        return "deadline passed (the call's own, or its cancel scope's)";
    case EPERM:
        return "not permitted (e.g. spawning into a nursery whose task has ended)";
    case EDEADLK:
        return "would wait forever (a task waiting on itself, or on a lock it holds)";
    case EALREADY:
        return "already done (the future is resolved, the handle has fired)";
    case EBUSY:
        return "in use (waiters or holders remain; nothing was freed)";
    case EPIPE:
        return "closed (the queue or the peer's end is closed)";
    case EMSGSIZE:
        return "too large (over the limit the caller set, or the protocol's)";
    case CORIO_EDNS:
        return "host name could not be resolved";
    case CORIO_ESERVER:
        return "the server replied with an error";
    default:
        break;
    }
    /* Static strings, unlike strerror's "Unknown error N" buffer. */
    const char *desc = rc < -4095 ? NULL : strerrordesc_np((int)-rc);
    return desc ? desc : "unknown error";
}

const char *corio_version(void)
{
    return CORIO_VERSION_STRING;
}
