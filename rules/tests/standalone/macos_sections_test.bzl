"""Analysis test: the macOS macro's cc_library carries the -sectcreate linkopts."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")
load("@rules_cc//cc/common:cc_info.bzl", "CcInfo")

def _linkopts_test_impl(ctx):
    env = analysistest.begin(ctx)
    target = analysistest.target_under_test(env)
    flags = []
    for linker_input in target[CcInfo].linking_context.linker_inputs.to_list():
        flags += linker_input.user_link_flags
    asserts.equals(env, 2, len(flags), "flags: {}".format(flags))
    asserts.true(env, flags[0].startswith("-Wl,-sectcreate,__ACTIOND,__runtimes,") and flags[0].endswith("runtimes/hosts"), flags[0])
    asserts.true(env, flags[1].startswith("-Wl,-sectcreate,__ACTIOND,__kernel,") and flags[1].endswith("standalone_test.sh"), flags[1])
    return analysistest.end(env)

_linkopts_test = analysistest.make(_linkopts_test_impl)

def macos_sections_test_suite(name):
    """The analysis tests of standalone_macos_sections.

    Args:
      name: the test_suite's name.
    """
    _linkopts_test(name = name + "_linkopts", target_under_test = ":macos_sections", size = "small")
    native.test_suite(name = name, tests = [name + "_linkopts"])
