/* test_report.c - the reports: every annotation in English and Chinese, the
 * transcript's layout rules (visible line ends, phases, elided bodies,
 * options), --lang zh changing words only, and the summary's numbers
 * against delays worked out by hand from docs/network-model.md.
 */
#include <json-glib/json-glib.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "mailsim/diagram.h"
#include "mailsim/pop3.h"
#include "mailsim/report.h"
#include "mailsim/scenario.h"
#include "mailsim/smtp.h"
#include "mailsim/world.h"
#include "report/report-private.h"
#include "testutil.h"

#include "mailsim/http.h"
#include "mailsim/imap.h"

#define MO_PATH MS_LOCALEDIR "/zh_CN/LC_MESSAGES/mailsim.mo"

/* ---- Helpers ------------------------------------------------------------------ */

typedef struct {
    MsScenario *scenario;
    MsWorld *world;
} Run;

static gboolean run_file(const char *path, Run *run)
{
    g_autoptr(GError) error = NULL;
    run->scenario = ms_scenario_parse_file(path, &error);
    if (run->scenario == NULL) {
        fprintf(stderr, "\n  %s: %s\n", path, error->message);
        return FALSE;
    }
    run->world = ms_world_new(run->scenario, run->scenario->seed, &error);
    if (run->world == NULL) {
        fprintf(stderr, "\n  %s: %s\n", path, error->message);
        return FALSE;
    }
    if (!ms_world_run(run->world, MS_TIME_NEVER, &error))
        fprintf(stderr, "\n  %s: %s\n", path, error->message);
    return TRUE;
}

static void run_clear(Run *run)
{
    g_clear_pointer(&run->world, ms_world_free);
    g_clear_pointer(&run->scenario, ms_scenario_free);
}

static void options_for(MsReportOptions *o, const Run *run, const char *path, const char *lang)
{
    ms_report_options_init(o);
    o->scenario_name = run->scenario->name;
    o->scenario_name_zh = run->scenario->name_zh;
    o->scenario_file = path;
    o->seed = run->scenario->seed;
    o->lang = lang;
}

/* The runs of ASCII digits in a text, in order, one per line: what must
 * not change with the language. */
static char *numbers_of(const char *text)
{
    GString *out = g_string_new(NULL);
    for (const char *p = text; *p != '\0';) {
        if (!g_ascii_isdigit(*p)) {
            p++;
            continue;
        }
        while (g_ascii_isdigit(*p))
            g_string_append_c(out, *p++);
        g_string_append_c(out, '\n');
    }
    return g_string_free(out, FALSE);
}

/* "{1}{2}..." in the order the placeholders appear. */
static char *placeholders_of(const char *text)
{
    GString *out = g_string_new(NULL);
    for (const char *p = text; *p != '\0'; p++) {
        if (p[0] == '{' && g_ascii_isdigit(p[1]) && p[2] == '}')
            g_string_append_len(out, p, 3);
    }
    return g_string_free(out, FALSE);
}

static guint count_of(const char *haystack, const char *needle)
{
    guint n = 0;
    for (const char *p = strstr(haystack, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* A connection with lines, built by hand (records as the agents write). */
static void emit_open(MsTrace *t, guint conn, MsTime time)
{
    MsTraceRecord r = { 0 };
    r.kind = MS_TRACE_CONN_OPEN;
    r.time = time;
    r.arrival = -1;
    r.conn = conn;
    r.protocol = "SMTP";
    r.dir = MS_DIR_CLIENT;
    r.src = "client.test";
    r.dst = "server.test";
    r.src_port = 49152;
    r.dst_port = 25;
    ms_trace_emit(t, &r);
}

static void emit_line(MsTrace *t, guint conn, MsTime time, MsDir dir, const char *text,
                      const char *eol, const char *phase, const char *note)
{
    MsTraceRecord r = { 0 };
    r.kind = MS_TRACE_LINE;
    r.time = time;
    r.arrival = -1;
    r.conn = conn;
    r.protocol = "SMTP";
    r.dir = dir;
    r.src = dir == MS_DIR_CLIENT ? "client.test" : "server.test";
    r.dst = dir == MS_DIR_CLIENT ? "server.test" : "client.test";
    r.src_port = dir == MS_DIR_CLIENT ? 49152 : 25;
    r.dst_port = dir == MS_DIR_CLIENT ? 25 : 49152;
    r.text = text;
    r.eol = eol;
    r.phase = phase;
    r.note = note;
    ms_trace_emit(t, &r);
}

/* ---- report/i18n --------------------------------------------------------------- */

typedef struct {
    GString *missing;
    GString *changed;
    guint n;
} Check;

static void check_translation(const char *key, const char *msgid, gpointer data)
{
    Check *c = data;
    c->n++;
    const char *zh = ms_report_tr("zh", msgid);
    if (zh == msgid || strcmp(zh, msgid) == 0) {
        g_string_append_printf(c->missing, "\n    %s: \"%s\"", key != NULL ? key : "-", msgid);
        return;
    }
    /* --lang zh changes words only: the numbers and the placeholders of a
     * text stay, in the same order. */
    g_autofree char *n_en = numbers_of(msgid);
    g_autofree char *n_zh = numbers_of(zh);
    g_autofree char *p_en = placeholders_of(msgid);
    g_autofree char *p_zh = placeholders_of(zh);
    if (strcmp(n_en, n_zh) != 0 || strcmp(p_en, p_zh) != 0)
        g_string_append_printf(c->changed, "\n    \"%s\" -> \"%s\"", msgid, zh);
}

/* Every note key of every engine (SMTP, POP3 and IMAP when present), every
 * phase and event key, and the report's own words have a zh_CN text. */
static void every_key_has_chinese(void)
{
    if (!g_file_test(MO_PATH, G_FILE_TEST_IS_REGULAR)) {
        fprintf(stderr, "\n  %s is missing: build it with make (msgfmt po/zh_CN.po)\n", MO_PATH);
        CU_FAIL_FATAL("no zh_CN catalogue");
    }
    Check c = { g_string_new(NULL), g_string_new(NULL), 0 };
    ms_report_foreach_msgid(check_translation, &c);
    if (c.missing->len > 0)
        fprintf(stderr, "\n  no zh_CN translation in po/zh_CN.po for:%s\n", c.missing->str);
    if (c.changed->len > 0)
        fprintf(stderr, "\n  translations that change numbers or {n}:%s\n", c.changed->str);
    CU_ASSERT_EQUAL(c.missing->len, 0);
    CU_ASSERT_EQUAL(c.changed->len, 0);
    /* The engines' tables are all there: SMTP's and POP3's at least. */
    gsize smtp = 0, pop3 = 0;
    ms_smtp_notes(&smtp);
    ms_pop3_notes(&pop3);
    CU_ASSERT_TRUE(c.n > smtp + pop3);
    g_string_free(c.missing, TRUE);
    g_string_free(c.changed, TRUE);
}

/* A label is words: not empty, not the raw key or kind name, and its
 * Chinese is not its English. */
static void check_label(const char *what, const char *raw, const char *en, const char *zh)
{
    gboolean ok = en != NULL && zh != NULL && en[0] != '\0' && zh[0] != '\0' &&
                  strcmp(en, raw) != 0 && strcmp(zh, raw) != 0 && strcmp(en, zh) != 0 &&
                  (strchr(raw, '.') == NULL || (strstr(en, raw) == NULL && strstr(zh, raw) == NULL));
    if (!ok) {
        fprintf(stderr, "\n  %s %s: label \"%s\" / \"%s\" (sim/report/labels.c)\n", what, raw,
                en != NULL ? en : "(none)", zh != NULL ? zh : "(none)");
        CU_FAIL("a trace kind or event key without a proper label");
    }
}

/* Adds to keys every event key a record of the simulator can carry: the
 * keys given to ms_world_note*() and the like in sim/ ("MS_TRACE_X,
 * "key""), the store keys (server_imap.c's "store.*"), the link keys
 * (net.c), and the keys docs/trace-format.md's table of event keys lists. */
static void collect_event_keys(GHashTable *keys)
{
    g_autoptr(GRegex) call = g_regex_new("MS_TRACE_[A-Z_]+,\\s*\"([a-z0-9-]+\\.[a-z0-9.-]+)\"",
                                         0, 0, NULL);
    g_autoptr(GRegex) literal = g_regex_new("\"((?:store|link|host|service)\\.[a-z-]+)\"", 0,
                                            0, NULL);
    static const char *const dirs[] = { "sim/agents", "sim/net", "sim/live", "sim/core" };
    for (gsize d = 0; d < G_N_ELEMENTS(dirs); d++) {
        g_autoptr(GDir) dir = g_dir_open(dirs[d], 0, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
        for (const char *name = g_dir_read_name(dir); name != NULL; name = g_dir_read_name(dir)) {
            if (!g_str_has_suffix(name, ".c"))
                continue;
            g_autofree char *path = g_build_filename(dirs[d], name, NULL);
            g_autofree char *text = NULL;
            CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &text, NULL, NULL));
            GRegex *res[] = { call, literal };
            for (gsize k = 0; k < G_N_ELEMENTS(res); k++) {
                g_autoptr(GMatchInfo) m = NULL;
                for (g_regex_match(res[k], text, 0, &m); g_match_info_matches(m);
                     g_match_info_next(m, NULL))
                    g_hash_table_add(keys, g_match_info_fetch(m, 1));
            }
        }
    }
    /* The documented keys: `key` in the first column of the event keys
     * table; a key with a * stands for a family found above. */
    g_autofree char *doc = NULL;
    CU_ASSERT_TRUE_FATAL(g_file_get_contents("docs/trace-format.md", &doc, NULL, NULL));
    const char *table = strstr(doc, "## Event keys");
    CU_ASSERT_PTR_NOT_NULL_FATAL(table);
    g_autoptr(GRegex) row = g_regex_new("`([a-z0-9-]+\\.[a-z0-9-]+)`", 0, 0, NULL);
    g_auto(GStrv) lines = g_strsplit(table, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        if (!g_str_has_prefix(lines[i], "| `"))
            continue;
        g_auto(GStrv) cells = g_strsplit(lines[i], "|", 3);
        g_autoptr(GMatchInfo) m = NULL;
        for (g_regex_match(row, cells[1], 0, &m); g_match_info_matches(m);
             g_match_info_next(m, NULL))
            g_hash_table_add(keys, g_match_info_fetch(m, 1));
    }
}

/* Every trace record kind and every event key has a label in English and
 * in Chinese (where a report names a record in a few words: the notes on
 * a diagram, report.html's events): none shows a raw key such as
 * mailbox.unknown. */
static void every_kind_and_key_has_a_label(void)
{
    for (guint k = 0; k < MS_TRACE_N_KINDS; k++) {
        const char *en = ms_report_kind_label_english((MsTraceKind) k);
        check_label("kind", ms_trace_kind_name((MsTraceKind) k), en,
                    en != NULL ? ms_report_tr("zh", en) : NULL);
    }
    g_autoptr(GHashTable) keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    collect_event_keys(keys);
    /* What the issue named, at least, must be among them. */
    static const char *const named[] = { "mailbox.unknown", "service.down", "service.up",
                                         "host.down", "link.down", "queue.add", "store.append" };
    for (gsize i = 0; i < G_N_ELEMENTS(named); i++)
        CU_ASSERT_TRUE(g_hash_table_contains(keys, named[i]));
    CU_ASSERT_TRUE(g_hash_table_size(keys) >= 40);
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, keys);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        const char *en = ms_report_label_english(key);
        check_label("event key", key, en, en != NULL ? ms_report_tr("zh", en) : NULL);
    }
}

