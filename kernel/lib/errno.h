/* SPDX-License-Identifier: MIT */
/*
 * Error numbers. Kernel functions return 0 or a negative errno; the values
 * match Linux's so traces read the same. errname() gives the name ("ENOENT").
 */
#ifndef KERNEL_LIB_ERRNO_H
#define KERNEL_LIB_ERRNO_H

#define EPERM 1
#define ENOENT 2
#define EIO 5
#define E2BIG 7
#define EBADF 9
#define EAGAIN 11
#define ENOMEM 12
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define ENODEV 19
#define ENOTDIR 20
#define EISDIR 21
#define EINVAL 22
#define ENFILE 23
#define EFBIG 27
#define ENOSPC 28
#define ERANGE 34
#define ENAMETOOLONG 36
#define ENOSYS 38
#define ELOOP 40
#define ENODATA 61
#define EOVERFLOW 75
#define EPROTO 71
#define EMSGSIZE 90
#define EOPNOTSUPP 95
#define EADDRINUSE 98
#define ENETDOWN 100
#define ECONNABORTED 103
#define ECONNRESET 104
#define ENOBUFS 105
#define EISCONN 106
#define ENOTCONN 107
#define ETIMEDOUT 110
#define ECONNREFUSED 111
#define EHOSTUNREACH 113
#define EALREADY 114
#define EINPROGRESS 115
#define EUCLEAN 117

const char *errname(int err);

#endif
