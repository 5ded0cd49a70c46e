/* cmd_grade.c - `mailsim grade EXERCISE SUBMISSION...` and
 * `mailsim grade --merge RESULTS...`: a class graded in parallel, reported
 * for the teaching assistant and written for autograders.
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "mailsim/grade.h"
#include "mailsim/report.h"

static int compare_students(gconstpointer a, gconstpointer b)
{
    g_autofree char *x = ms_grade_student_id(*(const char *const *) a);
    g_autofree char *y = ms_grade_student_id(*(const char *const *) b);
    int c = strcmp(x, y);
    return c != 0 ? c : strcmp(*(const char *const *) a, *(const char *const *) b);
}

static gboolean parse_shard(const char *text, guint *k_out, guint *n_out)
{
    guint k = 0, n = 0;
    char tail = 0;
    if (text == NULL || sscanf(text, "%u/%u%c", &k, &n, &tail) != 2 || n == 0 || k == 0 ||
        k > n)
        return FALSE;
    *k_out = k;
    *n_out = n;
    return TRUE;
}

/* A student id as a folder name, one component of the path under
 * --results-dir whatever the id: never "." or "..", never empty, no '/'
 * (an id from --student may hold any of them; one from a file name only
 * the first three). */
static char *safe_dir_name(const char *student)
{
    if (*student == '\0' || strcmp(student, ".") == 0 || strcmp(student, "..") == 0)
        return g_strdup("_");
    return g_strdelimit(g_strdup(student), "/", '_');
}

/* Whether every submission is a student of its own: two with one id
 * (alice.txt and alice/) would be graded twice under one name, and every
 * format keyed by the id (Gradescope's and PrairieLearn's objects, the
 * results folders) would keep one of them without a word.  With
 * --results-dir two ids must not share a folder either ("." and "_"). */
static gboolean one_per_student(const GPtrArray *paths, const char *results_dir)
{
    g_autoptr(GHashTable) ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) dirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < paths->len; i++) {
        const char *path = g_ptr_array_index(paths, i);
        char *id = ms_grade_student_id(path);
        const char *other = g_hash_table_lookup(ids, id);
        if (other != NULL) {
            ms_cli_error("%s and %s are both student '%s'; expected one submission per "
                         "student (rename one of them, or grade each alone with --student ID)",
                         other, path, id);
            g_free(id);
            return FALSE;
        }
        g_hash_table_insert(ids, id, (gpointer) path);
        if (results_dir == NULL)
            continue;
        char *dir = safe_dir_name(id);
        other = g_hash_table_lookup(dirs, dir);
        if (other != NULL) {
            ms_cli_error("%s and %s would both be written to %s%c%s%cresults.json; expected a "
                         "folder per student (rename one of them)",
                         other, path, results_dir, G_DIR_SEPARATOR, dir, G_DIR_SEPARATOR);
            g_free(dir);
            return FALSE;
        }
        g_hash_table_insert(dirs, dir, (gpointer) path);
    }
    return TRUE;
}

static gboolean write_results_dir(const char *dir, const GPtrArray *results,
                                  MsGradeFormat format, const char *lang)
{
    MsGradeFormat per = format == MS_GRADE_FMT_PRAIRIELEARN ? format : MS_GRADE_FMT_GRADESCOPE;
    for (guint i = 0; i < results->len; i++) {
        const MsGradeResult *r = g_ptr_array_index(results, i);
        g_autofree char *name = safe_dir_name(r->student);
        g_autofree char *sub = g_build_filename(dir, name, NULL);
        if (g_mkdir_with_parents(sub, 0755) != 0) {
            ms_cli_error("cannot create %s: %s", sub, g_strerror(errno));
            return FALSE;
        }
        /* The platform's file, and the student's own report as text, to
         * hand back by any other way (mail, a course page). */
        const struct {
            const char *name;
            MsGradeFormat format;
        } files[] = { { "results.json", per }, { "feedback.txt", MS_GRADE_FMT_TEXT } };
        for (gsize k = 0; k < G_N_ELEMENTS(files); k++) {
            g_autofree char *file = g_build_filename(sub, files[k].name, NULL);
            g_autofree char *text = ms_grade_format_one(r, files[k].format, lang);
            g_autoptr(GError) err = NULL;
            if (!g_file_set_contents(file, text, -1, &err)) {
                ms_cli_error("%s", err->message);
                return FALSE;
            }
        }
    }
    return TRUE;
}

