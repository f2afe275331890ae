"""The actiond-tool toolchain: the rule behind each toolchain, and how rules get the tool."""

ACTIOND_TOOL_TOOLCHAIN_TYPE = Label("//rules:actiond_tool_toolchain_type")

def actiond_tool(ctx):
    """The actiond-tool that the rule's toolchain resolved, for `ctx.actions.run(executable = ...)`.

    The rule must declare `toolchains = [ACTIOND_TOOL_TOOLCHAIN_TYPE]`.

    Args:
      ctx: the rule context.

    Returns:
      A FilesToRunProvider.
    """
    return ctx.toolchains[ACTIOND_TOOL_TOOLCHAIN_TYPE].actiond_tool

def _actiond_tool_toolchain_impl(ctx):
    if ctx.attr.notice:
        # buildifier: disable=print
        print(ctx.attr.notice)
    return [platform_common.ToolchainInfo(actiond_tool = ctx.attr.tool[DefaultInfo].files_to_run)]

actiond_tool_toolchain = rule(
    implementation = _actiond_tool_toolchain_impl,
    doc = """Declares an actiond-tool for a `toolchain` of type `@rules_actiond//rules:actiond_tool_toolchain_type`.

rules_actiond registers two kinds: a prebuilt release binary per execution
platform (`@actiond_tool_toolchains`), and the tool built from source
(`@rules_actiond//tools/cli:from_source_toolchain`), which is chosen when no
prebuilt matches the execution platform or when
`--@rules_actiond//rules:actiond_tool_from_source` is set.

Example (your own build of the tool, registered before ours):

```starlark
load("@rules_actiond//rules:toolchains.bzl", "actiond_tool_toolchain")

actiond_tool_toolchain(
    name = "my_actiond_tool",
    tool = ":actiond-tool",
)

toolchain(
    name = "my_actiond_tool_toolchain",
    toolchain = ":my_actiond_tool",
    toolchain_type = "@rules_actiond//rules:actiond_tool_toolchain_type",
)
```
""",
    attrs = {
        "notice": attr.string(doc = "A line printed when the toolchain is analysed (the source fallback's)."),
        "tool": attr.label(
            mandatory = True,
            executable = True,
            allow_files = True,
            cfg = "exec",
            doc = "The actiond-tool executable.",
        ),
    },
)
