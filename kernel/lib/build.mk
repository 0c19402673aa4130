# Freestanding primitives that need nothing else of the kernel: strings,
# formatting, bitmaps, CRC-32, calendar arithmetic, error names.
KERNEL_SRCS += \
	kernel/lib/bitmap.c \
	kernel/lib/civil.c \
	kernel/lib/crc32.c \
	kernel/lib/errname.c \
	kernel/lib/statjson.c \
	kernel/lib/strbuf.c \
	kernel/lib/string.c \
	kernel/lib/vsnprintf.c
