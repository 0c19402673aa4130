# Host unit tests (cmocka, ASan + UBSan). Each entry is tests/<dir>/test_<mod>
# and lists the unmodified module sources and fakes it links:
#   UNIT_TESTS += tests/kernel/test_foo
#   tests/kernel/test_foo_SRCS := kernel/foo.c tests/fakes/fake_printk.c
#   tests/kernel/test_foo_CFLAGS := (extra flags, optional)

UNIT_TESTS += tests/kernel/test_cmdline
tests/kernel/test_cmdline_SRCS := kernel/core/cmdline.c kernel/lib/num.c \
	tests/fakes/fake_printk.c

# Built under other names so it cannot collide with the host libc's.
UNIT_TESTS += tests/kernel/test_vsnprintf
tests/kernel/test_vsnprintf_SRCS := kernel/lib/vsnprintf.c
tests/kernel/test_vsnprintf_CFLAGS := -Dvsnprintf=k_vsnprintf \
	-Dsnprintf=k_snprintf -Wno-format -Wno-format-extra-args

# Built under other names (k_memcpy...) so they cannot collide with libc.
UNIT_TESTS += tests/kernel/test_string
tests/kernel/test_string_SRCS := kernel/lib/string.c
tests/kernel/test_string_CFLAGS := -Dmemcpy=k_memcpy -Dmemmove=k_memmove \
	-Dmemset=k_memset -Dmemcmp=k_memcmp -Dmemchr=k_memchr \
	-Dstrlen=k_strlen -Dstrnlen=k_strnlen -Dstrcmp=k_strcmp \
	-Dstrncmp=k_strncmp -Dstrchr=k_strchr -Dstrrchr=k_strrchr \
	-Dstrlcpy=k_strlcpy -fno-builtin

UNIT_TESTS += tests/kernel/test_pmm
tests/kernel/test_pmm_SRCS := kernel/mm/pmm.c kernel/lib/bitmap.c tests/fakes/fake_panic.c \
	tests/fakes/fake_printk.c

UNIT_TESTS += tests/kernel/test_memplan
tests/kernel/test_memplan_SRCS := kernel/mm/memplan.c

UNIT_TESTS += tests/kernel/test_heap
tests/kernel/test_heap_SRCS := kernel/mm/heap.c tests/fakes/fake_pmm.c \
	tests/fakes/fake_panic.c tests/fakes/fake_printk.c

UNIT_TESTS += tests/kernel/test_iobuf
tests/kernel/test_iobuf_SRCS := kernel/io/iobuf.c kernel/io/sfbuf.c kernel/sched/handover.c kernel/mm/heap.c \
	kernel/lib/bitmap.c tests/fakes/fake_pmm.c tests/fakes/fake_panic.c \
	tests/fakes/fake_printk.c

UNIT_TESTS += tests/fs/test_cache_policy
tests/fs/test_cache_policy_SRCS := fs/cache_policy.c kernel/mm/heap.c \
	tests/fakes/fake_pmm.c tests/fakes/fake_panic.c tests/fakes/fake_printk.c

UNIT_TESTS += tests/fs/test_blkrun
tests/fs/test_blkrun_SRCS := fs/blkrun.c

UNIT_TESTS += tests/fs/test_blkq
tests/fs/test_blkq_SRCS := fs/blkq.c

UNIT_TESTS += tests/fs/test_pcache
tests/fs/test_pcache_SRCS := fs/pcache.c fs/cache_policy.c kernel/sched/handover.c kernel/io/iobuf.c kernel/io/sfbuf.c kernel/mm/heap.c \
	kernel/lib/bitmap.c kernel/lib/errname.c tests/fakes/fake_pmm.c \
	tests/fakes/fake_panic.c tests/fakes/fake_printk.c

UNIT_TESTS += tests/fs/test_readahead
tests/fs/test_readahead_SRCS := $(tests/fs/test_pcache_SRCS)

UNIT_TESTS += tests/kernel/test_lockcheck
tests/kernel/test_lockcheck_SRCS := kernel/core/lockcheck.c

UNIT_TESTS += tests/kernel/test_timer
tests/kernel/test_timer_SRCS := kernel/sched/timer.c tests/fakes/fake_profile.c tests/fakes/fake_printk.c \
	tests/fakes/fake_panic.c

# Per-CPU handover queues; CPUs and IPIs played by tests/fakes/fake_smp.c.
UNIT_TESTS += tests/kernel/test_handover
tests/kernel/test_handover_SRCS := kernel/sched/handover.c

