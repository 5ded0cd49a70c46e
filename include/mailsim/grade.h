/* grade.h - exercises and the grading of student submissions.
 *
 * An exercise (scenarios/exercises/NAME.exercise, docs/exercises.md) names or
 * embeds a scenario, says what a student submits, shows the student
 * instructions (en and zh), may declare per-student parameters, and holds a
 * rubric: named checks with points, feedback for pass and fail, and a
 * visibility.  Grading a submission runs the exercise's scenario (with the
 * student's parameters and, for a dialogue, the student's typed lines played
 * by a telnet action through the real server engine), then applies the
 * checks to the run's trace only: the grader never looks into engines.
 *
 * The seam for other kinds of submission
 * ---------------------------------------
 * Every check reads an MsGradeRun: a trace, the connection that carries the
 * student's dialogue (0 when none), the student's reply predictions and
 * answers.  A dialogue submission's run comes from replaying it in the
 * simulator; a client *program* submission is run against the exercise's
 * server opened on free loopback ports by live mode (`mailsim serve`,
 * which records real sockets into the same trace records), and its
 * MsGradeRun is made from that recorded trace: the rubric, the checks, the
 * feedback and the output formats are the same (sim/grade/program.c).
 */
#pragma once

#include <glib.h>
#include "mailsim/scenario.h"
#include "mailsim/trace.h"

G_BEGIN_DECLS

/* What a student hands in. */
#define MS_GRADE_KINDS(X)                          \
    X(MS_GRADE_DIALOGUE, "dialogue")               \
    X(MS_GRADE_ANSWERS, "answers")                 \
    X(MS_GRADE_SCENARIO, "scenario")               \
    X(MS_GRADE_PROGRAM, "program")

#define MS_GRADE_ENUM_(e, s) e,
typedef enum { MS_GRADE_KINDS(MS_GRADE_ENUM_) MS_GRADE_N_KINDS } MsGradeKind;
#undef MS_GRADE_ENUM_

const char *ms_grade_kind_name(MsGradeKind kind);

/* When a student sees a check's result (Gradescope's "visibility"). */
#define MS_GRADE_VISIBILITIES(X)                   \
    X(MS_GRADE_VISIBLE, "visible")                 \
    X(MS_GRADE_AFTER_DUE, "after_due_date")        \
    X(MS_GRADE_AFTER_PUBLISHED, "after_published") \
    X(MS_GRADE_HIDDEN, "hidden")

#define MS_GRADE_ENUM_(e, s) e,
typedef enum { MS_GRADE_VISIBILITIES(MS_GRADE_ENUM_) MS_GRADE_N_VISIBILITIES } MsGradeVisibility;
#undef MS_GRADE_ENUM_

const char *ms_grade_visibility_name(MsGradeVisibility v);

/* ---- Exercises ------------------------------------------------------------ */

typedef struct MsExercise MsExercise;

/* Reads and validates an exercise (transfer full): its syntax, its
 * scenario (built with every parameter at its default and at its extremes),
 * and its rubric against the scenario.  On failure returns NULL with every
 * error as "file:line:column: error: ..." (MS_ERROR_SCENARIO). */
MsExercise *ms_exercise_load(const char *path, GError **error);
MsExercise *ms_exercise_parse(const char *text, gsize len, const char *path, GError **error);
void ms_exercise_free(MsExercise *ex);

const char *ms_exercise_id(const MsExercise *ex);    /* the file's stem */
const char *ms_exercise_path(const MsExercise *ex);
MsGradeKind ms_exercise_kind(const MsExercise *ex);
const char *ms_exercise_title(const MsExercise *ex, const char *lang);
double ms_exercise_max_score(const MsExercise *ex);
/* The file a folder submission is read from ("dialogue.txt", ...). */
const char *ms_exercise_submission_file(const MsExercise *ex);
/* The model solution's path ('model' in the exercise), or NULL. */
const char *ms_exercise_model(const MsExercise *ex);
/* Where the exercise names it (line 0 when it does not). */
MsLoc ms_exercise_model_loc(const MsExercise *ex);

/* A student's parameter values: derived from a hash of the exercise id and
 * the student id (NULL: every parameter at its default), the same on every
 * machine.  Ordered as declared; "name" -> "value" (transfer full). */
