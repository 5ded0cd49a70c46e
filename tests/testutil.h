/* testutil.h - the small harness every CUnit suite uses.
 *
 * A test file lists its cases in MsTestCase tables, adds them with
 * ms_test_add_suite() and returns ms_test_run() from main().  Suite and case
 * names read like paths ("smtp/server", "rcpt_before_mail").  Tests run from
 * the repository root, so data files are named relative to it.
 */
#pragma once

#include <CUnit/CUnit.h>
#include <glib.h>

typedef struct {
    const char *name;
    CU_TestFunc fn;
} MsTestCase;

#define MS_TEST(fn) { #fn, fn }
#define MS_TEST_END { NULL, NULL }

void ms_test_add_suite(const char *name, const MsTestCase *cases);
/* Runs every suite added; returns 0 when all passed. */
int ms_test_run(void);

/* Reads a whole file relative to the repository root (transfer full);
 * fails the current test (and returns NULL) when it cannot. */
char *ms_test_read_file(const char *path, gsize *len_out);
/* Compares text with a golden file; on mismatch, prints the first differing
 * line and writes the actual text next to the golden one as <path>.actual. */
gboolean ms_test_matches_golden(const char *actual, gsize len, const char *golden_path);

/* The shipped scenarios, "scenarios/NAME.mss", in name order (transfer
 * full); fails the current test, and stops it, when the folder cannot be
 * read. */
GPtrArray *ms_test_shipped_scenarios(void);

/* Marks the current test as skipped (a tool it needs is missing, say) and
 * says why; the closing count reports it as skipped, not passed. */
void ms_test_skip(const char *why);
/* Removes a file or a folder with everything in it (for temporary output
 * folders, so that tests leave nothing behind). */
void ms_test_remove_tree(const char *path);

/* WCAG 2.x relative luminance of a colour written "#rrggbb" (0 black, 1
 * white); -1 when it is not written so. */
double ms_test_luminance(const char *hex);
/* WCAG contrast ratio of two luminances, the lighter over the darker (1 to
 * 21). */
double ms_test_luminance_ratio(double a, double b);

#define MS_ASSERT_STR(actual, expected) CU_ASSERT_STRING_EQUAL((actual), (expected))
