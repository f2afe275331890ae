"""`zstd_compress`: deterministic zstd compression of one file."""

load(":actiond_tool_toolchain.bzl", "ACTIOND_TOOL_TOOLCHAIN_TYPE", "actiond_tool")

def _zstd_compress_impl(ctx):
    out = ctx.actions.declare_file(ctx.attr.out or ctx.file.src.basename + ".zst")
    args = ctx.actions.args()
    args.add("zstd")
    args.add("--level", str(ctx.attr.level))
    args.add("--threads", str(ctx.attr.threads))
    if ctx.attr.long:
        args.add("--long")
    if ctx.attr.kernel:
        args.add("--kernel")
    args.add(ctx.file.src)
    args.add(out)
    ctx.actions.run(
        executable = actiond_tool(ctx),
        arguments = [args],
        inputs = [ctx.file.src],
        outputs = [out],
        mnemonic = "ZstdCompress",
        progress_message = "Compressing %{input} with zstd",
    )
    return [DefaultInfo(files = depset([out]))]

zstd_compress = rule(
    implementation = _zstd_compress_impl,
    toolchains = [ACTIOND_TOOL_TOOLCHAIN_TYPE],
    doc = """Compresses one file with zstd (the zstd crate, in its multi-threaded mode).

The output is byte-identical for any `threads`, and depends only on the
input, `level` and `long`. With `kernel = True` the input must be a Linux
kernel image (x86 bzImage, arm64 Image or ELF vmlinux), so an empty or wrong
file fails the build.

Example:

```starlark
load("@rules_actiond//rules:zstd.bzl", "zstd_compress")

zstd_compress(
    name = "linux_kernel_zst",
    src = "@linux_image//:boot/vmlinuz-6.8.0-31-generic",
    kernel = True,
    level = 19,
)
```
""",
    attrs = {
        "kernel": attr.bool(doc = "Check that `src` is a Linux kernel image."),
        "level": attr.int(default = 19, doc = "zstd level, 1 to 22."),
        "long": attr.bool(doc = "Long-distance matching."),
        "out": attr.string(doc = "Output file name; default `<src>.zst`."),
        "src": attr.label(allow_single_file = True, mandatory = True, doc = "The file to compress."),
        "threads": attr.int(default = 0, doc = "Worker threads, 0 for every core; the output does not depend on it."),
    },
)
