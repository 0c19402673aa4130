/* SPDX-License-Identifier: MIT */
/*
 * Every compile-time limit of the kernel in one place (xv6 param.h).
 * Boot-time switches live with their modules as KPARAMs; the numbers here
 * size static tables and bound loops.
 */
#ifndef KERNEL_PARAM_H
#define KERNEL_PARAM_H

#define KERNEL_NAME "petrel"
#define KERNEL_VERSION "0.1.0"

/* console and command line */
#define PRINTK_LINE_MAX 512 /* bytes of one log line */
#define CMDLINE_MAX 1024 /* bytes of the boot command line */
#define CMDLINE_WORD_MAX 256 /* bytes of one key=value word */

/* memory */
#define PAGE_SIZE 4096
#define PAGE_SHIFT 12
#define HUGE_PAGE_SIZE (2u << 20)
#define MEMMAP_MAX 64 /* regions kept from the boot memory map */
#define SFBUF_EXTRA_SLOTS 4096 /* mappings beyond one per pool page */
/*
 * The default sf_buf mapping window: 16 MiB of kernel address space, the
 * share a 32-bit kernel can spare (FreeBSD/i386 sizes nsfbufs at 512 +
 * 16 x maxusers, 6,656 buffers or 26 MiB at maxusers 384; Linux/i386 has
 * 4 MiB of kmap slots). Smaller than the pool from -m 64M up, so mappings
 * are recycled as the papers assume; a smaller pool is mapped whole.
 */
#define SFBUF_WINDOW_SLOTS 4096
#define SFBUF_SHORT_RESERVE 16 /* slots only copy-length mappings take */
#define SFBUF_RX_RESERVE 16 /* more per RX ring that only its refills take */
/* kernel/mm/memplan: what the plan gives a large machine, and the least
 * free memory (after the kernel image) it can run in at all. */
#define MEM_MIN_MIB 5 /* the smallest -m that serves (make bench checks) */
#define MEMPLAN_FLOOR_PAGES \
	448 /* 1.75 MiB: a 5 MiB guest has ~2.5, 4 MiB ~1.5 */
#define LWIP_MEM_MAX (2u << 20) /* bytes of lwIP's heap, at most */
#define LWIP_MEM_MIN (128u << 10) /* ... and at least */
#define CONN_MAX_DEFAULT 1024 /* connections, when memory allows */
#define CONN_MAX_MIN 16
#define ECEM_HASH_BUCKETS 256 /* event-pair table, per key kind */
#define LAIO_WORKERS_MAX 64 /* spare stacks: continuations at once */

/* interrupts, time, threads (kernel/arch/acpi, irq, timer, thread, mainloop) */
#define ACPI_IOAPIC_MAX 4 /* IOAPICs kept from the MADT */
#define ACPI_ISO_MAX 16 /* interrupt source overrides kept */
#define ACPI_SDT_MAX 64 /* RSDT/XSDT entries examined */
#define ACPI_TABLE_MAX (1u << 20) /* bytes: larger tables are rejected */
#define IRQ_VECTOR_FIRST 48 /* device vectors: FIRST..LAST */
#define IRQ_VECTOR_LAST 239
#define IRQ_NAME_MAX 16 /* bytes of a vector's name */
#define IRQ_SHARED_LINES_MAX 8 /* PCI INTx GSIs in use at once */
#define IRQ_SHARED_HANDLERS_MAX 8 /* handlers on one shared line */
#define IRQ_UNCLAIMED_MAX 10000 /* unclaimed in a row: mask the line */
#define THREAD_NAME_MAX 16 /* bytes of a thread's name */
#define THREAD_STACK_PAGES 4 /* 16 KiB per kernel thread stack */
#define MAINLOOP_POLLERS_MAX 16 /* mainloop_add_poller() slots */
#define MAINLOOP_PASS_ENDS_MAX 4 /* mainloop_add_pass_end_on() slots */

/* pci and virtio */
#define PCI_DEV_MAX 64 /* functions kept by the PCI scan */
/* virtqueues per virtio device we set up: virtio-net's pairs and its
 * control queue, which sits after the device's last pair */
#define VPCI_QUEUES_MAX 17
#define VPCI_RESET_POLLS 100000 /* status reads before a reset times out */
#define VIRTQ_SIZE_MAX 1024 /* descriptors per ring we allocate */

