/* test_smtp.c - the shared line reader and the SMTP engines (RFC 5321).
 *
 * The server is driven with exact client lines and its replies compared with
 * what RFC 5321 says it must answer; the client is driven with scripted
 * server replies; the session suite wires both engines together.
 */
#include <string.h>

#include "testutil.h"
#include "mailsim/proto.h"
#include "mailsim/smtp.h"
#include "proto/smtp-private.h"

/* ---- smtp/line ------------------------------------------------------------ */

/* Pulls the next line; returns the result and fills text/len/eol. */
static MsLineResult next_line(MsLineReader *r, char **text, gsize *len, MsEol *eol)
{
    *text = NULL;
    return ms_line_reader_next(r, text, len, eol);
}

static void test_line_crlf(void)
{
    g_autoptr(MsLineReader) r = ms_line_reader_new(510);
    char *text;
    gsize len;
    MsEol eol;

    ms_line_reader_feed(r, "HELO a\r\nNOOP\r\n", 14);
    CU_ASSERT_EQUAL(next_line(r, &text, &len, &eol), MS_LINE_OK);
    MS_ASSERT_STR(text, "HELO a");
    CU_ASSERT_EQUAL(len, 6);
    CU_ASSERT_EQUAL(eol, MS_EOL_CRLF);
    g_free(text);
    CU_ASSERT_EQUAL(next_line(r, &text, &len, &eol), MS_LINE_OK);
    MS_ASSERT_STR(text, "NOOP");
    g_free(text);
    CU_ASSERT_EQUAL(next_line(r, &text, &len, &eol), MS_LINE_NONE);
    CU_ASSERT_PTR_NULL(text);
    CU_ASSERT_EQUAL(ms_line_reader_pending(r), 0);
}

static void test_line_bare_lf(void)
{
    g_autoptr(MsLineReader) r = ms_line_reader_new(510);
    char *text;
    gsize len;
    MsEol eol;

    ms_line_reader_feed(r, "one\ntwo\r\n", 9);
    CU_ASSERT_EQUAL(next_line(r, &text, &len, &eol), MS_LINE_OK);
    MS_ASSERT_STR(text, "one");
    CU_ASSERT_EQUAL(eol, MS_EOL_LF);
    g_free(text);
    CU_ASSERT_EQUAL(next_line(r, &text, &len, &eol), MS_LINE_OK);
    MS_ASSERT_STR(text, "two");
    CU_ASSERT_EQUAL(eol, MS_EOL_CRLF);
    g_free(text);
}

static void test_line_bare_cr(void)
{
    g_autoptr(MsLineReader) r = ms_line_reader_new(510);
    char *text;
    gsize len;
    MsEol eol;

    /* A CR followed by anything but LF ends a line as a bare CR. */
    ms_line_reader_feed(r, "a\rb\r\n", 5);
    CU_ASSERT_EQUAL(next_line(r, &text, &len, &eol), MS_LINE_OK);
    MS_ASSERT_STR(text, "a");
    CU_ASSERT_EQUAL(eol, MS_EOL_CR);
    g_free(text);
    CU_ASSERT_EQUAL(next_line(r, &text, &len, &eol), MS_LINE_OK);
    MS_ASSERT_STR(text, "b");
    CU_ASSERT_EQUAL(eol, MS_EOL_CRLF);
    g_free(text);
    CU_ASSERT_STRING_EQUAL(ms_eol_text(MS_EOL_CR), "\r");
    CU_ASSERT_STRING_EQUAL(ms_eol_text(MS_EOL_LF), "\n");
    CU_ASSERT_STRING_EQUAL(ms_eol_text(MS_EOL_CRLF), "\r\n");
}

static void test_line_split_feeds(void)
{
    g_autoptr(MsLineReader) r = ms_line_reader_new(510);
    char *text;
    gsize len;
    MsEol eol;

    /* The CR arrives at the end of one feed and its LF in the next: it must
     * not be taken for a bare CR. */
    ms_line_reader_feed(r, "MAIL FR", 7);
    CU_ASSERT_EQUAL(next_line(r, &text, &len, &eol), MS_LINE_NONE);
    ms_line_reader_feed(r, "OM:<a@b>\r", 9);
    CU_ASSERT_EQUAL(next_line(r, &text, &len, &eol), MS_LINE_NONE);
    CU_ASSERT_EQUAL(ms_line_reader_pending(r), 16);
    ms_line_reader_feed(r, "\nX", 2);
    CU_ASSERT_EQUAL(next_line(r, &text, &len, &eol), MS_LINE_OK);
    MS_ASSERT_STR(text, "MAIL FROM:<a@b>");
    CU_ASSERT_EQUAL(eol, MS_EOL_CRLF);
    g_free(text);
    CU_ASSERT_EQUAL(ms_line_reader_pending(r), 1);
    /* A trailing CR then a non-LF byte is a bare CR. */
    ms_line_reader_feed(r, "\r", 1);
    CU_ASSERT_EQUAL(next_line(r, &text, &len, &eol), MS_LINE_NONE);
    ms_line_reader_feed(r, "Y", 1);
    CU_ASSERT_EQUAL(next_line(r, &text, &len, &eol), MS_LINE_OK);
    MS_ASSERT_STR(text, "X");
    CU_ASSERT_EQUAL(eol, MS_EOL_CR);
    g_free(text);
}

static void test_line_too_long(void)
{
    g_autoptr(MsLineReader) r = ms_line_reader_new(8);
    char *text;
    gsize len;
    MsEol eol;

    /* Exactly max_len octets is allowed; one more is too long. */
    ms_line_reader_feed(r, "12345678\r\n123456789\r\nok\r\n", 25);
    CU_ASSERT_EQUAL(next_line(r, &text, &len, &eol), MS_LINE_OK);
    CU_ASSERT_EQUAL(len, 8);
    g_free(text);
    CU_ASSERT_EQUAL(next_line(r, &text, &len, &eol), MS_LINE_TOO_LONG);
    CU_ASSERT_EQUAL(len, 8);
    MS_ASSERT_STR(text, "12345678");
    g_free(text);
    CU_ASSERT_EQUAL(next_line(r, &text, &len, &eol), MS_LINE_OK);
    MS_ASSERT_STR(text, "ok");
    g_free(text);
}

static void test_line_too_long_across_feeds(void)
{
    g_autoptr(MsLineReader) r = ms_line_reader_new(4);
    char *text;
    gsize len;
    MsEol eol;

    /* The reader keeps only max_len octets of a line without an ending, so
     * pending stays bounded however much arrives. */
    for (int i = 0; i < 100; i++) {
        ms_line_reader_feed(r, "abcdefghij", 10);
        CU_ASSERT_EQUAL(next_line(r, &text, &len, &eol), MS_LINE_NONE);
    }
    CU_ASSERT(ms_line_reader_pending(r) <= 5);
    ms_line_reader_feed(r, "\r", 1);
    CU_ASSERT_EQUAL(next_line(r, &text, &len, &eol), MS_LINE_NONE);
    ms_line_reader_feed(r, "\nnext\r\n", 7);
    CU_ASSERT_EQUAL(next_line(r, &text, &len, &eol), MS_LINE_TOO_LONG);
    MS_ASSERT_STR(text, "abcd");
    CU_ASSERT_EQUAL(eol, MS_EOL_CRLF);
    g_free(text);
    CU_ASSERT_EQUAL(next_line(r, &text, &len, &eol), MS_LINE_OK);
    MS_ASSERT_STR(text, "next");
    g_free(text);
}

static void test_line_embedded_nul(void)
{
    g_autoptr(MsLineReader) r = ms_line_reader_new(0);
    char *text;
    gsize len;
    MsEol eol;

    ms_line_reader_feed(r, "a\0b\r\n", 5);
    CU_ASSERT_EQUAL(next_line(r, &text, &len, &eol), MS_LINE_OK);
    CU_ASSERT_EQUAL(len, 3);
    CU_ASSERT(memcmp(text, "a\0b", 4) == 0);
    g_free(text);
}

static void test_line_proto_lines(void)
{
    g_autoptr(GPtrArray) lines = ms_proto_lines_new();

    g_ptr_array_add(lines, ms_proto_line_new("220 x", "smtp.handshake", "smtp.reply.220"));
    g_ptr_array_add(lines, ms_proto_line_new_len("abc", 2, "\n", "smtp.transfer", NULL));
    g_autoptr(GBytes) bytes = ms_proto_lines_to_bytes(lines);
    gsize n = 0;
    const char *data = g_bytes_get_data(bytes, &n);

    CU_ASSERT_EQUAL(n, 10);
    CU_ASSERT(memcmp(data, "220 x\r\nab\n", 10) == 0);
    const MsProtoLine *first = g_ptr_array_index(lines, 0);
    MS_ASSERT_STR(first->eol, "\r\n");
    MS_ASSERT_STR(first->note, "smtp.reply.220");
    ms_proto_line_free(NULL);
}

/* Every way a line is made records its text's length, and measuring and
 * copying a line by that length gives its wire octets: a line of an
 * output, of its own allocation, cut short from a longer text, with an
 * unusual ending, a taken copy, and binary content with its stand-in. */
static void test_line_lengths_carried(void)
{
    g_autoptr(MsProtoOutput) out = ms_proto_output_new();
    g_autoptr(GPtrArray) own = ms_proto_lines_new();
    static const guint8 octets[] = { 0x89, 'P', 0, 'G' };
    g_autoptr(GBytes) picture = g_bytes_new_static(octets, sizeof octets);

    MsProtoLine *space = ms_proto_output_add_space(out, 4, NULL, "p", NULL);
    memcpy(space->text, "DATA", 4);
    ms_proto_output_add_len(out, "QUIT and more", 4, "\n", "p", NULL);
    ms_proto_output_add_len(out, "", 0, "", "p", NULL);
    g_ptr_array_add(own, ms_proto_line_new("220 ready", "p", NULL));
    g_ptr_array_add(own, ms_proto_line_new_len("250 ok and more", 6, "\r\n\r", "p", NULL));
    g_ptr_array_add(own, ms_proto_line_new_bytes(picture, "[image]", "p", NULL));
    static const gsize lens[] = { 4, 4, 0, 9, 6, 7 };
    static const char *const wires[] = { "DATA\r\n", "QUIT\n", "", "220 ready\r\n",
                                         "250 ok\r\n\r", NULL };
    GPtrArray *made = ms_proto_output_lines(out);
    for (guint i = 0; i < G_N_ELEMENTS(lens); i++) {
        const MsProtoLine *line = i < 3 ? g_ptr_array_index(made, i) : g_ptr_array_index(own, i - 3);
        CU_ASSERT_EQUAL(line->len, lens[i]);
        CU_ASSERT_EQUAL(strlen(line->text), lens[i]);
        gsize text_len = 99;
        gsize size = ms_proto_line_measure(line, &text_len);
        CU_ASSERT_EQUAL(size, ms_proto_line_wire_size(line));
        char buf[32];
        CU_ASSERT_FATAL(size <= sizeof buf);
        ms_proto_line_copy_measured(line, text_len, size, buf);
        if (wires[i] != NULL) {
            CU_ASSERT_EQUAL(text_len, lens[i]);
            CU_ASSERT_EQUAL(size, strlen(wires[i]));
            CU_ASSERT(memcmp(buf, wires[i], size) == 0);
        } else {
            CU_ASSERT_EQUAL(text_len, 0);
            CU_ASSERT_EQUAL(size, sizeof octets);
            CU_ASSERT(memcmp(buf, octets, size) == 0);
        }
    }
    g_autoptr(GPtrArray) taken = ms_proto_output_take(out);
    CU_ASSERT_EQUAL_FATAL(taken->len, 3);
    for (guint i = 0; i < 3; i++) {
        const MsProtoLine *line = g_ptr_array_index(taken, i);
        CU_ASSERT_EQUAL(line->len, lens[i]);
        CU_ASSERT_EQUAL(ms_proto_line_wire_size(line), strlen(wires[i]));
    }
}

/* Every line a feed brought stays where it is, NUL-terminated, while the
 * next ones are peeked: an engine may keep the views of one feed's lines
 * until it is fed again. */
static void test_line_views_last_until_feed(void)
{
    g_autoptr(MsLineReader) r = ms_line_reader_new(510);
    const char *first = NULL;
    const char *second = NULL;
    gsize len1 = 0;
    gsize len2 = 0;
    MsEol eol;

    ms_line_reader_feed(r, "250-one\r\n250 two\r\n250", 21);
    CU_ASSERT_EQUAL(ms_line_reader_peek(r, &first, &len1, &eol), MS_LINE_OK);
    CU_ASSERT_EQUAL(ms_line_reader_peek(r, &second, &len2, &eol), MS_LINE_OK);
    CU_ASSERT_EQUAL(ms_line_reader_peek(r, NULL, NULL, NULL), MS_LINE_NONE);
    CU_ASSERT_EQUAL(len1, 7);
    MS_ASSERT_STR(first, "250-one");
    CU_ASSERT_EQUAL(len2, 7);
    MS_ASSERT_STR(second, "250 two");
    CU_ASSERT_EQUAL(ms_line_reader_pending(r), 3);
    /* The unfinished line is carried over to the next feed. */
    ms_line_reader_feed(r, " three\r\n", 8);
    CU_ASSERT_EQUAL(ms_line_reader_peek(r, &first, &len1, &eol), MS_LINE_OK);
    MS_ASSERT_STR(first, "250 three");
    CU_ASSERT_EQUAL(ms_line_reader_pending(r), 0);
}

/* A line much longer than the reader's first buffer, in many small feeds
 * (a message line or a reply split over segments), comes out whole. */
static void test_line_long_across_many_feeds(void)
{
    g_autoptr(MsLineReader) r = ms_line_reader_new(0);
    g_autoptr(GString) want = g_string_new(NULL);
    const char *line = NULL;
    gsize len = 0;
    MsEol eol;

    ms_line_reader_feed(r, "x\r\n", 3);
    CU_ASSERT_EQUAL(ms_line_reader_peek(r, &line, &len, &eol), MS_LINE_OK);
    for (guint i = 0; i < 200; i++) {
        char piece[40];
        gsize n = (gsize) g_snprintf(piece, sizeof piece, "piece %03u of a long line;", i);

        g_string_append_len(want, piece, (gssize) n);
        ms_line_reader_feed(r, piece, n);
        CU_ASSERT_EQUAL(ms_line_reader_peek(r, &line, &len, &eol), MS_LINE_NONE);
        CU_ASSERT_EQUAL(ms_line_reader_pending(r), want->len);
    }
    ms_line_reader_feed(r, "\r", 1);
    CU_ASSERT_EQUAL(ms_line_reader_peek(r, &line, &len, &eol), MS_LINE_NONE);
    ms_line_reader_feed(r, "\nnext\n", 7);
    CU_ASSERT_EQUAL(ms_line_reader_peek(r, &line, &len, &eol), MS_LINE_OK);
    CU_ASSERT_EQUAL(eol, MS_EOL_CRLF);
    CU_ASSERT_EQUAL_FATAL(len, want->len);
    CU_ASSERT(memcmp(line, want->str, len) == 0);
    CU_ASSERT_EQUAL(line[len], '\0');
    CU_ASSERT_EQUAL(ms_line_reader_peek(r, &line, &len, &eol), MS_LINE_OK);
    MS_ASSERT_STR(line, "next");
    CU_ASSERT_EQUAL(eol, MS_EOL_LF);
}

/* The search for a line's end reads sixteen octets at a time: lines of
 * every length around that step, endings and lone CRs on either side of
 * it, NULs and feeds cut anywhere are split as a plain octet-by-octet
 * reading of the rules says (a CRLF, a bare LF, or a CR followed by
 * anything but LF ends a line; a CR at the end waits for the next octet). */
static void test_line_matches_octet_reading(void)
{
    static const char alphabet[] = { 'a', 'b', '.', ' ', '\0', '\r', '\n' };
    GRand *rand = g_rand_new_with_seed(5321);

    for (guint round = 0; round < 200; round++) {
        gsize n = (gsize) g_rand_int_range(rand, 0, 300);
        char *text = g_malloc(n + 1);
        /* Mostly plain octets, so lines of 0 to some 60 octets come. */
        gint plain = g_rand_int_range(rand, 4, 60);

        for (gsize i = 0; i < n; i++) {
            gboolean end = g_rand_int_range(rand, 0, plain) == 0;

            text[i] = end ? alphabet[g_rand_int_range(rand, 5, 7)]
                          : alphabet[g_rand_int_range(rand, 0, 5)];
        }
        MsLineReader *r = ms_line_reader_new(0);
        gsize fed = 0;
        gsize at = 0; /* where the octet-by-octet reading is */

        while (fed < n) {
            gsize piece = (gsize) g_rand_int_range(rand, 1, 40);

            piece = MIN(piece, n - fed);

            ms_line_reader_feed(r, text + fed, piece);
            fed += piece;
            for (;;) {
                /* The next line as the rules read it from `at`, if the
                 * octets fed so far end it. */
                gsize i = at;
                gboolean whole = FALSE;
                gsize next = at;
                MsEol want_eol = MS_EOL_CRLF;

                while (i < fed && text[i] != '\r' && text[i] != '\n')
                    i++;
                if (i < fed && text[i] == '\n') {
                    whole = TRUE;
                    next = i + 1;
                    want_eol = MS_EOL_LF;
                } else if (i + 1 < fed) {
                    whole = TRUE;
                    next = text[i + 1] == '\n' ? i + 2 : i + 1;
                    want_eol = text[i + 1] == '\n' ? MS_EOL_CRLF : MS_EOL_CR;
                }
                const char *line = NULL;
                gsize len = 0;
                MsEol eol = MS_EOL_CRLF;
                MsLineResult res = ms_line_reader_peek(r, &line, &len, &eol);

                if (!whole) {
                    CU_ASSERT_EQUAL(res, MS_LINE_NONE);
                    CU_ASSERT_EQUAL(ms_line_reader_pending(r), fed - at);
                    break;
                }
                CU_ASSERT_EQUAL_FATAL(res, MS_LINE_OK);
                CU_ASSERT_EQUAL_FATAL(len, i - at);
                CU_ASSERT(memcmp(line, text + at, len) == 0);
                CU_ASSERT_EQUAL(line[len], '\0');
                CU_ASSERT_EQUAL(eol, want_eol);
                at = next;
            }
        }
        ms_line_reader_free(r);
        g_free(text);
    }
    g_rand_free(rand);
}

/* A reset reader behaves as a new one with the new limit: what was fed
 * before, a pending CR and an overflow included, is gone. */
static void test_line_reset(void)
{
    g_autoptr(MsLineReader) r = ms_line_reader_new(4);
    const char *line = NULL;
    gsize len = 0;
    MsEol eol;

    ms_line_reader_feed(r, "abcdefgh\r", 9);
    CU_ASSERT_EQUAL(ms_line_reader_peek(r, &line, &len, &eol), MS_LINE_NONE);
    CU_ASSERT(ms_line_reader_pending(r) > 0);
    ms_line_reader_reset(r, 8);
    CU_ASSERT_EQUAL(ms_line_reader_pending(r), 0);
    CU_ASSERT_EQUAL(ms_line_reader_peek(r, &line, &len, &eol), MS_LINE_NONE);
    ms_line_reader_feed(r, "\nabcdefgh\r\nabcdefghi\r\n", 22);
    /* The LF that would have ended the old line starts the new stream. */
    CU_ASSERT_EQUAL(ms_line_reader_peek(r, &line, &len, &eol), MS_LINE_OK);
    CU_ASSERT_EQUAL(len, 0);
    CU_ASSERT_EQUAL(eol, MS_EOL_LF);
    CU_ASSERT_EQUAL(ms_line_reader_peek(r, &line, &len, &eol), MS_LINE_OK);
    MS_ASSERT_STR(line, "abcdefgh");
    CU_ASSERT_EQUAL(ms_line_reader_peek(r, &line, &len, &eol), MS_LINE_TOO_LONG);
    MS_ASSERT_STR(line, "abcdefgh");
    CU_ASSERT_EQUAL(ms_line_reader_pending(r), 0);
}

