// SPDX-License-Identifier: MIT
/* Host printk: capture into a buffer (see fake_printk.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kernel/core/printk.h"
#include "tests/fakes/fake_printk.h"

static char log_buf[1 << 16];
static size_t log_len;

void printk(int level, const char *fmt, ...)
{
	va_list ap;
	int n;

	(void)level;
	va_start(ap, fmt);
	n = vsnprintf(log_buf + log_len, sizeof(log_buf) - log_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		log_len += (size_t)n;
	if (log_len >= sizeof(log_buf) - 2)
		log_len = sizeof(log_buf) - 2;
	if (log_len && log_buf[log_len - 1] != '\n')
		log_buf[log_len++] = '\n';
	log_buf[log_len] = '\0';
}

int printk_enabled(int level)
{
	(void)level;
	return 1;
}

const char *fake_printk_log(void)
{
	return log_buf;
}

void fake_printk_reset(void)
{
	log_len = 0;
	log_buf[0] = '\0';
}