UNIT_TESTS += tests/kernel/test_acpi
tests/kernel/test_acpi_SRCS := kernel/arch/acpi.c kernel/lib/errname.c \
	tests/fakes/fake_printk.c

UNIT_TESTS += tests/kernel/test_time
tests/kernel/test_time_SRCS := kernel/arch/time.c tests/fakes/fake_printk.c

# The ring against a fake device; frames from tests/fakes/fake_pmm.c.
UNIT_TESTS += tests/kernel/test_virtq
tests/kernel/test_virtq_SRCS := kernel/virtio/virtq.c tests/fakes/fake_pmm.c \
	tests/fakes/fake_printk.c

UNIT_TESTS += tests/fs/test_ext2
tests/fs/test_ext2_SRCS := fs/ext2.c kernel/lib/errname.c tests/fakes/fake_heap.c \
	tests/fakes/fake_printk.c
tests/fs/test_ext2_CFLAGS := \
	-DMKIMAGES='"$(abspath tests/fs/mkimages.sh)"'

# Network: pure helpers of the virtio-net driver and the ip=/gw= parser.
UNIT_TESTS += tests/net/test_vnet_csum
tests/net/test_vnet_csum_SRCS := net/vnet_csum.c

UNIT_TESTS += tests/net/test_lwip_mem
tests/net/test_lwip_mem_SRCS := net/lwip-port/lwip_mem.c
tests/net/test_lwip_mem_CFLAGS := -Inet/lwip-port

UNIT_TESTS += tests/net/test_ipcfg
tests/net/test_ipcfg_SRCS := net/ipcfg.c kernel/lib/num.c

UNIT_TESTS += tests/kernel/test_statjson
tests/kernel/test_statjson_SRCS := kernel/lib/statjson.c kernel/lib/strbuf.c \
	kernel/lib/vsnprintf.c
tests/kernel/test_statjson_CFLAGS := -Dvsnprintf=k_vsnprintf -Dsnprintf=k_snprintf

UNIT_TESTS += tests/kernel/test_crc32
tests/kernel/test_crc32_SRCS := kernel/lib/crc32.c

# The thread calls are stubbed in the test itself.
UNIT_TESTS += tests/kernel/test_completion
tests/kernel/test_completion_SRCS := kernel/sched/completion.c kernel/sched/handover.c \
	tests/fakes/fake_clock.c

UNIT_TESTS += tests/kernel/test_num
tests/kernel/test_num_SRCS := kernel/lib/num.c

# Header-only: list.h and hash.h.
UNIT_TESTS += tests/kernel/test_list
tests/kernel/test_list_SRCS :=

# Every HTTP module that parses numbers links kernel/lib/num.c.
HTTP_STR := app/http_str.c kernel/lib/num.c
# Modules that format text are tested with the kernel's own vsnprintf,
# renamed so it cannot collide with the host libc's.
KERNEL_PRINTF := kernel/lib/vsnprintf.c
KERNEL_PRINTF_CFLAGS := -Dvsnprintf=k_vsnprintf -Dsnprintf=k_snprintf
UNIT_TESTS += tests/app/test_http_parser
tests/app/test_http_parser_SRCS := app/http_parser.c $(HTTP_STR) \
	tests/fakes/guard_page.c
tests/app/test_http_parser_CFLAGS := -Wl,--wrap=memchr

UNIT_TESTS += tests/app/test_http_path
tests/app/test_http_path_SRCS := app/http_path.c $(HTTP_STR) \
	tests/fakes/guard_page.c

UNIT_TESTS += tests/app/test_http_range
tests/app/test_http_range_SRCS := app/http_range.c $(HTTP_STR) \
	tests/fakes/guard_page.c $(KERNEL_PRINTF)
tests/app/test_http_range_CFLAGS := $(KERNEL_PRINTF_CFLAGS)

UNIT_TESTS += tests/app/test_http_cond
tests/app/test_http_cond_SRCS := app/http_cond.c kernel/lib/civil.c kernel/lib/strbuf.c $(HTTP_STR) \
	tests/fakes/guard_page.c $(KERNEL_PRINTF)
tests/app/test_http_cond_CFLAGS := $(KERNEL_PRINTF_CFLAGS)

UNIT_TESTS += tests/app/test_access_fmt
tests/app/test_access_fmt_SRCS := app/access_fmt.c kernel/lib/civil.c \
	net/ipcfg.c kernel/lib/num.c $(KERNEL_PRINTF)
tests/app/test_access_fmt_CFLAGS := $(KERNEL_PRINTF_CFLAGS)

