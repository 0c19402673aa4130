/* SPDX-License-Identifier: MIT */
/*
 * Intrusive lists: the links live inside the object, so linking never
 * allocates and never fails; list_entry() (container_of) gets the
 * object back from its link.
 *
 * struct list_node: circular doubly-linked list through a sentinel head
 * (LIST_HEAD_INIT or list_init); O(1) insert and remove anywhere. A node
 * that is on no list has NULL links (list_node_init, or zeroed memory),
 * so list_linked() tells whether it is on one.
 *
 * struct fifo: singly-linked queue with head and tail pointers; a zeroed
 * struct fifo is empty. O(1) push at the tail and pop at the head.
 *
 * Nothing here locks: the caller's lock key covers the list and the links
 * of every node on it. Host-safe: unit tests include it too.
 */
#ifndef KERNEL_LIB_LIST_H
#define KERNEL_LIB_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "kernel/lib/compiler.h"

struct list_node {
	struct list_node *next, *prev;
};

#define LIST_HEAD_INIT(name)     \
	{                        \
		&(name), &(name) \
	}
#define list_entry(node, type, member) container_of(node, type, member)

/* The object of the first / last node of `head`, or NULL if empty. */
#define list_first_entry_or_null(head, type, member) \
	(list_empty(head) ? NULL : list_entry((head)->next, type, member))
#define list_last_entry_or_null(head, type, member) \
	(list_empty(head) ? NULL : list_entry((head)->prev, type, member))

/* Walk every node; the body must not unlink `pos` (use _safe for that). */
#define list_for_each(pos, head) \
	for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)
#define list_for_each_safe(pos, tmp, head)                               \
	for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head); \
	     (pos) = (tmp), (tmp) = (pos)->next)

static inline void list_init(struct list_node *head)
{
	head->next = head->prev = head;
}

static inline void list_node_init(struct list_node *n)
{
	n->next = n->prev = NULL;
}

static inline bool list_empty(const struct list_node *head)
{
	return head->next == head;
}

static inline bool list_linked(const struct list_node *n)
{
	return n->next != NULL;
}

/* Link `n` (on no list) just before `pos` (a node or the head). */
static inline void list_insert_before(struct list_node *n,
				      struct list_node *pos)
{
	n->next = pos;
	n->prev = pos->prev;
	pos->prev->next = n;
	pos->prev = n;
}

static inline void list_add_tail(struct list_node *head, struct list_node *n)
{
	list_insert_before(n, head);
}

static inline void list_add_head(struct list_node *head, struct list_node *n)
{
	list_insert_before(n, head->next);
}

/* Unlink `n` from its list; it is then on none (NULL links). */
static inline void list_remove(struct list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_node_init(n);
}

/* Unlink and return the first node, or NULL if the list is empty. */
static inline struct list_node *list_pop_head(struct list_node *head)
{
	struct list_node *n = head->next;

	if (n == head)
		return NULL;
	list_remove(n);
	return n;
}

struct fifo_node {
	struct fifo_node *next;
};

struct fifo {
	struct fifo_node *head, *tail;
};

#define fifo_entry(node, type, member) container_of(node, type, member)

static inline bool fifo_empty(const struct fifo *q)
{
	return q->head == NULL;
}

static inline void fifo_push(struct fifo *q, struct fifo_node *n)
{
	n->next = NULL;
	if (q->tail)
		q->tail->next = n;
	else
		q->head = n;
	q->tail = n;
}

/* Unlink and return the oldest node, or NULL if the queue is empty. */
static inline struct fifo_node *fifo_pop(struct fifo *q)
{
	struct fifo_node *n = q->head;

	if (n) {
		q->head = n->next;
		if (!q->head)
			q->tail = NULL;
		n->next = NULL;
	}
	return n;
}

#endif
