// SPDX-License-Identifier: MIT
/*
 * ip= and gw= parsing (interface and rules in ipcfg.h). Every parser
 * reads its NUL-terminated input once, left to right, and writes its
 * result only when the whole string was valid.
 */
#include "net/ipcfg.h"

#include "kernel/lib/errno.h"
#include "kernel/lib/num.h"
#include "kernel/lib/stdio.h"
#include "kernel/lib/string.h"

#define OCTETS 4
#define OCTET_MAX 255
#define OCTET_DIGITS_MAX 3
#define PREFIX_MAX 32
#define PREFIX_DIGITS_MAX 2
#define LOOPBACK_NET 0x7f000000u /* 127.0.0.0/8 */
#define CLASS_A_MASK 0xff000000u
#define MULTICAST_NET 0xe0000000u /* 224.0.0.0/4 and above */

/* Decimal number of 1..max_digits digits, at most max, at *sp; advances
 * *sp past it. */
static int parse_dec(const char **sp, unsigned int max_digits, uint32_t max,
		     uint32_t *out)
{
	const char *stop;
	uint64_t v;

	if (num_parse_u64(*sp, NULL, 10, max, &v, &stop) ||
	    stop - *sp > max_digits)
		return -EINVAL;
	*sp = stop;
	*out = (uint32_t)v;
	return 0;
}

/* Dotted quad at *sp, advancing *sp past it. */
static int parse_quad(const char **sp, uint32_t *out)
{
	const char *s = *sp;
	uint32_t addr = 0, octet;

	for (int i = 0; i < OCTETS; i++) {
		if (i && *s++ != '.')
			return -EINVAL;
		if (parse_dec(&s, OCTET_DIGITS_MAX, OCTET_MAX, &octet))
			return -EINVAL;
		addr = addr << 8 | octet;
	}
	*sp = s;
	*out = addr;
	return 0;
}

/* A unicast address a host may own: not 0, loopback or multicast and
 * above (broadcast included). */
static bool is_host_addr(uint32_t addr)
{
	return addr != 0 && (addr & CLASS_A_MASK) != LOOPBACK_NET &&
	       addr < MULTICAST_NET;
}

int ipcfg_parse_addr(const char *s, uint32_t *out)
{
	uint32_t addr;

	if (parse_quad(&s, &addr) || *s)
		return -EINVAL;
	*out = addr;
	return 0;
}

uint32_t ipcfg_netmask(uint8_t prefix)
{
	if (prefix == 0)
		return 0;
	if (prefix >= PREFIX_MAX)
		return 0xffffffffu;
	return ~0u << (PREFIX_MAX - prefix);
}

int ipcfg_parse_ip(const char *s, struct ipcfg *cfg)
{
	uint32_t addr, prefix = IPCFG_DEFAULT_PREFIX, host_mask;

	if (!strcmp(s, "dhcp")) {
		cfg->dhcp = true;
		return 0;
	}
	if (parse_quad(&s, &addr))
		return -EINVAL;
	if (*s == '/') {
		s++;
		if (parse_dec(&s, PREFIX_DIGITS_MAX, PREFIX_MAX, &prefix) ||
		    prefix < 1)
			return -EINVAL;
	}
	if (*s || !is_host_addr(addr))
		return -EINVAL;
	/* On subnets with a network and broadcast address (/30 and
	 * wider), neither is a host. */
	host_mask = ~ipcfg_netmask((uint8_t)prefix);
	if (prefix <= PREFIX_MAX - 2 &&
	    ((addr & host_mask) == 0 || (addr & host_mask) == host_mask))
		return -EINVAL;
	cfg->dhcp = false;
	cfg->addr = addr;
	cfg->prefix = (uint8_t)prefix;
	return 0;
}

int ipcfg_parse_gw(const char *s, struct ipcfg *cfg)
{
	uint32_t addr;

	if (ipcfg_parse_addr(s, &addr) || !is_host_addr(addr))
		return -EINVAL;
	cfg->gw = addr;
	return 0;
}

char *ipcfg_format_addr(uint32_t addr, char *buf, size_t size)
{
	snprintf(buf, size, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff,
		 (addr >> 8) & 0xff, addr & 0xff);
	return buf;
}