UNIT_TESTS += tests/app/test_mime
tests/app/test_mime_SRCS := app/mime.c $(HTTP_STR) tests/fakes/guard_page.c

UNIT_TESTS += tests/app/test_http_response
tests/app/test_http_response_SRCS := app/http_response.c app/http_cond.c kernel/lib/civil.c \
	kernel/lib/strbuf.c \
	app/http_range.c $(HTTP_STR) $(KERNEL_PRINTF)
tests/app/test_http_response_CFLAGS := $(KERNEL_PRINTF_CFLAGS)

# The server state machine over fake connections and an in-memory volume.
# sendfile's range bookkeeping over real pool pages.
UNIT_TESTS += tests/app/test_sendfile
tests/app/test_sendfile_SRCS := app/sendfile.c kernel/io/iobuf.c kernel/io/sfbuf.c kernel/sched/handover.c \
	kernel/mm/heap.c kernel/lib/bitmap.c tests/fakes/fake_pmm.c \
	tests/fakes/fake_panic.c tests/fakes/fake_printk.c

# The server's tracing hooks with trace=off (tests/fakes/fake_trace.c).
TRACE_FAKE_SRCS := kernel/io/tracectx.c tests/fakes/fake_trace.c
TRACE_APP_SRCS := app/http_trace.c app/trace_json.c app/page_writer.c

UNIT_TESTS += tests/kernel/test_tracering
tests/kernel/test_tracering_SRCS := kernel/io/tracering.c tests/fakes/fake_panic.c tests/fakes/fake_printk.c

# trace.c with %gs pointed at a fake per-CPU area, and the /_trace JSON.
UNIT_TESTS += tests/kernel/test_trace
tests/kernel/test_trace_SRCS := kernel/io/trace.c kernel/io/tracering.c \
	kernel/io/tracectx.c kernel/io/causal.c app/trace_json.c app/page_writer.c \
	app/http_str.c kernel/mm/memplan.c \
	kernel/io/iobuf.c kernel/io/sfbuf.c kernel/sched/handover.c kernel/mm/heap.c kernel/lib/bitmap.c \
	kernel/core/cmdline.c kernel/lib/num.c kernel/lib/string.c \
	tests/fakes/fake_pmm.c \
	tests/fakes/fake_panic.c tests/fakes/fake_printk.c \
	tests/fakes/fake_clock.c

UNIT_TESTS += tests/kernel/test_tracectx
tests/kernel/test_tracectx_SRCS := kernel/io/tracectx.c

UNIT_TESTS += tests/app/test_server
tests/app/test_server_SRCS := tests/fakes/fake_access_log.c app/server.c app/respond.c app/profile_folded.c app/body_event.c \
	app/body_thread.c app/sendfile.c app/http_parser.c app/http_path.c \
	app/http_range.c app/http_cond.c app/http_response.c app/mime.c \
	kernel/lib/strbuf.c \
	$(HTTP_STR) kernel/lib/civil.c kernel/lib/errname.c kernel/sched/timer.c tests/fakes/fake_profile.c \
	kernel/io/iobuf.c kernel/io/sfbuf.c kernel/sched/handover.c kernel/mm/heap.c kernel/mm/memplan.c kernel/lib/bitmap.c kernel/io/ecem.c tests/fakes/fake_conn.c \
	tests/fakes/fake_fs.c tests/fakes/fake_pmm.c tests/fakes/fake_panic.c tests/fakes/fake_printk.c \
	kernel/sched/laio.c kernel/sched/thread.c kernel/cpu/switch.S kernel/lib/string.c \
	tests/fakes/fake_paging.c tests/fakes/fake_clock.c tests/fakes/fake_causal.c \
	$(TRACE_FAKE_SRCS) $(TRACE_APP_SRCS) app/prio.c app/http_prio.c \
	kernel/io/prio.c

UNIT_TESTS += tests/app/test_http_prio
tests/app/test_http_prio_SRCS := app/http_prio.c $(HTTP_STR) \
	tests/fakes/guard_page.c

UNIT_TESTS += tests/kernel/test_sfbuf
tests/kernel/test_sfbuf_SRCS := kernel/io/sfbuf.c kernel/sched/handover.c kernel/mm/heap.c tests/fakes/fake_pmm.c \
	tests/fakes/fake_panic.c tests/fakes/fake_printk.c

UNIT_TESTS += tests/kernel/test_ecem
tests/kernel/test_ecem_SRCS := kernel/io/ecem.c tests/fakes/fake_heap.c \
	tests/fakes/fake_panic.c tests/fakes/fake_printk.c