/* An output's lines go into its array directly below the most it has
 * held: filled past that several times and cleared between, it keeps every
 * line, in order, and the lines sent wire as they were said. */
static void test_line_output_reuse(void)
{
    g_autoptr(MsProtoOutput) out = ms_proto_output_new();

    for (guint round = 0; round < 4; round++) {
        guint n = round == 2 ? 3 : 5 + round * 40;

        for (guint i = 0; i < n; i++) {
            char text[32];
            gsize len = (gsize) g_snprintf(text, sizeof text, "%u.%u", round, i);

            ms_proto_output_add_len(out, text, len, "\r\n", "p", NULL);
        }
        GPtrArray *lines = ms_proto_output_lines(out);

        CU_ASSERT_EQUAL_FATAL(lines->len, n);
        for (guint i = 0; i < n; i++) {
            g_autofree char *want = g_strdup_printf("%u.%u", round, i);
            const MsProtoLine *line = g_ptr_array_index(lines, i);

            MS_ASSERT_STR(line->text, want);
        }
        if (round == 3) {
            g_autoptr(GPtrArray) taken = ms_proto_output_take(out);

            CU_ASSERT_EQUAL(taken->len, n);
            CU_ASSERT_EQUAL(ms_proto_output_lines(out)->len, 0);
        } else {
            ms_proto_output_clear(out);
        }
    }
}

static const MsTestCase line_cases[] = {
    MS_TEST(test_line_crlf),
    MS_TEST(test_line_bare_lf),
    MS_TEST(test_line_bare_cr),
    MS_TEST(test_line_split_feeds),
    MS_TEST(test_line_too_long),
    MS_TEST(test_line_too_long_across_feeds),
    MS_TEST(test_line_embedded_nul),
    MS_TEST(test_line_proto_lines),
    MS_TEST(test_line_lengths_carried),
    MS_TEST(test_line_views_last_until_feed),
    MS_TEST(test_line_long_across_many_feeds),
    MS_TEST(test_line_matches_octet_reading),
    MS_TEST(test_line_reset),
    MS_TEST(test_line_output_reuse),
    MS_TEST_END,
};


/* ---- Helpers ------------------------------------------------------------------ */

/* The lines as they go on the wire. */
static char *lines_text(GPtrArray *lines)
{
    g_autoptr(GBytes) bytes = ms_proto_lines_to_bytes(lines);
    gsize n = 0;
    const char *data = g_bytes_get_data(bytes, &n);

    return n > 0 ? g_strndup(data, n) : g_strdup("");
}

static char *server_take(MsSmtpServer *server)
{
    g_autoptr(GPtrArray) lines = ms_smtp_server_take_output(server);

    return lines_text(lines);
}

static void server_feed_str(MsSmtpServer *server, const char *text)
{
    ms_smtp_server_feed(server, text, strlen(text));
}

/* Feeds `input` and checks the server answers exactly `expected`. */
static void server_expect(MsSmtpServer *server, const char *input, const char *expected)
{
    ms_smtp_server_feed(server, input, strlen(input));
    g_autofree char *got = server_take(server);

    if (strcmp(got, expected) != 0)
        g_printerr("\n  input:    %s  expected: %s  got:      %s", input, expected, got);
    CU_ASSERT_STRING_EQUAL(got, expected);
}

/* Does the output start with a reply of this code? */
static void server_expect_code(MsSmtpServer *server, const char *input, const char *code)
{
    ms_smtp_server_feed(server, input, strlen(input));
    g_autofree char *got = server_take(server);

    if (strncmp(got, code, 3) != 0)
        g_printerr("\n  input: %s  expected code %s, got: %s", input, code, got);
    CU_ASSERT(strncmp(got, code, 3) == 0);
}

static MsSmtpServer *new_server(const char *profile, guint64 max_size)
{
    MsSmtpServerConfig config;

    ms_smtp_server_config_init(&config, "hamburger.edu");
    config.profile = profile;
    config.max_size = max_size;
    MsSmtpServer *server = ms_smtp_server_new(&config, "crepes.fr");

    ms_smtp_server_start(server);
    g_free(server_take(server));
    return server;
}

/* A server already past EHLO. */
static MsSmtpServer *ready_server(guint64 max_size)
{
    MsSmtpServer *server = new_server(NULL, max_size);

    server_feed_str(server, "EHLO crepes.fr\r\n");
    g_free(server_take(server));
    return server;
}

/* Drains events; returns how many of `kind` there were, the last kept. */
static guint server_events(MsSmtpServer *server, MsSmtpEventKind kind, MsSmtpEvent **last)
{
    guint n = 0;
    MsSmtpEvent *event;

    if (last != NULL)
        *last = NULL;
    while ((event = ms_smtp_server_next_event(server)) != NULL) {
        if (event->kind == kind) {
            n++;
            if (last != NULL) {
                ms_smtp_event_free(*last);
                *last = event;
                continue;
            }
        }
        ms_smtp_event_free(event);
    }
    return n;
}

static gboolean bytes_equal(GBytes *bytes, const char *expected)
{
    gsize n = 0;
    const char *data = g_bytes_get_data(bytes, &n);

    return n == strlen(expected) && memcmp(data, expected, n) == 0;
}

/* ---- smtp/server --------------------------------------------------------------- */

static void test_server_greeting(void)
{
    MsSmtpServerConfig config;

    ms_smtp_server_config_init(&config, "hamburger.edu");
    g_autoptr(MsSmtpServer) server = ms_smtp_server_new(&config, NULL);

    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_INIT);
    ms_smtp_server_start(server);
    g_autoptr(GPtrArray) lines = ms_smtp_server_take_output(server);

    CU_ASSERT_EQUAL_FATAL(lines->len, 1);
    const MsProtoLine *line = lines->pdata[0];

    MS_ASSERT_STR(line->text, "220 hamburger.edu ESMTP mailsim");
    MS_ASSERT_STR(line->eol, "\r\n");
    MS_ASSERT_STR(line->phase, "smtp.handshake");
    MS_ASSERT_STR(line->note, "smtp.reply.220");
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_CONNECTED);
}

static void test_server_input_before_greeting(void)
{
    MsSmtpServerConfig config;

    ms_smtp_server_config_init(&config, "hamburger.edu");
    g_autoptr(MsSmtpServer) server = ms_smtp_server_new(&config, NULL);

    /* An impatient client: its HELO is answered after the greeting. */
    server_feed_str(server, "HELO crepes.fr\r\n");
    g_autofree char *before = server_take(server);

    MS_ASSERT_STR(before, "");
    ms_smtp_server_start(server);
    g_autofree char *after = server_take(server);

    MS_ASSERT_STR(after, "220 hamburger.edu ESMTP mailsim\r\n250 hamburger.edu\r\n");
}

static void test_server_ehlo_extensions(void)
{
    g_autoptr(MsSmtpServer) server = new_server(NULL, 10240000);

    /* RFC 5321 4.1.1.1: "250-" on all lines but the last. */
    server_expect(server, "EHLO crepes.fr\r\n",
                  "250-hamburger.edu\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n"
                  "250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250 HELP\r\n");
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_READY);
}

static void test_server_ehlo_no_extensions(void)
{
    MsSmtpServerConfig config;

    ms_smtp_server_config_init(&config, "hamburger.edu");
    config.profile = "textbook";
    config.offer_8bitmime = FALSE;
    config.offer_pipelining = FALSE;
    config.offer_size = FALSE;
    g_autoptr(MsSmtpServer) server = ms_smtp_server_new(&config, NULL);

    ms_smtp_server_start(server);
    g_free(server_take(server));
    g_autoptr(GPtrArray) lines = NULL;

    server_feed_str(server, "EHLO crepes.fr\r\n");
    lines = ms_smtp_server_take_output(server);
    CU_ASSERT_EQUAL_FATAL(lines->len, 2);
    MS_ASSERT_STR(((MsProtoLine *) lines->pdata[0])->text,
                  "250-hamburger.edu Hello crepes.fr, pleased to meet you");
    MS_ASSERT_STR(((MsProtoLine *) lines->pdata[1])->text, "250 HELP");
    MS_ASSERT_STR(((MsProtoLine *) lines->pdata[1])->note, "smtp.ext.help");
}

static void test_server_helo_and_case(void)
{
    g_autoptr(MsSmtpServer) server = new_server(NULL, 0);

    /* RFC 5321 2.4: verbs are case-insensitive. */
    server_expect(server, "hElO crepes.fr\r\n", "250 hamburger.edu\r\n");
    server_expect(server, "mail from:<alice@crepes.fr>\r\n", "250 2.1.0 Ok\r\n");
    server_expect(server, "Rcpt To:<bob@hamburger.edu>\r\n", "250 2.1.5 Ok\r\n");
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_RCPT);
}

/* RFC 5321 4.1.1: receivers SHOULD tolerate trailing white space before
 * the CRLF: a student's "HELO crepes.fr " is HELO crepes.fr (the textbook
 * profile too), "QUIT\t" is QUIT; "HELO " still names no domain. */
static void test_server_trailing_white_space(void)
{
    for (int textbook = 0; textbook < 2; textbook++) {
        g_autoptr(MsSmtpServer) server = new_server(textbook ? "textbook" : NULL, 0);
        server_expect_code(server, "HELO \r\n", "501");
        server_expect_code(server, "HELO crepes.fr \r\n", "250");
        server_expect_code(server, "MAIL FROM:<alice@crepes.fr>  \r\n", "250");
        server_expect_code(server, "RCPT TO:<bob@hamburger.edu>\t\r\n", "250");
        server_expect_code(server, "RSET \r\n", "250");
        server_expect_code(server, "QUIT\t \r\n", "221");
    }
}

static void test_server_mail_before_helo(void)
{
    g_autoptr(MsSmtpServer) server = new_server(NULL, 0);

    server_expect(server, "MAIL FROM:<alice@crepes.fr>\r\n",
                  "503 5.5.1 Error: send HELO/EHLO first\r\n");
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_CONNECTED);
}

static void test_server_rcpt_before_mail(void)
{
    g_autoptr(MsSmtpServer) server = ready_server(0);

    server_expect(server, "RCPT TO:<bob@hamburger.edu>\r\n",
                  "503 5.5.1 Error: need MAIL command\r\n");
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_READY);
    server_expect_code(server, "DATA\r\n", "503");
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_READY);
}

static void test_server_data_without_rcpt(void)
{
    g_autoptr(MsSmtpServer) server = ready_server(0);

    server_expect_code(server, "MAIL FROM:<alice@crepes.fr>\r\n", "250");
    /* RFC 5321 3.3: no RCPT at all -> 503, state unchanged. */
    server_expect(server, "DATA\r\n", "503 5.5.1 Error: need RCPT command\r\n");
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_MAIL);
}

static guint reject_nobody(const char *address, gpointer user_data, char **text_out)
{
    guint *calls = user_data;

    if (calls != NULL)
        (*calls)++;
    (void) text_out;
    if (g_str_has_prefix(address, "nobody@"))
        return 550;
    if (g_str_has_prefix(address, "busy@"))
        return 450;
    return 250;
}

static MsSmtpServer *policy_server(guint *calls, guint max_recipients)
{
    MsSmtpServerConfig config;

    ms_smtp_server_config_init(&config, "hamburger.edu");
    config.check_rcpt = reject_nobody;
    config.user_data = calls;
    config.max_recipients = max_recipients;
    MsSmtpServer *server = ms_smtp_server_new(&config, "crepes.fr");

    ms_smtp_server_start(server);
    server_feed_str(server, "EHLO crepes.fr\r\n");
    g_free(server_take(server));
    return server;
}

static void test_server_data_no_valid_rcpt(void)
{
    guint calls = 0;
    g_autoptr(MsSmtpServer) server = policy_server(&calls, 0);

    server_expect_code(server, "MAIL FROM:<alice@crepes.fr>\r\n", "250");
    server_expect(server, "RCPT TO:<nobody@hamburger.edu>\r\n",
                  "550 5.1.1 <nobody@hamburger.edu>: Recipient address rejected: "
                  "User unknown\r\n");
    CU_ASSERT_EQUAL(calls, 1);
    /* RFC 5321 3.3: RCPTs given but all refused -> 554 "no valid recipients". */
    server_expect(server, "DATA\r\n", "554 5.5.1 Error: no valid recipients\r\n");
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_MAIL);
}

static void test_server_nested_mail(void)
{
    g_autoptr(MsSmtpServer) server = ready_server(0);

    server_expect_code(server, "MAIL FROM:<alice@crepes.fr>\r\n", "250");
    server_expect(server, "MAIL FROM:<eve@crepes.fr>\r\n",
                  "503 5.5.1 Error: nested MAIL command\r\n");
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_MAIL);
}

static void test_server_unknown_command(void)
{
    g_autoptr(MsSmtpServer) server = ready_server(0);

    server_expect(server, "XYZZY\r\n", "500 5.5.2 Error: command not recognized\r\n");
    server_expect_code(server, "\r\n", "500");
    server_expect_code(server, "MAILFROM:<a@b.c>\r\n", "500");
    server_expect(server, "EXPN staff\r\n", "502 5.5.1 Error: command not implemented\r\n");
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_READY);
}

static void test_server_syntax_errors(void)
{
    g_autoptr(MsSmtpServer) server = new_server(NULL, 0);

    server_expect(server, "HELO\r\n", "501 5.5.4 Syntax: HELO hostname\r\n");
    server_expect_code(server, "EHLO two words\r\n", "501");
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_CONNECTED);
    server_expect_code(server, "EHLO crepes.fr\r\n", "250");
    server_expect(server, "MAIL alice@crepes.fr\r\n", "501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
    server_expect_code(server, "MAIL FROM:alice@crepes.fr\r\n", "501");
    /* The keyword is compared case-blind and whole: shorter is wrong. */
    server_expect_code(server, "MAIL FRO\r\n", "501");
    server_expect_code(server, "MAIL TO:<alice@crepes.fr>\r\n", "501");
    server_expect_code(server, "MAIL FROM:<alice@crepes.fr\r\n", "501");
    server_expect(server, "MAIL FROM:<alice>\r\n",
                  "501 5.1.7 <alice>: Bad sender address syntax\r\n");
    server_expect_code(server, "MAIL FROM:<alice@-crepes.fr>\r\n", "501");
    server_expect_code(server, "MAIL FROM:<al ice@crepes.fr>\r\n", "501");
    server_expect_code(server, "MAIL FROM:<alice@crepes.fr>junk\r\n", "501");
    server_expect(server, "RSET now\r\n", "501 5.5.4 Syntax: RSET takes no arguments\r\n");
    server_expect_code(server, "VRFY\r\n", "501");
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_READY);
    server_expect_code(server, "MAIL FROM:<alice@crepes.fr>\r\n", "250");
    server_expect(server, "RCPT TO:<>\r\n", "501 5.1.3 <>: Bad recipient address syntax\r\n");
    server_expect_code(server, "RCPT T\r\n", "501");
    server_expect_code(server, "rcpt to:<bob@hamburger.edu>\r\n", "250");
    server_expect_code(server, "DATA now\r\n", "501");
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_RCPT);
}

/* ms_smtp_parse_path() on its own: the forms a path may take, and the
 * mailboxes it refuses, octet class by octet class. */
static void test_server_parse_path_direct(void)
{
    char path[MS_SMTP_PATH_MAX];
    const char *rest = NULL;
    static const struct {
        const char *args;
        gboolean allow_null;
        MsSmtpPathStatus status;
        const char *path;
        const char *rest;
    } cases[] = {
        { "<a@b.c> SIZE=1", TRUE, MS_SMTP_PATH_OK, "a@b.c", " SIZE=1" },
        { "<>", TRUE, MS_SMTP_PATH_OK, "", "" },
        { "<>", FALSE, MS_SMTP_PATH_BAD_ADDRESS, "", "" },
        { "<postMASTER>", FALSE, MS_SMTP_PATH_OK, "postMASTER", "" },
        { "<postmaster>", TRUE, MS_SMTP_PATH_BAD_ADDRESS, "postmaster", "" },
        { "<postmaste>", FALSE, MS_SMTP_PATH_BAD_ADDRESS, "postmaste", "" },
        { "<postmasters>", FALSE, MS_SMTP_PATH_BAD_ADDRESS, "postmasters", "" },
        { "<@r.fr:postmaster>", FALSE, MS_SMTP_PATH_BAD_ADDRESS, "postmaster", "" },
        { "<@r.fr,@s.fr:a@b>", FALSE, MS_SMTP_PATH_OK, "a@b", "" },
        { "<@r.fr a@b>", FALSE, MS_SMTP_PATH_BAD_ADDRESS, "@r.fr a@b", "" },
        { "<\"a>b\"@c>x", FALSE, MS_SMTP_PATH_OK, "\"a>b\"@c", "x" },
        { "<\"a\\\"b\"@c>", FALSE, MS_SMTP_PATH_OK, "\"a\\\"b\"@c", "" },
        { "<\"ab@c>", FALSE, MS_SMTP_PATH_BAD_ADDRESS, "\"ab@c", "" },
        /* RFC 5321 4.1.2, RFC 5322 3.4.1: a quoted local part that is a
         * dot-atom is that dot-atom; one that needs its quotes keeps them. */
        { "<\"bob\"@hamburger.edu>", FALSE, MS_SMTP_PATH_OK, "bob@hamburger.edu", "" },
        { "<\"b\\ob\"@c> x", FALSE, MS_SMTP_PATH_OK, "bob@c", " x" },
        { "<\"a.b\"@c>", TRUE, MS_SMTP_PATH_OK, "a.b@c", "" },
        { "<@r.fr:\"bob\"@c>", FALSE, MS_SMTP_PATH_OK, "bob@c", "" },
        { "<\"a..b\"@c>", FALSE, MS_SMTP_PATH_OK, "\"a..b\"@c", "" },
        { "<\".a\"@c>", FALSE, MS_SMTP_PATH_OK, "\".a\"@c", "" },
        { "<\"\"@c>", FALSE, MS_SMTP_PATH_OK, "\"\"@c", "" },
        { "<\"bob smith\"@c>", FALSE, MS_SMTP_PATH_OK, "\"bob smith\"@c", "" },
        { "<!#$%&'*+-/=?^_`{|}~@c>", FALSE, MS_SMTP_PATH_OK, "!#$%&'*+-/=?^_`{|}~@c", "" },
        { "<a.b.c@d>", FALSE, MS_SMTP_PATH_OK, "a.b.c@d", "" },
        { "<a..b@d>", FALSE, MS_SMTP_PATH_BAD_ADDRESS, "a..b@d", "" },
        { "<a(b@d>", FALSE, MS_SMTP_PATH_BAD_ADDRESS, "a(b@d", "" },
        { "<a,b@d>", FALSE, MS_SMTP_PATH_BAD_ADDRESS, "a,b@d", "" },
        { "<a\x80@d>", FALSE, MS_SMTP_PATH_BAD_ADDRESS, "a\x80@d", "" },
        { "<a@-d>", FALSE, MS_SMTP_PATH_BAD_ADDRESS, "a@-d", "" },
        { "<a@d_e>", FALSE, MS_SMTP_PATH_BAD_ADDRESS, "a@d_e", "" },
        { "a@b", FALSE, MS_SMTP_PATH_SYNTAX, "", NULL },
        { "<a@b", FALSE, MS_SMTP_PATH_SYNTAX, "", NULL },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        MsSmtpPathStatus status = ms_smtp_parse_path(cases[i].args, cases[i].allow_null, path,
                                                     &rest);

        if (status != cases[i].status)
            g_printerr("\n  %s: status %d, expected %d", cases[i].args, status,
                       cases[i].status);
        CU_ASSERT_EQUAL(status, cases[i].status);
        MS_ASSERT_STR(path, cases[i].path);
        if (cases[i].rest == NULL) {
            CU_ASSERT_PTR_NULL(rest);
        } else {
            MS_ASSERT_STR(rest, cases[i].rest);
        }
    }
}

