# libFuzzer harnesses (host clang, ASan + UBSan; see tests/fuzz/fuzz.h).
# Each entry is tests/fuzz/fuzz_<target> with the unmodified module
# sources and fakes it links; its seeds live in tests/fuzz/corpus/<target>.
#   FUZZ_TARGETS += fuzz_foo
#   fuzz_foo_SRCS := kernel/foo.c tests/fakes/fake_printk.c
#   fuzz_foo_CFLAGS := (extra flags, optional)

# Modules that format text use the kernel's own vsnprintf, renamed so it
# cannot collide with the host libc's.
FUZZ_PRINTF := kernel/lib/vsnprintf.c
FUZZ_PRINTF_CFLAGS := -Dvsnprintf=k_vsnprintf -Dsnprintf=k_snprintf
FUZZ_FAKES := tests/fakes/fake_printk.c tests/fuzz/fake_panic_fuzz.c

FUZZ_TARGETS += fuzz_http
fuzz_http_SRCS := app/http_parser.c app/http_path.c app/http_range.c \
	app/http_cond.c kernel/lib/civil.c kernel/lib/strbuf.c app/http_str.c kernel/lib/num.c \
	$(FUZZ_PRINTF)
fuzz_http_CFLAGS := $(FUZZ_PRINTF_CFLAGS)

FUZZ_TARGETS += fuzz_path
fuzz_path_SRCS := app/http_path.c app/http_str.c

FUZZ_TARGETS += fuzz_range
fuzz_range_SRCS := app/http_range.c app/http_str.c kernel/lib/num.c \
	$(FUZZ_PRINTF)
fuzz_range_CFLAGS := $(FUZZ_PRINTF_CFLAGS)

FUZZ_TARGETS += fuzz_cond
fuzz_cond_SRCS := app/http_cond.c kernel/lib/civil.c kernel/lib/strbuf.c app/http_str.c \
	kernel/lib/num.c $(FUZZ_PRINTF)
fuzz_cond_CFLAGS := $(FUZZ_PRINTF_CFLAGS)

FUZZ_TARGETS += fuzz_cmdline
fuzz_cmdline_SRCS := kernel/core/cmdline.c kernel/lib/num.c $(FUZZ_PRINTF) \
	$(FUZZ_FAKES)
fuzz_cmdline_CFLAGS := $(FUZZ_PRINTF_CFLAGS)

FUZZ_TARGETS += fuzz_ext2
fuzz_ext2_SRCS := fs/ext2.c kernel/lib/errname.c tests/fakes/fake_heap.c \
	$(FUZZ_FAKES)
