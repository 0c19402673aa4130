// SPDX-License-Identifier: MIT
/* The host tests run on one CPU (kernel/arch/smp.h). */
#include "kernel/arch/smp.h"

unsigned cpu_count(void)
{
	return 1;
}