static void test_server_path_forms(void)
{
    g_autoptr(MsSmtpServer) server = ready_server(0);

    /* RFC 5321 4.1.1.3: a source route is accepted and ignored;
     * 4.5.1: <Postmaster> needs no domain; quoted local parts are fine. */
    server_expect_code(server, "MAIL FROM:<@relay.fr:alice@crepes.fr>\r\n", "250");
    server_expect_code(server, "RCPT TO:<Postmaster>\r\n", "250");
    server_expect_code(server, "RCPT TO:<\"bob smith\"@hamburger.edu>\r\n", "250");
    server_expect_code(server, "RCPT TO:<\"bob\"@hamburger.edu>\r\n", "250");
    server_expect_code(server, "RCPT TO:<bob@[192.0.2.1]>\r\n", "250");
    server_expect_code(server, "DATA\r\n", "354");
    server_expect_code(server, "Hi\r\n.\r\n", "250");
    MsSmtpEvent *event = NULL;

    CU_ASSERT_EQUAL(server_events(server, MS_SMTP_EVENT_MESSAGE, &event), 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(event);
    MS_ASSERT_STR(event->reverse_path, "alice@crepes.fr");
    CU_ASSERT_EQUAL_FATAL(event->recipients->len, 4);
    MS_ASSERT_STR(event->recipients->pdata[0], "Postmaster");
    MS_ASSERT_STR(event->recipients->pdata[1], "\"bob smith\"@hamburger.edu");
    /* The same mailbox as <bob@hamburger.edu> (RFC 5322 3.4.1). */
    MS_ASSERT_STR(event->recipients->pdata[2], "bob@hamburger.edu");
    ms_smtp_event_free(event);

    /* RFC 5321 4.5.3.1.3: a path is at most 256 octets. */
    g_autofree char *local = g_strnfill(60, 'a');
    g_autofree char *domain = g_strnfill(200, 'b');
    g_autofree char *cmd = g_strdup_printf("MAIL FROM:<%s@%s.fr>\r\n", local, domain);

    server_expect(server, cmd, "501 5.5.4 Error: path too long\r\n");
}

/* A MESSAGE event's names, sender and recipients are kept in its data's
 * block: a refused recipient and an abandoned transaction leave nothing in
 * them, and they stay valid as long as a reference to data does, past the
 * event itself and the server. */
static void test_server_message_strings_in_data(void)
{
    guint calls = 0;
    MsSmtpServer *server = policy_server(&calls, 0);
    MsSmtpEvent event;

    server_feed_str(server, "MAIL FROM:<eve@crepes.fr>\r\nRCPT TO:<carol@hamburger.edu>\r\n"
                            "RSET\r\nMAIL FROM:<alice@crepes.fr>\r\n"
                            "RCPT TO:<nobody@hamburger.edu>\r\nRCPT TO:<bob@hamburger.edu>\r\n"
                            "RCPT TO:<busy@hamburger.edu>\r\nRCPT TO:<dan@hamburger.edu>\r\n"
                            "DATA\r\nHi\r\n.\r\n");
    g_free(server_take(server));
    CU_ASSERT_EQUAL(calls, 5);
    CU_ASSERT_FATAL(ms_smtp_server_pop_event(server, &event));
    CU_ASSERT_EQUAL_FATAL(event.kind, MS_SMTP_EVENT_MESSAGE);
    ms_smtp_server_free(server);

    GBytes *data = g_bytes_ref(event.data);
    const char *helo = event.helo_name;
    const char *peer = event.peer_name;
    const char *sender = event.reverse_path;
    GPtrArray *rcpts = g_ptr_array_ref(event.recipients);

    ms_smtp_event_clear(&event);
    MS_ASSERT_STR(helo, "crepes.fr");
    MS_ASSERT_STR(peer, "crepes.fr");
    MS_ASSERT_STR(sender, "alice@crepes.fr");
    CU_ASSERT_EQUAL_FATAL(rcpts->len, 2);
    MS_ASSERT_STR(rcpts->pdata[0], "bob@hamburger.edu");
    MS_ASSERT_STR(rcpts->pdata[1], "dan@hamburger.edu");
    CU_ASSERT(bytes_equal(data, "Hi\r\n"));
    g_ptr_array_unref(rcpts);
    g_bytes_unref(data);
}

/* Pops the server's next event, which must be a MESSAGE from the client
 * named helo, with this sender, these recipients (NULL-terminated) and
 * this text; clears it. */
static void expect_message(MsSmtpServer *server, const char *helo, const char *reverse_path,
                           const char *const *recipients, const char *data)
{
    MsSmtpEvent event;
    CU_ASSERT_FATAL(ms_smtp_server_pop_event(server, &event));
    CU_ASSERT_EQUAL_FATAL(event.kind, MS_SMTP_EVENT_MESSAGE);
    MS_ASSERT_STR(event.helo_name, helo);
    MS_ASSERT_STR(event.reverse_path, reverse_path);
    guint n = g_strv_length((char **) recipients);
    CU_ASSERT_EQUAL_FATAL(event.recipients->len, n);
    for (guint i = 0; i < n; i++)
        MS_ASSERT_STR(event.recipients->pdata[i], recipients[i]);
    CU_ASSERT(bytes_equal(event.data, data));
    ms_smtp_event_clear(&event);
    CU_ASSERT_PTR_NULL(event.recipients);
}

/* The HELO name and the transaction's paths share the session's buffer:
 * an EHLO in the middle of a transaction resets it (RFC 5321 4.1.4) and
 * its longer name replaces the first, before the next sender and
 * recipients. */
static void test_server_names_after_second_ehlo(void)
{
    g_autoptr(MsSmtpServer) server = ready_server(0);

    server_feed_str(server, "MAIL FROM:<eve@crepes.fr>\r\nRCPT TO:<carol@hamburger.edu>\r\n"
                            "EHLO a-much-longer-name.crepes.fr\r\n"
                            "RCPT TO:<bob@hamburger.edu>\r\n"
                            "MAIL FROM:<alice@crepes.fr>\r\nRCPT TO:<bob@hamburger.edu>\r\n"
                            "RCPT TO:<dan@hamburger.edu>\r\nDATA\r\nHi\r\n.\r\n"
                            "HELO x\r\nMAIL FROM:<>\r\nRCPT TO:<postmaster>\r\n"
                            "DATA\r\nHo\r\n.\r\n");
    g_autofree char *out = server_take(server);

    /* The RCPT between the EHLO and the MAIL has no transaction. */
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "503 5.5.1 Error: need MAIL command"));
    const char *first[] = { "bob@hamburger.edu", "dan@hamburger.edu", NULL };
    expect_message(server, "a-much-longer-name.crepes.fr", "alice@crepes.fr", first, "Hi\r\n");
    const char *second[] = { "postmaster", NULL };
    expect_message(server, "x", "", second, "Ho\r\n");
}

/* Two transactions in one feed: each MESSAGE event, popped into the
 * caller's own storage, keeps its own sender and recipients, though the
 * second transaction began before the first event was read. */
static void test_server_pop_event(void)
{
    g_autoptr(MsSmtpServer) server = ready_server(0);
    MsSmtpEvent event;

    server_feed_str(server, "MAIL FROM:<alice@crepes.fr>\r\nRCPT TO:<bob@hamburger.edu>\r\n"
                            "DATA\r\none\r\n.\r\nMAIL FROM:<>\r\n"
                            "RCPT TO:<carol@hamburger.edu>\r\nRCPT TO:<dan@hamburger.edu>\r\n"
                            "DATA\r\n..two\r\n.\r\nQUIT\r\n");
    g_free(server_take(server));
    const char *first[] = { "bob@hamburger.edu", NULL };
    expect_message(server, "crepes.fr", "alice@crepes.fr", first, "one\r\n");
    const char *second[] = { "carol@hamburger.edu", "dan@hamburger.edu", NULL };
    expect_message(server, "crepes.fr", "", second, ".two\r\n");
    CU_ASSERT_FATAL(ms_smtp_server_pop_event(server, &event));
    CU_ASSERT_EQUAL(event.kind, MS_SMTP_EVENT_CLOSE);
    CU_ASSERT_EQUAL(event.code, 221);
    ms_smtp_event_clear(&event);
    CU_ASSERT_FALSE(ms_smtp_server_pop_event(server, &event));
    CU_ASSERT_EQUAL(event.kind, 0);
    CU_ASSERT_PTR_NULL(event.text);
}

static void test_server_null_reverse_path(void)
{
    g_autoptr(MsSmtpServer) server = ready_server(0);

    /* RFC 5321 4.5.5: bounces have the null reverse path. */
    server_expect(server, "MAIL FROM:<>\r\n", "250 2.1.0 Ok\r\n");
    server_expect_code(server, "RCPT TO:<alice@crepes.fr>\r\nDATA\r\n", "250");
    server_expect_code(server, "Subject: bounce\r\n.\r\n", "250");
    MsSmtpEvent *event = NULL;

    CU_ASSERT_EQUAL(server_events(server, MS_SMTP_EVENT_MESSAGE, &event), 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(event);
    MS_ASSERT_STR(event->reverse_path, "");
    ms_smtp_event_free(event);
}

static void test_server_command_line_too_long(void)
{
    g_autoptr(MsSmtpServer) server = ready_server(0);
    /* RFC 5321 4.5.3.1.4: 512 octets with the CRLF is allowed... */
    g_autofree char *pad_ok = g_strnfill(510 - 5, 'x');
    g_autofree char *ok = g_strdup_printf("NOOP %s\r\n", pad_ok);
    /* ...513 is not. */
    g_autofree char *pad_long = g_strnfill(511 - 5, 'x');
    g_autofree char *too_long = g_strdup_printf("NOOP %s\r\n", pad_long);

    CU_ASSERT_EQUAL(strlen(ok), 512);
    server_expect(server, ok, "250 2.0.0 Ok\r\n");
    server_expect(server, too_long,
                  "500 5.5.2 Error: line too long, a command line is limited to 512 octets"
                  " (RFC 5321 4.5.3.1.4)\r\n");
    MsSmtpEvent *event = NULL;

    CU_ASSERT_EQUAL(server_events(server, MS_SMTP_EVENT_PROTOCOL_ERROR, &event), 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(event);
    MS_ASSERT_STR(event->note, "smtp.reply.500.line-too-long");
    CU_ASSERT_EQUAL(event->code, 500);
    ms_smtp_event_free(event);
    /* The next line is read normally. */
    server_expect(server, "NOOP\r\n", "250 2.0.0 Ok\r\n");
}

/* Postfix-like: after MS_PROTO_MAX_ERRORS protocol errors the server
 * answers 421 and closes (RFC 5321 3.8, 4.3.2); refused recipients and
 * good commands in between do not count, and nothing is read after. */
static void test_server_too_many_errors(void)
{
    g_autoptr(MsSmtpServer) server = ready_server(0);
    MsSmtpEvent *event = NULL;

    for (guint i = 0; i + 1 < MS_PROTO_MAX_ERRORS; i++) {
        if (i % 2 == 0)
            server_expect_code(server, "BOGUS\r\n", "500");
        else
            server_expect_code(server, "DATA\r\n", "503");
        server_expect_code(server, "NOOP\r\n", "250");
    }
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_READY);
    CU_ASSERT_EQUAL(server_events(server, MS_SMTP_EVENT_CLOSE, NULL), 0);
    /* The 20th error: its own reply, then 421 at once. */
    server_expect(server, "MAIL FROM:bad\r\nNOOP\r\n",
                  "501 5.5.4 Syntax: MAIL FROM:<address>\r\n"
                  "421 4.7.0 hamburger.edu Error: too many errors\r\n");
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_CLOSED);
    CU_ASSERT_EQUAL(server_events(server, MS_SMTP_EVENT_CLOSE, &event), 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(event);
    CU_ASSERT_EQUAL(event->code, 421);
    MS_ASSERT_STR(event->note, "smtp.reply.421.too-many-errors");
    /* A wording with the host filled in: the event's own copy. */
    MS_ASSERT_STR(event->text, "4.7.0 hamburger.edu Error: too many errors");
    ms_smtp_event_free(event);
    server_expect(server, "NOOP\r\n", "");
}

/* A refused recipient is an answer, not the client's error. */
static void test_server_refusals_are_not_errors(void)
{
    g_autoptr(MsSmtpServer) server = ready_server(10);

    for (guint i = 0; i < MS_PROTO_MAX_ERRORS + 5; i++)
        server_expect_code(server, "MAIL FROM:<a@crepes.fr> SIZE=100\r\n", "552");
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_READY);
}

static void test_server_bare_lf_command(void)
{
    g_autoptr(MsSmtpServer) server = new_server(NULL, 0);

    /* RFC 5321 2.3.8: the command is refused, not executed. */
    server_expect(server, "HELO crepes.fr\n",
                  "500 5.5.2 Error: bare LF not allowed, lines must end with CRLF"
                  " (RFC 5321 2.3.8)\r\n");
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_CONNECTED);
    MsSmtpEvent *event = NULL;

    CU_ASSERT_EQUAL(server_events(server, MS_SMTP_EVENT_PROTOCOL_ERROR, &event), 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(event);
    MS_ASSERT_STR(event->note, "smtp.reply.500.bare-lf");
    ms_smtp_event_free(event);

    g_autoptr(GPtrArray) lines = NULL;

    server_feed_str(server, "HELO crepes.fr\rNOOP\r\n");
    lines = ms_smtp_server_take_output(server);
    CU_ASSERT_EQUAL_FATAL(lines->len, 2);
    MS_ASSERT_STR(((MsProtoLine *) lines->pdata[0])->note, "smtp.reply.500.bare-cr");
    MS_ASSERT_STR(((MsProtoLine *) lines->pdata[1])->text, "250 2.0.0 Ok");
}

/* Runs MAIL / RCPT / DATA with `mail_args` after the path and returns the
 * reply to the end of the text. */
static char *send_text(MsSmtpServer *server, const char *mail_args, const char *text)
{
    g_autofree char *mail = g_strdup_printf("MAIL FROM:<alice@crepes.fr>%s\r\n", mail_args);

    ms_smtp_server_feed(server, mail, strlen(mail));
    server_feed_str(server, "RCPT TO:<bob@hamburger.edu>\r\nDATA\r\n");
    g_free(server_take(server));
    ms_smtp_server_feed(server, text, strlen(text));
    return server_take(server);
}

static void test_server_8bit_refused(void)
{
    g_autoptr(MsSmtpServer) server = ready_server(0);
    g_autofree char *reply = send_text(server, "", "Subject: caf\xc3\xa9\r\n\r\nhi\r\n.\r\n");

    /* RFC 5321 2.4 / RFC 6152: 8-bit text needs BODY=8BITMIME. */
    MS_ASSERT_STR(reply, "554 5.6.1 Message rejected: message must be 7-bit ASCII unless"
                         " BODY=8BITMIME was negotiated (RFC 5321 2.4, RFC 6152)\r\n");
    CU_ASSERT_EQUAL(server_events(server, MS_SMTP_EVENT_MESSAGE, NULL), 0);
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_READY);
}

static void test_server_8bit_accepted(void)
{
    g_autoptr(MsSmtpServer) server = ready_server(0);
    g_autofree char *reply =
        send_text(server, " BODY=8BITMIME", "Subject: caf\xc3\xa9\r\n\r\nhi\r\n.\r\n");

    MS_ASSERT_STR(reply, "250 2.0.0 Ok: queued\r\n");
    MsSmtpEvent *event = NULL;

    CU_ASSERT_EQUAL(server_events(server, MS_SMTP_EVENT_MESSAGE, &event), 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(event);
    CU_ASSERT(event->body_8bitmime);
    CU_ASSERT(bytes_equal(event->data, "Subject: caf\xc3\xa9\r\n\r\nhi\r\n"));
    ms_smtp_event_free(event);
}

/* RFC 2045 2.7, 2.8: no message text holds a NUL, 7-bit or 8-bit; the
 * server refuses the message after its "." with 554 5.6.0, BODY=8BITMIME
 * or not, wherever the NUL is in its line (the scan reads words, then
 * octets). */
static void test_server_nul_refused(void)
{
    static const char *const bodies[] = { " BODY=8BITMIME", "" };
    for (gsize b = 0; b < G_N_ELEMENTS(bodies); b++) {
        /* each octet of the 19 between the header's end and the CRLF */
        for (gsize at = 0; at < 19; at++) {
            g_autoptr(MsSmtpServer) server = ready_server(0);
            g_autofree char *mail =
                g_strdup_printf("MAIL FROM:<alice@crepes.fr>%s\r\n", bodies[b]);
            server_feed_str(server, mail);
            server_feed_str(server, "RCPT TO:<bob@hamburger.edu>\r\nDATA\r\n");
            g_free(server_take(server));
            char line[] = "Subject: x\r\n\r\n8bit \xc3\xa9 and so on..\r\n.\r\n";
            line[14 + at] = '\0';
            ms_smtp_server_feed(server, line, sizeof line - 1);
            g_autofree char *reply = server_take(server);
            MS_ASSERT_STR(reply, "554 5.6.0 Message rejected: NUL octet in message text, not"
                                 " allowed even with BODY=8BITMIME (RFC 2045 2.8, RFC 6152 3)"
                                 "\r\n");
            CU_ASSERT_EQUAL(server_events(server, MS_SMTP_EVENT_MESSAGE, NULL), 0);
            CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_READY);
        }
    }
    /* The next transaction is judged afresh. */
    g_autoptr(MsSmtpServer) server = ready_server(0);
    g_autofree char *first = NULL;
    server_feed_str(server, "MAIL FROM:<alice@crepes.fr>\r\nRCPT TO:<bob@hamburger.edu>\r\n"
                            "DATA\r\n");
    g_free(server_take(server));
    ms_smtp_server_feed(server, "a\0b\r\n.\r\n", 8);
    first = server_take(server);
    CU_ASSERT_TRUE(g_str_has_prefix(first, "554 5.6.0 "));
    g_autofree char *second = send_text(server, "", "Subject: ok\r\n\r\nhi\r\n.\r\n");
    MS_ASSERT_STR(second, "250 2.0.0 Ok: queued\r\n");
}

static void test_server_8bit_after_helo(void)
{
    g_autoptr(MsSmtpServer) server = new_server(NULL, 0);

    server_expect_code(server, "HELO crepes.fr\r\n", "250");
    /* RFC 5321 4.1.1.11: no extension parameters without EHLO. */
    server_expect(server, "MAIL FROM:<alice@crepes.fr> BODY=8BITMIME\r\n",
                  "555 5.5.4 Unsupported option: BODY=8BITMIME\r\n");
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_READY);
    g_autofree char *reply = send_text(server, "", "caf\xc3\xa9\r\n.\r\n");

    CU_ASSERT(g_str_has_prefix(reply, "554 5.6.1"));
}

