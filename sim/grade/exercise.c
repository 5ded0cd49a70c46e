/* exercise.c - reads an exercise file (docs/exercises.md).
 *
 * The file is line-oriented like a scenario and is cut into statements by
 * the scenario module's lexer; its statements are read with the same token
 * cursor, so an error reads "file:line:column: error: expected ..., found
 * ...".  A scenario may be embedded between 'begin scenario' and 'end
 * scenario': those lines are kept, in place, as the scenario's text (every
 * other line blanked), so the scenario's own errors point at the exercise's
 * lines too.  Checks are blocks from 'check NAME ...' to 'end', read by
 * rubric.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grade/grade-private.h"
#include "scenario/scenario-private.h"

static const char *const kind_names[] = {
#define MS_GRADE_NAME_(e, s) s,
    MS_GRADE_KINDS(MS_GRADE_NAME_)
#undef MS_GRADE_NAME_
};

const char *ms_grade_kind_name(MsGradeKind kind)
{
    g_return_val_if_fail(kind < MS_GRADE_N_KINDS, "?");
    return kind_names[kind];
}

static const char *const visibility_names[] = {
#define MS_GRADE_NAME_(e, s) s,
    MS_GRADE_VISIBILITIES(MS_GRADE_NAME_)
#undef MS_GRADE_NAME_
};

const char *ms_grade_visibility_name(MsGradeVisibility v)
{
    g_return_val_if_fail(v < MS_GRADE_N_VISIBILITIES, "?");
    return visibility_names[v];
}

const char *ms_grade_pick(char *const texts[2], const char *lang)
{
    const char *t = texts[LANG_INDEX(lang)];
    return t != NULL ? t : texts[0];
}



static void exercise_free_fields(MsExercise *ex)
{
    g_free(ex->path);
    g_free(ex->id);
    g_free(ex->dir);
    for (int i = 0; i < 2; i++) {
        g_free(ex->title[i]);
        if (ex->instructions[i] != NULL)
            g_string_free(ex->instructions[i], TRUE);
    }
    g_free(ex->host);
    g_free(ex->server);
    g_free(ex->file);
    g_free(ex->run);
    g_clear_pointer(&ex->params, g_ptr_array_unref);
    g_free(ex->scenario);
    g_free(ex->scenario_file);
    g_free(ex->model);
    g_clear_pointer(&ex->checks, g_ptr_array_unref);
}

void ms_exercise_free(MsExercise *ex)
{
    if (ex == NULL)
        return;
    exercise_free_fields(ex);
    g_free(ex);
}

const char *ms_exercise_id(const MsExercise *ex) { return ex->id; }
const char *ms_exercise_path(const MsExercise *ex) { return ex->path; }
MsGradeKind ms_exercise_kind(const MsExercise *ex) { return ex->kind; }
double ms_exercise_max_score(const MsExercise *ex) { return ex->max_score; }
const char *ms_exercise_model(const MsExercise *ex) { return ex->model; }
MsLoc ms_exercise_model_loc(const MsExercise *ex) { return ex->model_loc; }

const char *ms_exercise_title(const MsExercise *ex, const char *lang)
{
    const char *t = ms_grade_pick(ex->title, lang);
    return t != NULL ? t : ex->id;
}

const char *ms_exercise_submission_file(const MsExercise *ex)
{
    if (ex->file != NULL)
        return ex->file;
    switch (ex->kind) {
    case MS_GRADE_ANSWERS: return "answers.txt";
    case MS_GRADE_SCENARIO: return "scenario.mss";
    case MS_GRADE_PROGRAM: return "client.py";
    default: return "dialogue.txt";
    }
}

/* ---- Statements ------------------------------------------------------------- */

/* 'en' or 'zh', then a string.  Returns the index, -1 after an error. */
int ms_grade_read_lang_text(GradeReader *r, MsScCursor *c, const char **text_out)
{
    static const char *const langs[] = { "en", "zh", NULL };
    int i = ms_sc_read_choice(c, langs, " (the language of the text)");
    if (i < 0)
        return -1;
    MsScToken *tok = ms_sc_take(c);
    if (tok == NULL || tok->kind != MS_SC_TOK_STRING) {
        ms_sc_fail_expected(c, tok, "a text in double quotes");
        return -1;
    }
    if (strstr(tok->text, "${") != NULL) {
        TextHole h = { ms_sc_loc_of(c, tok), g_strdup(tok->text) };
        g_array_append_val(r->holes, h);
    }
    *text_out = tok->text;
    return i;
}

