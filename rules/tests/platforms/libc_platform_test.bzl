"""Unit tests of libc_platform."""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")
load("//rules/private:libc_platform.bzl", "exec_properties_error", "libc_exec_properties", "validate_libc")

def _validate_libc_test_impl(ctx):
    env = unittest.begin(ctx)
    for good in ["glibc2.31", "glibc2.35", "glibc2.39", "glibc10.0"]:
        asserts.equals(env, None, validate_libc(good), good)
    for bad, why in [
        ("musl1.2", "must start with 'glibc'"),
        ("glibc2", "glibc<major>.<minor>"),
        ("glibc2.35.1", "glibc<major>.<minor>"),
        ("glibc2.x", "glibc<major>.<minor>"),
        ("glibc.35", "glibc<major>.<minor>"),
    ]:
        error = validate_libc(bad)
        asserts.true(env, error != None and why in error, "{}: got {}".format(bad, error))
    return unittest.end(env)

_validate_libc_test = unittest.make(_validate_libc_test_impl)

def _exec_properties_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(env, {"libc": "glibc2.35"}, libc_exec_properties("glibc2.35"))
    asserts.equals(
        env,
        {"OSFamily": "Linux", "libc": "glibc2.31"},
        libc_exec_properties("glibc2.31", {"OSFamily": "Linux"}),
    )
    return unittest.end(env)

_exec_properties_test = unittest.make(_exec_properties_test_impl)

# What libc_platform and libc_exec_properties fail() with, at loading time,
# where an analysis test cannot catch it.
def _exec_properties_error_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(env, None, exec_properties_error("glibc2.35", {"OSFamily": "Linux"}))
    asserts.equals(
        env,
        "exec_properties already sets \"libc\"; pass it as libc instead",
        exec_properties_error("glibc2.35", {"libc": "glibc2.31"}),
    )
    asserts.equals(
        env,
        "libc \"musl1.2\" must start with 'glibc', as in glibc2.35",
        exec_properties_error("musl1.2", {}),
    )
    asserts.equals(
        env,
        "libc \"glibc2\" must be glibc<major>.<minor>, as in glibc2.35",
        exec_properties_error("glibc2", {"libc": "glibc2.31"}),
    )
    return unittest.end(env)

_exec_properties_error_test = unittest.make(_exec_properties_error_test_impl)

def libc_platform_test_suite(name):
    """The tests of libc_platform.

    Args:
      name: the test_suite's name.
    """
    _validate_libc_test(name = name + "_validate_libc", size = "small")
    _exec_properties_test(name = name + "_exec_properties", size = "small")
    _exec_properties_error_test(name = name + "_exec_properties_error", size = "small")
    native.test_suite(
        name = name,
        tests = [
            name + "_validate_libc",
            name + "_exec_properties",
            name + "_exec_properties_error",
        ],
    )
