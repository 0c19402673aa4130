# SPDX-License-Identifier: MIT
#
# One non-recursive build. Each folder's build.mk appends its sources to
# KERNEL_SRCS (kernel image) or UNIT_TESTS (host tests, tests/build.mk).
# Everything is built under $(BUILD) with -MD dependency tracking.
#
#   make            kernel ELF + 32-bit multiboot wrapper
#   make iso        GRUB rescue ISO
#   make run        boot under QEMU (serial on stdio)
#   make test       host unit tests, fuzz smoke run, QEMU integration tests
#                   (at -smp 1, then at -smp 2 with two queue pairs)
#   make fuzz       each libFuzzer harness for FUZZ_SECONDS (host clang)
#   make soak       mixed load for SOAK_SECONDS (default 600), checked
#   make check      formatter, self-contained headers, static analysis
#   make debug      QEMU stopped at entry with a gdb stub, gdb attached
#   make linux-guest  the Linux+nginx baseline guest (Debian packages)
#   make bench      unikernel vs Linux+nginx vs host nginx (QUICK=1: < 5 min;
#                   BULK=1: issue 17 matrix, 256 KiB-10 MiB x 1/16/64)
#   make bench-cache  page cache LRU vs GDS on a Zipf trace (QUICK=1: short)
#   make bench-trace  tracing overhead: trace=off/on/sample:100 (QUICK=1;
#                   ICOUNT=1: under -icount, guest instructions per request)
#   make insnprof   guest instructions per request by function, exact
#                   (a TCG plugin): trace=off vs on, or BENCH_ARGS configs
#   make bench-accept  accept_limit under connection churn, httperf (QUICK=1)
#   make bench-prio  urgent requests under a low-priority disk flood, prio=on/off
#   make cluster N=3   N guests behind HAProxy in a namespace (Ctrl-C stops)
#   make bench-cluster 1 vs N guests behind HAProxy (QUICK=1: short)
#   make bench-scale  -smp 1 vs 2 (vs 4), petrel and Linux+nginx (QUICK=1)

BUILD ?= build
CC := gcc
LD := ld
NM := nm
OBJCOPY := objcopy
QEMU ?= qemu-system-x86_64
PYTHON ?= /usr/bin/python3
HOSTCC ?= gcc

KERNEL_ELF := $(BUILD)/petrel.elf
KERNEL_BIN := $(BUILD)/petrel32.elf
ISO := $(BUILD)/petrel.iso

CPPFLAGS := -I. -MD -MP
KERNEL_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror \
	-ffreestanding -fno-stack-protector -fno-pic -fno-pie \
	-mno-red-zone -mgeneral-regs-only -mcmodel=small -fno-common \
	-fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-tree-loop-distribute-patterns -fno-strict-aliasing \
	-Wno-unused-parameter -Wmissing-prototypes -Wstrict-prototypes
KERNEL_ASFLAGS := -D__ASSEMBLER__ -g
KERNEL_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack \
	--no-warn-rwx-segments -T linker.ld

# build.mk fragments may define rules; `make` alone still means `all`.
.DEFAULT_GOAL := all

KERNEL_SRCS :=
KERNEL_EXTRA_OBJS := # objects built by a folder's own rule (lwIP)
UNIT_TESTS :=
FUZZ_TARGETS :=

include boot/build.mk
include kernel/build.mk
include fs/build.mk
include net/build.mk
include app/build.mk
include tests/build.mk
include tests/fuzz/build.mk

KERNEL_OBJS := $(patsubst %,$(BUILD)/%.o,$(KERNEL_SRCS)) $(KERNEL_EXTRA_OBJS)

.PHONY: all iso image run run-tap bench bench-mech bench-trace bench-accept bench-cache bench-prio soak test unit \
	integration integration-smp2 check \
	format clean debug fuzz fuzz-build fuzz-smoke
all: $(KERNEL_ELF) $(KERNEL_BIN)

# V=1 shows the full commands.
ifeq ($(V),1)
Q :=
else
Q := @
endif

$(BUILD)/%.c.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(KERNEL_CFLAGS) -c $< -o $@

$(BUILD)/%.S.o: %.S
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) $(CPPFLAGS) $(KERNEL_ASFLAGS) -c $< -o $@

