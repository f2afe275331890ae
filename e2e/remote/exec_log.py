"""Checks the spawns of a Bazel execution log (--execution_log_json_file).

Usage: exec_log.py LOG --mnemonics M1,M2 --count N --libc NAME [--cache-hit]

Every spawn whose mnemonic is one of the given ones must have asked for
platform property libc=NAME and run remotely (runner "remote"), and there
must be N of them. With --cache-hit, every one of them must instead be a
remote cache hit (runner "remote cache hit"). Prints one line of counts, or what is wrong, and exits 1.
"""

import argparse
import json
import sys


def spawns(path):
    """The log's SpawnExec messages: JSON objects one after another."""
    text = open(path, encoding="utf-8").read()
    decoder = json.JSONDecoder()
    at = 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return
        spawn, at = decoder.raw_decode(text, at)
        yield spawn


def failed(checker, log, problems):
    """Prints the first problems found in LOG, if any; whether there were any."""
    for p in problems[:20]:
        print("{}: {}".format(checker, p), file=sys.stderr)
    if problems:
        print("{}: FAIL {}: {} problems".format(checker, log, len(problems)), file=sys.stderr)
    return bool(problems)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("log")
    parser.add_argument("--mnemonics", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--libc", required=True)
    parser.add_argument("--cache-hit", action="store_true")
    args = parser.parse_args()
    wanted = set(args.mnemonics.split(","))
    problems = []
    seen = 0
    for spawn in spawns(args.log):
        if spawn.get("mnemonic") not in wanted:
            continue
        seen += 1
        what = "{} {}".format(spawn["mnemonic"], spawn.get("targetLabel", ""))
        runner = "remote cache hit" if args.cache_hit else "remote"
        if spawn.get("runner") != runner:
            problems.append("{} ran on {!r}, not {!r}".format(what, spawn.get("runner"), runner))
        properties = {
            p.get("name"): p.get("value")
            for p in spawn.get("platform", {}).get("properties", [])
        }
        if properties.get("libc") != args.libc:
            problems.append("{} asked for libc={}".format(what, properties.get("libc")))
        if bool(spawn.get("cacheHit")) != args.cache_hit:
            problems.append("{} cacheHit={}".format(what, spawn.get("cacheHit", False)))
    if seen != args.count:
        problems.append("{} spawns of {}, not {}".format(seen, args.mnemonics, args.count))
    if failed("exec_log", args.log, problems):
        return 1
    print("exec_log: {} spawns of {} ran remotely with libc={}{}".format(
        seen, args.mnemonics, args.libc, ", all remote cache hits" if args.cache_hit else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
