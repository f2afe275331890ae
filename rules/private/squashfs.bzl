"""SquashFS images: the squashfs_pack action, `squashfs_image` and `runtime_squashfs`."""

load("//rules:providers.bzl", "RuntimeInfo", "SquashfsInfo")
load(":actiond_tool_toolchain.bzl", "ACTIOND_TOOL_TOOLCHAIN_TYPE", "actiond_tool")

_DEFAULT_LEVELS = {"gzip": 9, "xz": 6, "zstd": 15}

COMPRESSION_ATTRS = {
    "block_size": attr.int(default = 131072, doc = "Data block size: a power of two from 4096 to 1048576."),
    "compression": attr.string(default = "zstd", values = ["zstd", "xz", "gzip"], doc = "Block compression."),
    "level": attr.int(default = -1, doc = "Compression level; -1 picks mksquashfs's default (zstd 15, xz 6, gzip 9)."),
    "mtime": attr.int(default = 0, doc = "The modification time of every inode and of the image."),
}

# The entries that are sources of their own, as squashfs_pack's
# Entry::is_source has them.
_SOURCE_TYPES = ["deb", "tar", "tree"]

def _source_name(entry):
    """A name for the source of a deb, tar or tree entry, unique in one image."""
    where = entry.get("prefix", entry.get("path", ""))
    return (where.replace("/", "_") or "_") + "__" + entry["source"].rpartition("/")[2]

def squashfs_pack_action(ctx, tool, compression, out, entries, inputs, mnemonic = "SquashfsPack"):
    """Registers the actions that pack `entries` into the image `out`.

    Each .deb, tar and tree is one source, compressed by its own
    `SquashfsCompress` action into blocks and an index. The assembly action,
    `mnemonic`, compresses the other entries (files, directories, symlinks,
    additions) itself and lays everything out as the image. Bazel caches each
    source's blocks apart: when one .deb changes, only its action runs again,
    and under remote execution sources compress in parallel on different
    workers. A source's action compresses on one thread, and on every core
    while some are idle (`--share-cores`): Bazel runs one action per core. It
    does not depend on `mtime`, which only the assembly uses.

    Args:
      ctx: the rule context.
      tool: actiond-tool (a FilesToRunProvider), e.g. `actiond_tool(ctx)`.
      compression: struct(block_size, compression, level, mtime), as
        COMPRESSION_ATTRS give them (`compression_settings(ctx)`).
      out: the image File to write.
      entries: squashfs_pack spec entries (dicts; paths relative to the execroot).
      inputs: every File the entries read.
      mnemonic: the assembly action's mnemonic.

    Returns:
      The spec File of the whole image (what the validation action checks).
    """
    level = compression.level if compression.level >= 0 else _DEFAULT_LEVELS[compression.compression]
    settings = {
        "block_size": compression.block_size,
        "compression": {"algorithm": compression.compression, "level": level},
    }
    spec = ctx.actions.declare_file(out.basename + ".spec.json", sibling = out)
    ctx.actions.write(spec, json.encode_indent(dict(settings, entries = entries, mtime = compression.mtime), indent = "  ") + "\n")

    by_path = {f.path: f for f in inputs.to_list()}
    own = [e for e in entries if e["type"] not in _SOURCE_TYPES]
    sources = []
    source_files = []
    for entry in entries:
        if entry["type"] not in _SOURCE_TYPES:
            continue
        name = _source_name(entry)
        prefix = "{}.sources/{}".format(out.basename, name)
        source_spec = ctx.actions.declare_file(prefix + ".json", sibling = out)
        blocks = ctx.actions.declare_file(prefix + ".blocks", sibling = out)
        index = ctx.actions.declare_file(prefix + ".index.json", sibling = out)
        ctx.actions.write(source_spec, json.encode_indent(dict(settings, entries = [entry]), indent = "  ") + "\n")
        args = ctx.actions.args()
        args.add("squashfs-compress")
        args.add("--share-cores")
        args.add("--spec", source_spec)
        args.add("--blocks", blocks)
        args.add("--index", index)
        ctx.actions.run(
            executable = tool,
            arguments = [args],
            inputs = [source_spec, by_path[entry["source"]]],
            outputs = [blocks, index],
            mnemonic = "SquashfsCompress",
            progress_message = "Compressing {} for %{{label}}".format(name),
        )
        sources.append({"blocks": blocks.path, "index": index.path})
        source_files += [blocks, index]

    assembly = ctx.actions.declare_file(out.basename + ".assemble.json", sibling = out)
    ctx.actions.write(assembly, json.encode_indent(dict(settings, entries = own, mtime = compression.mtime, sources = sources), indent = "  ") + "\n")
    args = ctx.actions.args()
    args.add("squashfs-assemble")
    args.add("--spec", assembly)
    args.add("--out", out)
    ctx.actions.run(
        executable = tool,
        arguments = [args],
        inputs = [assembly] + source_files + [by_path[e["source"]] for e in own if "source" in e],
        outputs = [out],
        mnemonic = mnemonic,
        progress_message = "Assembling SquashFS image %{output}",
    )
    return spec