void ms_grade_set_once(MsScCursor *c, char **slot, const char *text, MsLoc loc, const char *what)
{
    if (*slot != NULL) {
        ms_sc_fail(c, loc, "%s is given twice", what);
        return;
    }
    *slot = g_strdup(text);
}

static void parse_title(GradeReader *r, MsScCursor *c, char **slots)
{
    const char *text = NULL;
    MsLoc loc = ms_sc_loc_of(c, ms_sc_peek(c));
    int i = ms_grade_read_lang_text(r, c, &text);
    if (i < 0 || !ms_sc_expect_end(c, "title"))
        return;
    (void) r;
    ms_grade_set_once(c, &slots[i], text, loc, i == 0 ? "the English title" : "the Chinese title");
}

static void parse_submit(GradeReader *r, MsScCursor *c, MsLoc kw)
{
    MsExercise *ex = r->ex;
    if (r->saw_submit) {
        ms_sc_fail(c, kw, "'submit' is given twice");
        return;
    }
    r->saw_submit = TRUE;
    static const char *const kinds[] = { "dialogue", "answers", "scenario", "program", NULL };
    int k = ms_sc_read_choice(c, kinds, " (what the student submits)");
    if (k < 0)
        return;
    ex->kind = (MsGradeKind) k;
    static const char *const opts[] = { "from", "to", "port", "at", "file", "run", NULL };
    MsLoc seen[G_N_ELEMENTS(opts)] = { { 0, 0 } };
    for (;;) {
        int o = ms_sc_next_option(c, opts, seen, 0, "submit statement");
        if (o < 0)
            break;
        MsScToken *tok = NULL;
        guint64 port = 0;
        switch (o) {
        case 0:
            tok = ms_sc_expect_host(c, "the host the student types on, such as alice-pc");
            if (tok != NULL)
                ex->host = g_strdup(tok->text);
            break;
        case 1:
            tok = ms_sc_expect_host(c, "the server the student connects to");
            if (tok != NULL)
                ex->server = g_strdup(tok->text);
            break;
        case 2:
            if (ms_sc_read_whole(c, 1, 65535, "a port such as 25", &port))
                ex->port = (guint) port;
            break;
        case 3:
            ms_sc_read_duration(c, &ex->at, NULL);
            break;
        case 4:
            tok = ms_sc_expect_text(c, "a file name such as dialogue.txt");
            if (tok != NULL)
                ex->file = g_strdup(tok->text);
            break;
        case 5:
            tok = ms_sc_expect_text(c, "the command a program is handed to, such as "
                                       "\"python3 -\"");
            if (tok != NULL) {
                g_auto(GStrv) words = NULL;
                if (!g_shell_parse_argv(tok->text, NULL, &words, NULL)) {
                    ms_sc_fail(c, ms_sc_loc_of(c, tok),
                               "expected a command such as \"python3 -\", found '%s'",
                               tok->text);
                    return;
                }
                ex->run = g_strdup(tok->text);
            }
            break;
        default:
            break;
        }
        if (c->failed)
            return;
    }
    if (c->failed)
        return;
    if (ex->kind == MS_GRADE_DIALOGUE && (ex->host == NULL || ex->server == NULL)) {
        ms_sc_fail(c, kw, "a dialogue submission needs 'from HOST to SERVER' (where the "
                          "student types, and which server answers)");
        return;
    }
    if (ex->kind == MS_GRADE_PROGRAM) {
        if (ex->server == NULL || ex->host != NULL) {
            ms_sc_fail(c, kw, "a program submission needs 'to SERVER' (the server it talks "
                              "to), and no 'from': it runs on this machine");
            return;
        }
        if (ex->port == 0)
            ex->port = 25;
        if (ms_grade_program_service(ex->port) < 0) {
            ms_sc_fail(c, kw, "a program talks to port 25 or 587 (SMTP), 110 (POP3), 143 "
                              "(IMAP) or 80 (HTTP), not %u",
                       ex->port);
            return;
        }
        g_auto(GStrv) command = ms_grade_program_command(ex);
        if (command == NULL) {
            ms_sc_fail(c, kw, "say how the program is run: 'file NAME.py' or 'file NAME.sh', "
                              "or 'run \"COMMAND\"' (the program's text comes on its "
                              "standard input)");
            return;
        }
        return;
    }
    if (ex->run != NULL) {
        ms_sc_fail(c, kw, "'run' is for program submissions only");
        return;
    }
    if (ex->kind != MS_GRADE_DIALOGUE && (ex->host != NULL || ex->server != NULL)) {
        ms_sc_fail(c, kw, "'from' and 'to' are for dialogue submissions only");
        return;
    }
    if (ex->kind == MS_GRADE_DIALOGUE && ex->port == 0)
        ex->port = 25;
}

