/* test_pop3.c - the POP3 engines against RFC 1939 (and RFC 2449 CAPA).
 *
 * pop3/server drives the server with command lines and checks its replies,
 * its events and the calls it makes into the maildrop; pop3/client feeds
 * the client scripted replies and checks the commands it sends; pop3/session
 * wires the two engines together.  The maildrop used throughout is the one
 * of RFC 1939's examples: user mrose, two messages of 120 and 200 octets.
 */
#include "testutil.h"
#include "mailsim/pop3.h"
#include "../sim/proto/pop3-private.h"

#include <string.h>

/* ---- A maildrop world for the server's callbacks ---------------------------- */

typedef struct {
    GPtrArray *messages; /* MsPop3Message, copied at every load */
    gboolean locked;
    gboolean fail_load;
    guint lock_calls;
    guint unlock_calls;
} World;

/* A message of exactly size octets (CRLF counted): a header, an empty line,
 * then filler lines. */
static GBytes *make_message(gsize size, const char *subject)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "Subject: %s\r\n\r\n", subject);
    g_assert(s->len + 2 <= size);
    while (s->len < size) {
        gsize n = MIN(size - s->len, (gsize) 62);
        if (size - s->len - n == 1)
            n--; /* never leave a single octet: a line needs its CRLF */
        for (gsize i = 0; i + 2 < n; i++)
            g_string_append_c(s, (char) ('a' + i % 26));
        g_string_append(s, "\r\n");
    }
    return g_string_free_to_bytes(s);
}

static void world_add(World *w, const char *uidl, GBytes *data)
{
    g_ptr_array_add(w->messages, ms_pop3_message_new(uidl, data));
    g_bytes_unref(data);
}

static void world_add_text(World *w, const char *uidl, const char *text)
{
    world_add(w, uidl, g_bytes_new(text, strlen(text)));
}

/* RFC 1939 section 7's UIDL example gives these two unique-ids. */
static World *world_new_rfc(void)
{
    World *w = g_new0(World, 1);
    w->messages = ms_pop3_messages_new();
    world_add(w, "whqtswO00WBw418f9t5JxYwZ", make_message(120, "first"));
    world_add(w, "QhdPYR:00WBw1Ph7x7", make_message(200, "second"));
    return w;
}

