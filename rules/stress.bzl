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
    glibc runtime: it runs inside `libc=glibc2.35` as it runs locally. The
    summary action fails the build unless the actions read exactly the files
    the workload declares.

    Example, built remotely inside glibc 2.35:

    ```starlark
    load("@rules_actiond//rules:stress.bzl", "stress_workload")

    stress_workload(name = "stress")
    ```

    ```sh
    bazel build //:stress --remote_executor=grpc://executor:8980 \\
        --remote_cache=grpc://executor:8980 \\
        --remote_default_exec_properties=libc=glibc2.35 \\
        --noremote_accept_cached --spawn_strategy=remote
    ```

    Args:
      name: the target; its output is `<name>.json`.
      **kwargs: `files`, `dirs`, `files_per_dir`, `groups`,
        `files_per_group`, `shared_dir_readers`, and common attributes.
    """
    _stress_workload(name = name, **kwargs)