# Two-pass link: the first image gives the symbol table, the second
# carries it. .ksyms sits after all code, so no text address moves; the
# cmp below proves it.
$(BUILD)/ksyms0.S: tools/gen-ksyms.sh
	@mkdir -p $(@D)
	$(Q)tools/gen-ksyms.sh --empty > $@
$(BUILD)/petrel.pass1.elf: $(KERNEL_OBJS) $(BUILD)/ksyms0.S.o linker.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJS) $(BUILD)/ksyms0.S.o
$(BUILD)/ksyms.S: $(BUILD)/petrel.pass1.elf tools/gen-ksyms.sh
	@$(if $(Q),echo "  KSYMS   $@")
	$(Q)NM=$(NM) tools/gen-ksyms.sh $< > $@
$(BUILD)/ksyms0.S.o: $(BUILD)/ksyms0.S
	$(Q)$(CC) $(KERNEL_ASFLAGS) -c $< -o $@
$(BUILD)/ksyms.S.o: $(BUILD)/ksyms.S
	$(Q)$(CC) $(KERNEL_ASFLAGS) -c $< -o $@
$(KERNEL_ELF): $(BUILD)/petrel.pass1.elf $(BUILD)/ksyms.S.o
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJS) $(BUILD)/ksyms.S.o
	@$(NM) -n $(BUILD)/petrel.pass1.elf | awk '$$2 ~ /^[tTwW]$$/' > $(BUILD)/syms1.txt
	@$(NM) -n $@ | awk '$$2 ~ /^[tTwW]$$/' > $(BUILD)/syms2.txt
	@cmp -s $(BUILD)/syms1.txt $(BUILD)/syms2.txt || \
		{ echo "ksyms: text moved between link passes" >&2; rm -f $@; exit 1; }

# QEMU's multiboot loader only takes 32-bit ELF files; the code is the
# same, only the container changes.
$(KERNEL_BIN): $(KERNEL_ELF)
	@$(if $(Q),echo "  OBJCOPY $@")
	$(Q)$(OBJCOPY) -O elf32-i386 --strip-debug $< $@

iso: $(ISO)
$(ISO): $(KERNEL_BIN) boot/grub.cfg
	@rm -rf $(BUILD)/isodir && mkdir -p $(BUILD)/isodir/boot/grub
	cp $(KERNEL_BIN) $(BUILD)/isodir/boot/petrel.elf
	cp boot/grub.cfg $(BUILD)/isodir/boot/grub/grub.cfg
	grub-mkrescue -o $@ $(BUILD)/isodir 2>$(BUILD)/grub-mkrescue.log || \
		{ cat $(BUILD)/grub-mkrescue.log >&2; exit 1; }

# The site image: `make image SITE=folder` (default: the demo site).
SITE ?= tools/demo-site
SITE_IMG := $(BUILD)/site.img
image: $(SITE_IMG)
$(SITE_IMG): tools/mkimage.sh $(shell find $(SITE) -type f 2>/dev/null)
	@mkdir -p $(@D)
	$(Q)tools/mkimage.sh $(SITE) $@

# The Linux + nginx baseline guest of the benchmark, from Debian packages
# (downloaded once into $(BUILD)/linux-guest/debs).
.PHONY: linux-guest
linux-guest:
	$(Q)tools/linux-guest/build.sh $(BUILD)/linux-guest

QEMU_MEM ?= 128M
CMDLINE ?=
# SMP=N: N vCPUs, run in parallel host threads (MTTCG) when N > 1.
SMP ?= 1
QEMU_MTTCG = -smp $(SMP) -accel tcg,thread=multi
QEMU_SMP = $(if $(filter-out 1,$(SMP)),$(QEMU_MTTCG))
QEMU_BASE = -machine q35 -cpu max -m $(QEMU_MEM) -display none -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 $(QEMU_SMP)

# The site image rides on a read-only virtio-blk disk.
QEMU_DISK = -drive if=none,id=site,format=raw,readonly=on,file=$(SITE_IMG) \
	-device virtio-blk-pci,drive=site,disable-legacy=on

# User networking: the host's 127.0.0.1:$(HTTP_PORT) reaches the guest's
# port 80; the guest gets its address from QEMU's DHCP server.
HTTP_PORT ?= 8080
QEMU_USERNET = -netdev user,id=n0,hostfwd=tcp:127.0.0.1:$(HTTP_PORT)-:80 \
	-device virtio-net-pci,netdev=n0,disable-legacy=on

