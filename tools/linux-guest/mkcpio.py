#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Pack a folder into a gzip-compressed newc cpio archive (an initramfs).

    mkcpio.py STAGING_DIR OUTPUT.cpio.gz

Every entry is owned by root:root with a fixed mtime, so the archive is
reproducible and no root privileges are needed to make it. /dev/console
(character 5:1) is added as a device node because the kernel opens it for
init's stdin/stdout before /init runs, and mknod would need root.
Regular files, folders and symbolic links only; anything else is an error.
"""
import gzip
import os
import stat
import sys

MAGIC = b"070701"
TRAILER = "TRAILER!!!"
MTIME = 0
CONSOLE = ("dev/console", stat.S_IFCHR | 0o600, 5, 1)


def header(ino, mode, nlink, size, rdev_major, rdev_minor, name):
    """newc header + NUL-terminated name, padded to 4 bytes."""
    fields = (ino, mode, 0, 0, nlink, MTIME, size, 0, 0,
              rdev_major, rdev_minor, len(name) + 1, 0)
    hdr = MAGIC + b"".join(b"%08x" % f for f in fields)
    hdr += name.encode() + b"\0"
    return hdr + b"\0" * (-len(hdr) % 4)


def pad(data):
    return data + b"\0" * (-len(data) % 4)


def entries(root):
    """Yield (archive name, lstat result, full path) in sorted order."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel = os.path.relpath(dirpath, root)
        if rel != ".":
            yield rel, os.lstat(dirpath), dirpath
        for f in sorted(filenames):
            full = os.path.join(dirpath, f)
            name = f if rel == "." else os.path.join(rel, f)
            yield name, os.lstat(full), full


def pack(root, out):
    ino = 1
    names = set()
    with gzip.GzipFile(out, "wb", compresslevel=9, mtime=MTIME) as z:
        for name, st, full in entries(root):
            names.add(name)
            perm = stat.S_IMODE(st.st_mode)
            if stat.S_ISDIR(st.st_mode):
                z.write(header(ino, stat.S_IFDIR | perm, 2, 0, 0, 0, name))
            elif stat.S_ISLNK(st.st_mode):
                target = os.readlink(full).encode()
                z.write(header(ino, stat.S_IFLNK | 0o777, 1, len(target),
                               0, 0, name))
                z.write(pad(target))
            elif stat.S_ISREG(st.st_mode):
                with open(full, "rb") as f:
                    data = f.read()
                z.write(header(ino, stat.S_IFREG | perm, 1, len(data),
                               0, 0, name))
                z.write(pad(data))
            else:
                raise SystemExit("mkcpio: %s: unsupported file type" % full)
            ino += 1
        name, mode, major, minor = CONSOLE
        if name not in names:
            if os.path.dirname(name) not in names:
                raise SystemExit("mkcpio: staging has no %s/"
                                 % os.path.dirname(name))
            z.write(header(ino, mode, 1, 0, major, minor, name))
            ino += 1
        z.write(header(0, 0, 1, 0, 0, 0, TRAILER))


def main(argv):
    if len(argv) != 3 or not os.path.isdir(argv[1]):
        print("usage: mkcpio.py STAGING_DIR OUTPUT.cpio.gz", file=sys.stderr)
        return 1
    tmp = argv[2] + ".tmp"
    pack(argv[1], tmp)
    os.replace(tmp, argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
