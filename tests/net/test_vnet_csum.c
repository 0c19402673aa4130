// SPDX-License-Identifier: MIT
/*
 * Unit tests for net/vnet_csum.c. The frames below were built and
 * checksummed independently (RFC 1071 in a few lines of Python with the
 * struct module): a TCP SYN with an odd-length payload and 3 bytes of
 * Ethernet padding, and a UDP datagram. Every truncation of each frame is
 * parsed from an exact-size heap copy so ASan catches any overread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/errno.h"
#include "net/vnet_csum.h"

static const uint8_t tcp_frame[] = {
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x02, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x08, 0x00, 0x45, 0x00, 0x00, 0x3b, 0x12, 0x34, 0x00, 0x00,
	0x40, 0x06, 0x53, 0xed, 0x0a, 0x4d, 0x00, 0x01, 0x0a, 0x4d, 0x00,
	0x02, 0x9c, 0x40, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x50, 0x02, 0xfa, 0xf0, 0x04, 0x10, 0x00, 0x00, 0x47,
	0x45, 0x54, 0x20, 0x2f, 0x20, 0x48, 0x54, 0x54, 0x50, 0x2f, 0x31,
	0x2e, 0x31, 0x0d, 0x0a, 0x0d, 0x0a, 0x21, 0x00, 0x00, 0x00,
};

static const uint8_t udp_frame[] = {
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x21, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11,
	0x53, 0xfc, 0x0a, 0x4d, 0x00, 0x01, 0x0a, 0x4d, 0x00, 0x02, 0x00, 0x44,
	0x00, 0x43, 0x00, 0x0d, 0xa6, 0xde, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
};

#define TCP_CSUM 0x0410
#define UDP_CSUM 0xa6de
#define L4_START (ETH_HLEN + 20)
#define TCP_IP_END (ETH_HLEN + 0x3b) /* IPv4 total length 0x3b */

