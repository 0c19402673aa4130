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

# Linked once: bring-up, the connection API's dispatch, and helpers
# that hold no lwIP state.
KERNEL_SRCS += \
	net/conn_mux.c \
	net/ipcfg.c \
	net/net.c \
	net/vnet_csum.c \
	net/lwip-port/libc.c \
	net/lwip-port/lwip_err.c \
	net/lwip-port/pool_area.c \
	net/lwip-port/sys_arch.c

# Linked once per network-stack instance (net/netinst.h), with lwIP:
# every file that calls lwIP or keeps state its hooks use. Instance i
# is $(BUILD)/net/instance/net<i>.o, all its symbols prefixed net<i>_
# except those it only references (tools/net-instance.sh). The
# instances are NET_INSTANCES_MAX copies in the image; net_queues=
# chooses how many run.
NET_INSTANCES_MAX ?= 4
NET_INSTANCE_SRCS := \
	net/conn.c \
	net/dgram.c \
	net/netinst.c \
	net/virtio_net.c \
	net/lwip-port/csum.c \
	net/lwip-port/lwip_mem.c \
	net/lwip-port/ooseq.c \
	net/lwip-port/tcp_pcbs.c \
	net/lwip-port/tcp_room.c
NET_INSTANCE_OBJS := $(patsubst %,$(BUILD)/%.o,$(NET_INSTANCE_SRCS))
NET_STACK := $(BUILD)/net/instance/stack.o
NET_INSTANCES := $(patsubst %,$(BUILD)/net/instance/net%.o,\
	$(shell seq 0 $$(($(NET_INSTANCES_MAX) - 1))))

# lwIP's headers are visible to net/ (and lwIP itself) only: app/, fs/ and
# kernel/ reach the network through net/*.h, which never include lwIP.
NET_INCLUDES := -Inet/lwip-port -I$(LWIPDIR)/include
$(BUILD)/net/%.o: CPPFLAGS += $(NET_INCLUDES) \
	-DNET_INSTANCES_MAX=$(NET_INSTANCES_MAX)
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
KERNEL_EXTRA_OBJS += $(NET_INSTANCES)

# One relocatable stack, then one renamed copy of it per instance.
$(NET_STACK): $(NET_INSTANCE_OBJS) $(LWIP_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD -r   $@")
	$(Q)$(LD) -r -o $@ $^
$(BUILD)/net/instance/net%.o: $(NET_STACK) tools/net-instance.sh
	@$(if $(Q),echo "  OBJCOPY $@ (prefix net$*_)")
	$(Q)OBJCOPY=$(OBJCOPY) NM=$(NM) tools/net-instance.sh $< $@ net$*_

$(BUILD)/lwip/%.c.o: $(LWIPDIR)/%.c $(LWIP_PATCHED)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      lwip/$*.c")
	$(Q)$(CC) $(CPPFLAGS) $(KERNEL_CFLAGS) $(LWIP_CFLAGS) -c $< -o $@
