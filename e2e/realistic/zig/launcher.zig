//! zig-SUBCOMMAND: runs `zig SUBCOMMAND ARGS...`, `zig` being the binary
//! beside this one. Bazel's C toolchains run one program per action and may
//! move every argument into a params file (`@file`), which `zig` itself
//! reads only after its subcommand.
const std = @import("std");

const subcommand = "{SUBCOMMAND}";

pub fn main() u8 {
    var arena = std.heap.ArenaAllocator.init(std.heap.page_allocator);
    const allocator = arena.allocator();
    const args = std.process.argsAlloc(allocator) catch return 125;
    const dir = std.fs.path.dirname(args[0]) orelse ".";
    const argv = allocator.alloc([]const u8, args.len + 1) catch return 125;
    argv[0] = std.fs.path.join(allocator, &.{ dir, "zig" }) catch return 125;
    argv[1] = subcommand;
    for (args[1..], 2..) |arg, i| argv[i] = arg;
    const err = std.process.execv(allocator, argv);
    std.debug.print("zig-{s}: cannot run {s}: {s}\n", .{ subcommand, argv[0], @errorName(err) });
    return 127;
}
