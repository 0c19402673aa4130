/* SPDX-License-Identifier: MIT */
/*
 * Bounded unsigned number parsing: the one digit loop behind every parser
 * of text that comes from outside (the boot command line, ip=/gw=, HTTP
 * Range values and dates, lwIP's strtol). It reads pointer plus end, so
 * the text need not be NUL-terminated, detects overflow instead of
 * wrapping, and says how far it read so the caller can go on parsing.
 */
#ifndef KERNEL_LIB_NUM_H
#define KERNEL_LIB_NUM_H

#include <stdint.h>

#define NUM_BASE_MAX 36
#define NUM_NOT_DIGIT NUM_BASE_MAX /* num_digit() of a non-digit */

/* Value of c as a digit: 0-9, then a/A = 10 up to z/Z = 35; else
 * NUM_NOT_DIGIT. */
unsigned int num_digit(char c);

int num_parse_u64(const char *s, const char *end, unsigned int base,
		  uint64_t max, uint64_t *out, const char **stop);

#endif
