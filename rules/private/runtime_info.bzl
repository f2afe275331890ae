"""The rule that turns a runtime repository's files into a RuntimeInfo target."""

load("//rules:providers.bzl", "RuntimeInfo")

def _glibc_runtime_impl(ctx):
    root_files = depset(ctx.files.root_files)
    return [
        RuntimeInfo(
            name = ctx.attr.runtime_name,
            arch = ctx.attr.arch,
            glibc_version = ctx.attr.glibc_version,
            debs = ctx.files.debs,
            manifest = ctx.file.manifest,
            strip = ctx.attr.strip,
            symlinks = ctx.attr.symlinks,
            root = ctx.file.root,
            root_files = root_files,
        ),
        DefaultInfo(
            files = depset([ctx.file.manifest] + ctx.files.debs),
            runfiles = ctx.runfiles(
                files = [ctx.file.manifest, ctx.file.root] + ctx.files.debs,
                transitive_files = root_files,
            ),
        ),
    ]

glibc_runtime = rule(
    implementation = _glibc_runtime_impl,
    doc = "A glibc runtime made by `glibc_deb_runtime`; it provides `RuntimeInfo`.",
    attrs = {
        "arch": attr.string(mandatory = True, values = ["x86_64", "aarch64"]),
        "debs": attr.label_list(allow_files = [".deb"], mandatory = True),
        "glibc_version": attr.string(mandatory = True),
        "manifest": attr.label(allow_single_file = [".json"], mandatory = True),
        "root": attr.label(allow_single_file = True, mandatory = True),
        "root_files": attr.label_list(allow_files = True),
        "runtime_name": attr.string(mandatory = True),
        "strip": attr.string_list(),
        "symlinks": attr.string_dict(),
    },
    provides = [RuntimeInfo],
)