/* "40ms" -> 40 and "ms"; "2.5" -> 2.5 and "".  Digits with one optional
 * point, then a unit of letters (or 'µ'); a number too large for a double
 * (some 310 digits) is none: infinity would make a range of NaN values. */
gboolean ms_grade_split_number(const char *text, double *value_out, char **unit_out,
                             int *decimals_out)
{
    const char *p = text;
    if (*p == '-')
        p++;
    const char *digits = p;
    int decimals = -1;
    while (g_ascii_isdigit(*p) || (*p == '.' && decimals < 0)) {
        if (*p == '.')
            decimals = 0;
        else if (decimals >= 0)
            decimals++;
        p++;
    }
    if (p == digits || (p == digits + 1 && *digits == '.'))
        return FALSE;
    for (const char *u = p; *u != '\0'; u++) {
        if (!g_ascii_isalpha(*u) && (guchar) *u < 0x80)
            return FALSE;
    }
    g_autofree char *num = g_strndup(text, (gsize) (p - text));
    double value = g_ascii_strtod(num, NULL);
    if (!isfinite(value))
        return FALSE;
    *value_out = value;
    *unit_out = g_strdup(p);
    *decimals_out = decimals < 0 ? 0 : decimals;
    return TRUE;
}

gboolean ms_grade_name_ok(const char *name)
{
    if (!g_ascii_isalpha(name[0]))
        return FALSE;
    for (const char *p = name; *p != '\0'; p++) {
        if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-')
            return FALSE;
    }
    return TRUE;
}

guint ms_grade_find_choice(const GPtrArray *choices, const char *text, gboolean any_case)
{
    for (guint i = 0; i < choices->len; i++) {
        const char *v = g_ptr_array_index(choices, i);
        if (any_case ? g_ascii_strcasecmp(v, text) == 0 : strcmp(v, text) == 0)
            return i;
    }
    return choices->len;
}

gboolean ms_grade_add_choice(MsScCursor *c, GPtrArray *choices, GArray *locs,
                             const MsScToken *tok, gboolean any_case, const char *what)
{
    guint first = ms_grade_find_choice(choices, tok->text, any_case);
    if (first < choices->len) {
        MsLoc at = g_array_index(locs, MsLoc, first);
        g_autofree char *q = ms_sc_quote(tok->text);
        ms_sc_fail(c, tok->loc, "expected %s, found '%s' again (first at %u:%u)", what, q,
                   at.line, at.column);
        return FALSE;
    }
    g_ptr_array_add(choices, g_strdup(tok->text));
    g_array_append_val(locs, tok->loc);
    return TRUE;
}