static void test_server_size_declared(void)
{
    g_autoptr(MsSmtpServer) server = ready_server(100);

    /* RFC 1870 6.1: declared size over the limit -> 552 at MAIL. */
    server_expect(server, "MAIL FROM:<alice@crepes.fr> SIZE=101\r\n",
                  "552 5.3.4 Message size exceeds fixed limit of 100 octets\r\n");
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_READY);
    server_expect(server, "MAIL FROM:<alice@crepes.fr> SIZE=abc\r\n",
                  "501 5.5.4 Bad parameter value: SIZE=abc\r\n");
    server_expect_code(server, "MAIL FROM:<alice@crepes.fr> XFOO=1\r\n", "555");
    server_expect_code(server, "MAIL FROM:<alice@crepes.fr> size=100\r\n", "250");
}

static void test_server_size_actual(void)
{
    g_autoptr(MsSmtpServer) server = ready_server(20);
    /* Two lines of 10 octets + CRLF = 24 > 20, although SIZE said 10. */
    g_autofree char *reply = send_text(server, " SIZE=10", "0123456789\r\n0123456789\r\n.\r\n");

    MS_ASSERT_STR(reply, "552 5.3.4 Error: message too big (limit 20 octets)\r\n");
    CU_ASSERT_EQUAL(server_events(server, MS_SMTP_EVENT_MESSAGE, NULL), 0);

    /* 18 octets fit. */
    g_autofree char *ok = send_text(server, "", "0123456789\r\n0123\r\n.\r\n");

    MS_ASSERT_STR(ok, "250 2.0.0 Ok: queued\r\n");
}

static void test_server_multi_rcpt(void)
{
    guint calls = 0;
    g_autoptr(MsSmtpServer) server = policy_server(&calls, 0);

    server_expect_code(server, "MAIL FROM:<alice@crepes.fr>\r\n", "250");
    server_expect(server, "RCPT TO:<bob@hamburger.edu>\r\n", "250 2.1.5 Ok\r\n");
    server_expect_code(server, "RCPT TO:<nobody@hamburger.edu>\r\n", "550");
    server_expect(server, "RCPT TO:<busy@hamburger.edu>\r\n",
                  "450 4.2.1 <busy@hamburger.edu>: Mailbox unavailable, try again later\r\n");
    server_expect_code(server, "RCPT TO:<carol@hamburger.edu>\r\n", "250");
    CU_ASSERT_EQUAL(calls, 4);
    server_expect_code(server, "DATA\r\n", "354");
    server_expect_code(server, "Hello\r\n.\r\n", "250");
    MsSmtpEvent *event = NULL;

    CU_ASSERT_EQUAL(server_events(server, MS_SMTP_EVENT_MESSAGE, &event), 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(event);
    CU_ASSERT_EQUAL_FATAL(event->recipients->len, 2);
    MS_ASSERT_STR(event->recipients->pdata[0], "bob@hamburger.edu");
    MS_ASSERT_STR(event->recipients->pdata[1], "carol@hamburger.edu");
    MS_ASSERT_STR(event->helo_name, "crepes.fr");
    MS_ASSERT_STR(event->peer_name, "crepes.fr");
    ms_smtp_event_free(event);
}

static guint policy_with_text(const char *address, gpointer user_data, char **text_out)
{
    (void) user_data;
    *text_out = g_strdup_printf("5.2.2 <%s>: Mailbox full, sorry", address);
    return 552;
}

static void test_server_rcpt_policy_text(void)
{
    MsSmtpServerConfig config;

    ms_smtp_server_config_init(&config, "hamburger.edu");
    config.check_rcpt = policy_with_text;
    g_autoptr(MsSmtpServer) server = ms_smtp_server_new(&config, NULL);

    ms_smtp_server_start(server);
    server_feed_str(server, "EHLO a.b\r\nMAIL FROM:<a@b.c>\r\n");
    g_free(server_take(server));
    g_autoptr(GPtrArray) lines = NULL;

    server_feed_str(server, "RCPT TO:<bob@hamburger.edu>\r\n");
    lines = ms_smtp_server_take_output(server);
    CU_ASSERT_EQUAL_FATAL(lines->len, 1);
    MS_ASSERT_STR(((MsProtoLine *) lines->pdata[0])->text,
                  "552 5.2.2 <bob@hamburger.edu>: Mailbox full, sorry");
    MS_ASSERT_STR(((MsProtoLine *) lines->pdata[0])->note, "smtp.reply.552");
}

static void test_server_too_many_rcpts(void)
{
    guint calls = 0;
    g_autoptr(MsSmtpServer) server = policy_server(&calls, 2);

    server_expect_code(server, "MAIL FROM:<alice@crepes.fr>\r\n", "250");
    server_expect_code(server, "RCPT TO:<a@hamburger.edu>\r\n", "250");
    server_expect_code(server, "RCPT TO:<b@hamburger.edu>\r\n", "250");
    /* RFC 5321 4.5.3.1.10: 452 past the limit, and the policy is not asked. */
    server_expect(server, "RCPT TO:<c@hamburger.edu>\r\n",
                  "452 4.5.3 Error: too many recipients\r\n");
    CU_ASSERT_EQUAL(calls, 2);
}

static void test_server_default_limit_100(void)
{
    g_autoptr(MsSmtpServer) server = ready_server(0);

    server_expect_code(server, "MAIL FROM:<alice@crepes.fr>\r\n", "250");
    for (int i = 0; i < 100; i++) {
        g_autofree char *cmd = g_strdup_printf("RCPT TO:<u%d@hamburger.edu>\r\n", i);

        server_expect_code(server, cmd, "250");
    }
    server_expect_code(server, "RCPT TO:<u100@hamburger.edu>\r\n", "452");
}

static void test_server_dot_unstuffing(void)
{
    g_autoptr(MsSmtpServer) server = ready_server(0);
    /* RFC 5321 4.5.2: the client doubled leading dots; the server removes
     * one.  "..." arrives as "..", "." alone would end the text. */
    g_autofree char *reply = send_text(server, "", "..hidden\r\n...\r\nend.\r\n.\r\n");

    MS_ASSERT_STR(reply, "250 2.0.0 Ok: queued\r\n");
    MsSmtpEvent *event = NULL;

    CU_ASSERT_EQUAL(server_events(server, MS_SMTP_EVENT_MESSAGE, &event), 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(event);
    CU_ASSERT(bytes_equal(event->data, ".hidden\r\n..\r\nend.\r\n"));
    ms_smtp_event_free(event);
}

/* The refusal of a text with a bare LF, and the 421 that closes. */
#define BARE_LF_REFUSAL                                                              \
    "554 5.6.0 Message rejected: bare LF in message text, lines must end with CRLF" \
    " (RFC 5321 2.3.8)\r\n"
#define BARE_LINE_END_CLOSE                                                          \
    "421 4.5.0 hamburger.edu Error: bare LF or CR in message text, its end is"       \
    " uncertain; closing transmission channel\r\n"

static void test_server_bare_lf_in_data(void)
{
    g_autoptr(MsSmtpServer) server = ready_server(0);
    g_autofree char *reply = send_text(server, "", "line one\nline two\r\n.\r\n");

    /* RFC 5321 2.3.8: refused at the end of the text; RFC 5321 3.8: then
     * 421 and the session closes (see the next test for why). */
    MS_ASSERT_STR(reply, BARE_LF_REFUSAL BARE_LINE_END_CLOSE);
    MsSmtpEvent *event = NULL;

    CU_ASSERT_EQUAL(server_events(server, MS_SMTP_EVENT_PROTOCOL_ERROR, &event), 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(event);
    MS_ASSERT_STR(event->note, "smtp.reply.554.bare-lf");
    ms_smtp_event_free(event);
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_CLOSED);

    /* A client that uses LF throughout still gets its answer, not a hang. */
    g_autoptr(MsSmtpServer) careless = ready_server(0);
    g_autofree char *reply2 = send_text(careless, "", "a\nb\n.\n");

    MS_ASSERT_STR(reply2, BARE_LF_REFUSAL BARE_LINE_END_CLOSE);
    CU_ASSERT_EQUAL(server_events(careless, MS_SMTP_EVENT_CLOSE, &event), 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(event);
    CU_ASSERT_EQUAL(event->code, 421);
    MS_ASSERT_STR(event->note, "smtp.reply.421.bare-line-end");
    ms_smtp_event_free(event);

    /* A bare CR closes the same way. */
    g_autoptr(MsSmtpServer) cr = ready_server(0);
    g_autofree char *reply3 = send_text(cr, "", "a\rb\r\n.\r\n");

    CU_ASSERT(g_str_has_prefix(reply3, "554 5.6.0"));
    CU_ASSERT(g_str_has_suffix(reply3, BARE_LINE_END_CLOSE));
    CU_ASSERT_EQUAL(ms_smtp_server_state(cr), MS_SMTP_SERVER_CLOSED);
}

/* SMTP smuggling (CVE-2023-51764): a "." after a bare LF or CR, or ended
 * by one, is not CRLF.CRLF (RFC 5321 4.1.1.4), so to a relay upstream
 * what follows can still be text.  Sent in one write, none of it may be
 * read as a second transaction: no MESSAGE event, nothing answered after
 * the 421. */
static void test_server_bare_lf_no_smuggling(void)
{
    static const char *const ends[] = { "\r\n.\n", "\n.\r\n", "\n.\n", "\r.\r\n" };

    for (gsize i = 0; i < G_N_ELEMENTS(ends); i++) {
        g_autoptr(MsSmtpServer) server = ready_server(0);
        g_autofree char *text = g_strdup_printf(
            "Subject: first\r\n\r\nhello%sMAIL FROM:<mallory@crepes.fr>\r\n"
            "RCPT TO:<bob@hamburger.edu>\r\nDATA\r\nSubject: smuggled\r\n\r\n"
            "trust me\r\n.\r\nQUIT\r\n",
            ends[i]);
        g_autofree char *reply = send_text(server, "", text);

        CU_ASSERT(g_str_has_prefix(reply, "554 5.6.0"));
        CU_ASSERT(g_str_has_suffix(reply, BARE_LINE_END_CLOSE));
        /* Two lines: the refusal and the 421, nothing for the rest. */
        CU_ASSERT_PTR_NOT_NULL(strstr(reply, "\r\n421 "));
        CU_ASSERT_PTR_NULL(strstr(reply, "250 "));
        CU_ASSERT_PTR_NULL(strstr(reply, "354 "));
        CU_ASSERT_EQUAL(server_events(server, MS_SMTP_EVENT_MESSAGE, NULL), 0);
        CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_CLOSED);
        server_expect(server, "NOOP\r\n", "");
    }
}

static void test_server_data_line_too_long(void)
{
    g_autoptr(MsSmtpServer) server = ready_server(0);
    /* RFC 5321 4.5.3.1.6: 1000 octets with CRLF is the most... */
    g_autofree char *fits = g_strnfill(998, 'a');
    g_autofree char *text_ok = g_strdup_printf("%s\r\n.\r\n", fits);
    g_autofree char *reply_ok = send_text(server, "", text_ok);

    MS_ASSERT_STR(reply_ok, "250 2.0.0 Ok: queued\r\n");
    /* ...1001 gets "500 Line too long" (RFC 5321 4.5.3.1.10) after the ".". */
    g_autofree char *over = g_strnfill(999, 'a');
    g_autofree char *text_long = g_strdup_printf("%s\r\nshort\r\n.\r\n", over);
    g_autofree char *reply = send_text(server, "", text_long);

    MS_ASSERT_STR(reply, "500 5.5.2 Message rejected: line too long, a text line is limited"
                         " to 1000 octets (RFC 5321 4.5.3.1.6)\r\n");
    /* Back to commands, with the 512-octet limit again. */
    server_expect(server, "NOOP\r\n", "250 2.0.0 Ok\r\n");
}

static void test_server_rset_noop_vrfy_help(void)
{
    g_autoptr(MsSmtpServer) server = ready_server(0);

    server_expect_code(server, "MAIL FROM:<alice@crepes.fr>\r\n", "250");
    server_expect_code(server, "RCPT TO:<bob@hamburger.edu>\r\n", "250");
    /* RFC 5321 4.1.1.5: RSET drops the transaction. */
    server_expect(server, "RSET\r\n", "250 2.0.0 Ok\r\n");
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_READY);
    server_expect_code(server, "DATA\r\n", "503");
    server_expect(server, "NOOP anything\r\n", "250 2.0.0 Ok\r\n");
    server_expect(server, "VRFY bob\r\n", "252 2.0.0 Cannot VRFY user, but will accept message"
                                          " and attempt delivery\r\n");
    server_expect_code(server, "HELP\r\n", "214");
    server_expect_code(server, "HELP MAIL\r\n", "214");
}

static void test_server_quit(void)
{
    g_autoptr(MsSmtpServer) server = ready_server(0);
    g_autoptr(GPtrArray) lines = NULL;

    server_expect_code(server, "MAIL FROM:<alice@crepes.fr>\r\n", "250");
    server_feed_str(server, "QUIT\r\nNOOP\r\n");
    lines = ms_smtp_server_take_output(server);
    CU_ASSERT_EQUAL_FATAL(lines->len, 1);
    MS_ASSERT_STR(((MsProtoLine *) lines->pdata[0])->text, "221 2.0.0 Bye");
    MS_ASSERT_STR(((MsProtoLine *) lines->pdata[0])->phase, "smtp.closure");
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_CLOSED);
    MsSmtpEvent *event = NULL;

    CU_ASSERT_EQUAL(server_events(server, MS_SMTP_EVENT_CLOSE, &event), 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(event);
    CU_ASSERT_EQUAL(event->code, 221);
    /* A wording with nothing filled in: the profile's own text. */
    MS_ASSERT_STR(event->text, "2.0.0 Bye");
    ms_smtp_event_free(event);
    /* Nothing more is answered. */
    server_expect(server, "NOOP\r\n", "");
}

static void test_server_refuse(void)
{
    MsSmtpServerConfig config;

    ms_smtp_server_config_init(&config, "hamburger.edu");
    config.refuse = TRUE;
    g_autoptr(MsSmtpServer) server = ms_smtp_server_new(&config, NULL);

    ms_smtp_server_start(server);
    g_autofree char *greeting = server_take(server);

    MS_ASSERT_STR(greeting, "554 5.3.2 hamburger.edu No SMTP service here\r\n");
    /* RFC 5321 3.1: 503 to everything but QUIT. */
    server_expect_code(server, "EHLO crepes.fr\r\n", "503");
    server_expect_code(server, "FOO\r\n", "503");
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_REFUSED);
    server_expect_code(server, "QUIT\r\n", "221");
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_CLOSED);
}

static void test_server_shutdown(void)
{
    g_autoptr(MsSmtpServer) server = ready_server(0);

    ms_smtp_server_shutdown(server);
    g_autofree char *out = server_take(server);

    /* RFC 5321 3.8. */
    MS_ASSERT_STR(out, "421 4.3.2 hamburger.edu Service not available, closing transmission"
                       " channel\r\n");
    MsSmtpEvent event;

    CU_ASSERT_FATAL(ms_smtp_server_pop_event(server, &event));
    CU_ASSERT_EQUAL(event.kind, MS_SMTP_EVENT_CLOSE);
    CU_ASSERT_EQUAL(event.code, 421);
    MS_ASSERT_STR(event.text, "4.3.2 hamburger.edu Service not available, closing"
                              " transmission channel");
    ms_smtp_event_clear(&event);
    CU_ASSERT_FALSE(ms_smtp_server_pop_event(server, &event));
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_CLOSED);
}

static void test_server_pipelined_input(void)
{
    g_autoptr(MsSmtpServer) server = ready_server(0);
    const char *group = "MAIL FROM:<alice@crepes.fr>\r\nRCPT TO:<bob@hamburger.edu>\r\n"
                        "RCPT TO:<carol@hamburger.edu>\r\nDATA\r\n";

    /* RFC 2920 3.1: the replies come in the order of the commands. */
    server_expect(server, group,
                  "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
                  "354 End data with <CR><LF>.<CR><LF>\r\n");
    /* The text split anywhere, even inside the CRLF.CRLF. */
    const char *text = "Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n";

    for (const char *p = text; *p != '\0'; p++)
        ms_smtp_server_feed(server, p, 1);
    g_autofree char *out = server_take(server);

    MS_ASSERT_STR(out, "250 2.0.0 Ok: queued\r\n221 2.0.0 Bye\r\n");
    MsSmtpEvent *event = NULL;

    CU_ASSERT_EQUAL(server_events(server, MS_SMTP_EVENT_MESSAGE, &event), 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(event);
    CU_ASSERT(bytes_equal(event->data, "Subject: x\r\n\r\nbody\r\n"));
    ms_smtp_event_free(event);
}

/* A reply whose text is longer than a reply line may be (the textbook's
 * EHLO reply repeats a HELO name near the longest a command allows) is
 * still sent whole: it is not expanded on the stack but in its line. */
static void test_server_long_expansion(void)
{
    g_autoptr(MsSmtpServer) server = new_server("textbook", 0);
    g_autofree char *name = g_strnfill(MS_SMTP_COMMAND_LINE_MAX - 8, 'a');
    g_autofree char *ehlo = g_strdup_printf("HELO %s\r\n", name);
    g_autofree char *expected = g_strdup_printf("250 Hello %s, pleased to meet you\r\n", name);

    CU_ASSERT(strlen(expected) > MS_SMTP_REPLY_LINE_MAX);
    server_expect(server, ehlo, expected);
}

static void test_server_textbook_dialogue(void)
{
    g_autoptr(MsSmtpServer) server = new_server("textbook", 0);
    MsSmtpServerConfig config;

    ms_smtp_server_config_init(&config, "hamburger.edu");
    config.profile = "textbook";
    g_autoptr(MsSmtpServer) fresh = ms_smtp_server_new(&config, NULL);

    /* Kurose & Ross, section 2.3, word for word. */
    ms_smtp_server_start(fresh);
    g_autofree char *greeting = server_take(fresh);

    MS_ASSERT_STR(greeting, "220 hamburger.edu\r\n");
    server_expect(fresh, "HELO crepes.fr\r\n", "250 Hello crepes.fr, pleased to meet you\r\n");
    server_expect(fresh, "MAIL FROM: <alice@crepes.fr>\r\n",
                  "250 alice@crepes.fr ... Sender ok\r\n");
    server_expect(fresh, "RCPT TO: <bob@hamburger.edu>\r\n",
                  "250 bob@hamburger.edu ... Recipient ok\r\n");
    server_expect(fresh, "DATA\r\n", "354 Enter mail, end with \".\" on a line by itself\r\n");
    server_expect(fresh, "Do you like ketchup?\r\nHow about pickles?\r\n", "");
    server_expect(fresh, ".\r\n", "250 Message accepted for delivery\r\n");
    server_expect(fresh, "QUIT\r\n", "221 hamburger.edu closing connection\r\n");
    /* No enhanced status codes in this profile. */
    server_expect(server, "MAIL FROM:<a@b.c>\r\n", "503 Polite people say HELO first\r\n");
}

static void test_server_unknown_profile(void)
{
    CU_ASSERT(ms_smtp_profile_exists(NULL));
    CU_ASSERT(ms_smtp_profile_exists("default"));
    CU_ASSERT(ms_smtp_profile_exists("textbook"));
    CU_ASSERT_FALSE(ms_smtp_profile_exists("nonsense"));
    /* Names are matched whole, in any case. */
    CU_ASSERT(ms_smtp_profile_exists("TextBook"));
    CU_ASSERT_FALSE(ms_smtp_profile_exists("textboo"));
    CU_ASSERT_FALSE(ms_smtp_profile_exists("textbooks"));
    CU_ASSERT_FALSE(ms_smtp_profile_exists(""));
    g_autoptr(MsSmtpServer) server = new_server("nonsense", 0);

    /* Falls back to the default wording. */
    server_expect(server, "HELO x.y\r\n", "250 hamburger.edu\r\n");
    const char *const *names = ms_smtp_profile_names();

    MS_ASSERT_STR(names[0], "default");
    MS_ASSERT_STR(names[1], "textbook");
    CU_ASSERT_PTR_NULL(names[2]);
}

static void test_server_garbage_never_crashes(void)
{
    g_autoptr(MsSmtpServer) server = ready_server(0);
    /* NULs, control bytes, 8-bit in commands: replies, never a crash. */
    static const char junk[] = "MAIL FROM:<a\0b@c.d>\r\n\x01\x02\r\nRCPT \xff\xfe\r\n";

    ms_smtp_server_feed(server, junk, sizeof junk - 1);
    g_autoptr(GPtrArray) lines = ms_smtp_server_take_output(server);

    CU_ASSERT_EQUAL_FATAL(lines->len, 3);
    CU_ASSERT(g_str_has_prefix(((MsProtoLine *) lines->pdata[0])->text, "501"));
    CU_ASSERT(g_str_has_prefix(((MsProtoLine *) lines->pdata[1])->text, "500"));
    CU_ASSERT(g_str_has_prefix(((MsProtoLine *) lines->pdata[2])->text, "503"));
}

/* RFC 5321 4.1.2: esmtp-param = esmtp-keyword ["=" esmtp-value], the
 * parameters separated by single spaces (an empty one tolerated). */
static void test_server_parse_params(void)
{
    GPtrArray *params = NULL;
    CU_ASSERT(ms_smtp_parse_params("", &params));
    CU_ASSERT_EQUAL(params->len, 0);
    g_ptr_array_unref(params);
    CU_ASSERT(ms_smtp_parse_params("SIZE=100  BODY=8BITMIME X-FLAG ", &params));
    CU_ASSERT_EQUAL(params->len, 3);
    MS_ASSERT_STR(g_ptr_array_index(params, 0), "SIZE=100");
    MS_ASSERT_STR(g_ptr_array_index(params, 1), "BODY=8BITMIME");
    MS_ASSERT_STR(g_ptr_array_index(params, 2), "X-FLAG");
    g_ptr_array_unref(params);
    static const char *const bad[] = { "SIZE=", "=1", "-X", "SI_ZE=1", "SIZE=1=2", "A=b\x01c",
                                       "OK BAD=" };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        params = NULL;
        CU_ASSERT_FALSE(ms_smtp_parse_params(bad[i], &params));
        CU_ASSERT_PTR_NULL(params);
        guint n = 99;
        CU_ASSERT_FALSE(ms_smtp_params_valid(bad[i], &n));
    }
}

