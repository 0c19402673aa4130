/* SPDX-License-Identifier: MIT */
/*
 * Host stand-in for net/conn.c: the test plays the network. It opens
 * connections (the registered accept runs), delivers bytes, acknowledges
 * sent bytes (writable runs below the low-water mark) and finishes closes.
 */
#ifndef TESTS_FAKES_FAKE_CONN_H
#define TESTS_FAKES_FAKE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;

/* Open a connection; NULL if the application refused it. */
struct conn *fake_conn_open(void);
/* Deliver bytes; returns how many the server took (it pauses first
 * when it takes fewer: the rest is the test's to deliver again). */
size_t fake_conn_recv(struct conn *c, const char *data, size_t len);
void fake_conn_recv_str(struct conn *c, const char *s);
void fake_conn_eof(struct conn *c);
/* All bytes sent so far and not yet taken, NUL-terminated; *len set. The
 * caller frees the result. */
char *fake_conn_take_output(struct conn *c, size_t *len);
/* Acknowledge n bytes (all: UINT64_MAX); runs writable() if below lowat. */
void fake_conn_ack(struct conn *c, uint64_t n);
uint64_t fake_conn_queued_bytes(const struct conn *c); /* not acked */
bool fake_conn_closing(const struct conn *c); /* conn_close called */
bool fake_conn_aborted(const struct conn *c); /* conn_abort called */
bool fake_conn_paused(const struct conn *c);
/* Deliver closed(err) and free the fake connection. */
void fake_conn_finish(struct conn *c, int err);
/* The urgency the server last told the connection. */
uint8_t fake_conn_urgency(const struct conn *c);
/* Number of fake connections not yet finished. */
int fake_conn_live(void);

#define FAKE_CONN_LOWAT 65536

#endif