def compression_settings(ctx):
    """The COMPRESSION_ATTRS of a rule, for `squashfs_pack_action`.

    Args:
      ctx: the context of a rule with COMPRESSION_ATTRS.

    Returns:
      struct(block_size, compression, level, mtime).
    """
    return struct(
        block_size = ctx.attr.block_size,
        compression = ctx.attr.compression,
        level = ctx.attr.level,
        mtime = ctx.attr.mtime,
    )

def squashfs_validation_action(ctx, tool, image, spec, inputs):
    """Registers the validation action that checks the image `image`.

    `actiond-tool check image` checks that the image parses, that every entry
    is owned by root, that it holds exactly what `spec` gives (paths, kinds,
    modes, link targets, bytes), and that each runtime's manifest mounts,
    interpreters (ELF of the manifest's arch) and glibc version hold. Return
    the stamp in the `_validation` output group: Bazel runs it whenever the
    image is built, unless `--norun_validations`.

    Args:
      ctx: the rule context.
      tool: actiond-tool (a FilesToRunProvider), e.g. `actiond_tool(ctx)`.
      image: the image File.
      spec: the spec File `squashfs_pack_action` returned.
      inputs: every File the spec's entries read.

    Returns:
      The stamp File.
    """
    stamp = ctx.actions.declare_file(image.basename + ".validation", sibling = image)
    args = ctx.actions.args()
    args.add_all(["check", "image", image])
    args.add("--spec", spec)
    args.add("--stamp", stamp)
    ctx.actions.run(
        executable = tool,
        arguments = [args],
        inputs = depset([image, spec], transitive = [inputs]),
        outputs = [stamp],
        mnemonic = "SquashfsValidation",
        progress_message = "Validating SquashFS image {}".format(image.short_path),
    )
    return stamp

def _mode(ctx, path):
    text = ctx.attr.modes.get(path, "0644")
    if not text or any([c not in "01234567" for c in text.elems()]):
        fail("{}: modes[{}] = {} is not an octal mode such as \"0755\"".format(ctx.label, repr(path), repr(text)))
    value = 0
    for c in text.elems():
        value = value * 8 + int(c)
    return value

def _single_file(ctx, target, attr_name):
    files = target.files.to_list()
    if len(files) != 1:
        fail("{}: {} {} must be exactly one file, not {}".format(ctx.label, attr_name, target.label, len(files)))
    return files[0]