static void parse_param(GradeReader *r, MsScCursor *c)
{
    MsScToken *name = ms_sc_expect_text(c, "a parameter name such as latency");
    if (name == NULL)
        return;
    if (!ms_grade_name_ok(name->text)) {
        ms_sc_fail(c, name->loc, "a parameter name is letters, digits, '_' and '-', "
                                 "starting with a letter");
        return;
    }
    for (guint i = 0; i < r->ex->params->len; i++) {
        GradeParam *o = g_ptr_array_index(r->ex->params, i);
        if (strcmp(o->name, name->text) == 0) {
            ms_sc_fail(c, name->loc, "parameter '%s' is declared twice (first at %u:%u)",
                       name->text, o->loc.line, o->loc.column);
            return;
        }
    }
    GradeParam *pa = g_new0(GradeParam, 1);
    pa->name = g_strdup(name->text);
    pa->loc = name->loc;
    pa->choices = g_ptr_array_new_with_free_func(g_free);
    pa->unit = g_strdup("");
    static const char *const kinds[] = { "range", "choice", NULL };
    int k = ms_sc_read_choice(c, kinds, " (how the values are chosen)");
    if (k < 0) {
        ms_grade_param_free(pa);
        return;
    }
    pa->kind = k == 0 ? PARAM_RANGE : PARAM_CHOICE;
    if (pa->kind == PARAM_RANGE) {
        const char *what[3] = { "the lowest value, such as 10ms", "the highest value",
                                "'step' and the step, such as 'step 5ms'" };
        double v[3] = { 0, 0, 0 };
        for (int i = 0; i < 3 && !c->failed; i++) {
            if (i == 2) {
                MsScToken *kw = ms_sc_take(c);
                if (!ms_sc_is_word(kw, "step")) {
                    ms_sc_fail_expected(c, kw, what[2]);
                    break;
                }
            }
            MsScToken *tok = ms_sc_expect_text(c, what[i]);
            if (tok == NULL)
                break;
            g_autofree char *unit = NULL;
            int decimals = 0;
            if (!ms_grade_split_number(tok->text, &v[i], &unit, &decimals)) {
                ms_sc_fail(c, tok->loc, "expected a number with an optional unit, such as "
                                        "40ms or 1500, found '%s'", tok->text);
                break;
            }
            if (i == 0) {
                g_free(pa->unit);
                pa->unit = g_steal_pointer(&unit);
            } else if (strcmp(unit, pa->unit) != 0) {
                ms_sc_fail(c, tok->loc, "expected the unit '%s' of the lowest value, "
                                        "found '%s'", pa->unit, tok->text);
                break;
            }
            pa->decimals = MAX(pa->decimals, decimals);
        }
        pa->low = v[0];
        pa->high = v[1];
        pa->step = v[2];
        if (!c->failed && (pa->step <= 0 || pa->high < pa->low)) {
            ms_sc_fail(c, pa->loc, "a range needs lowest <= highest and a step above 0");
        } else if (!c->failed && (pa->high - pa->low) / pa->step > 1e6) {
            ms_sc_fail(c, pa->loc, "a range may have at most a million values");
        }
    } else {
        /* Where each value was given, for a value given twice: it would
         * come to students twice as often as the others, and look like a
         * slip for another value to the one who wrote it. */
        g_autoptr(GArray) locs = g_array_new(FALSE, FALSE, sizeof(MsLoc));
        while (!c->failed && ms_sc_peek(c) != NULL && !ms_sc_is_word(ms_sc_peek(c), "default")) {
            MsScToken *tok = ms_sc_take(c);
            if (!ms_sc_is_text(tok)) {
                ms_sc_fail_expected(c, tok, "a value (a word or a text in double quotes)");
                break;
            }
            if (!ms_grade_add_choice(c, pa->choices, locs, tok, FALSE,
                                     "each value of a choice once"))
                break;
        }
        if (!c->failed && pa->choices->len == 0)
            ms_sc_fail_expected(c, ms_sc_peek(c), "at least one value to choose from");
    }
    if (!c->failed && ms_sc_is_word(ms_sc_peek(c), "default")) {
        ms_sc_take(c);
        MsScToken *tok = ms_sc_expect_text(c, "the default value");
        if (tok != NULL)
            pa->def = g_strdup(tok->text);
    }
    if (c->failed || !ms_sc_expect_end(c, "param")) {
        ms_grade_param_free(pa);
        return;
    }
    if (pa->def == NULL) {
        if (pa->kind == PARAM_CHOICE)
            pa->def = g_strdup(g_ptr_array_index(pa->choices, 0));
        else
            pa->def = g_strdup_printf("%.*f%s", pa->decimals, pa->low, pa->unit);
    }
    g_ptr_array_add(r->ex->params, pa);
}

/* A scenario is a page or two of text: a file much larger is not one. */
#define MAX_SCENARIO_BYTES (1024 * 1024)

/* The scenario file an exercise names (transfer full): a regular file of at
 * most MAX_SCENARIO_BYTES.  An exercise is untrusted, and the name it gives
 * may be a device or a pipe (/dev/zero, /dev/stdin), which would fill the
 * memory or wait for ever; NULL then, with why in *why_out (transfer
 * full). */
