// SPDX-License-Identifier: MIT
/*
 * /_stats: the server's counters (passed in) and those of every
 * subsystem beneath it as one JSON object (interface in stats.h). Each
 * section's counters come from the X-macro list declared with its
 * struct, by its owner (kernel/lib/statjson.h); only what is not a plain
 * counter (modes, the status and transition tables, the kernel's mix of
 * sources) is written by hand. New mechanisms add a section here.
 */
#include "app/stats.h"

#include <stdbool.h>

#include "app/access_log.h"
#include "app/server.h"
#include "fs/file.h"
#include "fs/pcache.h"
#include "kernel/arch/smp.h"
#include "kernel/arch/time.h"
#include "kernel/core/spinlock.h"
#include "kernel/io/ecem.h"
#include "kernel/io/iobuf.h"
#include "kernel/io/prio.h"
#include "kernel/io/sealguard.h"
#include "kernel/io/sfbuf.h"
#include "kernel/io/trace.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/stdio.h"
#include "kernel/mm/heap.h"
#include "kernel/sched/handover.h"
#include "kernel/sched/laio.h"
#include "kernel/sched/profile.h"
#include "kernel/sched/irq.h"
#include "kernel/sched/mainloop.h"
#include "kernel/sched/thread.h"
#include "net/conn.h"
#include "net/net.h"

/* part / whole in parts per million (0 when whole is 0). */
static uint64_t ppm(uint64_t part, uint64_t whole)
{
	if (!whole)
		return 0;
	if (part > UINT64_MAX / 1000000) /* keep the product in range */
		return part / (whole / 1000000 ? whole / 1000000 : 1);
	return part * 1000000 / whole;
}

static void http_section(struct json_out *j, const struct http_stats *s)
{
	json_open(j, "http");
	json_str(j, "thread_send", http_thread_send_name());
	STATS_JSON(j, HTTP_STATS, s);
	json_open(j, "status");
	for (int i = 0; i < HTTP_STATUS_OTHER; i++) {
		static const int codes[] = {
#define HTTP_STATUS_ENTRY(code) code,
			HTTP_STATUS_CODES(HTTP_STATUS_ENTRY)
#undef HTTP_STATUS_ENTRY
		};
		char name[4];

		if (!s->status[i])
			continue;
		snprintf(name, sizeof(name), "%d", codes[i]);
		json_u64(j, name, s->status[i]);
	}
	if (s->status[HTTP_STATUS_OTHER])
		json_u64(j, "other", s->status[HTTP_STATUS_OTHER]);
	json_close(j);
	json_close(j);
}

/* One object per network-stack instance (queue pair), named by its
 * number: what its queue carried and the connections it accepted. */
static void instance_section(struct json_out *j)
{
	struct net_instance_stats st;
	char name[12];

	json_open(j, "net_instances");
	json_u64(j, "count", net_instances());
	for (uint32_t i = 0; i < net_instances(); i++) {
		net_instance_stats(i, &st);
		snprintf(name, sizeof(name), "%u", i);
		STATS_JSON_OBJECT(j, name, NET_INSTANCE_STATS, &st);
	}
	json_close(j);
}

/* The sections that are counters only, straight from their lists. */
static void counter_sections(struct json_out *j)
{
	struct conn_stats cs;
	struct net_nic_counters nic;
	struct net_mem_counters mem;
	struct net_tcp_counters tcp;
	struct iobuf_stats io;
	struct pcache_stats pc;
	struct fs_stats fs;

	conn_get_stats(&cs);
	net_nic_counters(&nic);
	net_mem_counters(&mem);
	net_tcp_counters(&tcp);
	iobuf_get_stats(&io);
	pcache_get_stats(&pc);
	fs_get_stats(&fs);
	STATS_JSON_OBJECT(j, "conn", CONN_STATS, &cs);
	json_open(j, "nic");
	STATS_JSON(j, VNET_NIC_STATS, &nic);
	STATS_JSON(j, NET_OOSEQ_STATS, &nic);
	/* the mean frame: what segmentation offload would raise */
	json_u64(j, "tx_bytes_per_frame",
		 nic.tx_packets ? nic.tx_bytes / nic.tx_packets : 0);
	json_u64(j, "irqs", nic.irqs);
	json_str(j, "irq_mode", nic.irq_mode);
	json_close(j);
	STATS_JSON_OBJECT(j, "net", NET_TCP_STATS, &tcp);
	instance_section(j);
	STATS_JSON_OBJECT(j, "lwip_mem", NET_MEM_STATS, &mem);
	STATS_JSON_OBJECT(j, "iobuf", IOBUF_STATS, &io);
	json_open(j, "pcache");
	STATS_JSON(j, PCACHE_STATS, &pc);
	json_str(j, "policy", pcache_policy_name());
	json_u64(j, "hit_ratio_ppm", ppm(fs.read_hits, fs.reads));
	json_u64(j, "byte_hit_ratio_ppm",
		 ppm(pc.hit_bytes, pc.hit_bytes + pc.miss_bytes));
	json_close(j);
	json_open(j, "fs");
	json_str(j, "disk_state",
		 !fs_mounted()	? "none" :
		 fs.disk_failed ? "failed" :
				  "ok");
	STATS_JSON(j, FS_STATS, &fs);
	json_str(j, "disk_irq_mode", fs.disk_irq_mode);
	json_close(j);
}