def _squashfs_image_impl(ctx):
    entries = []
    inputs = []
    for path in ctx.attr.dirs:
        entries.append({"type": "dir", "path": path, "mode": 493})
    for target, path in ctx.attr.files.items():
        f = _single_file(ctx, target, "files")
        entries.append({"type": "file", "path": path, "source": f.path, "mode": _mode(ctx, path)})
        inputs.append(f)
    for path, target in sorted(ctx.attr.symlinks.items()):
        entries.append({"type": "symlink", "path": path, "target": target})
    for target, path in ctx.attr.trees.items():
        for f in target.files.to_list():
            entries.append({"type": "tree", "path": path, "source": f.path})
            inputs.append(f)
    for attr_name, kind in [("tars", "tar"), ("debs", "deb")]:
        for target, prefix in getattr(ctx.attr, attr_name).items():
            f = _single_file(ctx, target, attr_name)
            entries.append({"type": kind, "source": f.path, "prefix": prefix, "strip": ctx.attr.strip})
            inputs.append(f)
    for path in ctx.attr.modes:
        if path not in ctx.attr.files.values():
            fail("{}: modes names {}, which is not a path in files".format(ctx.label, repr(path)))
    out = ctx.actions.declare_file(ctx.label.name + ".squashfs")
    tool = actiond_tool(ctx)
    spec = squashfs_pack_action(ctx, tool, compression_settings(ctx), out, entries, depset(inputs))
    validation = squashfs_validation_action(ctx, tool, out, spec, depset(inputs))
    return [
        DefaultInfo(files = depset([out])),
        SquashfsInfo(image = out, spec = spec, runtimes = []),
        OutputGroupInfo(spec = depset([spec]), _validation = depset([validation])),
    ]

squashfs_image = rule(
    implementation = _squashfs_image_impl,
    toolchains = [ACTIOND_TOOL_TOOLCHAIN_TYPE],
    doc = """A reproducible SquashFS image of files, directories, symlinks, tars and .debs.

Tars and .debs are streamed, never extracted; symlink targets and modes are
kept verbatim; every inode gets uid/gid 0 and one mtime. Two sources giving
the same path differently fail the build, naming both.

Example:

```starlark
load("@rules_actiond//rules:squashfs.bzl", "squashfs_image")

squashfs_image(
    name = "tools",
    files = {":tool": "bin/tool", "hosts.txt": "etc/hosts"},
    modes = {"bin/tool": "0755"},
    symlinks = {"usr/bin/tool": "/bin/tool"},
    debs = {"@zlib1g_deb//file": "zlib"},
    compression = "zstd",
    level = 15,
)
```
""",
    attrs = dict(COMPRESSION_ATTRS, **{
        "debs": attr.label_keyed_string_dict(allow_files = [".deb"], doc = ".deb -> prefix; its data.tar goes below the prefix."),
        "dirs": attr.string_list(doc = "Empty directories (mode 0755)."),
        "files": attr.label_keyed_string_dict(allow_files = True, doc = "File -> image path."),
        "modes": attr.string_dict(doc = "Image path of a file -> octal mode; default \"0644\"."),
        "strip": attr.string_list(doc = "Patterns removed from tars and .debs (`*` matches one path component)."),
        "symlinks": attr.string_dict(doc = "Image path -> target, stored verbatim."),
        "tars": attr.label_keyed_string_dict(allow_files = True, doc = "Tar (plain, .gz, .xz, .zst) -> prefix."),
        "trees": attr.label_keyed_string_dict(allow_files = True, doc = "Directory (a tree artifact) -> image path; modes are normalized."),
    }),
    provides = [SquashfsInfo],
)

def runtime_entries(runtime, prefix):
    """The squashfs_pack entries that put a runtime below `prefix`.

    Args:
      runtime: a RuntimeInfo.
      prefix: the image directory, e.g. `libc/glibc2.35/x86_64`.

    Returns:
      (entries, input Files).
    """
    entries = [{"type": "dir", "path": prefix + "/root", "mode": 493}]
    for deb in runtime.debs:
        entries.append({"type": "deb", "source": deb.path, "prefix": prefix + "/root", "strip": runtime.strip})
    entries.append({"type": "additions", "source": runtime.additions.path, "prefix": prefix + "/root"})
    entries.append({"type": "file", "path": prefix + "/runtime_manifest.json", "source": runtime.manifest.path, "mode": 420})
    entries.append({"type": "file", "path": prefix + "/runtime_packages.json", "source": runtime.packages.path, "mode": 420})
    return entries, runtime.debs + [runtime.additions, runtime.manifest, runtime.packages]

