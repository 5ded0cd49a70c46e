/* test_imap_server.c - the IMAP wire format, the mail store and the server
 * engine against RFC 3501 (with IDLE, MOVE, UNSELECT and LITERAL+).
 *
 * imap/parse checks the parser, sequence sets, dates and patterns;
 * imap/store the folders, UIDs and watchers; imap/server drives the server
 * with command lines and checks its responses, state by state and error
 * by error; imap/sessions runs two sessions on one store, IDLE pushes and
 * RFC 3501 section 8's sample session.
 */
#include "testutil.h"
#include "mailsim/imap.h"
#include "../sim/proto/imap-private.h"

#include <string.h>

/* ---- A user world ------------------------------------------------------------- */

typedef struct {
    MsImapStore *bob;
    MsImapStore *mrc;
    guint changes;       /* watcher calls on bob's store */
    GString *log;        /* "kind:folder:uid " per change */
} World;

/* A message with the usual header fields and body lines (CRLF). */
static GBytes *make_msg(const char *from, const char *to, const char *subject, const char *date,
                        const char *body)
{
    g_autofree char *text = g_strdup_printf("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n"
                                            "Message-ID: <%s@test>\r\n\r\n%s",
                                            from, to, subject, date, subject, body);
    return g_bytes_new(text, strlen(text));
}

static void add_msg(MsImapStore *store, const char *folder, const char *from, const char *subject,
                    gint64 when, guint flags)
{
    g_autoptr(GBytes) data = make_msg(from, "bob@hamburger.edu", subject,
                                      "Mon, 01 Jan 2024 00:00:05 +0000", "Hello Bob.\r\n");
    CU_ASSERT(ms_imap_store_append(store, folder, data, flags, when) > 0);
}

static void watch(MsImapStore *store, const MsImapChange *change, gpointer data)
{
    (void) store;
    World *w = data;
    w->changes++;
    g_string_append_printf(w->log, "%s:%s:%u ", ms_imap_change_kind_name(change->kind),
                           change->folder, change->uid);
}

/* 1704067200 is 1-Jan-2024 00:00:00 UTC. */
#define JAN1 ((gint64) 1704067200)
#define DAY ((gint64) 86400)

static World *world_new(void)
{
    World *w = g_new0(World, 1);
    w->bob = ms_imap_store_new("bob", 100);
    w->mrc = ms_imap_store_new("mrc", 3857529045u);
    w->log = g_string_new(NULL);
    add_msg(w->bob, "INBOX", "Alice <alice@crepes.fr>", "Ketchup", JAN1, MS_IMAP_FLAG_SEEN);
    add_msg(w->bob, "INBOX", "Carol <carol@example.org>", "Pickles", JAN1 + DAY, 0);
    add_msg(w->bob, "INBOX", "alice@crepes.fr", "Mustard", JAN1 + 2 * DAY, MS_IMAP_FLAG_FLAGGED);
    ms_imap_store_watch(w->bob, watch, w);
    return w;
}

static void world_free(World *w)
{
    ms_imap_store_unref(w->bob);
    ms_imap_store_unref(w->mrc);
    g_string_free(w->log, TRUE);
    g_free(w);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(World, world_free)

static MsImapStore *w_login(const char *user, const char *password, gpointer data)
{
    World *w = data;
    /* The local part or the whole address, as the glue's callback allows. */
    if ((strcmp(user, "bob") == 0 || strcmp(user, "bob@hamburger.edu") == 0)
        && strcmp(password, "hungry") == 0)
        return w->bob;
    if (strcmp(user, "mrc") == 0 && strcmp(password, "secret") == 0)
        return w->mrc;
    return NULL;
}

static gint64 w_clock(gpointer data)
{
    (void) data;
    return JAN1 + 10 * DAY;
}

static MsImapServer *server_new_ext(World *w, guint disabled)
{
    MsImapServerConfig config = {
        .hostname = "imap.hamburger.edu", .login = w_login, .clock = w_clock, .user_data = w,
        .disabled_extensions = disabled, .max_literal = 4096,
    };
    g_autoptr(GError) error = NULL;
    MsImapServer *s = ms_imap_server_new(&config, &error);
    g_assert_no_error(error);
    ms_imap_server_start(s);
    g_ptr_array_unref(ms_imap_server_take_output(s));
    return s;
}

static MsImapServer *server_new(World *w)
{
    return server_new_ext(w, 0);
}

static char *join_output(GPtrArray *lines)
{
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < lines->len; i++) {
        const MsProtoLine *l = g_ptr_array_index(lines, i);
        g_string_append_printf(out, "%s%s", i > 0 ? "\n" : "", l->text);
    }
    return g_string_free(out, FALSE);
}

static char *feed(MsImapServer *s, const char *bytes)
{
    ms_imap_server_feed(s, bytes, strlen(bytes));
    g_autoptr(GPtrArray) out = ms_imap_server_take_output(s);
    return join_output(out);
}

/* Feeds one command line; returns every line of the answer joined by LF. */
static char *say(MsImapServer *s, const char *line)
{
    g_autofree char *bytes = g_strconcat(line, "\r\n", NULL);
    return feed(s, bytes);
}

/* The last line of the answer (the tagged completion, usually). */
G_GNUC_UNUSED static char *say_last(MsImapServer *s, const char *line)
{
    g_autofree char *all = say(s, line);
    const char *nl = strrchr(all, '\n');
    return g_strdup(nl != NULL ? nl + 1 : all);
}

/* The note of the last line of the answer. */
static const char *say_note(MsImapServer *s, const char *line)
{
    g_autofree char *bytes = g_strconcat(line, "\r\n", NULL);
    ms_imap_server_feed(s, bytes, strlen(bytes));
    g_autoptr(GPtrArray) out = ms_imap_server_take_output(s);
    if (out->len == 0)
        return "(none)";
    return ((const MsProtoLine *) g_ptr_array_index(out, out->len - 1))->note;
}

static void drain_events(MsImapServer *s)
{
    MsImapEvent *ev;
    while ((ev = ms_imap_server_next_event(s)) != NULL)
        ms_imap_event_free(ev);
}

/* A server logged in as bob with INBOX selected. */
static MsImapServer *server_selected(World *w, gboolean read_only)
{
    MsImapServer *s = server_new(w);
    g_autofree char *a = say(s, "a1 LOGIN bob hungry");
    g_autofree char *b = say(s, read_only ? "a2 EXAMINE INBOX" : "a2 SELECT INBOX");
    CU_ASSERT_EQUAL(ms_imap_server_state(s), MS_IMAP_STATE_SELECTED);
    drain_events(s);
    return s;
}

#define HAS(text, needle) CU_ASSERT_PTR_NOT_NULL(strstr((text), (needle)))
#define HASNT(text, needle) CU_ASSERT_PTR_NULL(strstr((text), (needle)))

/* ---- imap/parse --------------------------------------------------------------- */

static MsImapLine *parse_one(MsImapParser *p, const char *bytes, int expect)
{
    MsImapLine *line = NULL;
    ms_imap_parser_feed(p, bytes, strlen(bytes));
    int r = ms_imap_parser_next(p, &line);
    CU_ASSERT_EQUAL(r, expect);
    return line;
}

static void parse_arguments(void)
{
    g_autoptr(MsImapParser) p = ms_imap_parser_new(FALSE, 0);
    g_autoptr(MsImapLine) line = parse_one(
        p,
        "a1 FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From \"To\")]<0.10>) \"q\\\"x\" ()\r\n",
        1);
    CU_ASSERT_EQUAL_FATAL(line->args->len, 6);
    MS_ASSERT_STR(ms_imap_line_tag(line), "a1");
    MS_ASSERT_STR(ms_imap_line_arg(line, 2)->data, "1:*");
    const MsImapArg *list = ms_imap_line_arg(line, 3);
    CU_ASSERT_EQUAL(list->kind, MS_IMAP_ARG_LIST);
    CU_ASSERT_EQUAL_FATAL(list->list->len, 2);
    /* Inside [...] spaces, parentheses and quotes belong to the atom. */
    MS_ASSERT_STR(((MsImapArg *) list->list->items[1])->data,
                  "BODY.PEEK[HEADER.FIELDS (From \"To\")]<0.10>");
    /* quoted-specials are unescaped. */
    CU_ASSERT_EQUAL(ms_imap_line_arg(line, 4)->kind, MS_IMAP_ARG_STRING);
    MS_ASSERT_STR(ms_imap_line_arg(line, 4)->data, "q\"x");
    CU_ASSERT_EQUAL(ms_imap_line_arg(line, 5)->list->len, 0);
    CU_ASSERT_EQUAL(ms_imap_parser_pending(p), 0);
}

/* A line's arguments come from room that comes with it, and those that do
 * not fit from allocations of their own: a line of many arguments, nested
 * lists and literals larger than the room reads back whole, each argument
 * where it was. */
static void parse_beyond_a_lines_room(void)
{
    g_autoptr(MsImapParser) p = ms_imap_parser_new(TRUE, 0);
    GString *big = g_string_new(NULL);
    for (guint i = 0; i < 3000; i++)
        g_string_append_c(big, (char) ('a' + i % 26));
    GString *in = g_string_new("* 1 FETCH (");
    for (guint i = 0; i < 60; i++)
        g_string_append_printf(in, "X%u (%u (y%u \"q%u\")) ", i, i, i, i);
    g_string_append_printf(in, "BODY[] {%zu}\r\n%s BODY[TEXT] {3}\r\nend)\r\n", big->len,
                           big->str);
    ms_imap_parser_feed(p, in->str, in->len);
    MsImapLine *raw = NULL;
    CU_ASSERT_EQUAL(ms_imap_parser_next(p, &raw), 1);
    g_autoptr(MsImapLine) line = raw;
    CU_ASSERT_EQUAL_FATAL(line->args->len, 4);
    const MsImapArg *att = ms_imap_line_arg(line, 3);
    CU_ASSERT_EQUAL_FATAL(att->kind, MS_IMAP_ARG_LIST);
    CU_ASSERT_EQUAL_FATAL(att->list->len, 2 * 60 + 4);
    for (guint i = 0; i < 60; i++) {
        g_autofree char *name = g_strdup_printf("X%u", i);
        g_autofree char *num = g_strdup_printf("%u", i);
        g_autofree char *y = g_strdup_printf("y%u", i);
        g_autofree char *q = g_strdup_printf("q%u", i);
        const MsImapArg *a = att->list->items[2 * i];
        const MsImapArg *v = att->list->items[2 * i + 1];
        MS_ASSERT_STR(a->data, name);
        CU_ASSERT_EQUAL_FATAL(v->kind, MS_IMAP_ARG_LIST);
        CU_ASSERT_EQUAL_FATAL(v->list->len, 2);
        MS_ASSERT_STR(((const MsImapArg *) v->list->items[0])->data, num);
        const MsImapArg *inner = v->list->items[1];
        CU_ASSERT_EQUAL_FATAL(inner->list->len, 2);
        MS_ASSERT_STR(((const MsImapArg *) inner->list->items[0])->data, y);
        const MsImapArg *quoted = inner->list->items[1];
        CU_ASSERT_EQUAL(quoted->kind, MS_IMAP_ARG_STRING);
        MS_ASSERT_STR(quoted->data, q);
    }
    const MsImapArg *body = att->list->items[121];
    CU_ASSERT(body->literal);
    CU_ASSERT_EQUAL_FATAL(body->len, big->len);
    CU_ASSERT(memcmp(body->data, big->str, big->len) == 0);
    CU_ASSERT_EQUAL(body->data[body->len], '\0');
    const MsImapArg *text = att->list->items[123];
    MS_ASSERT_STR(text->data, "end");
    g_string_free(in, TRUE);
    g_string_free(big, TRUE);
}

static void parse_literals(void)
{
    g_autoptr(MsImapParser) p = ms_imap_parser_new(FALSE, 100);
    MsImapLine *line = NULL;
    const char *head = "a1 LOGIN {3}\r\n";
    ms_imap_parser_feed(p, head, strlen(head));
    CU_ASSERT_EQUAL(ms_imap_parser_next(p, &line), 0);
    gsize size = 0;
    /* RFC 3501 7.5: the server must say "+" once before the octets come. */
    CU_ASSERT(ms_imap_parser_literal_wanted(p, &size));
    CU_ASSERT_EQUAL(size, 3);
    CU_ASSERT_FALSE(ms_imap_parser_literal_wanted(p, NULL));
    /* The octets may hold CRLF; the line goes on after them. */
    const char *rest = "b\r\n {2+}\r\nxy\r\n";
    ms_imap_parser_feed(p, rest, 6);
    CU_ASSERT_EQUAL(ms_imap_parser_next(p, &line), 0);
    CU_ASSERT_FALSE(ms_imap_parser_literal_wanted(p, NULL));
    ms_imap_parser_feed(p, rest + 6, strlen(rest) - 6);
    CU_ASSERT_EQUAL_FATAL(ms_imap_parser_next(p, &line), 1);
    /* "{2+}" (RFC 7888) wants no "+". */
    CU_ASSERT_FALSE(ms_imap_parser_literal_wanted(p, NULL));
    CU_ASSERT_EQUAL_FATAL(line->args->len, 4);
    const MsImapArg *user = ms_imap_line_arg(line, 2);
    CU_ASSERT(user->literal);
    CU_ASSERT_EQUAL(user->len, 3);
    CU_ASSERT_EQUAL(memcmp(user->data, "b\r\n", 3), 0);
    MS_ASSERT_STR(ms_imap_line_arg(line, 3)->data, "xy");
    ms_imap_line_free(line);

    /* RFC 3501 7.5: "{0}" waits for its "+" too, though its octets, none,
     * are all there. */
    const char *empty = "a9 LOGIN bob {0}\r\n\r\n";
    ms_imap_parser_feed(p, empty, strlen(empty));
    CU_ASSERT_EQUAL(ms_imap_parser_next(p, &line), 0);
    CU_ASSERT(ms_imap_parser_literal_wanted(p, &size));
    CU_ASSERT_EQUAL(size, 0);
    CU_ASSERT_EQUAL_FATAL(ms_imap_parser_next(p, &line), 1);
    CU_ASSERT_EQUAL_FATAL(line->args->len, 4);
    CU_ASSERT(ms_imap_line_arg(line, 3)->literal);
    CU_ASSERT_EQUAL(ms_imap_line_arg(line, 3)->len, 0);
    ms_imap_line_free(line);

    /* A literal larger than allowed: TOOBIG, the rest of the line skipped. */
    g_autoptr(MsImapLine) big = parse_one(p, "a2 APPEND INBOX {101}\r\n", -1);
    MS_ASSERT_STR(big->code, "TOOBIG");
    MS_ASSERT_STR(ms_imap_line_tag(big), "a2");
    g_autoptr(MsImapLine) next = parse_one(p, "a3 NOOP\r\n", 1);
    MS_ASSERT_STR(ms_imap_line_tag(next), "a3");
}

