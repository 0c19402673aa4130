// SPDX-License-Identifier: MIT
/*
 * vsnprintf: the one formatter behind printk and every message the kernel
 * builds. It never writes past `size` and always terminates the output
 * when size > 0. Conversions it does not know are copied through as text
 * so a bad format string shows up in the log instead of crashing.
 */
#include "kernel/lib/stdio.h"

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/string.h"

struct out {
	char *buf;
	size_t size;
	size_t len; /* bytes the full output would have */
};

struct spec {
	bool left, zero, plus, space, alt;
	int width;
	int prec; /* -1: none */
	char len; /* 'H' hh, 'h', 'l', 'L' ll/j/z/t, 0 int */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

/* Append n bytes of s: as many as fit before the terminator's byte are
 * copied, all n are counted. Literal text, strings and digits go through
 * here a run at a time: under QEMU's TCG a byte at a time through put()
 * made a 330-byte response head cost 6.5 µs. */
static void put_run(struct out *o, const char *s, size_t n)
{
	if (o->len + 1 < o->size) {
		size_t room = o->size - 1 - o->len;

		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

static void put_str(struct out *o, const struct spec *s, const char *str)
{
	if (!str)
		str = "(null)";
	size_t n = s->prec >= 0 ? strnlen(str, (size_t)s->prec) : strlen(str);
	int fill = s->width > (int)n ? s->width - (int)n : 0;

	if (!s->left)
		pad(o, ' ', fill);
	put_run(o, str, n);
	if (s->left)
		pad(o, ' ', fill);
}

/* Digits, sign and prefix laid out per C99 7.19.6.1. */
static void put_num(struct out *o, const struct spec *s, uint64_t v, bool neg,
		    unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24], fwd[24];
	int n = 0;
	const char *prefix = "";

	if (neg)
		prefix = "-";
	else if (s->plus && base == 10)
		prefix = "+";
	else if (s->space && base == 10)
		prefix = " ";
	else if (s->alt && base == 16 && v)
		prefix = upper ? "0X" : "0x";
	else if (s->alt && base == 8)
		prefix = "0";

	/* Constant divisors: the compiler turns them into multiplies and
	 * shifts, where a division by a variable is a helper call per digit
	 * under TCG. */
	if (base == 10) {
		do {
			tmp[n++] = digits[v % 10];
			v /= 10;
		} while (v);
	} else {
		unsigned shift = base == 16 ? 4 : 3;

		do {
			tmp[n++] = digits[v & (base - 1)];
			v >>= shift;
		} while (v);
	}
	if (s->prec == 0 && n == 1 && tmp[0] == '0' && !(s->alt && base == 8))
		n = 0;

	int zeros = s->prec > n ? s->prec - n : 0;
	int plen = (int)strlen(prefix);
	int total = plen + zeros + n;
	int fill = s->width > total ? s->width - total : 0;

	if (s->zero && !s->left && s->prec < 0) {
		zeros += fill;
		fill = 0;
	}
	if (!s->left)
		pad(o, ' ', fill);
	for (int i = 0; i < plen; i++)
		put(o, prefix[i]);
	pad(o, '0', zeros);
	for (int i = 0; i < n; i++)
		fwd[i] = tmp[n - 1 - i];
	put_run(o, fwd, (size_t)n);
	if (s->left)
		pad(o, ' ', fill);
}

static const char *parse_spec(const char *f, struct spec *s, va_list *ap)
{
	*s = (struct spec){ .prec = -1 };
	for (;; f++) {
		if (*f == '-')
			s->left = true;
		else if (*f == '0')
			s->zero = true;
		else if (*f == '+')
			s->plus = true;
		else if (*f == ' ')
			s->space = true;
		else if (*f == '#')
			s->alt = true;
		else
			break;
	}
	if (*f == '*') {
		s->width = va_arg(*ap, int);
		if (s->width < 0) {
			s->left = true;
			s->width = -s->width;
		}
		f++;
	} else {
		while (*f >= '0' && *f <= '9' && s->width < 100000)
			s->width = s->width * 10 + (*f++ - '0');
	}
	if (*f == '.') {
		f++;
		s->prec = 0;
		if (*f == '*') {
			s->prec = va_arg(*ap, int);
			if (s->prec < 0)
				s->prec = -1;
			f++;
		} else {
			while (*f >= '0' && *f <= '9' && s->prec < 100000)
				s->prec = s->prec * 10 + (*f++ - '0');
		}
	}
	if (f[0] == 'h' && f[1] == 'h') {
		s->len = 'H';
		f += 2;
	} else if (f[0] == 'l' && f[1] == 'l') {
		s->len = 'L';
		f += 2;
	} else if (*f == 'h') {
		s->len = 'h';
		f++;
	} else if (*f == 'l' || *f == 'z' || *f == 't' || *f == 'j') {
		s->len = 'L';
		f++;
	}
	return f;
}

static int64_t arg_signed(const struct spec *s, va_list *ap)
{
	switch (s->len) {
	case 'H':
		return (signed char)va_arg(*ap, int);
	case 'h':
		return (short)va_arg(*ap, int);
	case 'L':
		return va_arg(*ap, long long);
	default:
		return va_arg(*ap, int);
	}
}

static uint64_t arg_unsigned(const struct spec *s, va_list *ap)
{
	switch (s->len) {
	case 'H':
		return (unsigned char)va_arg(*ap, unsigned int);
	case 'h':
		return (unsigned short)va_arg(*ap, unsigned int);
	case 'L':
		return va_arg(*ap, unsigned long long);
	default:
		return va_arg(*ap, unsigned int);
	}
}

/* The base of an unsigned conversion: u, o, x or X. */
static unsigned int unsigned_base(char conv)
{
	return conv == 'o' ? 8 : conv == 'u' ? 10 : 16;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { .buf = buf, .size = size };
	struct spec s;
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		if (*fmt != '%') {
			const char *run = fmt;

			while (*fmt && *fmt != '%')
				fmt++;
			put_run(&o, run, (size_t)(fmt - run));
			continue;
		}
		const char *start = fmt++;
		fmt = parse_spec(fmt, &s, &args);
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = arg_signed(&s, &args);
			put_num(&o, &s, v < 0 ? -(uint64_t)v : (uint64_t)v,
				v < 0, 10, false);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			put_num(&o, &s, arg_unsigned(&s, &args), false,
				unsigned_base(*fmt), *fmt == 'X');
			break;
		case 'p':
			s.alt = true;
			s.len = 'L';
			put_num(&o, &s, (uintptr_t)va_arg(args, void *), false,
				16, false);
			break;
		case 'c': {
			char c[2] = { (char)va_arg(args, int), 0 };
			s.prec = 1;
			put_str(&o, &s, c);
			break;
		}
		case 's':
			put_str(&o, &s, va_arg(args, const char *));
			break;
		case '%':
			put(&o, '%');
			break;
		default:
			/* Unknown or truncated conversion: show it verbatim. */
			while (start < fmt)
				put(&o, *start++);
			if (!*fmt)
				continue;
			put(&o, *fmt);
			break;
		}
		fmt++;
	}
	va_end(args);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len > INT32_MAX ? INT32_MAX : (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
