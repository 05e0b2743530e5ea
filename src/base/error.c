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
        return "already done (the future is resolved, the handle has fired, the response "
               "has started)";
    case EBUSY:
        return "in use (waiters or holders remain, or another task is using the connection; "
               "nothing was done)";
    case EPIPE:
        return "closed (the queue, the connection or the peer's end is closed)";
    case EMSGSIZE:
        return "too large (over the limit the caller set, or the protocol's)";
    case EINVAL:
        return "invalid argument (a value the function's header rules out: a bad flag, "
               "size, URL or state; see its comment)";
    case EAGAIN:
        return "not now (a try_ call would have to wait, or a resource is short for the moment: "
               "try again)";
    case ENOENT:
        return "not found (no such host, file, key or name)";
    case EBADF:
        return "descriptor closed (corio_fd_close ran while the task waited on it)";
    case EBADMSG:
        return "malformed message from the peer (not HTTP/1.x, a bad chunk, a reply of another "
               "type)";
    case EPROTO:
        return "protocol error (a TLS failure, or bytes that are not the protocol)";
    case EKEYREJECTED:
        return "certificate rejected (it did not verify or does not match the host: "
               "corio_tls_last_error says why)";
    case ECONNRESET:
        return "connection reset (the peer closed or reset it mid-exchange)";
    case ECONNABORTED:
        return "connection aborted by this side (a cancelled blocking command, "
               "corio_transport_abort)";
    case ECHILD:
        return "the child process is gone (a pool worker died mid-call, or it was reaped "
               "elsewhere)";
    case EOVERFLOW:
        return "released too often (a bounded semaphore above its initial value)";
    case ENODATA:
        return "no value (the database value is NULL)";
    case ERANGE:
        return "out of range (a row, column or index past the end, or a number that does not "
               "fit)";
    case EFBIG:
        return "file too large (over the size limit the caller gave)";
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