static char *read_scenario_file(const char *path, char **why_out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        *why_out = g_strdup(g_strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        *why_out = g_strdup(g_strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        *why_out = g_strdup(S_ISDIR(st.st_mode) ? "it is a folder, not a file"
                                                : "it is not a regular file");
        close(fd);
        return NULL;
    }
    GString *text = g_string_new(NULL);
    char chunk[8192];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *why_out = g_strdup(g_strerror(errno));
            break;
        }
        if (n == 0)
            break;
        g_string_append_len(text, chunk, n);
        if (text->len > MAX_SCENARIO_BYTES) {
            *why_out = g_strdup_printf("it is larger than %d bytes, which no scenario is",
                                       MAX_SCENARIO_BYTES);
            break;
        }
    }
    close(fd);
    if (*why_out != NULL) {
        g_string_free(text, TRUE);
        return NULL;
    }
    return g_string_free(text, FALSE);
}

static void parse_scenario_file(GradeReader *r, MsScCursor *c, MsLoc kw)
{
    MsScToken *tok = ms_sc_expect_text(c, "the scenario file, such as \"smtp-send.mss\"");
    if (tok == NULL || !ms_sc_expect_end(c, "scenario"))
        return;
    if (r->scenario_loc.line != 0) {
        ms_sc_fail(c, kw, "the scenario is given twice (first at %u:%u)", r->scenario_loc.line,
                   r->scenario_loc.column);
        return;
    }
    r->scenario_loc = kw;
    g_autofree char *path = g_path_is_absolute(tok->text)
                                ? g_strdup(tok->text)
                                : g_build_filename(r->ex->dir, tok->text, NULL);
    g_autofree char *why = NULL;
    char *text = read_scenario_file(path, &why);
    if (text == NULL) {
        /* The name as written, quoted: it may hold a line end or a control
         * character, and the message is one line that says where. */
        g_autofree char *q = ms_sc_quote(tok->text);
        ms_sc_fail(c, tok->loc, "cannot read the scenario '%s': %s", q, why);
        return;
    }
    r->ex->scenario = text;
    r->ex->scenario_file = g_steal_pointer(&path);
}

static void parse_instructions(GradeReader *r, MsScCursor *c)
{
    const char *text = NULL;
    int i = ms_grade_read_lang_text(r, c, &text);
    if (i < 0 || !ms_sc_expect_end(c, "instructions"))
        return;
    GString **s = &r->ex->instructions[i];
    if (*s == NULL)
        *s = g_string_new(NULL);
    g_string_append(*s, text);
    g_string_append_c(*s, '\n');
}

static void parse_model(GradeReader *r, MsScCursor *c)
{
    MsScToken *tok = ms_sc_expect_text(c, "the model solution's file");
    if (tok == NULL || !ms_sc_expect_end(c, "model"))
        return;
    g_free(r->ex->model);
    r->ex->model_loc = ms_sc_loc_of(c, tok);
    r->ex->model = g_path_is_absolute(tok->text) ? g_strdup(tok->text)
                                                 : g_build_filename(r->ex->dir, tok->text, NULL);
}

static void parse_statement(GradeReader *r, MsScStatement *st)
{
    MsScCursor cur = { &r->p, st, 0, FALSE };
    MsScCursor *c = &cur;
    if (st->broken)
        return;
    MsScToken *kw = ms_sc_take(c);
    if (kw == NULL)
        return;
    if (r->check != NULL) {
        if (kw->kind != MS_SC_TOK_WORD) {
            ms_sc_fail_expected(c, kw, "a line of a check");
            return;
        }
        ms_grade_parse_check_line(r, c, kw);
        return;
    }
    static const char *const keywords[] = { "title", "submit", "param", "scenario",
                                            "instructions", "model", "check", NULL };
    int k = -1;
    for (int i = 0; kw->kind == MS_SC_TOK_WORD && keywords[i] != NULL; i++) {
        if (strcmp(kw->text, keywords[i]) == 0)
            k = i;
    }
    switch (k) {
    case 0: parse_title(r, c, r->ex->title); break;
    case 1: parse_submit(r, c, kw->loc); break;
    case 2: parse_param(r, c); break;
    case 3: parse_scenario_file(r, c, kw->loc); break;
    case 4: parse_instructions(r, c); break;
    case 5: parse_model(r, c); break;
    case 6: ms_grade_parse_check_head(r, c, kw->loc); break;
    default: ms_sc_fail_choice(c, kw, keywords, " at the start of a statement"); break;
    }
}

