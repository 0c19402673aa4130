# Network: virtio-net driver, lwIP port and lwIP itself.
#
# lwIP is not in the repository: tools/fetch-lwip.sh unpacks Debian's
# source package into $(LWIP_SRC) (once; the stamp file says it is
# there), and tools/patch-lwip.sh copies it to $(LWIP_TREE) with our
# patches (net/lwip-port/patches/*.patch, each with its reason) applied.
# The patched tree's stamp is named after a hash of the patches, so
# changing, adding or removing one remakes the tree and every lwIP
# object. Its own Filelists.mk names the sources; the include below is
# remade from the stamp, so a plain `make` fetches and patches it first.
LWIP_SRC := $(BUILD)/lwip-src
LWIP_STAMP := $(LWIP_SRC)/.fetched
LWIP_PATCHES := $(sort $(wildcard net/lwip-port/patches/*.patch))
LWIP_PATCH_SUM := $(firstword $(shell cat $(LWIP_PATCHES) /dev/null | \
	sha256sum))
LWIP_TREE := $(BUILD)/lwip-patched
LWIP_PATCHED := $(LWIP_TREE)/.patched-$(LWIP_PATCH_SUM)
LWIPDIR := $(LWIP_TREE)/src

KERNEL_SRCS += \
	net/conn.c \
	net/dgram.c \
	net/ipcfg.c \
	net/net.c \
	net/virtio_net.c \
	net/vnet_csum.c \
	net/lwip-port/csum.c \
	net/lwip-port/libc.c \
	net/lwip-port/lwip_err.c \
	net/lwip-port/lwip_mem.c \
	net/lwip-port/ooseq.c \
	net/lwip-port/sys_arch.c \
	net/lwip-port/tcp_pcbs.c \
	net/lwip-port/tcp_room.c

# lwIP's headers are visible to net/ (and lwIP itself) only: app/, fs/ and
# kernel/ reach the network through net/*.h, which never include lwIP.
NET_INCLUDES := -Inet/lwip-port -I$(LWIPDIR)/include
$(BUILD)/net/%.o: CPPFLAGS += $(NET_INCLUDES)
$(BUILD)/lwip/%.o: CPPFLAGS += $(NET_INCLUDES)

# Goals that need no lwIP do not fetch it.
LWIP_FREE_GOALS := clean format unit
ifneq ($(filter-out $(LWIP_FREE_GOALS),$(or $(MAKECMDGOALS),all)),)
include $(LWIPDIR)/Filelists.mk
endif

$(LWIP_STAMP): tools/fetch-lwip.sh
	$(Q)tools/fetch-lwip.sh $(LWIP_SRC)
$(LWIP_PATCHED): $(LWIP_STAMP) tools/patch-lwip.sh
	$(Q)tools/patch-lwip.sh $(LWIP_SRC) $(LWIP_TREE) $@ $(LWIP_PATCHES)
$(LWIPDIR)/Filelists.mk: $(LWIP_PATCHED)
	@test -f $@

# lwIP's core, IPv4 and Ethernet, compiled into the kernel with our own
# flags; 2.1.3 needs no -Wno-* with the options of lwipopts.h (add them to
# LWIP_CFLAGS, never to KERNEL_CFLAGS, if a later version does).
LWIP_SRCS := $(COREFILES) $(CORE4FILES) $(LWIPDIR)/netif/ethernet.c
LWIP_OBJS := $(patsubst $(LWIPDIR)/%.c,$(BUILD)/lwip/%.c.o,$(LWIP_SRCS))
LWIP_CFLAGS :=
KERNEL_EXTRA_OBJS += $(LWIP_OBJS)

$(BUILD)/lwip/%.c.o: $(LWIPDIR)/%.c $(LWIP_PATCHED)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      lwip/$*.c")
	$(Q)$(CC) $(CPPFLAGS) $(KERNEL_CFLAGS) $(LWIP_CFLAGS) -c $< -o $@
