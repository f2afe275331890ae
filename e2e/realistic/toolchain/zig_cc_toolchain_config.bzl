"""A C toolchain on the static `zig` binary: `zig cc`, `zig ar` and `zig objcopy`.

Its tools are launchers (`zig-cc` and so on, from @zig) that put the
subcommand first: Bazel may move every argument of a link or an archive
into a params file. Zig and the launchers are static, so the toolchain runs
on any Linux host and inside any glibc runtime of an executor. The
configuration declares `no_legacy_features` and lays out each command line
itself.

Dependency files come from `-MMD`, which leaves out system headers. Zig
passes its own (clang's and glibc's, in its `lib/`) as system headers, by
absolute paths that differ between a local sandbox and a remote input root,
which Bazel's inclusion check would refuse. They are inputs of every compile
all the same, through the toolchain's `compiler_files`.
"""

load("@rules_cc//cc:action_names.bzl", "ACTION_NAMES")
load(
    "@rules_cc//cc:cc_toolchain_config_lib.bzl",
    "action_config",
    "env_entry",
    "env_set",
    "feature",
    "flag_group",
    "flag_set",
    "tool",
    "variable_with_value",
)
load("@rules_cc//cc/common:cc_common.bzl", "cc_common")
load("@rules_cc//cc/toolchains:cc_toolchain_config_info.bzl", "CcToolchainConfigInfo")

_COMPILE = [ACTION_NAMES.c_compile]
_LINK = [ACTION_NAMES.cpp_link_executable]
_ARCHIVE = [ACTION_NAMES.cpp_link_static_library]

# cc_binary and cc_test declare a stripped program (`name.stripped`),
# made only when asked for.
_STRIP = [ACTION_NAMES.strip]

def _flags(name, actions, flag_groups, **kwargs):
    return feature(
        name = name,
        enabled = True,
        flag_sets = [flag_set(actions = actions, flag_groups = flag_groups)],
        **kwargs
    )

def _object_files():
    """The objects of `libraries_to_link`, as archives and links list them."""
    return flag_group(
        iterate_over = "libraries_to_link",
        expand_if_available = "libraries_to_link",
        flag_groups = [
            flag_group(
                flags = ["%{libraries_to_link.object_files}"],
                iterate_over = "libraries_to_link.object_files",
                expand_if_equal = variable_with_value(name = "libraries_to_link.type", value = "object_file_group"),
            ),
        ] + [
            flag_group(
                flags = ["%{libraries_to_link.name}"],
                expand_if_equal = variable_with_value(name = "libraries_to_link.type", value = kind),
            )
            for kind in ["object_file", "static_library"]
        ],
    )

def _impl(ctx):
    features = [
        feature(name = "no_legacy_features", enabled = True),
        _flags("linker_param_file", _LINK + _ARCHIVE, [
            flag_group(
                flags = ["@%{linker_param_file}"],
                expand_if_available = "linker_param_file",
            ),
        ]),
        _flags("archiver_flags", _ARCHIVE, [flag_group(flags = ["rcsD", "%{output_execpath}"])]),
        _flags("strip_flags", _STRIP, [
            flag_group(flags = ["--strip-all", "%{input_file}", "%{output_file}"]),
        ]),
        _flags("target", _COMPILE + _LINK, [flag_group(flags = ["-target", ctx.attr.target])]),
        # Zig's compiler cache, inside the action's own directory: it
        # needs no HOME, and nothing outlives the action.
        feature(
            name = "zig_cache",
            enabled = True,
            env_sets = [env_set(
                actions = _COMPILE + _LINK + _ARCHIVE,
                env_entries = [
                    env_entry(key = "ZIG_GLOBAL_CACHE_DIR", value = "zig-cache"),
                    env_entry(key = "ZIG_LOCAL_CACHE_DIR", value = "zig-cache"),
                ],
            )],
        ),
        _flags("default_compile_flags", _COMPILE, [flag_group(flags = ctx.attr.compile_flags)]),
        _flags("preprocessor_defines", _COMPILE, [
            flag_group(flags = ["-D%{preprocessor_defines}"], iterate_over = "preprocessor_defines"),
        ]),
        _flags("include_paths", _COMPILE, [
            flag_group(flags = ["-iquote", "%{quote_include_paths}"], iterate_over = "quote_include_paths"),
            flag_group(flags = ["-I%{include_paths}"], iterate_over = "include_paths"),
            flag_group(flags = ["-isystem", "%{system_include_paths}"], iterate_over = "system_include_paths"),
        ]),
        _flags("user_compile_flags", _COMPILE, [
            flag_group(
                flags = ["%{user_compile_flags}"],
                iterate_over = "user_compile_flags",
                expand_if_available = "user_compile_flags",
            ),
        ]),
        _flags("dependency_file", _COMPILE, [
            flag_group(
                flags = ["-MMD", "-MF", "%{dependency_file}"],
                expand_if_available = "dependency_file",
            ),
        ]),
        _flags("compile_input_output", _COMPILE, [
            flag_group(flags = ["-c", "%{source_file}"]),
            flag_group(flags = ["-o", "%{output_file}"]),
        ]),
        _flags("link_output", _LINK, [flag_group(flags = ["-o", "%{output_execpath}"])]),
        _flags("libraries_to_link", _LINK + _ARCHIVE, [_object_files()]),
        _flags("user_link_flags", _LINK, [
            flag_group(
                flags = ["%{user_link_flags}"],
                iterate_over = "user_link_flags",
                expand_if_available = "user_link_flags",
            ),
        ]),
    ]
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        toolchain_identifier = "zig-" + ctx.attr.target,
        compiler = "clang",
        target_cpu = ctx.attr.target.split("-")[0],
        target_libc = "glibc",
        target_system_name = ctx.attr.target,
        abi_version = "unknown",
        abi_libc_version = "unknown",
        action_configs = [
            action_config(action_name = name, enabled = True, tools = [tool(tool = launcher)])
            for names, launcher in [
                (_COMPILE + _LINK, ctx.file.cc),
                (_ARCHIVE, ctx.file.ar),
                (_STRIP, ctx.file.objcopy),
            ]
            for name in names
        ],
        features = features,
    )

zig_cc_toolchain_config = rule(
    implementation = _impl,
    doc = "The configuration of a C toolchain on the static `zig` binary.",
    attrs = {
        "ar": attr.label(
            mandatory = True,
            allow_single_file = True,
            cfg = "exec",
            doc = "The `zig-ar` launcher.",
        ),
        "cc": attr.label(
            mandatory = True,
            allow_single_file = True,
            cfg = "exec",
            doc = "The `zig-cc` launcher.",
        ),
        "compile_flags": attr.string_list(
            default = [],
            doc = "Flags for every C compile.",
        ),
        "target": attr.string(
            mandatory = True,
            doc = "Zig's target triple with the glibc version, such as `x86_64-linux-gnu.2.31`.",
        ),
        "objcopy": attr.label(
            mandatory = True,
            allow_single_file = True,
            cfg = "exec",
            doc = "The `zig-objcopy` launcher.",
        ),
    },
    provides = [CcToolchainConfigInfo],
)
