/* Name lookup inside a runtime, through its own libc: exits 0 only when
 * - /etc/hosts and /etc/nsswitch.conf have content (the image's common
 *   files, bound on top of the runtime's empty mount points),
 * - the runtime's own /etc is mounted too (its ld.so.conf.d is there), and
 * - getaddrinfo("localhost") gives 127.0.0.1 (nsswitch's `files`).
 * It prints what it saw, one key=value a line. Like vm/testprog.c it has its
 * own _start, so it needs no symbol newer than glibc 2.2.5 and runs on 2.31
 * too. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void say(const char *s) { write(1, s, strlen(s)); }

static void line(const char *key, const char *value) {
  say(key);
  say("=");
  say(value);
  say("\n");
}

/* The first line of `path`, or "missing"/"empty" in `buf`. */
static const char *first_line(const char *path, char *buf, int size) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return "missing";
  int n = read(fd, buf, size - 1);
  close(fd);
  if (n <= 0) return "empty";
  buf[n] = 0;
  buf[strcspn(buf, "\n")] = 0;
  return buf;
}

static int run(void) {
  char hosts[256], nsswitch[256], addr[64] = "unresolved";
  int ok = 1;
  const char *h = first_line("/etc/hosts", hosts, sizeof hosts);
  const char *n = first_line("/etc/nsswitch.conf", nsswitch, sizeof nsswitch);
  line("hosts", h);
  line("nsswitch", n);
  ok &= h == hosts && n == nsswitch;
  int etc = access("/etc/ld.so.conf.d", F_OK) == 0;
  line("runtime_etc", etc ? "yes" : "missing");
  ok &= etc;

  struct addrinfo hints, *res = 0;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  int rc = getaddrinfo("localhost", 0, &hints, &res);
  if (rc != 0) {
    strncpy(addr, gai_strerror(rc), sizeof addr - 1);
  } else {
    inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, addr, sizeof addr);
    freeaddrinfo(res);
  }
  line("localhost", addr);
  ok &= strcmp(addr, "127.0.0.1") == 0;
  return ok ? 0 : 1;
}

/* x86_64 enters _start with a 16-byte aligned stack, not a call frame's. */
#if defined(__x86_64__)
__attribute__((force_align_arg_pointer))
#endif
__attribute__((noreturn)) void _start(void) {
  _exit(run());
}
