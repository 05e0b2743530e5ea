/* Hooks that tell AddressSanitizer and valgrind about our stacks; each is a
 * no-op when that tool is not in use. */
#ifndef CORIO_CORE_SANITIZER_H
#define CORIO_CORE_SANITIZER_H

#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#define CORIO__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CORIO__ASAN 1
#endif
#endif

#if defined(CORIO__ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define CORIO__UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#define CORIO__FIBER_START(save, bottom, size)                                                     \
    __sanitizer_start_switch_fiber((save), (bottom), (size))
#define CORIO__FIBER_FINISH(save, bottom, size)                                                    \
    __sanitizer_finish_switch_fiber((save), (bottom), (size))
#else
#define CORIO__UNPOISON(p, n)                   ((void)(p), (void)(n))
#define CORIO__FIBER_START(save, bottom, size)  ((void)(save), (void)(bottom), (void)(size))
#define CORIO__FIBER_FINISH(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#endif

#if defined(__SANITIZE_THREAD__)
#define CORIO__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CORIO__TSAN 1
#endif
#endif

/* ThreadSanitizer must be told which stack ("fiber") runs, or it takes a
 * task switch for memory corruption. */
#if defined(CORIO__TSAN)
#include <sanitizer/tsan_interface.h>
#define CORIO__TSAN_CURRENT()  __tsan_get_current_fiber()
#define CORIO__TSAN_CREATE()   __tsan_create_fiber(0)
#define CORIO__TSAN_DESTROY(f) __tsan_destroy_fiber(f)
#define CORIO__TSAN_SWITCH(f)  __tsan_switch_to_fiber((f), 0)
#else
#define CORIO__TSAN_CURRENT()  NULL
#define CORIO__TSAN_CREATE()   NULL
#define CORIO__TSAN_DESTROY(f) ((void)(f))
#define CORIO__TSAN_SWITCH(f)  ((void)(f))
#endif

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define CORIO__VG_REGISTER(lo, hi) VALGRIND_STACK_REGISTER((lo), (hi))
#define CORIO__VG_DEREGISTER(id)   VALGRIND_STACK_DEREGISTER(id)
#endif
#endif
#ifndef CORIO__VG_REGISTER
#define CORIO__VG_REGISTER(lo, hi) 0u
#define CORIO__VG_DEREGISTER(id)   ((void)(id))
#endif

#endif
