"""Public API: standalone binaries that carry their payloads.

- `standalone_binary`: Linux, ELF sections added to any executable.
- `standalone_macos_sections`: macOS, a cc_library whose linkopts create the
  `__ACTIOND` segment's sections at link time.
"""

load(
    "//rules/private:standalone.bzl",
    _standalone_binary = "standalone_binary",
    _standalone_macos_sections = "standalone_macos_sections",
)

standalone_binary = _standalone_binary
standalone_macos_sections = _standalone_macos_sections
