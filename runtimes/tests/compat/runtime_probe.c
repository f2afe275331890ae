/* Reports what a command sees inside a runtime root, one key=value a line,
 * for runtime_run_test.sh. `runtime_probe exit N` exits N instead;
 * `runtime_probe kill` dies of SIGTERM. */
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *can_create(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return strerror(errno);
  close(fd);
  unlink(path);
  return "yes";
}

static void first_line(const char *key, const char *path) {
  char line[256] = "";
  FILE *f = fopen(path, "r");
  if (!f) {
    printf("%s=missing\n", key);
    return;
  }
  if (!fgets(line, sizeof line, f)) line[0] = 0;
  line[strcspn(line, "\n")] = 0;
  fclose(f);
  printf("%s=%s\n", key, line);
}

int main(int argc, char **argv) {
  char cwd[4096];
  if (argc == 3 && strcmp(argv[1], "exit") == 0) return atoi(argv[2]);
  if (argc == 2 && strcmp(argv[1], "kill") == 0) raise(SIGTERM);
  printf("glibc=%s\n", gnu_get_libc_version());
  printf("cwd=%s\n", getcwd(cwd, sizeof cwd) ? cwd : strerror(errno));
  printf("path=%s\n", getenv("PATH") ? getenv("PATH") : "unset");
  printf("home=%s\n", getenv("HOME") ? getenv("HOME") : "unset");
  printf("probe_env=%s\n", getenv("PROBE") ? getenv("PROBE") : "unset");
  first_line("hosts", "/etc/hosts");
  printf("nsswitch=%s\n", access("/etc/nsswitch.conf", R_OK) == 0 ? "yes" : "missing");
  printf("proc=%s\n", access("/proc/self/exe", F_OK) == 0 ? "yes" : "missing");
  printf("dev_null=%s\n", access("/dev/null", W_OK) == 0 ? "yes" : strerror(errno));
  printf("write_root=%s\n", can_create("/probe"));
  printf("write_tmp=%s\n", can_create("/tmp/probe"));
  printf("write_lib=%s\n", can_create("/lib/x86_64-linux-gnu/probe"));
  printf("bin_sh=%s\n", access("/bin/sh", F_OK) == 0 ? "present" : "absent");
  return 0;
}
