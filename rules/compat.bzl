"""Public API: glibc compatibility tests.

- `glibc_compat_test`: runs a binary inside runtimes of a runtimes image, as
  an executor would for `libc=<name>`, and checks where it runs and where it
  must not.
"""

load("//rules/private:glibc_compat_test.bzl", _glibc_compat_test = "glibc_compat_test")

def glibc_compat_test(name, binary, runtimes = [], expect_failure = {}, image = None, tags = [], **kwargs):
    """Tests that `binary` runs inside each of `runtimes`, and fails inside each of `expect_failure`.

    Each run goes through `actiond-tool runtime run`: in a private mount
    namespace, a read-only root holds the image's `common/root`, the runtime's
    manifest mounts, `/proc`, basic `/dev` nodes, a `/tmp` tmpfs and the
    binary's own directory; the binary runs chrooted there, or under
    `qemu-<arch> -L <root>` for another architecture (qemu-user must be on the
    test's `PATH`). The test prints one PASS or FAIL line per runtime, with the
    binary's last lines of output on a FAIL.

    The runs need root (mount namespaces and a loop device for the image), so
    the test is tagged `no-sandbox` and `requires-loop-mount`. `binary` must be
    self-contained: it sees the runtime's libraries, not the host's, and not
    its runfiles.

    Example: a program linked against glibc 2.36 that calls `closefrom`
    (`GLIBC_2.34`) runs on 2.35 and 2.39 and is refused on 2.31:

    ```starlark
    load("@rules_actiond//rules:compat.bzl", "glibc_compat_test")

    glibc_compat_test(
        name = "closefrom_compat_test",
        binary = ":uses_closefrom",
        runtimes = [
            "@rules_actiond//runtimes:glibc2.35_x86_64",
            "@rules_actiond//runtimes:glibc2.39_x86_64",
        ],
        expect_failure = {
            "@rules_actiond//runtimes:glibc2.31_x86_64": "version `GLIBC_2.34' not found",
        },
        image = "@rules_actiond//runtimes:runtimes_squashfs_x86_64",
    )
    ```

    Args:
      name: the test's name.
      binary: the executable to run.
      runtimes: runtime targets (`RuntimeInfo`) in which `binary` must exit 0.
      expect_failure: runtime target -> a substring the failing run's output
        must contain, such as the loader's "version `GLIBC_2.34' not found";
        `""` accepts any failure.
      image: the runtimes image (`runtime_squashfs`) that holds every runtime
        named here; by default `@rules_actiond//runtimes:runtimes_squashfs`.
      tags: more tags.
      **kwargs: common test attributes (`args` go to `binary`, `size`, ...).
    """
    _glibc_compat_test(
        name = name,
        binary = binary,
        runtimes = runtimes,
        failing_runtimes = expect_failure,
        image = image,
        tags = tags + ["no-sandbox", "requires-loop-mount"],
        **kwargs
    )