static uint8_t *copy(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	assert_non_null(p);
	memcpy(p, src, len);
	return p;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void parse_tcp(void **state)
{
	struct vnet_l4_info l4;

	(void)state;
	assert_int_equal(vnet_l4_parse(tcp_frame, sizeof(tcp_frame),
				       sizeof(tcp_frame), &l4),
			 0);
	assert_int_equal(l4.csum_start, L4_START);
	assert_int_equal(l4.csum_offset, TCP_CSUM_OFF);
	assert_int_equal(l4.proto, IP_PROTO_TCP);
	/* from the IP length, not the padded frame length */
	assert_int_equal(l4.l4_len, TCP_IP_END - L4_START);
	assert_int_equal(l4.src, 0x0a4d0001);
	assert_int_equal(l4.dst, 0x0a4d0002);
}

static void valid_frames_verify(void **state)
{
	(void)state;
	assert_true(vnet_l4_csum_ok(tcp_frame, sizeof(tcp_frame)));
	assert_true(vnet_l4_csum_ok(udp_frame, sizeof(udp_frame)));
}

/* Any flipped bit in the L4 part or the addresses breaks the sum; the
 * Ethernet padding after the IP datagram is not covered. */
static void corrupted_frames_fail(void **state)
{
	uint8_t *f = copy(tcp_frame, sizeof(tcp_frame));

	(void)state;
	for (size_t i = ETH_HLEN + 12; i < TCP_IP_END; i++) {
		f[i] ^= 0x04;
		assert_false(vnet_l4_csum_ok(f, sizeof(tcp_frame)));
		f[i] ^= 0x04;
	}
	f[sizeof(tcp_frame) - 1] ^= 0xff; /* padding */
	assert_true(vnet_l4_csum_ok(f, sizeof(tcp_frame)));
	free(f);
}

/* What the device does for NEEDS_CSUM: sum from csum_start to the end
 * of the datagram and store the complement at csum_start + offset. */
static void device_complete(uint8_t *f, size_t ip_end, uint16_t start,
			    uint16_t off)
{
	uint16_t c = (uint16_t)~vnet_csum_fold(
		vnet_csum_add(0, f + start, ip_end - start));

	f[start + off] = (uint8_t)(c >> 8);
	f[start + off + 1] = (uint8_t)c;
}

static void prepare_then_device_gives_right_sum(void **state)
{
	uint8_t *f = copy(tcp_frame, sizeof(tcp_frame));
	uint16_t start, off;

	(void)state;
	f[L4_START + TCP_CSUM_OFF] = f[L4_START + TCP_CSUM_OFF + 1] = 0;
	assert_int_equal(vnet_csum_prepare(f, sizeof(tcp_frame),
					   sizeof(tcp_frame), &start, &off),
			 0);
	assert_int_equal(start, L4_START);
	assert_int_equal(off, TCP_CSUM_OFF);
	device_complete(f, TCP_IP_END, start, off);
	assert_int_equal(get16(f + L4_START + TCP_CSUM_OFF), TCP_CSUM);
	free(f);

	f = copy(udp_frame, sizeof(udp_frame));
	f[L4_START + UDP_CSUM_OFF] = f[L4_START + UDP_CSUM_OFF + 1] = 0;
	assert_int_equal(vnet_csum_prepare(f, L4_START + 8, sizeof(udp_frame),
					   &start, &off),
			 0);
	assert_int_equal(off, UDP_CSUM_OFF);
	device_complete(f, sizeof(udp_frame), start, off);
	assert_int_equal(get16(f + L4_START + UDP_CSUM_OFF), UDP_CSUM);
	free(f);
}

/* Headers split across pbufs: the checksum field must be in hdr_len. */
static void prepare_needs_headers_in_first_piece(void **state)
{
	uint8_t *f = copy(tcp_frame, sizeof(tcp_frame));
	uint16_t start = 0xaaaa, off = 0xbbbb;

	(void)state;
	assert_int_equal(vnet_csum_prepare(f, L4_START + TCP_CSUM_OFF + 1,
					   sizeof(tcp_frame), &start, &off),
			 -EINVAL);
	assert_memory_equal(f, tcp_frame, sizeof(tcp_frame)); /* unchanged */
	assert_int_equal(start, 0xaaaa);
	assert_int_equal(off, 0xbbbb);
	free(f);
}

static void udp_zero_checksum_means_none(void **state)
{
	uint8_t *f = copy(udp_frame, sizeof(udp_frame));

	(void)state;
	f[L4_START + UDP_CSUM_OFF] = f[L4_START + UDP_CSUM_OFF + 1] = 0;
	assert_true(vnet_l4_csum_ok(f, sizeof(udp_frame)));
	free(f);
}

static void vlan_tag_is_skipped(void **state)
{
	uint8_t f[sizeof(tcp_frame) + VLAN_HLEN];
	struct vnet_l4_info l4;

	(void)state;
	memcpy(f, tcp_frame, ETH_TYPE_OFF);
	f[12] = 0x81, f[13] = 0x00, f[14] = 0x00, f[15] = 0x05;
	memcpy(f + 16, tcp_frame + ETH_TYPE_OFF,
	       sizeof(tcp_frame) - ETH_TYPE_OFF);
	assert_int_equal(vnet_l4_parse(f, sizeof(f), sizeof(f), &l4), 0);
	assert_int_equal(l4.csum_start, L4_START + VLAN_HLEN);
	assert_true(vnet_l4_csum_ok(f, sizeof(f)));
}

static void nothing_to_offload(void **state)
{
	uint8_t *f = copy(tcp_frame, sizeof(tcp_frame));
	struct vnet_l4_info l4;

	(void)state;
	f[12] = 0x08, f[13] = 0x06; /* ARP */
	assert_int_equal(vnet_l4_parse(f, sizeof(tcp_frame), sizeof(tcp_frame),
				       &l4),
			 -ENOENT);
	assert_true(vnet_l4_csum_ok(f, sizeof(tcp_frame)));
	f[13] = 0x00;
	f[ETH_HLEN + 9] = 1; /* ICMP */
	assert_int_equal(vnet_l4_parse(f, sizeof(tcp_frame), sizeof(tcp_frame),
				       &l4),
			 -ENOENT);
	f[ETH_HLEN + 9] = IP_PROTO_TCP;
	f[ETH_HLEN + 6] = 0x20; /* more fragments */
	assert_int_equal(vnet_l4_parse(f, sizeof(tcp_frame), sizeof(tcp_frame),
				       &l4),
			 -ENOENT);
	free(f);
}

static void malformed_headers(void **state)
{
	uint8_t *f = copy(tcp_frame, sizeof(tcp_frame));
	struct vnet_l4_info l4;
	const struct {
		size_t off;
		uint8_t val;
	} bad[] = {
		{ ETH_HLEN, 0x65 }, /* IPv6 version in an IPv4 frame */
		{ ETH_HLEN, 0x44 }, /* IHL 4 */
		{ ETH_HLEN, 0x4f }, /* IHL 15: past the datagram */
		{ ETH_HLEN + 3, 0xff }, /* total length past the frame */
		{ ETH_HLEN + 3, 0x10 }, /* total length below IHL + TCP */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t old = f[bad[i].off];

		f[bad[i].off] = bad[i].val;
		assert_int_equal(vnet_l4_parse(f, sizeof(tcp_frame),
					       sizeof(tcp_frame), &l4),
				 -EINVAL);
		assert_false(vnet_l4_csum_ok(f, sizeof(tcp_frame)));
		f[bad[i].off] = old;
	}
	free(f);
}

/* Every truncation is rejected (or, for the padding, still valid),
 * never read past. */
static void every_prefix_is_safe(void **state)
{
	(void)state;
	for (size_t n = 0; n <= sizeof(tcp_frame); n++) {
		uint8_t *f = copy(tcp_frame, n);

		assert_int_equal(vnet_l4_csum_ok(f, n), n >= TCP_IP_END);
		free(f);
	}
	for (size_t n = 0; n < sizeof(udp_frame); n++) {
		uint8_t *f = copy(udp_frame, n);

		assert_false(vnet_l4_csum_ok(f, n));
		free(f);
	}
}

static void sum_arithmetic(void **state)
{
	const uint8_t odd[] = { 0x01, 0x02, 0x03 };
	const uint8_t ones[] = { 0xff, 0xff, 0xff, 0xff };

	(void)state;
	assert_int_equal(vnet_csum_add(0, odd, 3), 0x0102 + 0x0300);
	assert_int_equal(vnet_csum_fold(0x1fffe), 0xffff);
	assert_int_equal(vnet_csum_fold(vnet_csum_add(0, ones, 4)), 0xffff);
	assert_int_equal(vnet_csum_fold(vnet_csum_add(0xffffffffu, ones, 4)),
			 0xffff);
}

/* A TSO frame's hdr_len: where the TCP header ends, from its data
 * offset; never past the bytes given, never a header under 20 bytes. */
static void tcp_header_end(void **state)
{
	uint8_t f[sizeof(tcp_frame)];
	struct vnet_l4_info l4;

	(void)state;
	memcpy(f, tcp_frame, sizeof(f));
	assert_int_equal(vnet_l4_parse(f, sizeof(f), sizeof(f), &l4), 0);
	assert_int_equal(vnet_tcp_hdr_end(f, sizeof(f), l4.csum_start),
			 l4.csum_start + 20);
	for (size_t n = 0; n < (size_t)l4.csum_start + 20; n++)
		assert_int_equal(vnet_tcp_hdr_end(f, n, l4.csum_start),
				 -EINVAL);
	f[l4.csum_start + 12] = 4 << 4; /* 16 bytes: too short */
	assert_int_equal(vnet_tcp_hdr_end(f, sizeof(f), l4.csum_start),
			 -EINVAL);
	f[l4.csum_start + 12] = 15 << 4; /* 60 bytes: past the frame */
	assert_int_equal(vnet_tcp_hdr_end(f, sizeof(f), l4.csum_start),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_tcp),
		cmocka_unit_test(valid_frames_verify),
		cmocka_unit_test(corrupted_frames_fail),
		cmocka_unit_test(prepare_then_device_gives_right_sum),
		cmocka_unit_test(prepare_needs_headers_in_first_piece),
		cmocka_unit_test(udp_zero_checksum_means_none),
		cmocka_unit_test(vlan_tag_is_skipped),
		cmocka_unit_test(nothing_to_offload),
		cmocka_unit_test(malformed_headers),
		cmocka_unit_test(every_prefix_is_safe),
		cmocka_unit_test(sum_arithmetic),
		cmocka_unit_test(tcp_header_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