/* ---- The embedded scenario ------------------------------------------------- */

static gboolean line_is(const char *line, gsize n, const char *a, const char *b)
{
    g_autofree char *s = g_strndup(line, n);
    g_auto(GStrv) words = g_strsplit_set(g_strstrip(s), " \t\r", -1);
    guint k = 0;
    const char *want[2] = { a, b };
    for (guint i = 0; words[i] != NULL; i++) {
        if (*words[i] == '\0')
            continue;
        if (k >= 2 || strcmp(words[i], want[k]) != 0)
            return FALSE;
        k++;
    }
    return k == 2;
}

/* Splits text into the exercise's own lines (out_ex) and the embedded
 * scenario's (out_sc), each the size of the whole with the other's lines
 * blanked, so both keep the file's line numbers. */
static void split_embedded(GradeReader *r, const char *text, gsize len, GString *out_ex,
                           GString *out_sc, gboolean *found_out)
{
    gboolean inside = FALSE;
    MsLoc begin = { 0, 0 };
    guint line = 1;
    *found_out = FALSE;
    for (gsize i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        gsize n = nl != NULL ? (gsize) (nl - (text + i)) : len - i;
        const char *s = text + i;
        gboolean is_begin = !inside && line_is(s, n, "begin", "scenario");
        gboolean is_end = inside && line_is(s, n, "end", "scenario");
        if (is_begin) {
            if (r->scenario_loc.line != 0 || *found_out) {
                ms_sc_diag(&r->p.diags, (MsLoc) { line, 1 },
                           "the scenario is given twice");
            }
            inside = TRUE;
            *found_out = TRUE;
            begin = (MsLoc) { line, 1 };
            r->scenario_loc = begin;
        } else if (is_end) {
            inside = FALSE;
        } else if (inside) {
            g_string_append_len(out_sc, s, (gssize) n);
        } else {
            g_string_append_len(out_ex, s, (gssize) n);
        }
        if (nl != NULL) {
            g_string_append_c(out_ex, '\n');
            g_string_append_c(out_sc, '\n');
        }
        i += n + (nl != NULL ? 1 : 0);
        line++;
    }
    if (inside)
        ms_sc_diag(&r->p.diags, begin, "'begin scenario' is never closed by 'end scenario'");
}

/* ---- Checking the whole ------------------------------------------------------ */

/* The scenario must parse with every parameter set the students may get;
 * the dialogue's hosts must be in it. */
static void validate_scenario(GradeReader *r)
{
    MsExercise *ex = r->ex;
    g_autoptr(GPtrArray) sets = ms_grade_param_sets(ex);
    for (guint s = 0; s < sets->len; s++) {
        const MsGradeParams *params = g_ptr_array_index(sets, s);
        gsize bad = 0;
        g_autofree char *text = ms_grade_substitute(ex->scenario, params, &bad);
        if (text == NULL) {
            /* Count the line and column of the unknown ${name}. */
            guint line = 1;
            gsize start = 0;
            for (gsize i = 0; i < bad; i++) {
                if (ex->scenario[i] == '\n') {
                    line++;
                    start = i + 1;
                }
            }
            g_autofree char *name = g_strndup(ex->scenario + bad,
                                              strcspn(ex->scenario + bad, "}\n"));
            ms_sc_diag(&r->p.diags, (MsLoc) { line, (guint) (bad - start + 1) },
                       "'%s}' is not a parameter of the exercise (declare it with 'param')",
                       name);
            return;
        }
        g_autoptr(GError) err = NULL;
        g_autoptr(MsScenario) sc = ms_scenario_parse_string(text, -1, ex->scenario_file, &err);
        if (sc == NULL) {
            /* The scenario's own messages already hold file:line:column. */
            GString *msg = g_string_new(err->message);
            if (s > 0) {
                g_string_append(msg, "\n  (with the parameters");
                for (guint i = 0; i < params->names->len; i++)
                    g_string_append_printf(msg, " %s=%s",
                                           (char *) g_ptr_array_index(params->names, i),
                                           (char *) g_ptr_array_index(params->values, i));
                g_string_append(msg, ")");
            }
            /* Reported as is, outside the sorted diagnostics. */
            ms_sc_diag(&r->p.diags, (MsLoc) { 0, 0 }, "\x01%s", msg->str);
            g_string_free(msg, TRUE);
            return;
        }
        if (ex->kind == MS_GRADE_PROGRAM && ms_scenario_find_server(sc, ex->server) == NULL) {
            ms_sc_diag(&r->p.diags, r->scenario_loc,
                       "the scenario has no server '%s' for the program to connect to",
                       ex->server);
            return;
        }
        if (ex->kind == MS_GRADE_DIALOGUE) {
            if (ms_scenario_find_agent(sc, ex->host) == NULL) {
                ms_sc_diag(&r->p.diags, r->scenario_loc,
                           "the scenario has no agent '%s' for the student to type on", ex->host);
                return;
            }
            if (ms_scenario_find_server(sc, ex->server) == NULL) {
                ms_sc_diag(&r->p.diags, r->scenario_loc,
                           "the scenario has no server '%s' for the student to connect to",
                           ex->server);
                return;
            }
        }
    }
}

