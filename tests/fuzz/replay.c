/* replay.c - the main() of a harness outside libFuzzer: runs every file in
 * tests/fuzz/corpus/<harness>/ and tests/fuzz/crashes/<harness>/ (or the
 * files and folders given) through LLVMFuzzerTestOneInput once, under the
 * sanitizers of `make test`.  It speaks the test harness's protocol (one
 * test, "MS-TESTS run=1 failed=0"), so tests/run-tests.sh counts it; a
 * crash or a sanitizer report fails it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static gint strcmp_ptr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static guint replay_path(const char *path)
{
    /* No past crashes yet: nothing to replay there. */
    if (!g_file_test(path, G_FILE_TEST_EXISTS))
        return 0;
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        if (dir == NULL)
            return 0;
        /* Sorted, so a failure names the same input on every machine. */
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        for (const char *n = g_dir_read_name(dir); n != NULL; n = g_dir_read_name(dir))
            if (n[0] != '.')
                g_ptr_array_add(names, g_build_filename(path, n, NULL));
        g_ptr_array_sort(names, strcmp_ptr);
        guint total = 0;
        for (guint i = 0; i < names->len; i++)
            total += replay_path(g_ptr_array_index(names, i));
        return total;
    }
    gchar *data = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &data, &len, NULL)) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        exit(1);
    }
    if (g_getenv("MS_FUZZ_VERBOSE") != NULL)
        fprintf(stderr, "replay: %s\n", path);
    LLVMFuzzerTestOneInput((const uint8_t *) data, len);
    g_free(data);
    return 1;
}

int main(int argc, char **argv)
{
    g_autofree char *name = g_path_get_basename(argv[0]);
    printf("MS-TESTS-PLAN total=1\n");
    fflush(stdout);
    guint n = 0;
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            n += replay_path(argv[i]);
    } else {
        g_autofree char *corpus = g_build_filename("tests/fuzz/corpus", name, NULL);
        g_autofree char *crashes = g_build_filename("tests/fuzz/crashes", name, NULL);
        n = replay_path(corpus) + replay_path(crashes);
#ifdef MS_FUZZ_SEEDS
        /* The seeds the corpus grew from (scenarios/, tests/data/...). */
        g_auto(GStrv) seeds = g_strsplit(MS_FUZZ_SEEDS, " ", -1);
        for (char **d = seeds; *d != NULL; d++)
            if (**d != '\0')
                n += replay_path(*d);
#endif
    }
    /* A harness with nothing to replay tests nothing: that is a failure. */
    printf("%s: replayed %u inputs\n", name, n);
    printf("\nMS-TESTS run=1 failed=%u skipped=0\n", n == 0 ? 1u : 0u);
    return n == 0 ? 1 : 0;
}
