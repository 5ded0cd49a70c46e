/* program.c - a program submission: the student's own client (a Python or
 * shell SMTP client, say) run against the exercise's server, graded from
 * what it did on the wire.
 *
 * The exercise's world is built as for any run, and its server's ports are
 * opened by live mode (the same engines as `mailsim serve`) on free
 * loopback ports: the kernel picks them, so any number of gradings at once
 * never meet on a port.  The program gets the address and the port as its
 * arguments and in MAILSIM_*_PORT variables, its text on standard input
 * ("python3 - 127.0.0.1 PORT"), and runs in its own process group with a
 * wall-clock, CPU, memory and output limit; a program that hangs or floods
 * its output costs its own limit and is stopped with its whole group.
 * Every line it sent and every reply is recorded in the world's trace, and
 * the trace is graded by the same checks as a typed dialogue.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <glib-unix.h>

#include "grade/grade-private.h"
#include "mailsim/live.h"
#include "mailsim/world.h"

/* Bytes a program may write to its standard output and error together. */
#define PROGRAM_MAX_OUTPUT (1024 * 1024)
/* Of which the report shows the first ones (a traceback, say). */
#define PROGRAM_SHOWN_OUTPUT 2048
#define PROGRAM_SHOWN_LINES 30
/* What the report keeps of the dialogue: a program in a loop (100,000
 * NOOPs and their replies, a message text of hundreds of thousands of
 * lines) made megabytes of report, bounded only by its time limit.  The
 * checks read the whole dialogue from the trace all the same. */
#define PROGRAM_DIALOGUE_LINES 1000
#define PROGRAM_DIALOGUE_BYTES (64 * 1024)
/* After the program ends, how long the server may take to see its
 * connections close (the kernel closes them at once; this is a bound). */
#define SETTLE_MS 2000
/* The live server's message size limit when the scenario sets none, as in
 * `mailsim serve`. */
#define PROGRAM_MAX_MESSAGE (10 * 1024 * 1024)
#define LOOPBACK "127.0.0.1"
/* How far the world may run on by itself once the program is done, and
 * how many events that may take. */
#define FINISH_SPAN (MS_DAY)
#define FINISH_MAX_EVENTS 10000000

int ms_grade_program_service(guint port)
{
    switch (port) {
    case 25:
    case 587: return MS_LIVE_SMTP;
    case 110: return MS_LIVE_POP3;
    case 143: return MS_LIVE_IMAP;
    case 80: return MS_LIVE_HTTP;
    default: return -1;
    }
}

char **ms_grade_program_command(const MsExercise *ex)
{
    char **words = NULL;
    if (ex->run != NULL)
        return g_shell_parse_argv(ex->run, NULL, &words, NULL) ? words : NULL;
    const char *file = ms_exercise_submission_file(ex);
    /* The interpreter reads the program from standard input ('-'). */
    if (g_str_has_suffix(file, ".py"))
        return g_strsplit("python3 -", " ", -1);
    if (g_str_has_suffix(file, ".sh"))
        return g_strsplit("sh -s", " ", -1);
    return NULL;
}

/* ---- Running the program ------------------------------------------------------ */

typedef struct {
    double seconds;      /* wall clock and CPU */
    guint64 memory;      /* address space */
} Limits;

typedef struct {
    GMainLoop *loop;
    GPid pid;
    gboolean exited;
    int status;
    gboolean timed_out;
    gboolean flooded;
    GString *shown;      /* the first PROGRAM_SHOWN_OUTPUT bytes of output */
    guint64 output;      /* bytes of output in all */
    const char *text;    /* the program, for its standard input */
    gsize len;
    gsize written;
    int in_fd, out_fd, err_fd;
    guint in_watch, out_watch, err_watch, timer, poll;
} Run;

/* In the child, between fork and exec: its own process group and limits
 * (the grader's own limits are not its: under AddressSanitizer the grader
 * has none on memory, but the program always has). */
