/* grade-private.h - what the files of the grading module share.
 *
 * exercise.c reads an exercise into the structures below (with the scenario
 * module's lexer and token cursor, so errors look like a scenario's);
 * params.c derives a student's parameter values; submission.c reads a
 * submission under bounds; facts.c indexes a run's trace; checks.c applies
 * the rubric, with dialogue.c's predicates on the typed dialogue; grade.c
 * runs one submission; batch.c runs many in worker processes; result.c and
 * formats.c write the results.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "mailsim/grade.h"
#include "mailsim/scenario.h"

/* Marks a text for translation (xgettext's N_), as in sim/report. */
#ifndef N_
#define N_(s) (s)
#endif

/* ---- The exercise --------------------------------------------------------- */

typedef enum {
    PARAM_RANGE,  /* low..high by step, same unit */
    PARAM_CHOICE, /* one of several texts */
} ParamKind;

typedef struct {
    char *name;
    ParamKind kind;
    GPtrArray *choices; /* PARAM_CHOICE: char* */
    double low, high, step; /* PARAM_RANGE, in the unit as written */
    char *unit;         /* PARAM_RANGE: the suffix, "" when none */
    int decimals;       /* PARAM_RANGE: as many as the step was written with */
    char *def;          /* default value text */
    MsLoc loc;
} GradeParam;

/* What a quantity is computed from, for the answers' expected values. */
typedef enum {
    QTY_SUMMARY,  /* a value of the summary JSON, by path */
    QTY_RECORD,   /* the count of the index-th record with a note key */
    QTY_REPLY_TO, /* the code of the reply to the first command VERB */
} QuantityKind;

typedef struct {
    QuantityKind kind;
    char *path;   /* summary: "messages[0].deliveries[0].end_to_end_ns" */
    char *note;   /* record: "message.attachment" */
    guint index;  /* record: which one, from 0 */
    char *verb;   /* reply-to: "RCPT" */
} Quantity;

typedef enum {
    ANS_NUMBER,
    ANS_CHOICE,
    ANS_TOKEN,
} AnswerKind;

#define PRED_KINDS(X)                                   \
    X(PRED_RULE, "rule")                                \
    X(PRED_REPLY, "reply")                              \
    X(PRED_PREDICTIONS, "predictions")                  \
    X(PRED_TYPED, "typed")                              \
    X(PRED_ORDER, "order")                              \
    X(PRED_MAILBOX, "mailbox")                          \
    X(PRED_DELIVERED, "delivered")                      \
    X(PRED_BOUNCED, "bounced")                          \
    X(PRED_DOWNLOADED, "downloaded")                    \
    X(PRED_STORE, "store")                              \
    X(PRED_QUEUE, "queue")                              \
    X(PRED_CONNECTED, "connected")                      \
    X(PRED_ANSWER, "answer")

#define PRED_ENUM_(e, s) e,
typedef enum { PRED_KINDS(PRED_ENUM_) PRED_N_KINDS } PredKind;
#undef PRED_ENUM_

typedef enum { CMP_EQ, CMP_GE, CMP_LE } Cmp;

/* One predicate of a check. */
typedef struct {
    PredKind kind;
    gboolean negate;   /* written 'not ...' */
    MsLoc loc;
    char *word;        /* rule name; reply code; typed verb; mailbox,
                        * store, queue, downloaded: the address or host */
    char *verb;        /* reply: the command it answers ("DATA", ".") */
    GPtrArray *verbs;  /* order: char* */
    gboolean has_count;
    Cmp cmp;
    gint64 count;
    char *subject;     /* mailbox: a message with this subject */
    char *sender;      /* mailbox: a message from this envelope sender */
    char *after;       /* connected: ... after this host first did */
    /* answer */
    char *answer;      /* the answer's name */
    AnswerKind answer_kind;
    Quantity qty;
    char *unit;        /* number: the unit answers are in by default */
    double tol_abs;    /* in unit */
    double tol_rel;    /* fraction of the expected value */
    GPtrArray *choices; /* choice: allowed words (char*), may be empty */
    double min_fraction; /* predictions: needed to pass fully; default 1 */
} Pred;

typedef struct {
    char *id;
    char *title[2];    /* en, zh */
    char *pass[2];
    char *fail[2];
    double points;
    MsGradeVisibility visibility;
    GPtrArray *preds;  /* Pred* */
    MsLoc loc;
} Check;

