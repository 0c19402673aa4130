// SPDX-License-Identifier: MIT
/* Host clock, LAPIC timer, IRQ vectors and pollers (see fake_clock.h). */
#include "kernel/arch/lapic.h"
#include "kernel/arch/time.h"
#include "kernel/sched/irq.h"
#include "kernel/sched/mainloop.h"
#include "tests/fakes/fake_clock.h"

uint64_t fake_clock_ns;

uint64_t time_ns(void)
{
	return fake_clock_ns;
}

uint64_t time_us(void)
{
	return fake_clock_ns / 1000;
}

uint64_t time_ns_to_tsc(uint64_t ns)
{
	return ns;
}

void lapic_timer_arm_tsc(uint64_t deadline)
{
	(void)deadline;
}

void lapic_timer_stop(void)
{
}

int lapic_timer_init(uint8_t vector)
{
	(void)vector;
	return 0;
}

void lapic_timer_init_ap(uint8_t vector)
{
	(void)vector;
}

int irq_alloc_vector(irq_handler_fn fn, void *arg, const char *name)
{
	(void)fn;
	(void)arg;
	(void)name;
	return 48;
}

void irq_free_vector(int vector)
{
	(void)vector;
}

/* Pollers are the test's to call. */
int mainloop_add_poller(mainloop_poll_fn fn, void *arg)
{
	(void)fn;
	(void)arg;
	return 0;
}

int mainloop_add_poller_all(mainloop_poll_fn fn, void *arg)
{
	return mainloop_add_poller(fn, arg);
}