run: $(KERNEL_BIN) $(SITE_IMG)
	@echo "petrel: http://localhost:$(HTTP_PORT)/ once the console says ready (quit: Ctrl-A x)"
	$(QEMU) $(QEMU_BASE) -serial mon:stdio $(QEMU_DISK) $(QEMU_USERNET) \
		-kernel $(KERNEL_BIN) -append "ip=dhcp $(CMDLINE)"

# The same over a tap device in a network namespace (needs root).
# QUEUES=N: a multiqueue tap, N virtio-net queue pairs and lwIP instances.
QUEUES ?= 1
run-tap: $(KERNEL_BIN) $(SITE_IMG)
	QUEUES=$(QUEUES) SMP=$(SMP) tools/run-tap.sh $(KERNEL_BIN) $(SITE_IMG) $(CMDLINE)

# gdb owns the terminal, so the console goes to $(BUILD)/serial.log.
debug: $(KERNEL_BIN) $(SITE_IMG)
	@printf 'file %s\ntarget remote localhost:1234\nset architecture i386:x86-64\nhbreak kmain\ncontinue\n' \
		$(KERNEL_ELF) > $(BUILD)/gdbinit
	@echo "console: tail -f $(BUILD)/serial.log"
	$(QEMU) $(QEMU_BASE) -serial file:$(BUILD)/serial.log $(QEMU_DISK) \
		-kernel $(KERNEL_BIN) -append "$(CMDLINE)" -s -S & \
		qemu=$$!; gdb -q -x $(BUILD)/gdbinit $(GDB_ARGS); \
		kill $$qemu 2>/dev/null; wait $$qemu

# Host unit tests: one binary per test, built from the test and the
# unmodified module sources it names, with sanitizers on.
HOST_CFLAGS := -std=gnu11 -g -O1 -I. -Wall -Wextra -Werror -DPETREL_HOST_TEST \
	-Wno-unused-parameter -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all
HOST_HEADERS := $(shell find boot kernel fs net app tests -name '*.h')
UNIT_BINS := $(patsubst %,$(BUILD)/%,$(UNIT_TESTS))
# Linked into every host test: modules take spinlocks and ask the CPU
# count (one thread, one CPU here).
UNIT_COMMON_SRCS := tests/fakes/fake_spinlock.c tests/fakes/fake_smp.c

.SECONDEXPANSION:
$(BUILD)/tests/%: tests/%.c $$($$(subst $(BUILD)/,,$$@)_SRCS) \
		$(UNIT_COMMON_SRCS) $(HOST_HEADERS) tests/build.mk
	@mkdir -p $(@D)
	@$(if $(Q),echo "  HOSTCC  $@")
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $($(patsubst $(BUILD)/%,%,$@)_CFLAGS) \
		-o $@ $< $($(patsubst $(BUILD)/%,%,$@)_SRCS) \
		$(UNIT_COMMON_SRCS) -lcmocka

unit: $(UNIT_BINS)
	@tests/run-unit.sh $(UNIT_BINS)

test: unit test-tools fuzz-smoke integration integration-smp2

# Host tests of the Python tools (tools/trace-merge on a fixture).
test-tools:
	$(PYTHON) -m pytest -q tests/tools

# N guests behind HAProxy in a private namespace (tools/cluster.py);
# prints the `ip netns exec ... curl` to reach it; Ctrl-C stops it all.
# N=3, BALANCE=roundrobin|leastconn, SITE=folder (default the demo site).
N ?= 3
BALANCE ?= roundrobin
cluster: $(KERNEL_BIN)
	tools/cluster.py --guests $(N) --balance $(BALANCE) --site $(SITE)

# 1 vs N guests behind HAProxy: req/s for 1 KiB, MB/s for 1 MiB, alternated
# rounds, medians (tools/bench/cluster.py). QUICK=1: one round, 2 s points.
bench-cluster: $(KERNEL_BIN)
	tools/bench/cluster.py --guests $(N) $(if $(QUICK),--quick) $(BENCH_ARGS)

integration: $(KERNEL_BIN) $(ISO)
	$(PYTHON) -m pytest -q tests/integration