int ms_cli_grade(int argc, char **argv)
{
    int jobs = 0;
    g_autofree char *format_text = NULL;
    g_autofree char *results_dir = NULL;
    g_autofree char *lang = NULL;
    g_autofree char *shard = NULL;
    gboolean merge = FALSE;
    g_autofree char *student = NULL;
    double time_limit = 10;
    int memory_mb = 1024;
    g_autofree char *line_ends = NULL;
    GOptionEntry entries[] = {
        { "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs,
          "Grade N submissions at once (default: one per core)", "N" },
        { "format", 0, 0, G_OPTION_ARG_STRING, &format_text,
          "What to print: text (default), gradescope, prairielearn, junit, tap, csv or "
          "results (for --merge)",
          "FORMAT" },
        { "results-dir", 0, 0, G_OPTION_ARG_FILENAME, &results_dir,
          "Also write DIR/<student>/results.json (Gradescope's format, or PrairieLearn's with "
          "--format prairielearn) and DIR/<student>/feedback.txt (the student's report)",
          "DIR" },
        { "lang", 0, 0, G_OPTION_ARG_STRING, &lang, "Language of the feedback: en or zh",
          "LANG" },
        { "shard", 0, 0, G_OPTION_ARG_STRING, &shard,
          "Grade only part K of N of the submissions (in sorted order)", "K/N" },
        { "student", 0, 0, G_OPTION_ARG_STRING, &student,
          "The student id of the one submission (default: its name), as an autograder "
          "container knows it",
          "ID" },
        { "merge", 0, 0, G_OPTION_ARG_NONE, &merge,
          "Merge results files written with --format results (the arguments are those files)",
          NULL },
        { "time-limit", 0, 0, G_OPTION_ARG_DOUBLE, &time_limit,
          "CPU seconds one submission may take (default 10)", "SECONDS" },
        { "memory-limit", 0, 0, G_OPTION_ARG_INT, &memory_mb,
          "Memory one submission may take, in MiB (default 1024)", "MIB" },
        { "line-ends", 0, 0, G_OPTION_ARG_STRING, &line_ends,
          "A dialogue's lines are sent with the line ends they have in the file (file, the "
          "default) or all with CRLF, as telnet sends Enter (crlf: the crlf rule still reads "
          "the file's)",
          "file|crlf" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("EXERCISE SUBMISSION... | --merge RESULTS... - grade students' "
                             "work");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_summary(
        ctx, "A SUBMISSION is a file or a folder, one student each; the student id is its name "
             "without extension.\nPrints each student's checks, points and feedback and the "
             "class summary.\nExit status: 0 when grading worked, whatever the scores; 1 when "
             "the exercise (or a results file) is broken; 2 usage error.");
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        ms_cli_error("%s", error->message);
        return MS_EXIT_USAGE;
    }
    if (!ms_cli_lang(&lang))
        return MS_EXIT_USAGE;
    MsGradeFormat format = MS_GRADE_FMT_TEXT;
    if (format_text != NULL && !ms_grade_format_parse(format_text, &format)) {
        ms_cli_error("unknown --format '%s' (text, gradescope, prairielearn, junit, tap, csv, "
                     "results)",
                     format_text);
        return MS_EXIT_USAGE;
    }
    MsGradeBatchOptions opts = { .lang = lang, .time_limit = time_limit };
    if (jobs < 0 || jobs > 1024) {
        ms_cli_error("-j takes 0 (one job per processor) to 1024, not %d", jobs);
        return MS_EXIT_USAGE;
    }
    if (!(time_limit > 0 && time_limit <= 3600)) {
        ms_cli_error("--time-limit takes more than 0 and at most 3600 seconds, not %g",
                     time_limit);
        return MS_EXIT_USAGE;
    }
    if (memory_mb < 64) {
        ms_cli_error("--memory-limit takes at least 64 MiB, not %d", memory_mb);
        return MS_EXIT_USAGE;
    }
    if (line_ends != NULL && strcmp(line_ends, "crlf") != 0 && strcmp(line_ends, "file") != 0) {
        ms_cli_error("--line-ends takes file or crlf, not '%s'", line_ends);
        return MS_EXIT_USAGE;
    }
    opts.crlf_typed = line_ends != NULL && strcmp(line_ends, "crlf") == 0;
    opts.jobs = (guint) jobs;
    opts.memory_limit = (guint64) memory_mb << 20;
    if (shard != NULL && !parse_shard(shard, &opts.shard_k, &opts.shard_n)) {
        ms_cli_error("--shard takes K/N with 1 <= K <= N, such as 2/8, not '%s'", shard);
        return MS_EXIT_USAGE;
    }

    g_autoptr(GPtrArray) results = NULL;
    if (merge) {
        if (argc < 2) {
            ms_cli_error("--merge needs the results files to merge");
            return MS_EXIT_USAGE;
        }
        results = ms_grade_results_merge((const char *const *) argv + 1, (guint) argc - 1,
                                         &error);
        if (results == NULL) {
            ms_cli_error("%s", error->message);
            return MS_EXIT_FAILURE;
        }
    } else {
        if (argc < 3) {
            ms_cli_error("grade needs an exercise and at least one submission "
                         "(try 'mailsim grade --help')");
            return MS_EXIT_USAGE;
        }
        g_autoptr(MsExercise) ex = ms_exercise_load(argv[1], &error);
        if (ex == NULL) {
            fprintf(stderr, "%s\n", error->message);
            return MS_EXIT_FAILURE;
        }
        g_autoptr(GPtrArray) paths = g_ptr_array_new();
        for (int i = 2; i < argc; i++) {
            /* A roster's student who handed nothing in is listed with 0
             * points; the warning is there for a mistyped path. */
            GStatBuf st;
            if (g_stat(argv[i], &st) != 0)
                ms_cli_error("warning: cannot read %s: %s; graded as no submission (0 points)",
                             argv[i], g_strerror(errno));
            g_ptr_array_add(paths, argv[i]);
        }
        g_ptr_array_sort(paths, compare_students);
        if (student != NULL && paths->len != 1) {
            ms_cli_error("--student names the one submission; %u were given", paths->len);
            return MS_EXIT_USAGE;
        }
        if (!one_per_student(paths, results_dir))
            return MS_EXIT_USAGE;
        opts.student = student;
        results = ms_grade_batch(ex, (const char *const *) paths->pdata, paths->len, &opts);
    }
    if (results_dir != NULL && !write_results_dir(results_dir, results, format, lang))
        return MS_EXIT_FAILURE;
    g_autofree char *out = ms_grade_format_class(results, format, lang);
    fputs(out, stdout);
    return MS_EXIT_OK;
}
