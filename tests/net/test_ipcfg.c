// SPDX-License-Identifier: MIT
/* Unit tests for net/ipcfg.c: the ip= and gw= boot option values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/errno.h"
#include "net/ipcfg.h"

#define SENTINEL_ADDR 0x01020304u

static struct ipcfg sentinel(void)
{
	struct ipcfg c = { .dhcp = false,
			   .addr = SENTINEL_ADDR,
			   .prefix = 7,
			   .gw = SENTINEL_ADDR };
	return c;
}

static void static_with_prefix(void **state)
{
	struct ipcfg c = { .dhcp = true };

	(void)state;
	assert_int_equal(ipcfg_parse_ip("10.77.0.2/24", &c), 0);
	assert_false(c.dhcp);
	assert_int_equal(c.addr, 0x0a4d0002);
	assert_int_equal(c.prefix, 24);
	assert_int_equal(ipcfg_parse_ip("192.168.1.201/30", &c), 0);
	assert_int_equal(c.prefix, 30);
	assert_int_equal(ipcfg_parse_ip("10.0.0.0/31", &c), 0); /* RFC 3021 */
	assert_int_equal(ipcfg_parse_ip("10.0.0.1/32", &c), 0);
	assert_int_equal(ipcfg_parse_ip("1.2.3.4/1", &c), 0);
}

static void static_default_prefix_and_dhcp(void **state)
{
	struct ipcfg c = sentinel();

	(void)state;
	assert_int_equal(ipcfg_parse_ip("10.0.2.15", &c), 0);
	assert_int_equal(c.prefix, IPCFG_DEFAULT_PREFIX);
	assert_int_equal(c.gw, SENTINEL_ADDR); /* ip= leaves gw alone */
	assert_int_equal(ipcfg_parse_ip("dhcp", &c), 0);
	assert_true(c.dhcp);
}

static void bad_ip_values_leave_cfg_unchanged(void **state)
{
	static const char *const bad[] = {
		"",
		"dhcp ",
		"DHCP",
		"10.77.0",
		"10.77.0.2.",
		"10.77.0.2.1",
		"10.77.0.256/24",
		"10.77.0.300",
		"10.77.0.2/",
		"10.77.0.2/0",
		"10.77.0.2/33",
		"10.77.0.2/024",
		"10.77.0.2/2x",
		"10.77..2",
		".10.77.0.2",
		"10.77.0.2 ",
		" 10.77.0.2",
		"10.77.0.-2",
		"+10.77.0.2",
		"0010.77.0.2",
		"0.0.0.0",
		"127.0.0.1/8",
		"224.0.0.1",
		"255.255.255.255",
		"10.77.0.0/24",
		"10.77.0.255/24",
		"10.77.0.3/30",
		"4294967298.0.0.1",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ipcfg c = sentinel(), want = sentinel();

		if (ipcfg_parse_ip(bad[i], &c) != -EINVAL)
			fail_msg("ip=%s accepted", bad[i]);
		assert_memory_equal(&c, &want, sizeof(c));
	}
}

static void gateway(void **state)
{
	struct ipcfg c = sentinel(), want;
	static const char *const bad[] = {
		"",	     "dhcp",	     "10.77.0",
		"0.0.0.0",   "10.77.0.1/24", "224.1.1.1",
		"127.0.0.1", "10.77.0.1x"
	};

	(void)state;
	assert_int_equal(ipcfg_parse_gw("10.77.0.1", &c), 0);
	assert_int_equal(c.gw, 0x0a4d0001);
	assert_int_equal(c.addr, SENTINEL_ADDR);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		want = c;
		if (ipcfg_parse_gw(bad[i], &c) != -EINVAL)
			fail_msg("gw=%s accepted", bad[i]);
		assert_memory_equal(&c, &want, sizeof(c));
	}
}

static void addr_and_netmask_helpers(void **state)
{
	char buf[IPCFG_STR_MAX];
	uint32_t a = 0;

	(void)state;
	assert_int_equal(ipcfg_parse_addr("255.255.255.255", &a), 0);
	assert_int_equal(a, 0xffffffffu);
	assert_string_equal(ipcfg_format_addr(0x0a00020f, buf, sizeof(buf)),
			    "10.0.2.15");
	assert_string_equal(ipcfg_format_addr(0xffffffffu, buf, sizeof(buf)),
			    "255.255.255.255");
	assert_int_equal(ipcfg_netmask(0), 0);
	assert_int_equal(ipcfg_netmask(1), 0x80000000u);
	assert_int_equal(ipcfg_netmask(24), 0xffffff00u);
	assert_int_equal(ipcfg_netmask(32), 0xffffffffu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(static_with_prefix),
		cmocka_unit_test(static_default_prefix_and_dhcp),
		cmocka_unit_test(bad_ip_values_leave_cfg_unchanged),
		cmocka_unit_test(gateway),
		cmocka_unit_test(addr_and_netmask_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
