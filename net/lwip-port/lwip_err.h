/* SPDX-License-Identifier: MIT */
/*
 * The one place where lwIP's err_t meets the kernel's negative errno
 * (STYLE.md Errors): code outside net/lwip-port converts at the boundary
 * with these two and never passes an err_t further up.
 */
#ifndef NET_LWIP_PORT_LWIP_ERR_H
#define NET_LWIP_PORT_LWIP_ERR_H

#include "lwip/err.h"

/* Negative errno for `err` (0 for ERR_OK). */
int lwip_err_to_errno(err_t err);

/* err_t for a negative (or positive) errno; ERR_VAL when none fits. */
err_t lwip_errno_to_err(int errno_val);

#endif