/* The parameters read in place: counted, then checked one by one, the
 * offending one copied out whole for the reply. */
static void test_server_params_in_place(void)
{
    guint n = 99;
    char bad[MS_SMTP_COMMAND_LINE_MAX];
    guint64 size = 0;
    gboolean body8 = FALSE;

    CU_ASSERT(ms_smtp_params_valid("", &n));
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT(ms_smtp_params_valid(" SIZE=100  BODY=8BITMIME X-FLAG ", &n));
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_EQUAL(ms_smtp_mail_params(" SIZE=100  body=8bitmime", TRUE, TRUE, &size, &body8,
                                        bad), MS_SMTP_N_REPLIES);
    CU_ASSERT_EQUAL(size, 100);
    CU_ASSERT(body8);
    MS_ASSERT_STR(bad, "");
    CU_ASSERT_EQUAL(ms_smtp_mail_params("SIZE=100 X-FLAG=on BODY=7BIT", TRUE, TRUE, &size,
                                        &body8, bad), MS_SMTP_R_BAD_PARAM);
    MS_ASSERT_STR(bad, "X-FLAG=on");
    CU_ASSERT_EQUAL(ms_smtp_mail_params("BODY=7BIT SIZE=12x", TRUE, TRUE, &size, &body8, bad),
                    MS_SMTP_R_BAD_PARAM_VALUE);
    MS_ASSERT_STR(bad, "SIZE=12x");
    CU_ASSERT_FALSE(body8);
    /* Without SIZE offered (plain HELO, or RCPT), SIZE is refused too. */
    CU_ASSERT_EQUAL(ms_smtp_mail_params("SIZE=1", FALSE, FALSE, &size, &body8, bad),
                    MS_SMTP_R_BAD_PARAM);
    MS_ASSERT_STR(bad, "SIZE=1");
    /* size-value = 1*20DIGIT within 64 bits (RFC 1870 3), read in place. */
    CU_ASSERT_EQUAL(ms_smtp_mail_params("size=18446744073709551615", TRUE, TRUE, &size, &body8,
                                        bad), MS_SMTP_N_REPLIES);
    CU_ASSERT_EQUAL(size, G_MAXUINT64);
    static const char *const bad_sizes[] = { "SIZE=18446744073709551616", "SIZE=",
                                             "SIZE=000000000000000000001", "SIZE=+1",
                                             "SIZE=1 ", "SIZE= 1" };
    for (gsize i = 0; i < G_N_ELEMENTS(bad_sizes); i++) {
        size = 7;
        MsSmtpReplyId id = ms_smtp_mail_params(bad_sizes[i], TRUE, TRUE, &size, &body8, bad);

        if (strchr(bad_sizes[i], ' ') != NULL) {
            /* A space ends the word: "SIZE=1" is fine, "SIZE=" is not. */
            CU_ASSERT_EQUAL(id, bad_sizes[i][5] == ' ' ? MS_SMTP_R_BAD_PARAM_VALUE
                                                       : MS_SMTP_N_REPLIES);
            continue;
        }
        CU_ASSERT_EQUAL(id, MS_SMTP_R_BAD_PARAM_VALUE);
        MS_ASSERT_STR(bad, bad_sizes[i]);
        CU_ASSERT_EQUAL(size, 7);
    }
    CU_ASSERT_EQUAL(ms_smtp_mail_params("SIZE=00000000000000000001", TRUE, TRUE, &size, &body8,
                                        bad), MS_SMTP_N_REPLIES);
    CU_ASSERT_EQUAL(size, 1);
    /* BODY's value is one of two words, in any case, and whole. */
    CU_ASSERT_EQUAL(ms_smtp_mail_params("body=7bit", TRUE, TRUE, &size, &body8, bad),
                    MS_SMTP_N_REPLIES);
    CU_ASSERT_FALSE(body8);
    static const char *const bad_bodies[] = { "BODY=8BITMIMEX", "BODY=8BITMIM", "BODY=7BI",
                                              "BODY=", "BODY=binarymime" };
    for (gsize i = 0; i < G_N_ELEMENTS(bad_bodies); i++) {
        CU_ASSERT_EQUAL(ms_smtp_mail_params(bad_bodies[i], TRUE, TRUE, &size, &body8, bad),
                        MS_SMTP_R_BAD_PARAM_VALUE);
        MS_ASSERT_STR(bad, bad_bodies[i]);
    }
    /* A keyword shorter than "SIZE=" is no SIZE. */
    CU_ASSERT_EQUAL(ms_smtp_mail_params("SIZE", TRUE, TRUE, &size, &body8, bad),
                    MS_SMTP_R_BAD_PARAM);
    MS_ASSERT_STR(bad, "SIZE");

    /* RCPT takes no parameter at all (RFC 5321 4.1.1.11): the first is named. */
    g_autoptr(MsSmtpServer) server = ready_server(0);

    server_expect_code(server, "MAIL FROM:<alice@crepes.fr>\r\n", "250");
    server_expect(server, "RCPT TO:<bob@hamburger.edu>  NOTIFY=NEVER ORCPT=x\r\n",
                  "555 5.5.4 Unsupported option: NOTIFY=NEVER\r\n");
    server_expect_code(server, "RCPT TO:<bob@hamburger.edu> NOTIFY=\r\n", "501");
}

static const MsTestCase server_cases[] = {
    MS_TEST(test_server_parse_params),
    MS_TEST(test_server_parse_path_direct),
    MS_TEST(test_server_names_after_second_ehlo),
    MS_TEST(test_server_long_expansion),
    MS_TEST(test_server_params_in_place),
    MS_TEST(test_server_greeting),
    MS_TEST(test_server_input_before_greeting),
    MS_TEST(test_server_ehlo_extensions),
    MS_TEST(test_server_ehlo_no_extensions),
    MS_TEST(test_server_helo_and_case),
    MS_TEST(test_server_trailing_white_space),
    MS_TEST(test_server_mail_before_helo),
    MS_TEST(test_server_rcpt_before_mail),
    MS_TEST(test_server_data_without_rcpt),
    MS_TEST(test_server_data_no_valid_rcpt),
    MS_TEST(test_server_nested_mail),
    MS_TEST(test_server_unknown_command),
    MS_TEST(test_server_syntax_errors),
    MS_TEST(test_server_path_forms),
    MS_TEST(test_server_pop_event),
    MS_TEST(test_server_message_strings_in_data),
    MS_TEST(test_server_null_reverse_path),
    MS_TEST(test_server_command_line_too_long),
    MS_TEST(test_server_bare_lf_command),
    MS_TEST(test_server_too_many_errors),
    MS_TEST(test_server_refusals_are_not_errors),
    MS_TEST(test_server_8bit_refused),
    MS_TEST(test_server_8bit_accepted),
        MS_TEST(test_server_nul_refused),
    MS_TEST(test_server_8bit_after_helo),
    MS_TEST(test_server_size_declared),
    MS_TEST(test_server_size_actual),
    MS_TEST(test_server_multi_rcpt),
    MS_TEST(test_server_rcpt_policy_text),
    MS_TEST(test_server_too_many_rcpts),
    MS_TEST(test_server_default_limit_100),
    MS_TEST(test_server_dot_unstuffing),
    MS_TEST(test_server_bare_lf_in_data),
    MS_TEST(test_server_bare_lf_no_smuggling),
    MS_TEST(test_server_data_line_too_long),
    MS_TEST(test_server_rset_noop_vrfy_help),
    MS_TEST(test_server_quit),
    MS_TEST(test_server_refuse),
    MS_TEST(test_server_shutdown),
    MS_TEST(test_server_pipelined_input),
    MS_TEST(test_server_textbook_dialogue),
    MS_TEST(test_server_unknown_profile),
    MS_TEST(test_server_garbage_never_crashes),
    MS_TEST_END,
};

/* ---- smtp/client ----------------------------------------------------------------- */

static char *client_take(MsSmtpClient *client)
{
    g_autoptr(GPtrArray) lines = ms_smtp_client_take_output(client);

    return lines_text(lines);
}

static void client_feed_str(MsSmtpClient *client, const char *text)
{
    ms_smtp_client_feed(client, text, strlen(text));
}

/* Feeds server replies and checks what the client sends back. */
static void client_expect(MsSmtpClient *client, const char *replies, const char *expected)
{
    ms_smtp_client_feed(client, replies, strlen(replies));
    g_autofree char *got = client_take(client);

    if (strcmp(got, expected) != 0)
        g_printerr("\n  replies:  %s  expected: %s  got:      %s", replies, expected, got);
    CU_ASSERT_STRING_EQUAL(got, expected);
}

static MsSmtpClient *new_client(gboolean pipelining)
{
    MsSmtpClientConfig config;

    ms_smtp_client_config_init(&config, "crepes.fr");
    config.pipelining = pipelining;
    return ms_smtp_client_new(&config);
}

static void add_message(MsSmtpClient *client, const char *const *rcpts, guint n,
                        const char *text, gpointer tag)
{
    g_autoptr(GBytes) data = g_bytes_new(text, strlen(text));

    ms_smtp_client_add_message(client, "alice@crepes.fr", rcpts, n, data, tag);
}

/* Pops events until one of `kind` (transfer full), NULL if none. */
static MsSmtpEvent *client_event(MsSmtpClient *client, MsSmtpEventKind kind)
{
    MsSmtpEvent *event;

    while ((event = ms_smtp_client_next_event(client)) != NULL) {
        if (event->kind == kind)
            return event;
        ms_smtp_event_free(event);
    }
    return NULL;
}

static const char *const BOB[] = { "bob@hamburger.edu" };
static const char *const BOB_CAROL[] = { "bob@hamburger.edu", "carol@hamburger.edu" };

/* Many events at once, and more pushed after some were popped: every
 * event comes out once, in order, from the engine's reused array.  A
 * refused greeting ends every queued message at once (RFC 5321 3.1). */
static void test_client_many_events(void)
{
    for (guint n = 4; n <= 9; n += 5) {
        g_autoptr(MsSmtpClient) client = new_client(TRUE);
        MsSmtpEvent event;

        for (guint i = 0; i < n; i++)
            add_message(client, BOB, 1, "hi\n", GUINT_TO_POINTER(i + 1));
        ms_smtp_client_finish(client);
        client_expect(client, "554 go away\r\n", "QUIT\r\n");
        CU_ASSERT_FATAL(ms_smtp_client_pop_event(client, &event));
        CU_ASSERT_EQUAL(event.kind, MS_SMTP_EVENT_MESSAGE_DONE);
        CU_ASSERT_EQUAL(event.tag, GUINT_TO_POINTER(1));
        ms_smtp_event_clear(&event);
        client_expect(client, "221 bye\r\n", "");
        for (guint i = 1; i < n; i++) {
            CU_ASSERT_FATAL(ms_smtp_client_pop_event(client, &event));
            CU_ASSERT_EQUAL(event.kind, MS_SMTP_EVENT_MESSAGE_DONE);
            CU_ASSERT_EQUAL(event.tag, GUINT_TO_POINTER(i + 1));
            CU_ASSERT_EQUAL(event.code, 554);
            CU_ASSERT_EQUAL(event.result, MS_SMTP_RESULT_PERM_FAILURE);
            ms_smtp_event_clear(&event);
        }
        CU_ASSERT_FATAL(ms_smtp_client_pop_event(client, &event));
        CU_ASSERT_EQUAL(event.kind, MS_SMTP_EVENT_CLOSE);
        CU_ASSERT_EQUAL(event.code, 221);
        ms_smtp_event_clear(&event);
        CU_ASSERT_FALSE(ms_smtp_client_pop_event(client, &event));
    }
}

/* Events popped into the caller's own storage come in order, the EHLO
 * keywords each a string of their own though they share one block, and
 * the reply texts of multi-line replies joined with "\n". */
static void test_client_pop_event(void)
{
    g_autoptr(MsSmtpClient) client = new_client(TRUE);
    MsSmtpEvent event;

    add_message(client, BOB_CAROL, 2, "hi\n", GINT_TO_POINTER(3));
    ms_smtp_client_finish(client);
    client_expect(client, "220 hamburger.edu\r\n", "EHLO crepes.fr\r\n");
    client_expect(client, "250-hamburger.edu\r\n250-SIZE\r\n250-\r\n250 PIPELINING\r\n",
                  "MAIL FROM:<alice@crepes.fr> SIZE=4\r\nRCPT TO:<bob@hamburger.edu>\r\n"
                  "RCPT TO:<carol@hamburger.edu>\r\nDATA\r\n");
    client_expect(client, "250 ok\r\n250 ok\r\n550-5.1.1 no\r\n550 5.1.1 carol\r\n354 go\r\n",
                  "hi\r\n.\r\n");
    client_expect(client, "250 queued\r\n", "QUIT\r\n");
    client_expect(client, "221 bye\r\n", "");
    CU_ASSERT_FATAL(ms_smtp_client_pop_event(client, &event));
    CU_ASSERT_EQUAL(event.kind, MS_SMTP_EVENT_SERVER_INFO);
    CU_ASSERT_EQUAL_FATAL(event.extensions->len, 3);
    MS_ASSERT_STR(event.extensions->pdata[0], "SIZE");
    MS_ASSERT_STR(event.extensions->pdata[1], "");
    MS_ASSERT_STR(event.extensions->pdata[2], "PIPELINING");
    ms_smtp_event_clear(&event);
    CU_ASSERT_FATAL(ms_smtp_client_pop_event(client, &event));
    CU_ASSERT_EQUAL(event.kind, MS_SMTP_EVENT_MESSAGE_DONE);
    CU_ASSERT_EQUAL(event.tag, GINT_TO_POINTER(3));
    CU_ASSERT_EQUAL(event.result, MS_SMTP_RESULT_PARTIAL);
    CU_ASSERT_EQUAL_FATAL(event.rcpt_results->len, 2);
    const MsSmtpRcptResult *carol = event.rcpt_results->pdata[1];
    MS_ASSERT_STR(carol->address, "carol@hamburger.edu");
    CU_ASSERT_EQUAL(carol->code, 550);
    MS_ASSERT_STR(carol->text, "5.1.1 no\n5.1.1 carol");
    ms_smtp_event_clear(&event);
    CU_ASSERT_FATAL(ms_smtp_client_pop_event(client, &event));
    CU_ASSERT_EQUAL(event.kind, MS_SMTP_EVENT_CLOSE);
    CU_ASSERT_EQUAL(event.code, 221);
    MS_ASSERT_STR(event.text, "bye");
    ms_smtp_event_clear(&event);
    CU_ASSERT_FALSE(ms_smtp_client_pop_event(client, &event));
}

/* A plain EHLO reply without PIPELINING. */
#define EHLO_PLAIN "250-hamburger.edu\r\n250 8BITMIME\r\n"

static void test_client_basic_flow(void)
{
    g_autoptr(MsSmtpClient) client = new_client(TRUE);

    add_message(client, BOB, 1, "Subject: hi\n\nDo you like ketchup?\n", GINT_TO_POINTER(7));
    ms_smtp_client_finish(client);
    CU_ASSERT_EQUAL(ms_smtp_client_state(client), MS_SMTP_CLIENT_CONNECTING);
    client_expect(client, "220 hamburger.edu ESMTP\r\n", "EHLO crepes.fr\r\n");
    /* Without PIPELINING offered, one command per reply. */
    client_expect(client, EHLO_PLAIN, "MAIL FROM:<alice@crepes.fr>\r\n");
    client_expect(client, "250 2.1.0 Ok\r\n", "RCPT TO:<bob@hamburger.edu>\r\n");
    client_expect(client, "250 2.1.5 Ok\r\n", "DATA\r\n");
    /* LF line ends become CRLF (RFC 5321 2.3.8), then CRLF.CRLF. */
    client_expect(client, "354 go ahead\r\n",
                  "Subject: hi\r\n\r\nDo you like ketchup?\r\n.\r\n");
    CU_ASSERT_EQUAL(ms_smtp_client_state(client), MS_SMTP_CLIENT_DOT);
    client_expect(client, "250 2.0.0 Ok: queued\r\n", "QUIT\r\n");
    client_expect(client, "221 2.0.0 Bye\r\n", "");
    CU_ASSERT_EQUAL(ms_smtp_client_state(client), MS_SMTP_CLIENT_CLOSED);

    g_autoptr(MsSmtpEvent) info = client_event(client, MS_SMTP_EVENT_SERVER_INFO);

    CU_ASSERT_PTR_NOT_NULL_FATAL(info);
    CU_ASSERT(info->esmtp);
    CU_ASSERT_EQUAL_FATAL(info->extensions->len, 1);
    MS_ASSERT_STR(info->extensions->pdata[0], "8BITMIME");
    g_autoptr(MsSmtpEvent) done = client_event(client, MS_SMTP_EVENT_MESSAGE_DONE);

    CU_ASSERT_PTR_NOT_NULL_FATAL(done);
    CU_ASSERT_EQUAL(done->tag, GINT_TO_POINTER(7));
    CU_ASSERT_EQUAL(done->result, MS_SMTP_RESULT_DELIVERED);
    CU_ASSERT_EQUAL(done->code, 250);
    MS_ASSERT_STR(done->text, "2.0.0 Ok: queued");
    CU_ASSERT_EQUAL_FATAL(done->rcpt_results->len, 1);
    CU_ASSERT_EQUAL(((MsSmtpRcptResult *) done->rcpt_results->pdata[0])->code, 250);
    g_autoptr(MsSmtpEvent) close = client_event(client, MS_SMTP_EVENT_CLOSE);

    CU_ASSERT_PTR_NOT_NULL_FATAL(close);
    CU_ASSERT_EQUAL(close->code, 221);
}