static void world_free(World *w)
{
    g_ptr_array_unref(w->messages);
    g_free(w);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(World, world_free)

static gboolean w_known_user(const char *user, gpointer data)
{
    (void) data;
    return strcmp(user, "frated") != 0;
}

static gboolean w_authenticate(const char *user, const char *password, gpointer data,
                               char **maildrop_out)
{
    (void) data;
    static const char *const accounts[][2] = {
        { "mrose", "secret" }, { "bob", "hungry" }, { "carol", "two words" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(accounts); i++) {
        if (strcmp(user, accounts[i][0]) == 0 && strcmp(password, accounts[i][1]) == 0) {
            *maildrop_out = g_strconcat("drop:", user, NULL);
            return TRUE;
        }
    }
    return FALSE;
}

static char *w_secret(const char *user, gpointer data, char **maildrop_out)
{
    (void) data;
    if (strcmp(user, "mrose") != 0)
        return NULL;
    *maildrop_out = g_strdup("drop:mrose");
    return g_strdup("tanstaaf");
}

static gboolean w_lock(const char *maildrop, gpointer data)
{
    World *w = data;
    (void) maildrop;
    if (w->locked)
        return FALSE;
    w->locked = TRUE;
    w->lock_calls++;
    return TRUE;
}

static void w_unlock(const char *maildrop, gpointer data)
{
    World *w = data;
    (void) maildrop;
    w->locked = FALSE;
    w->unlock_calls++;
}

static GPtrArray *w_load(const char *maildrop, gpointer data)
{
    World *w = data;
    (void) maildrop;
    if (w->fail_load)
        return NULL;
    GPtrArray *copy = ms_pop3_messages_new();
    for (guint i = 0; i < w->messages->len; i++) {
        const MsPop3Message *m = g_ptr_array_index(w->messages, i);
        g_ptr_array_add(copy, ms_pop3_message_new(m->uidl, m->data));
    }
    return copy;
}

static MsPop3Server *server_new_full(World *w, const char *host, const char *profile,
                                     gboolean apop)
{
    MsPop3ServerConfig config = {
        .hostname = host, .profile = profile, .known_user = w_known_user,
        .authenticate = w_authenticate, .apop_secret = apop ? w_secret : NULL,
        .lock = w_lock, .unlock = w_unlock, .load = w_load, .user_data = w,
        .apop_pid = 1896, .apop_clock = 697170952,
    };
    g_autoptr(GError) error = NULL;
    MsPop3Server *s = ms_pop3_server_new(&config, &error);
    g_assert_no_error(error);
    return s;
}

/* Output lines joined with "\n" (transfer full). */
static char *join_output(GPtrArray *lines)
{
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < lines->len; i++) {
        const MsProtoLine *l = g_ptr_array_index(lines, i);
        g_string_append_printf(out, "%s%s", i > 0 ? "\n" : "", l->text);
    }
    return g_string_free(out, FALSE);
}

/* The output produced so far, joined (transfer full). */
static char *take_text(MsPop3Server *s)
{
    g_autoptr(GPtrArray) out = ms_pop3_server_take_output(s);
    return join_output(out);
}

/* Feeds one command line; returns the server's whole answer. */
static char *say(MsPop3Server *s, const char *line)
{
    g_autofree char *bytes = g_strconcat(line, "\r\n", NULL);
    ms_pop3_server_feed(s, bytes, strlen(bytes));
    g_autoptr(GPtrArray) out = ms_pop3_server_take_output(s);
    return join_output(out);
}

/* Feeds one command line; returns the first reply line's note. */
static const char *say_note(MsPop3Server *s, const char *line)
{
    g_autofree char *bytes = g_strconcat(line, "\r\n", NULL);
    ms_pop3_server_feed(s, bytes, strlen(bytes));
    g_autoptr(GPtrArray) out = ms_pop3_server_take_output(s);
    if (out->len == 0)
        return "(none)";
    return ((const MsProtoLine *) g_ptr_array_index(out, 0))->note;
}

static GPtrArray *take_events(MsPop3Server *s)
{
    GPtrArray *events = g_ptr_array_new_with_free_func((GDestroyNotify) ms_pop3_event_free);
    MsPop3Event *ev;
    while ((ev = ms_pop3_server_next_event(s)) != NULL)
        g_ptr_array_add(events, ev);
    return events;
}

static MsPop3Event *event_at(GPtrArray *events, guint i)
{
    return i < events->len ? g_ptr_array_index(events, i) : NULL;
}

/* A server already in TRANSACTION for mrose (events drained). */
static MsPop3Server *server_logged_in(World *w)
{
    MsPop3Server *s = server_new_full(w, "dewey", NULL, FALSE);
    ms_pop3_server_start(s);
    g_autofree char *greeting = say(s, "USER mrose");
    g_autofree char *login = say(s, "PASS secret");
    CU_ASSERT(g_str_has_prefix(login, "+OK"));
    g_autoptr(GPtrArray) events = take_events(s);
    g_ptr_array_unref(ms_pop3_server_take_output(s));
    CU_ASSERT_EQUAL(ms_pop3_server_state(s), MS_POP3_STATE_TRANSACTION);
    return s;
}

/* ---- pop3/server -------------------------------------------------------------- */

static void greeting_and_apop_timestamp(void)
{
    g_autoptr(World) w = world_new_rfc();
    g_autoptr(MsPop3Server) s = server_new_full(w, "dbc.mtview.ca.us", NULL, TRUE);
    CU_ASSERT_EQUAL(ms_pop3_server_state(s), MS_POP3_STATE_INIT);
    ms_pop3_server_start(s);
    g_autoptr(GPtrArray) out = ms_pop3_server_take_output(s);
    CU_ASSERT_EQUAL_FATAL(out->len, 1);
    const MsProtoLine *l = g_ptr_array_index(out, 0);
    /* RFC 1939 section 7: "<process-ID.clock@hostname>" in the greeting. */
    MS_ASSERT_STR(l->text, "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>");
    MS_ASSERT_STR(l->eol, "\r\n");
    MS_ASSERT_STR(l->phase, "pop3.authorization");
    MS_ASSERT_STR(l->note, "pop3.greeting");
    CU_ASSERT_EQUAL(ms_pop3_server_state(s), MS_POP3_STATE_AUTHORIZATION);

    /* Without APOP there is no timestamp, and APOP is refused. */
    g_autoptr(MsPop3Server) plain = server_new_full(w, "dewey", NULL, FALSE);
    ms_pop3_server_start(plain);
    g_autofree char *g = take_text(plain);
    MS_ASSERT_STR(g, "+OK POP3 server ready");
    CU_ASSERT_PTR_NULL(ms_pop3_server_timestamp(plain));
    MS_ASSERT_STR(say_note(plain, "APOP mrose c4c9334bac560ecc979e58001b3e22fb"),
                  "pop3.reply.err.unknown");
}

static void config_errors(void)
{
    g_autoptr(World) w = world_new_rfc();
    MsPop3ServerConfig config = {
        .hostname = "dewey", .profile = "shakespeare", .authenticate = w_authenticate,
        .lock = w_lock, .unlock = w_unlock, .load = w_load, .user_data = w,
    };
    g_autoptr(GError) error = NULL;
    CU_ASSERT_PTR_NULL(ms_pop3_server_new(&config, &error));
    CU_ASSERT(g_error_matches(error, MS_ERROR, MS_ERROR_SCENARIO));
    g_clear_error(&error);
    config.profile = "textbook";
    config.load = NULL;
    CU_ASSERT_PTR_NULL(ms_pop3_server_new(&config, &error));
    CU_ASSERT_PTR_NOT_NULL(error);
    CU_ASSERT(ms_pop3_profile_exists("default"));
    CU_ASSERT(ms_pop3_profile_exists("textbook"));
    CU_ASSERT(ms_pop3_profile_exists(NULL));
    CU_ASSERT_FALSE(ms_pop3_profile_exists("shakespeare"));
    MS_ASSERT_STR(ms_pop3_profile_names()[1], "textbook");
}

/* The examples given with each command in RFC 1939 sections 4 to 7, in one
 * session, with the replies the RFC shows. */
static void rfc_command_examples(void)
{
    g_autoptr(World) w = world_new_rfc();
    g_autoptr(MsPop3Server) s = server_new_full(w, "dewey", NULL, TRUE);
    ms_pop3_server_start(s);
    g_autofree char *greeting = take_text(s);
    static const struct {
        const char *command;
        const char *reply;
    } script[] = {
        { "USER frated", "-ERR sorry, no mailbox for frated here" },
        { "USER mrose", "+OK mrose is a real hoopy frood" },
        { "PASS secret", "+OK mrose's maildrop has 2 messages (320 octets)" },
        { "STAT", "+OK 2 320" },
        { "LIST", "+OK 2 messages (320 octets)\n1 120\n2 200\n." },
        { "LIST 2", "+OK 2 200" },
        { "LIST 3", "-ERR no such message, only 2 messages in maildrop" },
        { "UIDL", "+OK\n1 whqtswO00WBw418f9t5JxYwZ\n2 QhdPYR:00WBw1Ph7x7\n." },
        { "UIDL 2", "+OK 2 QhdPYR:00WBw1Ph7x7" },
        { "UIDL 3", "-ERR no such message, only 2 messages in maildrop" },
        { "TOP 100 3", "-ERR no such message, only 2 messages in maildrop" },
        { "NOOP", "+OK" },
        { "DELE 1", "+OK message 1 deleted" },
        { "DELE 2", "+OK message 2 deleted" },
        { "DELE 2", "-ERR message 2 already deleted" },
        { "RSET", "+OK maildrop has 2 messages (320 octets)" },
        { "DELE 1", "+OK message 1 deleted" },
        { "QUIT", "+OK dewey POP3 server signing off (1 message left)" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(script); i++) {
        g_autofree char *got = say(s, script[i].command);
        if (strcmp(got, script[i].reply) != 0)
            fprintf(stderr, "\n  %s: expected \"%s\", got \"%s\"\n", script[i].command,
                    script[i].reply, got);
        MS_ASSERT_STR(got, script[i].reply);
    }
    /* RETR and TOP of the 120-octet message (section 5: "+OK 120 octets"). */
    g_autoptr(MsPop3Server) s2 = server_logged_in(w);
    g_autofree char *retr = say(s2, "RETR 1");
    CU_ASSERT(g_str_has_prefix(retr, "+OK 120 octets\nSubject: first\n\n"));
    CU_ASSERT(g_str_has_suffix(retr, "\n."));
    g_autofree char *quit = say(s2, "QUIT");
    MS_ASSERT_STR(quit, "+OK dewey POP3 server signing off (2 messages left)");
    /* Section 4: QUIT before logging in. */
    g_autoptr(MsPop3Server) s3 = server_new_full(w, "dewey", NULL, FALSE);
    ms_pop3_server_start(s3);
    g_autofree char *g3 = take_text(s3);
    g_autofree char *q3 = say(s3, "QUIT");
    MS_ASSERT_STR(q3, "+OK dewey POP3 server signing off");
}

/* RFC 1939 section 10: the example POP3 session, APOP login included. */
static void rfc_example_session(void)
{
    g_autoptr(World) w = world_new_rfc();
    g_autoptr(MsPop3Server) s = server_new_full(w, "dbc.mtview.ca.us", NULL, TRUE);
    ms_pop3_server_start(s);
    g_autofree char *greeting = take_text(s);
    MS_ASSERT_STR(greeting, "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>");
    /* The digest the RFC prints is MD5("<1896...us>tanstaaf"). */
    g_autofree char *digest = ms_pop3_apop_digest(ms_pop3_server_timestamp(s), "tanstaaf");
    MS_ASSERT_STR(digest, "c4c9334bac560ecc979e58001b3e22fb");
    static const struct {
        const char *command;
        const char *first;
    } script[] = {
        { "APOP mrose c4c9334bac560ecc979e58001b3e22fb",
          "+OK mrose's maildrop has 2 messages (320 octets)" },
        { "STAT", "+OK 2 320" },
        { "LIST", "+OK 2 messages (320 octets)" },
        { "RETR 1", "+OK 120 octets" },
        { "DELE 1", "+OK message 1 deleted" },
        { "RETR 2", "+OK 200 octets" },
        { "DELE 2", "+OK message 2 deleted" },
        { "QUIT", "+OK dbc.mtview.ca.us POP3 server signing off (maildrop empty)" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(script); i++) {
        g_autofree char *got = say(s, script[i].command);
        g_auto(GStrv) lines = g_strsplit(got, "\n", -1);
        MS_ASSERT_STR(lines[0], script[i].first);
    }
    g_autoptr(GPtrArray) events = take_events(s);
    /* AUTH_OK, UPDATE (both messages), UNLOCKED, CLOSE. */
    CU_ASSERT_EQUAL_FATAL(events->len, 4);
    MsPop3Event *update = event_at(events, 1);
    CU_ASSERT_EQUAL(update->kind, MS_POP3_EVENT_UPDATE);
    CU_ASSERT_EQUAL(update->numbers->len, 2);
    MS_ASSERT_STR(update->maildrop, "drop:mrose");
    CU_ASSERT_EQUAL(event_at(events, 3)->kind, MS_POP3_EVENT_CLOSE);
}

/* Every command in AUTHORIZATION and in TRANSACTION: RFC 1939 section 9
 * lists which state each command is valid in; CAPA is valid in both (RFC
 * 2449 section 5).  The expected note says which reply it must be. */
static void every_command_every_state(void)
{
    static const struct {
        const char *line;
        const char *in_auth;
        const char *in_trans;
    } cases[] = {
        { "USER mrose", "pop3.reply.user", "pop3.reply.err.state" },
        { "PASS secret", "pop3.reply.err.sequence", "pop3.reply.err.state" },
        { "APOP mrose 00000000000000000000000000000000", "pop3.reply.err.auth",
          "pop3.reply.err.state" },
        { "STAT", "pop3.reply.err.state", "pop3.reply.stat" },
        { "LIST", "pop3.reply.err.state", "pop3.reply.list" },
        { "LIST 1", "pop3.reply.err.state", "pop3.reply.list" },
        { "RETR 1", "pop3.reply.err.state", "pop3.reply.retr" },
        { "DELE 1", "pop3.reply.err.state", "pop3.reply.dele" },
        { "NOOP", "pop3.reply.err.state", "pop3.reply.ok" },
        { "RSET", "pop3.reply.err.state", "pop3.reply.rset.none" },
        { "TOP 1 0", "pop3.reply.err.state", "pop3.reply.top" },
        { "UIDL", "pop3.reply.err.state", "pop3.reply.uidl" },
        { "UIDL 1", "pop3.reply.err.state", "pop3.reply.uidl" },
        { "CAPA", "pop3.reply.capa", "pop3.reply.capa" },
        { "QUIT", "pop3.reply.quit", "pop3.reply.quit.update.none" },
    };
    g_autoptr(World) w = world_new_rfc();
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(MsPop3Server) a = server_new_full(w, "dewey", NULL, TRUE);
        ms_pop3_server_start(a);
        g_ptr_array_unref(ms_pop3_server_take_output(a));
        g_autofree char *bytes = g_strconcat(cases[i].line, "\r\n", NULL);
        ms_pop3_server_feed(a, bytes, strlen(bytes));
        g_autoptr(GPtrArray) out = ms_pop3_server_take_output(a);
        CU_ASSERT_FATAL(out->len >= 1);
        const MsProtoLine *l = g_ptr_array_index(out, 0);
        MS_ASSERT_STR(l->note, cases[i].in_auth);
        /* The status indicator agrees with the kind of reply. */
        gboolean err = g_str_has_prefix(cases[i].in_auth, "pop3.reply.err");
        CU_ASSERT(g_str_has_prefix(l->text, err ? "-ERR" : "+OK"));
        MS_ASSERT_STR(l->phase, "pop3.authorization");

        g_autoptr(MsPop3Server) t = server_logged_in(w);
        const char *note = say_note(t, cases[i].line);
        MS_ASSERT_STR(note, cases[i].in_trans);
        /* After QUIT nothing is answered any more. */
        g_autofree char *q = say(t, "QUIT");
        CU_ASSERT_EQUAL(ms_pop3_server_state(t), MS_POP3_STATE_CLOSED);
        MS_ASSERT_STR(say_note(t, cases[i].line), "(none)");
        CU_ASSERT_FALSE(w->locked);
    }
}

/* RFC 1939 section 3: an argument is at most 40 characters.  Arguments
 * of that length, one or two of them, reach the command whole; one longer
 * is refused. */
static void argument_lengths(void)
{
    g_autoptr(World) w = world_new_rfc();
    g_autofree char *name40 = g_strnfill(40, 'n');
    g_autofree char *name41 = g_strnfill(41, 'n');
    g_autoptr(MsPop3Server) s = server_new_full(w, "dewey", NULL, FALSE);
    ms_pop3_server_start(s);
    g_autofree char *greeting = take_text(s);
    g_autofree char *user41 = g_strconcat("USER ", name41, NULL);
    g_autofree char *got41 = say(s, user41);
    MS_ASSERT_STR(got41, "-ERR invalid argument");
    g_autofree char *user40 = g_strconcat("USER ", name40, NULL);
    g_autofree char *got40 = say(s, user40);
    CU_ASSERT_PTR_NOT_NULL(strstr(got40, name40));
    g_autofree char *user = say(s, "USER mrose");
    /* A password may hold spaces; 40 characters of them and more reach
     * the check whole, 41 do not. */
    g_autofree char *pass40 = g_strconcat("PASS ", name40 + 4, " x y", NULL);
    g_autofree char *wrong = say(s, pass40);
    MS_ASSERT_STR(wrong, "-ERR invalid user name or password");
    g_autofree char *again = say(s, "USER mrose");
    g_autofree char *pass41 = g_strconcat("PASS ", name41, NULL);
    g_autofree char *long_pass = say(s, pass41);
    MS_ASSERT_STR(long_pass, "-ERR invalid argument");

    /* A keyword is compared no further than it is long, whatever the
     * line holds after it: "TOP" then a NUL is no keyword. */
    g_autoptr(MsPop3Server) t = server_logged_in(w);
    ms_pop3_server_feed(t, "TOP\0\r\n", 6);
    g_autofree char *nul = take_text(t);
    MS_ASSERT_STR(nul, "-ERR unknown command");
    g_autofree char *top = say(t, "TOP 0000000000000000000000000000000000000001 0");
    CU_ASSERT(g_str_has_prefix(top, "+OK"));
    g_autofree char *top41 = say(t, "TOP 00000000000000000000000000000000000000001 0");
    MS_ASSERT_STR(top41, "-ERR invalid argument");
}

/* The -ERR replies to malformed and impossible commands. */
static void error_replies(void)
{
    static const struct {
        const char *line;
        const char *reply;
    } trans[] = {
        { "RETR", "-ERR invalid argument" },
        { "RETR x", "-ERR invalid argument" },
        { "RETR 1 2", "-ERR invalid argument" },
        { "RETR -1", "-ERR invalid argument" },
        { "RETR +1", "-ERR invalid argument" },
        { "RETR  1", "-ERR invalid argument" },
        { "RETR 0", "-ERR no such message, only 2 messages in maildrop" },
        { "RETR 3", "-ERR no such message, only 2 messages in maildrop" },
        { "RETR 99999999999999999999", "-ERR no such message, only 2 messages in maildrop" },
        { "DELE", "-ERR invalid argument" },
        { "DELE 3", "-ERR no such message, only 2 messages in maildrop" },
        { "LIST 1 2", "-ERR invalid argument" },
        { "LIST x", "-ERR invalid argument" },
        { "UIDL x", "-ERR invalid argument" },
        { "TOP 1", "-ERR invalid argument" },
        { "TOP 1 x", "-ERR invalid argument" },
        { "TOP 1 -1", "-ERR invalid argument" },
        { "TOP 1 2 3", "-ERR invalid argument" },
        { "STAT 1", "-ERR invalid argument" },
        { "STAT ", "-ERR invalid argument" },
        { "NOOP x", "-ERR invalid argument" },
        { "RSET x", "-ERR invalid argument" },
        { "CAPA x", "-ERR invalid argument" },
        { "QUIT now", "-ERR invalid argument" },
        { "XYZZY", "-ERR unknown command" },
        { "HELO", "-ERR unknown command" },
        { "RE", "-ERR unknown command" },
        { "", "-ERR unknown command" },
        { "RETRIEVE 1", "-ERR unknown command" },
        { "USER bob", "-ERR USER not allowed in the transaction state" },
    };
    g_autoptr(World) w = world_new_rfc();
    g_autoptr(MsPop3Server) t = server_logged_in(w);
    for (gsize i = 0; i < G_N_ELEMENTS(trans); i++) {
        if (i > 0 && i % (MS_PROTO_MAX_ERRORS / 2) == 0) {
            /* A fresh session before the server's error limit. */
            g_autofree char *mid = say(t, "STAT");
            MS_ASSERT_STR(mid, "+OK 2 320");
            g_clear_pointer(&t, ms_pop3_server_free);
            t = server_logged_in(w);
        }
        g_autofree char *got = say(t, trans[i].line);
        if (strcmp(got, trans[i].reply) != 0)
            fprintf(stderr, "\n  \"%s\": got \"%s\"\n", trans[i].line, got);
        MS_ASSERT_STR(got, trans[i].reply);
    }
    /* None of those changed anything. */
    g_autofree char *stat = say(t, "STAT");
    MS_ASSERT_STR(stat, "+OK 2 320");

    static const struct {
        const char *line;
        const char *reply;
    } auth[] = {
        { "USER", "-ERR invalid argument" },
        { "USER a b", "-ERR invalid argument" },
        /* RFC 1939 section 3: arguments are at most 40 characters. */
        { "USER aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "-ERR invalid argument" },
        { "PASS", "-ERR invalid argument" },
        { "PASS secret", "-ERR USER command expected before PASS" },
        { "APOP mrose", "-ERR invalid argument" },
        { "APOP mrose xyz", "-ERR invalid argument" },
        /* The digest is lower-case hex (section 7). */
        { "APOP mrose C4C9334BAC560ECC979E58001B3E22FB", "-ERR invalid argument" },
        { "APOP mrose 0123456789abcdef0123456789abcdef", "-ERR invalid user name or password" },
        { "APOP frated c4c9334bac560ecc979e58001b3e22fb", "-ERR invalid user name or password" },
        { "STAT", "-ERR STAT not allowed in the authorization state" },
        { "stat", "-ERR STAT not allowed in the authorization state" },
    };
    g_autoptr(MsPop3Server) a = server_new_full(w, "dewey", NULL, TRUE);
    ms_pop3_server_start(a);
    g_autofree char *greeting = take_text(a);
    for (gsize i = 0; i < G_N_ELEMENTS(auth); i++) {
        g_autofree char *got = say(a, auth[i].line);
        if (strcmp(got, auth[i].reply) != 0)
            fprintf(stderr, "\n  \"%s\": got \"%s\"\n", auth[i].line, got);
        MS_ASSERT_STR(got, auth[i].reply);
    }
    CU_ASSERT_EQUAL(ms_pop3_server_state(a), MS_POP3_STATE_AUTHORIZATION);
    /* Only server_logged_in's, once for each session above. */
    CU_ASSERT_EQUAL(w->lock_calls, 1 + (G_N_ELEMENTS(trans) - 1) / (MS_PROTO_MAX_ERRORS / 2));
}

/* RFC 2449 section 4: a command line is at most 255 octets with its CRLF. */
static void command_line_limit(void)
{
    g_autoptr(World) w = world_new_rfc();
    g_autoptr(MsPop3Server) t = server_logged_in(w);
    /* 253 octets + CRLF = 255: within the limit, refused for its argument. */
    g_autofree char *fits = g_strnfill(253 - 5, 'x');
    g_autofree char *line255 = g_strconcat("NOOP ", fits, NULL);
    CU_ASSERT_EQUAL(strlen(line255) + 2, 255);
    MS_ASSERT_STR(say_note(t, line255), "pop3.reply.err.syntax");
    /* One octet more is too long. */
    g_autofree char *line256 = g_strconcat(line255, "x", NULL);
    MS_ASSERT_STR(say_note(t, line256), "pop3.reply.err.toolong");
    g_autofree char *huge = g_strnfill(5000, 'N');
    g_autofree char *reply = say(t, huge);
    MS_ASSERT_STR(reply, "-ERR command line too long");
    /* The session goes on. */
    g_autofree char *noop = say(t, "NOOP");
    MS_ASSERT_STR(noop, "+OK");
}

/* Like Dovecot: after MS_PROTO_MAX_ERRORS bad commands the server says
 * -ERR and closes; the lock is given back and no deletion happens (the
 * session did not end with QUIT, RFC 1939 6).  A wrong message number is an
 * answer, not a bad command. */
static void too_many_errors(void)
{
    g_autoptr(World) w = world_new_rfc();
    g_autoptr(MsPop3Server) t = server_logged_in(w);
    g_autofree char *dele = say(t, "DELE 1");
    CU_ASSERT(g_str_has_prefix(dele, "+OK"));
    for (guint i = 0; i < 30; i++)
        MS_ASSERT_STR(say_note(t, "RETR 99"), "pop3.reply.err.nomsg");
    for (guint i = 0; i + 1 < MS_PROTO_MAX_ERRORS; i++) {
        MS_ASSERT_STR(say_note(t, i % 2 == 0 ? "XYZZY" : "USER mrose"),
                      i % 2 == 0 ? "pop3.reply.err.unknown" : "pop3.reply.err.state");
        MS_ASSERT_STR(say_note(t, "NOOP"), "pop3.reply.ok");
    }
    CU_ASSERT_EQUAL(ms_pop3_server_state(t), MS_POP3_STATE_TRANSACTION);
    g_autoptr(GPtrArray) before = take_events(t);
    g_autofree char *last = say(t, "STAT x");
    MS_ASSERT_STR(last, "-ERR invalid argument\n"
                        "-ERR too many bad commands, closing connection");
    CU_ASSERT_EQUAL(ms_pop3_server_state(t), MS_POP3_STATE_CLOSED);
    CU_ASSERT_FALSE(w->locked);
    g_autoptr(GPtrArray) events = take_events(t);
    CU_ASSERT_EQUAL_FATAL(events->len, 2);
    CU_ASSERT_EQUAL(event_at(events, 0)->kind, MS_POP3_EVENT_UNLOCKED);
    CU_ASSERT(event_at(events, 0)->aborted);
    CU_ASSERT_EQUAL(event_at(events, 1)->kind, MS_POP3_EVENT_CLOSE);
    g_autofree char *after = say(t, "QUIT");
    MS_ASSERT_STR(after, "");
}

static void case_insensitive_and_pipelined(void)
{
    g_autoptr(World) w = world_new_rfc();
    g_autoptr(MsPop3Server) s = server_new_full(w, "dewey", NULL, FALSE);
    ms_pop3_server_start(s);
    g_autofree char *greeting = take_text(s);
    /* RFC 1939 section 3: keywords are case-insensitive.  Several commands
     * in one segment, fed one octet at a time, are answered in order. */
    const char *input = "user mrose\r\nPaSs secret\r\nstat\r\nlist 2\r\n";
    for (const char *p = input; *p != '\0'; p++)
        ms_pop3_server_feed(s, p, 1);
    g_autofree char *got = take_text(s);
    MS_ASSERT_STR(got, "+OK mrose is a real hoopy frood\n"
                       "+OK mrose's maildrop has 2 messages (320 octets)\n"
                       "+OK 2 320\n+OK 2 200");
}

static void wrong_password_then_retry(void)
{
    g_autoptr(World) w = world_new_rfc();
    g_autoptr(MsPop3Server) s = server_new_full(w, "dewey", NULL, FALSE);
    ms_pop3_server_start(s);
    g_autofree char *greeting = take_text(s);
    g_autofree char *u1 = say(s, "USER mrose");
    g_autofree char *p1 = say(s, "PASS guess");
    MS_ASSERT_STR(p1, "-ERR invalid user name or password");
    CU_ASSERT_EQUAL(ms_pop3_server_state(s), MS_POP3_STATE_AUTHORIZATION);
    CU_ASSERT_EQUAL(w->lock_calls, 0);
    g_autoptr(GPtrArray) ev1 = take_events(s);
    CU_ASSERT_EQUAL_FATAL(ev1->len, 1);
    CU_ASSERT_EQUAL(event_at(ev1, 0)->kind, MS_POP3_EVENT_AUTH_FAILED);
    MS_ASSERT_STR(event_at(ev1, 0)->user, "mrose");
    MS_ASSERT_STR(event_at(ev1, 0)->text, "invalid user name or password");
    CU_ASSERT_FALSE(event_at(ev1, 0)->lock_refused);
    /* PASS is valid only right after USER (section 7): a second try needs
     * USER again. */
    g_autofree char *p2 = say(s, "PASS secret");
    MS_ASSERT_STR(p2, "-ERR USER command expected before PASS");
    g_autofree char *u3 = say(s, "USER mrose");
    g_autofree char *c3 = say(s, "CAPA");
    g_autofree char *p3 = say(s, "PASS secret");
    MS_ASSERT_STR(p3, "-ERR USER command expected before PASS");
    g_autofree char *u4 = say(s, "USER mrose");
    g_autofree char *p4 = say(s, "PASS secret");
    MS_ASSERT_STR(p4, "+OK mrose's maildrop has 2 messages (320 octets)");
    CU_ASSERT_EQUAL(ms_pop3_server_state(s), MS_POP3_STATE_TRANSACTION);
    g_autoptr(GPtrArray) ev2 = take_events(s);
    CU_ASSERT_EQUAL_FATAL(ev2->len, 1);
    MsPop3Event *ok = event_at(ev2, 0);
    CU_ASSERT_EQUAL(ok->kind, MS_POP3_EVENT_AUTH_OK);
    MS_ASSERT_STR(ok->maildrop, "drop:mrose");
    CU_ASSERT_EQUAL(ok->count, 2);
    CU_ASSERT_EQUAL(ok->octets, 320);
    /* Spaces may belong to a password (section 7, PASS): carol's "two
     * words" is accepted, and then the lock mrose's session holds on the
     * (shared) test maildrop is what stops her. */
    g_autoptr(MsPop3Server) c = server_new_full(w, "dewey", NULL, FALSE);
    ms_pop3_server_start(c);
    g_autofree char *gc = take_text(c);
    g_autofree char *uc = say(c, "USER carol");
    MS_ASSERT_STR(say_note(c, "PASS two words"), "pop3.reply.err.locked");
}

static void lock_refused_and_load_failure(void)
{
    g_autoptr(World) w = world_new_rfc();
    w->locked = TRUE; /* another session holds the maildrop */
    g_autoptr(MsPop3Server) s = server_new_full(w, "dewey", NULL, FALSE);
    ms_pop3_server_start(s);
    g_autofree char *greeting = take_text(s);
    g_autofree char *u = say(s, "USER mrose");
    g_autofree char *p = say(s, "PASS secret");
    /* RFC 1939 section 7, PASS example. */
    MS_ASSERT_STR(p, "-ERR maildrop already locked");
    CU_ASSERT_EQUAL(ms_pop3_server_state(s), MS_POP3_STATE_AUTHORIZATION);
    g_autoptr(GPtrArray) ev = take_events(s);
    CU_ASSERT_EQUAL_FATAL(ev->len, 1);
    CU_ASSERT_EQUAL(event_at(ev, 0)->kind, MS_POP3_EVENT_AUTH_FAILED);
    CU_ASSERT(event_at(ev, 0)->lock_refused);
    CU_ASSERT_EQUAL(w->unlock_calls, 0); /* the other session's lock stays */
    CU_ASSERT(w->locked);

    /* Section 4: a lock taken before a negative reply is released. */
    w->locked = FALSE;
    w->fail_load = TRUE;
    g_autofree char *u2 = say(s, "USER mrose");
    g_autofree char *p2 = say(s, "PASS secret");
    MS_ASSERT_STR(p2, "-ERR unable to open maildrop");
    CU_ASSERT_EQUAL(w->lock_calls, 1);
    CU_ASSERT_EQUAL(w->unlock_calls, 1);
    CU_ASSERT_FALSE(w->locked);
    /* The client may try again. */
    w->fail_load = FALSE;
    g_autofree char *u3 = say(s, "USER mrose");
    g_autofree char *p3 = say(s, "PASS secret");
    CU_ASSERT(g_str_has_prefix(p3, "+OK"));
    CU_ASSERT(w->locked);
}

/* RFC 1939 section 5: marked messages vanish from STAT and LIST and cannot
 * be retrieved, but the others keep their numbers. */
static void deleted_messages_invisible(void)
{
    g_autoptr(World) w = world_new_rfc();
    g_autoptr(MsPop3Server) t = server_logged_in(w);
    g_autofree char *d = say(t, "DELE 1");
    static const struct {
        const char *line;
        const char *reply;
    } after[] = {
        { "STAT", "+OK 1 200" },
        { "LIST", "+OK 1 message (200 octets)\n2 200\n." },
        { "LIST 1", "-ERR message 1 already deleted" },
        { "RETR 1", "-ERR message 1 already deleted" },
        { "TOP 1 0", "-ERR message 1 already deleted" },
        { "UIDL", "+OK\n2 QhdPYR:00WBw1Ph7x7\n." },
        { "UIDL 1", "-ERR message 1 already deleted" },
        { "LIST 2", "+OK 2 200" },
        { "RSET", "+OK maildrop has 2 messages (320 octets)" },
        { "LIST 1", "+OK 1 120" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(after); i++) {
        g_autofree char *got = say(t, after[i].line);
        MS_ASSERT_STR(got, after[i].reply);
    }
    /* Nothing was handed to the glue for removal. */
    g_autoptr(GPtrArray) ev = take_events(t);
    CU_ASSERT_EQUAL(ev->len, 0);
}

/* RFC 1939 5: RSET unmarks what DELE marked.  Its note, and the note of
 * the QUIT that follows, say whether anything was marked: a lecturer must
 * not read "marked messages removed" when RSET has just undone the marks. */
static void rset_and_quit_notes_follow_the_marks(void)
{
    static const struct {
        const char *dele;      /* a DELE first, or NULL */
        gboolean rset;
        const char *rset_note; /* what RSET's reply says */
        const char *quit_note; /* what QUIT's reply says */
        guint removed;         /* messages UPDATE removes */
    } cases[] = {
        { NULL, TRUE, "pop3.reply.rset.none", "pop3.reply.quit.update.none", 0 },
        { "DELE 1", TRUE, "pop3.reply.rset", "pop3.reply.quit.update.none", 0 },
        { "DELE 1", FALSE, NULL, "pop3.reply.quit.update", 1 },
        { NULL, FALSE, NULL, "pop3.reply.quit.update.none", 0 },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(World) w = world_new_rfc();
        g_autoptr(MsPop3Server) t = server_logged_in(w);
        if (cases[i].dele != NULL)
            MS_ASSERT_STR(say_note(t, cases[i].dele), "pop3.reply.dele");
        if (cases[i].rset)
            MS_ASSERT_STR(say_note(t, "RSET"), cases[i].rset_note);
        MS_ASSERT_STR(say_note(t, "QUIT"), cases[i].quit_note);
        g_autoptr(GPtrArray) ev = take_events(t);
        CU_ASSERT_FATAL(ev->len >= 1);
        CU_ASSERT_EQUAL_FATAL(event_at(ev, 0)->kind, MS_POP3_EVENT_UPDATE);
        CU_ASSERT_EQUAL(event_at(ev, 0)->numbers->len, cases[i].removed);
        /* Each note has its text, in English and (through the catalogue)
         * in Chinese. */
        CU_ASSERT_PTR_NOT_NULL(ms_pop3_note_text(cases[i].quit_note));
    }
}

/* RFC 1939 section 6: removal happens in UPDATE, after QUIT. */
static void deletions_only_at_update(void)
{
    g_autoptr(World) w = world_new_rfc();
    g_autoptr(MsPop3Server) t = server_logged_in(w);
    g_autofree char *d = say(t, "DELE 2");
    g_autoptr(GPtrArray) before = take_events(t);
    CU_ASSERT_EQUAL(before->len, 0);
    CU_ASSERT(w->locked);

    g_autoptr(GPtrArray) out = NULL;
    ms_pop3_server_feed(t, "QUIT\r\n", 6);
    out = ms_pop3_server_take_output(t);
    CU_ASSERT_EQUAL_FATAL(out->len, 1);
    const MsProtoLine *l = g_ptr_array_index(out, 0);
    MS_ASSERT_STR(l->text, "+OK dewey POP3 server signing off (1 message left)");
    MS_ASSERT_STR(l->phase, "pop3.update");
    MS_ASSERT_STR(l->note, "pop3.reply.quit.update");

    g_autoptr(GPtrArray) ev = take_events(t);
    CU_ASSERT_EQUAL_FATAL(ev->len, 3);
    MsPop3Event *update = event_at(ev, 0);
    CU_ASSERT_EQUAL(update->kind, MS_POP3_EVENT_UPDATE);
    MS_ASSERT_STR(update->maildrop, "drop:mrose");
    CU_ASSERT_EQUAL_FATAL(update->numbers->len, 1);
    CU_ASSERT_EQUAL(g_array_index(update->numbers, guint, 0), 2);
    MS_ASSERT_STR(g_ptr_array_index(update->uidls, 0), "QhdPYR:00WBw1Ph7x7");
    CU_ASSERT_EQUAL(event_at(ev, 1)->kind, MS_POP3_EVENT_UNLOCKED);
    CU_ASSERT_FALSE(event_at(ev, 1)->aborted);
    CU_ASSERT_EQUAL(event_at(ev, 2)->kind, MS_POP3_EVENT_CLOSE);
    CU_ASSERT_FALSE(w->locked);
    CU_ASSERT_EQUAL(w->unlock_calls, 1);
    /* Free after close does not unlock twice. */
    g_clear_pointer(&t, ms_pop3_server_free);
    CU_ASSERT_EQUAL(w->unlock_calls, 1);
}

/* RFC 1939 section 6: a session that ends without QUIT removes nothing;
 * section 4: QUIT in AUTHORIZATION does not enter UPDATE. */
static void abort_deletes_nothing(void)
{
    g_autoptr(World) w = world_new_rfc();
    g_autoptr(MsPop3Server) t = server_logged_in(w);
    g_autofree char *d1 = say(t, "DELE 1");
    g_autofree char *d2 = say(t, "DELE 2");
    ms_pop3_server_abort(t);
    g_autoptr(GPtrArray) ev = take_events(t);
    CU_ASSERT_EQUAL_FATAL(ev->len, 1);
    CU_ASSERT_EQUAL(event_at(ev, 0)->kind, MS_POP3_EVENT_UNLOCKED);
    CU_ASSERT(event_at(ev, 0)->aborted);
    CU_ASSERT_FALSE(w->locked);
    CU_ASSERT_EQUAL(ms_pop3_server_state(t), MS_POP3_STATE_CLOSED);
    MS_ASSERT_STR(say_note(t, "QUIT"), "(none)");
    g_autoptr(GPtrArray) none = take_events(t);
    CU_ASSERT_EQUAL(none->len, 0);

    g_autoptr(MsPop3Server) a = server_new_full(w, "dewey", NULL, FALSE);
    ms_pop3_server_start(a);
    g_autofree char *greeting = take_text(a);
    g_autofree char *q = say(a, "QUIT");
    g_autoptr(GPtrArray) aev = take_events(a);
    CU_ASSERT_EQUAL_FATAL(aev->len, 1);
    CU_ASSERT_EQUAL(event_at(aev, 0)->kind, MS_POP3_EVENT_CLOSE);

    /* Freeing a server that still holds the lock releases it. */
    g_autoptr(MsPop3Server) f = server_logged_in(w);
    CU_ASSERT(w->locked);
    g_clear_pointer(&f, ms_pop3_server_free);
    CU_ASSERT_FALSE(w->locked);
}

/* RFC 1939 section 3: lines starting with "." are byte-stuffed; sizes count
 * the CRLFs of the message as stored. */
static void byte_stuffing_and_sizes(void)
{
    g_autoptr(World) w = g_new0(World, 1);
    w->messages = ms_pop3_messages_new();
    const char *text = "Subject: dots\r\n\r\n.hidden\r\n.\r\n..\r\nplain\r\n";
    world_add_text(w, "u1", text);
    g_autoptr(MsPop3Server) t = server_logged_in(w);
    g_autofree char *list = say(t, "LIST 1");
    g_autofree char *expected_list = g_strdup_printf("+OK 1 %zu", strlen(text));
    MS_ASSERT_STR(list, expected_list);
    /* 15 + 2 + 9 + 3 + 4 + 7 octets, each line with its CRLF. */
    CU_ASSERT_EQUAL(strlen(text), 40);

    ms_pop3_server_feed(t, "RETR 1\r\n", 8);
    g_autoptr(GPtrArray) out = ms_pop3_server_take_output(t);
    static const char *const lines[][2] = {
        { "+OK 40 octets", "pop3.reply.retr" }, { "Subject: dots", "pop3.data.line" },
        { "", "pop3.data.line" },                { "..hidden", "pop3.data.stuffed" },
        { "..", "pop3.data.stuffed" },           { "...", "pop3.data.stuffed" },
        { "plain", "pop3.data.line" },           { ".", "pop3.data.end" },
    };
    CU_ASSERT_EQUAL_FATAL(out->len, G_N_ELEMENTS(lines));
    for (guint i = 0; i < out->len; i++) {
        const MsProtoLine *l = g_ptr_array_index(out, i);
        MS_ASSERT_STR(l->text, lines[i][0]);
        MS_ASSERT_STR(l->note, lines[i][1]);
        MS_ASSERT_STR(l->phase, "pop3.transaction");
    }
    g_autoptr(GBytes) wire = ms_proto_lines_to_bytes(out);
    CU_ASSERT_EQUAL(g_bytes_get_size(wire),
                    strlen("+OK 40 octets\r\n") + strlen(text) + 3 /* stuffed dots */ + 3);
}

/* The wire bytes of lines (transfer full). */
static GBytes *wire_of(GPtrArray *lines)
{
    return ms_proto_lines_to_bytes(lines);
}

/* The numbers in replies are written without printf, every digit of any
 * 64-bit count: each power of ten and its neighbours, and each power of
 * two and its neighbours, since the digits are counted from the bit length
 * and a power of ten, and written in pairs. */
static void numbers_without_printf(void)
{
    static const guint64 fixed[] = { 0, 7, 10, 99, 100, 101, 1000, 4294967295u, 4294967296u,
                                     G_MAXUINT64 };
    g_autoptr(GArray) all = g_array_new(FALSE, FALSE, sizeof(guint64));
    g_array_append_vals(all, fixed, G_N_ELEMENTS(fixed));
    for (guint64 p = 10, k = 1; k <= 19; p *= 10, k++) {
        guint64 around[] = { p - 1, p, p + 1 };
        g_array_append_vals(all, around, 3);
    }
    for (guint k = 1; k < 64; k++) {
        guint64 p = G_GUINT64_CONSTANT(1) << k;
        guint64 around[] = { p - 1, p, p + 1 };
        g_array_append_vals(all, around, 3);
    }
    const guint64 *values = (const guint64 *) (void *) all->data;
    for (gsize i = 0; i < all->len; i++) {
        char buf[MS_PROTO_UINT_MAX_LEN];
        gsize n = ms_proto_format_uint(buf, values[i]);
        g_autofree char *printed = g_strdup_printf("%" G_GUINT64_FORMAT, values[i]);
        MS_ASSERT_STR(buf, printed);
        CU_ASSERT_EQUAL(n, strlen(printed));
    }
}

/* What the glue sends: the server's own lines, sent in place and then
 * forgotten with ms_pop3_server_output_sent(), the memory kept for the
 * next.  A retrieved message goes out line by line, stuffed where it
 * starts with "." (RFC 1939 section 3), its bare last line given a CRLF;
 * lines longer than the output's blocks and many lines in one step come
 * through whole, and the same RETR again says the same bytes. */
static void retr_output_in_place(void)
{
    g_autoptr(World) w = g_new0(World, 1);
    w->messages = ms_pop3_messages_new();
    world_add_text(w, "u1", "Subject: dots\r\n\r\n.first\r\nmid\r\n.last");
    GString *big = g_string_new("Subject: big\r\n\r\n");
    for (guint i = 0; i < 40; i++) {
        g_string_append(big, i % 3 == 0 ? "." : "");
        for (guint k = 0; k < (i % 7 == 0 ? 1500u : 60u); k++)
            g_string_append_c(big, (char) ('a' + (i + k) % 26));
        g_string_append(big, "\r\n");
    }
    world_add(w, "u2", g_string_free_to_bytes(big));
    g_autoptr(MsPop3Server) t = server_logged_in(w);
    ms_pop3_server_output_sent(t);

    ms_pop3_server_feed(t, "RETR 1\r\n", 8);
    GPtrArray *out = ms_pop3_server_output(t);
    static const char *const lines[][2] = {
        { "+OK 35 octets", "pop3.reply.retr" }, { "Subject: dots", "pop3.data.line" },
        { "", "pop3.data.line" },                { "..first", "pop3.data.stuffed" },
        { "mid", "pop3.data.line" },             { "..last", "pop3.data.stuffed" },
        { ".", "pop3.data.end" },
    };
    CU_ASSERT_EQUAL_FATAL(out->len, G_N_ELEMENTS(lines));
    for (guint i = 0; i < out->len; i++) {
        const MsProtoLine *l = g_ptr_array_index(out, i);
        MS_ASSERT_STR(l->text, lines[i][0]);
        MS_ASSERT_STR(l->note, lines[i][1]);
        MS_ASSERT_STR(l->eol, "\r\n");
        CU_ASSERT_PTR_NULL(l->bytes);
    }
    g_autoptr(GBytes) first = wire_of(out);
    static const char expected[] = "+OK 35 octets\r\nSubject: dots\r\n\r\n..first\r\nmid\r\n"
                                   "..last\r\n.\r\n";
    CU_ASSERT_EQUAL_FATAL(g_bytes_get_size(first), strlen(expected));
    CU_ASSERT(memcmp(g_bytes_get_data(first, NULL), expected, strlen(expected)) == 0);
    ms_pop3_server_output_sent(t);
    CU_ASSERT_EQUAL(ms_pop3_server_output(t)->len, 0);

    /* The big message: every line back, stuffed where it must be. */
    ms_pop3_server_feed(t, "RETR 2\r\n", 8);
    out = ms_pop3_server_output(t);
    CU_ASSERT_EQUAL_FATAL(out->len, 1 + 2 + 40 + 1);
    GString *unstuffed = g_string_new(NULL);
    for (guint i = 1; i + 1 < out->len; i++) {
        const MsProtoLine *l = g_ptr_array_index(out, i);
        gboolean stuffed = strcmp(l->note, "pop3.data.stuffed") == 0;
        CU_ASSERT_EQUAL(stuffed, l->text[0] == '.');
        g_string_append(unstuffed, l->text + (stuffed ? 1 : 0));
        g_string_append(unstuffed, "\r\n");
    }
    const MsPop3Message *m2 = g_ptr_array_index(w->messages, 1);
    CU_ASSERT_EQUAL_FATAL(unstuffed->len, g_bytes_get_size(m2->data));
    CU_ASSERT(memcmp(unstuffed->str, g_bytes_get_data(m2->data, NULL), unstuffed->len) == 0);
    g_string_free(unstuffed, TRUE);
    ms_pop3_server_output_sent(t);

    /* The blocks are reused: the same command, the same bytes. */
    ms_pop3_server_feed(t, "RETR 1\r\n", 8);
    g_autoptr(GBytes) again = wire_of(ms_pop3_server_output(t));
    CU_ASSERT(g_bytes_equal(first, again));
    ms_pop3_server_output_sent(t);

    /* Replies the RFC fixes the format of, put together without printf. */
    static const char commands[] = "STAT\r\nLIST 2\r\nUIDL 1\r\nDELE 2\r\nLIST\r\n";
    ms_pop3_server_feed(t, commands, strlen(commands));
    g_autofree char *replies = join_output(ms_pop3_server_output(t));
    g_autofree char *expected_replies = g_strdup_printf(
        "+OK 2 %zu\n+OK 2 %zu\n+OK 1 u1\n+OK message 2 deleted\n"
        "+OK 1 message (35 octets)\n1 35\n.",
        35 + g_bytes_get_size(m2->data), g_bytes_get_size(m2->data));
    MS_ASSERT_STR(replies, expected_replies);
    ms_pop3_server_output_sent(t);
}

/* RFC 1939 section 7, TOP: the header, the empty line, then n body lines. */
static void top_command(void)
{
    g_autoptr(World) w = g_new0(World, 1);
    w->messages = ms_pop3_messages_new();
    world_add_text(w, "t1", "From: a\r\nSubject: b\r\n\r\none\r\n.two\r\nthree\r\n");
    g_autoptr(MsPop3Server) t = server_logged_in(w);
    static const struct {
        const char *line;
        const char *reply;
    } cases[] = {
        { "TOP 1 0", "+OK top of message follows\nFrom: a\nSubject: b\n\n." },
        { "TOP 1 2", "+OK top of message follows\nFrom: a\nSubject: b\n\none\n..two\n." },
        { "TOP 1 99", "+OK top of message follows\nFrom: a\nSubject: b\n\none\n..two\nthree\n." },
        { "top 1 3", "+OK top of message follows\nFrom: a\nSubject: b\n\none\n..two\nthree\n." },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = say(t, cases[i].line);
        MS_ASSERT_STR(got, cases[i].reply);
    }
    /* A message without a body: TOP sends all of it. */
    world_add_text(w, "t2", "Subject: only\r\n");
    g_clear_pointer(&t, ms_pop3_server_free); /* releases the lock */
    g_autoptr(MsPop3Server) t2 = server_logged_in(w);
    g_autofree char *h = say(t2, "TOP 2 5");
    MS_ASSERT_STR(h, "+OK top of message follows\nSubject: only\n.");
}

static void uidl_and_capa(void)
{
    g_autoptr(World) w = g_new0(World, 1);
    w->messages = ms_pop3_messages_new();
    world_add_text(w, NULL, "Subject: x\r\n\r\nbody\r\n");
    world_add_text(w, "has space", "Subject: y\r\n\r\nbody\r\n");
    g_autoptr(MsPop3Server) t = server_logged_in(w);
    /* A message with no (valid) unique-id gets the MD5 of its content,
     * which stays the same in the next session (section 7). */
    g_autofree char *md5a = g_compute_checksum_for_string(G_CHECKSUM_MD5,
                                                          "Subject: x\r\n\r\nbody\r\n", -1);
    g_autofree char *md5b = g_compute_checksum_for_string(G_CHECKSUM_MD5,
                                                          "Subject: y\r\n\r\nbody\r\n", -1);
    g_autofree char *expected = g_strdup_printf("+OK\n1 %s\n2 %s\n.", md5a, md5b);
    g_autofree char *got = say(t, "UIDL");
    MS_ASSERT_STR(got, expected);
    g_autofree char *one = say(t, "UIDL 1");
    g_autofree char *expected_one = g_strdup_printf("+OK 1 %s", md5a);
    MS_ASSERT_STR(one, expected_one);

    /* RFC 2449 section 5: CAPA in both states, a multi-line list. */
    g_autofree char *capa = say(t, "CAPA");
    CU_ASSERT(g_str_has_prefix(capa, "+OK Capability list follows\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(capa, "\nTOP\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(capa, "\nUIDL\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(capa, "\nUSER\n"));
    CU_ASSERT(g_str_has_suffix(capa, "\n."));
    g_autoptr(MsPop3Server) a = server_new_full(w, "dewey", NULL, FALSE);
    ms_pop3_server_start(a);
    g_autofree char *greeting = take_text(a);
    g_autofree char *capa_auth = say(a, "capa");
    MS_ASSERT_STR(capa_auth, capa);
}

/* Kurose & Ross's sample session, answered by the "textbook" profile. */
static void textbook_profile(void)
{
    g_autoptr(World) w = g_new0(World, 1);
    w->messages = ms_pop3_messages_new();
    world_add(w, "k1", make_message(498, "one"));
    world_add(w, "k2", make_message(912, "two"));
    g_autoptr(MsPop3Server) s = server_new_full(w, "hamburger.edu", "textbook", FALSE);
    ms_pop3_server_start(s);
    g_autofree char *greeting = take_text(s);
    MS_ASSERT_STR(greeting, "+OK POP3 server ready");
    static const struct {
        const char *line;
        const char *reply;
    } script[] = {
        { "user bob", "+OK" },
        { "pass hungry", "+OK user successfully logged on" },
        { "list", "+OK\n1 498\n2 912\n." },
        { "dele 1", "+OK" },
        { "dele 2", "+OK" },
        { "quit", "+OK POP3 server signing off" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(script); i++) {
        g_autofree char *got = say(s, script[i].line);
        MS_ASSERT_STR(got, script[i].reply);
    }
}

/* Every line carries a phase key and a note the table explains. */
static void notes_table_covers_output(void)
{
    gsize n = 0;
    const MsPop3Note *notes = ms_pop3_notes(&n);
    CU_ASSERT(n > 30);
    for (gsize i = 0; i < n; i++) {
        CU_ASSERT(g_str_has_prefix(notes[i].key, "pop3."));
        CU_ASSERT(strlen(notes[i].text) > 0);
        for (gsize j = i + 1; j < n; j++)
            CU_ASSERT(strcmp(notes[i].key, notes[j].key) != 0);
    }
    CU_ASSERT_PTR_NULL(ms_pop3_note_text("smtp.reply.250"));
    MS_ASSERT_STR(ms_pop3_command_note("retr 1", 6), "pop3.cmd.retr");
    MS_ASSERT_STR(ms_pop3_command_note("TOP 1 2", 7), "pop3.cmd.top");
    MS_ASSERT_STR(ms_pop3_command_note("RETRX", 5), "pop3.cmd.unknown");

    g_autoptr(World) w = world_new_rfc();
    g_autoptr(MsPop3Server) s = server_new_full(w, "dewey", NULL, TRUE);
    ms_pop3_server_start(s);
    const char *input = "CAPA\r\nUSER x y\r\nPASS x\r\nUSER mrose\r\nPASS secret\r\n"
                        "STAT\r\nLIST\r\nLIST 1\r\nUIDL\r\nUIDL 9\r\nRETR 1\r\nTOP 2 1\r\n"
                        "DELE 1\r\nDELE 1\r\nNOOP\r\nRSET\r\nFOO\r\nAPOP a b\r\nQUIT\r\n";
    ms_pop3_server_feed(s, input, strlen(input));
    g_autoptr(GPtrArray) out = ms_pop3_server_take_output(s);
    CU_ASSERT(out->len > 20);
    for (guint i = 0; i < out->len; i++) {
        const MsProtoLine *l = g_ptr_array_index(out, i);
        CU_ASSERT_PTR_NOT_NULL(ms_pop3_note_text(l->note));
        CU_ASSERT(strcmp(l->phase, "pop3.authorization") == 0
                  || strcmp(l->phase, "pop3.transaction") == 0
                  || strcmp(l->phase, "pop3.update") == 0);
    }
    MS_ASSERT_STR(ms_pop3_state_name(MS_POP3_STATE_TRANSACTION), "transaction");
    MS_ASSERT_STR(ms_pop3_state_phase(MS_POP3_STATE_UPDATE), "pop3.update");
    MS_ASSERT_STR(ms_pop3_event_kind_name(MS_POP3_EVENT_UPDATE), "update");
}

/* A reply's template is expanded in place: a known {name} is replaced, an
 * unknown one (or a name that only starts or ends like a known one) stays
 * as text, and a string expanded into before holds only the new reply. */
static void reply_templates(void)
{
    const MsPop3Profile *def = ms_pop3_profile_find(NULL);
    const MsPop3Profile *book = ms_pop3_profile_find("textbook");
    CU_ASSERT_PTR_NOT_NULL_FATAL(def);
    CU_ASSERT_PTR_NOT_NULL_FATAL(book);
    const char *const bob[] = { "user", "bob", NULL };
    const char *const near[] = { "use", "x", "users", "y", "USER", "z", NULL };
    const char *const login[] = { "user", "bob", "count", "1", "s", "", "octets", "120", NULL };
    const char *const no_stamp[] = { "timestamp", "", NULL };
    const char *const stamp[] = { "timestamp", "<1.2@h>", NULL };
    g_autofree char *user = ms_pop3_profile_reply(def, MS_POP3_T_USER_OK, bob);
    MS_ASSERT_STR(user, "+OK bob is a real hoopy frood");
    g_autofree char *none = ms_pop3_profile_reply(def, MS_POP3_T_USER_OK, NULL);
    MS_ASSERT_STR(none, "+OK {user} is a real hoopy frood");
    g_autofree char *wrong = ms_pop3_profile_reply(def, MS_POP3_T_USER_OK, near);
    MS_ASSERT_STR(wrong, "+OK {user} is a real hoopy frood");
    g_autofree char *in = ms_pop3_profile_reply(def, MS_POP3_T_LOGIN_OK, login);
    MS_ASSERT_STR(in, "+OK bob's maildrop has 1 message (120 octets)");
    g_autofree char *bare = ms_pop3_profile_reply(def, MS_POP3_T_GREETING, no_stamp);
    MS_ASSERT_STR(bare, "+OK POP3 server ready");
    g_autofree char *apop = ms_pop3_profile_reply(def, MS_POP3_T_GREETING, stamp);
    MS_ASSERT_STR(apop, "+OK POP3 server ready <1.2@h>");
    g_autofree char *terse = ms_pop3_profile_reply(book, MS_POP3_T_RETR, NULL);
    MS_ASSERT_STR(terse, "+OK");
    g_autofree char *err = ms_pop3_profile_reply(def, MS_POP3_T_BAD_ARG, NULL);
    MS_ASSERT_STR(err, "-ERR invalid argument");
    GString *line = g_string_new(NULL);
    ms_pop3_profile_expand(def, MS_POP3_T_LOGIN_OK, login, line);
    ms_pop3_profile_expand(book, MS_POP3_T_DELE, NULL, line);
    MS_ASSERT_STR(line->str, "+OK");
    CU_ASSERT_EQUAL(line->len, 3);
    g_string_free(line, TRUE);
}

static const MsTestCase server_cases[] = {
    MS_TEST(retr_output_in_place),
    MS_TEST(numbers_without_printf),
    MS_TEST(reply_templates),
    MS_TEST(argument_lengths),
    MS_TEST(greeting_and_apop_timestamp),
    MS_TEST(config_errors),
    MS_TEST(rfc_command_examples),
    MS_TEST(rfc_example_session),
    MS_TEST(every_command_every_state),
    MS_TEST(error_replies),
    MS_TEST(command_line_limit),
    MS_TEST(too_many_errors),
    MS_TEST(case_insensitive_and_pipelined),
    MS_TEST(wrong_password_then_retry),
    MS_TEST(lock_refused_and_load_failure),
    MS_TEST(deleted_messages_invisible),
    MS_TEST(deletions_only_at_update),
    MS_TEST(rset_and_quit_notes_follow_the_marks),
    MS_TEST(abort_deletes_nothing),
    MS_TEST(byte_stuffing_and_sizes),
    MS_TEST(top_command),
    MS_TEST(uidl_and_capa),
    MS_TEST(textbook_profile),
    MS_TEST(notes_table_covers_output),
    MS_TEST_END,
};

/* ---- pop3/client -------------------------------------------------------------- */

static MsPop3Client *client_bob(void)
{
    MsPop3ClientConfig config = { .user = "bob", .password = "hungry" };
    return ms_pop3_client_new(&config);
}

/* Feeds a reply given with "\n" between lines; returns the client's
 * commands joined with "\n". */
static char *hear(MsPop3Client *c, const char *reply)
{
    g_auto(GStrv) lines = g_strsplit(reply, "\n", -1);
    g_autofree char *joined = g_strjoinv("\r\n", lines);
    g_autofree char *bytes = g_strconcat(joined, "\r\n", NULL);
    ms_pop3_client_feed(c, bytes, strlen(bytes));
    g_autoptr(GPtrArray) out = ms_pop3_client_take_output(c);
    return join_output(out);
}

static GPtrArray *take_client_events(MsPop3Client *c)
{
    GPtrArray *events = g_ptr_array_new_with_free_func((GDestroyNotify) ms_pop3_event_free);
    MsPop3Event *ev;
    while ((ev = ms_pop3_client_next_event(c)) != NULL)
        g_ptr_array_add(events, ev);
    return events;
}

/* Plays a script of (server reply, expected client command) pairs. */
typedef struct {
    const char *reply;
    const char *command;
} Exchange;

static void play(MsPop3Client *c, const Exchange *script, gsize n)
{
    for (gsize i = 0; i < n; i++) {
        g_autofree char *got = hear(c, script[i].reply);
        if (strcmp(got, script[i].command) != 0)
            fprintf(stderr, "\n  after \"%s\": expected \"%s\", got \"%s\"\n", script[i].reply,
                    script[i].command, got);
        MS_ASSERT_STR(got, script[i].command);
    }
}

static void client_download_and_delete(void)
{
    g_autoptr(MsPop3Client) c = client_bob();
    CU_ASSERT_EQUAL(ms_pop3_client_state(c), MS_POP3_CLIENT_GREETING);
    g_autofree char *u = hear(c, "+OK POP3 server ready");
    MS_ASSERT_STR(u, "USER bob");
    g_autofree char *p = hear(c, "+OK");
    MS_ASSERT_STR(p, "PASS hungry");
    CU_ASSERT_EQUAL(ms_pop3_client_phase(c), MS_POP3_STATE_AUTHORIZATION);

    g_autofree char *list = hear(c, "+OK user successfully logged on");
    MS_ASSERT_STR(list, "LIST");
    static const Exchange script[] = {
        { "+OK 2 messages (1410 octets)\n1 498\n2 912\n.", "RETR 1" },
        /* RFC 1939 section 3: the server stuffed ".dot" into "..dot". */
        { "+OK 498 octets\nSubject: a\n\n..dot\n..\nbody\n.", "DELE 1" },
        { "+OK message 1 deleted", "RETR 2" },
        { "+OK 912 octets\nSubject: b\n\nsecond\n.", "DELE 2" },
        { "+OK message 2 deleted", "QUIT" },
    };
    CU_ASSERT_EQUAL(ms_pop3_client_phase(c), MS_POP3_STATE_TRANSACTION);
    play(c, script, G_N_ELEMENTS(script));
    CU_ASSERT_EQUAL(ms_pop3_client_phase(c), MS_POP3_STATE_UPDATE);
    g_autofree char *end = hear(c, "+OK dewey POP3 server signing off (maildrop empty)");
    MS_ASSERT_STR(end, "");
    CU_ASSERT_EQUAL(ms_pop3_client_state(c), MS_POP3_CLIENT_DONE);

    g_autoptr(GPtrArray) ev = take_client_events(c);
    CU_ASSERT_EQUAL_FATAL(ev->len, 5);
    CU_ASSERT_EQUAL(event_at(ev, 0)->kind, MS_POP3_EVENT_AUTH_OK);
    MsPop3Event *m1 = event_at(ev, 1);
    CU_ASSERT_EQUAL(m1->kind, MS_POP3_EVENT_MESSAGE);
    CU_ASSERT_EQUAL(m1->number, 1);
    CU_ASSERT_EQUAL(m1->octets, 498);
    CU_ASSERT_PTR_NULL(m1->uidl);
    const char *want = "Subject: a\r\n\r\n.dot\r\n.\r\nbody\r\n";
    CU_ASSERT_EQUAL_FATAL(g_bytes_get_size(m1->data), strlen(want));
    CU_ASSERT(memcmp(g_bytes_get_data(m1->data, NULL), want, strlen(want)) == 0);
    CU_ASSERT_EQUAL(event_at(ev, 2)->number, 2);
    MsPop3Event *done = event_at(ev, 3);
    CU_ASSERT_EQUAL(done->kind, MS_POP3_EVENT_DONE);
    CU_ASSERT_EQUAL(done->listed, 2);
    CU_ASSERT_EQUAL(done->octets, 498 + 912);
    CU_ASSERT_EQUAL(done->retrieved, 2);
    CU_ASSERT_EQUAL(done->deleted, 2);
    CU_ASSERT_EQUAL(event_at(ev, 4)->kind, MS_POP3_EVENT_CLOSE);
    CU_ASSERT_EQUAL(ms_pop3_client_phase(c), MS_POP3_STATE_CLOSED);
}

static void client_phases_and_notes(void)
{
    g_autoptr(MsPop3Client) c = client_bob();
    const char *input = "+OK ready\r\n+OK\r\n+OK in\r\n+OK\r\n.\r\n";
    ms_pop3_client_feed(c, input, strlen(input));
    g_autoptr(GPtrArray) out = ms_pop3_client_take_output(c);
    static const char *const want[][3] = {
        { "USER bob", "pop3.authorization", "pop3.cmd.user" },
        { "PASS hungry", "pop3.authorization", "pop3.cmd.pass" },
        { "LIST", "pop3.transaction", "pop3.cmd.list" },
        /* An empty maildrop: nothing to fetch. */
        { "QUIT", "pop3.transaction", "pop3.cmd.quit" },
    };
    CU_ASSERT_EQUAL_FATAL(out->len, G_N_ELEMENTS(want));
    for (guint i = 0; i < out->len; i++) {
        const MsProtoLine *l = g_ptr_array_index(out, i);
        MS_ASSERT_STR(l->text, want[i][0]);
        MS_ASSERT_STR(l->phase, want[i][1]);
        MS_ASSERT_STR(l->note, want[i][2]);
        MS_ASSERT_STR(l->eol, "\r\n");
    }
}

/* The commands of Kurose & Ross's sample session, in lower case. */
static void client_textbook_lowercase(void)
{
    MsPop3ClientConfig config = { .user = "bob", .password = "hungry", .lowercase = TRUE };
    g_autoptr(MsPop3Client) c = ms_pop3_client_new(&config);
    static const Exchange script[] = {
        { "+OK POP3 server ready", "user bob" },
        { "+OK", "pass hungry" },
        { "+OK user successfully logged on", "list" },
        { "+OK\n1 498\n2 912\n.", "retr 1" },
        { "+OK\nblah\n.", "dele 1" },
        { "+OK", "retr 2" },
        { "+OK\nblah\n.", "dele 2" },
        { "+OK", "quit" },
        { "+OK POP3 server signing off", "" },
    };
    play(c, script, G_N_ELEMENTS(script));
    CU_ASSERT_EQUAL(ms_pop3_client_state(c), MS_POP3_CLIENT_DONE);
}

static void client_auth_failed(void)
{
    g_autoptr(MsPop3Client) c = client_bob();
    static const Exchange script[] = {
        { "+OK POP3 server ready", "USER bob" },
        { "+OK", "PASS hungry" },
        /* -ERR to PASS: give up with QUIT, still in AUTHORIZATION. */
        { "-ERR invalid user name or password", "QUIT" },
        { "+OK bye", "" },
    };
    play(c, script, G_N_ELEMENTS(script));
    g_autoptr(GPtrArray) ev = take_client_events(c);
    CU_ASSERT_EQUAL_FATAL(ev->len, 2);
    CU_ASSERT_EQUAL(event_at(ev, 0)->kind, MS_POP3_EVENT_AUTH_FAILED);
    MS_ASSERT_STR(event_at(ev, 0)->text, "invalid user name or password");
    MS_ASSERT_STR(event_at(ev, 0)->user, "bob");
    /* No DONE: the session never reached TRANSACTION. */
    CU_ASSERT_EQUAL(event_at(ev, 1)->kind, MS_POP3_EVENT_CLOSE);

    g_autoptr(MsPop3Client) c2 = client_bob();
    static const Exchange rejected[] = {
        { "+OK POP3 server ready", "USER bob" },
        { "-ERR sorry, no mailbox for bob here", "QUIT" },
    };
    play(c2, rejected, G_N_ELEMENTS(rejected));
    g_autoptr(GPtrArray) ev2 = take_client_events(c2);
    CU_ASSERT_EQUAL_FATAL(ev2->len, 1);
    CU_ASSERT_EQUAL(event_at(ev2, 0)->kind, MS_POP3_EVENT_AUTH_FAILED);
}

static void client_apop_and_stat(void)
{
    MsPop3ClientConfig config = {
        .user = "mrose", .password = "tanstaaf", .use_apop = TRUE, .use_stat = TRUE,
    };
    g_autoptr(MsPop3Client) c = ms_pop3_client_new(&config);
    /* RFC 1939 section 7's APOP example. */
    static const Exchange script[] = {
        { "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>",
          "APOP mrose c4c9334bac560ecc979e58001b3e22fb" },
        { "+OK maildrop has 1 message (369 octets)", "STAT" },
        { "+OK 1 369", "LIST" },
    };
    play(c, script, G_N_ELEMENTS(script));
    /* No timestamp in the greeting: APOP is not offered, USER/PASS it is. */
    g_autoptr(MsPop3Client) c2 = ms_pop3_client_new(&config);
    g_autofree char *u = hear(c2, "+OK POP3 server ready");
    MS_ASSERT_STR(u, "USER mrose");
}

/* RFC 1939 5: STAT gives the drop listing; RSET undoes every DELE mark,
 * so the session ends with nothing deleted. */
static void client_stat_then_rset(void)
{
    MsPop3ClientConfig config = { .user = "bob", .password = "hungry", .use_stat = TRUE,
                                  .use_rset = TRUE };
    g_autoptr(MsPop3Client) c = ms_pop3_client_new(&config);
    static const Exchange script[] = {
        { "+OK POP3 server ready", "USER bob" },
        { "+OK", "PASS hungry" },
        { "+OK logged on", "STAT" },
        { "+OK 1 120", "LIST" },
        { "+OK 1 messages\n1 120\n.", "RETR 1" },
        { "+OK 120 octets\nSubject: a\n\nhi\n.", "DELE 1" },
        { "+OK message 1 deleted", "RSET" },
        { "+OK maildrop has 1 message", "QUIT" },
    };
    play(c, script, G_N_ELEMENTS(script));
    g_autofree char *end = hear(c, "+OK bye");
    MS_ASSERT_STR(end, "");
    g_autoptr(GPtrArray) ev = take_client_events(c);
    MsPop3Event *done = NULL;
    for (guint i = 0; i < ev->len; i++) {
        if (event_at(ev, i)->kind == MS_POP3_EVENT_DONE)
            done = event_at(ev, i);
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(done);
    CU_ASSERT_EQUAL(done->retrieved, 1);
    CU_ASSERT_EQUAL(done->deleted, 0); /* the mark was undone */
}

/* Download-and-keep with the UIDLs of messages fetched before. */
static void client_keep_known_uidls(void)
{
    const char *const known[] = { "u1", "u3", NULL };
    MsPop3ClientConfig config = {
        .user = "bob", .password = "hungry", .keep = TRUE, .known_uidls = known,
    };
    g_autoptr(MsPop3Client) c = ms_pop3_client_new(&config);
    static const Exchange script[] = {
        { "+OK ready", "USER bob" },
        { "+OK", "PASS hungry" },
        { "+OK", "LIST" },
        { "+OK\n1 10\n2 20\n3 30\n.", "UIDL" },
        { "+OK\n1 u1\n2 u2\n3 u3\n.", "RETR 2" },
        /* Keep: no DELE, and u3 is known, so straight to QUIT. */
        { "+OK\nnew\n.", "QUIT" },
        { "+OK", "" },
    };
    play(c, script, G_N_ELEMENTS(script));
    g_autoptr(GPtrArray) ev = take_client_events(c);
    CU_ASSERT_EQUAL_FATAL(ev->len, 4);
    MsPop3Event *m = event_at(ev, 1);
    CU_ASSERT_EQUAL(m->kind, MS_POP3_EVENT_MESSAGE);
    MS_ASSERT_STR(m->uidl, "u2");
    CU_ASSERT_EQUAL(m->number, 2);
    MsPop3Event *done = event_at(ev, 2);
    CU_ASSERT_EQUAL(done->retrieved, 1);
    CU_ASSERT_EQUAL(done->deleted, 0);
    CU_ASSERT_EQUAL(done->listed, 3);
}

static void client_list_only(void)
{
    MsPop3ClientConfig config = { .user = "bob", .password = "hungry", .list_only = TRUE,
                                  .use_uidl = TRUE };
    g_autoptr(MsPop3Client) c = ms_pop3_client_new(&config);
    static const Exchange script[] = {
        { "+OK ready", "USER bob" },
        { "+OK", "PASS hungry" },
        { "+OK", "LIST" },
        { "+OK\n1 498\n2 912\n.", "UIDL" },
        { "+OK\n1 a\n2 b\n.", "QUIT" },
        { "+OK", "" },
    };
    play(c, script, G_N_ELEMENTS(script));
    g_autoptr(GPtrArray) ev = take_client_events(c);
    CU_ASSERT_EQUAL_FATAL(ev->len, 3);
    MsPop3Event *done = event_at(ev, 1);
    CU_ASSERT_EQUAL(done->kind, MS_POP3_EVENT_DONE);
    CU_ASSERT_EQUAL(done->listed, 2);
    CU_ASSERT_EQUAL(done->octets, 1410);
    CU_ASSERT_EQUAL(done->retrieved, 0);
}

/* Unexpected -ERR replies and malformed ones. */
static void client_error_paths(void)
{
    MsPop3ClientConfig config = { .user = "bob", .password = "hungry", .use_uidl = TRUE };
    g_autoptr(MsPop3Client) c = ms_pop3_client_new(&config);
    static const Exchange script[] = {
        { "+OK ready", "USER bob" },
        { "+OK", "PASS hungry" },
        { "+OK", "LIST" },
        /* A malformed scan line is reported and skipped. */
        { "+OK\nrubbish\n1 10\n2 20\n.", "UIDL" },
        /* UIDL is optional: without it, fetch everything. */
        { "-ERR unknown command", "RETR 1" },
        { "-ERR no such message", "RETR 2" },
        { "+OK\nx\n.", "DELE 2" },
        { "-ERR message 2 already deleted", "QUIT" },
        { "-ERR some deleted messages not removed", "" },
    };
    play(c, script, G_N_ELEMENTS(script));
    g_autoptr(GPtrArray) ev = take_client_events(c);
    guint errors = 0;
    MsPop3Event *done = NULL;
    for (guint i = 0; i < ev->len; i++) {
        MsPop3Event *e = event_at(ev, i);
        errors += e->kind == MS_POP3_EVENT_ERROR;
        if (e->kind == MS_POP3_EVENT_DONE)
            done = e;
    }
    CU_ASSERT_EQUAL(errors, 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(done);
    CU_ASSERT_EQUAL(done->retrieved, 1);
    CU_ASSERT_EQUAL(done->deleted, 0);

    /* A reply that is neither +OK nor -ERR: stop with QUIT. */
    g_autoptr(MsPop3Client) c2 = client_bob();
    static const Exchange broken[] = {
        { "+OK ready", "USER bob" },
        { "+OKAY", "QUIT" },
        { "+OK", "" },
    };
    play(c2, broken, G_N_ELEMENTS(broken));
    /* A server that refuses service in its greeting: close, send nothing. */
    g_autoptr(MsPop3Client) c3 = client_bob();
    g_autofree char *none = hear(c3, "-ERR too busy");
    MS_ASSERT_STR(none, "");
    g_autoptr(GPtrArray) ev3 = take_client_events(c3);
    CU_ASSERT_EQUAL_FATAL(ev3->len, 2);
    CU_ASSERT_EQUAL(event_at(ev3, 0)->kind, MS_POP3_EVENT_ERROR);
    CU_ASSERT_EQUAL(event_at(ev3, 1)->kind, MS_POP3_EVENT_CLOSE);
}

static void client_split_input_and_abort(void)
{
    g_autoptr(MsPop3Client) c = client_bob();
    const char *greeting = "+OK POP3 server ready\r\n";
    for (const char *p = greeting; *p != '\0'; p++) {
        ms_pop3_client_feed(c, p, 1);
        g_autoptr(GPtrArray) out = ms_pop3_client_take_output(c);
        /* Nothing is said before the whole line has arrived. */
        CU_ASSERT_EQUAL(out->len, p[1] == '\0' ? 1 : 0);
    }
    ms_pop3_client_abort(c);
    CU_ASSERT_EQUAL(ms_pop3_client_state(c), MS_POP3_CLIENT_DONE);
    g_autofree char *after = hear(c, "+OK");
    MS_ASSERT_STR(after, "");
    MS_ASSERT_STR(ms_pop3_client_state_name(MS_POP3_CLIENT_RETR), "retr");
}

static const MsTestCase client_cases[] = {
    MS_TEST(client_download_and_delete),
    MS_TEST(client_phases_and_notes),
    MS_TEST(client_textbook_lowercase),
    MS_TEST(client_auth_failed),
    MS_TEST(client_apop_and_stat),
    MS_TEST(client_stat_then_rset),
    MS_TEST(client_keep_known_uidls),
    MS_TEST(client_list_only),
    MS_TEST(client_error_paths),
    MS_TEST(client_split_input_and_abort),
    MS_TEST_END,
};

/* ---- pop3/session ------------------------------------------------------------- */

/* Runs both engines against each other, at most rounds exchanges (0: to
 * the end); returns the dialogue as "S: ..." / "C: ..." lines. */
static char *wire(MsPop3Client *c, MsPop3Server *s, guint rounds)
{
    GString *log = g_string_new(NULL);
    if (ms_pop3_server_state(s) == MS_POP3_STATE_INIT)
        ms_pop3_server_start(s);
    for (guint round = 0; rounds == 0 || round < rounds; round++) {
        g_autoptr(GPtrArray) from_s = ms_pop3_server_take_output(s);
        for (guint i = 0; i < from_s->len; i++)
            g_string_append_printf(log, "S: %s\n", ((MsProtoLine *) from_s->pdata[i])->text);
        g_autoptr(GBytes) sb = ms_proto_lines_to_bytes(from_s);
        ms_pop3_client_feed(c, g_bytes_get_data(sb, NULL), g_bytes_get_size(sb));

        g_autoptr(GPtrArray) from_c = ms_pop3_client_take_output(c);
        for (guint i = 0; i < from_c->len; i++)
            g_string_append_printf(log, "C: %s\n", ((MsProtoLine *) from_c->pdata[i])->text);
        g_autoptr(GBytes) cb = ms_proto_lines_to_bytes(from_c);
        ms_pop3_server_feed(s, g_bytes_get_data(cb, NULL), g_bytes_get_size(cb));
        if (from_s->len == 0 && from_c->len == 0)
            break;
        g_assert(round < 1000);
    }
    return g_string_free(log, FALSE);
}

/* Only the lines of one side that start with prefix ("C: ", "S: +", "S: -"),
 * joined with "\n". */
static char *pick(const char *log, const char *prefix)
{
    g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
    GString *out = g_string_new(NULL);
    for (guint i = 0; lines[i] != NULL; i++) {
        if (g_str_has_prefix(lines[i], prefix))
            g_string_append_printf(out, "%s%s", out->len > 0 ? "\n" : "", lines[i]);
    }
    return g_string_free(out, FALSE);
}

static World *world_with_dots(void)
{
    World *w = world_new_rfc();
    world_add_text(w, "dots", "Subject: dots\r\n\r\n.\r\n..\r\n.leading\r\nend.\r\n");
    return w;
}

static void session_download_and_delete(void)
{
    g_autoptr(World) w = world_with_dots();
    g_autoptr(MsPop3Server) s = server_new_full(w, "dewey", NULL, FALSE);
    MsPop3ClientConfig config = { .user = "mrose", .password = "secret" };
    g_autoptr(MsPop3Client) c = ms_pop3_client_new(&config);
    g_autofree char *log = wire(c, s, 0);
    g_autofree char *commands = pick(log, "C: ");
    MS_ASSERT_STR(commands, "C: USER mrose\nC: PASS secret\nC: LIST\n"
                            "C: RETR 1\nC: DELE 1\nC: RETR 2\nC: DELE 2\n"
                            "C: RETR 3\nC: DELE 3\nC: QUIT");
    /* Each message arrives byte for byte as stored, dots and all. */
    g_autoptr(GPtrArray) cev = take_client_events(c);
    guint messages = 0;
    for (guint i = 0; i < cev->len; i++) {
        MsPop3Event *e = event_at(cev, i);
        if (e->kind == MS_POP3_EVENT_MESSAGE) {
            const MsPop3Message *orig = g_ptr_array_index(w->messages, e->number - 1);
            CU_ASSERT(g_bytes_equal(e->data, orig->data));
            CU_ASSERT_EQUAL(e->octets, g_bytes_get_size(orig->data));
            messages++;
        }
        if (e->kind == MS_POP3_EVENT_DONE) {
            CU_ASSERT_EQUAL(e->retrieved, 3);
            CU_ASSERT_EQUAL(e->deleted, 3);
        }
    }
    CU_ASSERT_EQUAL(messages, 3);
    g_autoptr(GPtrArray) sev = take_events(s);
    MsPop3Event *update = NULL;
    for (guint i = 0; i < sev->len; i++) {
        if (event_at(sev, i)->kind == MS_POP3_EVENT_UPDATE)
            update = event_at(sev, i);
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(update);
    CU_ASSERT_EQUAL(update->numbers->len, 3);
    CU_ASSERT_EQUAL(ms_pop3_server_state(s), MS_POP3_STATE_CLOSED);
    CU_ASSERT_EQUAL(ms_pop3_client_state(c), MS_POP3_CLIENT_DONE);
    CU_ASSERT_FALSE(w->locked);
}

static guint update_count(MsPop3Server *s)
{
    g_autoptr(GPtrArray) sev = take_events(s);
    for (guint i = 0; i < sev->len; i++) {
        if (event_at(sev, i)->kind == MS_POP3_EVENT_UPDATE)
            return event_at(sev, i)->numbers->len;
    }
    return G_MAXUINT;
}

static void session_keep(void)
{
    g_autoptr(World) w = world_with_dots();
    /* Keep, nothing known: everything fetched, nothing marked. */
    g_autoptr(MsPop3Server) s = server_new_full(w, "dewey", NULL, FALSE);
    MsPop3ClientConfig config = { .user = "mrose", .password = "secret", .keep = TRUE };
    g_autoptr(MsPop3Client) c = ms_pop3_client_new(&config);
    g_autofree char *log = wire(c, s, 0);
    CU_ASSERT_PTR_NULL(strstr(log, "DELE"));
    CU_ASSERT_EQUAL(update_count(s), 0);
    g_autofree char *retrs = pick(log, "C: RETR");
    MS_ASSERT_STR(retrs, "C: RETR 1\nC: RETR 2\nC: RETR 3");

    /* Keep with the UIDLs seen last time: only the new message. */
    const char *const known[] = { "whqtswO00WBw418f9t5JxYwZ", "QhdPYR:00WBw1Ph7x7", NULL };
    config.known_uidls = known;
    g_autoptr(MsPop3Server) s2 = server_new_full(w, "dewey", NULL, FALSE);
    g_autoptr(MsPop3Client) c2 = ms_pop3_client_new(&config);
    g_autofree char *log2 = wire(c2, s2, 0);
    g_autofree char *commands = pick(log2, "C: ");
    MS_ASSERT_STR(commands, "C: USER mrose\nC: PASS secret\nC: LIST\nC: UIDL\n"
                            "C: RETR 3\nC: QUIT");
    CU_ASSERT_EQUAL(update_count(s2), 0);
    g_autoptr(GPtrArray) cev = take_client_events(c2);
    guint fetched = 0;
    for (guint i = 0; i < cev->len; i++) {
        MsPop3Event *e = event_at(cev, i);
        if (e->kind == MS_POP3_EVENT_MESSAGE) {
            MS_ASSERT_STR(e->uidl, "dots");
            fetched++;
        }
    }
    CU_ASSERT_EQUAL(fetched, 1);
}

/* RFC 1939 section 10, played by both engines. */
static void session_rfc_example(void)
{
    g_autoptr(World) w = world_new_rfc();
    g_autoptr(MsPop3Server) s = server_new_full(w, "dbc.mtview.ca.us", NULL, TRUE);
    MsPop3ClientConfig config = {
        .user = "mrose", .password = "tanstaaf", .use_apop = TRUE, .use_stat = TRUE,
    };
    g_autoptr(MsPop3Client) c = ms_pop3_client_new(&config);
    g_autofree char *log = wire(c, s, 0);
    g_autofree char *commands = pick(log, "C: ");
    MS_ASSERT_STR(commands, "C: APOP mrose c4c9334bac560ecc979e58001b3e22fb\nC: STAT\n"
                            "C: LIST\nC: RETR 1\nC: DELE 1\nC: RETR 2\nC: DELE 2\nC: QUIT");
    g_autofree char *status = pick(log, "S: +");
    MS_ASSERT_STR(status, "S: +OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\n"
                          "S: +OK mrose's maildrop has 2 messages (320 octets)\n"
                          "S: +OK 2 320\n"
                          "S: +OK 2 messages (320 octets)\n"
                          "S: +OK 120 octets\n"
                          "S: +OK message 1 deleted\n"
                          "S: +OK 200 octets\n"
                          "S: +OK message 2 deleted\n"
                          "S: +OK dbc.mtview.ca.us POP3 server signing off (maildrop empty)");
    g_autofree char *errors = pick(log, "S: -");
    MS_ASSERT_STR(errors, "");
}

/* Kurose & Ross's sample session: lower-case client, textbook server. */
static void session_textbook(void)
{
    g_autoptr(World) w = g_new0(World, 1);
    w->messages = ms_pop3_messages_new();
    world_add(w, "k1", make_message(498, "one"));
    world_add(w, "k2", make_message(912, "two"));
    g_autoptr(MsPop3Server) s = server_new_full(w, "hamburger.edu", "textbook", FALSE);
    MsPop3ClientConfig config = { .user = "bob", .password = "hungry", .lowercase = TRUE };
    g_autoptr(MsPop3Client) c = ms_pop3_client_new(&config);
    g_autofree char *log = wire(c, s, 0);
    g_autofree char *dialogue = pick(log, "");
    g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
    /* Drop the message bodies: keep commands, status lines, listings and
     * the terminating dots. */
    GString *shown = g_string_new(NULL);
    for (guint i = 0; lines[i] != NULL; i++) {
        if (g_str_has_prefix(lines[i], "C: ") || g_str_has_prefix(lines[i], "S: +")
            || g_str_has_prefix(lines[i], "S: 1 ") || g_str_has_prefix(lines[i], "S: 2 ")
            || strcmp(lines[i], "S: .") == 0)
            g_string_append_printf(shown, "%s\n", lines[i]);
    }
    g_autofree char *got = g_string_free(shown, FALSE);
    MS_ASSERT_STR(got, "S: +OK POP3 server ready\n"
                       "C: user bob\nS: +OK\n"
                       "C: pass hungry\nS: +OK user successfully logged on\n"
                       "C: list\nS: +OK\nS: 1 498\nS: 2 912\nS: .\n"
                       "C: retr 1\nS: +OK\nS: .\n"
                       "C: dele 1\nS: +OK\n"
                       "C: retr 2\nS: +OK\nS: .\n"
                       "C: dele 2\nS: +OK\n"
                       "C: quit\nS: +OK POP3 server signing off\n");
    CU_ASSERT(strlen(dialogue) > strlen(got));
}

static void session_wrong_password(void)
{
    g_autoptr(World) w = world_new_rfc();
    g_autoptr(MsPop3Server) s = server_new_full(w, "dewey", NULL, FALSE);
    MsPop3ClientConfig config = { .user = "mrose", .password = "guess" };
    g_autoptr(MsPop3Client) c = ms_pop3_client_new(&config);
    g_autofree char *log = wire(c, s, 0);
    MS_ASSERT_STR(log, "S: +OK POP3 server ready\n"
                       "C: USER mrose\nS: +OK mrose is a real hoopy frood\n"
                       "C: PASS guess\nS: -ERR invalid user name or password\n"
                       "C: QUIT\nS: +OK dewey POP3 server signing off\n");
    CU_ASSERT_EQUAL(w->lock_calls, 0);
    g_autoptr(GPtrArray) cev = take_client_events(c);
    CU_ASSERT_EQUAL_FATAL(cev->len, 2);
    CU_ASSERT_EQUAL(event_at(cev, 0)->kind, MS_POP3_EVENT_AUTH_FAILED);
    g_autoptr(GPtrArray) sev = take_events(s);
    CU_ASSERT_EQUAL_FATAL(sev->len, 2);
    CU_ASSERT_EQUAL(event_at(sev, 0)->kind, MS_POP3_EVENT_AUTH_FAILED);
    CU_ASSERT_EQUAL(event_at(sev, 1)->kind, MS_POP3_EVENT_CLOSE);
}

/* The connection drops after the first DELE: nothing is removed. */
static void session_dropped_midway(void)
{
    g_autoptr(World) w = world_new_rfc();
    g_autoptr(MsPop3Server) s = server_new_full(w, "dewey", NULL, FALSE);
    MsPop3ClientConfig config = { .user = "mrose", .password = "secret" };
    g_autoptr(MsPop3Client) c = ms_pop3_client_new(&config);
    /* Rounds: greeting/USER, PASS, LIST, RETR 1, then the message/DELE 1. */
    g_autofree char *log = wire(c, s, 5);
    CU_ASSERT(g_str_has_suffix(log, "C: DELE 1\n"));
    ms_pop3_server_abort(s);
    ms_pop3_client_abort(c);
    g_autoptr(GPtrArray) sev = take_events(s);
    for (guint i = 0; i < sev->len; i++)
        CU_ASSERT(event_at(sev, i)->kind != MS_POP3_EVENT_UPDATE);
    MsPop3Event *last = event_at(sev, sev->len - 1);
    CU_ASSERT_EQUAL(last->kind, MS_POP3_EVENT_UNLOCKED);
    CU_ASSERT(last->aborted);
    CU_ASSERT_FALSE(w->locked);
}

static const MsTestCase session_cases[] = {
    MS_TEST(session_download_and_delete),
    MS_TEST(session_keep),
    MS_TEST(session_rfc_example),
    MS_TEST(session_textbook),
    MS_TEST(session_wrong_password),
    MS_TEST(session_dropped_midway),
    MS_TEST_END,
};

int main(void)
{
    ms_test_add_suite("pop3/server", server_cases);
    ms_test_add_suite("pop3/client", client_cases);
    ms_test_add_suite("pop3/session", session_cases);
    return ms_test_run();
}
