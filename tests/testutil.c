/* testutil.c - CUnit harness shared by every suite (see testutil.h). */
#include "testutil.h"

#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

static gboolean registry_ready;

static void ensure_registry(void)
{
    if (!registry_ready) {
        if (CU_initialize_registry() != CUE_SUCCESS) {
            fprintf(stderr, "CUnit: cannot initialise the registry\n");
            exit(2);
        }
        registry_ready = TRUE;
    }
}

void ms_test_add_suite(const char *name, const MsTestCase *cases)
{
    ensure_registry();
    CU_pSuite suite = CU_add_suite(name, NULL, NULL);
    g_assert(suite != NULL);
    for (const MsTestCase *c = cases; c->name != NULL; c++) {
        if (CU_add_test(suite, c->name, c->fn) == NULL) {
            fprintf(stderr, "CUnit: cannot add %s/%s\n", name, c->name);
            exit(2);
        }
    }
}

/* The tests that called ms_test_skip(), each once. */
static GHashTable *skipped;

void ms_test_skip(const char *why)
{
    CU_pTest test = CU_get_current_test();
    if (skipped == NULL)
        skipped = g_hash_table_new(NULL, NULL);
    if (test != NULL)
        g_hash_table_add(skipped, test);
    printf("\n  skipped: %s\n", why);
}

int ms_test_run(void)
{
    ensure_registry();
    /* Announced first, so that tests/run-tests.sh knows how many tests a
     * binary that dies half-way has lost. */
    printf("MS-TESTS-PLAN total=%u\n", CU_get_registry()->uiNumberOfTests);
    fflush(stdout);
    CU_basic_set_mode(g_getenv("MS_TEST_VERBOSE") ? CU_BRM_VERBOSE : CU_BRM_NORMAL);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_tests_failed();
    unsigned run = CU_get_number_of_tests_run();
    unsigned asserts_failed = CU_get_number_of_failures();
    unsigned n_skipped = skipped != NULL ? g_hash_table_size(skipped) : 0;
    g_clear_pointer(&skipped, g_hash_table_unref);
    /* One machine-readable line for tests/run-tests.sh to add up; a skipped
     * test that also failed counts as failed. */
    printf("\nMS-TESTS run=%u failed=%u skipped=%u\n", run, failed, n_skipped);
    CU_cleanup_registry();
    registry_ready = FALSE;
    return (failed == 0 && asserts_failed == 0) ? 0 : 1;
}

char *ms_test_read_file(const char *path, gsize *len_out)
{
    char *data = NULL;
    gsize len = 0;
    g_autoptr(GError) error = NULL;
    if (!g_file_get_contents(path, &data, &len, &error)) {
        fprintf(stderr, "\n  cannot read %s: %s\n", path, error->message);
        CU_FAIL("cannot read a test data file");
        return NULL;
    }
    if (len_out != NULL)
        *len_out = len;
    return data;
}

gboolean ms_test_matches_golden(const char *actual, gsize len, const char *golden_path)
{
    gsize glen = 0;
    g_autofree char *actual_path = g_strconcat(golden_path, ".actual", NULL);
    g_autofree char *golden = ms_test_read_file(golden_path, &glen);
    if (golden == NULL) {
        /* A new golden file starts as the actual output, to be reviewed. */
        if (g_file_set_contents(actual_path, actual, (gssize) len, NULL))
            fprintf(stderr, "  actual output written to %s\n", actual_path);
        return FALSE;
    }
    if (glen == len && memcmp(golden, actual, len) == 0)
        return TRUE;

    /* Report the first differing line, then keep the actual output for review. */
    guint line = 1;
    gsize i = 0;
    gsize start = 0;
    while (i < len && i < glen && actual[i] == golden[i]) {
        if (actual[i] == '\n') {
            line++;
            start = i + 1;
        }
        i++;
    }
    const char *a_end = memchr(actual + start, '\n', len - start);
    const char *g_end = memchr(golden + start, '\n', glen - start);
    int a_n = (int) ((a_end ? (gsize) (a_end - actual) : len) - start);
    int g_n = (int) ((g_end ? (gsize) (g_end - golden) : glen) - start);
    fprintf(stderr, "\n  %s differs at line %u:\n    expected: %.*s\n    actual:   %.*s\n",
            golden_path, line, g_n, golden + start, a_n, actual + start);
    if (g_file_set_contents(actual_path, actual, (gssize) len, NULL))
        fprintf(stderr, "  actual output written to %s\n", actual_path);
    return FALSE;
}

static gint compare_paths(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

GPtrArray *ms_test_shipped_scenarios(void)
{
    g_autoptr(GDir) dir = g_dir_open("scenarios", 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    for (const char *n = g_dir_read_name(dir); n != NULL; n = g_dir_read_name(dir)) {
        if (g_str_has_suffix(n, ".mss"))
            g_ptr_array_add(paths, g_build_filename("scenarios", n, NULL));
    }
    g_ptr_array_sort(paths, compare_paths);
    return paths;
}

void ms_test_remove_tree(const char *path)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        for (const char *n = dir != NULL ? g_dir_read_name(dir) : NULL; n != NULL;
             n = g_dir_read_name(dir)) {
            g_autofree char *child = g_build_filename(path, n, NULL);
            ms_test_remove_tree(child);
        }
        if (g_rmdir(path) != 0)
            fprintf(stderr, "\n  cannot remove %s\n", path);
        return;
    }
    g_remove(path);
}

double ms_test_luminance(const char *hex)
{
    unsigned rgb[3];
    if (hex == NULL || strlen(hex) != 7 ||
        sscanf(hex, "#%2x%2x%2x", &rgb[0], &rgb[1], &rgb[2]) != 3)
        return -1.0;
    static const double weight[3] = { 0.2126, 0.7152, 0.0722 };
    double l = 0.0;
    for (int i = 0; i < 3; i++) {
        double c = rgb[i] / 255.0;
        c = c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
        l += weight[i] * c;
    }
    return l;
}

double ms_test_luminance_ratio(double a, double b)
{
    return (MAX(a, b) + 0.05) / (MIN(a, b) + 0.05);
}
