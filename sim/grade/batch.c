/* batch.c - grading a class: one worker process per submission.
 *
 * Each submission is graded in a child process with limits on CPU time,
 * address space, file writes and the size of what it hands back, so a
 * submission that makes the simulator loop, allocate without end or crash
 * fails alone: the parent records "exceeded the time limit" (or what
 * happened) and goes on.  At most `jobs` children run at once; each hands
 * its result back as mailsim's results JSON on a pipe; results are stored
 * by the submission's position, so the output order and bytes never depend
 * on which child finished first.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "grade/grade-private.h"
#include "mailsim/core.h"

/* What a child may hand back: far more than any honest result. */
#define MAX_RESULT_BYTES (8u * 1024u * 1024u)

typedef struct {
    pid_t pid;
    int fd;
    guint index;
    GString *buf;
    gint64 started;     /* monotonic, microseconds */
    gboolean overflow;  /* handed back more than MAX_RESULT_BYTES */
    gboolean killed;    /* by the parent's wall-clock limit */
} Worker;

static void set_limit(int resource, rlim_t soft, rlim_t hard)
{
    struct rlimit rl = { soft, hard };
    setrlimit(resource, &rl);
}

static void write_all(int fd, const char *data, gsize len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        data += n;
        len -= (gsize) n;
    }
}

/* What a child that ends on a fatal error hands back instead of a result,
 * before the error's message. */
#define FATAL_MARK "\001fatal: "

/* In a child, a fatal error (GLib's "failed to allocate N bytes" above
 * all) is handed back to the parent, which says what went wrong; other
 * messages go where the parent's would. */

/* What grading one submission takes from the batch's options. */
static MsGradeOptions options_of(const MsGradeBatchOptions *o)
{
    return (MsGradeOptions) { .lang = o->lang, .student = o->student,
                              .time_limit = o->time_limit, .memory_limit = o->memory_limit,
                              .crlf_typed = o->crlf_typed };
}

static GLogWriterOutput child_log(GLogLevelFlags level, const GLogField *fields, gsize n,
                                  gpointer data)
{
    if (!(level & G_LOG_LEVEL_ERROR))
        return g_log_writer_default(level, fields, n, NULL);
    int fd = GPOINTER_TO_INT(data);
    write_all(fd, FATAL_MARK, strlen(FATAL_MARK));
    for (gsize i = 0; i < n; i++) {
        if (strcmp(fields[i].key, "MESSAGE") == 0 && fields[i].value != NULL) {
            gsize len = fields[i].length >= 0 ? (gsize) fields[i].length
                                              : strlen(fields[i].value);
            write_all(fd, fields[i].value, len);
        }
    }
    return G_LOG_WRITER_HANDLED;
}

G_GNUC_NORETURN static void child(const MsExercise *ex, const char *path,
                                  const MsGradeBatchOptions *o, int fd)
{
    g_log_set_writer_func(child_log, GINT_TO_POINTER(fd), NULL);
    /* A message on a standard error that is a file fails to be written
     * rather than ending the child (it may write no file). */
    signal(SIGXFSZ, SIG_IGN);
    double cpu = o->time_limit > 0 ? o->time_limit : 10;
    /* SIGXCPU at the limit, SIGKILL a second later should it be caught. */
    rlim_t secs = (rlim_t) MAX(1.0, cpu + 0.999);
    set_limit(RLIMIT_CPU, secs, secs + 1);
    set_limit(RLIMIT_CORE, 0, 0);
    /* Nothing to write but the pipe. */
    set_limit(RLIMIT_FSIZE, 0, 0);
#if !MS_UNDER_ASAN
    /* AddressSanitizer reserves terabytes of address space for its
     * shadow memory, so the limit only applies to ordinary builds. */
    rlim_t mem = (rlim_t) (o->memory_limit > 0 ? o->memory_limit : (1ull << 30));
    set_limit(RLIMIT_AS, mem, mem);
#endif
    MsGradeOptions go = options_of(o);
    MsGradeResult *r = ms_grade_submission(ex, path, &go);
    JsonNode *node = ms_grade_result_to_json(r);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_root(gen, node);
    gsize len = 0;
    char *text = json_generator_to_data(gen, &len);
    write_all(fd, text, len);
    close(fd);
    /* No clean-up: the process ends here, and exit handlers (the parent's
     * leak checks among them) are not the child's to run. */
    _exit(0);
}

static gboolean spawn(Worker *w, const MsExercise *ex, const char *path,
                      const MsGradeBatchOptions *o)
{
    int fds[2];
    if (pipe(fds) != 0)
        return FALSE;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return FALSE;
    }
    if (pid == 0) {
        close(fds[0]);
        child(ex, path, o, fds[1]);
    }
    close(fds[1]);
    w->pid = pid;
    w->fd = fds[0];
    w->buf = g_string_new(NULL);
    w->started = g_get_monotonic_time();
    w->overflow = FALSE;
    w->killed = FALSE;
    return TRUE;
}

