"""Public API: `zstd_compress`, deterministic zstd compression of one file."""

load("//rules/private:zstd.bzl", _zstd_compress = "zstd_compress")

zstd_compress = _zstd_compress
