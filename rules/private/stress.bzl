"""stress_workload: many inputs, tree artifacts and actions, for an executor."""

load("@bazel_skylib//rules:common_settings.bzl", "BuildSettingInfo")

def _digest(ctx, out, inputs):
    args = ctx.actions.args()
    args.add("digest")
    args.add(out)
    args.add_all(inputs, expand_directories = False)
    ctx.actions.run(
        executable = ctx.executable._tool,
        arguments = [args],
        inputs = inputs,
        outputs = [out],
        mnemonic = "StressDigest",
        progress_message = "Digesting inputs into %{output}",
    )

def _fill(ctx, tree, count, seed):
    ctx.actions.run(
        executable = ctx.executable._tool,
        arguments = ["fill", tree.path, str(count), seed],
        outputs = [tree],
        mnemonic = "StressFill",
        progress_message = "Filling %{output}",
    )

def _stress_workload_impl(ctx):
    name = ctx.label.name
    seed = ctx.attr._seed[BuildSettingInfo].value
    digests = []
    expected = 0

    # Bare file inputs, all read by one action.
    bare = []
    for i in range(ctx.attr.files):
        f = ctx.actions.declare_file("{}/bare/f{}.txt".format(name, i))
        ctx.actions.write(f, "{}bare {}\n".format(seed, i))
        bare.append(f)
    if bare:
        out = ctx.actions.declare_file("{}/bare.digest".format(name))
        _digest(ctx, out, bare)
        digests.append(out)
        expected += len(bare)

    # Source directories (tree artifacts), each made and read by its own action.
    for d in range(ctx.attr.dirs):
        tree = ctx.actions.declare_directory("{}/src{}".format(name, d))
        _fill(ctx, tree, ctx.attr.files_per_dir, "{}src{}".format(seed, d))
        out = ctx.actions.declare_file("{}/src{}.digest".format(name, d))
        _digest(ctx, out, [tree])
        digests.append(out)
        expected += ctx.attr.files_per_dir

    # Groups of nested file inputs, each group read by one action.
    for g in range(ctx.attr.groups):
        group = []
        for j in range(ctx.attr.files_per_group):
            f = ctx.actions.declare_file("{}/group{}/d{}/d{}/f{}.txt".format(name, g, j % 4, j % 3, j))
            ctx.actions.write(f, "{}group {} file {}\n".format(seed, g, j))
            group.append(f)
        out = ctx.actions.declare_file("{}/group{}.digest".format(name, g))
        _digest(ctx, out, group)
        digests.append(out)
        expected += len(group)

    # One output directory, read by several actions.
    if ctx.attr.shared_dir_readers:
        shared = ctx.actions.declare_directory("{}/shared".format(name))
        _fill(ctx, shared, ctx.attr.files_per_dir, seed + "shared")
        for k in range(ctx.attr.shared_dir_readers):
            out = ctx.actions.declare_file("{}/shared{}.digest".format(name, k))
            _digest(ctx, out, [shared])
            digests.append(out)
            expected += ctx.attr.files_per_dir

    summary = ctx.actions.declare_file(name + ".json")
    args = ctx.actions.args()
    args.add("summary")
    args.add(summary)
    args.add(str(expected))
    args.add_all(digests)
    ctx.actions.run(
        executable = ctx.executable._tool,
        arguments = [args],
        inputs = digests,
        outputs = [summary],
        mnemonic = "StressSummary",
        progress_message = "Summarizing %{label}",
    )
    return [DefaultInfo(files = depset([summary]))]

stress_workload = rule(
    implementation = _stress_workload_impl,
    doc = "See `stress_workload` in `@rules_actiond//rules:stress.bzl`.",
    attrs = {
        "dirs": attr.int(default = 8, doc = "Source directories (tree artifacts)."),
        "files": attr.int(default = 160, doc = "Bare file inputs."),
        "files_per_dir": attr.int(default = 32, doc = "Files in each directory."),
        "files_per_group": attr.int(default = 96, doc = "Nested file inputs in each group."),
        "groups": attr.int(default = 8, doc = "Groups of nested file inputs."),
        "shared_dir_readers": attr.int(default = 4, doc = "Actions reading the one shared output directory."),
        "_seed": attr.label(default = Label("//rules:stress_seed")),
        "_tool": attr.label(
            executable = True,
            cfg = "exec",
            default = Label("//tools/crates/stress_action"),
        ),
    },
)