struct MsExercise {
    char *path;
    char *id;
    char *dir;          /* files the exercise names are relative to it */
    char *title[2];
    MsGradeKind kind;
    /* submit: where a dialogue is typed */
    char *host;
    char *server;
    guint port;
    MsTime at;
    char *file;         /* the file of a folder submission */
    char *run;          /* program: the command its text is handed to on
                         * standard input ("python3 -"), NULL: by the
                         * file's extension */
    GPtrArray *params;  /* GradeParam* */
    GString *instructions[2];
    char *scenario;     /* template: ${name} for parameters */
    char *scenario_file; /* what scenario errors are reported against */
    char *model;        /* the model solution's path, or NULL */
    MsLoc model_loc;    /* where 'model' names it */
    GPtrArray *checks;  /* Check* */
    double max_score;
};

#define LANG_INDEX(lang) (((lang) != NULL && g_str_has_prefix((lang), "zh")) ? 1 : 0)
/* Between two things found: "; ", or the full-width "；" in Chinese. */
#define ms_grade_separator(lang) (LANG_INDEX(lang) ? "\xEF\xBC\x9B" : "; ")
/* The text in a language, English when it has none. */
const char *ms_grade_pick(char *const texts[2], const char *lang);

/* ---- Reading an exercise (exercise.c, rubric.c) ---------------------------- */

#include "scenario/scenario-private.h"

typedef struct {
    MsScParse p;        /* diagnostics, for the scenario module's cursor */
    MsExercise *ex;
    Check *check;       /* the check block being read */
    MsLoc check_loc;
    gboolean saw_submit;
    MsLoc scenario_loc; /* line 0: no scenario yet */
    MsLoc title_loc[2];
    GArray *holes;      /* TextHole: texts with ${...}, checked once params are known */
} GradeReader;

/* A text that names parameters, and where it was written. */
typedef struct {
    MsLoc loc;          /* of the text's opening quote */
    char *text;
} TextHole;

/* 'en' or 'zh', then a string: the index, -1 after an error.  A text with
 * ${...} in it is kept with its place, for its names to be checked. */
int ms_grade_read_lang_text(GradeReader *r, MsScCursor *c, const char **text_out);
void ms_grade_set_once(MsScCursor *c, char **slot, const char *text, MsLoc loc,
                       const char *what);
/* "40ms" -> 40 and "ms"; "2.5" -> 2.5 and "". */
gboolean ms_grade_split_number(const char *text, double *value_out, char **unit_out,
                               int *decimals_out);
/* Letters, digits, '_' and '-', starting with a letter. */
gboolean ms_grade_name_ok(const char *name);
/* The index of text among choices (in any ASCII case when any_case), or
 * choices->len when it is not one of them. */
guint ms_grade_find_choice(const GPtrArray *choices, const char *text, gboolean any_case);
/* Adds tok's text to choices, locs keeping where each was given; or, for a
 * text given before (in any case when any_case), fails at tok saying
 * "expected WHAT" ("each value of a choice once") and where the first one
 * was.  FALSE then. */
gboolean ms_grade_add_choice(MsScCursor *c, GPtrArray *choices, GArray *locs,
                             const MsScToken *tok, gboolean any_case, const char *what);
/* 'check NAME [points N] [visibility V]' opens r->check. */
void ms_grade_parse_check_head(GradeReader *r, MsScCursor *c, MsLoc kw);
/* A line inside a check block (title, pass, fail, a predicate, 'end'). */
void ms_grade_parse_check_line(GradeReader *r, MsScCursor *c, MsScToken *kw);

/* ---- Parameters (params.c) -------------------------------------------------- */

/* Replaces ${name} with the parameter's value; FALSE and the position of
 * the first unknown name (byte offset) when one is not a parameter. */
char *ms_grade_substitute(const char *text, const MsGradeParams *params, gsize *bad_out);
void ms_grade_param_free(gpointer p);
/* The parameter sets an exercise is validated with: the defaults, then
 * each parameter at its extremes (transfer full: MsGradeParams*). */
GPtrArray *ms_grade_param_sets(const MsExercise *ex);

/* ---- Submissions (submission.c) -------------------------------------------- */

/* Bounds on what a submission may be: larger ones are graded as failing. */
#define MS_GRADE_MAX_BYTES (1024 * 1024)
#define MS_GRADE_MAX_LINE 4096
#define MS_GRADE_MAX_LINES 5000

typedef struct {
    char *text;        /* without its line end */
    MsScLineEnd end;
    guint line;        /* in the submission, from 1 */
} TypedLine;