/* The state-machine transitions that happened, as "from-to": count. */
static void ecem_transitions(struct json_out *j, const struct ecem_stats *e)
{
	json_open(j, "transitions");
	for (int from = 0; from < 4; from++) {
		for (int to = 0; to < 4; to++) {
			char name[8];

			if (!e->transitions[from][to])
				continue;
			snprintf(name, sizeof(name), "%s-%s",
				 ecem_state_name((enum ecem_state)from),
				 ecem_state_name((enum ecem_state)to));
			json_u64(j, name, e->transitions[from][to]);
		}
	}
	json_close(j);
}

/* The mapping cache's counters of each CPU online, as "per_cpu": {"N":
 * {...}} (the "cpus" section's numbering). */
static void sfbuf_cpu_sections(struct json_out *j)
{
	struct sfbuf_cpu_stats cs;

	json_open(j, "per_cpu");
	for (unsigned cpu = 0; sfbuf_get_cpu_stats(cpu, &cs); cpu++) {
		char name[8];

		snprintf(name, sizeof(name), "%u", cpu);
		STATS_JSON_OBJECT(j, name, SFBUF_CPU_STATS, &cs);
	}
	json_close(j);
}

static void trace_section(struct json_out *j)
{
	struct trace_stats t;
	char mode[32];

	trace_get_stats(&t);
	json_open(j, "trace");
	json_str(j, "mode", trace_mode_name(mode, sizeof(mode)));
	STATS_JSON(j, TRACE_STATS, &t);
	json_close(j);
}

static void mechanism_sections(struct json_out *j)
{
	static const char *const sfbuf_modes[] = { "sfbuf", "naive", "direct" };
	struct sfbuf_stats sf;
	struct net_csum_counters cs;
	struct ecem_stats e;
	struct laio_stats l;

	sfbuf_get_stats(&sf);
	json_open(j, "sfbuf");
	json_str(j, "mode", sfbuf_modes[sfbuf_mode()]);
	STATS_JSON(j, SFBUF_STATS, &sf);
	json_u64(j, "stale_write_faults", sealguard_stale_write_faults());
	sfbuf_cpu_sections(j);
	json_close(j);
	net_csum_counters(&cs);
	json_open(j, "csum");
	json_str(j, "mode", cs.mode);
	STATS_JSON(j, NET_CSUM_STATS, &cs);
	json_close(j);
	ecem_get_stats(&e);
	json_open(j, "ecem");
	json_str(j, "mode", ecem_mode_name(ecem_enabled()));
	STATS_JSON(j, ECEM_STATS, &e);
	ecem_transitions(j, &e);
	json_close(j);
	laio_get_stats(&l);
	json_open(j, "laio");
	json_str(j, "mode", laio_enabled() ? "on" : "off");
	STATS_JSON(j, LAIO_STATS, &l);
	json_close(j);
	trace_section(j);
}

/* prio= and the counters of each urgency class, as "u0".."u7". */
static void prio_section(struct json_out *j)
{
	struct prio_class_stats pc[PRIO_CLASSES];

	prio_get_stats(pc);
	json_open(j, "prio");
	json_str(j, "mode", prio_enforced() ? "on" : "off");
	for (unsigned int u = 0; u < PRIO_CLASSES; u++) {
		char name[4];

		snprintf(name, sizeof(name), "u%u", u);
		STATS_JSON_OBJECT(j, name, PRIO_CLASS_STATS, &pc[u]);
	}
	json_close(j);
}

