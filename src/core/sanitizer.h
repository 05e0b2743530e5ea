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
#define CORIO__FIBER_START(save, bottom, size) __sanitizer_start_switch_fiber((save), (bottom), (size))
#define CORIO__FIBER_FINISH(save, bottom, size) __sanitizer_finish_switch_fiber((save), (bottom), (size))
#else
#define CORIO__UNPOISON(p, n) ((void)(p), (void)(n))
#define CORIO__FIBER_START(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#define CORIO__FIBER_FINISH(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#endif

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define CORIO__VG_REGISTER(lo, hi) VALGRIND_STACK_REGISTER((lo), (hi))
#define CORIO__VG_DEREGISTER(id) VALGRIND_STACK_DEREGISTER(id)
#endif
#endif
#ifndef CORIO__VG_REGISTER
#define CORIO__VG_REGISTER(lo, hi) 0u
#define CORIO__VG_DEREGISTER(id) ((void)(id))
#endif

#endif