/* The labels the issue named, with the record's own words: the stopped
 * service names its protocol, the unknown mailbox says what happens; the
 * diagram's note uses the label, not a cut sentence. */
static void labels_of_named_records(void)
{
    static const struct {
        const char *path, *note, *en, *zh;
    } cases[] = {
        { "scenarios/smtp-service-down.mss", "service.down", "service smtp down: refuses",
          "smtp 服务停止：拒绝连接" },
        { "scenarios/smtp-service-down.mss", "service.up", "service smtp up again",
          "smtp 服务恢复" },
        { "scenarios/smtp-service-down.mss", "host.down", "host down: silent",
          "主机停机：没有任何应答" },
        { "scenarios/smtp-bounce.mss", "mailbox.unknown", "no such mailbox: bounced",
          "没有该邮箱：退信" },
        { "scenarios/smtp-bounce.mss", "queue.add", "queued (1 in queue)", "放入报文队列（1 封）" },
        { "scenarios/pop3-delete-vs-keep.mss", "mailbox.deliver", "into bob's mailbox (1)",
          "放入 bob 的邮箱（1 封）" },
        { "scenarios/pop3-delete-vs-keep.mss", "mailbox.delete",
          "deleted from bob's mailbox (1 left)", "从 bob 的邮箱删除（剩 1 封）" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        Run run = { 0 };
        CU_ASSERT_TRUE_FATAL(run_file(cases[i].path, &run));
        MsTrace *t = ms_world_trace(run.world);
        const MsTraceRecord *found = NULL;
        for (guint64 k = 0; k < ms_trace_length(t) && found == NULL; k++) {
            const MsTraceRecord *r = ms_trace_pin(t, k);
            if (r->kind != MS_TRACE_LINE && g_strcmp0(r->note, cases[i].note) == 0)
                found = r;
        }
        CU_ASSERT_PTR_NOT_NULL_FATAL(found);
        g_autofree char *en = ms_report_record_label(found, "en");
        g_autofree char *zh = ms_report_record_label(found, "zh");
        MS_ASSERT_STR(en, cases[i].en);
        MS_ASSERT_STR(zh, cases[i].zh);
        /* The diagram's note on it is the label, whole (on several rows
         * when its column is narrow). */
        MsReportOptions report;
        options_for(&report, &run, cases[i].path, "en");
        MsDiagramOptions dopt;
        ms_diagram_options_init(&dopt);
        g_autoptr(MsDiagram) d = ms_diagram_new(t, &report, &dopt);
        gboolean shown = FALSE;
        for (guint n = 0; n < ms_diagram_n_notes(d); n++) {
            const MsDiagramNote *note = ms_diagram_note(d, n);
            g_auto(GStrv) rows = g_strsplit(note->label, "\n", -1);
            g_autofree char *joined = g_strjoinv(" ", rows);
            shown = shown || (strcmp(note->text, en) == 0 && strcmp(joined, en) == 0);
        }
        CU_ASSERT_TRUE(shown);
        run_clear(&run);
    }
}

/* One Chinese word for one idea across every output: "message text" is
 * 邮件报文 (the notes' 报文), the body 报文体, the relay's next server
 * 下一跳; a section number is spaced as "第 5 节".  Read from the
 * catalogue itself, so the grading texts are held to it too. */
static void chinese_terms_are_consistent(void)
{
    gsize len = 0;
    g_autofree char *po = ms_test_read_file("po/zh_CN.po", &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(po);
    static const char *const banned[] = { "邮件文本", "邮件正文", "邮件体", "下一个邮件服务器" };
    g_auto(GStrv) rows = g_strsplit(po, "\n", -1);
    const char *msgid = NULL;
    for (guint i = 0; rows[i] != NULL; i++) {
        if (g_str_has_prefix(rows[i], "msgid "))
            msgid = rows[i];
        if (!g_str_has_prefix(rows[i], "msgstr"))
            continue;
        for (gsize k = 0; k < G_N_ELEMENTS(banned); k++) {
            if (strstr(rows[i], banned[k]) != NULL)
                fprintf(stderr, "  po line %u: \"%s\" in %s\n", i + 1, banned[k], rows[i]);
            CU_ASSERT_PTR_NULL(strstr(rows[i], banned[k]));
        }
        if (msgid != NULL && strstr(msgid, "message text") != NULL)
            CU_ASSERT_PTR_NOT_NULL(strstr(rows[i], "邮件报文"));
        /* "第5节": the number goes between spaces. */
        for (const char *p = strstr(rows[i], "第"); p != NULL; p = strstr(p + 1, "第")) {
            const char *after = p + strlen("第");
            CU_ASSERT_FALSE(g_ascii_isdigit(after[0]));
        }
    }
}

/* A submission answered 554 is rejected, not submitted: the label (the
 * diagram's note) follows the outcome, in both languages, and one accepted
 * by its server in the same run still says "submitted". */
static void label_of_a_rejected_submission(void)
{
    const char *path = "scenarios/smtp-8bit.mss";
    Run run = { 0 };
    CU_ASSERT_TRUE_FATAL(run_file(path, &run));
    MsTrace *t = ms_world_trace(run.world);
    guint rejected = 0, submitted = 0;
    for (guint64 k = 0; k < ms_trace_length(t); k++) {
        const MsTraceRecord *r = ms_trace_pin(t, k);
        if (r->kind == MS_TRACE_LINE || g_strcmp0(r->note, "message.submitted") != 0)
            continue;
        g_autofree char *en = ms_report_record_label(r, "en");
        g_autofree char *zh = ms_report_record_label(r, "zh");
        if (strstr(r->detail, "permanent-failure") != NULL) {
            MS_ASSERT_STR(en, "rejected (554)");
            MS_ASSERT_STR(zh, "被拒绝（554）");
            rejected++;
        } else {
            MS_ASSERT_STR(en, "submitted");
            MS_ASSERT_STR(zh, "已提交");
            submitted++;
        }
    }
    CU_ASSERT_EQUAL(rejected, 1);
    CU_ASSERT_TRUE(submitted >= 1);
    MsReportOptions report;
    options_for(&report, &run, path, "en");
    MsDiagramOptions dopt;
    ms_diagram_options_init(&dopt);
    g_autoptr(MsDiagram) d = ms_diagram_new(t, &report, &dopt);
    gboolean shown = FALSE;
    for (guint n = 0; n < ms_diagram_n_notes(d); n++)
        shown = shown || strcmp(ms_diagram_note(d, n)->text, "rejected (554)") == 0;
    CU_ASSERT_TRUE(shown);
    run_clear(&run);
}

/* One message to two users of one server: two notes at one instant on the
 * server's lifeline, which must tell the mailboxes apart. */
static void mailbox_notes_name_the_user(void)
{
    const char *path = "scenarios/pop3-delete-vs-keep.mss";
    Run run = { 0 };
    CU_ASSERT_TRUE_FATAL(run_file(path, &run));
    MsReportOptions report;
    options_for(&report, &run, path, "en");
    MsDiagramOptions dopt;
    ms_diagram_options_init(&dopt);
    g_autoptr(MsDiagram) d = ms_diagram_new(ms_world_trace(run.world), &report, &dopt);
    guint pairs = 0;
    for (guint n = 1; n < ms_diagram_n_notes(d); n++) {
        const MsDiagramNote *a = ms_diagram_note(d, n - 1), *b = ms_diagram_note(d, n);
        if (a->time != b->time || a->lifeline != b->lifeline ||
            strstr(a->tooltip, "placed in") == NULL || strstr(b->tooltip, "placed in") == NULL)
            continue;
        pairs++;
        CU_ASSERT_STRING_NOT_EQUAL(a->label, b->label);
        CU_ASSERT_TRUE(strstr(a->label, "bob's") != NULL || strstr(a->label, "carol's") != NULL);
    }
    CU_ASSERT_TRUE(pairs >= 2);
    run_clear(&run);
}

static void check_note_key(const char *key)
{
    const char *en = ms_report_note_text(key, "en");
    const char *zh = ms_report_note_text(key, "zh");
    CU_ASSERT_PTR_NOT_NULL(en);
    CU_ASSERT_PTR_NOT_NULL(zh);
    if (en != NULL && zh != NULL && strcmp(en, zh) == 0)
        fprintf(stderr, "\n  note %s has no Chinese text\n", key);
    CU_ASSERT_TRUE(en != NULL && zh != NULL && strcmp(en, zh) != 0);
}

static void check_phase_key(const char *key)
{
    const char *en = ms_report_phase_text(key, "en");
    const char *zh = ms_report_phase_text(key, "zh");
    if (en == NULL || zh == NULL || strcmp(en, zh) == 0)
        fprintf(stderr, "\n  phase %s has no name in both languages\n", key);
    CU_ASSERT_TRUE(en != NULL && zh != NULL && strcmp(en, zh) != 0);
}

/* Looked up by key, the way the transcript does: every key of the engines'
 * tables and every phase their states name. */
static void engine_keys_resolve(void)
{
    gsize n = 0;
    const MsSmtpNote *smtp = ms_smtp_notes(&n);
    for (gsize i = 0; i < n; i++)
        check_note_key(smtp[i].key);
    const MsPop3Note *pop3 = ms_pop3_notes(&n);
    for (gsize i = 0; i < n; i++)
        check_note_key(pop3[i].key);
    check_phase_key(MS_SMTP_PHASE_HANDSHAKE);
    check_phase_key(MS_SMTP_PHASE_TRANSFER);
    check_phase_key(MS_SMTP_PHASE_CLOSURE);
    for (int s = 0; s < MS_POP3_N_STATES; s++)
        check_phase_key(ms_pop3_state_phase((MsPop3State) s));
    const MsImapNote *imap = ms_imap_notes(&n);
    for (gsize i = 0; i < n; i++)
        check_note_key(imap[i].key);
    for (int s = 0; s < MS_IMAP_N_STATES; s++)
        check_phase_key(ms_imap_state_phase((MsImapState) s));
    const MsHttpNote *http = ms_http_notes(&n);
    for (gsize i = 0; i < n; i++)
        check_note_key(http[i].key);
    check_phase_key("http.request");
    check_phase_key("http.response");
    check_phase_key("tcp.handshake");
    check_phase_key("tcp.teardown");
    /* The lecture notes' own terms. */
    MS_ASSERT_STR(ms_report_phase_text("smtp.handshake", "zh"), "SMTP 握手（问候）");
    MS_ASSERT_STR(ms_report_phase_text("smtp.transfer", "zh"), "SMTP 消息传输");
    MS_ASSERT_STR(ms_report_phase_text("smtp.closure", "zh"), "SMTP 结束");
    MS_ASSERT_STR(ms_report_phase_text("pop3.authorization", "zh"), "POP3 特许阶段");
    MS_ASSERT_STR(ms_report_phase_text("pop3.transaction", "zh"), "POP3 事务处理阶段");
    MS_ASSERT_STR(ms_report_phase_text("pop3.update", "zh"), "POP3 更新阶段");
    CU_ASSERT_PTR_NULL(ms_report_phase_text("no.such.phase", "zh"));
    CU_ASSERT_PTR_NULL(ms_report_note_text("smtp.no-such-note", "en"));
}

/* glibc ignores LANGUAGE while LC_MESSAGES is "C"; --lang zh must work
 * anyway, with no zh_CN locale installed. */
static void chinese_under_the_c_locale(void)
{
    g_autofree char *saved = g_strdup(setlocale(LC_ALL, NULL));
    setlocale(LC_ALL, "C");
    g_unsetenv("LANGUAGE");
    MS_ASSERT_STR(ms_report_tr("zh", "SMTP message transfer"), "SMTP 消息传输");
    MS_ASSERT_STR(ms_report_tr("en", "SMTP message transfer"), "SMTP message transfer");
    /* ... and leaves the process as it found it, so that GLib's own
     * messages do not turn Chinese. */
    CU_ASSERT_PTR_NULL(g_getenv("LANGUAGE"));
    MS_ASSERT_STR(setlocale(LC_MESSAGES, NULL), "C");
    MsReportOptions o;
    ms_report_options_init(&o);
    o.lang = "zh";
    g_autoptr(MsTrace) t = ms_trace_new();
    emit_open(t, 1, 0);
    g_autofree char *text = ms_report_transcript(t, &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "TCP 三次握手"));
    CU_ASSERT_PTR_NULL(g_getenv("LANGUAGE"));
    MS_ASSERT_STR(setlocale(LC_MESSAGES, NULL), "C");
    /* English never goes through the catalogue, whatever LANGUAGE says. */
    g_setenv("LANGUAGE", "zh_CN", TRUE);
    MS_ASSERT_STR(ms_report_phase_text("pop3.update", "en"), "POP3 update phase");
    MS_ASSERT_STR(ms_report_phase_text("pop3.update", "zh"), "POP3 更新阶段");
    MS_ASSERT_STR(g_getenv("LANGUAGE"), "zh_CN");
    g_unsetenv("LANGUAGE");
    setlocale(LC_ALL, saved);
}

static void default_language_from_the_locale(void)
{
    static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
    char *saved[3];
    for (int i = 0; i < 3; i++) {
        saved[i] = g_strdup(g_getenv(vars[i]));
        g_unsetenv(vars[i]);
    }
    MS_ASSERT_STR(ms_report_default_lang(), "en");
    g_setenv("LANG", "zh_CN.UTF-8", TRUE);
    MS_ASSERT_STR(ms_report_default_lang(), "zh");
    /* POSIX: LC_ALL, then LC_MESSAGES, then LANG. */
    g_setenv("LC_MESSAGES", "en_GB.UTF-8", TRUE);
    MS_ASSERT_STR(ms_report_default_lang(), "en");
    g_setenv("LC_ALL", "zh_TW.UTF-8", TRUE);
    MS_ASSERT_STR(ms_report_default_lang(), "zh");
    g_setenv("LC_ALL", "C", TRUE);
    MS_ASSERT_STR(ms_report_default_lang(), "en");
    for (int i = 0; i < 3; i++) {
        if (saved[i] != NULL)
            g_setenv(vars[i], saved[i], TRUE);
        else
            g_unsetenv(vars[i]);
        g_free(saved[i]);
    }
    CU_ASSERT_TRUE(ms_report_lang_supported("zh"));
    CU_ASSERT_FALSE(ms_report_lang_supported("fr"));
}

/* ---- report/events ------------------------------------------------------------- */

static void event_sentences_round_trip(void)
{
    MsTraceRecord r = { 0 };
    r.kind = MS_TRACE_QUEUE;
    r.note = "queue.remove";
    r.src = "crepes.fr";
    r.subject = "<1.2@crepes.fr>";
    /* A reason with parentheses of its own: the count hole takes digits
     * only, so "(0 queued)" is still found. */
    r.detail = "message <1.2@crepes.fr> left the outgoing queue: relayed (some recipients "
               "refused) (0 queued)";
    g_auto(GStrv) args = NULL;
    const char *tpl = ms_report_event_parse(&r, &args);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tpl);
    CU_ASSERT_EQUAL(g_strv_length(args), 3);
    MS_ASSERT_STR(args[1], "relayed (some recipients refused)");
    MS_ASSERT_STR(args[2], "0");
    g_autofree char *en = ms_report_event_text(&r, "en");
    MS_ASSERT_STR(en, r.detail);
    g_autofree char *zh = ms_report_event_text(&r, "zh");
    MS_ASSERT_STR(zh, "邮件 <1.2@crepes.fr> 离开外出报文队列：已转发（部分收件人被拒绝）（队列中 0 封）");

    /* The retry interval comes in ms_time_format_human's units. */
    r.note = "queue.retry";
    r.detail = "attempt 2 for <1.2@crepes.fr> failed (connection lost before the server "
               "answered); stays queued, next attempt in 30 min";
    g_autofree char *retry = ms_report_event_text(&r, "zh");
    MS_ASSERT_STR(retry, "第 2 次投递 <1.2@crepes.fr> 失败（服务器应答之前连接已断开）；留在报文队列中，"
                         "30 分钟后再试");
    /* ... and the destination the attempt tried to reach. */
    r.detail = "attempt 2 for <1.2@crepes.fr> to hamburger.edu failed (connection refused); "
               "stays queued, next attempt in 30 min";
    g_autofree char *where = ms_report_event_text(&r, "zh");
    MS_ASSERT_STR(where, "第 2 次投递 <1.2@crepes.fr> 到 hamburger.edu 失败（连接被拒绝）；"
                         "留在报文队列中，30 分钟后再试");

    /* A count of messages reads "1 message", "2 messages" in English, and
     * the catalogue's one form in Chinese; "(s)" is gone. */
    r.kind = MS_TRACE_MAILBOX;
    r.note = "state.mailbox";
    static const struct {
        const char *en, *zh;
    } counted[] = {
        { "end state: mailbox bob@hamburger.edu holds 1 message",
          "最终状态：邮箱 bob@hamburger.edu 中有 1 封邮件" },
        { "end state: mailbox bob@hamburger.edu holds 2 messages",
          "最终状态：邮箱 bob@hamburger.edu 中有 2 封邮件" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(counted); i++) {
        r.detail = counted[i].en;
        g_auto(GStrv) parts = NULL;
        CU_ASSERT_PTR_NOT_NULL(ms_report_event_parse(&r, &parts));
        g_autofree char *said = ms_report_event_text(&r, "zh");
        MS_ASSERT_STR(said, counted[i].zh);
    }
    r.kind = MS_TRACE_ACTION;
    r.note = "reply.no-original";
    r.detail = "bob's agent cannot reply to \"Lunch\": the 1 message it has downloaded does not"
               " have that subject, so no reply is sent";
    g_autofree char *none_zh = ms_report_event_text(&r, "zh");
    MS_ASSERT_STR(none_zh, "bob 的用户代理无法回复“Lunch”：它已下载的 1 封邮件中没有这个主题的，"
                           "因此不发送回复");
    r.detail = "bob's agent cannot reply to message 3: it has downloaded 2 messages so far, so"
               " no reply is sent";
    g_autofree char *two_zh = ms_report_event_text(&r, "zh");
    MS_ASSERT_STR(two_zh, "bob 的用户代理无法回复第 3 封邮件：到此为止它只下载了 2 封邮件，"
                          "因此不发送回复");
    r.kind = MS_TRACE_QUEUE;
    r.note = "queue.retry";

    /* A sentence no template knows is printed as it is. */
    r.detail = "something new happened";
    g_autofree char *unknown = ms_report_event_text(&r, "zh");
    MS_ASSERT_STR(unknown, "something new happened");
    g_auto(GStrv) none = NULL;
    CU_ASSERT_PTR_NULL(ms_report_event_parse(&r, &none));
}

/* The end-state sentences of every shipped scenario count in English:
 * "1 message", "3 messages", never "message(s)". */
static void end_state_counts_read_in_english(void)
{
    g_autoptr(GPtrArray) names = ms_test_shipped_scenarios();
    guint one = 0, more = 0;
    for (guint i = 0; i < names->len; i++) {
        const char *path = g_ptr_array_index(names, i);
        Run run = { 0 };
        CU_ASSERT_TRUE(run_file(path, &run));
        MsTrace *trace = run.world != NULL ? ms_world_trace(run.world) : NULL;
        for (guint64 k = 0; trace != NULL && k < ms_trace_length(trace); k++) {
            const MsTraceRecord *r = ms_trace_pin(trace, k);
            if (r->note == NULL || !g_str_has_prefix(r->note, "state.") || r->detail == NULL ||
                r->count == 0)
                continue;
            g_autofree char *n = g_strdup_printf(" %" G_GINT64_FORMAT " ", r->count);
            g_autofree char *full = g_strdup_printf("%s ", r->detail);
            gboolean ok = strstr(full, n) != NULL &&
                          (r->count == 1 ? strstr(full, " message ") != NULL &&
                                               strstr(full, "messages") == NULL
                                         : strstr(full, " messages ") != NULL);
            if (!ok)
                fprintf(stderr, "\n  %s: \"%s\"\n", path, r->detail);
            CU_ASSERT_TRUE(ok);
            CU_ASSERT_PTR_NULL(strstr(r->detail, "(s)"));
            g_auto(GStrv) args = NULL;
            CU_ASSERT_PTR_NOT_NULL(ms_report_event_parse(r, &args));
            if (r->count == 1)
                one++;
            else
                more++;
        }
        run_clear(&run);
    }
    CU_ASSERT_TRUE(one > 0);
    CU_ASSERT_TRUE(more > 0);
}

/* A reader whose server refuses it is told which server, in both
 * languages, as a relay's failed attempt names its destination. */
static void unreachable_readers_name_the_server(void)
{
    static const char scenario[] =
        "scenario \"Readers of a stopped server\"\n"
        "seed 1\n"
        "server hamburger.edu  domain hamburger.edu  webmail on\n"
        "agent bob-pc       user bob@hamburger.edu  server hamburger.edu  password hungry\n"
        "agent bob-phone    user bob@hamburger.edu  server hamburger.edu  password hungry\n"
        "agent bob-browser  user bob@hamburger.edu  server hamburger.edu  password hungry\n"
        "link bob-pc hamburger.edu       latency 2ms  bandwidth 10Mbit\n"
        "link bob-phone hamburger.edu    latency 30ms bandwidth 2Mbit\n"
        "link bob-browser hamburger.edu  latency 10ms bandwidth 10Mbit\n"
        "at 0s server hamburger.edu service pop3 down\n"
        "at 0s server hamburger.edu service imap down\n"
        "at 0s server hamburger.edu service http down\n"
        "at 1s bob-pc pop3 fetch keep\n"
        "at 1s bob-phone imap login\n"
        "at 1s bob-browser web login\n";
    g_autoptr(GError) error = NULL;
    Run run = { 0 };
    run.scenario = ms_scenario_parse_string(scenario, -1, NULL, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(run.scenario);
    run.world = ms_world_new(run.scenario, run.scenario->seed, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(run.world);
    CU_ASSERT_TRUE(ms_world_run(run.world, MS_TIME_NEVER, &error));
    MsReportOptions o;
    options_for(&o, &run, "readers.mss", "en");
    g_autofree char *en = ms_report_transcript(ms_world_trace(run.world), &o);
    o.lang = "zh";
    g_autofree char *zh = ms_report_transcript(ms_world_trace(run.world), &o);
    static const struct {
        const char *en, *zh;
    } want[] = {
        { "bob-pc: cannot reach the POP3 server hamburger.edu: connection refused",
          "bob-pc: 无法连到 POP3 服务器 hamburger.edu：连接被拒绝" },
        { "bob-phone: cannot reach the IMAP server hamburger.edu: connection refused",
          "bob-phone: 无法连到 IMAP 服务器 hamburger.edu：连接被拒绝" },
        { "bob-browser: cannot reach the web-mail server hamburger.edu: connection refused",
          "bob-browser: 无法连到 Web 邮件服务器 hamburger.edu：连接被拒绝" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(want); i++) {
        if (strstr(en, want[i].en) == NULL || strstr(zh, want[i].zh) == NULL)
            fprintf(stderr, "\n  missing \"%s\" or \"%s\"\n", want[i].en, want[i].zh);
        CU_ASSERT_PTR_NOT_NULL(strstr(en, want[i].en));
        CU_ASSERT_PTR_NOT_NULL(strstr(zh, want[i].zh));
    }
    CU_ASSERT_PTR_NULL(strstr(en, "server: connection"));
    run_clear(&run);
}

/* Every event of every shipped scenario follows a template, so none is
 * left in English in a Chinese transcript. */
static void shipped_scenarios_have_templates(void)
{
    g_autoptr(GPtrArray) names = ms_test_shipped_scenarios();
    CU_ASSERT_TRUE(names->len > 0);
    guint events = 0;
    for (guint i = 0; i < names->len; i++) {
        const char *path = g_ptr_array_index(names, i);
        Run run = { 0 };
        CU_ASSERT_TRUE(run_file(path, &run));
        if (run.world == NULL) {
            run_clear(&run);
            continue;
        }
        MsTrace *trace = ms_world_trace(run.world);
        for (guint64 k = 0; k < ms_trace_length(trace); k++) {
            const MsTraceRecord *r = ms_trace_pin(trace, k);
            gboolean event = r->kind == MS_TRACE_ACTION || r->kind == MS_TRACE_QUEUE ||
                             r->kind == MS_TRACE_MAILBOX || r->kind == MS_TRACE_MESSAGE ||
                             r->kind == MS_TRACE_LINK;
            if (!event || r->detail == NULL ||
                (r->note != NULL && g_str_has_prefix(r->note, "state.")))
                continue;
            events++;
            /* Its label, in both languages, with the record's own words. */
            g_autofree char *en = ms_report_record_label(r, "en");
            g_autofree char *zh = ms_report_record_label(r, "zh");
            check_label("record of", r->note != NULL ? r->note : ms_trace_kind_name(r->kind), en,
                        zh);
            CU_ASSERT_PTR_NULL(strstr(en, "{"));
            CU_ASSERT_PTR_NULL(strstr(zh, "{"));
            g_auto(GStrv) args = NULL;
            if (ms_report_event_parse(r, &args) == NULL) {
                fprintf(stderr, "\n  %s: no template for %s \"%s\" (sim/report/events.c)\n",
                        path, r->note != NULL ? r->note : "-", r->detail);
                CU_FAIL("event without a template");
            }
        }
        run_clear(&run);
    }
    CU_ASSERT_TRUE(events > 0);
}

/* ---- report/transcript ---------------------------------------------------------- */

/* RFC 5321 2.3.8: a bare LF from a student's client must be visible. */
static void bare_lf_is_visible(void)
{
    g_autoptr(MsTrace) t = ms_trace_new();
    emit_open(t, 1, 0);
    emit_line(t, 1, 10 * MS_MSEC, MS_DIR_SERVER, "220 server.test ESMTP", "\r\n",
              "smtp.handshake", "smtp.reply.220");
    emit_line(t, 1, 20 * MS_MSEC, MS_DIR_CLIENT, "HELO client.test", "\n", "smtp.handshake",
              "smtp.cmd.helo");
    emit_line(t, 1, 30 * MS_MSEC, MS_DIR_SERVER, "500 bare LF", "\r\n", "smtp.handshake",
              "smtp.reply.500.bare-lf");
    emit_line(t, 1, 40 * MS_MSEC, MS_DIR_CLIENT, "QUIT", "", "smtp.closure", "smtp.cmd.quit");
    MsReportOptions o;
    ms_report_options_init(&o);
    g_autofree char *text = ms_report_transcript(t, &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "C: HELO client.test<LF>\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "S: 220 server.test ESMTP\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "C: QUIT<no line end>\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, ms_report_note_text("eol.lf", "en")));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, ms_report_note_text("eol.none", "en")));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, ms_report_note_text("smtp.reply.500.bare-lf", "en")));
    /* The connection is written client first; the arrow is the line's way. */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "[1] client.test:49152 \u2192 server.test:25  C: HELO"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "[1] client.test:49152 \u2190 server.test:25  S: 220"));
    /* Time in ms with µs precision. */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "20.000  [1]"));
    /* Phase headings where the phase changes, once each. */
    CU_ASSERT_EQUAL(count_of(text, "-- [1] SMTP handshake (greeting) --"), 1);
    CU_ASSERT_EQUAL(count_of(text, "-- [1] SMTP closure --"), 1);
    CU_ASSERT_TRUE(strstr(text, "SMTP handshake (greeting)") < strstr(text, "SMTP closure"));

    o.notes = FALSE;
    g_autofree char *bare = ms_report_transcript(t, &o);
    CU_ASSERT_PTR_NULL(strstr(bare, "\u21b3"));
    CU_ASSERT_PTR_NULL(strstr(bare, ms_report_note_text("smtp.cmd.helo", "en")));
    CU_ASSERT_PTR_NOT_NULL(strstr(bare, "C: HELO client.test<LF>\n"));
}

/* A client's line cannot act on the terminal a transcript is read on: an
 * escape sequence, a C1 control (U+009B is a CSI to some terminals), a
 * right-to-left override and a zero-width space are each shown, in the
 * text transcript and the Markdown one alike; Chinese stays as it is. */
static void transcript_shows_what_would_act_unseen(void)
{
    g_autoptr(MsTrace) t = ms_trace_new();
    emit_open(t, 1, 0);
    emit_line(t, 1, 10 * MS_MSEC, MS_DIR_CLIENT,
              "Subject: pay \u202eFDP.exe\x1b[31m red\u200b \u4f60\u597d", "\r\n",
              "smtp.transfer", "smtp.data.line");
    emit_line(t, 1, 11 * MS_MSEC, MS_DIR_CLIENT, "hi \xc2\x9b" "31m", "\r\n", "smtp.transfer",
              "smtp.data.line");
    MsReportOptions o;
    ms_report_options_init(&o);
    g_autofree char *text = ms_report_transcript(t, &o);
    g_autofree char *md = ms_report_transcript_md(t, &o);
    const char *want[] = {"pay <U+202E>FDP.exe\\x1B[31m red<U+200B> \u4f60\u597d",
                          "hi \\u009B31m"};
    for (gsize i = 0; i < G_N_ELEMENTS(want); i++) {
        CU_ASSERT_PTR_NOT_NULL(strstr(text, want[i]));
        CU_ASSERT_PTR_NOT_NULL(strstr(md, want[i]));
    }
    for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        CU_ASSERT_FALSE(ms_report_is_invisible(c) || (c >= 0x80 && c < 0xa0) || c == 0x1b);
    }
}