static void test_client_output_notes(void)
{
    g_autoptr(MsSmtpClient) client = new_client(FALSE);

    add_message(client, BOB, 1, ".hidden\r\nplain", NULL);
    client_feed_str(client, "220 x\r\n" EHLO_PLAIN "250 ok\r\n250 ok\r\n354 go\r\n");
    g_autoptr(GPtrArray) lines = ms_smtp_client_take_output(client);
    /* EHLO, MAIL, RCPT, DATA, 2 text lines, "." */
    static const char *const notes[] = {
        "smtp.cmd.ehlo", "smtp.cmd.mail", "smtp.cmd.rcpt", "smtp.cmd.data",
        "smtp.data.stuffed", "smtp.data.line", "smtp.data.end",
    };
    static const char *const phases[] = {
        "smtp.handshake", "smtp.transfer", "smtp.transfer", "smtp.transfer",
        "smtp.transfer", "smtp.transfer", "smtp.transfer",
    };

    CU_ASSERT_EQUAL_FATAL(lines->len, G_N_ELEMENTS(notes));
    for (guint i = 0; i < lines->len; i++) {
        const MsProtoLine *line = lines->pdata[i];

        MS_ASSERT_STR(line->note, notes[i]);
        MS_ASSERT_STR(line->phase, phases[i]);
        CU_ASSERT_PTR_NOT_NULL(ms_smtp_note_text(line->note));
    }
    /* RFC 5321 4.5.2: the leading dot is doubled. */
    MS_ASSERT_STR(((MsProtoLine *) lines->pdata[4])->text, "..hidden");
    MS_ASSERT_STR(((MsProtoLine *) lines->pdata[5])->text, "plain");
}

static void test_client_rcpt_temp_failure(void)
{
    g_autoptr(MsSmtpClient) client = new_client(FALSE);

    add_message(client, BOB, 1, "hi\n", NULL);
    client_expect(client, "220 x\r\n", "EHLO crepes.fr\r\n");
    client_expect(client, EHLO_PLAIN, "MAIL FROM:<alice@crepes.fr>\r\n");
    client_expect(client, "250 ok\r\n", "RCPT TO:<bob@hamburger.edu>\r\n");
    /* No recipient: no DATA; RSET closes the open transaction. */
    client_expect(client, "450 4.2.1 busy\r\n", "RSET\r\n");
    g_autoptr(MsSmtpEvent) done = client_event(client, MS_SMTP_EVENT_MESSAGE_DONE);

    CU_ASSERT_PTR_NOT_NULL_FATAL(done);
    CU_ASSERT_EQUAL(done->result, MS_SMTP_RESULT_TEMP_FAILURE);
    CU_ASSERT_EQUAL(done->code, 450);
    CU_ASSERT_FALSE(((MsSmtpRcptResult *) done->rcpt_results->pdata[0])->accepted);
    client_expect(client, "250 ok\r\n", "");
    CU_ASSERT_EQUAL(ms_smtp_client_state(client), MS_SMTP_CLIENT_IDLE);
    ms_smtp_client_finish(client);
    g_autofree char *quit = client_take(client);

    MS_ASSERT_STR(quit, "QUIT\r\n");
}

static void test_client_mail_perm_failure(void)
{
    g_autoptr(MsSmtpClient) client = new_client(FALSE);

    add_message(client, BOB, 1, "hi\n", NULL);
    ms_smtp_client_finish(client);
    client_expect(client, "220 x\r\n" EHLO_PLAIN,
                  "EHLO crepes.fr\r\nMAIL FROM:<alice@crepes.fr>\r\n");
    /* MAIL refused: nothing is open, so no RSET. */
    client_expect(client, "553 5.7.1 sender rejected\r\n", "QUIT\r\n");
    g_autoptr(MsSmtpEvent) done = client_event(client, MS_SMTP_EVENT_MESSAGE_DONE);

    CU_ASSERT_PTR_NOT_NULL_FATAL(done);
    CU_ASSERT_EQUAL(done->result, MS_SMTP_RESULT_PERM_FAILURE);
    CU_ASSERT_EQUAL(done->code, 553);
    CU_ASSERT_EQUAL(((MsSmtpRcptResult *) done->rcpt_results->pdata[0])->code, 0);
}

/* A session that ends between two RCPT replies: every recipient has its
 * result, in the order given, with its own address; the answered one its
 * reply, the others none (code 0, no text). */
static void test_client_results_of_unanswered(void)
{
    static const char *const three[] = { "bob@hamburger.edu", "carol@hamburger.edu",
                                         "dan@hamburger.edu" };
    g_autoptr(MsSmtpClient) client = new_client(FALSE);

    add_message(client, three, 3, "hi\n", NULL);
    client_expect(client, "220 x\r\n" EHLO_PLAIN,
                  "EHLO crepes.fr\r\nMAIL FROM:<alice@crepes.fr>\r\n");
    client_expect(client, "250 ok\r\n", "RCPT TO:<bob@hamburger.edu>\r\n");
    client_expect(client, "550 5.1.1 no bob\r\n", "RCPT TO:<carol@hamburger.edu>\r\n");
    client_expect(client, "421 4.3.2 going down\r\n", "");
    g_autoptr(MsSmtpEvent) done = client_event(client, MS_SMTP_EVENT_MESSAGE_DONE);

    CU_ASSERT_PTR_NOT_NULL_FATAL(done);
    CU_ASSERT_EQUAL(done->code, 421);
    CU_ASSERT_EQUAL_FATAL(done->rcpt_results->len, 3);
    for (guint i = 0; i < 3; i++) {
        const MsSmtpRcptResult *r = done->rcpt_results->pdata[i];

        MS_ASSERT_STR(r->address, three[i]);
        CU_ASSERT_EQUAL(r->code, i == 0 ? 550 : 0);
        CU_ASSERT_FALSE(r->accepted);
        if (i == 0) {
            MS_ASSERT_STR(r->text, "5.1.1 no bob");
        } else {
            CU_ASSERT_PTR_NULL(r->text);
        }
    }
}

static void test_client_data_failures(void)
{
    g_autoptr(MsSmtpClient) client = new_client(FALSE);

    add_message(client, BOB, 1, "one\n", GINT_TO_POINTER(1));
    add_message(client, BOB, 1, "two\n", GINT_TO_POINTER(2));
    ms_smtp_client_finish(client);
    client_feed_str(client, "220 x\r\n" EHLO_PLAIN "250 ok\r\n250 ok\r\n354 go\r\n");
    g_free(client_take(client));
    /* 5xx to the "." -> permanent; the next transaction starts at once. */
    client_expect(client, "554 5.7.1 spam\r\n", "MAIL FROM:<alice@crepes.fr>\r\n");
    client_expect(client, "250 ok\r\n250 ok\r\n", "RCPT TO:<bob@hamburger.edu>\r\nDATA\r\n");
    client_expect(client, "354 go\r\n", "two\r\n.\r\n");
    /* 4xx to the "." -> temporary. */
    client_expect(client, "451 4.3.0 try later\r\n", "QUIT\r\n");
    g_autoptr(MsSmtpEvent) first = client_event(client, MS_SMTP_EVENT_MESSAGE_DONE);
    g_autoptr(MsSmtpEvent) second = client_event(client, MS_SMTP_EVENT_MESSAGE_DONE);

    CU_ASSERT_PTR_NOT_NULL_FATAL(first);
    CU_ASSERT_PTR_NOT_NULL_FATAL(second);
    CU_ASSERT_EQUAL(first->tag, GINT_TO_POINTER(1));
    CU_ASSERT_EQUAL(first->result, MS_SMTP_RESULT_PERM_FAILURE);
    CU_ASSERT_EQUAL(first->code, 554);
    CU_ASSERT_EQUAL(second->tag, GINT_TO_POINTER(2));
    CU_ASSERT_EQUAL(second->result, MS_SMTP_RESULT_TEMP_FAILURE);
    CU_ASSERT_EQUAL(second->code, 451);
}

static void test_client_partial(void)
{
    g_autoptr(MsSmtpClient) client = new_client(FALSE);

    add_message(client, BOB_CAROL, 2, "hi\n", NULL);
    client_feed_str(client, "220 x\r\n" EHLO_PLAIN "250 ok\r\n");
    g_free(client_take(client));
    client_expect(client, "550 5.1.1 no bob\r\n", "RCPT TO:<carol@hamburger.edu>\r\n");
    client_expect(client, "250 ok\r\n", "DATA\r\n");
    client_expect(client, "354 go\r\n", "hi\r\n.\r\n");
    client_expect(client, "250 queued\r\n", "");
    g_autoptr(MsSmtpEvent) done = client_event(client, MS_SMTP_EVENT_MESSAGE_DONE);

    CU_ASSERT_PTR_NOT_NULL_FATAL(done);
    CU_ASSERT_EQUAL(done->result, MS_SMTP_RESULT_PARTIAL);
    const MsSmtpRcptResult *bob = done->rcpt_results->pdata[0];
    const MsSmtpRcptResult *carol = done->rcpt_results->pdata[1];

    MS_ASSERT_STR(bob->address, "bob@hamburger.edu");
    CU_ASSERT_EQUAL(bob->code, 550);
    MS_ASSERT_STR(bob->text, "5.1.1 no bob");
    CU_ASSERT_FALSE(bob->accepted);
    CU_ASSERT_EQUAL(carol->code, 250);
    CU_ASSERT(carol->accepted);
}

static void test_client_multiline_replies(void)
{
    g_autoptr(MsSmtpClient) client = new_client(TRUE);

    add_message(client, BOB, 1, "hi\n", NULL);
    client_expect(client, "220-hamburger.edu ESMTP\r\n", "");
    client_expect(client, "220-second line\r\n220 last\r\n", "EHLO crepes.fr\r\n");
    /* The EHLO reply in pieces: nothing is sent before its last line. */
    client_expect(client, "250-hamburger.edu\r\n250-SIZE 1000\r\n250-PIPE", "");
    client_expect(client, "LINING\r\n250-X-UNKNOWN 1 2\r\n250 8BITMIME\r\n",
                  "MAIL FROM:<alice@crepes.fr> SIZE=4\r\nRCPT TO:<bob@hamburger.edu>\r\n"
                  "DATA\r\n");
    g_autoptr(MsSmtpEvent) info = client_event(client, MS_SMTP_EVENT_SERVER_INFO);

    CU_ASSERT_PTR_NOT_NULL_FATAL(info);
    CU_ASSERT_EQUAL_FATAL(info->extensions->len, 4);
    MS_ASSERT_STR(info->extensions->pdata[0], "SIZE 1000");
    MS_ASSERT_STR(info->extensions->pdata[2], "X-UNKNOWN 1 2");
    CU_ASSERT_EQUAL(info->max_size, 1000);
    /* A multi-line refusal is one reply; its text keeps every line. */
    client_expect(client, "250 ok\r\n550-5.1.1 no such user\r\n550 5.1.1 really\r\n"
                          "554 no valid recipients\r\n", "RSET\r\n");
    g_autoptr(MsSmtpEvent) done = client_event(client, MS_SMTP_EVENT_MESSAGE_DONE);

    CU_ASSERT_PTR_NOT_NULL_FATAL(done);
    CU_ASSERT_EQUAL(done->result, MS_SMTP_RESULT_PERM_FAILURE);
    MS_ASSERT_STR(((MsSmtpRcptResult *) done->rcpt_results->pdata[0])->text,
                  "5.1.1 no such user\n5.1.1 really");
    /* The EHLO reply's buffer went to its event: the later multi-line
     * reply was read into a buffer of its own. */
    MS_ASSERT_STR(info->extensions->pdata[0], "SIZE 1000");
    MS_ASSERT_STR(info->extensions->pdata[3], "8BITMIME");
}

/* Feeds replies and counts the client's commands, checking that each
 * carries the phase and note the classification of its text gives (the
 * client names them itself, knowing what it sends). */
static guint client_commands_noted(MsSmtpClient *client, const char *replies)
{
    guint n = 0;

    ms_smtp_client_feed(client, replies, strlen(replies));
    GPtrArray *lines = ms_smtp_client_output(client);

    for (guint i = 0; i < lines->len; i++) {
        const MsProtoLine *line = lines->pdata[i];
        const char *phase = NULL;

        if (g_str_has_prefix(line->note, "smtp.data."))
            continue;
        const char *note = ms_smtp_command_note(line->text, strlen(line->text), &phase);

        MS_ASSERT_STR(line->note, note);
        MS_ASSERT_STR(line->phase, phase);
        n++;
    }
    ms_smtp_client_output_sent(client);
    return n;
}

static void test_client_command_notes(void)
{
    static const char *const NOBODY_BOB[] = { "nobody@hamburger.edu", "bob@hamburger.edu" };
    g_autoptr(MsSmtpClient) client = new_client(FALSE);
    g_autoptr(GBytes) data = g_bytes_new_static("hi\r\n", 4);

    add_message(client, NOBODY_BOB, 2, "hi\n", NULL);
    ms_smtp_client_add_message(client, "", BOB, 1, data, NULL);
    add_message(client, BOB, 1, ".dot\n", NULL);
    ms_smtp_client_finish(client);
    CU_ASSERT_EQUAL(client_commands_noted(client, "220 hamburger.edu\r\n"), 1); /* EHLO */
    CU_ASSERT_EQUAL(client_commands_noted(client, "502 no\r\n"), 1);             /* HELO */
    CU_ASSERT_EQUAL(client_commands_noted(client, "250 hamburger.edu\r\n"), 1);  /* MAIL */
    CU_ASSERT_EQUAL(client_commands_noted(client, "250 ok\r\n"), 1);             /* RCPT */
    CU_ASSERT_EQUAL(client_commands_noted(client, "550 no\r\n"), 1);             /* RCPT */
    CU_ASSERT_EQUAL(client_commands_noted(client, "250 ok\r\n"), 1);             /* DATA */
    CU_ASSERT_EQUAL(client_commands_noted(client, "354 go\r\n"), 0);             /* text */
    CU_ASSERT_EQUAL(client_commands_noted(client, "250 ok\r\n"), 1);      /* MAIL FROM:<> */
    CU_ASSERT_EQUAL(client_commands_noted(client, "250 ok\r\n"), 1);             /* RCPT */
    CU_ASSERT_EQUAL(client_commands_noted(client, "550 no\r\n"), 1);             /* RSET */
    CU_ASSERT_EQUAL(client_commands_noted(client, "250 ok\r\n"), 1);             /* MAIL */
    CU_ASSERT_EQUAL(client_commands_noted(client, "250 ok\r\n"), 1);             /* RCPT */
    CU_ASSERT_EQUAL(client_commands_noted(client, "250 ok\r\n"), 1);             /* DATA */
    CU_ASSERT_EQUAL(client_commands_noted(client, "354 go\r\n"), 0);             /* text */
    CU_ASSERT_EQUAL(client_commands_noted(client, "250 ok\r\n"), 1);             /* QUIT */

    /* With pipelining the group goes at once: MAIL FROM:<>, RCPT, DATA. */
    g_autoptr(MsSmtpClient) piped = new_client(TRUE);

    ms_smtp_client_add_message(piped, "", BOB, 1, data, NULL);
    CU_ASSERT_EQUAL(client_commands_noted(piped, "220 hamburger.edu\r\n"), 1);
    CU_ASSERT_EQUAL(client_commands_noted(piped, "250-hamburger.edu\r\n250 PIPELINING\r\n"),
                    3);
}

/* A NUL in a message's text ends the line it is in (a line is text), and
 * the text's other lines go as they are; the client looks for NULs once a
 * message, so a text without one is sent without looking in each line. */
static void test_client_text_with_nul(void)
{
    g_autoptr(MsSmtpClient) client = new_client(TRUE);
    static const char text[] = "one\r\ntw\0o\r\n.three\r\n";
    g_autoptr(GBytes) data = g_bytes_new(text, sizeof text - 1);

    ms_smtp_client_add_message(client, "alice@crepes.fr", BOB, 1, data, NULL);
    client_expect(client, "220 hamburger.edu ESMTP\r\n", "EHLO crepes.fr\r\n");
    client_expect(client, "250-hamburger.edu\r\n250 PIPELINING\r\n",
                  "MAIL FROM:<alice@crepes.fr>\r\nRCPT TO:<bob@hamburger.edu>\r\nDATA\r\n");
    client_expect(client, "250 ok\r\n250 ok\r\n354 go\r\n",
                  "one\r\ntw\r\n..three\r\n.\r\n");
}

/* A client given one message and greeted, after this reply to its EHLO:
 * it sends MAIL with the message's size, and the SERVER_INFO event it told
 * of (transfer full). */
static MsSmtpEvent *info_after_ehlo(MsSmtpClient *client, const char *ehlo_reply)
{
    add_message(client, BOB, 1, "hi\n", NULL);
    client_expect(client, "220 hamburger.edu ESMTP\r\n", "EHLO crepes.fr\r\n");
    client_expect(client, ehlo_reply, "MAIL FROM:<alice@crepes.fr> SIZE=4\r\n");
    MsSmtpEvent *info = client_event(client, MS_SMTP_EVENT_SERVER_INFO);
    CU_ASSERT_PTR_NOT_NULL_FATAL(info);
    return info;
}

/* A reply longer than the first buffer for its lines: the buffer grows,
 * and every line is an extension of its own. */
static void test_client_long_ehlo_reply(void)
{
    g_autoptr(MsSmtpClient) client = new_client(TRUE);
    g_autoptr(GString) reply = g_string_new("250-hamburger.edu\r\n");

    for (guint i = 0; i < 40; i++)
        g_string_append_printf(reply, "250-X-EXTENSION-%02u with parameters\r\n", i);
    g_string_append(reply, "250 SIZE 2048\r\n");
    g_autoptr(MsSmtpEvent) info = info_after_ehlo(client, reply->str);

    CU_ASSERT_EQUAL_FATAL(info->extensions->len, 41);
    MS_ASSERT_STR(info->extensions->pdata[0], "X-EXTENSION-00 with parameters");
    MS_ASSERT_STR(info->extensions->pdata[39], "X-EXTENSION-39 with parameters");
    MS_ASSERT_STR(info->extensions->pdata[40], "SIZE 2048");
    CU_ASSERT_EQUAL(info->max_size, 2048);
}

/* RFC 5321 4.2.1 sets no number of lines for a reply: the client takes
 * MS_SMTP_REPLY_LINES_MAX and refuses a longer reply with a protocol error
 * and QUIT, reading the rest of it to its last line without keeping it. */