typedef struct {
    GPtrArray *typed;        /* TypedLine* */
    GPtrArray *predictions;  /* char*: per group (0: greeting, i: after the
                              * i-th typed line), lines joined by "\n" */
    gboolean has_predictions;
} Dialogue;

/* Reads at most MS_GRADE_MAX_BYTES + 1 bytes of a file (transfer full). */
char *ms_grade_read_bounded(const char *path, gsize *len_out, GError **error);
/* Checks the text is a submission at all: not too large, no NUL byte,
 * valid UTF-8, lines not too long nor too many.  FALSE and a message
 * ("line 3, column 7: ...") in *why_out otherwise. */
gboolean ms_grade_screen(const char *text, gsize len, const char *lang, char **why_out);
Dialogue *ms_grade_dialogue_parse(const char *text, gsize len, const char *lang,
                                  char **why_out);
void ms_grade_dialogue_free(Dialogue *d);
/* name -> value; FALSE with a message on a line that is not "name = value". */
GHashTable *ms_grade_answers_parse(const char *text, gsize len, const char *lang,
                                   char **why_out);

/* ---- The trace, indexed (facts.c) ----------------------------------------- */

/* A run as the checks see it: built once per run, one pass over the trace. */
typedef struct {
    const MsGradeRun *run;
    const MsGradeParams *params; /* the student's, for ${name} in checks */
    gboolean reveal;         /* the check being graded may show expected
                              * answers (it is not visible before the
                              * deadline) */
    GPtrArray *lines;        /* const MsTraceRecord*: the dialogue's lines */
    GPtrArray *typed;        /* const MsTraceRecord*: its client lines */
    GArray *early;           /* gboolean for each typed line: it came in
                              * before the server had answered the one
                              * before it (live mode's live.early) */
    GPtrArray *groups;       /* GPtrArray* of records: 0 = before the first
                              * typed line, i = the server's lines after
                              * the i-th typed line */
    const char *protocol;    /* of the dialogue connection */
    JsonNode *summary;       /* the summary JSON */
    GHashTable *deliveries;  /* mailbox address -> GPtrArray* of Delivery* */
    GHashTable *state_count; /* "mailbox:ADDR", "store:HOST", "queue:HOST" -> count */
    GHashTable *downloads;   /* host -> count of message.downloaded */
    GHashTable *connections; /* host -> count of connections it opened */
    GHashTable *first_open;  /* host -> MsTime* of its first connection */
    GHashTable *last_open;   /* host -> MsTime* of its last connection */
    guint bounces;
} Facts;

typedef struct {
    char *subject;    /* the Subject: header, NULL when none */
    char *sender;     /* the envelope sender (MAIL FROM), NULL when unknown */
} Delivery;

Facts *ms_grade_facts_new(const MsGradeRun *run);
void ms_grade_facts_free(Facts *f);
/* The verb of a client line, upper-cased ("" for a data line) (static
 * buffer-free: transfer full). */
char *ms_grade_verb_of(const MsTraceRecord *line);
/* A typed command line's text from its verb on (past leading spaces and an
 * IMAP tag); NULL for a line of a message text. */
const char *ms_grade_command_of(const MsTraceRecord *line);
gboolean ms_grade_is_data_line(const MsTraceRecord *line);
/* The status of the reply a group ends with: "250", "+OK", "OK"... (transfer
 * full), NULL when the group is empty. */
char *ms_grade_group_status(const Facts *f, guint group);
/* The line of group i's reply that holds its status (NULL: no reply). */
const MsTraceRecord *ms_grade_group_status_line(const Facts *f, guint group);
/* The value at a path of the summary; NULL when there is none (transfer
 * none). */
JsonNode *ms_grade_json_path(JsonNode *root, const char *path);
/* Finds the connection a dialogue typed from host to server:port opened at
 * or after `at`; 0 when none. */
guint ms_grade_find_conn(const MsTrace *trace, const char *host, const char *server, guint port,
                         MsTime at);

/* ---- Grading one run (grade.c) ---------------------------------------------- */

/* The exercise's scenario with these parameters; NULL and why otherwise. */
MsScenario *ms_grade_exercise_scenario(const MsExercise *ex, const MsGradeParams *params,
                                       char **why_out);
/* The rubric applied to an indexed run (transfer full). */
MsGradeResult *ms_grade_evaluate(const MsExercise *ex, const char *student,
                                 const MsGradeParams *params, Facts *f, const char *lang);
/* A line's text and its line end made visible: CR as \r, LF as \n. */
void ms_grade_append_visible(GString *out, const char *text, const char *eol);
/* A signal's name: "SIGSEGV", or "signal N" for one without a name here. */
char *ms_grade_signal_name(int sig);

