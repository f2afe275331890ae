"""jar_binary: runs a self-contained jar on the build machine's JDK (`@local_jdk`).

stardoc's own renderer is a java_binary, which needs Bazel's downloaded Java
tools; this runs its prebuilt jar as it is, which works offline.
"""

load("@rules_java//java/common:java_common.bzl", "java_common")

JavaRuntimeInfo = java_common.JavaRuntimeInfo

def _runfiles_path(ctx, short_path):
    # The path below `<executable>.runfiles/` of a file with this short_path.
    if short_path.startswith("../"):
        return short_path[len("../"):]
    return ctx.workspace_name + "/" + short_path

def _jar_binary_impl(ctx):
    runtime = ctx.attr._jdk[JavaRuntimeInfo]
    script = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.write(
        script,
        "#!/usr/bin/env bash\nr=\"$0.runfiles\"\nexec \"$r/{}\" -jar \"$r/{}\" \"$@\"\n".format(
            _runfiles_path(ctx, runtime.java_executable_runfiles_path),
            _runfiles_path(ctx, ctx.file.jar.short_path),
        ),
        is_executable = True,
    )
    return [DefaultInfo(
        executable = script,
        runfiles = ctx.runfiles(files = [ctx.file.jar], transitive_files = runtime.files),
    )]

jar_binary = rule(
    implementation = _jar_binary_impl,
    executable = True,
    doc = "An executable that runs `jar` with `java -jar`, for use as an action's tool.",
    attrs = {
        "jar": attr.label(allow_single_file = [".jar"], mandatory = True),
        "_jdk": attr.label(default = "@local_jdk//:jdk", cfg = "exec"),
    },
)
