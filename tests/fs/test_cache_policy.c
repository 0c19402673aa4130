// SPDX-License-Identifier: MIT
/*
 * Unit tests for fs/cache_policy.c. A trace of page accesses runs through
 * a small cache twice, once with the policy and once with a reference
 * model written here from the definitions (LRU: evict the page released
 * longest ago; GreedyDual-Size: H = L + cost / size, evict the lowest H,
 * oldest first on ties, L = H of the victim), and the two must evict the
 * same pages in the same order. Also: removal from the middle of the heap,
 * and the property GDS is chosen for (a small file outlives a scan of a
 * large one, which LRU lets it lose).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fs/cache_policy.h"
#include "kernel/mm/heap.h"

#define CAP 64
#define FILES 40
#define TRACE 20000

struct page {
	struct cache_policy_node node;
	int file, index;
	bool cached;
	/* the reference model's state */
	bool ref_cached, ref_queued;
	uint64_t ref_h, ref_seq;
};

static struct page pages[FILES][64];
static int file_pages[FILES];
static uint64_t file_cost[FILES];

struct ref_model {
	enum cache_policy_kind kind;
	uint64_t inflation, seq;
	int cached;
};

/* The reference: a linear scan for the minimum (H, seq). */
static struct page *ref_victim(struct ref_model *m)
{
	struct page *best = NULL;

	for (int f = 0; f < FILES; f++)
		for (int i = 0; i < file_pages[f]; i++) {
			struct page *p = &pages[f][i];

			if (!p->ref_queued)
				continue;
			if (!best || p->ref_h < best->ref_h ||
			    (p->ref_h == best->ref_h &&
			     p->ref_seq < best->ref_seq))
				best = p;
		}
	if (best) {
		best->ref_queued = false;
		if (m->kind == CACHE_POLICY_GDS)
			m->inflation = best->ref_h;
	}
	return best;
}

static void ref_release(struct ref_model *m, struct page *p)
{
	p->ref_seq = ++m->seq;
	p->ref_h =
		m->kind == CACHE_POLICY_GDS ?
			m->inflation + (file_cost[p->file] << 32) /
					       (uint64_t)file_pages[p->file] :
			p->ref_seq;
	p->ref_queued = true;
}

/* One access in the model: hit, or evict if full and load. The page is
 * released (evictable) right after. Returns the evicted page or NULL. */
static struct page *ref_access(struct ref_model *m, struct page *p)
{
	struct page *v = NULL;

	if (p->ref_cached) {
		p->ref_queued = false;
	} else {
		if (m->cached == CAP) {
			v = ref_victim(m);
			v->ref_cached = false;
			m->cached--;
		}
		p->ref_cached = true;
		m->cached++;
	}
	ref_release(m, p);
	return v;
}

static struct page *policy_access(struct cache_policy *cp, int *cached,
				  struct page *p)
{
	struct page *v = NULL;

	if (p->cached) {
		cache_policy_remove(cp, &p->node);
	} else {
		if (*cached == CAP) {
			struct cache_policy_node *n = cache_policy_victim(cp);

			assert_non_null(n);
			v = (struct page *)((char *)n -
					    offsetof(struct page, node));
			v->cached = false;
			(*cached)--;
		}
		p->cached = true;
		(*cached)++;
	}
	cache_policy_add(cp, &p->node, file_cost[p->file],
			 (uint64_t)file_pages[p->file]);
	return v;
}

static uint64_t rng = 88172645463325252ull;

static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void make_files(void)
{
	memset(pages, 0, sizeof(pages));
	for (int f = 0; f < FILES; f++) {
		file_pages[f] = 1 + (int)(next_random() % 64);
		file_cost[f] = 1 + next_random() % 6;
		for (int i = 0; i < file_pages[f]; i++)
			pages[f][i] = (struct page){ .file = f, .index = i };
	}
}

/* Skewed file choice (low numbers more often), whole-file or one-page
 * reads. */
static void run_trace(enum cache_policy_kind kind)
{
	struct cache_policy cp;
	struct ref_model m = { .kind = kind };
	int cached = 0, evictions = 0;

	make_files();
	assert_int_equal(cache_policy_init(&cp, kind, CAP), 0);
	for (int n = 0; n < TRACE; n++) {
		int f = (int)(next_random() % FILES);
		int whole = next_random() % 2;

		f = (int)(next_random() % (uint64_t)(f + 1)); /* skew */
		int first =
			whole ? 0 :
				(int)(next_random() % (uint64_t)file_pages[f]);
		int last = whole ? file_pages[f] : first + 1;

		for (int i = first; i < last; i++) {
			struct page *p = &pages[f][i];
			struct page *want = ref_access(&m, p);
			struct page *got = policy_access(&cp, &cached, p);

			assert_ptr_equal(got, want);
			evictions += got != NULL;
		}
	}
	assert_true(evictions > TRACE / 4); /* the trace did exercise it */
	kfree(cp.heap);
}

static void test_lru_matches_model(void **state)
{
	(void)state;
	run_trace(CACHE_POLICY_LRU);
}

static void test_gds_matches_model(void **state)
{
	(void)state;
	run_trace(CACHE_POLICY_GDS);
}

static void test_remove_from_the_middle(void **state)
{
	struct cache_policy cp;
	struct cache_policy_node n[9] = { 0 };

	(void)state;
	assert_int_equal(cache_policy_init(&cp, CACHE_POLICY_LRU, 9), 0);
	for (int i = 0; i < 9; i++)
		cache_policy_add(&cp, &n[i], 1, 1);
	cache_policy_remove(&cp, &n[4]);
	cache_policy_remove(&cp, &n[0]);
	cache_policy_remove(&cp, &n[4]); /* not queued: no-op */
	assert_false(cache_policy_queued(&n[0]));
	for (int i = 1; i < 9; i++) {
		if (i == 4)
			continue;
		assert_ptr_equal(cache_policy_victim(&cp), &n[i]);
	}
	assert_null(cache_policy_victim(&cp));
	kfree(cp.heap);
}

/* A 1-page file read once, then a 40-page file scanned through a 32-page
 * cache: the small page's H (L + 1) stays above the scan's (L + 1/40) for
 * a while under GDS; LRU evicts it among the first. */
static bool small_file_survives_scan(enum cache_policy_kind kind)
{
	struct cache_policy cp;
	struct cache_policy_node small = { 0 }, scan[40] = { 0 };
	bool survived = true;
	int cached = 0;

	assert_int_equal(cache_policy_init(&cp, kind, 41), 0);
	cache_policy_add(&cp, &small, 1, 1);
	cached++;
	for (int i = 0; i < 40; i++) {
		if (cached == 32) {
			survived &= cache_policy_victim(&cp) != &small;
			cached--;
		}
		cache_policy_add(&cp, &scan[i], 1, 40);
		cached++;
	}
	kfree(cp.heap);
	return survived;
}

static void test_gds_keeps_small_file_lru_does_not(void **state)
{
	(void)state;
	assert_true(small_file_survives_scan(CACHE_POLICY_GDS));
	assert_false(small_file_survives_scan(CACHE_POLICY_LRU));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lru_matches_model),
		cmocka_unit_test(test_gds_matches_model),
		cmocka_unit_test(test_remove_from_the_middle),
		cmocka_unit_test(test_gds_keeps_small_file_lru_does_not),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
