/* SPDX-License-Identifier: MIT */
/*
 * The freestanding C library's memory and string functions. Same names and
 * contracts as ISO C, so the compiler's own memcpy/memset calls land here.
 * Functions that scan for a NUL are for kernel-owned strings only; data
 * from the network or a disk is handled with explicit lengths.
 */
#ifndef KERNEL_LIB_STRING_H
#define KERNEL_LIB_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
size_t strlcpy(char *dst, const char *src, size_t size);

#endif
