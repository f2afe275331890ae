"""Platforms whose actions run inside a chosen glibc runtime."""

LIBC_EXEC_PROPERTY = "libc"

def validate_libc(libc):
    """Returns an error message for a malformed runtime name, or None.

    Args:
      libc: a runtime name such as `glibc2.35`.

    Returns:
      None when `libc` is `glibc<major>.<minor>`, else a message saying why not.
    """
    if not libc.startswith("glibc"):
        return "libc {} must start with 'glibc', as in glibc2.35".format(repr(libc))
    parts = libc[len("glibc"):].split(".")
    if len(parts) != 2 or not parts[0].isdigit() or not parts[1].isdigit():
        return "libc {} must be glibc<major>.<minor>, as in glibc2.35".format(repr(libc))
    return None

def exec_properties_error(libc, exec_properties):
    """Returns why `libc` and `exec_properties` cannot make a runtime's exec properties, or None.

    Args:
      libc: a runtime name such as `glibc2.35`.
      exec_properties: the other exec properties.

    Returns:
      None, or the message that `libc_exec_properties` and `libc_platform` fail with.
    """
    error = validate_libc(libc)
    if error:
        return error
    if LIBC_EXEC_PROPERTY in exec_properties:
        return "exec_properties already sets {}; pass it as libc instead".format(repr(LIBC_EXEC_PROPERTY))
    return None

def libc_exec_properties(libc, exec_properties = {}):
    """The exec_properties that ask an executor for the runtime `libc`.

    Example: one target's actions inside glibc 2.35, whatever the platform.

    ```starlark
    load("@rules_actiond//rules:platforms.bzl", "libc_exec_properties")

    genrule(
        name = "report",
        outs = ["report.txt"],
        cmd = "uname -a >$@",
        exec_properties = libc_exec_properties("glibc2.35", {"Pool": "default"}),
    )
    ```

    Args:
      libc: a runtime name such as `glibc2.35`.
      exec_properties: other properties to keep; a `libc` key among them is an error.

    Returns:
      A new dict: `exec_properties` plus `{"libc": libc}`.
    """
    error = exec_properties_error(libc, exec_properties)
    if error:
        fail(error)
    return dict(exec_properties, **{LIBC_EXEC_PROPERTY: libc})

def libc_platform(name, libc, parents, exec_properties = {}, **kwargs):
    """A platform whose actions an executor runs inside the runtime `libc`.

    Example:

    ```starlark
    load("@rules_actiond//rules:platforms.bzl", "libc_platform")

    libc_platform(
        name = "linux_x86_64_glibc2_35",
        libc = "glibc2.35",
        parents = ["@rules_actiond//platforms:linux_x86_64"],
    )
    ```

    Args:
      name: the platform's name.
      libc: the runtime, such as `glibc2.35`; it becomes the `libc` exec property.
      parents: the platform to inherit constraints from (a one-element list).
      exec_properties: further exec properties.
      **kwargs: passed on to `platform`.
    """
    native.platform(
        name = name,
        parents = parents,
        exec_properties = libc_exec_properties(libc, exec_properties),
        **kwargs
    )
