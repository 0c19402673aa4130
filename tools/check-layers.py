#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The layering rule of docs/DESIGN.md, checked on every quoted #include.

    kernel      ->  kernel, boot (the boot protocol's headers); inside the
                    kernel, a room includes only rooms below it:
                    lib < cpu < core < mm < arch < sched < virtio, io < kmain.c
                    (kernel/param.h is visible to every room above lib)
    fs          ->  kernel, fs
    net         ->  kernel, net, lwIP's public headers
    app         ->  kernel, fs, net, app
    boot        ->  kernel

lwIP's private headers (lwip/priv/) are allowed in net/lwip-port/ only.
Quoted includes are paths from the repository root (-I.), except lwIP's
(lwip/, netif/, arch/, lwipopts.h), which only net/ may name.

    tools/check-layers.py [ROOT]     check the tree, exit 1 on a violation
    tools/check-layers.py --selftest plant violations in a scratch tree
"""
import os
import re
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
LWIP_PREFIXES = ("lwip/", "netif/", "arch/", "lwipopts.h")
ALLOWED = {
    "kernel": ("kernel", "boot"),
    "fs": ("kernel", "fs"),
    "net": ("kernel", "net"),
    "app": ("kernel", "fs", "net", "app"),
    "boot": ("kernel", "boot"),
}
LAYERED = ("kernel", "fs", "net", "app", "boot")
# Rooms of kernel/ by height; equal heights may not include each other.
KERNEL_RANK = {"lib": 0, "param.h": 1, "cpu": 1, "core": 2, "mm": 3,
               "arch": 4, "sched": 5, "virtio": 6, "io": 6, "kmain.c": 7}
SOURCE = re.compile(r"\.(c|h|S)$")


def layer_of(path):
    """The most specific key of ALLOWED that `path` lies under."""
    for key in sorted(ALLOWED, key=len, reverse=True):
        if path == key or path.startswith(key + "/"):
            return key
    return None


def kernel_room(path):
    """The room of kernel/ that `path` (kernel/...) is in, or None."""
    parts = path.split("/")
    return parts[1] if len(parts) > 1 and parts[1] in KERNEL_RANK else None


def kernel_room_violation(rel, inc):
    """Why kernel file `rel` may not include kernel header `inc`, or None."""
    mine, theirs = kernel_room(rel), kernel_room(inc)
    if mine is None or theirs is None:
        return "%s or %s is in no known room of kernel/" % (rel, inc)
    if mine == theirs:
        return None
    if KERNEL_RANK[theirs] >= KERNEL_RANK[mine]:
        return "kernel/%s may not include %s (not a room below it)" % (
            mine, inc)
    return None


def violations(rel, text):
    """(line, reason) for every include of `rel` that breaks the rule."""
    layer = layer_of(rel)
    out = []
    for m in INCLUDE.finditer(text):
        inc = m.group(1)
        line = text.count("\n", 0, m.start()) + 1
        if inc.startswith(LWIP_PREFIXES):
            if layer != "net":
                out.append((line, "lwIP header %s outside net/" % inc))
            elif inc.startswith("lwip/priv/") and \
                    not rel.startswith("net/lwip-port/"):
                out.append((line, "lwIP private header %s outside "
                            "net/lwip-port/" % inc))
            continue
        if "/" not in inc:
            out.append((line, "%s is not a path from the repository root"
                        % inc))
            continue
        if not any(inc.startswith(a + "/") for a in ALLOWED[layer]):
            out.append((line, "%s may not include %s (goes up a layer)"
                        % (layer, inc)))
        elif layer == "kernel" and inc.startswith("kernel/"):
            why = kernel_room_violation(rel, inc)
            if why:
                out.append((line, why))
    return out


def check(root, quiet=False):
    bad = 0
    for top in LAYERED:
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if not SOURCE.search(f):
                    continue
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, root)
                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
                for line, why in violations(rel, text):
                    if not quiet:
                        print("%s:%d: %s" % (rel, line, why))
                    bad += 1
    return bad


PLANTED = {
    "kernel/io/up.c": '#include "app/server.h"\n',
    "kernel/lib/up.c": '#include "kernel/core/printk.h"\n',
    "fs/side.c": '#include "net/conn.h"\n',
    "net/up.c": '#include "app/http_parser.h"\n',
    "app/lw.c": '#include "lwip/tcp.h"\n',
    "net/priv.c": '#include "lwip/priv/tcp_priv.h"\n',
    "boot/up.S": '#include "fs/file.h"\n',
    "kernel/core/rel.c": '#include "printk.h"\n',
    "kernel/cpu/up.h": '#include "kernel/core/printk.h"\n',
    "kernel/virtio/side.c": '#include "kernel/io/iobuf.h"\n',
    "kernel/mm/up.c": '#include "kernel/sched/thread.h"\n',
}
CLEAN = {
    "app/ok.c": '#include "fs/file.h"\n#include "net/conn.h"\n'
                '#include "kernel/lib/string.h"\n#include <stdint.h>\n',
    "net/ok.c": '#include "lwip/tcp.h"\n#include "kernel/io/iobuf.h"\n',
    "net/lwip-port/ok.c": '#include "lwip/priv/tcp_priv.h"\n',
    "kernel/lib/ok.c": '#include "kernel/lib/string.h"\n',
    "kernel/io/ok.c": '#include "kernel/mm/heap.h"\n#include "kernel/param.h"\n'
                      '#include "kernel/io/sfbuf.h"\n',
    "kernel/kmain.c": '#include "kernel/io/iobuf.h"\n'
                      '#include "boot/multiboot.h"\n',
}


def selftest():
    """Each planted violation is reported once; the clean files pass."""
    failed = 0
    for planted in [dict([kv]) for kv in PLANTED.items()] + [CLEAN]:
        with tempfile.TemporaryDirectory() as root:
            for rel, text in planted.items():
                os.makedirs(os.path.dirname(os.path.join(root, rel)),
                            exist_ok=True)
                with open(os.path.join(root, rel), "w") as fh:
                    fh.write(text)
            want = 0 if planted is CLEAN else 1
            got = check(root, quiet=True)
            if got != want:
                print("selftest: %s: %d violations, want %d"
                      % (", ".join(planted), got, want))
                failed += 1
    print("check-layers selftest: %d planted violations caught, clean "
          "tree %s" % (len(PLANTED) - failed,
                       "passes" if not failed else "FAILED"))
    return 1 if failed else 0


def main():
    if sys.argv[1:] == ["--selftest"]:
        return selftest()
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    bad = check(root)
    if bad:
        print("check-layers: %d include(s) break the layering rule" % bad)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