/* Without --full-bodies a long body keeps its first 3 and last 2 lines;
 * the headers are always shown in full. */
static void long_bodies_are_elided(void)
{
    g_autoptr(MsTrace) t = ms_trace_new();
    g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
    emit_open(t, 1, 0);
    for (int i = 0; i < 12; i++)
        g_ptr_array_add(texts, g_strdup_printf("X-Header-%02d: value", i));
    g_ptr_array_add(texts, g_strdup(""));
    for (int i = 0; i < 30; i++)
        g_ptr_array_add(texts, g_strdup_printf("QUJDREVGR0hJSktM%02d", i));
    for (guint i = 0; i < texts->len; i++)
        emit_line(t, 1, MS_SEC, MS_DIR_CLIENT, g_ptr_array_index(texts, i), "\r\n",
                  "smtp.transfer", "smtp.data.line");
    emit_line(t, 1, MS_SEC, MS_DIR_CLIENT, ".", "\r\n", "smtp.transfer", "smtp.data.end");
    MsReportOptions o;
    ms_report_options_init(&o);
    g_autofree char *text = ms_report_transcript(t, &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "X-Header-00: value"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "X-Header-11: value"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "C: QUJDREVGR0hJSktM00\n")); /* the first three */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "C: QUJDREVGR0hJSktM02\n"));
    CU_ASSERT_PTR_NULL(strstr(text, "QUJDREVGR0hJSktM03"));          /* 03 ... 27 left out */
    CU_ASSERT_PTR_NULL(strstr(text, "QUJDREVGR0hJSktM27"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "C: QUJDREVGR0hJSktM28\n")); /* the last two */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "C: QUJDREVGR0hJSktM29\n"));
    /* 30 - 3 - 2 = 25 lines left out. */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\u2026 25 lines of the body left out"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "C: .\n"));
    g_autofree char *md = ms_report_transcript_md(t, &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "25 lines of the body left out"));

    o.full_bodies = TRUE;
    g_autofree char *full = ms_report_transcript(t, &o);
    CU_ASSERT_PTR_NULL(strstr(full, "left out"));
    CU_ASSERT_PTR_NOT_NULL(strstr(full, "C: QUJDREVGR0hJSktM15\n"));
}

