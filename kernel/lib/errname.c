// SPDX-License-Identifier: MIT
/* errname: the symbolic name ("ENOENT") of a positive or negative errno. */
#include "kernel/lib/errno.h"

#include "kernel/lib/compiler.h"

static const char *const names[] = {
	[EPERM] = "EPERM",
	[ENOENT] = "ENOENT",
	[EIO] = "EIO",
	[E2BIG] = "E2BIG",
	[EBADF] = "EBADF",
	[EAGAIN] = "EAGAIN",
	[ENOMEM] = "ENOMEM",
	[EFAULT] = "EFAULT",
	[EBUSY] = "EBUSY",
	[EEXIST] = "EEXIST",
	[ENODEV] = "ENODEV",
	[ENOTDIR] = "ENOTDIR",
	[EISDIR] = "EISDIR",
	[EINVAL] = "EINVAL",
	[ENFILE] = "ENFILE",
	[EFBIG] = "EFBIG",
	[ENOSPC] = "ENOSPC",
	[ERANGE] = "ERANGE",
	[ENAMETOOLONG] = "ENAMETOOLONG",
	[ENOSYS] = "ENOSYS",
	[ELOOP] = "ELOOP",
	[ENODATA] = "ENODATA",
	[EOVERFLOW] = "EOVERFLOW",
	[EPROTO] = "EPROTO",
	[EMSGSIZE] = "EMSGSIZE",
	[EOPNOTSUPP] = "EOPNOTSUPP",
	[EADDRINUSE] = "EADDRINUSE",
	[ENETDOWN] = "ENETDOWN",
	[ECONNABORTED] = "ECONNABORTED",
	[ECONNRESET] = "ECONNRESET",
	[ENOBUFS] = "ENOBUFS",
	[EISCONN] = "EISCONN",
	[ENOTCONN] = "ENOTCONN",
	[ETIMEDOUT] = "ETIMEDOUT",
	[ECONNREFUSED] = "ECONNREFUSED",
	[EHOSTUNREACH] = "EHOSTUNREACH",
	[EALREADY] = "EALREADY",
	[EINPROGRESS] = "EINPROGRESS",
	[EUCLEAN] = "EUCLEAN",
};

const char *errname(int err)
{
	if (err < 0)
		err = -err;
	if (err == 0)
		return "OK";
	if ((unsigned)err < ARRAY_SIZE(names) && names[err])
		return names[err];
	return "E?";
}
