// SPDX-License-Identifier: MIT
/*
 * Checksum offload arithmetic (interface in vnet_csum.h). RFC 1071 sums
 * over big-endian 16-bit words; RFC 768/793 pseudo-header.
 */
#include "net/vnet_csum.h"

#include "kernel/lib/errno.h"

#define IPV4_VERSION 4
#define IPV4_HLEN_MIN 20
#define IPV4_TOTLEN_OFF 2
#define IPV4_FRAG_OFF 6
#define IPV4_FRAG_MASK 0x3fff /* MF flag and fragment offset */
#define IPV4_PROTO_OFF 9
#define IPV4_SRC_OFF 12
#define IPV4_DST_OFF 16
#define TCP_HLEN_MIN 20
#define TCP_DOFF_OFF 12 /* data offset: high nibble, in 32-bit words */
#define UDP_HLEN 8

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Offset of the IPv4 header, after an optional VLAN tag; -ENOENT if the
 * frame is not IPv4, -EINVAL if it is too short to tell. */
static int ipv4_offset(const uint8_t *hdr, size_t hdr_len)
{
	size_t off = ETH_TYPE_OFF;
	uint16_t type;

	if (hdr_len < ETH_HLEN)
		return -EINVAL;
	type = get_be16(hdr + off);
	if (type == ETH_P_8021Q) {
		off += VLAN_HLEN;
		if (hdr_len < off + 2)
			return -EINVAL;
		type = get_be16(hdr + off);
	}
	if (type != ETH_P_IPV4)
		return -ENOENT;
	return (int)(off + 2);
}

int vnet_l4_parse(const uint8_t *hdr, size_t hdr_len, size_t frame_len,
		  struct vnet_l4_info *out)
{
	const uint8_t *ip;
	size_t l3, ihl, tot, l4_min;
	int off = ipv4_offset(hdr, hdr_len);

	if (off < 0)
		return off;
	l3 = (size_t)off;
	if (hdr_len < l3 + IPV4_HLEN_MIN || hdr_len > frame_len)
		return -EINVAL;
	ip = hdr + l3;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	tot = get_be16(ip + IPV4_TOTLEN_OFF);
	if (ip[0] >> 4 != IPV4_VERSION || ihl < IPV4_HLEN_MIN || tot < ihl ||
	    l3 + tot > frame_len)
		return -EINVAL;
	if (get_be16(ip + IPV4_FRAG_OFF) & IPV4_FRAG_MASK)
		return -ENOENT;
	if (ip[IPV4_PROTO_OFF] == IP_PROTO_TCP) {
		out->csum_offset = TCP_CSUM_OFF;
		l4_min = TCP_HLEN_MIN;
	} else if (ip[IPV4_PROTO_OFF] == IP_PROTO_UDP) {
		out->csum_offset = UDP_CSUM_OFF;
		l4_min = UDP_HLEN;
	} else {
		return -ENOENT;
	}
	if (tot - ihl < l4_min ||
	    hdr_len < l3 + ihl + out->csum_offset + sizeof(uint16_t))
		return -EINVAL;
	out->csum_start = (uint16_t)(l3 + ihl);
	out->l4_len = (uint16_t)(tot - ihl);
	out->proto = ip[IPV4_PROTO_OFF];
	out->src = get_be32(ip + IPV4_SRC_OFF);
	out->dst = get_be32(ip + IPV4_DST_OFF);
	return 0;
}

uint32_t vnet_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = sum;

	for (; len >= 2; p += 2, len -= 2)
		acc += get_be16(p);
	if (len)
		acc += (uint32_t)p[0] << 8;
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t vnet_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t vnet_pseudo_sum(const struct vnet_l4_info *l4)
{
	uint32_t sum = 0;

	sum += l4->src >> 16;
	sum += l4->src & 0xffff;
	sum += l4->dst >> 16;
	sum += l4->dst & 0xffff;
	sum += l4->proto;
	sum += l4->l4_len;
	return vnet_csum_fold(sum);
}

int vnet_csum_prepare(uint8_t *hdr, size_t hdr_len, size_t frame_len,
		      uint16_t *csum_start, uint16_t *csum_offset)
{
	struct vnet_l4_info l4;
	uint16_t pseudo;
	uint8_t *field;
	int err = vnet_l4_parse(hdr, hdr_len, frame_len, &l4);

	if (err)
		return err;
	pseudo = vnet_pseudo_sum(&l4);
	field = hdr + l4.csum_start + l4.csum_offset;
	field[0] = (uint8_t)(pseudo >> 8);
	field[1] = (uint8_t)pseudo;
	*csum_start = l4.csum_start;
	*csum_offset = l4.csum_offset;
	return 0;
}

int vnet_tcp_hdr_end(const uint8_t *hdr, size_t hdr_len, uint16_t csum_start)
{
	size_t doff_at = (size_t)csum_start + TCP_DOFF_OFF, end;

	if (hdr_len <= doff_at)
		return -EINVAL;
	end = csum_start + (size_t)(hdr[doff_at] >> 4) * 4;
	if (end < (size_t)csum_start + TCP_HLEN_MIN || end > hdr_len)
		return -EINVAL;
	return (int)end;
}

bool vnet_l4_csum_ok(const uint8_t *frame, size_t len)
{
	struct vnet_l4_info l4;
	const uint8_t *l4h;
	uint32_t sum;
	int err = vnet_l4_parse(frame, len, len, &l4);

	if (err)
		return err == -ENOENT;
	l4h = frame + l4.csum_start;
	if (l4.proto == IP_PROTO_UDP && get_be16(l4h + UDP_CSUM_OFF) == 0)
		return true;
	sum = vnet_csum_add(vnet_pseudo_sum(&l4), l4h, l4.l4_len);
	return vnet_csum_fold(sum) == 0xffff;
}
