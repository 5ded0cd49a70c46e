/* merge.c - the parts of a class graded apart (`--shard K/N`), put back
 * together by `mailsim grade --merge`.
 *
 * Parts merge into one class only when they are parts of one grading: the
 * same exercise with the same checks (the CSV's columns and the summary's
 * "checks most often failed" are the first result's), and every student in
 * exactly one part.  Anything else is refused with the file that broke the
 * rule and what was expected, never merged into a report that looks right.
 */
#include <string.h>

#include "grade/grade-private.h"

static int compare_students(gconstpointer a, gconstpointer b)
{
    const MsGradeResult *x = *(const MsGradeResult *const *) a;
    const MsGradeResult *y = *(const MsGradeResult *const *) b;
    return strcmp(x->student, y->student);
}

/* The ids of a result's checks, "greeting, envelope, ..." (transfer full). */
static char *check_ids(const MsGradeResult *r)
{
    g_autoptr(GPtrArray) ids = g_ptr_array_new();
    for (guint i = 0; i < r->tests->len; i++)
        g_ptr_array_add(ids, ((MsGradeTest *) g_ptr_array_index(r->tests, i))->id);
    return ms_grade_join(ids, ", ");
}

static gboolean same_checks(const MsGradeResult *a, const MsGradeResult *b)
{
    if (a->tests->len != b->tests->len)
        return FALSE;
    for (guint i = 0; i < a->tests->len; i++) {
        const MsGradeTest *x = g_ptr_array_index(a->tests, i);
        const MsGradeTest *y = g_ptr_array_index(b->tests, i);
        if (strcmp(x->id, y->id) != 0)
            return FALSE;
    }
    return TRUE;
}

/* Whether r, read from files[f], joins the class of `first` (read from
 * first_file) and is not a student seen before (student -> index of its
 * file + 1: a file given twice is two parts). */
static gboolean joins_class(const MsGradeResult *r, const char *const *files, guint f,
                            const MsGradeResult *first, const char *first_file,
                            GHashTable *seen, GError **error)
{
    const char *file = files[f];
    if (strcmp(r->exercise, first->exercise) != 0) {
        g_set_error(error, MS_ERROR, MS_ERROR_PARSE,
                    "%s: student '%s' was graded on exercise '%s'; expected '%s', as in %s "
                    "(parts of different exercises cannot be merged)",
                    file, r->student, r->exercise, first->exercise, first_file);
        return FALSE;
    }
    if (!same_checks(r, first)) {
        g_autofree char *got = check_ids(r);
        g_autofree char *want = check_ids(first);
        g_set_error(error, MS_ERROR, MS_ERROR_PARSE,
                    "%s: student '%s' was graded with the checks %s; expected %s, as in %s "
                    "(was the exercise changed between the parts?)",
                    file, r->student, got, want, first_file);
        return FALSE;
    }
    guint before = GPOINTER_TO_UINT(g_hash_table_lookup(seen, r->student));
    if (before != 0) {
        if (before - 1 == f)
            g_set_error(error, MS_ERROR, MS_ERROR_PARSE,
                        "%s: student '%s' is in it twice; expected each student once", file,
                        r->student);
        else
            g_set_error(error, MS_ERROR, MS_ERROR_PARSE,
                        "%s: student '%s' was graded in %s already; expected each student in "
                        "one part only (was a part given twice?)",
                        file, r->student, files[before - 1]);
        return FALSE;
    }
    g_hash_table_insert(seen, r->student, GUINT_TO_POINTER(f + 1));
    return TRUE;
}

GPtrArray *ms_grade_results_merge(const char *const *files, guint n_files, GError **error)
{
    g_autoptr(GPtrArray) all =
        g_ptr_array_new_with_free_func((GDestroyNotify) ms_grade_result_free);
    /* student -> its file's index + 1; the keys are the results' own. */
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    const char *first_file = NULL;
    for (guint f = 0; f < n_files; f++) {
        g_autofree char *text = NULL;
        gsize len = 0;
        g_autoptr(GError) err = NULL;
        if (!g_file_get_contents(files[f], &text, &len, &err)) {
            g_set_error(error, MS_ERROR, MS_ERROR_IO, "%s", err->message);
            return NULL;
        }
        guint from = all->len;
        if (!ms_grade_results_read(text, len, files[f], all, error))
            return NULL;
        for (guint i = from; i < all->len; i++) {
            const MsGradeResult *r = g_ptr_array_index(all, i);
            if (first_file == NULL)
                first_file = files[f];
            if (!joins_class(r, files, f, g_ptr_array_index(all, 0), first_file, seen, error))
                return NULL;
        }
    }
    /* Shards interleave: put the class back in student order. */
    g_ptr_array_sort(all, compare_students);
    return g_steal_pointer(&all);
}