static void tcp_segments_only_with_the_option(void)
{
    Run run = { 0 };
    CU_ASSERT_TRUE_FATAL(run_file("scenarios/smtp-basic.mss", &run));
    MsReportOptions o;
    options_for(&o, &run, "scenarios/smtp-basic.mss", "en");
    g_autofree char *plain = ms_report_transcript(ms_world_trace(run.world), &o);
    o.tcp = TRUE;
    g_autofree char *tcp = ms_report_transcript(ms_world_trace(run.world), &o);
    CU_ASSERT_PTR_NULL(strstr(plain, "TCP SYN seq=0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(tcp, "TCP SYN seq=0 ack=0 len=0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(tcp, "TCP SYN+ACK seq=0 ack=1 len=0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(tcp, "TCP FIN+ACK"));
    CU_ASSERT_PTR_NOT_NULL(strstr(tcp, ms_report_note_text("tcp.syn", "en")));
    /* Both show the TCP handshake and teardown of each of the 3 connections. */
    CU_ASSERT_EQUAL(count_of(plain, "TCP handshake --"), 3);
    CU_ASSERT_EQUAL(count_of(plain, "TCP teardown --"), 3);
    CU_ASSERT_EQUAL(count_of(tcp, "TCP teardown --"), 3);
    /* The POP3 phases in order, and the update's deletion under its
     * heading. */
    const char *auth = strstr(plain, "-- [3] POP3 authorization phase --");
    const char *trans = strstr(plain, "-- [3] POP3 transaction phase --");
    const char *update = strstr(plain, "-- [3] POP3 update phase --");
    const char *deleted = strstr(plain, "POP3 update state: message");
    CU_ASSERT_TRUE(auth != NULL && trans != NULL && update != NULL && deleted != NULL);
    CU_ASSERT_TRUE(auth < trans && trans < update && update < deleted);
    run_clear(&run);
}

/* --lang zh changes only the words: strip everything but the numbers and
 * the two languages give the same numbers in the same order. */
static void chinese_changes_words_only(void)
{
    Run run = { 0 };
    CU_ASSERT_TRUE_FATAL(run_file("scenarios/smtp-basic.mss", &run));
    MsTrace *trace = ms_world_trace(run.world);
    for (int tcp = 0; tcp <= 1; tcp++) {
        MsReportOptions en, zh;
        options_for(&en, &run, "scenarios/smtp-basic.mss", "en");
        options_for(&zh, &run, "scenarios/smtp-basic.mss", "zh");
        en.tcp = zh.tcp = tcp;
        char *(*renderers[])(const MsTrace *, const MsReportOptions *) = {
            ms_report_transcript, ms_report_transcript_md, ms_report_summary,
        };
        for (gsize k = 0; k < G_N_ELEMENTS(renderers); k++) {
            g_autofree char *a = renderers[k](trace, &en);
            g_autofree char *b = renderers[k](trace, &zh);
            CU_ASSERT_STRING_NOT_EQUAL(a, b);
            g_autofree char *na = numbers_of(a);
            g_autofree char *nb = numbers_of(b);
            if (strcmp(na, nb) != 0)
                fprintf(stderr, "\n  renderer %zu (tcp %d): numbers differ between en and zh\n",
                        k, tcp);
            CU_ASSERT_STRING_EQUAL(na, nb);
        }
    }
    MsReportOptions zh;
    options_for(&zh, &run, "scenarios/smtp-basic.mss", "zh");
    g_autofree char *text = ms_report_transcript(trace, &zh);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "-- [1] SMTP 握手（问候） --"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "-- [3] POP3 特许阶段 --"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "外出报文队列"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "邮箱"));
    g_autofree char *summary = ms_report_summary(trace, &zh);
    CU_ASSERT_PTR_NOT_NULL(strstr(summary, "推协议"));
    CU_ASSERT_PTR_NOT_NULL(strstr(summary, "拉协议"));
    /* Nothing was left untranslated on the way. */
    ms_report_untranslated_reset();
    g_autofree char *again = ms_report_transcript(trace, &zh);
    g_autofree char *md = ms_report_transcript_md(trace, &zh);
    g_autofree char *sum2 = ms_report_summary(trace, &zh);
    g_autoptr(GPtrArray) missing = ms_report_untranslated();
    for (guint i = 0; i < missing->len; i++)
        fprintf(stderr, "\n  untranslated: \"%s\"\n", (const char *) missing->pdata[i]);
    CU_ASSERT_EQUAL(missing->len, 0);
    run_clear(&run);
}

static void markdown_tables_per_connection(void)
{
    g_autoptr(MsTrace) t = ms_trace_new();
    emit_open(t, 1, 0);
    emit_line(t, 1, MS_MSEC, MS_DIR_CLIENT, "VRFY a|b `x`", "\r\n", "smtp.transfer",
              "smtp.cmd.vrfy");
    MsReportOptions o;
    ms_report_options_init(&o);
    o.scenario_name = "Pipes";
    g_autofree char *md = ms_report_transcript_md(t, &o);
    CU_ASSERT_TRUE(g_str_has_prefix(md, "# Transcript: Pipes\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "## SMTP \\[1\\] client.test:49152 \u2192 server.test:25\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "|---:|:-:|---|---|\n"));
    /* A pipe inside a cell is escaped, backticks get a longer fence. */
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "| 1.000 | C: | `` VRFY a\\|b `x` `` | VRFY: "));
    o.notes = FALSE;
    g_autofree char *bare = ms_report_transcript_md(t, &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(bare, "|---:|:-:|---|\n"));
    CU_ASSERT_PTR_NULL(strstr(bare, "VRFY: asks"));
}

/* Markdown's escapes by the plain rule, one octet at a time. */
static void md_escape_slowly(GString *out, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '<')
            g_string_append(out, "&lt;");
        else if (*s == '>')
            g_string_append(out, "&gt;");
        else if (*s == '&')
            g_string_append(out, "&amp;");
        else if (strchr("\\`*_[]|#", *s) != NULL)
            g_string_append_c(g_string_append_c(out, '\\'), *s);
        else
            g_string_append_c(out, *s);
    }
}

