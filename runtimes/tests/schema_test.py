#!/usr/bin/env python3
"""Every runtime manifest we make follows actiond's JSON Schema.

Usage: schema_test.py TOOL MANIFEST_SCHEMA PACKAGES_SCHEMA INPUT...

INPUT is a runtimes image (.squashfs: every libc/<name>/<arch>/ in it, read
with unsquashfs), a runtime_manifest.json, a runtime_packages.json, or
manifest:PATH for a manifest of another name (a fixture); other files (a
runtime's .debs) are passed over. Each manifest must be valid against
MANIFEST_SCHEMA (actiond's, draft 2020-12) and each packages file against
PACKAGES_SCHEMA, checked by the jsonschema package, not by our own parser.

Then the bad manifests: each change of a valid one must be refused both by
the schema and by `actiond-tool check manifest`, whose message must name
the file, the key and what was expected.
"""

import copy
import glob
import json
import os
import subprocess
import sys
import tempfile

import jsonschema


def load(path):
    with open(path) as f:
        return json.load(f)


def errors(validator, doc):
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}" for e in validator.iter_errors(doc)]


def image_files(image, work):
    """The manifests and packages files of every runtime in the image."""
    out = os.path.join(work, os.path.basename(image) + ".d")
    subprocess.run(["unsquashfs", "-q", "-n", "-d", out, image], check=True, stdout=subprocess.DEVNULL)
    manifests = sorted(glob.glob(os.path.join(out, "libc", "*", "*", "runtime_manifest.json")))
    if not manifests:
        raise SystemExit(f"FAIL: {image} holds no libc/<name>/<arch>/runtime_manifest.json")
    packages = []
    for m in manifests:
        p = os.path.join(os.path.dirname(m), "runtime_packages.json")
        if not os.path.isfile(p):
            raise SystemExit(f"FAIL: {image}: no runtime_packages.json beside {os.path.relpath(m, out)}")
        packages.append(p)
    return manifests, packages


# (change, key the tool must name, what it must say was expected); the
# schema refuses each too, but for `..` in a source, which its pattern lets
# through and our parser does not.
BAD = [
    ("a mount pair with three elements", lambda m: m["mounts"][0].append("ro"), "mounts[0]", "expected a [source, target] pair"),
    ("a source outside root/", lambda m: m["mounts"][0].__setitem__(0, "lib"), "mounts[0][0]", "must be root or start with root/"),
    ("a source with .. in it", lambda m: m["mounts"][0].__setitem__(0, "root/../.."), "mounts[0][0]", "must be a plain path below root/"),
    ("a relative target", lambda m: m["mounts"][0].__setitem__(1, "etc"), "mounts[0][1]", "must be an absolute path"),
    ("an extra key", lambda m: m.__setitem__("packages", []), "packages", "unknown key; a manifest has exactly name, arch, debs, mounts, interpreters"),
    ("an object where a pair is expected", lambda m: m["mounts"].__setitem__(0, {"source": m["mounts"][0][0], "target": m["mounts"][0][1]}), "mounts[0]", "found an object"),
    ("a deb as an object", lambda m: m["debs"].__setitem__(0, {"url": m["debs"][0]}), "debs[0]", "expected a string"),
    ("a missing key", lambda m: m.pop("interpreters"), "interpreters", "missing"),
]


def main():
    tool, manifest_schema, packages_schema = (os.path.abspath(a) for a in sys.argv[1:4])
    inputs = sys.argv[4:]
    validators = {}
    for kind, path in [("manifest", manifest_schema), ("packages", packages_schema)]:
        schema = load(path)
        jsonschema.Draft202012Validator.check_schema(schema)
        validators[kind] = jsonschema.Draft202012Validator(schema)

    work = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
    manifests, packages = [], []
    for arg in inputs:
        path = os.path.abspath(arg.removeprefix("manifest:"))
        if path.endswith(".squashfs"):
            more_m, more_p = image_files(path, work)
            manifests += more_m
            packages += more_p
        elif os.path.basename(path) == "runtime_packages.json":
            packages.append(path)
        elif os.path.basename(path) == "runtime_manifest.json" or arg.startswith("manifest:"):
            manifests.append(path)
    if not manifests or not packages:
        raise SystemExit("FAIL: nothing to check: give images, manifests and packages files")

    failures = []
    for kind, paths in [("manifest", manifests), ("packages", packages)]:
        for path in paths:
            found = errors(validators[kind], load(path))
            if found:
                failures.append(f"{path} is not a valid {kind} file:\n    " + "\n    ".join(found))
            else:
                print(f"valid {kind}: {os.path.relpath(path, work) if path.startswith(work) else path}")
    if failures:
        raise SystemExit("FAIL:\n  " + "\n  ".join(failures))

    good = load(manifests[0])
    for what, change, key, expected in BAD:
        doc = copy.deepcopy(good)
        change(doc)
        if not errors(validators["manifest"], doc) and ".." not in what:
            failures.append(f"{what}: the schema accepts it")
        path = os.path.join(work, "bad", what.replace(" ", "_"), "runtime_manifest.json")
        os.makedirs(os.path.dirname(path))
        with open(path, "w") as f:
            json.dump(doc, f)
        run = subprocess.run([tool, "check", "manifest", path], capture_output=True, text=True)
        message = run.stderr.strip()
        if run.returncode == 0:
            failures.append(f"{what}: actiond-tool check manifest accepts it")
        elif f"{path}: {key}: " not in message or expected not in message:
            failures.append(f"{what}: the message does not name {path}, {key} and '{expected}': {message}")
        else:
            print(f"refused, {what}: {message}")
    if failures:
        raise SystemExit("FAIL:\n  " + "\n  ".join(failures))
    print(f"PASS: {len(manifests)} manifests and {len(packages)} packages files are valid; {len(BAD)} bad manifests refused")


if __name__ == "__main__":
    main()