static void access_log_section(struct json_out *j)
{
	struct alog_stats st;

	alog_get_stats(&st);
	json_open(j, "access_log");
	json_str(j, "mode", st.mode);
	STATS_JSON(j, ALOG_STATS, &st);
	json_close(j);
}

static void kernel_section(struct json_out *j)
{
	struct mainloop_stats ml;
	struct thread_stats th;
	struct heap_stats hp;
	struct irq_intx_stats ix;
	struct profile_stats pf;

	irq_get_intx_stats(&ix);
	mainloop_get_stats(&ml);
	thread_get_stats(&th);
	heap_get_stats(&hp);
	json_open(j, "kernel");
	json_u64(j, "uptime_us", time_us());
	json_u64(j, "loop_iterations", ml.iterations);
	json_u64(j, "loop_halts", ml.halts);
	json_u64(j, "context_switches", th.switches);
	json_u64(j, "threads_live", th.live);
	json_u64(j, "heap_bytes", hp.bytes_in_use);
	json_u64(j, "irq_spurious", irq_spurious_count());
	json_u64(j, "intx_lines", ix.lines);
	json_u64(j, "intx_unclaimed", ix.unclaimed);
	json_u64(j, "intx_storm_masked", ix.storm_masked);
	json_close(j);
	profile_get_stats(&pf);
	json_open(j, "profile");
	json_u64(j, "hz", profile_hz());
	STATS_JSON(j, PROFILE_STATS, &pf);
	json_close(j);
}

/* "lock_contention": {lock name: {"contended": acquisitions that found
 * it held, "wait_us": time they spun}}, for the ranks ever contended. */
static void lock_contention(struct json_out *j)
{
	const char *name;
	uint64_t n, cycles;

	json_open(j, "lock_contention");
	for (unsigned rank = 0; rank <= LOCK_RANK_MAX; rank++) {
		if (!spinlock_contention(rank, &name, &n, &cycles))
			continue;
		json_open(j, name);
		json_u64(j, "contended", n);
		json_u64(j, "wait_us", time_tsc_to_ns(cycles) / 1000);
		json_close(j);
	}
	json_close(j);
}

/* What CPU `cpu` served and handed to other CPUs. */
static void cpu_work(struct json_out *j, unsigned cpu)
{
	struct handover_stats ho;
	uint64_t requests, connections;

	http_get_cpu_counts(cpu, &requests, &connections);
	handover_get_cpu_stats(cpu, &ho);
	json_u64(j, "requests", requests);
	json_u64(j, "connections", connections);
	json_u64(j, "handovers_sent", ho.sent);
	json_u64(j, "handovers_run", ho.run);
	json_u64(j, "handover_kicks", ho.kicks);
}

/* The frames of the network instances CPU c polls (net.h). */
static void cpu_net(struct json_out *j, unsigned c)
{
	struct net_cpu_stats ns;

	net_cpu_stats(c, &ns);
	STATS_JSON(j, NET_CPU_STATS, &ns);
}

/* One member per online CPU, by index, and the lock checker's count. */
static void cpu_section(struct json_out *j)
{
	struct smp_cpu_stats st;
	char name[8];

	json_open(j, "cpus");
	json_u64(j, "online", cpu_count());
	json_u64(j, "lock_violations", spinlock_violations());
	lock_contention(j);
	for (unsigned c = 0; c < cpu_count(); c++) {
		smp_get_cpu_stats(c, &st);
		snprintf(name, sizeof(name), "%u", c);
		json_open(j, name);
		json_u64(j, "online", st.online);
		json_u64(j, "apic_id", st.apic_id);
		STATS_JSON(j, SMP_CPU_STATS, &st);
		cpu_work(j, c);
		cpu_net(j, c);
		json_close(j);
	}
	json_close(j);
}

/* The body of /_stats, with the server's counters `http`. */
int http_stats_json(char *buf, size_t size, const struct http_stats *http)
{
	struct json_out j;

	json_begin(&j, buf, size);
	http_section(&j, http);
	access_log_section(&j);
	counter_sections(&j);
	mechanism_sections(&j);
	prio_section(&j);
	kernel_section(&j);
	cpu_section(&j);
	return json_end(&j);
}
