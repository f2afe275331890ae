"""Test-only: one file built for another platform (such as aarch64 test programs)."""

# buildifier: disable=bzl-visibility
load("//rules/private:vm.bzl", "vm_platform_transition")

def _platform_file_impl(ctx):
    src = ctx.files.src[0]
    out = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.symlink(output = out, target_file = src, is_executable = True)
    return [DefaultInfo(files = depset([out]), executable = out)]

platform_file = rule(
    implementation = _platform_file_impl,
    executable = True,
    doc = "`src` (one file) built for `platform`, as `<name>` (executable, so it can be a test's binary).",
    attrs = {
        "platform": attr.label(mandatory = True, doc = "The platform to build `src` for."),
        "src": attr.label(allow_single_file = True, mandatory = True, cfg = vm_platform_transition, doc = "The file."),
    },
)
