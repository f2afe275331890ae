"""`glibc_sysroot`: a sysroot made from .debs in a build action, and a gcc toolchain over it."""

load("@bazel_tools//tools/build_defs/cc:action_names.bzl", "ACTION_NAMES")
load(
    "@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
    "with_feature_set",
)
load("@rules_cc//cc/common:cc_common.bzl", "cc_common")
load("@rules_cc//cc/toolchains:cc_toolchain.bzl", "cc_toolchain")
load("@rules_cc//cc/toolchains:cc_toolchain_config_info.bzl", "CcToolchainConfigInfo")
load("//rules:providers.bzl", "GlibcSysrootInfo")
load(":actiond_tool_toolchain.bzl", "ACTIOND_TOOL_TOOLCHAIN_TYPE", "actiond_tool")

def _glibc_sysroot_impl(ctx):
    root = ctx.actions.declare_directory(ctx.label.name)
    args = ctx.actions.args()
    args.add_all(["sysroot", "--name", ctx.attr.sysroot_name, "--arch", ctx.attr.arch])
    args.add_all(ctx.attr.strip, before_each = "--strip")
    args.add("--out", root.path)
    args.add_all(ctx.files.debs)
    ctx.actions.run(
        executable = actiond_tool(ctx),
        arguments = [args],
        inputs = ctx.files.debs,
        outputs = [root],
        mnemonic = "GlibcSysroot",
        progress_message = "Making the {} {} sysroot from its .debs".format(ctx.attr.sysroot_name, ctx.attr.arch),
    )
    return [
        DefaultInfo(files = depset([root])),
        GlibcSysrootInfo(
            name = ctx.attr.sysroot_name,
            arch = ctx.attr.arch,
            glibc_version = ctx.attr.sysroot_name.removeprefix("glibc"),
            root = root,
        ),
    ]

glibc_sysroot = rule(
    implementation = _glibc_sysroot_impl,
    toolchains = [ACTIOND_TOOL_TOOLCHAIN_TYPE],
    doc = """A sysroot to link against glibc `sysroot_name`, made by the `glibc` extension's `sysroot` tag.

A build action reads the .debs through actiond-tool's checked reader: they
must hold libc6 of that glibc and libc6-dev of the same version. Absolute
symlinks become relative and GNU ld scripts sysroot-relative, so the tree
works wherever Bazel puts it.""",
    attrs = {
        "arch": attr.string(mandatory = True, values = ["x86_64", "aarch64"]),
        "debs": attr.label_list(allow_files = [".deb"], mandatory = True),
        "strip": attr.string_list(),
        "sysroot_name": attr.string(mandatory = True),
    },
    provides = [GlibcSysrootInfo],
)

_COMPILE = [
    ACTION_NAMES.assemble,
    ACTION_NAMES.preprocess_assemble,
    ACTION_NAMES.c_compile,
    ACTION_NAMES.cpp_compile,
    ACTION_NAMES.cpp_header_parsing,
    ACTION_NAMES.cpp_module_compile,
]

_LINK = [
    ACTION_NAMES.cpp_link_executable,
    ACTION_NAMES.cpp_link_dynamic_library,
    ACTION_NAMES.cpp_link_nodeps_dynamic_library,
]

def _flags(actions, flags, features = None):
    return flag_set(
        actions = actions,
        flag_groups = [flag_group(flags = flags)],
        with_features = [with_feature_set(features = features)] if features else [],
    )

