"""Test-only rules that put broken artifacts through the rules' own validation actions."""

load("//rules:providers.bzl", "RuntimeInfo")

# buildifier: disable=bzl-visibility
load("//rules/private:actiond_tool_toolchain.bzl", "ACTIOND_TOOL_TOOLCHAIN_TYPE", "actiond_tool")

# buildifier: disable=bzl-visibility
load("//rules/private:glibc_runtime.bzl", "runtime_validation_action")

# buildifier: disable=bzl-visibility
load("//rules/private:squashfs.bzl", "squashfs_validation_action")

# buildifier: disable=bzl-visibility
load("//rules/private:standalone.bzl", "standalone_validation_action")

def _runtime_with_manifest_impl(ctx):
    real = ctx.attr.runtime[RuntimeInfo]
    name = ctx.attr.runtime_name or real.name
    runtime = RuntimeInfo(
        name = name,
        arch = real.arch,
        glibc_version = name.removeprefix("glibc"),
        debs = real.debs,
        manifest = ctx.file.manifest,
        packages = real.packages,
        strip = real.strip,
        additions = real.additions,
    )
    return [
        runtime,
        OutputGroupInfo(_validation = depset([runtime_validation_action(ctx, actiond_tool(ctx), runtime)])),
    ]

runtime_with_manifest = rule(
    implementation = _runtime_with_manifest_impl,
    toolchains = [ACTIOND_TOOL_TOOLCHAIN_TYPE],
    doc = "A real runtime's .debs with another manifest (and name), validated as `glibc_runtime` validates.",
    attrs = {
        "manifest": attr.label(allow_single_file = [".json"], mandatory = True),
        "runtime": attr.label(providers = [RuntimeInfo], mandatory = True),
        "runtime_name": attr.string(doc = "Another name for the runtime, e.g. `glibc2.31`."),
    },
)

def _checked_image_impl(ctx):
    spec = ctx.actions.declare_file(ctx.label.name + ".spec.json")
    ctx.actions.write(spec, json.encode({"entries": []}))
    stamp = squashfs_validation_action(ctx, actiond_tool(ctx), ctx.file.image, spec, depset())
    return [
        DefaultInfo(files = depset([ctx.file.image])),
        OutputGroupInfo(_validation = depset([stamp])),
    ]

checked_image = rule(
    implementation = _checked_image_impl,
    toolchains = [ACTIOND_TOOL_TOOLCHAIN_TYPE],
    doc = "Any image file, validated as `runtime_squashfs` and `squashfs_image` validate theirs.",
    attrs = {
        "image": attr.label(allow_single_file = True, mandatory = True),
    },
)

def _checked_standalone_impl(ctx):
    payloads = {name: target.files.to_list()[0] for target, name in ctx.attr.payloads.items()}
    stamp = standalone_validation_action(ctx, actiond_tool(ctx), ctx.file.binary, payloads, ".actiond.")
    return [
        DefaultInfo(files = depset([ctx.file.binary])),
        OutputGroupInfo(_validation = depset([stamp])),
    ]

checked_standalone = rule(
    implementation = _checked_standalone_impl,
    toolchains = [ACTIOND_TOOL_TOOLCHAIN_TYPE],
    doc = "Any binary file, validated as `standalone_binary` validates its output against `payloads`.",
    attrs = {
        "binary": attr.label(allow_single_file = True, mandatory = True),
        "payloads": attr.label_keyed_string_dict(allow_files = True, mandatory = True, doc = "File -> payload name."),
    },
)