typedef struct {
    GPtrArray *names;  /* char* */
    GPtrArray *values; /* char* */
} MsGradeParams;

MsGradeParams *ms_exercise_params(const MsExercise *ex, const char *student);
void ms_grade_params_free(MsGradeParams *params);
const char *ms_grade_params_get(const MsGradeParams *params, const char *name);

/* The instructions for a student, parameters filled in (transfer full). */
char *ms_exercise_instructions(const MsExercise *ex, const MsGradeParams *params,
                               const char *lang);
/* text with each ${name} replaced by the parameter's value (a model
 * solution may use them); NULL when a name is not a parameter (transfer
 * full). */
char *ms_exercise_fill(const MsExercise *ex, const MsGradeParams *params, const char *text);
/* What `mailsim exercise show` prints: title, instructions with the
 * student's values (the defaults for NULL), what to submit, and for a
 * scenario exercise the scenario to start from (transfer full). */
char *ms_exercise_show(const MsExercise *ex, const char *student, const char *lang);
/* The scenario text for these parameters (transfer full). */
char *ms_exercise_scenario_text(const MsExercise *ex, const MsGradeParams *params);

/* ---- Results -------------------------------------------------------------- */

#define MS_GRADE_STATUSES(X)                       \
    X(MS_GRADE_PASSED, "passed")                   \
    X(MS_GRADE_PARTIAL, "partial")                 \
    X(MS_GRADE_FAILED, "failed")

#define MS_GRADE_ENUM_(e, s) e,
typedef enum { MS_GRADE_STATUSES(MS_GRADE_ENUM_) MS_GRADE_N_STATUSES } MsGradeStatus;
#undef MS_GRADE_ENUM_

const char *ms_grade_status_name(MsGradeStatus s);

/* One check of the rubric, graded. */
typedef struct {
    char *id;          /* the check's name in the exercise ("helo-first") */
    char *name;        /* its title in the language of the run */
    double score;
    double max_score;
    MsGradeStatus status;
    char *output;      /* feedback: the author's text plus what was found */
    MsGradeVisibility visibility;
} MsGradeTest;

/* One student's result. */
typedef struct {
    char *student;     /* the id: the submission's name without extension */
    char *exercise;    /* the exercise id */
    double score;
    double max_score;
    char *error;       /* NULL, or why the submission could not be graded
                        * as submitted (too large, binary, ...): every
                        * check then fails */
    char *transcript;  /* the replayed dialogue, CR and LF made visible;
                        * NULL when there is none */
    MsGradeParams *params;
    GPtrArray *tests;  /* MsGradeTest*, in rubric order */
} MsGradeResult;

void ms_grade_result_free(MsGradeResult *result);

/* ---- Grading -------------------------------------------------------------- */

typedef struct {
    const char *lang;      /* "en" (default) or "zh": feedback and titles */
    const MsGradeParams *params; /* NULL: the student's own, from their id;
                                  * else these (for `exercise check|solve`) */
    const char *student;   /* ms_grade_submission: the student id, instead
                            * of the file's name (an autograder's one
                            * submission folder); NULL: from the name */
    double time_limit;     /* a program submission: seconds of wall-clock
                            * and of CPU time it may run; 0: 10 */
    guint64 memory_limit;  /* a program submission: bytes of address space
                            * it may take; 0: 1 GiB */
    gboolean crlf_typed;   /* a dialogue: every line is sent with CRLF, as
                            * telnet sends Enter, whatever line ends the
                            * file has (the crlf rule still reads the
                            * file's); FALSE: each with its own */
} MsGradeOptions;

/* Grades one submission file or folder in this process (transfer full;
 * never NULL: a broken submission is a failing result). */
MsGradeResult *ms_grade_submission(const MsExercise *ex, const char *path,
                                   const MsGradeOptions *options);
/* The same for a submission already in memory (student id given). */
MsGradeResult *ms_grade_text(const MsExercise *ex, const char *student, const char *text,
                             gsize len, const MsGradeOptions *options);
/* The student id of a submission path: its last component without the
 * extension (transfer full). */
char *ms_grade_student_id(const char *path);