UNIT_TESTS += tests/kernel/test_laio
tests/kernel/test_laio_SRCS := kernel/sched/laio.c kernel/mm/memplan.c kernel/sched/thread.c kernel/cpu/switch.S \
	kernel/sched/timer.c tests/fakes/fake_profile.c kernel/lib/string.c tests/fakes/fake_heap.c tests/fakes/fake_pmm.c \
	tests/fakes/fake_paging.c tests/fakes/fake_panic.c tests/fakes/fake_printk.c \
	tests/fakes/fake_clock.c

# net/ against the real lwIP core, with the kernel's patches (compiled for
# the host with tests/net/lwip-host/lwipopts.h), the real virtio-net driver
# and connection layer, over a fake device and TCP peer
# (tests/net/fake_nic.c).
LWIP_HOST_SRCS := $(addprefix $(LWIPDIR)/, core/init.c core/def.c \
	core/inet_chksum.c core/ip.c core/mem.c core/memp.c core/netif.c \
	core/pbuf.c core/stats.c core/tcp.c core/tcp_in.c core/tcp_out.c \
	core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c \
	core/ipv4/ip4_addr.c core/ipv4/ip4_frag.c netif/ethernet.c)
$(LWIP_HOST_SRCS): | $(LWIP_PATCHED) ;
NET_HOST_SRCS := $(LWIP_HOST_SRCS) net/virtio_net.c net/vnet_csum.c \
	net/lwip-port/csum.c net/lwip-port/lwip_err.c net/lwip-port/tcp_room.c \
	net/lwip-port/pool_area.c \
	tests/net/conn_host.c tests/net/fake_nic.c tests/net/test_listener.c \
	kernel/virtio/virtq.c \
	kernel/io/ecem.c kernel/io/iobuf.c kernel/io/sfbuf.c kernel/sched/handover.c kernel/mm/heap.c kernel/mm/memplan.c \
	kernel/lib/bitmap.c tests/fakes/fake_pmm.c tests/fakes/fake_panic.c \
	tests/fakes/fake_printk.c tests/fakes/fake_clock.c $(TRACE_FAKE_SRCS) \
	kernel/io/prio.c
NET_HOST_CFLAGS := -Itests/net/lwip-host -I$(LWIPDIR)/include \
	-Wno-missing-field-initializers

# The TX-backlog rerun's order over a fake PCB list (no lwIP core).
UNIT_TESTS += tests/net/test_tcp_room
tests/net/test_tcp_room_SRCS := net/lwip-port/tcp_room.c kernel/io/prio.c
tests/net/test_tcp_room_CFLAGS := $(NET_HOST_CFLAGS)
$(BUILD)/tests/net/test_tcp_room: | $(LWIP_PATCHED)

UNIT_TESTS += tests/net/test_virtio_net
tests/net/test_virtio_net_SRCS := $(NET_HOST_SRCS)
tests/net/test_virtio_net_CFLAGS := $(NET_HOST_CFLAGS)

# The ACK path of net/conn.c with the real server: ECEM DNS splicing.
UNIT_TESTS += tests/net/test_conn
tests/net/test_conn_SRCS := $(NET_HOST_SRCS) tests/fakes/fake_access_log.c app/server.c app/respond.c app/profile_folded.c \
	app/body_event.c app/body_thread.c app/sendfile.c kernel/lib/strbuf.c \
	app/http_parser.c \
	app/http_path.c app/http_range.c app/http_cond.c app/http_response.c \
	app/mime.c $(HTTP_STR) kernel/lib/civil.c kernel/lib/errname.c \
	kernel/sched/timer.c tests/fakes/fake_profile.c kernel/sched/laio.c kernel/sched/thread.c \
	kernel/cpu/switch.S kernel/lib/string.c tests/fakes/fake_fs.c \
	tests/fakes/fake_paging.c tests/fakes/fake_causal.c $(TRACE_APP_SRCS) \
	app/prio.c app/http_prio.c
tests/net/test_conn_CFLAGS := $(NET_HOST_CFLAGS)
# tests/net/conn_host.c compiles net/conn.c by #include.
$(BUILD)/tests/net/test_virtio_net $(BUILD)/tests/net/test_conn: net/conn.c

# TSO against the real lwIP core (patches 0020-0022) and driver, with a
# fake device that offers VIRTIO_NET_F_HOST_TSO4.
UNIT_TESTS += tests/net/test_tso
tests/net/test_tso_SRCS := $(NET_HOST_SRCS)
tests/net/test_tso_CFLAGS := $(NET_HOST_CFLAGS)
$(BUILD)/tests/net/test_tso: net/conn.c