/* The names a text gives in ${...} are parameters; loc is where the text
 * starts, and an unknown name is pointed at where it is in the text (as
 * written when nothing before it in the text is escaped). */
static void check_names(GradeReader *r, const MsGradeParams *defaults, const char *text, MsLoc loc,
                        gboolean quoted)
{
    if (text == NULL)
        return;
    gsize bad = 0;
    g_autofree char *s = ms_grade_substitute(text, defaults, &bad);
    if (s == NULL) {
        g_autofree char *name = g_strndup(text + bad, strcspn(text + bad, "}\n"));
        MsLoc at = loc;
        if (quoted && memchr(text, '\n', bad) == NULL)
            at.column += (guint) g_utf8_strlen(text, (gssize) bad) + 1;
        ms_sc_diag(&r->p.diags, at, "'%s}' is not a parameter of the exercise (declare it "
                                    "with 'param')", name);
    }
}

static void validate_checks(GradeReader *r)
{
    MsExercise *ex = r->ex;
    g_autoptr(MsGradeParams) defaults = ms_exercise_params(ex, NULL);
    /* Titles, instructions, pass and fail texts, each where it was written. */
    for (guint i = 0; i < r->holes->len; i++) {
        const TextHole *h = &g_array_index(r->holes, TextHole, i);
        check_names(r, defaults, h->text, h->loc, TRUE);
    }
    for (guint i = 0; i < ex->checks->len; i++) {
        Check *ck = g_ptr_array_index(ex->checks, i);
        ex->max_score += ck->points;
        for (guint j = 0; j < ck->preds->len; j++) {
            Pred *p = g_ptr_array_index(ck->preds, j);
            check_names(r, defaults, p->subject, p->loc, FALSE);
            check_names(r, defaults, p->sender, p->loc, FALSE);
            gboolean dialogue_only = p->kind == PRED_RULE || p->kind == PRED_REPLY ||
                                     p->kind == PRED_PREDICTIONS || p->kind == PRED_TYPED ||
                                     p->kind == PRED_ORDER;
            if (dialogue_only && ex->kind != MS_GRADE_DIALOGUE && ex->kind != MS_GRADE_PROGRAM)
                ms_sc_diag(&r->p.diags, p->loc, "this check reads a typed dialogue, and the "
                                                "exercise's submission is %s",
                           ms_grade_kind_name(ex->kind));
            if (p->kind == PRED_ANSWER && ex->kind != MS_GRADE_ANSWERS)
                ms_sc_diag(&r->p.diags, p->loc, "'answer' checks need 'submit answers'");
            if (p->kind != PRED_ANSWER && ex->kind == MS_GRADE_ANSWERS)
                ms_sc_diag(&r->p.diags, p->loc, "an answers exercise grades answers only: "
                                                "use 'answer NAME ...'");
        }
    }
}

static void text_hole_clear(gpointer p)
{
    g_free(((TextHole *) p)->text);
}

