// SPDX-License-Identifier: MIT
/* Guard-page buffers (interface in guard_page.h). */
#include "tests/fakes/guard_page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static char *region; /* GUARD_MAX usable bytes, then one PROT_NONE page */

const char *guard_copy(const void *src, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	if (!region) {
		region = mmap(NULL, GUARD_MAX + page, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (region == MAP_FAILED ||
		    mprotect(region + GUARD_MAX, page, PROT_NONE)) {
			perror("guard_copy");
			abort();
		}
	}
	if (len > GUARD_MAX)
		abort();
	memcpy(region + GUARD_MAX - len, src, len);
	return region + GUARD_MAX - len;
}