static MsGradeResult *collect(Worker *w, const MsExercise *ex, const char *path,
                              const MsGradeBatchOptions *o)
{
    int status = 0;
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR) {
    }
    g_autofree char *student = o->student != NULL ? g_strdup(o->student)
                                                  : ms_grade_student_id(path);
    g_autofree char *why = NULL;
    if (w->overflow) {
        why = g_strdup(ms_grade_tr(o->lang, N_("grading it produced too much output")));
    } else if (w->killed || (WIFSIGNALED(status) && (WTERMSIG(status) == SIGXCPU ||
                                                      WTERMSIG(status) == SIGKILL))) {
        g_autofree char *secs = g_strdup_printf("%g", o->time_limit > 0 ? o->time_limit : 10);
        why = ms_grade_fmt(o->lang, N_("grading it exceeded the time limit ({1} s)"), secs, NULL);
    } else if (WIFSIGNALED(status) && g_str_has_prefix(w->buf->str, FATAL_MARK)) {
        const char *message = w->buf->str + strlen(FATAL_MARK);
        if (strstr(message, "failed to allocate") != NULL ||
            strstr(message, "out of memory") != NULL) {
            guint64 bytes = o->memory_limit > 0 ? o->memory_limit : G_GUINT64_CONSTANT(1) << 30;
            g_autofree char *mib = g_strdup_printf("%" G_GUINT64_FORMAT, bytes >> 20);
            why = ms_grade_fmt(o->lang, N_("grading it ran out of memory (more than {1} MiB; "
                                           "--memory-limit)"),
                               mib, NULL);
        } else {
            g_autofree char *valid = g_utf8_make_valid(message, -1);
            why = ms_grade_fmt(o->lang, N_("grading it stopped: {1}"), valid, NULL);
        }
    } else if (WIFSIGNALED(status)) {
        g_autofree char *sig = g_strdup_printf("%d", WTERMSIG(status));
        g_autofree char *name = ms_grade_signal_name(WTERMSIG(status));
        why = ms_grade_fmt(o->lang, N_("grading it stopped with signal {1} ({2})"), sig, name,
                           NULL);
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        g_autofree char *st = g_strdup_printf("%d", WEXITSTATUS(status));
        why = ms_grade_fmt(o->lang, N_("grading it failed (exit status {1})"), st, NULL);
    }
    MsGradeResult *r = NULL;
    if (why == NULL) {
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GError) err = NULL;
        if (json_parser_load_from_data(parser, w->buf->str, (gssize) w->buf->len, &err))
            r = ms_grade_result_from_json(json_parser_get_root(parser), &err);
        if (r == NULL)
            why = ms_grade_fmt(o->lang, N_("grading it gave no result ({1})"),
                               err != NULL ? err->message : "-", NULL);
    }
    if (r == NULL) {
        g_autoptr(MsGradeParams) params = ms_exercise_params(ex, student);
        r = ms_grade_result_failing(ex, student, params, why, o->lang);
    }
    g_string_free(w->buf, TRUE);
    w->buf = NULL;
    return r;
}

GPtrArray *ms_grade_batch(const MsExercise *ex, const char *const *paths, guint n_paths,
                          const MsGradeBatchOptions *options)
{
    MsGradeBatchOptions o = *options;
    guint jobs = o.jobs > 0 ? o.jobs : MAX(1u, g_get_num_processors());
    double wall = (o.time_limit > 0 ? o.time_limit : 10) * 3 + 5;
    /* The positions this shard grades. */
    g_autoptr(GArray) todo = g_array_new(FALSE, FALSE, sizeof(guint));
    for (guint i = 0; i < n_paths; i++) {
        if (o.shard_n == 0 || i % o.shard_n == o.shard_k - 1)
            g_array_append_val(todo, i);
    }
    GPtrArray *results = g_ptr_array_new_with_free_func((GDestroyNotify) ms_grade_result_free);
    g_ptr_array_set_size(results, (gint) todo->len);
    Worker *workers = g_new0(Worker, jobs);
    guint active = 0;
    guint next = 0;
    while (next < todo->len || active > 0) {
        while (active < jobs && next < todo->len) {
            Worker *w = &workers[active];
            w->index = next;
            const char *path = paths[g_array_index(todo, guint, next)];
            if (!spawn(w, ex, path, &o)) {
                /* No process to spare: grade it here rather than not at all. */
                MsGradeOptions go = options_of(&o);
                results->pdata[next++] = ms_grade_submission(ex, path, &go);
                continue;
            }
            next++;
            active++;
        }
        struct pollfd *pfds = g_new0(struct pollfd, active);
        for (guint i = 0; i < active; i++) {
            pfds[i].fd = workers[i].fd;
            pfds[i].events = POLLIN;
        }
        int rc = poll(pfds, active, 200);
        for (guint i = active; rc >= 0 && i > 0; i--) {
            Worker *w = &workers[i - 1];
            gboolean done = FALSE;
            if (pfds[i - 1].revents & (POLLIN | POLLHUP | POLLERR)) {
                char buf[65536];
                ssize_t n = read(w->fd, buf, sizeof buf);
                if (n > 0 && !w->overflow) {
                    g_string_append_len(w->buf, buf, n);
                    if (w->buf->len > MAX_RESULT_BYTES) {
                        w->overflow = TRUE;
                        kill(w->pid, SIGKILL);
                    }
                }
                done = n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN);
            }
            if (!done && (double) (g_get_monotonic_time() - w->started) / 1e6 > wall) {
                w->killed = TRUE;
                kill(w->pid, SIGKILL);
            }
            if (done) {
                close(w->fd);
                const char *path = paths[g_array_index(todo, guint, w->index)];
                results->pdata[w->index] = collect(w, ex, path, &o);
                workers[i - 1] = workers[active - 1];
                active--;
            }
        }
        g_free(pfds);
    }
    g_free(workers);
    return results;
}
