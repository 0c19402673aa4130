/* SPDX-License-Identifier: MIT */
/*
 * The first stack instance's memp pool storage (lwIP patch 0040): bytes
 * from a static area sized for one instance's pools, or NULL once it is
 * used up (the caller then takes heap).
 */
#ifndef NET_LWIP_PORT_POOL_AREA_H
#define NET_LWIP_PORT_POOL_AREA_H

#include <stddef.h>

void *lwip_port_pool_area(size_t size);

/* Bytes of one instance's memp pools: what each instance after the first
 * takes from the heap when it starts. */
size_t lwip_port_pool_area_size(void);

#endif
