#include <errno.h>
#include <string.h>

#include <corio/error.h>

const char *corio_strerror(intptr_t rc)
{
    if (rc >= 0)
        return "success";
    switch (-rc) {
    case ECANCELED:
        return "operation cancelled";
    case ETIMEDOUT:
        return "deadline passed";
    case EPERM:
        return "not allowed here (outside a task, or not the owner)";
    case EDEADLK:
        return "would wait forever (deadlock)";
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