/* The escape looks at sixteen octets at a time: each character it escapes,
 * and some it does not, at every place of a 41-octet title, and a title of
 * nothing but escapes, come out as the plain rule gives. */
static void markdown_escapes_in_every_lane(void)
{
    static const char octets[] = "<>&\\`*_[]|#a~{}\x7f\xc3";
    g_autoptr(MsTrace) t = ms_trace_new();
    MsReportOptions o;
    ms_report_options_init(&o);
    for (gsize k = 0; k + 1 < sizeof octets; k++) {
        for (gsize at = 0; at <= 41; at++) {
            g_autofree char *name = g_strnfill(41, 'n');
            if (at < 41)
                name[at] = octets[k];
            else
                memset(name, octets[k], 41);
            o.scenario_name = name;
            g_autofree char *md = ms_report_transcript_md(t, &o);
            g_autoptr(GString) want = g_string_new("# Transcript: ");
            md_escape_slowly(want, name);
            g_string_append(want, "\n");
            if (!g_str_has_prefix(md, want->str)) {
                fprintf(stderr, "\n  octet 0x%02x at %zu: %.*s\n", (guint8) octets[k], at,
                        (int) want->len, md);
                CU_FAIL("Markdown escape");
                return;
            }
        }
    }
}

/* ---- report/summary --------------------------------------------------------------- */

