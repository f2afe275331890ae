"""Public API: VM payloads.

- `initramfs`: a deterministic cpio.zst holding a static guest as /init.
- `vm_bundle`: kernel + initramfs + runtimes image, with a sha256 manifest.
"""

load("//rules/private:vm.bzl", _initramfs = "initramfs", _vm_bundle = "vm_bundle")

initramfs = _initramfs
vm_bundle = _vm_bundle