MsExercise *ms_exercise_parse(const char *text, gsize len, const char *path, GError **error)
{
    GradeReader r = { 0 };
    ms_sc_diags_init(&r.p.diags);
    r.holes = g_array_new(FALSE, FALSE, sizeof(TextHole));
    g_array_set_clear_func(r.holes, text_hole_clear);
    g_autoptr(MsExercise) ex = g_new0(MsExercise, 1);
    r.ex = ex;
    ex->path = g_strdup(path);
    g_autofree char *base = g_path_get_basename(path);
    char *dot = strrchr(base, '.');
    if (dot != NULL && dot != base)
        *dot = '\0';
    ex->id = g_strdup(base);
    ex->dir = g_path_get_dirname(path);
    ex->params = g_ptr_array_new_with_free_func(ms_grade_param_free);
    ex->checks = g_ptr_array_new_with_free_func(ms_grade_check_free);

    GString *own = g_string_sized_new(len);
    GString *embedded = g_string_sized_new(len);
    gboolean found = FALSE;
    split_embedded(&r, text, len, own, embedded, &found);
    if (found) {
        ex->scenario = g_string_free(embedded, FALSE);
        ex->scenario_file = g_strdup(path);
    } else {
        g_string_free(embedded, TRUE);
    }
    GPtrArray *statements = ms_sc_lex(own->str, own->len, &r.p.diags);
    g_string_free(own, TRUE);
    for (guint i = 0; i < statements->len && !ms_sc_diags_full(&r.p.diags); i++)
        parse_statement(&r, g_ptr_array_index(statements, i));
    g_ptr_array_unref(statements);
    if (r.check != NULL) {
        ms_sc_diag(&r.p.diags, r.check_loc, "this check is never closed by 'end'");
        g_clear_pointer(&r.check, ms_grade_check_free);
    }
    MsLoc top = { 1, 1 };
    if (!r.saw_submit)
        ms_sc_diag(&r.p.diags, top, "the exercise says nothing about what is submitted: "
                                    "add 'submit dialogue|answers|scenario|program ...'");
    if (ex->scenario == NULL)
        ms_sc_diag(&r.p.diags, top, "the exercise has no scenario: add 'scenario \"FILE\"' "
                                    "or a 'begin scenario' ... 'end scenario' block");
    if (ex->title[0] == NULL || ex->title[1] == NULL)
        ms_sc_diag(&r.p.diags, top, "the exercise needs a title in English and in Chinese "
                                    "('title en \"...\"' and 'title zh \"...\"')");
    if (ex->instructions[0] == NULL || ex->instructions[1] == NULL)
        ms_sc_diag(&r.p.diags, top, "the exercise needs instructions in English and in "
                                    "Chinese ('instructions en \"...\"', 'instructions zh')");
    if (ex->checks->len == 0)
        ms_sc_diag(&r.p.diags, top, "the exercise has no checks ('check NAME points N' ... "
                                    "'end')");
    if (ms_sc_diags_count(&r.p.diags) == 0) {
        validate_checks(&r);
        if (ex->scenario != NULL && ms_sc_diags_count(&r.p.diags) == 0)
            validate_scenario(&r);
    }
    if (ms_sc_diags_count(&r.p.diags) > 0) {
        g_autofree char *msg = ms_sc_diags_format(&r.p.diags, path);
        /* A scenario's error list is already formatted: unwrap it. */
        GString *out = g_string_new(NULL);
        g_auto(GStrv) lines = g_strsplit(msg, "\n", -1);
        for (guint i = 0; lines[i] != NULL; i++) {
            const char *mark = strstr(lines[i], "\x01");
            g_string_append(out, mark != NULL ? mark + 1 : lines[i]);
            if (lines[i + 1] != NULL)
                g_string_append_c(out, '\n');
        }
        g_set_error_literal(error, MS_ERROR, MS_ERROR_SCENARIO, out->str);
        g_string_free(out, TRUE);
        ms_sc_diags_clear(&r.p.diags);
        g_array_unref(r.holes);
        return NULL;
    }
    ms_sc_diags_clear(&r.p.diags);
    g_array_unref(r.holes);
    return g_steal_pointer(&ex);
}

MsExercise *ms_exercise_load(const char *path, GError **error)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    g_autoptr(GError) err = NULL;
    if (!g_file_get_contents(path, &text, &len, &err)) {
        g_set_error(error, MS_ERROR, MS_ERROR_IO, "%s: cannot read the exercise: %s", path,
                    err->message);
        return NULL;
    }
    return ms_exercise_parse(text, len, path, error);
}
