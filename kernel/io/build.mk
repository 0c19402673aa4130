# The I/O mechanisms of the papers: IO-Lite buffers (iobuf), the sf_buf
# ephemeral mapping cache, ECEM event pairs.
KERNEL_SRCS += \
	kernel/io/causal.c \
	kernel/io/prio.c \
	kernel/io/trace.c \
	kernel/io/tracectx.c \
	kernel/io/tracering.c \
	kernel/io/ecem.c \
	kernel/io/iobuf.c \
	kernel/io/sealguard.c \
	kernel/io/sfbuf.c \
	kernel/io/sfbuf_selftest.c