static void child_setup(gpointer data)
{
    const Limits *l = data;
    setpgid(0, 0);
    rlim_t secs = (rlim_t) MAX(1.0, l->seconds + 0.999);
    struct rlimit cpu = { secs, secs + 1 };
    setrlimit(RLIMIT_CPU, &cpu);
    struct rlimit mem = { (rlim_t) l->memory, (rlim_t) l->memory };
    setrlimit(RLIMIT_AS, &mem);
    /* It talks on sockets and prints; it writes no file. */
    struct rlimit none = { 0, 0 };
    setrlimit(RLIMIT_FSIZE, &none);
    setrlimit(RLIMIT_CORE, &none);
    /* The signals the grader ignores are the program's to have as usual:
     * a write to a file ends it with SIGXFSZ, a write to a closed socket
     * with SIGPIPE. */
    signal(SIGXFSZ, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
}

static void stop_group(Run *run)
{
    if (run->pid > 0)
        kill(-run->pid, SIGKILL);
}

static void close_watch(guint *watch, int *fd)
{
    if (*watch != 0) {
        g_source_remove(*watch);
        *watch = 0;
    }
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static gboolean on_stdin(gint fd, GIOCondition cond, gpointer data)
{
    (void) cond;
    Run *run = data;
    while (run->written < run->len) {
        ssize_t n = write(fd, run->text + run->written, run->len - run->written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return G_SOURCE_CONTINUE;
        if (n <= 0)
            break; /* it stopped reading: its business */
        run->written += (gsize) n;
    }
    run->in_watch = 0;
    close(run->in_fd);
    run->in_fd = -1;
    return G_SOURCE_REMOVE;
}

/* Reads what the program printed: 1 when it read some, 0 when nothing is
 * there yet, -1 at the end (end of file, an error) or once it flooded. */
static int read_output(Run *run, int fd)
{
    char buf[16384];
    ssize_t n = read(fd, buf, sizeof buf);
    while (n < 0 && errno == EINTR)
        n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EAGAIN)
        return 0;
    if (n <= 0)
        return -1;
    run->output += (guint64) n;
    if (run->shown->len < PROGRAM_SHOWN_OUTPUT)
        g_string_append_len(run->shown, buf,
                            (gssize) MIN((gsize) n, PROGRAM_SHOWN_OUTPUT - run->shown->len));
    if (run->output > PROGRAM_MAX_OUTPUT && !run->flooded) {
        run->flooded = TRUE;
        stop_group(run);
    }
    return run->flooded ? -1 : 1;
}

static gboolean on_output(gint fd, GIOCondition cond, gpointer data)
{
    (void) cond;
    Run *run = data;
    if (read_output(run, fd) >= 0)
        return G_SOURCE_CONTINUE;
    if (fd == run->out_fd) {
        run->out_watch = 0;
        close(run->out_fd);
        run->out_fd = -1;
    } else {
        run->err_watch = 0;
        close(run->err_fd);
        run->err_fd = -1;
    }
    return G_SOURCE_REMOVE;
}

static gboolean on_timeout(gpointer data)
{
    Run *run = data;
    run->timer = 0;
    run->timed_out = TRUE;
    stop_group(run);
    return G_SOURCE_REMOVE;
}

/* Polled rather than a child watch: the grader may itself be a forked
 * worker, where GLib's child-watch machinery need not have survived the
 * fork. */
static gboolean on_poll_exit(gpointer data)
{
    Run *run = data;
    int status = 0;
    pid_t r = waitpid(run->pid, &status, WNOHANG);
    if (r == 0 || (r < 0 && errno == EINTR))
        return G_SOURCE_CONTINUE;
    run->exited = TRUE;
    run->status = status;
    /* What it left behind in its group goes with it. */
    kill(-run->pid, SIGKILL);
    run->poll = 0;
    g_main_loop_quit(run->loop);
    return G_SOURCE_REMOVE;
}

typedef struct {
    GMainLoop *loop;
    MsLive *live;
    gint64 until;
} Settle;

static gboolean on_settle(gpointer data)
{
    Settle *s = data;
    if (ms_live_sessions_open(s->live) == 0 || g_get_monotonic_time() >= s->until) {
        g_main_loop_quit(s->loop);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static char **program_env(const MsLive *live, const char *server, MsLiveService service)
{
    char **env = NULL;
    const char *path = g_getenv("PATH");
    env = g_environ_setenv(env, "PATH", path != NULL ? path : "/usr/local/bin:/usr/bin:/bin",
                           TRUE);
    env = g_environ_setenv(env, "HOME", g_get_tmp_dir(), TRUE);
    env = g_environ_setenv(env, "LANG", "C.UTF-8", TRUE);
    env = g_environ_setenv(env, "PYTHONDONTWRITEBYTECODE", "1", TRUE);
    env = g_environ_setenv(env, "PYTHONIOENCODING", "utf-8", TRUE);
    env = g_environ_setenv(env, "MAILSIM_HOST", LOOPBACK, TRUE);
    env = g_environ_setenv(env, "MAILSIM_SERVER", server, TRUE);
    for (guint i = 0; i < MS_LIVE_N_SERVICES; i++) {
        if (ms_live_port(live, i) == 0)
            continue;
        g_autofree char *name = g_strdup_printf("MAILSIM_%s_PORT", ms_live_service_name(i));
        g_autofree char *value = g_strdup_printf("%u", ms_live_port(live, i));
        env = g_environ_setenv(env, name, value, TRUE);
        if (i == service)
            env = g_environ_setenv(env, "MAILSIM_PORT", value, TRUE);
    }
    return env;
}

/* Starts the program and runs the main loop until it has ended (by itself
 * or stopped at a limit); FALSE with why when it cannot start. */
static gboolean run_program(Run *run, char **argv, char **env, const Limits *limits,
                            GError **error)
{
    if (!g_spawn_async_with_pipes(g_get_tmp_dir(), argv, env,
                                  G_SPAWN_SEARCH_PATH_FROM_ENVP | G_SPAWN_DO_NOT_REAP_CHILD,
                                  child_setup, (gpointer) limits, &run->pid, &run->in_fd,
                                  &run->out_fd, &run->err_fd, error))
        return FALSE;
    /* Also here, so the group exists whichever of the two runs first. */
    setpgid(run->pid, run->pid);
    g_unix_set_fd_nonblocking(run->in_fd, TRUE, NULL);
    g_unix_set_fd_nonblocking(run->out_fd, TRUE, NULL);
    g_unix_set_fd_nonblocking(run->err_fd, TRUE, NULL);
    run->in_watch = g_unix_fd_add(run->in_fd, G_IO_OUT | G_IO_ERR | G_IO_HUP, on_stdin, run);
    run->out_watch = g_unix_fd_add(run->out_fd, G_IO_IN | G_IO_ERR | G_IO_HUP, on_output, run);
    run->err_watch = g_unix_fd_add(run->err_fd, G_IO_IN | G_IO_ERR | G_IO_HUP, on_output, run);
    guint ms = (guint) MIN(limits->seconds * 1000.0, (double) G_MAXINT32);
    run->timer = g_timeout_add(MAX(ms, 1u), on_timeout, run);
    run->poll = g_timeout_add(10, on_poll_exit, run);
    g_main_loop_run(run->loop);
    /* Output still in the pipes after the exit is read now, up to the
     * limit; a grandchild that held them open is gone with the group. */
    while (run->out_fd >= 0 && read_output(run, run->out_fd) > 0) {
    }
    while (run->err_fd >= 0 && read_output(run, run->err_fd) > 0) {
    }
    close_watch(&run->out_watch, &run->out_fd);
    close_watch(&run->err_watch, &run->err_fd);
    close_watch(&run->in_watch, &run->in_fd);
    if (run->timer != 0) {
        g_source_remove(run->timer);
        run->timer = 0;
    }
    return TRUE;
}

/* ---- What it left behind ------------------------------------------------------ */

/* The pids of this process's children now (Linux: /proc/self/task/T/children). */
static GHashTable *children_now(void)
{
    GHashTable *pids = g_hash_table_new(NULL, NULL);
    g_autoptr(GDir) tasks = g_dir_open("/proc/self/task", 0, NULL);
    for (const char *t = tasks != NULL ? g_dir_read_name(tasks) : NULL; t != NULL;
         t = g_dir_read_name(tasks)) {
        g_autofree char *path = g_build_filename("/proc/self/task", t, "children", NULL);
        g_autofree char *text = NULL;
        if (!g_file_get_contents(path, &text, NULL, NULL))
            continue;
        g_auto(GStrv) words = g_strsplit_set(text, " \n", -1);
        for (guint i = 0; words[i] != NULL; i++) {
            guint64 pid = 0;
            if (g_ascii_string_to_unsigned(words[i], 10, 1, G_MAXINT32, &pid, NULL))
                g_hash_table_add(pids, GSIZE_TO_POINTER((gsize) pid));
        }
    }
    return pids;
}

/* A program may leave its process group (setsid) and live on after it
 * ends.  While it runs this process is a "subreaper": whatever the program
 * orphans becomes our child instead of init's, and is killed and reaped
 * here, with whatever it started in turn. */
typedef struct {
    gboolean on;
    int was;
    GHashTable *before; /* our children before the program started */
} Reaper;

static void reaper_start(Reaper *r)
{
    memset(r, 0, sizeof *r);
#if defined(__linux__) && defined(PR_SET_CHILD_SUBREAPER)
    if (prctl(PR_GET_CHILD_SUBREAPER, &r->was) != 0)
        r->was = 0;
    r->on = prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
    if (r->on)
        r->before = children_now();
#endif
}

static void reaper_sweep(Reaper *r)
{
    if (!r->on)
        return;
    /* Each round kills and reaps the orphans found; what they had started
     * is found in the next. */
    for (int round = 0; round < 100; round++) {
        g_autoptr(GHashTable) now = children_now();
        GHashTableIter it;
        gpointer key;
        guint killed = 0;
        g_hash_table_iter_init(&it, now);
        while (g_hash_table_iter_next(&it, &key, NULL)) {
            if (g_hash_table_contains(r->before, key))
                continue;
            pid_t pid = (pid_t) GPOINTER_TO_SIZE(key);
            kill(pid, SIGKILL);
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
            }
            killed++;
        }
        if (killed == 0)
            break;
    }
#if defined(__linux__) && defined(PR_SET_CHILD_SUBREAPER)
    prctl(PR_SET_CHILD_SUBREAPER, r->was);
#endif
    g_hash_table_unref(r->before);
    r->on = FALSE;
}

/* ---- Grading what it did ------------------------------------------------------ */

/* What the program handed on (mail for another domain of the world, say)
 * goes the rest of its way in simulated time, with its simulated delays:
 * the program's part is over, and nobody need wait for the real clock. */
static void finish_world(MsWorld *world)
{
    MsSim *sim = ms_world_sim(world);
    MsTime until = ms_time_add(ms_sim_now(sim), FINISH_SPAN);
    for (guint64 n = 0; n < FINISH_MAX_EVENTS; n++) {
        MsTime next = ms_sim_next_time(sim);
        if (next == MS_TIME_NEVER || next > until)
            break;
        ms_sim_step(sim);
    }
}

/* What happened to the program, as notes for its feedback: the first one
 * says why its dialogue may be cut short. */
static GPtrArray *program_notes(const Run *run, const Limits *limits, gboolean connected,
                                const char *service, const char *lang)
{
    GPtrArray *notes = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *secs = g_strdup_printf("%g", limits->seconds);
    if (run->flooded) {
        g_autofree char *n = g_strdup_printf("%u", PROGRAM_MAX_OUTPUT);
        g_ptr_array_add(notes, ms_grade_fmt(lang, N_("flooded: cut off after {1} bytes of "
                                                     "output"),
                                            n, NULL));
    } else if (run->timed_out) {
        g_ptr_array_add(notes, ms_grade_fmt(lang, N_("timed out after {1} s: the program was "
                                                     "stopped"),
                                            secs, NULL));
    } else if (WIFSIGNALED(run->status) && WTERMSIG(run->status) == SIGXCPU) {
        g_ptr_array_add(notes, ms_grade_fmt(lang, N_("used more than {1} s of CPU time: the "
                                                     "program was stopped"),
                                            secs, NULL));
    } else if (WIFSIGNALED(run->status) && WTERMSIG(run->status) == SIGXFSZ) {
        g_ptr_array_add(notes, g_strdup(ms_grade_tr(lang, N_("the program tried to write a "
                                                             "file, which it may not"))));
    } else if (WIFSIGNALED(run->status)) {
        g_autofree char *sig = g_strdup_printf("%d", WTERMSIG(run->status));
        g_autofree char *name = ms_grade_signal_name(WTERMSIG(run->status));
        g_ptr_array_add(notes, ms_grade_fmt(lang, N_("the program was killed by signal {1} "
                                                     "({2})"),
                                            sig, name, NULL));
    } else if (WIFEXITED(run->status) && WEXITSTATUS(run->status) != 0) {
        g_autofree char *st = g_strdup_printf("%d", WEXITSTATUS(run->status));
        g_ptr_array_add(notes, ms_grade_fmt(lang, N_("the program exited with status {1}"), st,
                                            NULL));
    }
    if (!connected) {
        g_autofree char *var = g_strdup_printf("MAILSIM_%s_PORT", service);
        g_ptr_array_insert(notes, 0,
                           ms_grade_fmt(lang, N_("never connected: the program did not open a "
                                                 "connection to the {1} port (its second "
                                                 "argument, and {2})"),
                                        service, var, NULL));
    }
    return notes;
}

/* Where the dialogue was cut, and why: line is the last one shown. */
static void append_dialogue_cut(GString *out, const char *msgid, guint line, const char *lang)
{
    g_autofree char *at = g_strdup_printf("%u", line);
    g_autofree char *lines = g_strdup_printf("%u", PROGRAM_DIALOGUE_LINES);
    g_autofree char *bytes = g_strdup_printf("%u", PROGRAM_DIALOGUE_BYTES);
    g_autofree char *say = ms_grade_fmt(lang, msgid, at, lines, bytes, NULL);
    g_string_append_printf(out, "-- %s\n", say);
}

/* Where to cut a shown line at `keep` or before it, so that no mark of
 * what is not text ("<U+202E>", "\\x1B", "\\r", "<no line end>") is cut
 * in two: a '<' with no '>' after it, or a '\\' too near the end, goes
 * with the rest (a '<' of the text itself is only a few octets early). */
static gsize whole_marks(const char *line, gsize start, gsize keep)
{
    gsize from = keep > start + 16 ? keep - 16 : start;
    for (gsize i = keep; i > from; i--) {
        char c = line[i - 1];
        if (c == '>')
            break;
        if (c == '<')
            return i - 1;
    }
    for (gsize i = keep; i > from && i + 4 > keep; i--) {
        if (line[i - 1] == '\\')
            return i - 1;
    }
    return keep;
}

/* The dialogue the program had (without times, which are the real
 * clock's) up to PROGRAM_DIALOGUE_LINES and _BYTES, what happened to it,
 * and the start of its output. */
static char *program_transcript(const Facts *f, const Run *run, GPtrArray *notes,
                                const char *lang)
{
    GString *out = g_string_new(NULL);
    guint typed = 0;
    for (guint i = 0; i < f->lines->len; i++) {
        if (i == PROGRAM_DIALOGUE_LINES || out->len >= PROGRAM_DIALOGUE_BYTES) {
            append_dialogue_cut(out, N_("the dialogue is cut here, after its line {1}: a "
                                        "program's dialogue is kept up to {2} lines and {3} "
                                        "bytes; the checks read all of it"),
                                i, lang);
            break;
        }
        const MsTraceRecord *r = g_ptr_array_index(f->lines, i);
        gsize start = out->len;
        g_string_append(out, r->dir == MS_DIR_CLIENT ? "C: " : "S: ");
        ms_grade_append_visible(out, r->text, r->eol);
        /* The lines are shown in the order the server read and answered
         * them; one sent before the reply shown above it was read says so,
         * as the rule on waiting for replies reads it. */
        if (r->dir == MS_DIR_CLIENT && g_array_index(f->early, gboolean, typed++))
            g_string_append_printf(out, "   %s",
                                   ms_grade_tr(lang, N_("(sent before the reply above was read)")));
        if (out->len > PROGRAM_DIALOGUE_BYTES) {
            /* A line past the bound is cut in it (at a character's
             * start: the text is UTF-8), so that a long one still shows
             * how it begins. */
            gsize keep = PROGRAM_DIALOGUE_BYTES;
            while (keep > start && ((guchar) out->str[keep] & 0xc0) == 0x80)
                keep--;
            keep = whole_marks(out->str, start, keep);
            g_string_truncate(out, keep);
            g_string_append_c(out, '\n');
            append_dialogue_cut(out, N_("the dialogue is cut here, inside its line {1}: a "
                                        "program's dialogue is kept up to {2} lines and {3} "
                                        "bytes; the checks read all of it"),
                                i + 1, lang);
            break;
        }
        g_string_append_c(out, '\n');
    }
    if (f->lines->len == 0)
        g_string_append_printf(out, "%s\n", ms_grade_tr(lang, N_("(no line was exchanged)")));
    for (guint i = 0; i < notes->len; i++)
        g_string_append_printf(out, "-- %s\n", (const char *) g_ptr_array_index(notes, i));
    if (run->output > 0) {
        g_autofree char *shown = g_strdup_printf("%u", (guint) MIN(run->shown->len,
                                                                    run->output));
        g_autofree char *head = NULL;
        if (run->flooded) {
            /* How far past the limit a flood got before it was stopped
             * depends on the real clock; the feedback says only what
             * every run of the same program would. */
            g_autofree char *limit = g_strdup_printf("%u", PROGRAM_MAX_OUTPUT);
            head = ms_grade_fmt(lang, N_("what the program printed (the first {1} of more "
                                         "than {2} bytes):"),
                                shown, limit, NULL);
        } else {
            g_autofree char *all = g_strdup_printf("%" G_GUINT64_FORMAT, run->output);
            head = ms_grade_fmt(lang, N_("what the program printed (the first {1} of {2} "
                                         "bytes):"),
                                shown, all, NULL);
        }
        g_string_append_printf(out, "-- %s\n", head);
        g_autofree char *valid = g_utf8_make_valid(run->shown->str, (gssize) run->shown->len);
        g_auto(GStrv) lines = g_strsplit(valid, "\n", -1);
        guint i = 0;
        for (; lines[i] != NULL && i < PROGRAM_SHOWN_LINES; i++) {
            if (lines[i + 1] == NULL && lines[i][0] == '\0')
                break;
            g_string_append_printf(out, "   | %s\n", lines[i]);
        }
        /* The byte count above is not the whole story when lines are left
         * out: say so. */
        if (i == PROGRAM_SHOWN_LINES && lines[i] != NULL &&
            !(lines[i + 1] == NULL && lines[i][0] == '\0')) {
            g_autofree char *n = g_strdup_printf("%u", PROGRAM_SHOWN_LINES);
            g_autofree char *more = ms_grade_fmt(lang, N_("(only its first {1} lines are "
                                                          "shown)"),
                                                 n, NULL);
            g_string_append_printf(out, "   | %s\n", more);
        }
    }
    return g_string_free(out, FALSE);
}

MsGradeResult *ms_grade_program(const MsExercise *ex, const char *student,
                                const MsGradeParams *params, const char *text, gsize len,
                                const MsGradeOptions *options)
{
    const char *lang = options != NULL && options->lang != NULL ? options->lang : "en";
    Limits limits = {
        .seconds = options != NULL && options->time_limit > 0 ? options->time_limit : 10,
        .memory = options != NULL && options->memory_limit > 0 ? options->memory_limit
                                                               : (G_GUINT64_CONSTANT(1) << 30),
    };
    g_autofree char *why = NULL;
    g_autoptr(MsScenario) sc = ms_grade_exercise_scenario(ex, params, &why);
    if (sc == NULL)
        return ms_grade_result_failing(ex, student, params, why, lang);
    MsScServer *exposed = (MsScServer *) ms_scenario_find_server(sc, ex->server);
    if (exposed == NULL)
        return ms_grade_result_failing(ex, student, params, "the exercise's server is missing",
                                       lang);
    /* As `mailsim serve` has it: web mail and a size limit. */
    exposed->webmail = TRUE;
    if (exposed->max_size == 0)
        exposed->max_size = PROGRAM_MAX_MESSAGE;
    g_autoptr(GError) err = NULL;
    g_autoptr(MsWorld) world = ms_world_new(sc, sc->seed, &err);
    if (world == NULL) {
        why = ms_grade_fmt(lang, N_("the simulation could not start: {1}"), err->message, NULL);
        return ms_grade_result_failing(ex, student, params, why, lang);
    }
    MsLiveConfig config;
    ms_live_config_init(&config);
    config.server = ex->server;
    config.listen = LOOPBACK;
    for (guint i = 0; i < MS_LIVE_N_SERVICES; i++)
        config.ports[i] = 0; /* free ports, picked by the kernel */
    /* A silent program is stopped at its time limit anyway. */
    config.limits.idle = (MsTime) (limits.seconds * (double) MS_SEC) + MS_SEC;
    MsLiveService service = (MsLiveService) ms_grade_program_service(ex->port);
    g_autoptr(MsLive) live = ms_live_new(world, &config, &err);
    if (live == NULL) {
        why = ms_grade_fmt(lang, N_("the simulation could not start: {1}"), err->message, NULL);
        return ms_grade_result_failing(ex, student, params, why, lang);
    }
    guint16 port = ms_live_port(live, service);

    g_auto(GStrv) command = ms_grade_program_command(ex);
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; command != NULL && command[i] != NULL; i++)
        g_ptr_array_add(argv, g_strdup(command[i]));
    g_ptr_array_add(argv, g_strdup(LOOPBACK));
    g_ptr_array_add(argv, g_strdup_printf("%u", port));
    g_ptr_array_add(argv, NULL);
    g_auto(GStrv) env = program_env(live, ex->server, service);

    /* A program that stops reading its standard input must not end the
     * grader with SIGPIPE. */
    struct sigaction ignore = { 0 }, old_pipe;
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, &old_pipe);
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    Run run = { .loop = loop, .shown = g_string_new(NULL), .text = text, .len = len,
                .in_fd = -1, .out_fd = -1, .err_fd = -1 };
    Reaper reaper;
    reaper_start(&reaper);
    gboolean started = run_program(&run, (char **) argv->pdata, env, &limits, &err);
    reaper_sweep(&reaper);
    if (started) {
        /* The kernel has closed the program's sockets: let the server read
         * that, and whatever arrived before it. */
        Settle settle = { loop, live, g_get_monotonic_time() + SETTLE_MS * 1000 };
        g_timeout_add(10, on_settle, &settle);
        g_main_loop_run(loop);
    }
    sigaction(SIGPIPE, &old_pipe, NULL);
    if (started)
        finish_world(world);
    ms_live_stop(live, "the program has ended");
    if (!started) {
        g_string_free(run.shown, TRUE);
        why = ms_grade_fmt(lang, N_("the program could not be started: {1}"), err->message,
                           NULL);
        return ms_grade_result_failing(ex, student, params, why, lang);
    }

    MsGradeRun grun = { 0 };
    grun.trace = ms_world_trace(world);
    grun.conn = ms_grade_find_conn(grun.trace, LOOPBACK, ex->server, port, 0);
    Facts *f = ms_grade_facts_new(&grun);
    f->params = params;
    MsGradeResult *res = ms_grade_evaluate(ex, student, params, f, lang);
    ms_report_lang_enter(lang);
    g_autoptr(GPtrArray) notes = program_notes(&run, &limits, grun.conn != 0,
                                               ms_live_service_name(service), lang);
    /* Each check it missed says what happened to the program. */
    for (guint i = 0; i < res->tests->len && notes->len > 0; i++) {
        MsGradeTest *t = g_ptr_array_index(res->tests, i);
        if (t->status == MS_GRADE_PASSED)
            continue;
        char *more = g_strdup_printf("%s\n%s", t->output,
                                     (const char *) g_ptr_array_index(notes, 0));
        g_free(t->output);
        t->output = more;
    }
    res->transcript = program_transcript(f, &run, notes, lang);
    ms_report_lang_leave(lang);
    ms_grade_facts_free(f);
    g_string_free(run.shown, TRUE);
    return res;
}