static void parse_errors(void)
{
    static const struct {
        const char *input;
        const char *error;
    } cases[] = {
        { "a1  NOOP\r\n", "Unexpected space" },
        { "a1 NOOP \r\n", "Unexpected end of line" },
        { "a1 FETCH 1 (FLAGS\r\n", "Missing \")\"" },
        { "a1 FETCH 1 FLAGS)\r\n", "Unexpected \")\"" },
        { "a1 LOGIN \"bob\r\n", "Unterminated quoted string" },
        { "a1 LOGIN \"b\\ob\" x\r\n", "Invalid escape in quoted string" },
        { "a1 LOGIN {x}\r\n", "Malformed literal size" },
        { "a1 LOGIN {3} x\r\n", "A literal's size must end the line" },
        { "a1 NO\rOP\r\n", "Bare CR in line" },
        { "a1 NO\x01OP\r\n", "Control character in command" },
        { "\r\n", "Empty line" },
        { "a1 LOGIN b\xc3\xa9 x\r\n", "8-bit octet outside a string" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(MsImapParser) p = ms_imap_parser_new(FALSE, 0);
        g_autoptr(MsImapLine) line = parse_one(p, cases[i].input, -1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(line);
        MS_ASSERT_STR(line->error, cases[i].error);
        /* The parser recovers at the next line. */
        g_autoptr(MsImapLine) ok = parse_one(p, "z9 NOOP\r\n", 1);
        CU_ASSERT_PTR_NOT_NULL(ok);
    }
}

static void parse_responses(void)
{
    g_autoptr(MsImapParser) p = ms_imap_parser_new(TRUE, 0);
    g_autoptr(MsImapLine) ok = parse_one(p, "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n", 1);
    CU_ASSERT(ok->has_text);
    MS_ASSERT_STR(ok->code, "UIDVALIDITY 3857529045");
    MS_ASSERT_STR(ok->text, "UIDs valid");
    g_autoptr(MsImapLine) cont = parse_one(p, "+ Ready for literal data\r\n", 1);
    MS_ASSERT_STR(ms_imap_line_tag(cont), "+");
    MS_ASSERT_STR(cont->text, "Ready for literal data");
    /* resp-text is free text: quotes and brackets need not balance. */
    g_autoptr(MsImapLine) no = parse_one(p, "A7 NO [TRYCREATE] It's \"odd (\r\n", 1);
    MS_ASSERT_STR(no->code, "TRYCREATE");
    MS_ASSERT_STR(no->text, "It's \"odd (");
    g_autoptr(MsImapLine) fetch = parse_one(p, "* 1 FETCH (BODY[] {5}\r\nab\r\nc UID 4)\r\n", 1);
    const MsImapArg *att = ms_imap_line_arg(fetch, 3);
    CU_ASSERT_EQUAL_FATAL(att->list->len, 4);
    CU_ASSERT_EQUAL(((MsImapArg *) att->list->items[1])->len, 5);
    CU_ASSERT_FALSE(fetch->has_text);
    /* A server must not send "{n+}". */
    g_autoptr(MsImapLine) bad = parse_one(p, "* 1 FETCH (BODY[] {1+}\r\nx)\r\n", -1);
    CU_ASSERT_PTR_NOT_NULL(bad);
}

/* A line as text, every field of it, to compare lines read differently. */
static void describe_args(GString *out, const MsImapArgs *args)
{
    for (guint i = 0; i < args->len; i++) {
        const MsImapArg *a = args->items[i];
        if (a->kind == MS_IMAP_ARG_LIST) {
            g_string_append_c(out, '(');
            describe_args(out, a->list);
            g_string_append(out, ") ");
            continue;
        }
        g_string_append_printf(out, "%c%s%zu:", a->kind == MS_IMAP_ARG_ATOM ? 'a' : 's',
                               a->literal ? "L" : "", a->len);
        g_string_append_len(out, a->data, (gssize) a->len);
        CU_ASSERT_EQUAL(a->data[a->len], '\0');
        g_string_append_c(out, ' ');
    }
}

static char *describe_line(int r, const MsImapLine *line)
{
    GString *out = g_string_new(NULL);
    g_string_append_printf(out, "%d [", r);
    describe_args(out, line->args);
    g_string_append_printf(out, "] text=%d code=%s text=%s error=%s", line->has_text,
                           line->code != NULL ? line->code : "-",
                           line->text != NULL ? line->text : "-",
                           line->error != NULL ? line->error : "-");
    return g_string_free(out, FALSE);
}

/* Reads every line of a stream fed in pieces of `step` octets, each line
 * given back to the parser once described. */
static GPtrArray *read_recycling(gboolean response, const char *stream, gsize len, gsize step)
{
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(MsImapParser) p = ms_imap_parser_new(response, 0);
    for (gsize at = 0; at < len; at += step) {
        ms_imap_parser_feed(p, stream + at, MIN(step, len - at));
        for (;;) {
            MsImapLine *line = NULL;
            int r = ms_imap_parser_next(p, &line);
            if (r == 0)
                break;
            g_ptr_array_add(lines, describe_line(r, line));
            ms_imap_parser_recycle(p, line);
        }
    }
    CU_ASSERT_EQUAL(ms_imap_parser_pending(p), 0);
    return lines;
}

/* A parser reuses the memory of the lines given back to it, and keeps
 * octets of lines already read until more come: a line read by a parser
 * that read others before it, fed whole or an octet at a time, is the line
 * a new parser reads from it alone. */
static void parse_recycled_lines_read_as_new(void)
{
    g_autofree char *big = g_strnfill(3000, 'x');
    g_autofree char *append = g_strdup_printf("a6 APPEND INBOX {3000+}\r\n%s\r\n", big);
    g_autofree char *fetch = g_strdup_printf("* 2 FETCH (UID 9 BODY[] {3000}\r\n%s)\r\n", big);
    const char *commands[] = {
        "a1 FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From \"To\")]<0.10>) \"q\\\"x\" ()\r\n",
        "a2 LOGIN {3+}\r\nb\r\n \"pw\"\r\n",
        "a3  NOOP\r\n",
        "a4 FETCH 1 (FLAGS (\r\n",
        append,
        "a7 NOOP\r\n",
        "a8 LOGIN b\xc3\xa9 x\r\n",
        "a9 STORE 1 +FLAGS (\\Seen (\\Deleted))\r\n",
    };
    const char *responses[] = {
        "* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n",
        "* 1 FETCH (UID 4 FLAGS (\\Recent) INTERNALDATE \"23-Mar-2023 12:00:00 +0000\" "
        "RFC822.SIZE 5 BODY[] {5}\r\nab\r\nc)\r\n",
        fetch,
        "+ go on\r\n",
        "* 1 FETCH (BODY[] {1+}\r\nx)\r\n",
        "A1 OK [READ-WRITE] SELECT completed\r\n",
    };
    for (guint side = 0; side < 2; side++) {
        gboolean response = side == 1;
        const char *const *inputs = response ? responses : commands;
        gsize n = response ? G_N_ELEMENTS(responses) : G_N_ELEMENTS(commands);
        g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func(g_free);
        GString *stream = g_string_new(NULL);
        for (gsize i = 0; i < n; i++) {
            g_autoptr(GPtrArray) alone = read_recycling(response, inputs[i], strlen(inputs[i]),
                                                        strlen(inputs[i]));
            /* One line each, but for the "{1+}": refused at its end, what
             * follows it is read as a line (in error) of its own. */
            CU_ASSERT(alone->len == 1 || (response && i == 4 && alone->len == 2));
            for (guint k = 0; k < alone->len; k++)
                g_ptr_array_add(expected, g_strdup(g_ptr_array_index(alone, k)));
            g_string_append(stream, inputs[i]);
        }
        const gsize steps[] = { stream->len, 1, 7, 1460 };
        for (gsize k = 0; k < G_N_ELEMENTS(steps); k++) {
            g_autoptr(GPtrArray) got = read_recycling(response, stream->str, stream->len,
                                                      steps[k]);
            CU_ASSERT_EQUAL_FATAL(got->len, expected->len);
            for (guint i = 0; i < got->len; i++)
                MS_ASSERT_STR(g_ptr_array_index(got, i), g_ptr_array_index(expected, i));
        }
        g_string_free(stream, TRUE);
    }
}

/* Lines already read are kept until more octets come, so the length of a
 * line must be counted from where it starts: hundreds of short lines fed
 * at once, far more than the longest line allowed, are each read whole. */
static void parse_many_lines_at_once(void)
{
    g_autoptr(MsImapParser) p = ms_imap_parser_new(FALSE, 0);
    GString *in = g_string_new(NULL);
    for (guint i = 0; i < 2000; i++)
        g_string_append_printf(in, "t%u NOOP\r\n", i);
    CU_ASSERT(in->len > 2 * 8192);
    ms_imap_parser_feed(p, in->str, in->len);
    for (guint i = 0; i < 2000; i++) {
        MsImapLine *line = NULL;
        CU_ASSERT_EQUAL_FATAL(ms_imap_parser_next(p, &line), 1);
        g_autofree char *tag = g_strdup_printf("t%u", i);
        MS_ASSERT_STR(ms_imap_line_tag(line), tag);
        ms_imap_parser_recycle(p, line);
    }
    MsImapLine *none = NULL;
    CU_ASSERT_EQUAL(ms_imap_parser_next(p, &none), 0);
    CU_ASSERT_PTR_NULL(none);
    /* A line longer than allowed is still refused after them. */
    g_autofree char *longer = g_strnfill(8200, 'a');
    ms_imap_parser_feed(p, longer, strlen(longer));
    g_autoptr(MsImapLine) line = NULL;
    CU_ASSERT_EQUAL(ms_imap_parser_next(p, &line), -1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(line);
    MS_ASSERT_STR(line->error, "Line too long");
    g_string_free(in, TRUE);
}

/* What a writer emits, line by line: text, line end and note. */
static char *emitted(MsImapWriter *w)
{
    g_autoptr(MsProtoOutput) out = ms_proto_output_new();
    ms_imap_writer_emit(w, out, "imap.phase", "note", "literal-note");
    GString *s = g_string_new(NULL);
    GPtrArray *lines = ms_proto_output_lines(out);
    for (guint i = 0; i < lines->len; i++) {
        const MsProtoLine *line = g_ptr_array_index(lines, i);
        g_string_append_printf(s, "%s|%s|%s\n", line->text,
                               strcmp(line->eol, "\r\n") == 0 ? "CRLF" : line->eol, line->note);
    }
    CU_ASSERT_EQUAL(w->len, 0);
    CU_ASSERT_EQUAL(w->n_literals, 0);
    return g_string_free(s, FALSE);
}

static void write_fetch_like(MsImapWriter *w, const char *body)
{
    ms_imap_writer_add(w, "* ");
    ms_imap_writer_uint(w, 12);
    ms_imap_writer_add_len(w, " FETCH (FLAGS (", 15);
    ms_imap_write_flags(w, MS_IMAP_FLAG_SEEN, TRUE);
    ms_imap_writer_add(w, ") ENVELOPE (");
    ms_imap_writer_nstring(w, NULL);
    ms_imap_writer_add(w, " ");
    ms_imap_writer_string(w, "say \"hi\"", 8);
    ms_imap_writer_add(w, " ");
    ms_imap_writer_astring(w, "Sent Items");
    ms_imap_writer_add(w, ") BODY[] ");
    ms_imap_writer_literal(w, body, strlen(body));
    ms_imap_writer_add(w, " BODY[TEXT] ");
    ms_imap_writer_string(w, "two\r\nlines", 10);
    ms_imap_writer_add(w, ")");
}

/* A writer is emptied by each emit and keeps its memory: what it writes
 * after a response larger than its first buffer, with more literals, is
 * what a new writer writes. */
static void writer_reused_writes_as_new(void)
{
    const char *body = "Subject: x\r\n\r\nline one\r\nline two\r\n";
    MsImapWriter fresh;
    ms_imap_writer_init(&fresh);
    write_fetch_like(&fresh, body);
    g_autofree char *expected = emitted(&fresh);
    ms_imap_writer_clear(&fresh);
    MS_ASSERT_STR(expected,
                  "* 12 FETCH (FLAGS (\\Seen \\Recent) ENVELOPE (NIL \"say \\\"hi\\\"\" "
                  "\"Sent Items\") BODY[] {34}|CRLF|note\n"
                  "Subject: x|CRLF|literal-note\n"
                  "|CRLF|literal-note\n"
                  "line one|CRLF|literal-note\n"
                  "line two|CRLF|literal-note\n"
                  " BODY[TEXT] {10}|CRLF|note\n"
                  "two|CRLF|literal-note\n"
                  "lines)|CRLF|literal-note\n");

    MsImapWriter w;
    ms_imap_writer_init(&w);
    g_autofree char *big = g_strnfill(5000, 'b');
    for (guint i = 0; i < 20; i++) {
        ms_imap_writer_literal(&w, big, strlen(big));
        ms_imap_writer_add(&w, " ");
    }
    g_autofree char *first = emitted(&w);
    CU_ASSERT(strlen(first) > 20 * 5000);
    for (guint round = 0; round < 3; round++) {
        write_fetch_like(&w, body);
        g_autofree char *again = emitted(&w);
        MS_ASSERT_STR(again, expected);
    }
    ms_imap_writer_clear(&w);
    /* A cleared writer holds nothing; clearing it again is harmless. */
    CU_ASSERT_PTR_NULL(w.data);
    ms_imap_writer_clear(&w);
}

static void seqsets(void)
{
    g_autoptr(GArray) set = ms_imap_seqset_parse("2,4:6,9:*");
    CU_ASSERT_PTR_NOT_NULL_FATAL(set);
    /* "*" is the largest number in use: 12 here. */
    CU_ASSERT(ms_imap_seqset_contains(set, 2, 12));
    CU_ASSERT_FALSE(ms_imap_seqset_contains(set, 3, 12));
    CU_ASSERT(ms_imap_seqset_contains(set, 5, 12));
    CU_ASSERT(ms_imap_seqset_contains(set, 12, 12));
    CU_ASSERT_EQUAL(ms_imap_seqset_max(set, 12), 12);
    /* RFC 3501 section 9: "4:2" is the range 2..4. */
    g_autoptr(GArray) rev = ms_imap_seqset_parse("4:2");
    CU_ASSERT(ms_imap_seqset_contains(rev, 3, 10));
    /* 6.4.8: "7:*" with 5 the largest UID still names 5. */
    g_autoptr(GArray) above = ms_imap_seqset_parse("7:*");
    CU_ASSERT(ms_imap_seqset_contains(above, 5, 5));
    CU_ASSERT_FALSE(ms_imap_seqset_contains(above, 4, 5));
    static const char *const bad[] = { "", "0", "1:", ",1", "1,,2", "a", "1:0", "4294967296" };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        GArray *b = ms_imap_seqset_parse(bad[i]);
        CU_ASSERT_PTR_NULL(b);
        if (b != NULL)
            g_array_unref(b);
    }
    const guint32 nums[] = { 1, 2, 3, 5, 7, 8 };
    g_autofree char *f = ms_imap_seqset_format(nums, G_N_ELEMENTS(nums));
    MS_ASSERT_STR(f, "1:3,5,7:8");
    /* Written into a writer that holds a command already, after it. */
    MsImapWriter w;
    ms_imap_writer_init(&w);
    ms_imap_writer_add(&w, "A1 UID FETCH ");
    const guint32 one[] = { 4294967295u };
    ms_imap_write_seqset(&w, one, 1);
    ms_imap_writer_add(&w, " ");
    ms_imap_write_seqset(&w, nums, G_N_ELEMENTS(nums));
    ms_imap_write_seqset(&w, nums, 0);
    g_autofree char *cmd = g_strndup(w.data, w.len);
    MS_ASSERT_STR(cmd, "A1 UID FETCH 4294967295 1:3,5,7:8");
    ms_imap_writer_clear(&w);
    g_autofree char *none = ms_imap_seqset_format(nums, 0);
    MS_ASSERT_STR(none, "");
}

static void dates_and_patterns(void)
{
    g_autofree char *d = ms_imap_format_date_time(JAN1 + 3723);
    MS_ASSERT_STR(d, "01-Jan-2024 01:02:03 +0000");
    gint64 t = 0;
    /* RFC 3501 8's INTERNALDATE: 02:44:25 at -0700 is 09:44:25 UTC,
     * 837596665 seconds after the epoch. */
    CU_ASSERT(ms_imap_parse_date_time("17-Jul-1996 02:44:25 -0700", &t));
    CU_ASSERT_EQUAL(t, 837596665);
    CU_ASSERT(ms_imap_parse_date_time(" 7-Jul-1996 02:44:25 +0000", &t));
    CU_ASSERT_FALSE(ms_imap_parse_date_time("17-Jul-1996 25:44:25 -0700", &t));
    gint64 days = 0;
    CU_ASSERT(ms_imap_parse_date("1-Feb-1994", &days));
    CU_ASSERT_EQUAL(days, 8797); /* 24 years (6 leap) + 31 days */
    CU_ASSERT(ms_imap_parse_date("29-feb-2024", &days));
    CU_ASSERT_FALSE(ms_imap_parse_date("29-Feb-2023", &days));
    CU_ASSERT_FALSE(ms_imap_parse_date("1-Foo-2023", &days));
    /* "*" crosses "/", "%" does not; INBOX in any case. */
    CU_ASSERT(ms_imap_pattern_match("*", "Work/2024"));
    CU_ASSERT_FALSE(ms_imap_pattern_match("%", "Work/2024"));
    CU_ASSERT(ms_imap_pattern_match("Work/%", "Work/2024"));
    CU_ASSERT(ms_imap_pattern_match("inbox", "INBOX"));
    CU_ASSERT_FALSE(ms_imap_pattern_match("work", "Work"));
    g_autofree char *flags = ms_imap_flags_to_string(MS_IMAP_FLAG_SEEN | MS_IMAP_FLAG_DELETED,
                                                     TRUE);
    MS_ASSERT_STR(flags, "\\Deleted \\Seen \\Recent");
    CU_ASSERT_EQUAL(ms_imap_flag_from_name("\\SEEN"), MS_IMAP_FLAG_SEEN);
    CU_ASSERT_EQUAL(ms_imap_flag_from_name("\\Recent"), 0);
}

static void notes_and_names(void)
{
    gsize n = 0;
    const MsImapNote *notes = ms_imap_notes(&n);
    CU_ASSERT(n > 40);
    for (gsize i = 0; i < n; i++)
        CU_ASSERT(g_str_has_prefix(notes[i].key, "imap."));
    CU_ASSERT_PTR_NOT_NULL(ms_imap_note_text("imap.resp.exists"));
    CU_ASSERT_PTR_NULL(ms_imap_note_text("pop3.greeting"));
    MS_ASSERT_STR(ms_imap_command_note("a7 uid fetch 1:* FLAGS", 22), "imap.cmd.uid.fetch");
    MS_ASSERT_STR(ms_imap_command_note("DONE", 4), "imap.cmd.done");
    MS_ASSERT_STR(ms_imap_command_note("a1 FROB", 7), "imap.cmd.unknown");
    MS_ASSERT_STR(ms_imap_state_phase(MS_IMAP_STATE_SELECTED), "imap.selected");
    MS_ASSERT_STR(ms_imap_state_name(MS_IMAP_STATE_NOT_AUTHENTICATED), "not-authenticated");
    g_autofree char *caps = ms_imap_capabilities(MS_IMAP_EXT_MOVE);
    MS_ASSERT_STR(caps, "IMAP4rev1 LITERAL+ IDLE UNSELECT");
}

/* The date-time and flags written in place are the ones printf and the
 * allocating helpers give, for every year (those beyond four digits or
 * before year 0 through printf itself). */
static void date_time_in_place(void)
{
    for (gint64 t = -80000000000; t < 300000000000; t += 999999937) {
        for (gint64 d = 0; d < 3; d++) {
            gint64 when = t + d * 86399;
            char buf[MS_IMAP_DATE_TIME_MAX];
            gsize n = ms_imap_format_date_time_to(buf, when);
            g_autofree char *printed = ms_imap_format_date_time(when);
            MS_ASSERT_STR(buf, printed);
            CU_ASSERT_EQUAL(n, strlen(printed));
        }
    }
    char buf[MS_IMAP_DATE_TIME_MAX];
    CU_ASSERT_EQUAL(ms_imap_format_date_time_to(buf, JAN1 + 3723), 26);
    MS_ASSERT_STR(buf, "01-Jan-2024 01:02:03 +0000");
    ms_imap_format_date_time_to(buf, -1);
    MS_ASSERT_STR(buf, "31-Dec-1969 23:59:59 +0000");
    g_autofree char *none = ms_imap_flags_to_string(0, FALSE);
    MS_ASSERT_STR(none, "");
    g_autofree char *recent = ms_imap_flags_to_string(0, TRUE);
    MS_ASSERT_STR(recent, "\\Recent");
    g_autofree char *all = ms_imap_flags_to_string(MS_IMAP_FLAGS_ALL, FALSE);
    MS_ASSERT_STR(all, "\\Answered \\Flagged \\Deleted \\Seen \\Draft");
}

/* Words, flags and folder names compare as g_ascii_strncasecmp() does:
 * every pair of octets, in either order, then a NUL ending one string
 * or both, and a count that stops before a difference. */
static void words_compare_without_case(void)
{
    for (guint x = 1; x < 256; x++) {
        for (guint y = 1; y < 256; y++) {
            char a[] = { 'k', (char) x, 'w', '\0' };
            char b[] = { 'K', (char) y, 'w', '\0' };
            gboolean want = g_ascii_strncasecmp(a, b, 4) == 0;
            if (ms_proto_ascii_caseeq(a, b, 4) != want)
                CU_FAIL("an octet pair compared unlike g_ascii_strncasecmp()");
        }
    }
    CU_ASSERT(ms_imap_ascii_caseeq("INBOX", "inbox"));
    CU_ASSERT(ms_imap_ascii_caseeq("InBoX", "INBOX"));
    CU_ASSERT(!ms_imap_ascii_caseeq("INBOX", "INBOX2"));
    CU_ASSERT(!ms_imap_ascii_caseeq("INBOX2", "INBOX"));
    CU_ASSERT(!ms_imap_ascii_caseeq("", "a"));
    CU_ASSERT(ms_imap_ascii_caseeq("", ""));
    CU_ASSERT(!ms_imap_ascii_caseeq("[", "{"));  /* 0x5b and 0x7b: not letters */
    CU_ASSERT(!ms_imap_ascii_caseeq("@", "`"));
    CU_ASSERT(ms_proto_ascii_caseeq("MAIL FROM", "mail to", 5));
    CU_ASSERT(!ms_proto_ascii_caseeq("MAIL FROM", "mail to", 6));
    CU_ASSERT(ms_proto_ascii_caseeq("abc", "xyz", 0));
}

/* What a transport that cuts lines (live mode) asks: how many octets of a
 * literal are still to come, those of one too large to take included. */
static void parse_literal_left(void)
{
    g_autoptr(MsImapParser) p = ms_imap_parser_new(FALSE, 100);
    MsImapLine *line = NULL;
    CU_ASSERT_EQUAL(ms_imap_parser_literal_left(p), 0);
    const char *head = "a1 APPEND INBOX {10}\r\nabc";
    ms_imap_parser_feed(p, head, strlen(head));
    CU_ASSERT_EQUAL(ms_imap_parser_next(p, &line), 0);
    CU_ASSERT_EQUAL(ms_imap_parser_literal_left(p), 7);
    const char *rest = "\r\n12345\r\n";
    ms_imap_parser_feed(p, rest, strlen(rest));
    CU_ASSERT_EQUAL_FATAL(ms_imap_parser_next(p, &line), 1);
    CU_ASSERT_EQUAL(ms_imap_parser_literal_left(p), 0);
    ms_imap_line_free(line);
    /* RFC 7888 4: the octets of a "{n+}" too large come anyway, and are
     * skipped. */
    g_autoptr(MsImapLine) big = parse_one(p, "a2 APPEND INBOX {150+}\r\n", -1);
    MS_ASSERT_STR(big->code, "TOOBIG");
    CU_ASSERT_EQUAL(ms_imap_parser_literal_left(p), 150);
}

static const MsTestCase parse_cases[] = {
    MS_TEST(date_time_in_place),
    MS_TEST(parse_beyond_a_lines_room),
    MS_TEST(parse_arguments), MS_TEST(parse_literals), MS_TEST(parse_literal_left),
    MS_TEST(parse_errors),
    MS_TEST(parse_responses), MS_TEST(parse_recycled_lines_read_as_new),
    MS_TEST(parse_many_lines_at_once), MS_TEST(writer_reused_writes_as_new), MS_TEST(seqsets), MS_TEST(dates_and_patterns),
    MS_TEST(notes_and_names), MS_TEST(words_compare_without_case), MS_TEST_END,
};

/* ---- imap/store --------------------------------------------------------------- */

/* INBOX is found in any case without a search: it comes with the store,
 * cannot be deleted or be a rename's target, and stays first whatever
 * folders sort before it bytewise or take its messages by a rename. */
static void store_inbox_stays_first(void)
{
    g_autoptr(World) w = world_new();
    guint32 validity = ms_imap_store_uidvalidity(w->bob, "INBOX");
    CU_ASSERT_EQUAL(ms_imap_store_create(w->bob, "AAA"), MS_IMAP_STORE_OK);
    CU_ASSERT_EQUAL(ms_imap_store_create(w->bob, "Archive/2024"), MS_IMAP_STORE_OK);
    CU_ASSERT_EQUAL(ms_imap_store_rename(w->bob, "AAA", "inbox"), MS_IMAP_STORE_ALREADY_EXISTS);
    CU_ASSERT_EQUAL(ms_imap_store_delete(w->bob, "Inbox"), MS_IMAP_STORE_INBOX);
    CU_ASSERT_EQUAL(ms_imap_store_count(w->bob, "iNbOx"), 3);
    /* RFC 3501 6.3.5: renaming INBOX moves its messages and leaves it. */
    CU_ASSERT_EQUAL(ms_imap_store_rename(w->bob, "INBOX", "Old"), MS_IMAP_STORE_OK);
    CU_ASSERT_EQUAL(ms_imap_store_count(w->bob, "Old"), 3);
    CU_ASSERT_EQUAL(ms_imap_store_count(w->bob, "inbox"), 0);
    CU_ASSERT_EQUAL(ms_imap_store_uidvalidity(w->bob, "INBOX"), validity);
    g_auto(GStrv) folders = ms_imap_store_folders(w->bob);
    CU_ASSERT_PTR_NOT_NULL_FATAL(folders);
    MS_ASSERT_STR(folders[0], "INBOX");
    CU_ASSERT_EQUAL(ms_imap_store_count(w->bob, "INBOXES"), 0);
    CU_ASSERT_EQUAL(ms_imap_store_count(w->bob, "INBO"), 0);
}

static void store_uids(void)
{
    g_autoptr(World) w = world_new();
    /* The first folder gets the first UIDVALIDITY; UIDs count from 1. */
    CU_ASSERT_EQUAL(ms_imap_store_uidvalidity(w->bob, "INBOX"), 100);
    CU_ASSERT_EQUAL(ms_imap_store_uidnext(w->bob, "inbox"), 4);
    CU_ASSERT_EQUAL(ms_imap_store_count(w->bob, "INBOX"), 3);
    CU_ASSERT_EQUAL(ms_imap_store_unseen(w->bob, "INBOX"), 2);
    CU_ASSERT_EQUAL(ms_imap_store_create(w->bob, "Work"), MS_IMAP_STORE_OK);
    CU_ASSERT_EQUAL(ms_imap_store_uidvalidity(w->bob, "Work"), 101);
    /* RFC 3501 2.3.1.1: a mailbox created again gets a greater UIDVALIDITY. */
    CU_ASSERT_EQUAL(ms_imap_store_delete(w->bob, "Work"), MS_IMAP_STORE_OK);
    CU_ASSERT_EQUAL(ms_imap_store_uidvalidity(w->bob, "Work"), 0);
    CU_ASSERT_EQUAL(ms_imap_store_create(w->bob, "Work"), MS_IMAP_STORE_OK);
    CU_ASSERT_EQUAL(ms_imap_store_uidvalidity(w->bob, "Work"), 102);
    MsImapMessageInfo info = { 0 };
    CU_ASSERT(ms_imap_store_find_uid(w->bob, "INBOX", 2, &info));
    CU_ASSERT_EQUAL(info.flags, 0);
    CU_ASSERT(info.recent);
    CU_ASSERT_EQUAL(info.internal_date, JAN1 + DAY);
    guint32 copy = ms_imap_store_copy(w->bob, "INBOX", 1, "Work");
    CU_ASSERT_EQUAL(copy, 1);
    CU_ASSERT(ms_imap_store_message(w->bob, "Work", 0, &info));
    CU_ASSERT_EQUAL(info.flags, MS_IMAP_FLAG_SEEN);
    CU_ASSERT_EQUAL(ms_imap_store_copy(w->bob, "INBOX", 9, "Work"), 0);
    CU_ASSERT_EQUAL(ms_imap_store_copy(w->bob, "INBOX", 1, "Nope"), 0);
    g_autoptr(GBytes) data = g_bytes_new_static("x\r\n", 3);
    CU_ASSERT_EQUAL(ms_imap_store_append(w->bob, "Nope", data, 0, 0), 0);
    CU_ASSERT(ms_imap_store_set_flags(w->bob, "INBOX", 3, MS_IMAP_FLAG_DELETED));
    CU_ASSERT_FALSE(ms_imap_store_set_flags(w->bob, "INBOX", 42, 0));
    CU_ASSERT_EQUAL(ms_imap_store_expunge(w->bob, "INBOX"), 1);
    CU_ASSERT(ms_imap_store_remove(w->bob, "INBOX", 1));
    CU_ASSERT_FALSE(ms_imap_store_remove(w->bob, "INBOX", 1));
    CU_ASSERT_EQUAL(ms_imap_store_count(w->bob, "INBOX"), 1);
    /* UIDs are never reused: UIDNEXT does not go back. */
    CU_ASSERT_EQUAL(ms_imap_store_append(w->bob, "INBOX", data, 0, 0), 4);
}

static void store_folders(void)
{
    g_autoptr(World) w = world_new();
    /* RFC 3501 6.3.3: superior names are created too. */
    CU_ASSERT_EQUAL(ms_imap_store_create(w->bob, "a/b/c"), MS_IMAP_STORE_OK);
    CU_ASSERT_EQUAL(ms_imap_store_create(w->bob, "a/"), MS_IMAP_STORE_ALREADY_EXISTS);
    CU_ASSERT_EQUAL(ms_imap_store_create(w->bob, "inbox"), MS_IMAP_STORE_ALREADY_EXISTS);
    CU_ASSERT_EQUAL(ms_imap_store_create(w->bob, "Zed/"), MS_IMAP_STORE_OK);
    CU_ASSERT(ms_imap_store_has_folder(w->bob, "Zed"));
    static const char *const invalid[] = { "", "/a", "a//b", "a%", "*", "bad\x01" };
    for (gsize i = 0; i < G_N_ELEMENTS(invalid); i++)
        CU_ASSERT_EQUAL(ms_imap_store_create(w->bob, invalid[i]), MS_IMAP_STORE_INVALID_NAME);
    g_auto(GStrv) names = ms_imap_store_folders(w->bob);
    g_autofree char *joined = g_strjoinv(",", names);
    MS_ASSERT_STR(joined, "INBOX,Zed,a,a/b,a/b/c");
    CU_ASSERT_EQUAL(ms_imap_store_delete(w->bob, "INBOX"), MS_IMAP_STORE_INBOX);
    CU_ASSERT_EQUAL(ms_imap_store_delete(w->bob, "nope"), MS_IMAP_STORE_NONEXISTENT);
    /* 6.3.4: a name with inferiors becomes \Noselect; a second DELETE of it
     * is an error. */
    CU_ASSERT_EQUAL(ms_imap_store_delete(w->bob, "a"), MS_IMAP_STORE_OK);
    CU_ASSERT_FALSE(ms_imap_store_has_folder(w->bob, "a"));
    CU_ASSERT_EQUAL(ms_imap_store_delete(w->bob, "a"), MS_IMAP_STORE_HAS_CHILDREN);
    CU_ASSERT_EQUAL(ms_imap_store_create(w->bob, "a"), MS_IMAP_STORE_OK);
    CU_ASSERT(ms_imap_store_has_folder(w->bob, "a"));
    /* 6.3.5: inferiors move with their parent. */
    CU_ASSERT_EQUAL(ms_imap_store_subscribe(w->bob, "a/b", TRUE), MS_IMAP_STORE_OK);
    CU_ASSERT_EQUAL(ms_imap_store_rename(w->bob, "a", "m/n"), MS_IMAP_STORE_OK);
    g_auto(GStrv) after = ms_imap_store_folders(w->bob);
    g_autofree char *joined2 = g_strjoinv(",", after);
    MS_ASSERT_STR(joined2, "INBOX,Zed,m,m/n,m/n/b,m/n/b/c");
    CU_ASSERT(ms_imap_store_is_subscribed(w->bob, "m/n/b"));
    CU_ASSERT_FALSE(ms_imap_store_is_subscribed(w->bob, "a/b"));
    CU_ASSERT_EQUAL(ms_imap_store_rename(w->bob, "a", "q"), MS_IMAP_STORE_NONEXISTENT);
    CU_ASSERT_EQUAL(ms_imap_store_rename(w->bob, "Zed", "m"), MS_IMAP_STORE_ALREADY_EXISTS);
    CU_ASSERT_EQUAL(ms_imap_store_rename(w->bob, "m", "m/x"), MS_IMAP_STORE_INVALID_NAME);
    /* Renaming INBOX moves its messages and leaves it empty. */
    CU_ASSERT_EQUAL(ms_imap_store_rename(w->bob, "INBOX", "Old"), MS_IMAP_STORE_OK);
    CU_ASSERT_EQUAL(ms_imap_store_count(w->bob, "Old"), 3);
    CU_ASSERT_EQUAL(ms_imap_store_count(w->bob, "INBOX"), 0);
    CU_ASSERT(ms_imap_store_has_folder(w->bob, "INBOX"));
    /* Subscriptions: existing names only; kept when the folder goes. */
    CU_ASSERT_EQUAL(ms_imap_store_subscribe(w->bob, "nope", TRUE), MS_IMAP_STORE_NONEXISTENT);
    CU_ASSERT_EQUAL(ms_imap_store_subscribe(w->bob, "Zed", FALSE),
                    MS_IMAP_STORE_NOT_SUBSCRIBED);
    CU_ASSERT_EQUAL(ms_imap_store_subscribe(w->bob, "Zed", TRUE), MS_IMAP_STORE_OK);
    CU_ASSERT_EQUAL(ms_imap_store_delete(w->bob, "Zed"), MS_IMAP_STORE_OK);
    CU_ASSERT(ms_imap_store_is_subscribed(w->bob, "Zed"));
    MS_ASSERT_STR(ms_imap_store_result_code(MS_IMAP_STORE_NONEXISTENT), "NONEXISTENT");
    MS_ASSERT_STR(ms_imap_store_result_name(MS_IMAP_STORE_INBOX), "inbox");
}

static void store_watchers(void)
{
    g_autoptr(World) w = world_new();
    guint before = w->changes;
    g_string_truncate(w->log, 0);
    ms_imap_store_create(w->bob, "Work");
    g_autoptr(GBytes) data = g_bytes_new_static("x\r\n", 3);
    ms_imap_store_append(w->bob, "Work", data, 0, 0);
    ms_imap_store_set_flags(w->bob, "Work", 1, MS_IMAP_FLAG_SEEN);
    ms_imap_store_set_flags(w->bob, "Work", 1, MS_IMAP_FLAG_SEEN); /* no change: no call */
    ms_imap_store_remove(w->bob, "Work", 1);
    ms_imap_store_rename(w->bob, "Work", "Play");
    MS_ASSERT_STR(w->log->str,
                  "create:Work:0 append:Work:1 flags:Work:1 expunge:Work:1 rename:Work:0 ");
    CU_ASSERT_EQUAL(w->changes - before, 5);
    g_autoptr(MsImapStore) other = ms_imap_store_new("x", 0);
    guint id = ms_imap_store_watch(other, watch, w);
    ms_imap_store_unwatch(other, id);
    ms_imap_store_create(other, "Y");
    CU_ASSERT_EQUAL(w->changes - before, 5);
    /* 0 is taken as 1. */
    CU_ASSERT_EQUAL(ms_imap_store_uidvalidity(other, "INBOX"), 1);
}

static const MsTestCase store_cases[] = {
    MS_TEST(store_uids), MS_TEST(store_inbox_stays_first), MS_TEST(store_folders), MS_TEST(store_watchers), MS_TEST_END,
};

/* ---- imap/server: states and the dispatcher -------------------------------------- */

static void greeting_and_capability(void)
{
    g_autoptr(World) w = world_new();
    MsImapServerConfig config = { .hostname = "imap.hamburger.edu", .login = w_login,
                                  .user_data = w };
    g_autoptr(MsImapServer) s = ms_imap_server_new(&config, NULL);
    CU_ASSERT_EQUAL(ms_imap_server_state(s), MS_IMAP_STATE_INIT);
    ms_imap_server_start(s);
    g_autoptr(GPtrArray) out = ms_imap_server_take_output(s);
    CU_ASSERT_EQUAL_FATAL(out->len, 1);
    const MsProtoLine *l = g_ptr_array_index(out, 0);
    /* RFC 3501 7.1.1: an untagged OK greeting; capabilities may ride along. */
    MS_ASSERT_STR(l->text, "* OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE MOVE UNSELECT] "
                           "imap.hamburger.edu IMAP4rev1 Service Ready");
    MS_ASSERT_STR(l->note, "imap.greeting");
    MS_ASSERT_STR(l->phase, "imap.not-authenticated");
    CU_ASSERT_EQUAL(ms_imap_server_state(s), MS_IMAP_STATE_NOT_AUTHENTICATED);
    g_autofree char *caps = say(s, "a1 CAPABILITY");
    MS_ASSERT_STR(caps, "* CAPABILITY IMAP4rev1 LITERAL+ IDLE MOVE UNSELECT\n"
                        "a1 OK CAPABILITY completed");
    g_autofree char *noop = say(s, "a2 noop");
    MS_ASSERT_STR(noop, "a2 OK NOOP completed");

    /* Extensions turned off are neither advertised nor accepted. */
    g_autoptr(MsImapServer) plain = server_new_ext(w, MS_IMAP_EXT_IDLE | MS_IMAP_EXT_MOVE);
    g_autofree char *caps2 = say(plain, "b1 CAPABILITY");
    HASNT(caps2, "IDLE");
    HASNT(caps2, "MOVE");
    g_autofree char *login = say(plain, "b2 LOGIN bob hungry");
    MS_ASSERT_STR(say_note(plain, "b3 IDLE"), "imap.resp.bad.unknown");

    MsImapServerConfig broken = { .hostname = "x" };
    g_autoptr(GError) error = NULL;
    CU_ASSERT_PTR_NULL(ms_imap_server_new(&broken, &error));
    CU_ASSERT(g_error_matches(error, MS_ERROR, MS_ERROR_SCENARIO));
}

static void login_paths(void)
{
    g_autoptr(World) w = world_new();
    g_autoptr(MsImapServer) s = server_new(w);
    g_autofree char *wrong = say(s, "a1 LOGIN bob wrong");
    /* RFC 3501 6.2.3: NO, still not authenticated. */
    MS_ASSERT_STR(wrong, "a1 NO [AUTHENTICATIONFAILED] Authentication failed");
    CU_ASSERT_EQUAL(ms_imap_server_state(s), MS_IMAP_STATE_NOT_AUTHENTICATED);
    g_autoptr(MsImapEvent) failed = ms_imap_server_next_event(s);
    CU_ASSERT_EQUAL_FATAL(failed->kind, MS_IMAP_EVENT_AUTH_FAILED);
    MS_ASSERT_STR(failed->user, "bob");
    MS_ASSERT_STR(say_note(s, "a2 LOGIN bob"), "imap.resp.bad.syntax");
    MS_ASSERT_STR(say_note(s, "a3 LOGIN (bob) x"), "imap.resp.bad.syntax");
    g_autofree char *early = say(s, "a4 SELECT INBOX");
    MS_ASSERT_STR(early, "a4 BAD Not authenticated: LOGIN first");
    MS_ASSERT_STR(say_note(s, "a5 FETCH 1 FLAGS"), "imap.resp.bad.state");
    g_autofree char *sasl = say(s, "a6 AUTHENTICATE PLAIN");
    MS_ASSERT_STR(sasl, "a6 NO [CANNOT] Unsupported authentication mechanism");
    MS_ASSERT_STR(say_note(s, "a7 AUTHENTICATE"), "imap.resp.bad.syntax");

    /* The whole address works as well as the local part. */
    g_autoptr(GPtrArray) ignored = ms_imap_server_take_output(s);
    const char *ok_line = "a8 LOGIN \"bob@hamburger.edu\" hungry\r\n";
    ms_imap_server_feed(s, ok_line, strlen(ok_line));
    g_autoptr(GPtrArray) out = ms_imap_server_take_output(s);
    CU_ASSERT_EQUAL_FATAL(out->len, 1);
    const MsProtoLine *l = g_ptr_array_index(out, 0);
    MS_ASSERT_STR(l->text, "a8 OK LOGIN completed");
    MS_ASSERT_STR(l->note, "imap.resp.ok.login");
    /* The completion belongs to the state the command was given in. */
    MS_ASSERT_STR(l->phase, "imap.not-authenticated");
    CU_ASSERT_EQUAL(ms_imap_server_state(s), MS_IMAP_STATE_AUTHENTICATED);
    CU_ASSERT_PTR_EQUAL(ms_imap_server_store(s), w->bob);
    MsImapEvent *ev;
    gboolean auth_ok = FALSE;
    while ((ev = ms_imap_server_next_event(s)) != NULL) {
        if (ev->kind == MS_IMAP_EVENT_AUTH_OK) {
            auth_ok = TRUE;
            MS_ASSERT_STR(ev->folder, "bob");
            MS_ASSERT_STR(ev->user, "bob@hamburger.edu");
        }
        ms_imap_event_free(ev);
    }
    CU_ASSERT(auth_ok);
    g_autofree char *again = say(s, "a9 LOGIN bob hungry");
    MS_ASSERT_STR(again, "a9 BAD Already authenticated");
    g_autofree char *nosel = say(s, "a10 FETCH 1 FLAGS");
    MS_ASSERT_STR(nosel, "a10 BAD No mailbox selected: SELECT or EXAMINE first");
    MS_ASSERT_STR(say_note(s, "a11 CLOSE"), "imap.resp.bad.state");
}

static void dispatch_errors(void)
{
    g_autoptr(World) w = world_new();
    g_autoptr(MsImapServer) s = server_new(w);
    static const struct {
        const char *line;
        const char *reply;
        const char *note;
    } cases[] = {
        { "a1 FROB", "a1 BAD Unknown command", "imap.resp.bad.unknown" },
        { "+ NOOP", "* BAD Invalid tag", "imap.resp.bad.syntax" },
        { "\"a1\" NOOP", "* BAD Invalid tag", "imap.resp.bad.syntax" },
        { "a*1 NOOP", "* BAD Invalid tag", "imap.resp.bad.syntax" },
        { "a2", "a2 BAD Missing command", "imap.resp.bad.syntax" },
        { "a3 UID", "a3 BAD UID needs a command", "imap.resp.bad.syntax" },
        /* UIDPLUS's UID EXPUNGE is not offered. */
        { "a4 UID EXPUNGE 1", "a4 BAD Unknown command", "imap.resp.bad.unknown" },
        { "a5 NOOP extra", "a5 BAD NOOP takes 0 arguments", "imap.resp.bad.syntax" },
        { "", "* BAD Empty line", "imap.resp.bad.syntax" },
        { "a6 NOOP (", "a6 BAD Missing \")\"", "imap.resp.bad.syntax" },
        { "a7 APPEND INBOX {5000}", "a7 BAD [TOOBIG] Literal too large", "imap.resp.bad.toobig" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *bytes = g_strconcat(cases[i].line, "\r\n", NULL);
        ms_imap_server_feed(s, bytes, strlen(bytes));
        g_autoptr(GPtrArray) out = ms_imap_server_take_output(s);
        CU_ASSERT_EQUAL(out->len, 1);
        if (out->len != 1)
            continue;
        const MsProtoLine *l = g_ptr_array_index(out, 0);
        MS_ASSERT_STR(l->text, cases[i].reply);
        MS_ASSERT_STR(l->note, cases[i].note);
    }
    /* A line past 8192 octets (RFC 7162 3.2.1's advice), in one piece or
     * arriving slowly. */
    g_autofree char *flood = g_strnfill(9000, 'a');
    g_autofree char *whole = g_strconcat("a1 NOOP ", flood, "\r\n", NULL);
    g_autofree char *r1 = feed(s, whole);
    MS_ASSERT_STR(r1, "a1 BAD Line too long");
    g_autofree char *r2 = feed(s, flood);
    MS_ASSERT_STR(r2, "* BAD Line too long");
    g_autofree char *r3 = feed(s, "still the same line\r\n");
    MS_ASSERT_STR(r3, "");
    /* The session is unharmed. */
    CU_ASSERT_EQUAL(ms_imap_server_state(s), MS_IMAP_STATE_NOT_AUTHENTICATED);
    g_autofree char *ok = say(s, "a8 NOOP");
    MS_ASSERT_STR(ok, "a8 OK NOOP completed");
}

/* RFC 7888 4: a non-synchronizing literal too large is refused, and since
 * its octets come anyway, the server closes instead of reading them (a
 * client could otherwise have it read and record any amount); a
 * synchronizing one gets BAD alone, as nothing follows it. */
static void literal_too_large_without_waiting_closes(void)
{
    g_autoptr(World) w = world_new();
    g_autoptr(MsImapServer) s = server_new(w);
    g_autofree char *refused = feed(s, "a1 LOGIN {20000}\r\n");
    CU_ASSERT_TRUE(g_str_has_prefix(refused, "a1 BAD [TOOBIG]"));
    CU_ASSERT_EQUAL(ms_imap_server_state(s), MS_IMAP_STATE_NOT_AUTHENTICATED);
    g_autofree char *line = g_strdup("a2 LOGIN {20000+}\r\n");
    ms_imap_server_feed(s, line, strlen(line));
    g_autoptr(GPtrArray) out = ms_imap_server_take_output(s);
    CU_ASSERT_EQUAL_FATAL(out->len, 2);
    const MsProtoLine *bad = g_ptr_array_index(out, 0), *bye = g_ptr_array_index(out, 1);
    CU_ASSERT_TRUE(g_str_has_prefix(bad->text, "a2 BAD [TOOBIG]"));
    MS_ASSERT_STR(bye->text, "* BYE Literal too large; not reading it");
    MS_ASSERT_STR(bye->note, "imap.resp.bye.toobig");
    CU_ASSERT_EQUAL(ms_imap_server_state(s), MS_IMAP_STATE_CLOSED);
}

static void logout_ends(void)
{
    g_autoptr(World) w = world_new();
    g_autoptr(MsImapServer) s = server_selected(w, FALSE);
    g_autofree char *bytes = g_strdup("a9 LOGOUT\r\n");
    ms_imap_server_feed(s, bytes, strlen(bytes));
    g_autoptr(GPtrArray) out = ms_imap_server_take_output(s);
    CU_ASSERT_EQUAL_FATAL(out->len, 2);
    const MsProtoLine *bye = g_ptr_array_index(out, 0);
    const MsProtoLine *ok = g_ptr_array_index(out, 1);
    /* RFC 3501 6.1.3: BYE first, then the tagged OK; the logout state. */
    MS_ASSERT_STR(bye->text, "* BYE IMAP4rev1 Server logging out");
    MS_ASSERT_STR(bye->note, "imap.resp.bye");
    MS_ASSERT_STR(bye->phase, "imap.logout");
    MS_ASSERT_STR(ok->text, "a9 OK LOGOUT completed");
    MS_ASSERT_STR(ok->phase, "imap.logout");
    CU_ASSERT_EQUAL(ms_imap_server_state(s), MS_IMAP_STATE_CLOSED);
    CU_ASSERT_PTR_NULL(ms_imap_server_store(s));
    g_autoptr(MsImapEvent) ev = ms_imap_server_next_event(s);
    CU_ASSERT_EQUAL(ev->kind, MS_IMAP_EVENT_CLOSE);
    g_autofree char *after = say(s, "a10 NOOP");
    MS_ASSERT_STR(after, "");
}

/* RFC 3501 7.1.5: BYE on fatal errors.  After MS_PROTO_MAX_ERRORS BAD
 * responses (tagged or not) the server says BYE and closes; NO is an answer
 * and does not count. */
static void too_many_errors(void)
{
    g_autoptr(World) w = world_new();
    g_autoptr(MsImapServer) s = server_selected(w, FALSE);
    for (guint i = 0; i < 30; i++)
        MS_ASSERT_STR(say_note(s, "n1 SELECT nosuchbox"), "imap.resp.no.mailbox");
    g_autofree char *again = say(s, "a3 SELECT INBOX");
    drain_events(s);
    for (guint i = 0; i + 1 < MS_PROTO_MAX_ERRORS; i++) {
        static const char *const bad[] = { "b1 FROB", "*** junk", "b2 FETCH", "b3 LOGIN x y" };
        static const char *const notes[] = { "imap.resp.bad.unknown", "imap.resp.bad.syntax",
                                             "imap.resp.bad.syntax", "imap.resp.bad.state" };
        MS_ASSERT_STR(say_note(s, bad[i % 4]), notes[i % 4]);
        MS_ASSERT_STR(say_note(s, "n2 NOOP"), "imap.resp.ok");
    }
    CU_ASSERT_EQUAL(ms_imap_server_state(s), MS_IMAP_STATE_SELECTED);
    g_autoptr(GPtrArray) out = NULL;
    g_autofree char *bytes = g_strdup("b4 FROB\r\nn3 NOOP\r\n");
    ms_imap_server_feed(s, bytes, strlen(bytes));
    out = ms_imap_server_take_output(s);
    CU_ASSERT_EQUAL_FATAL(out->len, 2);
    const MsProtoLine *bye = g_ptr_array_index(out, 1);
    MS_ASSERT_STR(bye->text, "* BYE Too many invalid IMAP commands");
    MS_ASSERT_STR(bye->note, "imap.resp.bye.errors");
    MS_ASSERT_STR(bye->phase, "imap.logout");
    CU_ASSERT_EQUAL(ms_imap_server_state(s), MS_IMAP_STATE_CLOSED);
    CU_ASSERT_PTR_NULL(ms_imap_server_store(s));
    g_autoptr(MsImapEvent) ev = ms_imap_server_next_event(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    CU_ASSERT_EQUAL(ev->kind, MS_IMAP_EVENT_CLOSE);
}

static void abort_keeps_deleted(void)
{
    g_autoptr(World) w = world_new();
    g_autoptr(MsImapServer) s = server_selected(w, FALSE);
    g_autofree char *st = say(s, "a3 STORE 1 +FLAGS.SILENT (\\Deleted)");
    ms_imap_server_abort(s);
    /* No implicit CLOSE: the \Deleted message stays. */
    CU_ASSERT_EQUAL(ms_imap_store_count(w->bob, "INBOX"), 3);
    CU_ASSERT_EQUAL(ms_imap_server_state(s), MS_IMAP_STATE_CLOSED);
    CU_ASSERT_PTR_NULL(ms_imap_server_store(s));
    g_autofree char *after = say(s, "a4 NOOP");
    MS_ASSERT_STR(after, "");
}

/* ---- imap/server: mailboxes ---------------------------------------------------------- */

static void select_and_examine(void)
{
    g_autoptr(World) w = world_new();
    g_autoptr(MsImapServer) s = server_new(w);
    g_autofree char *login = say(s, "a1 LOGIN bob hungry");
    drain_events(s);
    g_autofree char *sel = say(s, "a2 SELECT inbox");
    /* RFC 3501 6.3.1, in its example's order. */
    MS_ASSERT_STR(sel, "* 3 EXISTS\n"
                       "* 3 RECENT\n"
                       "* OK [UNSEEN 2] Message 2 is first unseen\n"
                       "* OK [UIDVALIDITY 100] UIDs valid\n"
                       "* OK [UIDNEXT 4] Predicted next UID\n"
                       "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\n"
                       "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)] Limited\n"
                       "a2 OK [READ-WRITE] SELECT completed");
    CU_ASSERT_EQUAL(ms_imap_server_state(s), MS_IMAP_STATE_SELECTED);
    MS_ASSERT_STR(ms_imap_server_selected(s), "INBOX");
    g_autoptr(MsImapEvent) ev = ms_imap_server_next_event(s);
    CU_ASSERT_EQUAL_FATAL(ev->kind, MS_IMAP_EVENT_SELECTED);
    CU_ASSERT_EQUAL(ev->count, 3);
    CU_ASSERT_EQUAL(ev->recent, 3);
    CU_ASSERT_EQUAL(ev->unseen, 2);
    CU_ASSERT_EQUAL(ev->uidvalidity, 100);
    CU_ASSERT_EQUAL(ev->uidnext, 4);
    CU_ASSERT_FALSE(ev->read_only);

    /* \Recent went to the first session: a second one sees none. */
    g_autoptr(MsImapServer) t = server_new(w);
    g_autofree char *l2 = say(t, "b1 LOGIN bob hungry");
    g_autofree char *sel2 = say(t, "b2 SELECT INBOX");
    HAS(sel2, "* 0 RECENT");

    /* SELECT of a missing mailbox leaves none selected (6.3.1). */
    g_autofree char *miss = say(s, "a3 SELECT Nope");
    MS_ASSERT_STR(miss, "a3 NO [NONEXISTENT] No such mailbox");
    CU_ASSERT_EQUAL(ms_imap_server_state(s), MS_IMAP_STATE_AUTHENTICATED);
    CU_ASSERT_PTR_NULL(ms_imap_server_selected(s));
    MS_ASSERT_STR(say_note(s, "a4 SELECT"), "imap.resp.bad.syntax");
    MS_ASSERT_STR(say_note(s, "a5 SELECT INBOX Work"), "imap.resp.bad.syntax");

    /* EXAMINE: read-only, no permanent flags, and \Recent is not taken. */
    g_autoptr(World) w2 = world_new();
    g_autoptr(MsImapServer) e = server_new(w2);
    g_autofree char *l3 = say(e, "c1 LOGIN bob hungry");
    g_autofree char *ex = say(e, "c2 EXAMINE INBOX");
    HAS(ex, "* 3 RECENT");
    HAS(ex, "* OK [PERMANENTFLAGS ()] No permanent flags permitted");
    HAS(ex, "c2 OK [READ-ONLY] EXAMINE completed");
    g_autoptr(MsImapServer) f = server_new(w2);
    g_autofree char *l4 = say(f, "d1 LOGIN bob hungry");
    g_autofree char *sel3 = say(f, "d2 SELECT INBOX");
    HAS(sel3, "* 3 RECENT");
}

static void mailbox_commands(void)
{
    g_autoptr(World) w = world_new();
    g_autoptr(MsImapServer) s = server_new(w);
    g_autofree char *login = say(s, "a1 LOGIN bob hungry");
    static const struct {
        const char *line;
        const char *reply;
        const char *note;
    } cases[] = {
        { "a2 CREATE Work", "a2 OK CREATE completed", "imap.resp.ok" },
        { "a3 CREATE Work", "a3 NO [ALREADYEXISTS] Mailbox already exists", "imap.resp.no.exists" },
        { "a4 CREATE \"\"", "a4 NO [CANNOT] Invalid mailbox name", "imap.resp.no" },
        { "a5 CREATE \"My Stuff/2024\"", "a5 OK CREATE completed", "imap.resp.ok" },
        { "a6 DELETE Nope", "a6 NO [NONEXISTENT] No such mailbox", "imap.resp.no.mailbox" },
        { "a7 DELETE inbox", "a7 NO [CANNOT] INBOX cannot be deleted", "imap.resp.no" },
        { "a8 RENAME Work Archive", "a8 OK RENAME completed", "imap.resp.ok" },
        { "a9 RENAME Work X", "a9 NO [NONEXISTENT] No such mailbox", "imap.resp.no.mailbox" },
        { "a10 RENAME Archive", "a10 BAD RENAME takes 2 arguments", "imap.resp.bad.syntax" },
        { "a11 SUBSCRIBE Archive", "a11 OK SUBSCRIBE completed", "imap.resp.ok" },
        { "a12 SUBSCRIBE Nope", "a12 NO [NONEXISTENT] No such mailbox", "imap.resp.no.mailbox" },
        { "a13 UNSUBSCRIBE INBOX", "a13 OK UNSUBSCRIBE completed", "imap.resp.ok" },
        { "a14 UNSUBSCRIBE INBOX", "a14 NO [NONEXISTENT] Not subscribed to that mailbox",
          "imap.resp.no" },
        { "a15 DELETE Archive", "a15 OK DELETE completed", "imap.resp.ok" },
        { "a16 CREATE (x)", "a16 BAD Invalid mailbox name", "imap.resp.bad.syntax" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *bytes = g_strconcat(cases[i].line, "\r\n", NULL);
        ms_imap_server_feed(s, bytes, strlen(bytes));
        g_autoptr(GPtrArray) out = ms_imap_server_take_output(s);
        CU_ASSERT_EQUAL_FATAL(out->len, 1);
        const MsProtoLine *l = g_ptr_array_index(out, 0);
        MS_ASSERT_STR(l->text, cases[i].reply);
        MS_ASSERT_STR(l->note, cases[i].note);
    }
    ms_imap_store_create(w->bob, "Work/2024");
    ms_imap_store_create(w->bob, "Work/2023");
    g_autofree char *all = say(s, "b1 LIST \"\" *");
    /* 6.3.8: names with spaces go as quoted strings; "/" is the delimiter. */
    MS_ASSERT_STR(all, "* LIST () \"/\" INBOX\n"
                       "* LIST () \"/\" \"My Stuff\"\n"
                       "* LIST () \"/\" \"My Stuff/2024\"\n"
                       "* LIST () \"/\" Work\n"
                       "* LIST () \"/\" Work/2023\n"
                       "* LIST () \"/\" Work/2024\n"
                       "b1 OK LIST completed");
    g_autofree char *top = say(s, "b2 LIST \"\" %");
    MS_ASSERT_STR(top, "* LIST () \"/\" INBOX\n* LIST () \"/\" \"My Stuff\"\n"
                       "* LIST () \"/\" Work\nb2 OK LIST completed");
    g_autofree char *ref = say(s, "b3 LIST Work/ %");
    MS_ASSERT_STR(ref, "* LIST () \"/\" Work/2023\n* LIST () \"/\" Work/2024\nb3 OK LIST completed");
    g_autofree char *delim = say(s, "b4 LIST \"\" \"\"");
    MS_ASSERT_STR(delim, "* LIST (\\Noselect) \"/\" \"\"\nb4 OK LIST completed");
    ms_imap_store_delete(w->bob, "Work");
    g_autofree char *nosel = say(s, "b5 LIST \"\" Work");
    MS_ASSERT_STR(nosel, "* LIST (\\Noselect) \"/\" Work\nb5 OK LIST completed");
    MS_ASSERT_STR(say_note(s, "b6 LIST \"\""), "imap.resp.bad.syntax");
    ms_imap_store_subscribe(w->bob, "Work/2024", TRUE);
    g_autofree char *lsub = say(s, "b7 LSUB \"\" *");
    /* 6.3.9: Archive was deleted, but its subscription stays. */
    MS_ASSERT_STR(lsub, "* LSUB () \"/\" Archive\n* LSUB () \"/\" Work/2024\n"
                        "b7 OK LSUB completed");

    g_autofree char *st = say(s, "c1 STATUS INBOX (MESSAGES UNSEEN UIDNEXT)");
    MS_ASSERT_STR(st, "* STATUS INBOX (MESSAGES 3 UNSEEN 2 UIDNEXT 4)\nc1 OK STATUS completed");
    g_autofree char *st2 = say(s, "c2 status \"My Stuff\" (uidvalidity recent)");
    MS_ASSERT_STR(st2, "* STATUS \"My Stuff\" (UIDVALIDITY 102 RECENT 0)\n"
                       "c2 OK STATUS completed");
    g_autofree char *st3 = say(s, "c3 STATUS Nope (MESSAGES)");
    MS_ASSERT_STR(st3, "c3 NO [NONEXISTENT] No such mailbox");
    MS_ASSERT_STR(say_note(s, "c4 STATUS INBOX (FOO)"), "imap.resp.bad.syntax");
    MS_ASSERT_STR(say_note(s, "c5 STATUS INBOX MESSAGES"), "imap.resp.bad.syntax");
    MS_ASSERT_STR(say_note(s, "c6 STATUS INBOX ()"), "imap.resp.bad.syntax");
}

static void append_with_literals(void)
{
    g_autoptr(World) w = world_new();
    g_autoptr(MsImapServer) s = server_selected(w, FALSE);
    const char *msg = "From: carol@example.org\r\nSubject: hi\r\n\r\nBody\r\n";
    g_autofree char *head = g_strdup_printf("a3 APPEND INBOX (\\Seen) {%zu}\r\n", strlen(msg));
    ms_imap_server_feed(s, head, strlen(head));
    g_autoptr(GPtrArray) cont = ms_imap_server_take_output(s);
    CU_ASSERT_EQUAL_FATAL(cont->len, 1);
    /* RFC 3501 7.5: "+" before the client sends the literal's octets. */
    MS_ASSERT_STR(((MsProtoLine *) g_ptr_array_index(cont, 0))->text, "+ Ready for literal data");
    MS_ASSERT_STR(((MsProtoLine *) g_ptr_array_index(cont, 0))->note, "imap.cont");
    g_autofree char *rest = g_strconcat(msg, "\r\n", NULL);
    g_autofree char *done = feed(s, rest);
    /* 6.3.11: appending to the selected mailbox shows as EXISTS. */
    MS_ASSERT_STR(done, "* 4 EXISTS\n* 4 RECENT\na3 OK APPEND completed");
    MsImapMessageInfo info = { 0 };
    CU_ASSERT(ms_imap_store_find_uid(w->bob, "INBOX", 4, &info));
    CU_ASSERT_EQUAL(info.flags, MS_IMAP_FLAG_SEEN);
    CU_ASSERT_EQUAL(info.internal_date, JAN1 + 10 * DAY); /* the clock's time */
    CU_ASSERT_EQUAL(g_bytes_get_size(info.data), strlen(msg));
    CU_ASSERT_EQUAL(memcmp(g_bytes_get_data(info.data, NULL), msg, strlen(msg)), 0);

    /* With a date-time, and LITERAL+ (no "+" needed, none sent). */
    g_autofree char *plus = g_strdup_printf("a4 APPEND Work \"17-Jul-1996 02:44:25 -0700\" "
                                            "{%zu+}\r\n%s\r\n", strlen(msg), msg);
    ms_imap_store_create(w->bob, "Work");
    g_autofree char *r4 = feed(s, plus);
    MS_ASSERT_STR(r4, "a4 OK APPEND completed");
    CU_ASSERT(ms_imap_store_find_uid(w->bob, "Work", 1, &info));
    CU_ASSERT_EQUAL(info.internal_date, 837596665);

    g_autofree char *r5 = feed(s, "a5 APPEND Nope {3+}\r\nabc\r\n");
    MS_ASSERT_STR(r5, "a5 NO [TRYCREATE] No such mailbox");
    g_autofree char *r6 = feed(s, "a6 APPEND INBOX \"abc\"\r\n");
    MS_ASSERT_STR(r6, "a6 BAD The message must be a literal");
    g_autofree char *r7 = feed(s, "a7 APPEND INBOX (\\Recent) {3+}\r\nabc\r\n");
    MS_ASSERT_STR(r7, "a7 BAD Invalid flag in APPEND");
    g_autofree char *r8 = feed(s, "a8 APPEND INBOX \"1-Foo-2020 00:00:00 +0000\" {3+}\r\nabc\r\n");
    HAS(r8, "a8 BAD Invalid date-time");
    g_autofree char *r9 = feed(s, "a9 APPEND INBOX {0+}\r\n\r\n");
    MS_ASSERT_STR(r9, "a9 NO Empty message");
    MS_ASSERT_STR(say_note(s, "a10 APPEND INBOX"), "imap.resp.bad.syntax");
    CU_ASSERT_EQUAL(ms_imap_store_count(w->bob, "INBOX"), 4);
}

/* A literal that is not message text is refused, nothing stored (RFC 9051
 * 6.3.12): a NUL (4.3.1: binary, which only a literal8 carries) or a CR or
 * LF that is not part of a CRLF (RFC 5322 2.3), which POP3's RETR would
 * pass on as "Subject: x\r\r\n". */
static void append_refuses_what_is_not_message_text(void)
{
#define OCTETS(s) s, sizeof(s) - 1
    static const struct {
        const char *octets;
        gsize len;
        const char *answer;
    } cases[] = {
        { OCTETS("Subject: x\r"),
          "a1 NO [PARSE] Message contains a bare CR, lines must end with CRLF" },
        { OCTETS("Subject: x\r\n\r\nhi\rthere\r\n"),
          "a1 NO [PARSE] Message contains a bare CR, lines must end with CRLF" },
        { OCTETS("Subject: x\n\nhi\n"),
          "a1 NO [PARSE] Message contains a bare LF, lines must end with CRLF" },
        { OCTETS("\nSubject: x\r\n"),
          "a1 NO [PARSE] Message contains a bare LF, lines must end with CRLF" },
        { OCTETS("Subject: x\r\n\r\nNUL\0here\r\n"),
          "a1 NO [PARSE] Message contains a NUL octet" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(World) w = world_new();
        g_autoptr(MsImapServer) s = server_selected(w, FALSE);
        g_autofree char *head = g_strdup_printf("a1 APPEND INBOX {%zu+}\r\n", cases[i].len);
        GString *bytes = g_string_new(head);
        g_string_append_len(bytes, cases[i].octets, (gssize) cases[i].len);
        g_string_append(bytes, "\r\n");
        ms_imap_server_feed(s, bytes->str, bytes->len);
        g_string_free(bytes, TRUE);
        g_autoptr(GPtrArray) out = ms_imap_server_take_output(s);
        CU_ASSERT_EQUAL_FATAL(out->len, 1);
        const MsProtoLine *l = g_ptr_array_index(out, 0);
        MS_ASSERT_STR(l->text, cases[i].answer);
        MS_ASSERT_STR(l->note, "imap.resp.no.parse");
        CU_ASSERT_EQUAL(ms_imap_store_count(w->bob, "INBOX"), 3);
    }
#undef OCTETS
}

static void login_with_literals(void)
{
    g_autoptr(World) w = world_new();
    g_autoptr(MsImapServer) s = server_new(w);
    g_autofree char *r1 = feed(s, "a1 LOGIN {3}\r\n");
    MS_ASSERT_STR(r1, "+ Ready for literal data");
    g_autofree char *r2 = feed(s, "bob {6}\r\n");
    MS_ASSERT_STR(r2, "+ Ready for literal data");
    g_autofree char *r3 = feed(s, "hungry\r\n");
    MS_ASSERT_STR(r3, "a1 OK LOGIN completed");
    CU_ASSERT_EQUAL(ms_imap_server_state(s), MS_IMAP_STATE_AUTHENTICATED);
}

/* RFC 3501 7.5 (RFC 9051 7.5): a synchronizing literal of no octets still
 * gets its "+", for the client sends nothing more of the command until
 * then; a correct client would otherwise wait for ever. */
static void zero_length_literals_get_their_continuation(void)
{
    g_autoptr(World) w = world_new();
    g_autoptr(MsImapServer) s = server_new(w);
    g_autofree char *r1 = feed(s, "a1 LOGIN bob {0}\r\n");
    MS_ASSERT_STR(r1, "+ Ready for literal data");
    g_autofree char *r2 = feed(s, "\r\n");
    MS_ASSERT_STR(r2, "a1 NO [AUTHENTICATIONFAILED] Authentication failed");
    drain_events(s);
    /* Two in one line, each announced in turn. */
    g_autofree char *r3 = feed(s, "a2 LOGIN {0}\r\n");
    MS_ASSERT_STR(r3, "+ Ready for literal data");
    g_autofree char *r4 = feed(s, " {0}\r\n");
    MS_ASSERT_STR(r4, "+ Ready for literal data");
    g_autofree char *r5 = feed(s, "\r\n");
    HAS(r5, "a2 ");
    drain_events(s);
    g_autofree char *r6 = say(s, "a3 LOGIN bob hungry");
    MS_ASSERT_STR(r6, "a3 OK LOGIN completed");
    g_autofree char *r7 = feed(s, "a4 APPEND INBOX {0}\r\n");
    MS_ASSERT_STR(r7, "+ Ready for literal data");
    g_autofree char *r8 = feed(s, "\r\n");
    MS_ASSERT_STR(r8, "a4 NO Empty message");
    /* "{0+}" (RFC 7888) wants none. */
    g_autofree char *r9 = feed(s, "a5 APPEND INBOX {0+}\r\n\r\n");
    MS_ASSERT_STR(r9, "a5 NO Empty message");
}

/* What the glue sends: the server's own lines, in place, forgotten with
 * ms_imap_server_output_sent().  A FETCH puts the message in a literal
 * (RFC 3501 4.3) cut into lines: those that begin inside it carry the
 * literal's note, and what follows a literal whose text does not end in
 * CRLF goes on the same line as its last octets. */
static void fetch_output_in_place(void)
{
    g_autoptr(World) w = world_new();
    static const char text[] = "Subject: tail\r\n\r\n.one\r\ntwo";
    g_autoptr(GBytes) data = g_bytes_new(text, strlen(text));
    CU_ASSERT_EQUAL(ms_imap_store_append(w->bob, "INBOX", data,
                                         MS_IMAP_FLAG_SEEN | MS_IMAP_FLAG_ANSWERED, JAN1 + 3723),
                    4);
    g_autoptr(MsImapServer) s = server_selected(w, FALSE);
    ms_imap_server_output_sent(s);
    CU_ASSERT_EQUAL(ms_imap_server_output(s)->len, 0);

    static const char command[] =
        "a3 FETCH 4 (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[] BODY.PEEK[]<2.5>)\r\n";
    ms_imap_server_feed(s, command, strlen(command));
    GPtrArray *out = ms_imap_server_output(s);
    static const char *const lines[][3] = {
        { "* 4 FETCH (UID 4 FLAGS (\\Answered \\Seen \\Recent) INTERNALDATE \"01-Jan-2024 01:02:03 "
          "+0000\" RFC822.SIZE 26 BODY[] {26}", "\r\n", "imap.resp.fetch" },
        { "Subject: tail", "\r\n", "imap.data.literal" },
        { "", "\r\n", "imap.data.literal" },
        { ".one", "\r\n", "imap.data.literal" },
        { "two BODY[]<2> {5}", "\r\n", "imap.data.literal" },
        { "bject)", "\r\n", "imap.data.literal" },
        { "a3 OK FETCH completed", "\r\n", "imap.resp.ok" },
    };
    CU_ASSERT_EQUAL_FATAL(out->len, G_N_ELEMENTS(lines));
    for (guint i = 0; i < out->len; i++) {
        const MsProtoLine *l = g_ptr_array_index(out, i);
        MS_ASSERT_STR(l->text, lines[i][0]);
        MS_ASSERT_STR(l->eol, lines[i][1]);
        MS_ASSERT_STR(l->note, lines[i][2]);
        MS_ASSERT_STR(l->phase, "imap.selected");
    }
    /* The lines put back together are the response's bytes. */
    g_autoptr(GBytes) wire = ms_proto_lines_to_bytes(out);
    g_autofree char *expected = g_strdup_printf(
        "* 4 FETCH (UID 4 FLAGS (\\Answered \\Seen \\Recent) INTERNALDATE \"01-Jan-2024 01:02:03 "
        "+0000\" RFC822.SIZE 26 BODY[] {26}\r\n%s BODY[]<2> {5}\r\nbject)\r\n"
        "a3 OK FETCH completed\r\n", text);
    CU_ASSERT_EQUAL_FATAL(g_bytes_get_size(wire), strlen(expected));
    CU_ASSERT(memcmp(g_bytes_get_data(wire, NULL), expected, strlen(expected)) == 0);
    ms_imap_server_output_sent(s);
    CU_ASSERT_EQUAL(ms_imap_server_output(s)->len, 0);

    /* Reused blocks: the same fetch again says the same bytes. */
    ms_imap_server_feed(s, command, strlen(command));
    g_autoptr(GBytes) again = ms_proto_lines_to_bytes(ms_imap_server_output(s));
    CU_ASSERT(g_bytes_equal(again, wire));
    ms_imap_server_output_sent(s);
}

static const MsTestCase server_cases[] = {
    MS_TEST(fetch_output_in_place),
    MS_TEST(greeting_and_capability), MS_TEST(login_paths), MS_TEST(dispatch_errors),
    MS_TEST(literal_too_large_without_waiting_closes),
    MS_TEST(logout_ends), MS_TEST(too_many_errors), MS_TEST(abort_keeps_deleted), MS_TEST(select_and_examine),
    MS_TEST(mailbox_commands), MS_TEST(append_with_literals),
        MS_TEST(append_refuses_what_is_not_message_text), MS_TEST(login_with_literals),
    MS_TEST(zero_length_literals_get_their_continuation),
    MS_TEST_END,
};

/* ---- imap/server: the selected state ------------------------------------------------- */

/* The size of the world's messages, as make_msg writes them. */
static gsize msg_size(const char *from, const char *subject)
{
    g_autoptr(GBytes) b = make_msg(from, "bob@hamburger.edu", subject,
                                   "Mon, 01 Jan 2024 00:00:05 +0000", "Hello Bob.\r\n");
    return g_bytes_get_size(b);
}

static guint store_flags(World *w, guint32 uid)
{
    MsImapMessageInfo info = { 0 };
    CU_ASSERT(ms_imap_store_find_uid(w->bob, "INBOX", uid, &info));
    return info.flags;
}

static void fetch_items(void)
{
    g_autoptr(World) w = world_new();
    g_autoptr(MsImapServer) s = server_selected(w, FALSE);
    g_autofree char *r1 = say(s, "a3 FETCH 1 (FLAGS UID RFC822.SIZE INTERNALDATE)");
    g_autofree char *want1 = g_strdup_printf(
        "* 1 FETCH (FLAGS (\\Seen \\Recent) UID 1 RFC822.SIZE %zu "
        "INTERNALDATE \"01-Jan-2024 00:00:00 +0000\")\na3 OK FETCH completed",
        msg_size("Alice <alice@crepes.fr>", "Ketchup"));
    MS_ASSERT_STR(r1, want1);

    /* BODY.PEEK[HEADER] leaves \Seen alone (6.4.5). */
    g_autoptr(GBytes) m2 = make_msg("Carol <carol@example.org>", "bob@hamburger.edu", "Pickles",
                                    "Mon, 01 Jan 2024 00:00:05 +0000", "Hello Bob.\r\n");
    gsize size2 = 0;
    const char *d2 = g_bytes_get_data(m2, &size2);
    gsize hlen = (gsize) (strstr(d2, "\r\n\r\n") - d2) + 4;
    g_autofree char *r2 = say(s, "a4 FETCH 2 BODY.PEEK[HEADER]");
    /* The header's lines, then its empty line, then ")" on a line of its own. */
    g_autoptr(GString) want2b = g_string_new(NULL);
    g_string_append_printf(want2b, "* 2 FETCH (BODY[HEADER] {%zu}\n", hlen);
    for (const char *p = d2; p < d2 + hlen;) {
        const char *e = strstr(p, "\r\n");
        g_string_append_len(want2b, p, e - p);
        g_string_append_c(want2b, '\n');
        p = e + 2;
    }
    g_string_append(want2b, ")\na4 OK FETCH completed");
    MS_ASSERT_STR(r2, want2b->str);
    CU_ASSERT_EQUAL(store_flags(w, 2), 0);

    /* BODY[TEXT] without PEEK sets \Seen and says so in FLAGS. */
    g_autofree char *r3 = say(s, "a5 FETCH 2 BODY[TEXT]");
    MS_ASSERT_STR(r3, "* 2 FETCH (BODY[TEXT] {12}\nHello Bob.\n FLAGS (\\Seen \\Recent))\n"
                      "a5 OK FETCH completed");
    CU_ASSERT_EQUAL(store_flags(w, 2), MS_IMAP_FLAG_SEEN);

    /* Partial: "<origin>" in the response, octets cut out of the line. */
    g_autofree char *r4 = say(s, "a6 FETCH 3 BODY.PEEK[]<0.10>");
    MS_ASSERT_STR(r4, "* 3 FETCH (BODY[]<0> {10}\nFrom: alic)\na6 OK FETCH completed");
    g_autofree char *r5 = say(s, "a7 FETCH 3 BODY.PEEK[]<5000.10>");
    MS_ASSERT_STR(r5, "* 3 FETCH (BODY[]<5000> {0}\n)\na7 OK FETCH completed");
    g_autofree char *r6 = say(s, "a8 FETCH 3 BODY.PEEK[HEADER.FIELDS (subject)]");
    MS_ASSERT_STR(r6, "* 3 FETCH (BODY[HEADER.FIELDS (subject)] {20}\nSubject: Mustard\n\n)\n"
                      "a8 OK FETCH completed");
    g_autofree char *r7 = say(s, "a9 FETCH 3 BODY.PEEK[HEADER.FIELDS.NOT (From To Subject Date "
                                 "Message-ID)]");
    MS_ASSERT_STR(r7, "* 3 FETCH (BODY[HEADER.FIELDS.NOT (From To Subject Date Message-ID)] "
                      "{2}\n\n)\na9 OK FETCH completed");
    g_autofree char *r8 = say(s, "a10 FETCH 1 ENVELOPE");
    MS_ASSERT_STR(r8, "* 1 FETCH (ENVELOPE (\"Mon, 01 Jan 2024 00:00:05 +0000\" \"Ketchup\" "
                      "((\"Alice\" NIL \"alice\" \"crepes.fr\")) "
                      "((\"Alice\" NIL \"alice\" \"crepes.fr\")) "
                      "((\"Alice\" NIL \"alice\" \"crepes.fr\")) "
                      "((NIL NIL \"bob\" \"hamburger.edu\")) NIL NIL NIL \"<Ketchup@test>\"))\n"
                      "a10 OK FETCH completed");
    g_autofree char *r9 = say(s, "a11 FETCH 3 FULL");
    HAS(r9, "* 3 FETCH (FLAGS (\\Flagged \\Recent) INTERNALDATE \"03-Jan-2024 00:00:00 +0000\" "
            "RFC822.SIZE ");
    HAS(r9, "BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 12 1))");
    g_autofree char *r10 = say(s, "a12 FETCH 3 FAST");
    HASNT(r10, "ENVELOPE");
    HAS(r10, "RFC822.SIZE");
    g_autofree char *r11 = say(s, "a13 FETCH 3 BODYSTRUCTURE");
    HAS(r11, "BODYSTRUCTURE (\"TEXT\" \"PLAIN\"");
    g_autofree char *r12 = say(s, "a14 FETCH 3 (RFC822.HEADER BODY.PEEK[1] BODY.PEEK[2])");
    HAS(r12, "RFC822.HEADER {");
    HAS(r12, "BODY[1] {12}");
    HAS(r12, "BODY[2] NIL)");
    CU_ASSERT_EQUAL(store_flags(w, 3), MS_IMAP_FLAG_FLAGGED);
    g_autofree char *r13 = say(s, "a15 FETCH 3 RFC822.TEXT");
    HAS(r13, "RFC822.TEXT {12}");
    CU_ASSERT_EQUAL(store_flags(w, 3), MS_IMAP_FLAG_FLAGGED | MS_IMAP_FLAG_SEEN);

    /* The octets on the wire are exactly the message's. */
    g_autofree char *cmd = g_strdup("b1 FETCH 2 BODY.PEEK[]\r\n");
    ms_imap_server_feed(s, cmd, strlen(cmd));
    g_autoptr(GPtrArray) out = ms_imap_server_take_output(s);
    g_autoptr(GBytes) wire = ms_proto_lines_to_bytes(out);
    g_autofree char *expect = g_strdup_printf("* 2 FETCH (BODY[] {%zu}\r\n%s)\r\n"
                                              "b1 OK FETCH completed\r\n", size2, d2);
    CU_ASSERT_EQUAL(g_bytes_get_size(wire), strlen(expect));
    CU_ASSERT_EQUAL(memcmp(g_bytes_get_data(wire, NULL), expect, strlen(expect)), 0);
    MS_ASSERT_STR(((MsProtoLine *) g_ptr_array_index(out, 0))->note, "imap.resp.fetch");
    MS_ASSERT_STR(((MsProtoLine *) g_ptr_array_index(out, 1))->note, "imap.data.literal");
    MS_ASSERT_STR(((MsProtoLine *) g_ptr_array_index(out, 0))->phase, "imap.selected");

    static const struct {
        const char *line;
        const char *reply;
    } bad[] = {
        { "c1 FETCH 1 (FLAGS BOGUS)", "c1 BAD Invalid FETCH attribute" },
        { "c2 FETCH 4 FLAGS", "c2 BAD Invalid message sequence number" },
        { "c3 FETCH 0 FLAGS", "c3 BAD Invalid sequence set" },
        { "c4 FETCH 1", "c4 BAD FETCH takes 2 arguments" },
        { "c5 FETCH 1 BODY.PEEK", "c5 BAD Invalid FETCH attribute" },
        { "c6 FETCH 1 BODY[]<5.0>", "c6 BAD Invalid FETCH attribute" },
        { "c7 FETCH 1 (ALL)", "c7 BAD Invalid FETCH attribute" },
        { "c8 FETCH 1 BODY[HEADER", "c8 BAD Missing \"]\"" },
        { "c9 FETCH 1 BODY[1.]", "c9 BAD Invalid FETCH attribute" },
        { "c10 FETCH 1 ()", "c10 BAD Invalid FETCH attribute" },
        { "c11 FETCH 1:* BODY[MIME]", "c11 BAD Invalid FETCH attribute" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *r = say(s, bad[i].line);
        MS_ASSERT_STR(r, bad[i].reply);
    }
}

static void read_only_mailbox(void)
{
    g_autoptr(World) w = world_new();
    g_autoptr(MsImapServer) s = server_selected(w, TRUE);
    g_autofree char *r1 = say(s, "a3 FETCH 2 BODY[TEXT]");
    /* 6.3.2: EXAMINE changes nothing, \Seen included. */
    MS_ASSERT_STR(r1, "* 2 FETCH (BODY[TEXT] {12}\nHello Bob.\n)\na3 OK FETCH completed");
    CU_ASSERT_EQUAL(store_flags(w, 2), 0);
    g_autofree char *r2 = say(s, "a4 STORE 2 +FLAGS (\\Seen)");
    MS_ASSERT_STR(r2, "a4 NO [READ-ONLY] Mailbox is read-only (EXAMINE)");
    MS_ASSERT_STR(say_note(s, "a5 EXPUNGE"), "imap.resp.no.readonly");
    ms_imap_store_create(w->bob, "Work");
    MS_ASSERT_STR(say_note(s, "a6 MOVE 1 Work"), "imap.resp.no.readonly");
    g_autofree char *r7 = say(s, "a7 COPY 1 Work");
    MS_ASSERT_STR(r7, "a7 OK COPY completed");
    g_autofree char *r8 = say(s, "a8 CLOSE");
    MS_ASSERT_STR(r8, "a8 OK CLOSE completed");
    CU_ASSERT_EQUAL(ms_imap_store_count(w->bob, "INBOX"), 3);
}

static void store_command(void)
{
    g_autoptr(World) w = world_new();
    g_autoptr(MsImapServer) s = server_selected(w, FALSE);
    g_autofree char *r1 = say(s, "a3 STORE 2 +FLAGS (\\Flagged \\Answered)");
    MS_ASSERT_STR(r1, "* 2 FETCH (FLAGS (\\Answered \\Flagged \\Recent))\na3 OK STORE completed");
    g_autofree char *r2 = say(s, "a4 STORE 2 -FLAGS \\Answered");
    MS_ASSERT_STR(r2, "* 2 FETCH (FLAGS (\\Flagged \\Recent))\na4 OK STORE completed");
    g_autofree char *r3 = say(s, "a5 STORE 1:2 FLAGS.SILENT (\\Draft)");
    /* 6.4.6: .SILENT means no FETCH back. */
    MS_ASSERT_STR(r3, "a5 OK STORE completed");
    CU_ASSERT_EQUAL(store_flags(w, 1), MS_IMAP_FLAG_DRAFT);
    CU_ASSERT_EQUAL(store_flags(w, 2), MS_IMAP_FLAG_DRAFT);
    g_autofree char *r4 = say(s, "a6 STORE 1 +FLAGS ($Junk)");
    /* Keywords are not permanent here: ignored. */
    MS_ASSERT_STR(r4, "* 1 FETCH (FLAGS (\\Draft \\Recent))\na6 OK STORE completed");
    g_autofree char *r5 = say(s, "a7 UID STORE 3 +FLAGS (\\seen)");
    MS_ASSERT_STR(r5, "* 3 FETCH (UID 3 FLAGS (\\Flagged \\Seen \\Recent))\n"
                      "a7 OK UID STORE completed");
    static const struct {
        const char *line;
        const char *reply;
    } bad[] = {
        { "b1 STORE 1 +FLAGS (\\Recent)", "b1 BAD Invalid flag (\\Recent cannot be stored)" },
        { "b2 STORE 1 +FLAGS (\\Bogus)", "b2 BAD Invalid flag (\\Recent cannot be stored)" },
        { "b3 STORE 1 SET (\\Seen)", "b3 BAD STORE item must be FLAGS, +FLAGS or -FLAGS [.SILENT]" },
        { "b4 STORE 1 +FLAGS", "b4 BAD STORE wants messages, an item and flags" },
        { "b5 STORE 9 +FLAGS (\\Seen)", "b5 BAD Invalid message sequence number" },
        { "b6 STORE 1 +FLAGS (\\Seen) (\\Draft)", "b6 BAD Invalid flag (\\Recent cannot be stored)" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *r = say(s, bad[i].line);
        MS_ASSERT_STR(r, bad[i].reply);
    }
    /* A UID that does not exist is no error (6.4.8). */
    g_autofree char *r6 = say(s, "c1 UID STORE 99 +FLAGS (\\Seen)");
    MS_ASSERT_STR(r6, "c1 OK UID STORE completed");
}

static void copy_and_move(void)
{
    g_autoptr(World) w = world_new();
    g_autoptr(MsImapServer) s = server_selected(w, FALSE);
    g_autofree char *r1 = say(s, "a3 COPY 1:2 Work");
    /* 6.4.7: no automatic creation; TRYCREATE tells the client to CREATE. */
    MS_ASSERT_STR(r1, "a3 NO [TRYCREATE] No such mailbox");
    MS_ASSERT_STR(say_note(s, "a4 CREATE Work"), "imap.resp.ok");
    g_autofree char *r2 = say(s, "a5 COPY 1:2 Work");
    MS_ASSERT_STR(r2, "a5 OK COPY completed");
    CU_ASSERT_EQUAL(ms_imap_store_count(w->bob, "Work"), 2);
    MsImapMessageInfo info = { 0 };
    CU_ASSERT(ms_imap_store_find_uid(w->bob, "Work", 1, &info));
    CU_ASSERT_EQUAL(info.flags, MS_IMAP_FLAG_SEEN); /* flags kept */
    CU_ASSERT(info.recent);                         /* and \Recent set */
    CU_ASSERT_EQUAL(info.internal_date, JAN1);
    /* RFC 6851 3.3: EXPUNGE for the moved message before the OK. */
    g_autofree char *r3 = say(s, "a6 MOVE 1 Work");
    MS_ASSERT_STR(r3, "* 1 EXPUNGE\na6 OK MOVE completed");
    CU_ASSERT_EQUAL(ms_imap_store_count(w->bob, "INBOX"), 2);
    CU_ASSERT_EQUAL(ms_imap_store_count(w->bob, "Work"), 3);
    /* UID 3 is now message 2. */
    g_autofree char *r4 = say(s, "a7 UID MOVE 3 Work");
    MS_ASSERT_STR(r4, "* 2 EXPUNGE\na7 OK UID MOVE completed");
    g_autofree char *r5 = say(s, "a8 UID COPY 2 Work");
    MS_ASSERT_STR(r5, "a8 OK UID COPY completed");
    g_autofree char *r6 = say(s, "a9 UID MOVE 99 Work");
    MS_ASSERT_STR(r6, "a9 OK UID MOVE completed");
    MS_ASSERT_STR(say_note(s, "a10 COPY 1"), "imap.resp.bad.syntax");
    MS_ASSERT_STR(say_note(s, "a11 COPY 5 Work"), "imap.resp.bad.seqset");
    /* Moving into the selected mailbox: a new copy, the old one gone. */
    g_autofree char *r7 = say(s, "a12 MOVE 1 INBOX");
    MS_ASSERT_STR(r7, "* 1 EXPUNGE\n* 1 EXISTS\n* 1 RECENT\na12 OK MOVE completed");
    g_autoptr(MsImapServer) plain = server_new_ext(w, MS_IMAP_EXT_MOVE);
    g_autofree char *l = say(plain, "b1 LOGIN bob hungry");
    g_autofree char *sl = say(plain, "b2 SELECT INBOX");
    MS_ASSERT_STR(say_note(plain, "b3 MOVE 1 Work"), "imap.resp.bad.unknown");
}

static void expunge_renumbers(void)
{
    g_autoptr(World) w = world_new();
    for (int i = 4; i <= 11; i++)
        add_msg(w->bob, "INBOX", "dave@example.org", "more", JAN1, 0);
    g_autoptr(MsImapServer) s = server_selected(w, FALSE);
    g_autofree char *st = say(s, "a3 STORE 3:4,7,11 +FLAGS.SILENT (\\Deleted)");
    g_autofree char *ex = say(s, "a4 EXPUNGE");
    /* RFC 3501 7.4.1's example: 3, 4, 7 and 11 expunged read 3, 3, 5, 8,
     * each number counted after the ones before it were removed. */
    MS_ASSERT_STR(ex, "* 3 EXPUNGE\n* 3 EXPUNGE\n* 5 EXPUNGE\n* 8 EXPUNGE\n"
                      "a4 OK EXPUNGE completed");
    g_autofree char *uids = say(s, "a5 FETCH 1:* UID");
    MS_ASSERT_STR(uids, "* 1 FETCH (UID 1)\n* 2 FETCH (UID 2)\n* 3 FETCH (UID 5)\n"
                        "* 4 FETCH (UID 6)\n* 5 FETCH (UID 8)\n* 6 FETCH (UID 9)\n"
                        "* 7 FETCH (UID 10)\na5 OK FETCH completed");
    /* UIDs are not reused: UIDNEXT stays 12. */
    g_autofree char *again = say(s, "a6 SELECT INBOX");
    HAS(again, "* 7 EXISTS");
    HAS(again, "[UIDNEXT 12]");
    /* CLOSE expunges silently; UNSELECT does not expunge. */
    g_autofree char *st2 = say(s, "a7 STORE 1 +FLAGS.SILENT (\\Deleted)");
    g_autofree char *un = say(s, "a8 UNSELECT");
    MS_ASSERT_STR(un, "a8 OK UNSELECT completed");
    CU_ASSERT_EQUAL(ms_imap_server_state(s), MS_IMAP_STATE_AUTHENTICATED);
    CU_ASSERT_EQUAL(ms_imap_store_count(w->bob, "INBOX"), 7);
    g_autofree char *sel = say(s, "a9 SELECT INBOX");
    g_autofree char *cl = say(s, "a10 CLOSE");
    MS_ASSERT_STR(cl, "a10 OK CLOSE completed");
    CU_ASSERT_EQUAL(ms_imap_store_count(w->bob, "INBOX"), 6);
    CU_ASSERT_EQUAL(ms_imap_server_state(s), MS_IMAP_STATE_AUTHENTICATED);
    MS_ASSERT_STR(say_note(s, "a11 EXPUNGE"), "imap.resp.bad.state");
    /* In an empty mailbox every sequence number is out of range. */
    ms_imap_store_create(w->bob, "Empty");
    g_autofree char *se = say(s, "a12 SELECT Empty");
    g_autofree char *f = say(s, "a13 FETCH 1:* FLAGS");
    MS_ASSERT_STR(f, "a13 BAD No messages in the mailbox");
    g_autofree char *uf = say(s, "a14 UID FETCH 1:* FLAGS");
    MS_ASSERT_STR(uf, "a14 OK UID FETCH completed");
}

static void search_keys(void)
{
    g_autoptr(World) w = world_new();
    g_autoptr(MsImapServer) s = server_selected(w, FALSE);
    static const struct {
        const char *criteria;
        const char *result;
    } cases[] = {
        { "ALL", "* SEARCH 1 2 3" },
        { "UNSEEN", "* SEARCH 2 3" },
        { "SEEN", "* SEARCH 1" },
        { "FLAGGED", "* SEARCH 3" },
        { "DELETED", "* SEARCH" },
        { "FROM ALICE", "* SEARCH 1 3" },
        { "TO bob", "* SEARCH 1 2 3" },
        { "SUBJECT pick", "* SEARCH 2" },
        { "SUBJECT \"\"", "* SEARCH 1 2 3" },
        { "SINCE 2-Jan-2024", "* SEARCH 2 3" },
        { "BEFORE 2-Jan-2024", "* SEARCH 1" },
        { "ON \"3-Jan-2024\"", "* SEARCH 3" },
        { "UID 2:*", "* SEARCH 2 3" },
        { "1,3", "* SEARCH 1 3" },
        { "NOT SEEN", "* SEARCH 2 3" },
        { "OR FLAGGED SEEN", "* SEARCH 1 3" },
        { "FROM alice UNSEEN", "* SEARCH 3" },
        { "OR (SEEN) (SUBJECT pickles)", "* SEARCH 1 2" },
        { "NOT (FROM alice NOT FLAGGED)", "* SEARCH 2 3" },
        { "HEADER Message-ID Mustard", "* SEARCH 3" },
        { "HEADER X-Nothing \"\"", "* SEARCH" },
        { "BODY hello", "* SEARCH 1 2 3" },
        { "TEXT ketchup", "* SEARCH 1" },
        { "LARGER 1 SMALLER 100000", "* SEARCH 1 2 3" },
        { "SMALLER 10", "* SEARCH" },
        { "NEW", "* SEARCH 2 3" },
        { "OLD", "* SEARCH" },
        { "RECENT", "* SEARCH 1 2 3" },
        { "SENTON 1-Jan-2024", "* SEARCH 1 2 3" },
        { "SENTBEFORE 1-Jan-2024", "* SEARCH" },
        { "KEYWORD $Junk", "* SEARCH" },
        { "UNKEYWORD $Junk ANSWERED", "* SEARCH" },
        { "CHARSET UTF-8 ALL", "* SEARCH 1 2 3" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *line = g_strdup_printf("s%zu SEARCH %s", i, cases[i].criteria);
        g_autofree char *r = say(s, line);
        g_autofree char *want = g_strdup_printf("%s\ns%zu OK SEARCH completed", cases[i].result, i);
        MS_ASSERT_STR(r, want);
    }
    static const struct {
        const char *line;
        const char *reply;
    } bad[] = {
        { "b1 SEARCH", "b1 BAD Missing SEARCH criteria" },
        { "b2 SEARCH BOGUS", "b2 BAD Unknown SEARCH key" },
        { "b3 SEARCH SINCE 2024-01-01", "b3 BAD Invalid date in SEARCH (expected d-Mon-yyyy)" },
        { "b4 SEARCH OR SEEN", "b4 BAD Invalid SEARCH key" },
        { "b5 SEARCH FROM", "b5 BAD Missing or invalid string in SEARCH" },
        { "b6 SEARCH (SEEN", "b6 BAD Missing \")\"" },
        { "b7 SEARCH UID x", "b7 BAD Invalid UID set in SEARCH" },
        { "b8 SEARCH ()", "b8 BAD Missing SEARCH criteria" },
        { "b9 SEARCH CHARSET KOI8-R ALL", "b9 NO [BADCHARSET (US-ASCII UTF-8)] Unsupported charset" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *r = say(s, bad[i].line);
        MS_ASSERT_STR(r, bad[i].reply);
    }
    /* UID SEARCH answers with UIDs, which stay when numbers move. */
    g_autofree char *d = say(s, "c1 STORE 1 +FLAGS.SILENT (\\Deleted)");
    g_autofree char *e = say(s, "c2 EXPUNGE");
    g_autofree char *r1 = say(s, "c3 SEARCH ALL");
    MS_ASSERT_STR(r1, "* SEARCH 1 2\nc3 OK SEARCH completed");
    g_autofree char *r2 = say(s, "c4 UID SEARCH ALL");
    MS_ASSERT_STR(r2, "* SEARCH 2 3\nc4 OK UID SEARCH completed");
}

static const MsTestCase selected_cases[] = {
    MS_TEST(fetch_items), MS_TEST(read_only_mailbox), MS_TEST(store_command),
    MS_TEST(copy_and_move), MS_TEST(expunge_renumbers), MS_TEST(search_keys), MS_TEST_END,
};

/* ---- imap/sessions: one store, several sessions ---------------------------------------- */

static void two_devices(void)
{
    g_autoptr(World) w = world_new();
    g_autoptr(MsImapServer) a = server_selected(w, FALSE);
    g_autoptr(MsImapServer) b = server_selected(w, FALSE);
    g_autofree char *r1 = say(a, "a3 STORE 2 +FLAGS (\\Flagged)");
    MS_ASSERT_STR(r1, "* 2 FETCH (FLAGS (\\Flagged \\Recent))\na3 OK STORE completed");
    /* RFC 3501 5.2 / 7.4.2: the other session hears of it at its next
     * command, as an unsolicited FETCH. */
    g_autofree char *r2 = say(b, "b3 NOOP");
    MS_ASSERT_STR(r2, "* 2 FETCH (UID 2 FLAGS (\\Flagged))\nb3 OK NOOP completed");
    g_autofree char *r3 = say(b, "b4 NOOP");
    MS_ASSERT_STR(r3, "b4 OK NOOP completed");
    g_autofree char *r4 = say(a, "a4 NOOP");
    MS_ASSERT_STR(r4, "a4 OK NOOP completed"); /* its own change is not told twice */
    /* A delivery: the first session to hear of it gets \Recent. */
    add_msg(w->bob, "INBOX", "dave@example.org", "News", JAN1, 0);
    g_autofree char *r5 = say(b, "b5 NOOP");
    MS_ASSERT_STR(r5, "* 4 EXISTS\n* 1 RECENT\nb5 OK NOOP completed");
    g_autofree char *r6 = say(a, "a5 NOOP");
    MS_ASSERT_STR(r6, "* 4 EXISTS\n* 3 RECENT\na5 OK NOOP completed");
    /* The flag is in the store for the next session of any device. */
    g_autoptr(MsImapServer) c = server_selected(w, TRUE);
    g_autofree char *r7 = say(c, "c3 FETCH 2 FLAGS");
    MS_ASSERT_STR(r7, "* 2 FETCH (FLAGS (\\Flagged))\nc3 OK FETCH completed");
}

static void deferred_expunge(void)
{
    g_autoptr(World) w = world_new();
    g_autoptr(MsImapServer) a = server_selected(w, FALSE);
    g_autoptr(MsImapServer) b = server_selected(w, FALSE);
    g_autofree char *r1 = say(a, "a3 STORE 1 +FLAGS.SILENT (\\Deleted)");
    g_autofree char *r2 = say(a, "a4 EXPUNGE");
    MS_ASSERT_STR(r2, "* 1 EXPUNGE\na4 OK EXPUNGE completed");
    /* RFC 3501 7.4.1: no EXPUNGE while answering FETCH, STORE or SEARCH,
     * so the numbers B uses keep their meaning; the gone message is a NO
     * (RFC 2180 4.1.2). */
    g_autofree char *r3 = say(b, "b3 FETCH 1 FLAGS");
    MS_ASSERT_STR(r3, "b3 NO Some of the requested messages no longer exist");
    g_autofree char *r4 = say(b, "b4 FETCH 2 UID");
    MS_ASSERT_STR(r4, "* 2 FETCH (UID 2)\nb4 OK FETCH completed");
    g_autofree char *r5 = say(b, "b5 SEARCH ALL");
    MS_ASSERT_STR(r5, "* SEARCH 2 3\nb5 OK SEARCH completed");
    g_autofree char *r6 = say(b, "b6 STORE 1 +FLAGS (\\Seen)");
    MS_ASSERT_STR(r6, "b6 NO Some of the requested messages no longer exist");
    g_autofree char *r7 = say(b, "b7 NOOP");
    MS_ASSERT_STR(r7, "* 1 EXPUNGE\nb7 OK NOOP completed");
    g_autofree char *r8 = say(b, "b8 FETCH 1 UID");
    MS_ASSERT_STR(r8, "* 1 FETCH (UID 2)\nb8 OK FETCH completed");
    /* The UID form may report the EXPUNGE (after its FETCH data). */
    g_autofree char *r9 = say(a, "a5 STORE 1 +FLAGS.SILENT (\\Deleted)");
    g_autofree char *r10 = say(a, "a6 EXPUNGE");
    g_autofree char *r11 = say(b, "b9 UID FETCH 3 UID");
    MS_ASSERT_STR(r11, "* 2 FETCH (UID 3)\n* 1 EXPUNGE\nb9 OK UID FETCH completed");
    /* A mailbox deleted under a session: all its messages expunged. */
    ms_imap_store_create(w->bob, "Work");
    ms_imap_store_copy(w->bob, "INBOX", 3, "Work");
    g_autofree char *r12 = say(b, "b10 SELECT Work");
    ms_imap_store_delete(w->bob, "Work");
    g_autofree char *r13 = say(b, "b11 NOOP");
    MS_ASSERT_STR(r13, "* 1 EXPUNGE\nb11 OK NOOP completed");
    CU_ASSERT_PTR_NULL(ms_imap_server_selected(b));
}

static void idle_push(void)
{
    g_autoptr(World) w = world_new();
    g_autoptr(MsImapServer) a = server_selected(w, FALSE);
    g_autoptr(MsImapServer) b = server_selected(w, FALSE);
    const char *idle = "a3 IDLE\r\n";
    ms_imap_server_feed(a, idle, strlen(idle));
    g_autoptr(GPtrArray) o1 = ms_imap_server_take_output(a);
    CU_ASSERT_EQUAL_FATAL(o1->len, 1);
    /* RFC 2177 3: "+" and no completion until DONE. */
    MS_ASSERT_STR(((MsProtoLine *) g_ptr_array_index(o1, 0))->text, "+ idling");
    MS_ASSERT_STR(((MsProtoLine *) g_ptr_array_index(o1, 0))->note, "imap.cont.idle");
    CU_ASSERT(ms_imap_server_idling(a));
    g_autoptr(MsImapEvent) ev = ms_imap_server_next_event(a);
    CU_ASSERT_EQUAL(ev->kind, MS_IMAP_EVENT_IDLING);
    CU_ASSERT(ev->idling);

    /* A delivery: pushed at once when the glue says the store changed. */
    add_msg(w->bob, "INBOX", "dave@example.org", "News", JAN1, 0);
    ms_imap_server_notify(a);
    g_autoptr(GPtrArray) o2 = ms_imap_server_take_output(a);
    g_autofree char *t2 = join_output(o2);
    MS_ASSERT_STR(t2, "* 4 EXISTS\n* 4 RECENT");
    MS_ASSERT_STR(((MsProtoLine *) g_ptr_array_index(o2, 0))->note, "imap.resp.exists");
    MS_ASSERT_STR(((MsProtoLine *) g_ptr_array_index(o2, 0))->phase, "imap.selected");
    /* Another device's flag and expunge. */
    g_autofree char *r1 = say(b, "b3 STORE 1 +FLAGS (\\Answered)");
    ms_imap_server_notify(a);
    g_autoptr(GPtrArray) o3 = ms_imap_server_take_output(a);
    g_autofree char *t3 = join_output(o3);
    MS_ASSERT_STR(t3, "* 1 FETCH (UID 1 FLAGS (\\Answered \\Seen \\Recent))");
    MS_ASSERT_STR(((MsProtoLine *) g_ptr_array_index(o3, 0))->note, "imap.resp.fetch.flags");
    g_autofree char *r2 = say(b, "b4 STORE 2 +FLAGS.SILENT (\\Deleted)");
    g_autofree char *r3 = say(b, "b5 EXPUNGE");
    ms_imap_server_notify(a);
    g_autoptr(GPtrArray) o4 = ms_imap_server_take_output(a);
    g_autofree char *t4 = join_output(o4);
    MS_ASSERT_STR(t4, "* 2 EXPUNGE");
    /* A session not idling says nothing until its next command. */
    add_msg(w->bob, "INBOX", "dave@example.org", "More", JAN1, 0);
    ms_imap_server_notify(b);
    g_autoptr(GPtrArray) o5 = ms_imap_server_take_output(b);
    CU_ASSERT_EQUAL(o5->len, 0);
    g_autofree char *done = feed(a, "DONE\r\n");
    MS_ASSERT_STR(done, "* 4 EXISTS\n* 4 RECENT\na3 OK IDLE terminated");
    CU_ASSERT_FALSE(ms_imap_server_idling(a));
    drain_events(a);
    ms_imap_server_notify(a);
    g_autoptr(GPtrArray) o6 = ms_imap_server_take_output(a);
    CU_ASSERT_EQUAL(o6->len, 0);
    /* Anything but DONE ends IDLE with BAD. */
    g_autofree char *i2 = say(a, "a4 IDLE");
    MS_ASSERT_STR(i2, "+ idling");
    g_autofree char *bad = say(a, "a5 NOOP");
    MS_ASSERT_STR(bad, "a4 BAD Expected DONE");
    CU_ASSERT_FALSE(ms_imap_server_idling(a));
    /* IDLE in the authenticated state is allowed too. */
    g_autoptr(MsImapServer) c = server_new(w);
    g_autofree char *l = say(c, "c1 LOGIN bob hungry");
    g_autofree char *i3 = say(c, "c2 IDLE");
    MS_ASSERT_STR(i3, "+ idling");
    g_autofree char *d3 = say(c, "done");
    MS_ASSERT_STR(d3, "c2 OK IDLE terminated");
}

/* RFC 3501 section 8, replayed: the same responses, by kind and code. */
static void rfc3501_sample_session(void)
{
    g_autoptr(World) w = world_new();
    /* INBOX of 18 messages, 17 and 18 recent and unseen, 12 the RFC's. */
    g_autoptr(GString) body = g_string_new(NULL);
    for (int i = 0; i < 92; i++) {
        /* 84 lines of 31 octets and 8 of 30, each with CRLF: 3028 octets
         * in 92 lines, the BODY of the RFC's message 12. */
        int n = i < 84 ? 31 : 30;
        for (int k = 0; k < n; k++)
            g_string_append_c(body, (char) ('a' + (i + k) % 26));
        g_string_append(body, "\r\n");
    }
    CU_ASSERT_EQUAL(body->len, 3028);
    const char *header = "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"
                         "From: Terry Gray <gray@cac.washington.edu>\r\n"
                         "Subject: IMAP4rev1 WG mtg summary and minutes\r\n"
                         "To: imap@cac.washington.edu\r\n"
                         "cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n"
                         "Message-Id: <B27397-0100000@cac.washington.edu>\r\n"
                         "MIME-Version: 1.0\r\n"
                         "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n";
    for (int i = 1; i <= 18; i++) {
        g_autofree char *text = i == 12 ? g_strconcat(header, body->str, NULL)
                                        : g_strdup_printf("Subject: %d\r\n\r\nx\r\n", i);
        g_autoptr(GBytes) data = g_bytes_new(text, strlen(text));
        guint32 uid = ms_imap_store_append(w->mrc, "INBOX", data, i < 17 ? MS_IMAP_FLAG_SEEN : 0,
                                           837596665);
        MsImapFolder *f = ms_imap_store_lookup(w->mrc, "INBOX");
        /* Only 17 and 18 arrived since the last session. */
        ms_imap_folder_msg(f, uid - 1)->recent = i >= 17;
    }
    g_autoptr(MsImapServer) s = server_new(w);
    static const struct {
        const char *command;
        /* The RFC's responses: the first word after "*" (or the number's
         * keyword) with its code, and the tagged status with its code. */
        const char *kinds;
    } steps[] = {
        { "a001 login mrc secret", "a001 OK" },
        { "a002 select inbox", "EXISTS 18|RECENT 2|OK [UNSEEN]|OK [UIDVALIDITY]|"
                               "OK [UIDNEXT]|FLAGS|OK [PERMANENTFLAGS]|a002 OK [READ-WRITE]" },
        { "a003 fetch 12 full", "FETCH 12|a003 OK" },
        { "a004 fetch 12 body[header]", "FETCH 12|a004 OK" },
        { "a005 store 12 +flags \\deleted", "FETCH 12|a005 OK" },
        { "a006 logout", "BYE|a006 OK" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(steps); i++) {
        g_autofree char *bytes = g_strconcat(steps[i].command, "\r\n", NULL);
        ms_imap_server_feed(s, bytes, strlen(bytes));
        g_autoptr(GPtrArray) out = ms_imap_server_take_output(s);
        g_autoptr(GString) kinds = g_string_new(NULL);
        for (guint k = 0; k < out->len; k++) {
            const MsProtoLine *l = g_ptr_array_index(out, k);
            g_auto(GStrv) words = g_strsplit(l->text, " ", 4);
            /* Literal octets and the rest of a response after them. */
            if (strcmp(l->note, "imap.data.literal") == 0 || words[0] == NULL || words[1] == NULL)
                continue;
            if (kinds->len > 0)
                g_string_append_c(kinds, '|');
            if (strcmp(words[0], "*") != 0) {
                g_string_append_printf(kinds, "%s %s", words[0], words[1]);
            } else if (g_ascii_isdigit(words[1][0])) {
                g_string_append_printf(kinds, "%s %s", words[2], words[1]);
                continue;
            } else {
                g_string_append(kinds, words[1]);
            }
            const char *code = strchr(l->text, '[');
            if (code != NULL) {
                gsize n = strcspn(code, " ]");
                g_string_append_printf(kinds, " %.*s]", (int) n, code);
            }
        }
        MS_ASSERT_STR(kinds->str, steps[i].kinds);
        g_autofree char *text = join_output(out);
        if (i == 1) {
            HAS(text, "* OK [UNSEEN 17] ");
            HAS(text, "* OK [UIDVALIDITY 3857529045] ");
        }
        if (i == 2) {
            /* The RFC's ENVELOPE and BODY of message 12, byte for byte. */
            HAS(text, "FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 09:44:25 +0000\"");
            HAS(text, "ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
                      "\"IMAP4rev1 WG mtg summary and minutes\" "
                      "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
                      "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
                      "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
                      "((NIL NIL \"imap\" \"cac.washington.edu\")) "
                      "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")"
                      "(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL "
                      "\"<B27397-0100000@cac.washington.edu>\") "
                      "BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" "
                      "3028 92))");
            g_autofree char *size = g_strdup_printf("RFC822.SIZE %zu ",
                                                    strlen(header) + body->len);
            HAS(text, size);
        }
        if (i == 3) {
            g_autofree char *lit = g_strdup_printf("* 12 FETCH (BODY[HEADER] {%zu}",
                                                   strlen(header));
            HAS(text, lit);
        }
        if (i == 4)
            HAS(text, "* 12 FETCH (FLAGS (\\Deleted \\Seen))");
    }
    CU_ASSERT_EQUAL(ms_imap_server_state(s), MS_IMAP_STATE_CLOSED);
    /* LOGOUT does not expunge: message 12 is still there, \Deleted. */
    MsImapMessageInfo info = { 0 };
    CU_ASSERT(ms_imap_store_find_uid(w->mrc, "INBOX", 12, &info));
    CU_ASSERT_EQUAL(info.flags, MS_IMAP_FLAG_SEEN | MS_IMAP_FLAG_DELETED);
}

static const MsTestCase session_cases[] = {
    MS_TEST(two_devices), MS_TEST(deferred_expunge), MS_TEST(idle_push),
    MS_TEST(rfc3501_sample_session), MS_TEST_END,
};

int main(void)
{
    ms_test_add_suite("imap/parse", parse_cases);
    ms_test_add_suite("imap/store", store_cases);
    ms_test_add_suite("imap/server", server_cases);
    ms_test_add_suite("imap/server/selected", selected_cases);
    ms_test_add_suite("imap/sessions", session_cases);
    return ms_test_run();
}
