// SPDX-License-Identifier: MIT
/*
 * The NO_SYS port's platform hooks (lwIP doc/NO_SYS_SampleCode.c):
 * sys_now() in milliseconds from the TSC clock, SYS_ARCH_PROTECT as
 * irq_save/irq_restore (one CPU, so disabling interrupts is the whole
 * critical section), LWIP_RAND from a TSC-seeded xorshift generator, and
 * LWIP_PLATFORM_DIAG into the kernel log at debug level. lwIP and these
 * hooks run in the main loop only; nothing here is called from IRQ
 * context.
 */
#define PR_PREFIX "lwip: "
#include <stdarg.h>

#include "lwip/arch.h"
#include "lwip/sys.h"

#include "kernel/arch/time.h"
#include "kernel/core/printk.h"
#include "kernel/cpu/cpu.h"
#include "kernel/lib/stdio.h"
#include "kernel/param.h"

static uint64_t rand_state; /* [m] 0 until first use */

/* Milliseconds since boot; lwIP's timers compare these modulo 2^32. */
u32_t sys_now(void)
{
	return (u32_t)(time_ns() / NSEC_PER_MSEC);
}

/* Enter a critical section: interrupts off, old state returned. */
sys_prot_t sys_arch_protect(void)
{
	return irq_save();
}

/* Leave the critical section entered by the sys_arch_protect() that
 * returned `pval`. */
void sys_arch_unprotect(sys_prot_t pval)
{
	irq_restore(pval);
}

/*
 * Next value of a 64-bit xorshift generator (Marsaglia), seeded from the
 * TSC at first use so ports, TCP initial sequence numbers and DHCP
 * transaction IDs differ between boots. Not cryptographic.
 */
uint32_t lwip_port_rand(void)
{
	uint64_t x = rand_state;

	if (!x)
		x = rdtsc() | 1; /* any nonzero seed */
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rand_state = x;
	return (uint32_t)(x >> 32);
}

/* LWIP_PLATFORM_DIAG: one lwIP diagnostic into the log at debug level.
 * lwIP ends its messages with a newline; the log adds its own. */
void lwip_port_diag(const char *fmt, ...)
{
	char line[PRINTK_LINE_MAX];
	va_list ap;
	int n;

	if (!printk_enabled(LOG_DEBUG))
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(line) && line[n - 1] == '\n')
		line[n - 1] = '\0';
	printk(LOG_DEBUG, PR_PREFIX "%s", line);
}
