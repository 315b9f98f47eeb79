/*
 * tap.h -- a minimal TAP producer for the C tests (meson runs them with
 * protocol 'tap', and .ci/run counts the "ok"/"not ok" lines).
 *
 *   TAP_TEST(name) { ... CHECK(cond); CHECK_EQ_INT(a, b); ... }
 *   int main(void) { tap_run("name", fn); ...; return tap_done(); }
 *
 * A test function fails when any CHECK inside it fails; the failing
 * expression, file and line are printed as TAP diagnostics.  CHECKs are
 * thread-safe (atomic counter), so a worker thread may check too.
 */
#ifndef CASHBOOK_TESTS_TAP_H
#define CASHBOOK_TESTS_TAP_H

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_int tap_current_failures;
static int tap_number;
static int tap_failed;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		atomic_fetch_add(&tap_current_failures, 1);		\
		printf("# CHECK failed: %s (%s:%d)\n", #cond,		\
		    __FILE__, __LINE__);				\
		fflush(stdout);						\
	}								\
} while (0)

#define CHECK_EQ_INT(a, b) do {						\
	long long tap_a_ = (long long)(a), tap_b_ = (long long)(b);	\
	if (tap_a_ != tap_b_) {						\
		atomic_fetch_add(&tap_current_failures, 1);		\
		printf("# CHECK failed: %s == %s (%lld != %lld) (%s:%d)\n", \
		    #a, #b, tap_a_, tap_b_, __FILE__, __LINE__);	\
		fflush(stdout);						\
	}								\
} while (0)

#define CHECK_EQ_STR(a, b) do {						\
	const char *tap_a_ = (a), *tap_b_ = (b);			\
	if (tap_a_ == NULL || tap_b_ == NULL ||				\
	    strcmp(tap_a_, tap_b_) != 0) {				\
		atomic_fetch_add(&tap_current_failures, 1);		\
		printf("# CHECK failed: %s == %s (\"%s\" != \"%s\") (%s:%d)\n", \
		    #a, #b, tap_a_ ? tap_a_ : "(null)",			\
		    tap_b_ ? tap_b_ : "(null)", __FILE__, __LINE__);	\
		fflush(stdout);						\
	}								\
} while (0)

/* Stop the current test function early (after a failed precondition).
 * cond is evaluated once: it may have side effects. */
#define REQUIRE(cond) do {						\
	if (!(cond)) {							\
		CHECK(!"REQUIRE(" #cond ")");				\
		return;							\
	}								\
} while (0)

static inline void
tap_run(const char *name, void (*fn)(void))
{
	atomic_store(&tap_current_failures, 0);
	fn();
	tap_number++;
	if (atomic_load(&tap_current_failures) == 0)
		printf("ok %d - %s\n", tap_number, name);
	else {
		printf("not ok %d - %s\n", tap_number, name);
		tap_failed++;
	}
	fflush(stdout);
}

/* Print the plan and return the exit status for main(). */
static inline int
tap_done(void)
{
	printf("1..%d\n", tap_number);
	return tap_failed == 0 ? 0 : 1;
}

#endif