/* What the checks read (see "The seam" above).  All fields borrowed. */
typedef struct {
    const MsTrace *trace;
    guint conn;              /* the student's dialogue connection, 0: none */
    GPtrArray *predictions;  /* char*: per typed line, the predicted reply
                              * lines ("" when none); NULL: no predictions */
    GHashTable *answers;     /* name -> value text; NULL: none */
    GArray *file_ends;       /* MsScLineEnd: per typed line, the end it has
                              * in the file, when it was sent with CRLF
                              * instead (crlf_typed); NULL: sent as in the
                              * file */
} MsGradeRun;

/* Applies the rubric to a run (transfer full). */
MsGradeResult *ms_grade_run_evaluate(const MsExercise *ex, const char *student,
                                     const MsGradeParams *params, const MsGradeRun *run,
                                     const MsGradeOptions *options);

/* The values the exercise's answer checks expect for these parameters, as
 * "name = value unit" lines (transfer full); NULL with error when the
 * scenario does not run. */
char *ms_exercise_solve(const MsExercise *ex, const MsGradeParams *params, GError **error);

/* ---- Batches --------------------------------------------------------------- */

typedef struct {
    const char *lang;
    guint jobs;            /* parallel workers; 0: one per core */
    guint shard_k;         /* grade only the submissions whose position i
                            * (in sorted order, from 0) has i % shard_n ==
                            * shard_k - 1; shard_n 0: all */
    guint shard_n;
    double time_limit;     /* seconds of CPU per submission; 0: 10 */
    const char *student;   /* the id of the one submission (see
                            * MsGradeOptions.student); NULL: its name */
    guint64 memory_limit;  /* bytes of address space per submission; 0: 1 GiB */
    gboolean crlf_typed;   /* see MsGradeOptions */
} MsGradeBatchOptions;

/* Grades every submission, each in its own process with limits, in
 * parallel; the results come back in the order of paths (sorted by the
 * caller), byte-identical whatever the number of workers (transfer full:
 * MsGradeResult*). */
GPtrArray *ms_grade_batch(const MsExercise *ex, const char *const *paths, guint n_paths,
                          const MsGradeBatchOptions *options);

/* ---- Output formats ------------------------------------------------------- */

#define MS_GRADE_FORMATS(X)                        \
    X(MS_GRADE_FMT_TEXT, "text")                   \
    X(MS_GRADE_FMT_GRADESCOPE, "gradescope")       \
    X(MS_GRADE_FMT_PRAIRIELEARN, "prairielearn")   \
    X(MS_GRADE_FMT_JUNIT, "junit")                 \
    X(MS_GRADE_FMT_TAP, "tap")                     \
    X(MS_GRADE_FMT_CSV, "csv")                     \
    X(MS_GRADE_FMT_RESULTS, "results")

#define MS_GRADE_ENUM_(e, s) e,
typedef enum { MS_GRADE_FORMATS(MS_GRADE_ENUM_) MS_GRADE_N_FORMATS } MsGradeFormat;
#undef MS_GRADE_ENUM_

const char *ms_grade_format_name(MsGradeFormat f);
gboolean ms_grade_format_parse(const char *name, MsGradeFormat *out);

/* One student's report in a format (transfer full).  "results" is
 * mailsim's own JSON, what --merge reads back. */
char *ms_grade_format_one(const MsGradeResult *result, MsGradeFormat format, const char *lang);
/* The whole class in a format: text (every student, then the class
 * summary), junit, tap, csv, results (transfer full). */
char *ms_grade_format_class(const GPtrArray *results, MsGradeFormat format, const char *lang);
/* The class summary: mean, median, distribution, the checks most often
 * failed (transfer full). */
char *ms_grade_class_summary(const GPtrArray *results, const char *lang);

/* Reads back the "results" format (one file of a --shard run) (transfer
 * full: MsGradeResult*), appending to results. */
gboolean ms_grade_results_read(const char *text, gsize len, const char *file, GPtrArray *results,
                               GError **error);
/* Reads the results files of the parts of one class and merges them, in
 * student order (transfer full: MsGradeResult*).  NULL with error when a
 * file cannot be read (MS_ERROR_IO) or is not a results file, or when the
 * files are not parts of one class: a result of another exercise, or with
 * other checks, than the first file's, or a student in two parts
 * (MS_ERROR_PARSE, naming the file and what was expected). */
GPtrArray *ms_grade_results_merge(const char *const *files, guint n_files, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsExercise, ms_exercise_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsGradeResult, ms_grade_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsGradeParams, ms_grade_params_free)

G_END_DECLS
