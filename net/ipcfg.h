/* SPDX-License-Identifier: MIT */
/*
 * Boot-time IPv4 addressing: the values of `ip=` and `gw=`.
 *
 *   ip=dhcp               lease an address with DHCP (the default)
 *   ip=A.B.C.D/N          static address, prefix length 1..32
 *   ip=A.B.C.D            static address, prefix /24
 *   gw=A.B.C.D            default gateway (static only; none if unset)
 *
 * Pure string parsing, no lwIP and no state, so the host unit test
 * (tests/net/test_ipcfg.c) runs it unchanged. Addresses are kept in host
 * byte order; net/net.c converts them for lwIP.
 */
#ifndef NET_IPCFG_H
#define NET_IPCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPCFG_DEFAULT_PREFIX 24 /* ip= without /N */
#define IPCFG_STR_MAX 19 /* "255.255.255.255/32" + NUL */

struct ipcfg {
	bool dhcp; /* true: addr/prefix/gw unused */
	uint32_t addr; /* host byte order */
	uint8_t prefix; /* 1..32 */
	uint32_t gw; /* 0: no gateway */
};

/* Parse a dotted quad ("10.0.2.15") into host order. 0 or -EINVAL
 * (anything but four decimal octets 0..255 without leading junk). */
int ipcfg_parse_addr(const char *s, uint32_t *out);

/* Parse an ip= value into cfg (dhcp, or address and prefix; gw kept).
 * 0 or -EINVAL with cfg unchanged. Network, broadcast and multicast
 * addresses are refused. */
int ipcfg_parse_ip(const char *s, struct ipcfg *cfg);

/* Parse a gw= value into cfg->gw. 0 or -EINVAL with cfg unchanged. */
int ipcfg_parse_gw(const char *s, struct ipcfg *cfg);

/* Netmask in host order for a prefix length 0..32. */
uint32_t ipcfg_netmask(uint8_t prefix);

/* "a.b.c.d" of a host-order address into buf; returns buf. */
char *ipcfg_format_addr(uint32_t addr, char *buf, size_t size);

#endif
