// SPDX-License-Identifier: MIT
/*
 * err_t <-> errno conversion (interface in lwip_err.h). One table, read
 * in both directions; the first row for an errno wins on the way back.
 */
#include "net/lwip-port/lwip_err.h"

#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"

static const struct {
	err_t err;
	int errno_val; /* positive */
} map[] = {
	{ ERR_MEM, ENOMEM },
	{ ERR_BUF, ENOBUFS },
	{ ERR_TIMEOUT, ETIMEDOUT },
	{ ERR_RTE, EHOSTUNREACH },
	{ ERR_INPROGRESS, EINPROGRESS },
	{ ERR_VAL, EINVAL },
	{ ERR_WOULDBLOCK, EAGAIN },
	{ ERR_USE, EADDRINUSE },
	{ ERR_ALREADY, EALREADY },
	{ ERR_ISCONN, EISCONN },
	{ ERR_CONN, ENOTCONN },
	{ ERR_IF, ENETDOWN },
	{ ERR_ABRT, ECONNABORTED },
	{ ERR_RST, ECONNRESET },
	{ ERR_CLSD, ENOTCONN },
	{ ERR_ARG, EINVAL },
};

int lwip_err_to_errno(err_t err)
{
	if (err == ERR_OK)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (map[i].err == err)
			return -map[i].errno_val;
	return -EIO;
}

err_t lwip_errno_to_err(int errno_val)
{
	if (errno_val < 0)
		errno_val = -errno_val;
	if (errno_val == 0)
		return ERR_OK;
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (map[i].errno_val == errno_val)
			return map[i].err;
	return ERR_VAL;
}