def _runtime_squashfs_impl(ctx):
    entries = [
        {"type": "dir", "path": "common/root/etc", "mode": 493},
        {"type": "file", "path": "common/root/etc/hosts", "source": ctx.file.hosts.path, "mode": 420},
        {"type": "file", "path": "common/root/etc/nsswitch.conf", "source": ctx.file.nsswitch_conf.path, "mode": 420},
    ]
    inputs = [ctx.file.hosts, ctx.file.nsswitch_conf]
    runtimes = []
    seen = {}
    for target in ctx.attr.runtimes:
        rt = target[RuntimeInfo]
        key = (rt.name, rt.arch)
        if key in seen:
            fail("{}: runtimes {} and {} are both {} {}".format(ctx.label, seen[key], target.label, rt.name, rt.arch))
        seen[key] = target.label
        if ctx.attr.arch and rt.arch != ctx.attr.arch:
            fail("{}: runtime {} is {}, but this image is for {}".format(ctx.label, target.label, rt.arch, ctx.attr.arch))
        more, files = runtime_entries(rt, "libc/{}/{}".format(rt.name, rt.arch))
        entries += more
        inputs += files
        runtimes.append(rt)
    out = ctx.actions.declare_file(ctx.label.name + ".squashfs")
    tool = actiond_tool(ctx)
    spec = squashfs_pack_action(ctx, tool, compression_settings(ctx), out, entries, depset(inputs), mnemonic = "RuntimeSquashfs")
    validation = squashfs_validation_action(ctx, tool, out, spec, depset(inputs))
    return [
        DefaultInfo(files = depset([out])),
        SquashfsInfo(image = out, spec = spec, runtimes = runtimes),
        OutputGroupInfo(spec = depset([spec]), _validation = depset([validation])),
    ]

runtime_squashfs = rule(
    implementation = _runtime_squashfs_impl,
    toolchains = [ACTIOND_TOOL_TOOLCHAIN_TYPE],
    doc = """The runtimes image an executor mounts: one SquashFS with

```
common/root/etc/hosts
common/root/etc/nsswitch.conf
libc/<name>/<arch>/root/...                 the runtime, streamed from its .debs
libc/<name>/<arch>/runtime_manifest.json    actiond's schema: name, arch, debs, mounts, interpreters
libc/<name>/<arch>/runtime_packages.json    each .deb's package, version, file name, sha256, source
```

Each .deb is compressed by its own action, whose only input is the .deb,
not its thousands of extracted files; one more action assembles the image
from their blocks and the small files. So when one .deb changes, only its
action runs again, and under remote execution the .debs compress in
parallel, on as many workers as are free.

Example:

```starlark
load("@rules_actiond//rules:squashfs.bzl", "runtime_squashfs")

runtime_squashfs(
    name = "runtimes_x86_64",
    arch = "x86_64",
    runtimes = [
        "@rules_actiond//runtimes:glibc2.35_x86_64",
        "@rules_actiond//runtimes:glibc2.39_x86_64",
    ],
)
```
""",
    attrs = dict(COMPRESSION_ATTRS, **{
        "arch": attr.string(values = ["", "x86_64", "aarch64"], doc = "If set, every runtime must be of this arch."),
        "hosts": attr.label(allow_single_file = True, default = Label("//runtimes:hosts"), doc = "common/root/etc/hosts."),
        "nsswitch_conf": attr.label(allow_single_file = True, default = Label("//runtimes:nsswitch.conf"), doc = "common/root/etc/nsswitch.conf."),
        "runtimes": attr.label_list(providers = [RuntimeInfo], mandatory = True, doc = "Runtime targets (RuntimeInfo)."),
    }),
    provides = [SquashfsInfo],
)
