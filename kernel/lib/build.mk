# Freestanding primitives that need nothing else of the kernel: strings,
# formatting, bitmaps, CRC-32, calendar arithmetic, error names, bounded
# number parsing, counter lists as JSON, bounded string building; list.h and hash.h are header-only.
KERNEL_SRCS += \
	kernel/lib/bitmap.c \
	kernel/lib/civil.c \
	kernel/lib/crc32.c \
	kernel/lib/errname.c \
	kernel/lib/num.c \
	kernel/lib/statjson.c \
	kernel/lib/strbuf.c \
	kernel/lib/string.c \
	kernel/lib/vsnprintf.c