/* ---- Program submissions (program.c) ------------------------------------------ */

/* The command a program's text is handed to (words, transfer full); NULL
 * when the file's extension says nothing and the exercise gives no 'run'. */
char **ms_grade_program_command(const MsExercise *ex);
/* The live service (MsLiveService) behind a simulated server's port: 25
 * and 587 SMTP, 110 POP3, 143 IMAP, 80 HTTP; -1 for any other. */
int ms_grade_program_service(guint port);
/* Runs the program against a live server of the exercise's scenario and
 * grades the dialogue it had (transfer full; never NULL). */
MsGradeResult *ms_grade_program(const MsExercise *ex, const char *student,
                                const MsGradeParams *params, const char *text, gsize len,
                                const MsGradeOptions *options);

/* ---- Checks (checks.c) ------------------------------------------------------ */

void ms_grade_pred_free(gpointer p);
void ms_grade_check_free(gpointer c);
/* Computes an answer's expected value on a run: a number (with its unit
 * family in *unit_out: "ns", "" ) or a text (transfer full); FALSE with a
 * message when the run has no such value. */
gboolean ms_grade_quantity(const Facts *f, const Quantity *q, double *number_out,
                           char **text_out, char **why_out);
/* The expected value of an answer predicate, formatted as an answer would
 * be written ("5025 ms", "push") (transfer full). */
char *ms_grade_expected_text(const Facts *f, const Pred *p, char **why_out);
/* Grades one check: fraction of its points earned in [0, 1], and what was
 * found (transfer full, in lang) in *detail_out. */
double ms_grade_check_eval(const Check *c, Facts *f, const char *lang, char **detail_out);
/* The words joined with sep between them (transfer full). */
char *ms_grade_join(const GPtrArray *words, const char *sep);

/* ---- Predicates on the typed dialogue (dialogue.c) -------------------------- */
/* Each earns a fraction in [0, 1] and appends what it found, in lang, to
 * out; ms_grade_check_eval() calls them when the dialogue reached the
 * server. */

/* 'rule NAME': one of the protocol rules rubric.c knows. */
double ms_grade_eval_rule(const Pred *p, const Facts *f, const char *lang, GString *out);
/* 'reply CODE to VERB' */
double ms_grade_eval_reply(const Pred *p, const Facts *f, const char *lang, GString *out);
/* 'typed VERB' */
double ms_grade_eval_typed(const Pred *p, const Facts *f, const char *lang, GString *out);
/* 'order VERB VERB ...' */
double ms_grade_eval_order(const Pred *p, const Facts *f, const char *lang, GString *out);
/* 'predictions [min PERCENT]': part of the points for part of the replies. */
double ms_grade_eval_predictions(const Pred *p, const Facts *f, const char *lang,
                                 GString *out);

/* ---- Units (units in answers) ------------------------------------------------ */

/* Scale of a unit to its family's base (ns for time, bytes for sizes),
 * the family in *family_out ("time", "size"); FALSE when unknown. */
gboolean ms_grade_unit(const char *unit, double *scale_out, const char **family_out);

/* ---- Words ------------------------------------------------------------------------
 * The feedback an author writes comes from the exercise (en and zh); what
 * the grader adds is English text marked N_() and translated through the
 * reports' gettext catalogue (po/zh_CN.po, sim/report/i18n.c), so one
 * catalogue and one test cover every word. */
#include "report/report-private.h"
#define ms_grade_tr ms_report_tr
#define ms_grade_fmt ms_report_format

/* ---- Results (result.c) ---------------------------------------------------------- */

MsGradeResult *ms_grade_result_new(const char *student, const char *exercise);
MsGradeTest *ms_grade_test_new(void);
void ms_grade_test_free(gpointer t);
/* The result failing every check with one message (transfer full). */
MsGradeResult *ms_grade_result_failing(const MsExercise *ex, const char *student,
                                       const MsGradeParams *params, const char *why,
                                       const char *lang);
/* mailsim's own JSON for one result, and back. */
JsonNode *ms_grade_result_to_json(const MsGradeResult *r);
MsGradeResult *ms_grade_result_from_json(JsonNode *node, GError **error);
MsGradeParams *ms_grade_params_new(void);
void ms_grade_params_add(MsGradeParams *p, const char *name, const char *value);
/* Shortest text of a score: "2", "1.5", "0.33". */
char *ms_grade_score_text(double score);
