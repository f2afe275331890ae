/* A dynamically linked test program for every runtime: it asks the runtime's
 * own libc for its version. It has its own _start, so it needs no symbol
 * newer than glibc 2.2.5 (a normal main() would need __libc_start_main from
 * the build machine's glibc) and runs on 2.31, 2.35 and 2.39 alike. */
#include <gnu/libc-version.h>
#include <unistd.h>

static void say(const char *s) {
  const char *end = s;
  while (*end) end++;
  write(1, s, end - s);
}

/* x86_64 enters _start with a 16-byte aligned stack, not a call frame's. */
#if defined(__x86_64__)
__attribute__((force_align_arg_pointer))
#endif
__attribute__((noreturn)) void _start(void) {
  say("actiond-testprog glibc=");
  say(gnu_get_libc_version());
  say("\n");
  _exit(0);
}