def _sysroot_cc_toolchain_config_impl(ctx):
    sysroot = ctx.attr.sysroot[GlibcSysrootInfo]
    root = sysroot.root.path
    triplet = sysroot.arch + "-linux-gnu"

    # Headers: gcc's own, then the sysroot's, by relative paths (gcc's
    # --sysroot would make them absolute, sandbox and all, which Bazel's
    # include check refuses). Links: --sysroot, which ld needs for its ld
    # scripts, and the sysroot's crt files, libc, libstdc++ and libgcc first.
    c_includes = [root + "/usr/include/" + triplet, root + "/usr/include"]
    cxx_includes = [
        root + "/usr/include/c++/" + ctx.attr.gcc_version,
        root + "/usr/include/{}/c++/{}".format(triplet, ctx.attr.gcc_version),
        root + "/usr/include/c++/{}/backward".format(ctx.attr.gcc_version),
    ]
    isystem = lambda dirs: [flag for d in dirs for flag in ["-isystem", d]]
    features = [
        feature(name = "opt"),
        feature(name = "dbg"),
        feature(name = "supports_pic", enabled = True),
        feature(name = "supports_dynamic_linker", enabled = True),
        feature(
            name = "default_compile_flags",
            enabled = True,
            flag_sets = [
                _flags(_COMPILE, ["-U_FORTIFY_SOURCE", "-fstack-protector", "-Wall", "-fno-omit-frame-pointer"]),
                _flags(_COMPILE, ["-g"], ["dbg"]),
                _flags(_COMPILE, ["-g0", "-O2", "-DNDEBUG", "-ffunction-sections", "-fdata-sections"], ["opt"]),
                # Reproducible: no dates, no absolute paths of this machine.
                _flags(_COMPILE, [
                    "-fno-canonical-system-headers",
                    "-Wno-builtin-macro-redefined",
                    "-D__DATE__=\"redacted\"",
                    "-D__TIMESTAMP__=\"redacted\"",
                    "-D__TIME__=\"redacted\"",
                ]),
                _flags([ACTION_NAMES.cpp_compile, ACTION_NAMES.cpp_header_parsing], ["-nostdinc", "-nostdinc++"] + isystem(cxx_includes + ctx.attr.builtin_include_directories + c_includes)),
                _flags([a for a in _COMPILE if a not in [ACTION_NAMES.cpp_compile, ACTION_NAMES.cpp_header_parsing]], ["-nostdinc"] + isystem(ctx.attr.builtin_include_directories + c_includes)),
            ],
        ),
        feature(
            name = "default_link_flags",
            enabled = True,
            flag_sets = [
                # A native gcc finds its own machine's crt files and libc
                # before --sysroot's: -B and -L put the sysroot's first.
                _flags(_LINK, [
                    "--sysroot=" + root,
                    "-B{}/usr/lib/{}/".format(root, triplet),
                    "-L{}/usr/lib/gcc/{}/{}".format(root, triplet, ctx.attr.gcc_version),
                    "-L{}/usr/lib/{}".format(root, triplet),
                    "-L{}/lib/{}".format(root, triplet),
                    "-Wl,-no-as-needed",
                    "-Wl,-z,relro,-z,now",
                    "-pass-exit-codes",
                ]),
                _flags(_LINK, ["-Wl,--gc-sections"], ["opt"]),
            ],
        ),
        # After the objects (Bazel puts the toolchain's own features after
        # its legacy libraries_to_link): only what they need.
        feature(
            name = "default_link_libs",
            enabled = True,
            flag_sets = [_flags(_LINK, ["-Wl,--push-state,-as-needed", "-lstdc++", "-Wl,--pop-state"])],
        ),
    ]
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        features = features,
        toolchain_identifier = "glibc_sysroot_{}_{}".format(sysroot.name, sysroot.arch),
        host_system_name = "local",
        target_system_name = triplet,
        target_cpu = "k8" if sysroot.arch == "x86_64" else "aarch64",
        target_libc = sysroot.name,
        compiler = "gcc",
        abi_version = "gcc",
        abi_libc_version = sysroot.glibc_version,
        tool_paths = [tool_path(name = name, path = path) for name, path in ctx.attr.tool_paths.items()],
        cxx_builtin_include_directories = ctx.attr.builtin_include_directories + c_includes + cxx_includes,
    )

glibc_sysroot_cc_toolchain_config = rule(
    implementation = _sysroot_cc_toolchain_config_impl,
    doc = "The CcToolchainConfigInfo of gcc with `--sysroot` at a `glibc_sysroot` (wherever Bazel builds it).",
    attrs = {
        "builtin_include_directories": attr.string_list(doc = "gcc's own include directories (`stddef.h`, ...), not the system's."),
        "gcc_version": attr.string(mandatory = True, doc = "The major version of the sysroot's libstdc++ and libgcc dev packages (`9` for libstdc++-9-dev)."),
        # Built for the exec platform, as cc_toolchain builds its files: the
        # path given to --sysroot must be the one the actions get.
        "sysroot": attr.label(mandatory = True, providers = [GlibcSysrootInfo], cfg = "exec"),
        "tool_paths": attr.string_dict(mandatory = True, doc = "gcc, ld, ar, cpp, nm, objcopy, objdump, strip -> absolute path."),
    },
    provides = [CcToolchainConfigInfo],
)

def glibc_sysroot_toolchain(name, sysroot, arch, glibc_version, gcc_version, tool_paths, builtin_include_directories, gcc_wrapper = None, exec_compatible_with = None):
    """A C/C++ toolchain: gcc with `--sysroot` at `sysroot`, for platforms constrained to that glibc.

    Args:
      name: the `toolchain` target; `<name>_config` and `<name>_cc` are made too.
      sysroot: a `glibc_sysroot` target.
      arch: `x86_64` or `aarch64`, the target CPU.
      glibc_version: e.g. `2.31`; the toolchain matches platforms with
        `@rules_actiond//platforms/glibc:<glibc_version>`.
      tool_paths: gcc, ld, ar, cpp, nm, objcopy, objdump, strip -> path.
      gcc_version: the major version of the sysroot's libstdc++-N-dev.
      builtin_include_directories: gcc's own include directories.
      gcc_wrapper: a script that `tool_paths["gcc"]` names, relative to this
        package, made an input of every action.
      exec_compatible_with: where gcc runs; default: x86_64 Linux with the
        machine's own glibc (not a runtime's execution platform).
    """
    glibc_sysroot_cc_toolchain_config(
        name = name + "_config",
        builtin_include_directories = builtin_include_directories,
        gcc_version = gcc_version,
        sysroot = sysroot,
        tool_paths = tool_paths,
    )
    native.filegroup(name = name + "_files", srcs = [sysroot] + ([gcc_wrapper] if gcc_wrapper else []))
    files = ":" + name + "_files"
    cc_toolchain(
        name = name + "_cc",
        all_files = files,
        ar_files = files,
        as_files = files,
        compiler_files = files,
        dwp_files = files,
        linker_files = files,
        objcopy_files = files,
        strip_files = files,
        supports_param_files = 1,
        toolchain_config = ":" + name + "_config",
    )
    native.toolchain(
        name = name,
        exec_compatible_with = exec_compatible_with or [
            "@platforms//cpu:x86_64",
            "@platforms//os:linux",
            Label("//platforms/glibc:machine"),
        ],
        target_compatible_with = [
            "@platforms//cpu:" + arch,
            "@platforms//os:linux",
            Label("//platforms/glibc:" + glibc_version),
        ],
        toolchain = ":" + name + "_cc",
        toolchain_type = "@bazel_tools//tools/cpp:toolchain_type",
    )