static void test_client_reply_line_limit(void)
{
    g_autoptr(MsSmtpClient) client = new_client(FALSE);
    g_autoptr(GString) reply = g_string_new("250-hamburger.edu\r\n");

    /* The longest reply taken: every line but the greeting's an extension. */
    for (guint i = 2; i < MS_SMTP_REPLY_LINES_MAX; i++)
        g_string_append_printf(reply, "250-X-EXTENSION-%02u\r\n", i);
    g_string_append(reply, "250 SIZE 2048\r\n");
    g_autoptr(MsSmtpEvent) info = info_after_ehlo(client, reply->str);

    CU_ASSERT_EQUAL_FATAL(info->extensions->len, MS_SMTP_REPLY_LINES_MAX - 1);
    MS_ASSERT_STR(info->extensions->pdata[MS_SMTP_REPLY_LINES_MAX - 2], "SIZE 2048");

    /* One line more: refused once the limit is passed, before its end. */
    g_autoptr(MsSmtpClient) long_client = new_client(FALSE);
    g_autoptr(GString) head = g_string_new("250-hamburger.edu\r\n");

    for (guint i = 2; i < MS_SMTP_REPLY_LINES_MAX; i++)
        g_string_append_printf(head, "250-X-EXTENSION-%02u\r\n", i);
    add_message(long_client, BOB, 1, "hi\n", GINT_TO_POINTER(5));
    client_expect(long_client, "220 hamburger.edu ESMTP\r\n", "EHLO crepes.fr\r\n");
    client_expect(long_client, head->str, "");
    /* A line that does not end the reply, where the last may come no
     * later: the reply cannot end within the limit. */
    client_expect(long_client, "250-X-EXTENSION-64\r\n", "QUIT\r\n");
    g_autoptr(MsSmtpEvent) error = client_event(long_client, MS_SMTP_EVENT_PROTOCOL_ERROR);

    CU_ASSERT_PTR_NOT_NULL_FATAL(error);
    MS_ASSERT_STR(error->note, "smtp.error.bad-reply");
    g_autofree char *why = g_strdup_printf("reply of more than %u lines",
                                           MS_SMTP_REPLY_LINES_MAX);

    MS_ASSERT_STR(error->text, why);
    g_autoptr(MsSmtpEvent) done = client_event(long_client, MS_SMTP_EVENT_MESSAGE_DONE);

    CU_ASSERT_PTR_NOT_NULL_FATAL(done);
    CU_ASSERT_EQUAL(done->tag, GINT_TO_POINTER(5));
    CU_ASSERT_EQUAL(done->result, MS_SMTP_RESULT_TEMP_FAILURE);
    CU_ASSERT_EQUAL(done->code, 0);
    /* The rest of the refused reply, its last line included, is dropped:
     * not taken for the answer to QUIT, which comes next. */
    client_expect(long_client, "250-X-EXTENSION-65\r\n250 SIZE 2048\r\n", "");
    CU_ASSERT_EQUAL(ms_smtp_client_state(long_client), MS_SMTP_CLIENT_QUIT);
    CU_ASSERT_PTR_NULL(client_event(long_client, MS_SMTP_EVENT_CLOSE));
    client_expect(long_client, "221 bye\r\n", "");
    g_autoptr(MsSmtpEvent) close = client_event(long_client, MS_SMTP_EVENT_CLOSE);

    CU_ASSERT_PTR_NOT_NULL_FATAL(close);
    CU_ASSERT_EQUAL(close->code, 221);

    /* A malformed line while a refused reply is dropped ends the
     * dropping: the answer to QUIT that follows is read. */
    g_autoptr(MsSmtpClient) broken = new_client(FALSE);

    client_expect(broken, "220 hamburger.edu ESMTP\r\n", "EHLO crepes.fr\r\n");
    client_expect(broken, head->str, "");
    client_expect(broken, "250-X-EXTENSION-64\r\n", "QUIT\r\n");
    client_expect(broken, "garbage\r\n221 bye\r\n", "");
    g_autoptr(MsSmtpEvent) broken_close = client_event(broken, MS_SMTP_EVENT_CLOSE);

    CU_ASSERT_PTR_NOT_NULL_FATAL(broken_close);
    CU_ASSERT_EQUAL(broken_close->code, 221);
}

static void test_client_ehlo_fallback(void)
{
    g_autoptr(MsSmtpClient) client = new_client(TRUE);

    add_message(client, BOB, 1, "hi\n", NULL);
    client_expect(client, "220 old.server\r\n", "EHLO crepes.fr\r\n");
    /* RFC 5321 3.2: EHLO not understood -> HELO. */
    client_expect(client, "500 Command unrecognized\r\n", "HELO crepes.fr\r\n");
    /* After HELO: no extensions, so no SIZE and no pipelining. */
    client_expect(client, "250 old.server\r\n", "MAIL FROM:<alice@crepes.fr>\r\n");
    g_autoptr(MsSmtpEvent) info = client_event(client, MS_SMTP_EVENT_SERVER_INFO);

    CU_ASSERT_PTR_NOT_NULL_FATAL(info);
    CU_ASSERT_FALSE(info->esmtp);
    CU_ASSERT_EQUAL(info->extensions->len, 0);

    g_autoptr(MsSmtpClient) client2 = new_client(TRUE);

    client_expect(client2, "220 old.server\r\n", "EHLO crepes.fr\r\n");
    client_expect(client2, "502 not implemented\r\n", "HELO crepes.fr\r\n");
}

static void test_client_pipelining_groups(void)
{
    g_autoptr(MsSmtpClient) client = new_client(TRUE);

    add_message(client, BOB_CAROL, 2, "hi\n", NULL);
    ms_smtp_client_finish(client);
    client_expect(client, "220 x\r\n", "EHLO crepes.fr\r\n");
    /* RFC 2920 3.1: MAIL, both RCPTs and DATA in one group. */
    g_autoptr(GPtrArray) group = NULL;

    client_feed_str(client, "250-x\r\n250 PIPELINING\r\n");
    group = ms_smtp_client_take_output(client);
    CU_ASSERT_EQUAL_FATAL(group->len, 4);
    MS_ASSERT_STR(((MsProtoLine *) group->pdata[0])->text, "MAIL FROM:<alice@crepes.fr>");
    MS_ASSERT_STR(((MsProtoLine *) group->pdata[1])->text, "RCPT TO:<bob@hamburger.edu>");
    MS_ASSERT_STR(((MsProtoLine *) group->pdata[2])->text, "RCPT TO:<carol@hamburger.edu>");
    MS_ASSERT_STR(((MsProtoLine *) group->pdata[3])->text, "DATA");
    /* Replies matched in order; the text follows only the 354. */
    client_expect(client, "250 ok\r\n250 ok\r\n", "");
    client_expect(client, "550 no carol\r\n", "");
    client_expect(client, "354 go\r\n", "hi\r\n.\r\n");
    client_expect(client, "250 queued\r\n", "QUIT\r\n");
    g_autoptr(MsSmtpEvent) done = client_event(client, MS_SMTP_EVENT_MESSAGE_DONE);

    CU_ASSERT_PTR_NOT_NULL_FATAL(done);
    CU_ASSERT_EQUAL(done->result, MS_SMTP_RESULT_PARTIAL);
    CU_ASSERT_EQUAL(((MsSmtpRcptResult *) done->rcpt_results->pdata[1])->code, 550);
}

static void test_client_pipelining_mail_refused(void)
{
    g_autoptr(MsSmtpClient) client = new_client(TRUE);

    add_message(client, BOB, 1, "hi\n", NULL);
    ms_smtp_client_finish(client);
    client_feed_str(client, "220 x\r\n250-x\r\n250 PIPELINING\r\n");
    g_free(client_take(client));
    /* MAIL refused: the RCPT and DATA replies (503) are read, the MAIL
     * reply decides, and nothing needs RSET. */
    client_expect(client, "550 5.7.1 sender refused\r\n503 need MAIL\r\n", "");
    client_expect(client, "503 need MAIL\r\n", "QUIT\r\n");
    g_autoptr(MsSmtpEvent) done = client_event(client, MS_SMTP_EVENT_MESSAGE_DONE);

    CU_ASSERT_PTR_NOT_NULL_FATAL(done);
    CU_ASSERT_EQUAL(done->result, MS_SMTP_RESULT_PERM_FAILURE);
    CU_ASSERT_EQUAL(done->code, 550);
    MS_ASSERT_STR(done->text, "5.7.1 sender refused");
}

static void test_client_8bit_not_offered(void)
{
    g_autoptr(MsSmtpClient) client = new_client(TRUE);

    add_message(client, BOB, 1, "caf\xc3\xa9\n", GINT_TO_POINTER(3));
    add_message(client, BOB, 1, "plain\n", GINT_TO_POINTER(4));
    client_expect(client, "220 x\r\n", "EHLO crepes.fr\r\n");
    /* RFC 6152: no 8BITMIME, so the 8-bit message is not sent at all; the
     * 7-bit one goes. */
    client_expect(client, "250 x\r\n", "MAIL FROM:<alice@crepes.fr>\r\n");
    g_autoptr(MsSmtpEvent) done = client_event(client, MS_SMTP_EVENT_MESSAGE_DONE);

    CU_ASSERT_PTR_NOT_NULL_FATAL(done);
    CU_ASSERT_EQUAL(done->tag, GINT_TO_POINTER(3));
    CU_ASSERT_EQUAL(done->result, MS_SMTP_RESULT_PERM_FAILURE);
    CU_ASSERT_EQUAL(done->code, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(done->text, "8BITMIME"));
}

static void test_client_8bit_modes(void)
{
    MsSmtpClientConfig config;

    /* Offered: BODY=8BITMIME is declared. */
    g_autoptr(MsSmtpClient) client = new_client(FALSE);

    add_message(client, BOB, 1, "caf\xc3\xa9\n", NULL);
    client_feed_str(client, "220 x\r\n");
    g_free(client_take(client));
    client_expect(client, "250-x\r\n250-8BITMIME\r\n250 SIZE\r\n",
                  "MAIL FROM:<alice@crepes.fr> SIZE=7 BODY=8BITMIME\r\n");

    /* Forced: sent raw, without BODY=, for the server to refuse. */
    ms_smtp_client_config_init(&config, "crepes.fr");
    config.force_8bit = TRUE;
    g_autoptr(MsSmtpClient) careless = ms_smtp_client_new(&config);

    add_message(careless, BOB, 1, "caf\xc3\xa9\n", NULL);
    client_feed_str(careless, "220 x\r\n");
    g_free(client_take(careless));
    client_expect(careless, "250 x\r\n", "MAIL FROM:<alice@crepes.fr>\r\n");
}

static void test_client_greeting_554(void)
{
    g_autoptr(MsSmtpClient) client = new_client(TRUE);

    add_message(client, BOB, 1, "hi\n", NULL);
    /* RFC 5321 3.1: no service; QUIT politely. */
    client_expect(client, "554 No SMTP service here\r\n", "QUIT\r\n");
    g_autoptr(MsSmtpEvent) done = client_event(client, MS_SMTP_EVENT_MESSAGE_DONE);

    CU_ASSERT_PTR_NOT_NULL_FATAL(done);
    CU_ASSERT_EQUAL(done->result, MS_SMTP_RESULT_PERM_FAILURE);
    CU_ASSERT_EQUAL(done->code, 554);
    client_expect(client, "221 bye\r\n", "");
    g_autoptr(MsSmtpEvent) close = client_event(client, MS_SMTP_EVENT_CLOSE);

    CU_ASSERT_PTR_NOT_NULL(close);
    CU_ASSERT_EQUAL(ms_smtp_client_state(client), MS_SMTP_CLIENT_CLOSED);
}

static void test_client_421(void)
{
    g_autoptr(MsSmtpClient) client = new_client(FALSE);

    add_message(client, BOB, 1, "one\n", GINT_TO_POINTER(1));
    add_message(client, BOB, 1, "two\n", GINT_TO_POINTER(2));
    client_feed_str(client, "220 x\r\n" EHLO_PLAIN);
    g_free(client_take(client));
    /* RFC 5321 3.8: 421 closes the channel: no QUIT, both messages fail
     * temporarily, then CLOSE. */
    client_expect(client, "421 4.3.2 shutting down\r\n", "");
    MsSmtpEvent *events[4] = { NULL };

    for (int i = 0; i < 4; i++)
        events[i] = ms_smtp_client_next_event(client);
    CU_ASSERT_PTR_NOT_NULL_FATAL(events[3]);
    CU_ASSERT_EQUAL(events[0]->kind, MS_SMTP_EVENT_SERVER_INFO);
    CU_ASSERT_EQUAL(events[1]->kind, MS_SMTP_EVENT_MESSAGE_DONE);
    CU_ASSERT_EQUAL(events[1]->result, MS_SMTP_RESULT_TEMP_FAILURE);
    CU_ASSERT_EQUAL(events[1]->code, 421);
    CU_ASSERT_EQUAL(events[2]->tag, GINT_TO_POINTER(2));
    CU_ASSERT_EQUAL(events[3]->kind, MS_SMTP_EVENT_CLOSE);
    for (int i = 0; i < 4; i++)
        ms_smtp_event_free(events[i]);
    CU_ASSERT_EQUAL(ms_smtp_client_state(client), MS_SMTP_CLIENT_CLOSED);
}

static void test_client_connection_lost(void)
{
    g_autoptr(MsSmtpClient) client = new_client(FALSE);

    add_message(client, BOB, 1, "one\n", NULL);
    ms_smtp_client_connection_lost(client);
    g_autoptr(MsSmtpEvent) done = client_event(client, MS_SMTP_EVENT_MESSAGE_DONE);

    CU_ASSERT_PTR_NOT_NULL_FATAL(done);
    CU_ASSERT_EQUAL(done->result, MS_SMTP_RESULT_TEMP_FAILURE);
    CU_ASSERT_EQUAL(done->code, 0);
    g_autoptr(MsSmtpEvent) close = client_event(client, MS_SMTP_EVENT_CLOSE);

    CU_ASSERT_PTR_NOT_NULL(close);
    /* A message added afterwards still gets its MESSAGE_DONE. */
    add_message(client, BOB, 1, "late\n", GINT_TO_POINTER(9));
    g_autoptr(MsSmtpEvent) late = client_event(client, MS_SMTP_EVENT_MESSAGE_DONE);

    CU_ASSERT_PTR_NOT_NULL_FATAL(late);
    CU_ASSERT_EQUAL(late->tag, GINT_TO_POINTER(9));
}

static void test_client_malformed_reply(void)
{
    g_autoptr(MsSmtpClient) client = new_client(FALSE);

    add_message(client, BOB, 1, "one\n", NULL);
    client_expect(client, "hello there\r\n", "QUIT\r\n");
    g_autoptr(MsSmtpEvent) error = client_event(client, MS_SMTP_EVENT_PROTOCOL_ERROR);

    CU_ASSERT_PTR_NOT_NULL_FATAL(error);
    MS_ASSERT_STR(error->note, "smtp.error.bad-reply");
    g_autoptr(MsSmtpEvent) done = client_event(client, MS_SMTP_EVENT_MESSAGE_DONE);

    CU_ASSERT_PTR_NOT_NULL_FATAL(done);
    CU_ASSERT_EQUAL(done->result, MS_SMTP_RESULT_TEMP_FAILURE);
}

static void test_client_textbook_syntax(void)
{
    MsSmtpClientConfig config;

    ms_smtp_client_config_init(&config, "crepes.fr");
    config.use_ehlo = FALSE;
    config.textbook_syntax = TRUE;
    g_autoptr(MsSmtpClient) client = ms_smtp_client_new(&config);

    add_message(client, BOB, 1, "hi\n", NULL);
    client_expect(client, "220 hamburger.edu\r\n", "HELO crepes.fr\r\n");
    client_expect(client, "250 Hello\r\n", "MAIL FROM: <alice@crepes.fr>\r\n");
    client_expect(client, "250 ok\r\n", "RCPT TO: <bob@hamburger.edu>\r\n");
}

static void test_client_bare_lf_data(void)
{
    MsSmtpClientConfig config;

    ms_smtp_client_config_init(&config, "crepes.fr");
    config.bare_lf_data = TRUE;
    config.pipelining = FALSE;
    g_autoptr(MsSmtpClient) client = ms_smtp_client_new(&config);

    add_message(client, BOB, 1, "a\r\nb\r\n", NULL);
    client_feed_str(client, "220 x\r\n" EHLO_PLAIN "250 ok\r\n250 ok\r\n");
    g_free(client_take(client));
    /* The careless client: text lines end in LF; the "." still in CRLF. */
    client_expect(client, "354 go\r\n", "a\nb\n.\r\n");
}

static const MsTestCase client_cases[] = {
    MS_TEST(test_client_basic_flow),
    MS_TEST(test_client_pop_event),
    MS_TEST(test_client_many_events),
    MS_TEST(test_client_output_notes),
    MS_TEST(test_client_rcpt_temp_failure),
    MS_TEST(test_client_mail_perm_failure),
    MS_TEST(test_client_results_of_unanswered),
    MS_TEST(test_client_data_failures),
    MS_TEST(test_client_partial),
    MS_TEST(test_client_multiline_replies),
    MS_TEST(test_client_long_ehlo_reply),
    MS_TEST(test_client_reply_line_limit),
    MS_TEST(test_client_text_with_nul),
    MS_TEST(test_client_command_notes),
    MS_TEST(test_client_ehlo_fallback),
    MS_TEST(test_client_pipelining_groups),
    MS_TEST(test_client_pipelining_mail_refused),
    MS_TEST(test_client_8bit_not_offered),
    MS_TEST(test_client_8bit_modes),
    MS_TEST(test_client_greeting_554),
    MS_TEST(test_client_421),
    MS_TEST(test_client_connection_lost),
    MS_TEST(test_client_malformed_reply),
    MS_TEST(test_client_textbook_syntax),
    MS_TEST(test_client_bare_lf_data),
    MS_TEST_END,
};

/* ---- smtp/session ------------------------------------------------------------------ */

/* Moves lines between the engines until both are quiet; when transcript is
 * not NULL, appends "C: ..." / "S: ..." lines to it. */
static void pump(MsSmtpClient *client, MsSmtpServer *server, GString *transcript)
{
    for (int round = 0; round < 1000; round++) {
        g_autoptr(GPtrArray) from_server = ms_smtp_server_take_output(server);
        g_autoptr(GPtrArray) from_client = NULL;

        for (guint i = 0; transcript != NULL && i < from_server->len; i++)
            g_string_append_printf(transcript, "S: %s\n",
                                   ((MsProtoLine *) from_server->pdata[i])->text);
        g_autoptr(GBytes) s_bytes = ms_proto_lines_to_bytes(from_server);

        ms_smtp_client_feed(client, g_bytes_get_data(s_bytes, NULL), g_bytes_get_size(s_bytes));
        from_client = ms_smtp_client_take_output(client);
        for (guint i = 0; transcript != NULL && i < from_client->len; i++)
            g_string_append_printf(transcript, "C: %s\n",
                                   ((MsProtoLine *) from_client->pdata[i])->text);
        g_autoptr(GBytes) c_bytes = ms_proto_lines_to_bytes(from_client);

        ms_smtp_server_feed(server, g_bytes_get_data(c_bytes, NULL), g_bytes_get_size(c_bytes));
        if (from_server->len == 0 && from_client->len == 0)
            return;
    }
    CU_FAIL("the engines never went quiet");
}

static MsSmtpServer *session_server(const char *profile, gboolean offer_8bitmime)
{
    MsSmtpServerConfig config;

    ms_smtp_server_config_init(&config, "hamburger.edu");
    config.profile = profile;
    config.offer_8bitmime = offer_8bitmime;
    config.max_size = 1000000;
    config.check_rcpt = reject_nobody;
    return ms_smtp_server_new(&config, "crepes.fr");
}