# The same suite with every guest at -smp 2 and every tap with two queue
# pairs, so connections are served on both CPUs (issue 15's bar).
integration-smp2: $(KERNEL_BIN) $(ISO)
	PETREL_SMP=2 PETREL_QUEUES=2 $(PYTHON) -m pytest -q tests/integration

# libFuzzer harnesses: host clang with its own flags, apart from the
# kernel and unit-test builds. `make fuzz` runs each for FUZZ_SECONDS
# and keeps its growing corpus in $(BUILD)/fuzz/corpus; `make fuzz-smoke`
# (part of `make test`) runs each for FUZZ_SMOKE_SECONDS from the seeds
# only. A crash fails the target and leaves its input in $(BUILD)/fuzz.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_CFLAGS := -std=gnu11 -g -O1 -I. -Wall -Wextra -Werror \
	-Wno-unused-parameter -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/%,$(FUZZ_TARGETS))

$(BUILD)/fuzz/%: tests/fuzz/%.c $$($$*_SRCS) $(HOST_HEADERS) \
		tests/fuzz/build.mk
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZCC  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $($*_CFLAGS) -o $@ $< $($*_SRCS)

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	@echo "  FUZZ    $(FUZZ_SECONDS)s per harness"
	@tests/fuzz/run-fuzz.sh $(FUZZ_SECONDS) $(BUILD)/fuzz $(FUZZ_BINS)

fuzz-smoke: $(FUZZ_BINS)
	@rm -rf $(BUILD)/fuzz/smoke
	@echo "  FUZZ    smoke, $(FUZZ_SMOKE_SECONDS)s per harness"
	@tests/fuzz/run-fuzz.sh $(FUZZ_SMOKE_SECONDS) $(BUILD)/fuzz/smoke \
		$(FUZZ_BINS)

# Mechanism benchmark (IO-Lite, sf_buf, checksums): ratios against the
# baselines, then working sets 0.5x/1x/4x a fixed sf_buf window under
# mapping=sfbuf/naive/direct; medians of alternating rounds. QUICK=1: one
# round, 1 s per point. BENCH_ARGS: more options (e.g. --sections ws).
# Needs root for the namespace.
BENCH_ROUNDS ?= 3
BENCH_SECONDS ?= 3
bench-mech: $(KERNEL_BIN)
	tools/bench/mech.py $(if $(QUICK),--quick,--rounds $(BENCH_ROUNDS) \
		--seconds $(BENCH_SECONDS)) $(BENCH_ARGS)

# Tracing overhead (issue 18): trace=off vs on vs sample:100, vCPU time
# per 1 KiB request, medians of alternating rounds (tools/bench/trace.py).
# QUICK=1: one round, 1 s. ICOUNT=1: the guests run under QEMU's -icount
# (one vCPU) and the overhead is counted in guest instructions per
# request, a figure host load does not move. Needs root for the namespace.
bench-trace: $(KERNEL_BIN)
	tools/bench/trace.py $(if $(QUICK),--quick,--rounds $(BENCH_ROUNDS) \
		--seconds $(BENCH_SECONDS)) $(if $(ICOUNT),--icount) $(BENCH_ARGS)

# Where a request's guest instructions go, by function, exact: a QEMU
# TCG plugin (tools/bench/insnprof.c) counts every block the guest runs
# over a bounded 1 KiB wrk run; per request, and the difference between
# configurations (tools/bench/insnprof.py --help; default trace=off vs
# trace=on). Needs root for the namespace.
.PHONY: insnprof
insnprof: $(KERNEL_BIN)
	BUILD=$(abspath $(BUILD)) tools/bench/insnprof.py $(BENCH_ARGS)

# Accept strategies under connection churn (issue 19): httperf offers
# one-request and few-request connections at 0.5x-3x of the saturation
# point to accept_limit=0/1/8/64 under model=event and model=threads;
# medians of alternating rounds. QUICK=1: one round, limits 0 and 8,
# loads 0.5x and 2x, 1 s per point. BENCH_ARGS: more options
# (tools/bench/accept.py --help). Needs root for the namespace.
bench-accept: $(KERNEL_BIN)
	tools/bench/accept.py $(if $(QUICK),--quick) $(BENCH_ARGS)

