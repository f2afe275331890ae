"""What a repository rule learns of a gcc on this machine, to make a cc toolchain of it."""

# gcc's tools, by their names in a cc toolchain's tool_paths.
GCC_TOOLS = [
    "ar",
    "cpp",
    "dwp",
    "gcc",
    "gcov",
    "ld",
    "nm",
    "objcopy",
    "objdump",
    "strip",
]

def gcc_tool_paths(prefix):
    """The tool_paths of a gcc installed as `<prefix>gcc`, `<prefix>ld`, ...

    Args:
      prefix: e.g. `/usr/bin/` or `/usr/bin/aarch64-linux-gnu-`.

    Returns:
      dict of tool name -> path.
    """
    return {tool: prefix + tool for tool in GCC_TOOLS}

def gcc_include_dirs(rctx, gcc, what):
    """The directories `gcc` searches for `#include <...>`, real paths.

    Args:
      rctx: a repository_ctx.
      gcc: the compiler's path.
      what: names the caller in errors.

    Returns:
      list of str.
    """
    result = rctx.execute([gcc, "-E", "-xc", "-v", "/dev/null"])
    if result.return_code != 0:
        fail("{}: `{} -E -v` failed: {}".format(what, gcc, result.stderr))
    dirs = []
    inside = False
    for line in result.stderr.splitlines():
        if line.startswith("#include <...>"):
            inside = True
        elif line.startswith("End of search list"):
            inside = False
        elif inside:
            dirs.append(str(rctx.path(line.strip()).realpath))
    if not dirs:
        fail("{}: no include directories in `{} -E -v`".format(what, gcc))
    return dirs