static void run_three_messages(gboolean pipelining)
{
    guint calls = 0;
    MsSmtpServerConfig sconfig;

    ms_smtp_server_config_init(&sconfig, "hamburger.edu");
    sconfig.check_rcpt = reject_nobody;
    sconfig.user_data = &calls;
    g_autoptr(MsSmtpServer) server = ms_smtp_server_new(&sconfig, "crepes.fr");
    g_autoptr(MsSmtpClient) client = new_client(pipelining);
    static const char *const texts[] = {
        "Subject: one\n\nDo you like ketchup?\n",
        "Subject: two\r\n\r\n.starts with a dot\r\n.\r\n..\r\n",
        "Subject: three\n\nHow about pickles?",
    };
    static const char *const expected[] = {
        "Subject: one\r\n\r\nDo you like ketchup?\r\n",
        "Subject: two\r\n\r\n.starts with a dot\r\n.\r\n..\r\n",
        "Subject: three\r\n\r\nHow about pickles?\r\n",
    };
    static const char *const rcpts2[] = { "bob@hamburger.edu", "nobody@hamburger.edu" };

    ms_smtp_server_start(server);
    add_message(client, BOB, 1, texts[0], GINT_TO_POINTER(1));
    pump(client, server, NULL);
    /* Added while the session runs: same connection, next transaction. */
    add_message(client, rcpts2, 2, texts[1], GINT_TO_POINTER(2));
    add_message(client, BOB_CAROL, 2, texts[2], GINT_TO_POINTER(3));
    ms_smtp_client_finish(client);
    pump(client, server, NULL);

    guint n_messages = 0;
    MsSmtpEvent *event;

    while ((event = ms_smtp_server_next_event(server)) != NULL) {
        if (event->kind == MS_SMTP_EVENT_MESSAGE) {
            CU_ASSERT(n_messages < 3);
            if (n_messages < 3)
                CU_ASSERT(bytes_equal(event->data, expected[n_messages]));
            MS_ASSERT_STR(event->reverse_path, "alice@crepes.fr");
            CU_ASSERT_EQUAL(event->recipients->len, n_messages == 2 ? 2 : 1);
            n_messages++;
        }
        ms_smtp_event_free(event);
    }
    CU_ASSERT_EQUAL(n_messages, 3);
    CU_ASSERT_EQUAL(calls, 5);

    MsSmtpResult want[] = { MS_SMTP_RESULT_DELIVERED, MS_SMTP_RESULT_PARTIAL,
                            MS_SMTP_RESULT_DELIVERED };
    guint n_done = 0;
    gboolean closed = FALSE;

    while ((event = ms_smtp_client_next_event(client)) != NULL) {
        if (event->kind == MS_SMTP_EVENT_MESSAGE_DONE) {
            CU_ASSERT_FALSE(closed);
            CU_ASSERT_EQUAL(event->tag, GINT_TO_POINTER(n_done + 1));
            if (n_done < 3)
                CU_ASSERT_EQUAL(event->result, want[n_done]);
            n_done++;
        } else if (event->kind == MS_SMTP_EVENT_CLOSE) {
            closed = TRUE;
        }
        ms_smtp_event_free(event);
    }
    CU_ASSERT_EQUAL(n_done, 3);
    CU_ASSERT(closed);
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_CLOSED);
    CU_ASSERT_EQUAL(ms_smtp_client_state(client), MS_SMTP_CLIENT_CLOSED);
}

static void test_session_three_messages(void)
{
    run_three_messages(FALSE);
}

static void test_session_three_messages_pipelined(void)
{
    run_three_messages(TRUE);
}

static void test_session_textbook(void)
{
    MsSmtpClientConfig cconfig;

    ms_smtp_client_config_init(&cconfig, "crepes.fr");
    cconfig.use_ehlo = FALSE;
    cconfig.textbook_syntax = TRUE;
    g_autoptr(MsSmtpClient) client = ms_smtp_client_new(&cconfig);
    g_autoptr(MsSmtpServer) server = session_server("textbook", TRUE);
    g_autoptr(GString) transcript = g_string_new(NULL);

    add_message(client, BOB, 1, "Do you like ketchup?\nHow about pickles?\n", NULL);
    ms_smtp_client_finish(client);
    ms_smtp_server_start(server);
    pump(client, server, transcript);
    /* Kurose & Ross, section 2.3. */
    MS_ASSERT_STR(transcript->str,
                  "S: 220 hamburger.edu\n"
                  "C: HELO crepes.fr\n"
                  "S: 250 Hello crepes.fr, pleased to meet you\n"
                  "C: MAIL FROM: <alice@crepes.fr>\n"
                  "S: 250 alice@crepes.fr ... Sender ok\n"
                  "C: RCPT TO: <bob@hamburger.edu>\n"
                  "S: 250 bob@hamburger.edu ... Recipient ok\n"
                  "C: DATA\n"
                  "S: 354 Enter mail, end with \".\" on a line by itself\n"
                  "C: Do you like ketchup?\n"
                  "C: How about pickles?\n"
                  "C: .\n"
                  "S: 250 Message accepted for delivery\n"
                  "C: QUIT\n"
                  "S: 221 hamburger.edu closing connection\n");
}

/* A message of more lines than the client keeps room for in the message's
 * own block goes out whole and in order, and the recipients' results keep
 * their addresses (each in its result's block). */
static void test_session_long_message(void)
{
    g_autoptr(MsSmtpServer) server = session_server("postfix", TRUE);
    g_autoptr(MsSmtpClient) client = new_client(FALSE);
    g_autoptr(GString) text = g_string_new("Subject: long\r\n\r\n");
    g_autoptr(GString) want = g_string_new(NULL);

    for (guint i = 0; i < 70; i++)
        g_string_append_printf(text, "%sline %u\r\n", i % 7 == 0 ? "." : "", i);
    g_string_assign(want, text->str);
    add_message(client, BOB_CAROL, 2, text->str, GINT_TO_POINTER(7));
    ms_smtp_client_finish(client);
    ms_smtp_server_start(server);
    pump(client, server, NULL);

    guint n_messages = 0;
    MsSmtpEvent event;

    while (ms_smtp_server_pop_event(server, &event)) {
        if (event.kind == MS_SMTP_EVENT_MESSAGE) {
            CU_ASSERT(bytes_equal(event.data, want->str));
            n_messages++;
        }
        ms_smtp_event_clear(&event);
    }
    CU_ASSERT_EQUAL(n_messages, 1);

    g_autoptr(MsSmtpEvent) done = client_event(client, MS_SMTP_EVENT_MESSAGE_DONE);

    CU_ASSERT_PTR_NOT_NULL_FATAL(done);
    CU_ASSERT_EQUAL(done->result, MS_SMTP_RESULT_DELIVERED);
    CU_ASSERT_EQUAL(GPOINTER_TO_INT(done->tag), 7);
    CU_ASSERT_EQUAL_FATAL(done->rcpt_results->len, 2);
    for (guint i = 0; i < 2; i++) {
        const MsSmtpRcptResult *r = done->rcpt_results->pdata[i];

        MS_ASSERT_STR(r->address, BOB_CAROL[i]);
        CU_ASSERT_EQUAL(r->code, 250);
        CU_ASSERT(r->accepted);
    }
}

static MsSmtpResult session_result(MsSmtpClient *client, guint *code_out)
{
    g_autoptr(MsSmtpEvent) done = client_event(client, MS_SMTP_EVENT_MESSAGE_DONE);

    CU_ASSERT_PTR_NOT_NULL_FATAL(done);
    *code_out = done->code;
    return done->result;
}

static void test_session_8bit_refused(void)
{
    MsSmtpClientConfig cconfig;

    ms_smtp_client_config_init(&cconfig, "crepes.fr");
    cconfig.force_8bit = TRUE;
    g_autoptr(MsSmtpClient) client = ms_smtp_client_new(&cconfig);
    g_autoptr(MsSmtpServer) server = session_server(NULL, FALSE);
    guint code = 0;

    add_message(client, BOB, 1, "Subject: caf\xc3\xa9\n\nhi\n", NULL);
    ms_smtp_client_finish(client);
    ms_smtp_server_start(server);
    pump(client, server, NULL);
    CU_ASSERT_EQUAL(session_result(client, &code), MS_SMTP_RESULT_PERM_FAILURE);
    CU_ASSERT_EQUAL(code, 554);
    CU_ASSERT_EQUAL(server_events(server, MS_SMTP_EVENT_MESSAGE, NULL), 0);
}

static void test_session_8bit_negotiated(void)
{
    g_autoptr(MsSmtpClient) client = new_client(TRUE);
    g_autoptr(MsSmtpServer) server = session_server(NULL, TRUE);
    guint code = 0;

    add_message(client, BOB, 1, "Subject: caf\xc3\xa9\n\nhi\n", NULL);
    ms_smtp_client_finish(client);
    ms_smtp_server_start(server);
    pump(client, server, NULL);
    CU_ASSERT_EQUAL(session_result(client, &code), MS_SMTP_RESULT_DELIVERED);
    CU_ASSERT_EQUAL(code, 250);
    CU_ASSERT_EQUAL(server_events(server, MS_SMTP_EVENT_MESSAGE, NULL), 1);
}

static void test_session_bare_lf_refused(void)
{
    MsSmtpClientConfig cconfig;

    ms_smtp_client_config_init(&cconfig, "crepes.fr");
    cconfig.bare_lf_data = TRUE;
    g_autoptr(MsSmtpClient) client = ms_smtp_client_new(&cconfig);
    g_autoptr(MsSmtpServer) server = session_server(NULL, TRUE);
    guint code = 0;

    add_message(client, BOB, 1, "Subject: x\n\nhi\n", NULL);
    ms_smtp_client_finish(client);
    ms_smtp_server_start(server);
    pump(client, server, NULL);
    CU_ASSERT_EQUAL(session_result(client, &code), MS_SMTP_RESULT_PERM_FAILURE);
    CU_ASSERT_EQUAL(code, 554);
    CU_ASSERT_EQUAL(ms_smtp_server_state(server), MS_SMTP_SERVER_CLOSED);
}

static void test_session_deterministic(void)
{
    /* Same input, byte-identical dialogue. */
    g_autoptr(GString) first = g_string_new(NULL);
    g_autoptr(GString) second = g_string_new(NULL);
    GString *runs[] = { first, second };

    for (int r = 0; r < 2; r++) {
        g_autoptr(MsSmtpClient) client = new_client(TRUE);
        g_autoptr(MsSmtpServer) server = session_server(NULL, TRUE);

        add_message(client, BOB_CAROL, 2, "a\n.b\n", NULL);
        add_message(client, BOB, 1, "c\n", NULL);
        ms_smtp_client_finish(client);
        ms_smtp_server_start(server);
        pump(client, server, runs[r]);
    }
    CU_ASSERT(first->len > 0);
    MS_ASSERT_STR(first->str, second->str);
}

static const MsTestCase session_cases[] = {
    MS_TEST(test_session_three_messages),
    MS_TEST(test_session_three_messages_pipelined),
    MS_TEST(test_session_textbook),
    MS_TEST(test_session_long_message),
    MS_TEST(test_session_8bit_refused),
    MS_TEST(test_session_8bit_negotiated),
    MS_TEST(test_session_bare_lf_refused),
    MS_TEST(test_session_deterministic),
    MS_TEST_END,
};

/* ---- smtp/tables ---------------------------------------------------------------------- */

static void test_tables_profiles_complete(void)
{
    /* Every reply has wording in every profile, with a valid code. */
    for (const char *const *name = ms_smtp_profile_names(); *name != NULL; name++) {
        const MsSmtpProfile *profile = ms_smtp_profile_lookup(*name);

        CU_ASSERT_PTR_NOT_NULL_FATAL(profile);
        for (int id = 0; id < MS_SMTP_N_REPLIES; id++) {
            gboolean found = FALSE;

            for (gsize i = 0; i < profile->n_texts; i++)
                found = found || profile->texts[i].id == (MsSmtpReplyId) id;
            if (!found)
                g_printerr("\n  profile %s lacks %s", *name,
                           ms_smtp_reply_id_name((MsSmtpReplyId) id));
            CU_ASSERT(found);
            guint code = ms_smtp_reply_code((MsSmtpReplyId) id);

            CU_ASSERT(code == 0 || (code >= 200 && code <= 599));
        }
        CU_ASSERT_EQUAL(profile->n_texts, MS_SMTP_N_REPLIES);
    }
}

static void test_tables_profiles_in_id_order(void)
{
    /* A profile's template is looked up at its id's place first: every
     * table lists the ids in their order, and the look-up gives the same
     * text as a search would. */
    for (const char *const *name = ms_smtp_profile_names(); *name != NULL; name++) {
        const MsSmtpProfile *profile = ms_smtp_profile_lookup(*name);

        CU_ASSERT_PTR_NOT_NULL_FATAL(profile);
        for (gsize i = 0; i < profile->n_texts; i++) {
            CU_ASSERT_EQUAL(profile->texts[i].id, (MsSmtpReplyId) i);
            CU_ASSERT_PTR_EQUAL(ms_smtp_profile_template(profile, profile->texts[i].id),
                                profile->texts[i].text);
        }
    }
}

static void test_tables_enhanced_codes(void)
{
    const MsSmtpProfile *def = ms_smtp_profile_lookup("default");
    const MsSmtpProfile *book = ms_smtp_profile_lookup("textbook");

    /* RFC 3463 2: the enhanced code's class is the reply code's first
     * digit.  The textbook profile has none. */
    for (gsize i = 0; i < def->n_texts; i++) {
        const char *text = def->texts[i].text;
        guint code = ms_smtp_reply_code(def->texts[i].id);

        if (g_ascii_isdigit(text[0]) && text[1] == '.' && code != 0)
            CU_ASSERT_EQUAL((guint) (text[0] - '0'), code / 100);
    }
    for (gsize i = 0; i < book->n_texts; i++) {
        const char *text = book->texts[i].text;

        CU_ASSERT_FALSE(g_ascii_isdigit(text[0]) && text[1] == '.');
    }
}

static void test_tables_notes(void)
{
    gsize n = 0;
    const MsSmtpNote *notes = ms_smtp_notes(&n);

    CU_ASSERT(n > 40);
    for (gsize i = 1; i < n; i++) {
        if (strcmp(notes[i - 1].key, notes[i].key) >= 0)
            g_printerr("\n  notes out of order: %s, %s", notes[i - 1].key, notes[i].key);
        CU_ASSERT(strcmp(notes[i - 1].key, notes[i].key) < 0);
    }
    /* Every reply's note is explained. */
    for (int id = 0; id < MS_SMTP_N_REPLIES; id++) {
        const char *note = ms_smtp_reply_note((MsSmtpReplyId) id);

        if (ms_smtp_note_text(note) == NULL)
            g_printerr("\n  no text for note %s", note);
        CU_ASSERT_PTR_NOT_NULL(ms_smtp_note_text(note));
    }
    static const char *const ext[] = { "smtp.ext.size", "smtp.ext.8bitmime",
                                       "smtp.ext.pipelining", "smtp.ext.help",
                                       "smtp.ext.enhancedstatuscodes", "smtp.error.bad-reply" };

    for (gsize i = 0; i < G_N_ELEMENTS(ext); i++)
        CU_ASSERT_PTR_NOT_NULL(ms_smtp_note_text(ext[i]));
    CU_ASSERT_PTR_NULL(ms_smtp_note_text("pop3.cmd.user"));
    CU_ASSERT_PTR_NULL(ms_smtp_note_text(NULL));
}

static void test_tables_command_note(void)
{
    const char *phase = NULL;

    MS_ASSERT_STR(ms_smtp_command_note("rcpt to:<b@x>", 13, &phase), "smtp.cmd.rcpt");
    MS_ASSERT_STR(phase, "smtp.transfer");
    MS_ASSERT_STR(ms_smtp_command_note("EHLO x", 6, &phase), "smtp.cmd.ehlo");
    MS_ASSERT_STR(phase, "smtp.handshake");
    MS_ASSERT_STR(ms_smtp_command_note("QUIT", 4, &phase), "smtp.cmd.quit");
    MS_ASSERT_STR(phase, "smtp.closure");
    MS_ASSERT_STR(ms_smtp_command_note("QUITE", 5, NULL), "smtp.cmd.unknown");
    MS_ASSERT_STR(ms_smtp_command_note("", 0, NULL), "smtp.cmd.unknown");
    /* The null reverse path is recognised in any case, and only whole. */
    MS_ASSERT_STR(ms_smtp_command_note("mail From:<>", 12, NULL), "smtp.cmd.mail.null");
    MS_ASSERT_STR(ms_smtp_command_note("MAIL FROM:<a@b>", 15, NULL), "smtp.cmd.mail");
    MS_ASSERT_STR(ms_smtp_command_note("MAIL FROM:<", 11, NULL), "smtp.cmd.mail");
    MS_ASSERT_STR(ms_smtp_command_note("MAIL[FROM:<>", 12, NULL), "smtp.cmd.unknown");
}

static void test_tables_names(void)
{
    MS_ASSERT_STR(ms_smtp_server_state_name(MS_SMTP_SERVER_RCPT), "rcpt");
    MS_ASSERT_STR(ms_smtp_server_state_name(MS_SMTP_SERVER_REFUSED), "refused");
    MS_ASSERT_STR(ms_smtp_client_state_name(MS_SMTP_CLIENT_DOT), "dot");
    MS_ASSERT_STR(ms_smtp_event_kind_name(MS_SMTP_EVENT_MESSAGE_DONE), "message-done");
    MS_ASSERT_STR(ms_smtp_result_name(MS_SMTP_RESULT_PARTIAL), "partly-delivered");
    MS_ASSERT_STR(ms_smtp_server_state_name((MsSmtpServerState) 99), "?");
    ms_smtp_event_free(NULL);
    ms_smtp_server_free(NULL);
    ms_smtp_client_free(NULL);
}

static void test_tables_expand(void)
{
    MsSmtpVars vars = { .host = "h", .addr = "a@b", .size = 42 };
    g_autofree char *text = ms_smtp_expand("{host} {addr} {size} {helo}|{nope} {", &vars);

    MS_ASSERT_STR(text, "h a@b 42 |{nope} {");

    /* Sizes at both ends, a brace before a placeholder, an empty name, a
     * template with no placeholder and an empty one. */
    MsSmtpVars more = { .verb = "VRFY", .param = "x y", .size = G_MAXUINT64 };
    g_autofree char *ends = ms_smtp_expand("{size}{{verb}}{}{param}", &more);
    MS_ASSERT_STR(ends, "18446744073709551615{VRFY}{}x y");
    more.size = 0;
    g_autofree char *zero = ms_smtp_expand("SIZE {size}", &more);
    MS_ASSERT_STR(zero, "SIZE 0");
    g_autofree char *plain = ms_smtp_expand("250 OK", &more);
    MS_ASSERT_STR(plain, "250 OK");
    g_autofree char *empty = ms_smtp_expand("", &more);
    MS_ASSERT_STR(empty, "");

    /* In one pass with a cap: the whole length, and only what fits written. */
    static const char *const templates[] = { "{host} {addr} {size}", "plain", "{", "" };
    for (gsize t = 0; t < G_N_ELEMENTS(templates); t++) {
        g_autofree char *whole = ms_smtp_expand(templates[t], &vars);
        gsize len = strlen(whole);

        CU_ASSERT_EQUAL(ms_smtp_expand_into(templates[t], &vars, NULL, 0), len);
        for (gsize cap = 0; cap <= len + 1; cap++) {
            char buf[32];

            memset(buf, '#', sizeof buf);
            CU_ASSERT_EQUAL(ms_smtp_expand_into(templates[t], &vars, buf, cap), len);
            CU_ASSERT(memcmp(buf, whole, MIN(cap, len)) == 0);
            CU_ASSERT_EQUAL(buf[MIN(cap, len)], '#');
        }
    }
}

static const MsTestCase table_cases[] = {
    MS_TEST(test_tables_profiles_complete),
    MS_TEST(test_tables_profiles_in_id_order),
    MS_TEST(test_tables_enhanced_codes),
    MS_TEST(test_tables_notes),
    MS_TEST(test_tables_command_note),
    MS_TEST(test_tables_names),
    MS_TEST(test_tables_expand),
    MS_TEST_END,
};

int main(void)
{
    ms_test_add_suite("smtp/line", line_cases);
    ms_test_add_suite("smtp/server", server_cases);
    ms_test_add_suite("smtp/client", client_cases);
    ms_test_add_suite("smtp/session", session_cases);
    ms_test_add_suite("smtp/tables", table_cases);
    return ms_test_run();
}