/* network (net/virtio_net, net/net) */
#define VNET_QUEUE_SIZE 256 /* RX and TX ring entries (QEMU's default max) */
#define VNET_RX_BUFS_MAX 1024 /* RX pages in the ring or held by lwIP */
#define VNET_RX_BUDGET 64 /* frames handed to lwIP per poll */
/* virtio-net queue pairs the driver sets up; the device's maximum must
 * also leave its control queue (index 2 * max) under VPCI_QUEUES_MAX */
#define VNET_PAIRS_MAX 8
#define VNET_RX_RING_MIN 32 /* RX pages kept posted per pair, at least */
/* RX pages a pair keeps for reuse when their last buffer is released,
 * instead of freeing them to the shared pool and allocating again */
#define VNET_RX_STASH 16
/* Descriptors per frame (a TSO frame: 16-17 pages, lwIP's header and the
 * virtio header); longer chains are copied. */
#define VNET_TX_SEGS_MAX 20
#define VNET_TX_KICK_BYTES \
	(128u << 10) /* posted bytes that ring the TX doorbell early */
#define VNET_TX_BACKLOG 256 /* frames queued while the TX ring is full */
#define VNET_TX_CTRL_RESERVE 64 /* more backlog slots for frames ... */
#define VNET_TX_CTRL_FRAME_MAX 128 /* ... this small: SYN-ACK, ACK, FIN */
#define VNET_TX_RERUN_AT (VNET_TX_BACKLOG / 2) /* refused TCP output reruns */

/* connections (net/conn) */
#define CONN_SEND_LOWAT (64u << 10) /* writable() below this many bytes */
#define CONN_INFLIGHT_INITIAL 32 /* pieces tracked per connection at first */
#define CONN_ACK_WATCHES 4 /* traced responses awaiting their last ACK */
#define CONN_POLL_INTERVAL 10 /* lwIP slow ticks (0.1 s, lwipopts.h): 1 s */
#define CONN_HELD_PBUFS_MAX 16 /* received segments kept for a paused reader */
#define CONN_PEER_URGENCY_SLOTS 256 /* client addresses whose urgency is kept */
/* Longest a connection waits for room held by finishing connections
 * (accept_later): past a client's first SYN retransmission (1 s), a
 * reset serves it no worse. */
#define CONN_ACCEPT_ROOM_WAIT_MS 1000

/* storage (fs/virtio_blk, fs/file) */
#define VBLK_SEGMENTS_MAX 128 /* data segments in one request (512 KiB) */
#define VBLK_STALL_MS 20 /* no completion this long: notify again */
#define VNET_STALL_MS 20 /* same for the virtio-net queues */
#define VBLK_BOUNCE_MAX (64u << 10) /* bytes of one unaligned sync read */

/* ext2 reader (fs/ext2.c) */
#define EXT2_CACHE_BLOCKS 64 /* metadata blocks cached per volume (LRU) */
#define EXT2_PATH_MAX 4096 /* bytes of a path, NUL included */
#define EXT2_SYMLINK_FOLLOW_MAX 8 /* symlinks followed per lookup */
#define EXT2_DIR_SIZE_MAX (64u << 20) /* larger directories are refused */

/* Causeway tracing (kernel/io/trace.c, app/trace_json.c) */
#define TRACE_RING_EVENTS 2048 /* spans kept per CPU, newest overwrite */
#define TRACE_RING_REQUESTS 512 /* request records (names, ids) per CPU */
#define TRACE_MEM_SHARE 512 /* rings of all CPUs: at most 1/512 of RAM */
#define TRACE_RING_MIN 64 /* spans per CPU, else no tracing at all */
#define TRACE_NAME_MAX 64 /* bytes of "<METHOD> <path>", NUL included */
#define TRACE_JSON_PAGES_MAX 512 /* pool pages one GET /_trace may use */
#define PROFILE_TEXT_PAGES_MAX 512 /* pool pages one GET /_profile may use */

/* multiprocessor (kernel/arch/smp, kernel/core/spinlock) */
#define CPU_MAX 64 /* CPUs brought up, at most: one bit each in cpumask_t */
#define AP_STACK_PAGES 4 /* 16 KiB boot/idle stack of each AP */
#define SMP_ACK_TIMEOUT_MS 2000 /* an IPI not acknowledged by then: panic */
#define SMP_AP_START_MS 1000 /* an AP not online by then is given up */
#define LOCKCHECK_HELD_MAX 8 /* spinlocks one CPU holds at once (lockcheck) */

/* debugging */
#define BACKTRACE_MAX 32 /* frames printed by a backtrace */

/* traps */
#define TRAP_IST_STACK_SIZE 16384 /* bytes of each #DF / NMI / #MC stack */

#endif
