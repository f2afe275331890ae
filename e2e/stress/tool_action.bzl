"""tool_action: one action that runs a tool built for the target platform."""

load("@bazel_skylib//rules:common_settings.bzl", "BuildSettingInfo")

def _tool_action_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".txt")
    ctx.actions.run(
        executable = ctx.executable.tool,
        # The stress seed makes the action new to every cache when it changes.
        arguments = [out.path, ctx.attr._seed[BuildSettingInfo].value],
        outputs = [out],
        mnemonic = "ToolAction",
        progress_message = "Running %{label}",
    )
    return [DefaultInfo(files = depset([out]))]

tool_action = rule(
    implementation = _tool_action_impl,
    doc = "Runs `tool OUT SEED`, where the tool is built for the target platform " +
          "(the machine's glibc here), not for the execution platform.",
    attrs = {
        "tool": attr.label(
            executable = True,
            cfg = "target",
            mandatory = True,
            doc = "The tool; its arguments are the output file and the stress seed.",
        ),
        "_seed": attr.label(default = "@rules_actiond//rules:stress_seed"),
    },
)
