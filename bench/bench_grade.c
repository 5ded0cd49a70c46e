/* bench_grade.c - how long a class of 500 smtp-send submissions takes.
 *
 * 500 dialogues are written to a temporary folder: each student's own
 * subject (so half of them pass everything), the rest a mix of the usual
 * mistakes (no QUIT, bare LF, RCPT before MAIL).  They are graded the way
 * `mailsim grade` does, one worker process per submission, one worker per
 * core.  The target is under 10 s on a 2-core machine; the figure is the
 * best of two runs.
 */
#include "mailsim/grade.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#define N_STUDENTS 500
#define REPEATS 2
#define TARGET_SECONDS 10.0

static const char *const mistakes[] = {
    /* model, with the student's subject */
    "HELO crepes.fr\r\nMAIL FROM: <alice@crepes.fr>\r\nRCPT TO: <bob@hamburger.edu>\r\n"
    "DATA\r\nSubject: ${subject}\r\n\r\nDo you like ketchup?\r\n.\r\nQUIT\r\n",
    /* no QUIT */
    "HELO crepes.fr\r\nMAIL FROM: <alice@crepes.fr>\r\nRCPT TO: <bob@hamburger.edu>\r\n"
    "DATA\r\nSubject: ${subject}\r\n\r\nHi\r\n.\r\n",
    /* bare LF */
    "HELO crepes.fr\nMAIL FROM: <alice@crepes.fr>\nRCPT TO: <bob@hamburger.edu>\nDATA\n"
    "Subject: ${subject}\n\nHi\n.\nQUIT\n",
    /* RCPT before MAIL */
    "HELO crepes.fr\r\nRCPT TO: <bob@hamburger.edu>\r\nMAIL FROM: <alice@crepes.fr>\r\n"
    "DATA\r\nHi\r\n.\r\nQUIT\r\n",
};

int main(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(MsExercise) ex = ms_exercise_load("scenarios/exercises/smtp-send.exercise", &error);
    if (ex == NULL) {
        fprintf(stderr, "bench_grade: %s\n", error->message);
        return 1;
    }
    g_autofree char *dir = g_dir_make_tmp("mailsim-bench-XXXXXX", &error);
    if (dir == NULL) {
        fprintf(stderr, "bench_grade: %s\n", error->message);
        return 1;
    }
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < N_STUDENTS; i++) {
        g_autofree char *id = g_strdup_printf("s%04u", i);
        g_autoptr(MsGradeParams) params = ms_exercise_params(ex, id);
        const char *tpl = i % 2 == 0 ? mistakes[0] : mistakes[1 + (i / 2) % 3];
        g_autofree char *text = ms_exercise_fill(ex, params, tpl);
        g_autofree char *name = g_strdup_printf("%s.txt", id);
        char *path = g_build_filename(dir, name, NULL);
        g_file_set_contents(path, text, -1, NULL);
        g_ptr_array_add(paths, path);
    }
    double best = 1e9;
    double mean = 0;
    guint full = 0;
    for (int rep = 0; rep < REPEATS; rep++) {
        MsGradeBatchOptions o = { .lang = "en" };
        gint64 t0 = g_get_monotonic_time();
        GPtrArray *results =
            ms_grade_batch(ex, (const char *const *) paths->pdata, paths->len, &o);
        double s = (double) (g_get_monotonic_time() - t0) / 1e6;
        best = MIN(best, s);
        mean = 0;
        full = 0;
        for (guint i = 0; i < results->len; i++) {
            const MsGradeResult *r = g_ptr_array_index(results, i);
            mean += r->score / results->len;
            full += r->score >= r->max_score - 1e-9;
        }
        g_ptr_array_unref(results);
    }
    for (guint i = 0; i < paths->len; i++)
        g_remove(paths->pdata[i]);
    g_rmdir(dir);
    g_ptr_array_unref(paths);
    printf("grading: %d smtp-send submissions, one worker per core (%u cores), "
           "mean score %.2f, %u at full marks\n",
           N_STUDENTS, g_get_num_processors(), mean, full);
    printf("best of %d runs: %.2f s (%.1f ms per submission)\n", REPEATS, best,
           best * 1000.0 / N_STUDENTS);
    printf("target: under %.1f s: %s\n", TARGET_SECONDS, best < TARGET_SECONDS ? "met" : "NOT met");
    return 0;
}
