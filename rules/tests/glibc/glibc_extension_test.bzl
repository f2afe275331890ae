"""Unit tests of the glibc extension's tag handling (strip patterns are tested in Rust, tools/crates/squashfs_pack/src/strip.rs)."""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")
load("//rules/private:glibc_deb_runtime.bzl", "DEFAULT_STRIP", "GCONV_STRIP")
load("//rules/private:glibc_extension.bzl", "collect_runtimes")

_SHA_A = "a" * 64
_SHA_B = "b" * 64

def _module(name, is_root, runtimes, debs, locks = []):
    return struct(name = name, is_root = is_root, tags = struct(runtime = runtimes, deb = debs, lock = locks))

_LOCK = {"runtimes": [{
    "name": "glibc2.31",
    "arch": "x86_64",
    "debs": [
        {"filename": "libc6_2.31_amd64.deb", "sha256": _SHA_A, "urls": ["https://mirror.example/libc6_2.31_amd64.deb"]},
        {"filename": "zlib1g_amd64.deb", "sha256": _SHA_B, "urls": ["https://mirror.example/zlib1g_amd64.deb"]},
    ],
}]}

def _runtime(name, arch, strip = [], keep_gconv = False):
    return struct(name = name, arch = arch, strip = strip, keep_gconv = keep_gconv)

def _deb(runtime, arch, urls, sha256, filename = "", file = None):
    return struct(runtime = runtime, arch = arch, urls = urls, sha256 = sha256, filename = filename, file = file)

def _collect_test_impl(ctx):
    env = unittest.begin(ctx)
    root = _module("root", True, [_runtime("glibc2.35", "x86_64", strip = ["etc"])], [
        _deb("glibc2.35", "x86_64", ["https://mirror.example/pool/libc6_2.35_amd64.deb"], _SHA_A),
        _deb("glibc2.35", "x86_64", ["https://mirror.example/x?id=1"], _SHA_B, filename = "zlib1g.deb"),
    ])
    dep = _module("rules_actiond", False, [
        _runtime("glibc2.35", "x86_64"),
        _runtime("glibc2.39", "aarch64", keep_gconv = True),
    ], [
        _deb("glibc2.35", "x86_64", ["https://other.example/libc6.deb"], _SHA_B),
        _deb("glibc2.39", "aarch64", ["https://other.example/libc6_arm64.deb"], _SHA_A),
    ])
    runtimes = collect_runtimes([root, dep], lambda label: fail("no lock was declared"))
    asserts.equals(env, ["glibc2.35_x86_64", "glibc2.39_aarch64"], sorted(runtimes.keys()))

    # The root module's declaration wins over a dependency's.
    jammy = runtimes["glibc2.35_x86_64"]
    asserts.equals(env, ["libc6_2.35_amd64.deb", "zlib1g.deb"], [d.filename for d in jammy.debs])
    asserts.equals(env, DEFAULT_STRIP + GCONV_STRIP + ["etc"], jammy.strip)

    # keep_gconv leaves gconv out of the strip list.
    asserts.equals(env, DEFAULT_STRIP, runtimes["glibc2.39_aarch64"].strip)
    return unittest.end(env)

_collect_test = unittest.make(_collect_test_impl)

def _lock_test_impl(ctx):
    env = unittest.begin(ctx)
    root = _module(
        "root",
        True,
        [_runtime("glibc2.31", "x86_64", keep_gconv = True)],
        [_deb("glibc2.31", "x86_64", ["https://mirror.example/extra.deb"], _SHA_A)],
        locks = [struct(file = "//:glibc.lock.json")],
    )
    runtimes = collect_runtimes([root], lambda label: _LOCK)
    focal = runtimes["glibc2.31_x86_64"]

    # Locked .debs first, then the module's own; the runtime tag's options apply.
    asserts.equals(env, ["libc6_2.31_amd64.deb", "zlib1g_amd64.deb", "extra.deb"], [d.filename for d in focal.debs])
    asserts.equals(env, [_SHA_A, _SHA_B, _SHA_A], [d.sha256 for d in focal.debs])
    asserts.equals(env, DEFAULT_STRIP, focal.strip)

    # Without a runtime tag the defaults apply.
    only_lock = _module("root", True, [], [], locks = [struct(file = "//:glibc.lock.json")])
    asserts.equals(env, DEFAULT_STRIP + GCONV_STRIP, collect_runtimes([only_lock], lambda label: _LOCK)["glibc2.31_x86_64"].strip)
    return unittest.end(env)

def _dev_test_impl(ctx):
    env = unittest.begin(ctx)

    # A runtime is dev when the tag that declares it (runtime or lock) is.
    lock = struct(file = "//:glibc.lock.json")
    test_runtime = _runtime("glibc8.1", "x86_64")
    root = _module(
        "root",
        True,
        [test_runtime],
        [_deb("glibc8.1", "x86_64", ["https://mirror.example/libc6_8.1.deb"], _SHA_A)],
        locks = [lock],
    )
    runtimes = collect_runtimes([root], lambda label: _LOCK, lambda tag: tag == test_runtime)
    asserts.equals(env, {"glibc2.31_x86_64": False, "glibc8.1_x86_64": True}, {k: r.dev for k, r in runtimes.items()})
    runtimes = collect_runtimes([root], lambda label: _LOCK, lambda tag: tag == lock)
    asserts.equals(env, {"glibc2.31_x86_64": True, "glibc8.1_x86_64": False}, {k: r.dev for k, r in runtimes.items()})
    return unittest.end(env)

_dev_test = unittest.make(_dev_test_impl)

_lock_test = unittest.make(_lock_test_impl)

def glibc_extension_test_suite(name):
    """The tests of the glibc extension.

    Args:
      name: the test_suite's name.
    """
    _collect_test(name = name + "_collect", size = "small")
    _lock_test(name = name + "_lock", size = "small")
    _dev_test(name = name + "_dev", size = "small")
    native.test_suite(name = name, tests = [name + "_collect", name + "_lock", name + "_dev"])
