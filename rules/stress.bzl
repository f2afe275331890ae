"""Public API: a stress workload for executors.

- `stress_workload`: many small actions over bare files, nested files and
  tree artifacts, for loading a remote executor such as actiond.
"""

load("//rules/private:stress.bzl", _stress_workload = "stress_workload")

def stress_workload(name, **kwargs):
    """Generates a workload of many inputs and actions, and one summary of them.

    Building `name` builds `<name>.json`, the summary, and with it:

    - `files` bare file inputs (160 by default), read by one action;
    - `dirs` source directories (8) of `files_per_dir` files (32), each
      made by one action as a tree artifact and read by another;
    - `groups` groups (8) of `files_per_group` nested file inputs (96, under
      `group<g>/d<a>/d<b>/`), each group read by one action;
    - one output directory read by `shared_dir_readers` actions (4), the
      reuse of one tree artifact by many consumers.

    Every action runs `stress_action` (`tools/crates/stress_action`), an
    input of the action, so the workload needs nothing on the executor but a
    glibc runtime. The summary action fails the build unless the actions read
    exactly the files the workload declares, and the summary lists the glibc
    versions its actions ran on (`"libc": ["2.35"]`).

    `--@rules_actiond//rules:stress_seed=S` mixes `S` into every input, so
    that a new seed runs every action anew, whatever the caches hold.

    Example, built remotely inside glibc 2.35 (the target asks for an
    execution platform with a glibc runtime; `stress_action` is built on the
    local one, for glibc 2.31 with the sysroot of `glibc.sysroot`, so it runs
    in every runtime):

    ```starlark
    load("@rules_actiond//rules:stress.bzl", "stress_workload")

    stress_workload(
        name = "stress",
        exec_compatible_with = ["@rules_actiond//platforms:glibc_runtime"],
    )
    ```

    ```sh
    bazel build //:stress --remote_executor=grpc://executor:8980 \\
        --extra_execution_platforms=@rules_actiond//platforms:local,@rules_actiond//platforms:remote_linux_x86_64 \\
        --remote_default_exec_properties=libc=glibc2.35 \\
        --spawn_strategy=remote,local --noremote_accept_cached
    ```

    Args:
      name: the target; its output is `<name>.json`.
      **kwargs: `files`, `dirs`, `files_per_dir`, `groups`,
        `files_per_group`, `shared_dir_readers`, and common attributes.
    """
    _stress_workload(name = name, **kwargs)