/* docs/network-model.md, one link of L = 2 ms and W = 10 Mbit/s: a segment
 * of 40 + n bytes takes (40 + n) * 8 / 10^7 s = (40 + n) * 800 ns to send,
 * then L to cross.  A bare segment takes D = 32 µs + 2 ms = 2.032 ms. */
#define L (2 * MS_MSEC)
static MsTime tx(guint payload)
{
    return (MsTime) (40 + payload) * 800;
}

/* One turn of a dialogue: the receiver of the previous write first sends
 * its ACK (40 bytes, 32 µs on the link), then its own write of `payload`
 * bytes, which arrives tx(payload) + L later. */
static MsTime turn(MsTime arrived, guint payload)
{
    return arrived + tx(0) + tx(payload) + L;
}

static JsonObject *find_by(JsonArray *a, const char *member, const char *value)
{
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *o = json_array_get_object_element(a, i);
        if (g_strcmp0(json_object_get_string_member(o, member), value) == 0)
            return o;
    }
    return NULL;
}

/* tests/data/report/two-hosts.mss: Alice mails herself (delivered at once
 * into her mailbox: no queue, no relay), then fetches with POP3 at 1 s. */
static void summary_matches_hand_computed_delays(void)
{
    const char *path = "tests/data/report/two-hosts.mss";
    Run run = { 0 };
    CU_ASSERT_TRUE_FATAL(run_file(path, &run));
    gsize len = 0;
    g_autofree char *json = ms_report_summary_json(ms_world_trace(run.world), &len);
    g_autoptr(JsonParser) parser = json_parser_new();
    CU_ASSERT_TRUE_FATAL(json_parser_load_from_data(parser, json, (gssize) len, NULL));
    JsonObject *root = json_node_get_object(json_parser_get_root(parser));
    JsonArray *exchanges = json_object_get_array_member(root, "exchanges");
    CU_ASSERT_EQUAL_FATAL(json_array_get_length(exchanges), 2);

    const MsTime D = tx(0) + L; /* 2.032 ms */
    /* SMTP [1], opened at 0: the server is established at 3D and greets. */
    MsTime t = 3 * D + tx(29) + L; /* "220 crepes.fr ESMTP mailsim" + CRLF, 29 bytes */
    CU_ASSERT_EQUAL(t, 8151200);   /* 6.096 + 0.0552 + 2 = 8.1512 ms */
    t = turn(t, 15);               /* EHLO alice-pc */
    t = turn(t, 90);               /* the six 250 lines: 15+10+14+16+25+10 */
    t = turn(t, 38);               /* MAIL FROM:<alice@crepes.fr> SIZE=142 */
    t = turn(t, 14);               /* 250 2.1.0 Ok */
    t = turn(t, 27);               /* RCPT TO:<alice@crepes.fr> */
    t = turn(t, 14);               /* 250 2.1.5 Ok */
    t = turn(t, 6);                /* DATA */
    t = turn(t, 37);               /* 354 End data with <CR><LF>.<CR><LF> */
    t = turn(t, 142 + 3);          /* the 142-byte message and ".\r\n" */
    const MsTime delivered = t;
    CU_ASSERT_EQUAL(delivered, 27036000); /* 27.036 ms: into Alice's mailbox */
    /* Closing: 250 back (22 bytes), QUIT (6), then the server's ACK, 221 (15)
     * and FIN; the client ACKs the 221, sends its FIN, ACKs the server's
     * FIN (queued behind its own), and the server's last ACK closes it. */
    MsTime quit_arrives = turn(turn(delivered, 22), 6);      /* 31.1864 */
    MsTime reply_arrives = quit_arrives + tx(0) + tx(15) + L; /* the 221: 33.2624 */
    MsTime client_fin_sent = reply_arrives + tx(0);         /* after its ACK of the 221 */
    MsTime client_fin_arrives = client_fin_sent + tx(0) + L; /* 35.3264 */
    /* The client's side closes last, when the server's ACK of its FIN
     * arrives (the server's FIN reached it at 33.2944, behind the 221). */
    MsTime closed = client_fin_arrives + tx(0) + L;         /* 37.3584 */
    CU_ASSERT_EQUAL(closed, 37358400);

    JsonObject *smtp = json_array_get_object_element(exchanges, 0);
    MS_ASSERT_STR(json_object_get_string_member(smtp, "protocol"), "SMTP");
    MS_ASSERT_STR(json_object_get_string_member(smtp, "opened_by"), "alice-pc");
    MS_ASSERT_STR(json_object_get_string_member(smtp, "mail_moved"), "away-from-opener");
    MS_ASSERT_STR(json_object_get_string_member(smtp, "kind"), "push");
    /* EHLO, MAIL, RCPT, DATA, the text, QUIT: each waits for a reply. */
    CU_ASSERT_EQUAL(json_object_get_int_member(smtp, "round_trips"), 6);
    /* 15 + 38 + 27 + 6 + 145 + 6 = 237; 29 + 90 + 14 + 14 + 37 + 22 + 15 = 221 */
    CU_ASSERT_EQUAL(json_object_get_int_member(smtp, "bytes_client_to_server"), 237);
    CU_ASSERT_EQUAL(json_object_get_int_member(smtp, "bytes_server_to_client"), 221);
    CU_ASSERT_EQUAL(json_object_get_int_member(smtp, "duration_ns"), closed);

    /* POP3 [2], opened at the 1 s action. */
    const MsTime fetch = MS_SEC;
    t = fetch + 3 * D + tx(48) + L; /* "+OK POP3 server ready <...>": 48 bytes */
    t = turn(t, 12);               /* USER alice */
    t = turn(t, 33);               /* +OK alice is a real hoopy frood */
    t = turn(t, 13);               /* PASS secret */
    t = turn(t, 49);               /* +OK alice's maildrop has 1 message (274 octets) */
    t = turn(t, 6);                /* LIST */
    t = turn(t, 38);               /* +OK 1 message (274 octets), 1 274, . */
    t = turn(t, 8);                /* RETR 1 */
    t = turn(t, 293);              /* +OK 274 octets (16), the 274-byte message, ".\r\n" */
    const MsTime seen = t;
    CU_ASSERT_EQUAL(seen, 1025040000); /* 1025.0400 ms */
    JsonObject *pop3 = json_array_get_object_element(exchanges, 1);
    MS_ASSERT_STR(json_object_get_string_member(pop3, "protocol"), "POP3");
    MS_ASSERT_STR(json_object_get_string_member(pop3, "mail_moved"), "toward-opener");
    MS_ASSERT_STR(json_object_get_string_member(pop3, "kind"), "pull");
    /* USER, PASS, LIST, RETR, DELE, QUIT */
    CU_ASSERT_EQUAL(json_object_get_int_member(pop3, "round_trips"), 6);
    /* 12 + 13 + 6 + 8 + 8 + 6 = 53 */
    CU_ASSERT_EQUAL(json_object_get_int_member(pop3, "bytes_client_to_server"), 53);

    /* The message: submission 0 → 27.036, in the mailbox until the fetch at
     * 1 s, retrieval until it is seen; the stages add up. */
    JsonArray *messages = json_object_get_array_member(root, "messages");
    CU_ASSERT_EQUAL_FATAL(json_array_get_length(messages), 1);
    JsonObject *m = json_array_get_object_element(messages, 0);
    JsonArray *deliveries = json_object_get_array_member(m, "deliveries");
    CU_ASSERT_EQUAL_FATAL(json_array_get_length(deliveries), 1);
    JsonObject *d = json_array_get_object_element(deliveries, 0);
    MS_ASSERT_STR(json_object_get_string_member(d, "mailbox"), "alice@crepes.fr");
    MS_ASSERT_STR(json_object_get_string_member(d, "seen_by"), "alice-pc");
    CU_ASSERT_EQUAL(json_object_get_int_member(d, "delivered_ns"), delivered);
    CU_ASSERT_EQUAL(json_object_get_int_member(d, "seen_ns"), seen);
    JsonArray *stages = json_object_get_array_member(d, "stages");
    CU_ASSERT_EQUAL_FATAL(json_array_get_length(stages), 3);
    JsonObject *sub = find_by(stages, "stage", "submission");
    JsonObject *box = find_by(stages, "stage", "mailbox");
    JsonObject *ret = find_by(stages, "stage", "retrieval");
    CU_ASSERT_TRUE_FATAL(sub != NULL && box != NULL && ret != NULL);
    CU_ASSERT_EQUAL(json_object_get_int_member(sub, "delay_ns"), delivered);         /* 27.036 */
    CU_ASSERT_EQUAL(json_object_get_int_member(box, "delay_ns"), fetch - delivered); /* 972.964 */
    CU_ASSERT_EQUAL(json_object_get_int_member(ret, "delay_ns"), seen - fetch);      /* 25.0400 */
    CU_ASSERT_EQUAL(json_object_get_int_member(d, "end_to_end_ns"), seen);

    /* The text says the same, in ms with µs precision. */
    MsReportOptions o;
    options_for(&o, &run, path, "en");
    g_autofree char *text = ms_report_summary(ms_world_trace(run.world), &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "round trips  6, plus 1 for the TCP handshake"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "237 client \u2192 server, 221 server \u2192 client"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "37.358 ms (0.000 \u2192 37.358)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "972.964"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "1025.040"));
    run_clear(&run);
}

/* An SMTP connection lists the Message-IDs of the texts it carried, each
 * once however often it came, and counts the texts that named none (a
 * serve client's message may have no Message-ID): never in web mail's
 * words ("uploaded ... (POST: a push)"), which only HTTP's rows use. */
static void summary_counts_texts_without_message_id(void)
{
    g_autoptr(MsTrace) t = ms_trace_new();
    emit_open(t, 1, 0);
    MsTime at = MS_MSEC;
    /* Twelve texts with IDs (the tenth names the first's again), then two
     * with none; a plain command between texts ends each. */
    for (int i = 0; i < 14; i++) {
        g_autofree char *mid = g_strdup_printf("Message-ID: <%d@crepes.fr>", i == 9 ? 0 : i);
        if (i < 12)
            emit_line(t, 1, at++, MS_DIR_CLIENT, mid, "\r\n", "smtp.transfer",
                      "smtp.data.line");
        emit_line(t, 1, at++, MS_DIR_CLIENT, "Subject: x", "\r\n", "smtp.transfer",
                  "smtp.data.line");
        emit_line(t, 1, at++, MS_DIR_CLIENT, "", "\r\n", "smtp.transfer", "smtp.data.line");
        emit_line(t, 1, at++, MS_DIR_CLIENT, "hi", "\r\n", "smtp.transfer", "smtp.data.line");
        emit_line(t, 1, at++, MS_DIR_CLIENT, ".", "\r\n", "smtp.transfer", "smtp.data.end");
        emit_line(t, 1, at++, MS_DIR_SERVER, "250 Ok", "\r\n", "smtp.transfer",
                  "smtp.reply.250.queued");
    }
    MsReportOptions o;
    ms_report_options_init(&o);
    g_autofree char *text = ms_report_summary(t, &o);
    GString *want = g_string_new("messages     13:");
    for (int i = 0; i < 12; i++)
        if (i != 9)
            g_string_append_printf(want, " <%d@crepes.fr>", i);
    g_string_append(want, "; 2 of them without a Message-ID\n");
    /* (the list wraps: read with its continuation rows joined) */
    g_autoptr(GRegex) wrap = g_regex_new("\n {19}", 0, 0, NULL);
    g_autofree char *joined = g_regex_replace_literal(wrap, text, -1, 0, " ", 0, NULL);
    if (strstr(joined, want->str) == NULL)
        fprintf(stderr, "\n  want \"%s\" in:\n%s\n", want->str, joined);
    CU_ASSERT_PTR_NOT_NULL(strstr(joined, want->str));
    CU_ASSERT_PTR_NULL(strstr(text, "POST"));
    g_string_free(want, TRUE);

    /* One text and no ID at all, in Chinese too. */
    g_autoptr(MsTrace) one = ms_trace_new();
    emit_open(one, 1, 0);
    emit_line(one, 1, MS_MSEC, MS_DIR_CLIENT, "Subject: x", "\r\n", "smtp.transfer",
              "smtp.data.line");
    emit_line(one, 1, 2 * MS_MSEC, MS_DIR_CLIENT, ".", "\r\n", "smtp.transfer",
              "smtp.data.end");
    g_autofree char *en = ms_report_summary(one, &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(en, "messages     1, without a Message-ID\n"));
    o.lang = "zh";
    g_autofree char *zh = ms_report_summary(one, &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(zh, "1 封，没有 Message-ID\n"));
}

/* mail-access compares three readers of one message: the timeline of the
 * message names all three reads, the browser's web-mail read (GET
 * /message/1) with the POP3 and IMAP ones, in both languages. */
static void mail_access_timeline_has_every_reader(void)
{
    const char *path = "scenarios/mail-access.mss";
    Run run = { 0 };
    CU_ASSERT_TRUE_FATAL(run_file(path, &run));
    static const char *const langs[] = { "en", "zh" };
    static const char *const reads[][3] = {
        { "bob-pc: bob's agent downloaded message 1", "bob-phone: bob's agent on bob-phone fetched",
          "bob-browser: bob reads message 1 in the browser on bob-browser" },
        { "bob-pc: bob 的用户代理下载了第 1 封邮件", "bob-phone: bob 在 bob-phone 上的用户代理",
          "bob-browser: bob 阅读第 1 封邮件：在 bob-browser 的浏览器中" },
    };
    for (gsize l = 0; l < G_N_ELEMENTS(langs); l++) {
        MsReportOptions o;
        options_for(&o, &run, path, langs[l]);
        g_autofree char *text = ms_report_summary(ms_world_trace(run.world), &o);
        const char *timeline = strstr(text, l == 0 ? "Messages, and where their delay went"
                                                   : "\n\n");
        CU_ASSERT_PTR_NOT_NULL_FATAL(timeline);
        for (gsize k = 0; k < 3; k++) {
            if (strstr(timeline, reads[l][k]) == NULL)
                fprintf(stderr, "  %s: no \"%s\" in the summary\n", langs[l], reads[l][k]);
            CU_ASSERT_PTR_NOT_NULL(strstr(timeline, reads[l][k]));
        }
    }
    run_clear(&run);
}

/* The acceptance scenario: two pushes (submission, relay) and a pull. */
static void push_and_pull_in_smtp_basic(void)
{
    Run run = { 0 };
    CU_ASSERT_TRUE_FATAL(run_file("scenarios/smtp-basic.mss", &run));
    MsTrace *trace = ms_world_trace(run.world);
    gsize len = 0;
    g_autofree char *json = ms_report_summary_json(trace, &len);
    g_autoptr(JsonParser) parser = json_parser_new();
    CU_ASSERT_TRUE_FATAL(json_parser_load_from_data(parser, json, (gssize) len, NULL));
    JsonObject *root = json_node_get_object(json_parser_get_root(parser));
    JsonArray *pp = json_object_get_array_member(root, "push_pull");
    JsonObject *smtp = find_by(pp, "protocol", "SMTP");
    JsonObject *pop3 = find_by(pp, "protocol", "POP3");
    CU_ASSERT_TRUE_FATAL(smtp != NULL && pop3 != NULL);
    MS_ASSERT_STR(json_object_get_string_member(smtp, "kind"), "push");
    MS_ASSERT_STR(json_object_get_string_member(smtp, "opened_by"), "alice-pc, crepes.fr");
    MS_ASSERT_STR(json_object_get_string_member(pop3, "kind"), "pull");
    MS_ASSERT_STR(json_object_get_string_member(pop3, "opened_by"), "bob-pc");
    CU_ASSERT_EQUAL(json_array_get_length(json_object_get_array_member(smtp, "exchanges")), 2);

    /* The message's way: submission, queue, relay, mailbox, retrieval, and
     * the stages add up to the end-to-end delay. */
    JsonObject *m = json_array_get_object_element(json_object_get_array_member(root, "messages"),
                                                  0);
    JsonObject *d = json_array_get_object_element(json_object_get_array_member(m, "deliveries"),
                                                  0);
    JsonArray *stages = json_object_get_array_member(d, "stages");
    static const char *const order[] = { "submission", "queue", "relay", "mailbox",
                                         "retrieval" };
    CU_ASSERT_EQUAL_FATAL(json_array_get_length(stages), G_N_ELEMENTS(order));
    gint64 sum = 0;
    for (guint i = 0; i < G_N_ELEMENTS(order); i++) {
        JsonObject *st = json_array_get_object_element(stages, i);
        MS_ASSERT_STR(json_object_get_string_member(st, "stage"), order[i]);
        sum += json_object_get_int_member(st, "delay_ns");
    }
    CU_ASSERT_EQUAL(sum, json_object_get_int_member(d, "end_to_end_ns"));
    /* Bob's fetch starts at 5 s. */
    JsonObject *box = find_by(stages, "stage", "mailbox");
    CU_ASSERT_EQUAL(json_object_get_int_member(box, "to_ns"), 5 * MS_SEC);

    /* End state, from the changes: Bob's mailbox emptied by the POP3
     * update, the queue of crepes.fr empty, Bob's agent holding a copy. */
    JsonObject *end = json_object_get_object_member(root, "end_state");
    JsonObject *bob = find_by(json_object_get_array_member(end, "mailboxes"), "name",
                              "bob@hamburger.edu");
    CU_ASSERT_TRUE_FATAL(bob != NULL);
    CU_ASSERT_EQUAL(json_object_get_int_member(bob, "count"), 0);
    JsonObject *queue = find_by(json_object_get_array_member(end, "queues"), "server",
                                "crepes.fr");
    CU_ASSERT_TRUE_FATAL(queue != NULL);
    CU_ASSERT_EQUAL(json_object_get_int_member(queue, "count"), 0);
    JsonObject *copy = find_by(json_object_get_array_member(end, "agent_copies"), "agent",
                               "bob-pc");
    CU_ASSERT_TRUE_FATAL(copy != NULL);
    CU_ASSERT_EQUAL(json_object_get_int_member(copy, "count"), 1);

    /* trace.json carries the same summary. */
    MsReportOptions o;
    options_for(&o, &run, "scenarios/smtp-basic.mss", "en");
    gsize tlen = 0;
    g_autofree char *trace_json = ms_report_json(trace, &o, &tlen);
    CU_ASSERT_PTR_NOT_NULL(strstr(trace_json, "\"summary\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(trace_json, "\"push_pull\""));
    run_clear(&run);
}

/* When the run ends with state records, they are the end state. */
static void end_state_from_state_records(void)
{
    g_autoptr(MsTrace) t = ms_trace_new();
    MsTraceRecord r = { 0 };
    r.kind = MS_TRACE_MAILBOX;
    r.arrival = -1;
    r.time = MS_SEC;
    r.note = "state.mailbox";
    r.src = "hamburger.edu";
    r.subject = "bob@hamburger.edu/Archive";
    r.text = "<1.1@crepes.fr> <2.1@crepes.fr>";
    r.count = 2;
    r.detail = "bob@hamburger.edu's folder Archive holds 2 messages";
    ms_trace_emit(t, &r);
    r.kind = MS_TRACE_QUEUE;
    r.note = "state.queue";
    r.src = "crepes.fr";
    r.subject = "outgoing";
    r.text = "";
    r.count = 0;
    ms_trace_emit(t, &r);
    MsReportOptions o;
    ms_report_options_init(&o);
    g_autofree char *text = ms_report_summary(t, &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "hamburger.edu  bob@hamburger.edu/Archive  messages: 2, "
                                        "<1.1@crepes.fr> <2.1@crepes.fr>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "crepes.fr  messages: 0"));
    CU_ASSERT_PTR_NULL(strstr(text, "never changed are not listed"));
    /* State records are not transcript events. */
    g_autofree char *transcript = ms_report_transcript(t, &o);
    CU_ASSERT_PTR_NULL(strstr(transcript, "holds 2 messages"));
}

int main(void)
{
    static const MsTestCase i18n[] = {
        MS_TEST(every_key_has_chinese),
        MS_TEST(every_kind_and_key_has_a_label),
        MS_TEST(labels_of_named_records),
        MS_TEST(label_of_a_rejected_submission),
        MS_TEST(chinese_terms_are_consistent),
        MS_TEST(mailbox_notes_name_the_user),
        MS_TEST(engine_keys_resolve),
        MS_TEST(chinese_under_the_c_locale),
        MS_TEST(default_language_from_the_locale),
        MS_TEST_END,
    };
    static const MsTestCase events[] = {
        MS_TEST(event_sentences_round_trip),
        MS_TEST(unreachable_readers_name_the_server),
        MS_TEST(end_state_counts_read_in_english),
        MS_TEST(shipped_scenarios_have_templates),
        MS_TEST_END,
    };
    static const MsTestCase transcript[] = {
        MS_TEST(bare_lf_is_visible),
        MS_TEST(summary_counts_texts_without_message_id),
        MS_TEST(transcript_shows_what_would_act_unseen),
        MS_TEST(long_bodies_are_elided),
        MS_TEST(tcp_segments_only_with_the_option),
        MS_TEST(chinese_changes_words_only),
        MS_TEST(markdown_tables_per_connection),
        MS_TEST(markdown_escapes_in_every_lane),
        MS_TEST_END,
    };
    static const MsTestCase summary[] = {
        MS_TEST(summary_matches_hand_computed_delays),
        MS_TEST(push_and_pull_in_smtp_basic),
        MS_TEST(mail_access_timeline_has_every_reader),
        MS_TEST(end_state_from_state_records),
        MS_TEST_END,
    };
    ms_test_add_suite("report/i18n", i18n);
    ms_test_add_suite("report/events", events);
    ms_test_add_suite("report/transcript", transcript);
    ms_test_add_suite("report/summary", summary);
    int rc = ms_test_run();
    ms_report_untranslated_reset();
    return rc;
}