# The unikernel against the Linux+nginx guest on the same virtual
# hardware, and host nginx as the upper bound: boot time, req/s, MB/s,
# latency, CPU per request, image size, smallest -m. QUICK=1: one round,
# fewer sizes and connections (under 5 minutes); BULK=1: 256 KiB, 1 MiB,
# 10 MiB at 1, 16, 64 connections and the bulk table. Results, CSV, plot in
# $(BUILD)/bench-results/<timestamp>/. BENCH_ARGS: more options
# (tools/bench/bench.py --help). Needs root for the namespaces.
QUICK ?=
BULK ?=
BENCH_ARGS ?=
bench: $(KERNEL_BIN) linux-guest
	BUILD=$(abspath $(BUILD)) tools/bench/bench.py $(if $(QUICK),--quick) $(if $(BULK),--bulk) $(BENCH_ARGS)

# Multicore scaling (issue 15): petrel at -smp 1 and 2 against the
# Linux+nginx guest at the same -smp, MTTCG, a tap with a queue per CPU;
# req/s, MB/s, vCPU time per request summed over the vCPU threads, the
# ratios and targets, and the mapping table (mapping=sfbuf/naive/direct at
# -smp 2: shootdown IPIs and vCPU per MiB). QUICK=1: one round of 2 s
# points. BENCH_ARGS: more options, e.g. --smp 1,2,4 --conns 32,64
# (tools/bench/scale.py --help). JSON and table in $(BUILD)/bench-results/.
# Needs root for the namespaces.
.PHONY: bench-scale
bench-scale: $(KERNEL_BIN) linux-guest
	BUILD=$(abspath $(BUILD)) tools/bench/scale.py $(if $(QUICK),--quick) $(BENCH_ARGS)

# Page-cache policies, LRU against GreedyDual-Size, on one seeded Zipf
# Request priorities: urgent cold requests under a low-priority flood,
# prio=on vs off (tools/bench/prio.py --help). Needs root for the namespace.
bench-prio: $(KERNEL_BIN)
	tools/bench/prio.py $(if $(QUICK),--rounds 1 --seconds 10) $(BENCH_ARGS)

# trace over a web-like site 4x the pool (tools/bench/cache_trace.py):
# hit ratio, byte hit ratio, req/s, vCPU per request; bodies checked.
# QUICK=1: a short trace, one boot of each. JSON in
# $(BUILD)/bench-results/. Needs root for the namespace.
bench-cache: $(KERNEL_BIN)
	BUILD=$(abspath $(BUILD)) tools/bench/cache_trace.py $(if $(QUICK),--quick --rounds 1) $(BENCH_ARGS)

# Mixed load for SOAK_SECONDS against one guest, every response checked
# byte-exact and no leak at the end (tools/soak.py). Not part of `make
# test`; needs root for the namespace.
SOAK_SECONDS ?= 600
soak: $(KERNEL_BIN)
	$(PYTHON) tools/soak.py --seconds $(SOAK_SECONDS)

# Our C sources (lwIP, fetched into $(BUILD), is not ours to format).
STYLE_SRCS = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
HEADERS = $(filter-out tests/%,$(filter %.h,$(STYLE_SRCS)))

format:
	clang-format -i $(STYLE_SRCS)

# Layering, formatter, self-contained headers, static analysis.
check:
	@echo "  FORMAT  (clang-format --dry-run)"
	$(Q)clang-format --dry-run --Werror $(STYLE_SRCS)
	@echo "  LAYERS  includes go down the layers (tools/check-layers.py)"
	$(Q)$(PYTHON) tools/check-layers.py --selftest
	$(Q)$(PYTHON) tools/check-layers.py
	@echo "  HDRS    each header compiles alone, with its folder's include path"
	$(Q)for h in $(HEADERS); do \
		case $$h in net/*) inc="$(NET_INCLUDES)";; *) inc=;; esac; \
		printf '#include "%s"\n' $$h | $(CC) $(KERNEL_CFLAGS) -I. $$inc \
			-x c -fsyntax-only - || { echo "not self-contained: $$h"; exit 1; }; \
	done
	@echo "  CPPCHECK"
	$(Q)cppcheck --quiet --error-exitcode=1 --std=c11 --inline-suppr \
		--enable=warning,portability --suppress=missingIncludeSystem \
		-I. $(filter %.c,$(STYLE_SRCS))

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
