/* test_trace.c - the trace's fast paths against what they stand in for:
 * the string pool's word-at-a-time comparison, lines and segments written
 * straight into tiny slots, event sentences formatted from formats read
 * once, and subscribers that join a trace nobody has been listening to.
 * (The stored forms themselves are tested in test_core.c.) */
#include "testutil.h"

#include "agents/agents-private.h"
#include "core/trace-private.h"
#include "mailsim/trace.h"

#include <string.h>

/* ---- core/trace/pool ---------------------------------------------------- */

/* Interns a fresh copy of s, so that no look-aside hit on its address can
 * answer for the pool. */
static const char *intern_copy(MsTrace *trace, const char *s)
{
    g_autofree char *copy = g_strdup(s);
    return ms_trace_intern(trace, copy);
}

/* The pool's comparison of a copy with a string, which a look-up reaches
 * only when a byte of their hashes matches: at every length from 0 to 70
 * (a loop of sixteen bytes and overlapping words, two words, two halves,
 * single bytes), equal, and different in any one byte, including the last
 * (a string's NUL against a longer copy's next byte). */
static void test_same_bytes(void)
{
    char a[72], b[72];
    for (guint i = 0; i < sizeof a; i++)
        a[i] = (char) ('A' + i % 26);
    for (gsize n = 0; n <= 70; n++) {
        memcpy(b, a, sizeof b);
        CU_ASSERT_TRUE(ms_trace_same_bytes(a, b, n));
        for (gsize at = 0; at < n; at++) {
            memcpy(b, a, sizeof b);
            b[at] = '\0';
            CU_ASSERT_FALSE(ms_trace_same_bytes(a, b, n));
            b[at] = (char) (a[at] ^ 0x80);
            CU_ASSERT_FALSE(ms_trace_same_bytes(a, b, n));
        }
        /* A difference just past the n bytes is not theirs. */
        memcpy(b, a, sizeof b);
        b[n] = '\0';
        CU_ASSERT_TRUE(ms_trace_same_bytes(a, b, n));
    }
}

/* Strings that are prefixes of each other, at every length from 0 to 80
 * (a tail in words that overlap, one word, four bytes or single bytes):
 * the pool compares each with its candidates a word at a time, and a
 * shorter copy must differ at its NUL, a longer one at the string's. */
static void test_pool_prefixes(void)
{
    g_autoptr(MsTrace) trace = ms_trace_new();
    char text[82];
    for (guint i = 0; i < sizeof text - 1; i++)
        text[i] = (char) ('a' + i % 23);
    text[sizeof text - 1] = '\0';
    const char *copies[sizeof text];
    /* Longest first, then shortest first: each order leaves the other's
     * copies as the candidates. */
    for (gint len = (gint) sizeof text - 2; len >= 0; len -= 2) {
        g_autofree char *s = g_strndup(text, (gsize) len);
        copies[len] = intern_copy(trace, s);
    }
    for (guint len = 1; len < sizeof text; len += 2) {
        g_autofree char *s = g_strndup(text, len);
        copies[len] = intern_copy(trace, s);
    }
    for (guint len = 0; len < sizeof text; len++) {
        g_autofree char *s = g_strndup(text, len);
        CU_ASSERT_EQUAL(strlen(copies[len]), len);
        CU_ASSERT_EQUAL(memcmp(copies[len], text, len), 0);
        CU_ASSERT_PTR_EQUAL(intern_copy(trace, s), copies[len]);
        for (guint other = 0; other < len; other++)
            CU_ASSERT_PTR_NOT_EQUAL(copies[other], copies[len]);
    }
}

/* Strings that differ in one byte only, at every place of every length
 * up to 40: the first, the last, and each in between. */
static void test_pool_one_byte_apart(void)
{
    g_autoptr(MsTrace) trace = ms_trace_new();
    for (guint len = 1; len <= 40; len++) {
        g_autofree char *base = g_strnfill(len, 'q');
        const char *base_copy = intern_copy(trace, base);
        for (guint at = 0; at < len; at++) {
            g_autofree char *s = g_strdup(base);
            s[at] = 'r';
            const char *copy = intern_copy(trace, s);
            CU_ASSERT_PTR_NOT_EQUAL(copy, base_copy);
            MS_ASSERT_STR(copy, s);
            CU_ASSERT_PTR_EQUAL(intern_copy(trace, s), copy);
        }
        CU_ASSERT_PTR_EQUAL(intern_copy(trace, base), base_copy);
    }
}

/* Copies that end at or near the end of their block (the pool's blocks are
 * 64 KiB), and the last copy of the newest block, which has nothing written
 * after it: the pool compares those as strings.  Every string is looked up
 * again, and so are its prefix and an extension of it, which are new. */
static void test_pool_block_ends(void)
{
    g_autoptr(MsTrace) trace = ms_trace_new();
    g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) copies = g_ptr_array_new();
    /* Lengths that do not divide a block, so that the ends fall at every
     * offset: some 200,000 bytes, four blocks. */
    for (guint i = 0; i < 3000; i++) {
        char *s = g_strdup_printf("%0*u", (int) (40 + i % 61), i);
        g_ptr_array_add(texts, s);
        g_ptr_array_add(copies, (gpointer) intern_copy(trace, s));
    }
    for (guint i = 0; i < texts->len; i++) {
        const char *s = g_ptr_array_index(texts, i);
        const char *copy = g_ptr_array_index(copies, i);
        CU_ASSERT_PTR_EQUAL(intern_copy(trace, s), copy);
        g_autofree char *shorter = g_strndup(s, strlen(s) - 1);
        g_autofree char *longer = g_strconcat(s, "x", NULL);
        const char *shorter_copy = intern_copy(trace, shorter);
        const char *longer_copy = intern_copy(trace, longer);
        CU_ASSERT_PTR_NOT_EQUAL(shorter_copy, copy);
        CU_ASSERT_PTR_NOT_EQUAL(longer_copy, copy);
        MS_ASSERT_STR(shorter_copy, shorter);
        MS_ASSERT_STR(longer_copy, longer);
    }
}

/* A subscriber that notes the ids it sees (core/trace/emit and
 * core/trace/subscribers). */
typedef struct {
    MsTrace *trace;
    GArray *seen; /* of guint64 ids */
    guint handle;
    gboolean leave; /* unsubscribe on the first record seen */
} Listener;

static void on_record(const MsTraceRecord *record, gpointer data)
{
    Listener *l = data;
    g_array_append_val(l->seen, record->id);
    if (l->leave) {
        l->leave = FALSE;
        ms_trace_unsubscribe(l->trace, l->handle);
    }
}

/* ---- core/trace/emit ---------------------------------------------------- */

/* Both strings NULL, or both the same text. */
static void expect_same_string(const char *a, const char *b)
{
    CU_ASSERT_EQUAL(a == NULL, b == NULL);
    if (a != NULL && b != NULL)
        CU_ASSERT_STRING_EQUAL(a, b);
}

/* Every field of two decoded records the same: what the fast paths below
 * store must read back exactly as the general path's record does. */
static void expect_same_record(const MsTraceRecord *a, const MsTraceRecord *b)
{
    CU_ASSERT_EQUAL(a->id, b->id);
    CU_ASSERT_EQUAL(a->kind, b->kind);
    CU_ASSERT_EQUAL(a->time, b->time);
    CU_ASSERT_EQUAL(a->arrival, b->arrival);
    CU_ASSERT_EQUAL(a->count, b->count);
    CU_ASSERT_EQUAL(a->conn, b->conn);
    CU_ASSERT_EQUAL(a->dir, b->dir);
    CU_ASSERT_EQUAL(a->src_port, b->src_port);
    CU_ASSERT_EQUAL(a->dst_port, b->dst_port);
    CU_ASSERT_EQUAL(a->seq, b->seq);
    CU_ASSERT_EQUAL(a->ack, b->ack);
    CU_ASSERT_EQUAL(a->len, b->len);
    CU_ASSERT_EQUAL(a->flags, b->flags);
    CU_ASSERT_EQUAL(a->retransmit, b->retransmit);
    expect_same_string(a->protocol, b->protocol);
    expect_same_string(a->src, b->src);
    expect_same_string(a->dst, b->dst);
    expect_same_string(a->text, b->text);
    expect_same_string(a->eol, b->eol);
    expect_same_string(a->phase, b->phase);
    expect_same_string(a->note, b->note);
    expect_same_string(a->subject, b->subject);
    expect_same_string(a->detail, b->detail);
}

/* Two traces of the same records, every record of one decoding as its
 * twin in the other does. */
static void expect_same_traces(const MsTrace *fast, const MsTrace *whole)
{
    CU_ASSERT_EQUAL_FATAL(ms_trace_length(fast), ms_trace_length(whole));
    for (guint64 id = 0; id < ms_trace_length(fast); id++) {
        MsTraceRecord a, b;
        ms_trace_get(fast, id, &a);
        ms_trace_get(whole, id, &b);
        expect_same_record(&a, &b);
    }
}

/* Lines and segments through ms_trace_emit_line() and
 * ms_trace_emit_segment() decode exactly as the same records emitted whole
 * through ms_trace_emit_in(): across several chunks (whose first record
 * takes the general path), with contexts near and far, and numbers that
 * fit a tiny slot and numbers that do not. */
static void test_emit_paths_match_records(void)
{
    g_autoptr(MsTrace) fast = ms_trace_new();
    g_autoptr(MsTrace) whole = ms_trace_new();
    MsTraceRecord c = { 0 };
    c.protocol = "SMTP";
    c.src = "a.example";
    c.dst = "b.example";
    c.src_port = 1025;
    c.dst_port = 25;
    /* 5,000 contexts, so that the first is beyond a tiny slot's reach of
     * the chunks opened after them. */
    for (guint i = 0; i < 5000; i++) {
        c.conn = i + 1;
        CU_ASSERT_EQUAL_FATAL(ms_trace_context(fast, &c), i);
        CU_ASSERT_EQUAL_FATAL(ms_trace_context(whole, &c), i);
    }
    MsTraceAnn ann = ms_trace_annotation(fast, "smtp.data", "smtp.reply.354");
    static const char *const endings[] = { NULL, "\r\n", "\n", "\r", "" };
    for (guint i = 0; i < 1200; i++) {
        MsTraceContext ctx = i % 3 == 0 ? 0 : 4999 - i % 7;
        MsTime time = (MsTime) i * 1000 + (i % 5 == 0 ? (MsTime) 5 << 32 : 0);
        MsTraceRecord r = { 0 };
        r.time = time;
        r.arrival = -1;
        r.dir = i % 2 == 0 ? MS_DIR_CLIENT : MS_DIR_SERVER;
        if (i % 2 == 0) {
            g_autofree char *text = g_strdup_printf("line %u of the body", i % 40);
            guint eol = i % G_N_ELEMENTS(endings);
            r.kind = MS_TRACE_LINE;
            r.text = text;
            r.eol = endings[eol];
            r.phase = "smtp.data";
            r.note = "smtp.reply.354";
            CU_ASSERT_EQUAL(ms_trace_eol_code(r.eol), eol);
            CU_ASSERT_EQUAL(ms_trace_emit_line(fast, ctx, time, r.dir, text, strlen(text), ann, eol),
                            ms_trace_emit_in(whole, ctx, &r));
        } else {
            static const MsTraceKind kinds[] = { MS_TRACE_SEGMENT_SENT, MS_TRACE_SEGMENT_RECEIVED,
                                                 MS_TRACE_SEGMENT_LOST };
            r.kind = kinds[i % 3];
            r.flags = (guint8) (i % 7 == 0 ? MS_TCP_PSH | MS_TCP_ACK : MS_TCP_ACK);
            r.seq = i % 11 == 0 ? 70000u + i : i * 10;
            r.ack = i % 13 == 0 ? 90000u : i;
            r.len = i % 17 == 0 ? 3000 : i % 1400;
            r.retransmit = (guint16) (i % 19 == 0 ? 1 : 0);
            CU_ASSERT_EQUAL(ms_trace_emit_segment(fast, ctx, r.kind, time, r.dir, r.flags, r.seq,
                                                  r.ack, r.len, r.retransmit),
                            ms_trace_emit_in(whole, ctx, &r));
        }
        /* Some arrivals at once, as for most records of a run. */
        if (i % 4 != 1) {
            ms_trace_set_arrival(fast, i, time + 700);
            ms_trace_set_arrival(whole, i, time + 700);
        }
    }
    expect_same_traces(fast, whole);
    /* Lines and segments carry no subject or detail. */
    for (guint64 id = 0; id < ms_trace_length(fast); id++) {
        MsTraceRecord a;
        ms_trace_get(fast, id, &a);
        CU_ASSERT_PTR_NULL(a.subject);
        CU_ASSERT_PTR_NULL(a.detail);
    }
}

/* A record's text is a C string, and a real client may send a NUL: the
 * line is kept whole, each NUL as the characters \x00, whichever path
 * logs it (the first line of a chunk takes the general one). */
static void test_emit_line_keeps_nul(void)
{
    static const struct {
        const char *in;
        gsize len;
        const char *kept;
    } cases[] = {
        { "NO\0OP", 5, "NO\\x00OP" },
        { "\0", 1, "\\x00" },
        { "a\0\0b\0", 5, "a\\x00\\x00b\\x00" },
        { "plain", 5, "plain" },
        { "", 0, "" },
    };
    g_autoptr(MsTrace) trace = ms_trace_new();
    MsTraceRecord c = { 0 };
    c.conn = 1;
    c.protocol = "SMTP";
    c.src = "127.0.0.1";
    c.dst = "hamburger.edu";
    MsTraceContext ctx = ms_trace_context(trace, &c);
    MsTraceAnn ann = ms_trace_annotation(trace, "smtp.transfer", NULL);
    for (gsize round = 0; round < 2; round++) {
        for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
            g_autofree char *kept = ms_trace_line_text(cases[i].in, cases[i].len);
            MS_ASSERT_STR(kept, cases[i].kept);
            guint64 id = ms_trace_emit_line(trace, ctx, (MsTime) i, MS_DIR_CLIENT, cases[i].in,
                                            cases[i].len, ann, 1);
            MsTraceRecord r;
            ms_trace_get(trace, id, &r);
            MS_ASSERT_STR(r.text, cases[i].kept);
            MS_ASSERT_STR(r.eol, "\r\n");
            CU_ASSERT_EQUAL(r.len, 0);
        }
    }
}

/* Events through ms_trace_emit_event() decode exactly as the same records
 * emitted whole through ms_trace_emit_in(): sentences formatted one after
 * the other into one buffer (as an agent's notes are), with and without
 * a subject, a text or a detail, counts that fit a short slot and counts
 * that do not (negative, large), kinds a short slot of events takes and
 * kinds it does not, times far from their chunk's, and a watched trace. */
static void test_emit_event_matches_records(void)
{
    g_autoptr(MsTrace) fast = ms_trace_new();
    g_autoptr(MsTrace) whole = ms_trace_new();
    g_autoptr(GArray) seen = g_array_new(FALSE, FALSE, sizeof(guint64));
    MsTraceRecord c = { 0 };
    c.src = "mx.example";
    MsTraceContext ctx = ms_trace_context(fast, &c);
    CU_ASSERT_EQUAL_FATAL(ms_trace_context(whole, &c), ctx);
    static const MsTraceKind kinds[] = { MS_TRACE_QUEUE, MS_TRACE_MAILBOX, MS_TRACE_MESSAGE,
                                         MS_TRACE_ACTION, MS_TRACE_ERROR, MS_TRACE_LINE,
                                         MS_TRACE_STORE };
    static const char *const notes[] = { "queue.add", "mailbox.deliver", NULL, "relay.try" };
    Listener l = { fast, seen, 0, FALSE };
    char buf[64];
    for (guint i = 0; i < 900; i++) {
        if (i == 600)
            l.handle = ms_trace_subscribe(fast, on_record, &l);
        gint n = g_snprintf(buf, sizeof buf, "message %u queued for try %u", i, i % 9);
        MsTraceRecord r = { 0 };
        r.kind = kinds[i % G_N_ELEMENTS(kinds)];
        r.time = (MsTime) i * 1000 + (i % 23 == 0 ? (MsTime) 7 << 32 : 0);
        r.arrival = -1;
        r.note = notes[i % G_N_ELEMENTS(notes)];
        r.subject = i % 5 == 0 ? NULL : i % 2 == 0 ? "alice" : "<1.2@example>";
        r.text = i % 6 == 0 ? "Subject: hello" : NULL;
        r.detail = i % 11 == 0 ? NULL : buf;
        r.count = i % 13 == 0 ? -1 : i % 17 == 0 ? 100000 : (gint64) (i % 50);
        CU_ASSERT_EQUAL(ms_trace_emit_event(fast, ctx, r.kind, r.time, r.note, r.subject, r.text,
                                            r.detail, r.detail != NULL ? (gsize) n : 0, r.count),
                        ms_trace_emit_in(whole, ctx, &r));
    }
    CU_ASSERT_EQUAL(seen->len, 300);
    ms_trace_unsubscribe(fast, l.handle);
    expect_same_traces(fast, whole);
}

/* Sentences written into the trace's room and logged with
 * ms_trace_emit_sentence() decode exactly as the same events through
 * ms_trace_emit_in(): enough of them, of every length the room takes, to
 * fill several blocks of sentences, interleaved with strings the pool
 * indexes (which grows its index several times past the blocks of
 * sentences, and must still find each of its strings); some sentences the
 * same text as an indexed string, some the same as each other, some
 * logged the general way (a chunk's first record, a large count, a line's
 * kind). */
static void test_emit_sentence_matches_records(void)
{
    g_autoptr(MsTrace) fast = ms_trace_new();
    g_autoptr(MsTrace) whole = ms_trace_new();
    MsTraceRecord c = { 0 };
    c.src = "mx.example";
    MsTraceContext ctx = ms_trace_context(fast, &c);
    CU_ASSERT_EQUAL_FATAL(ms_trace_context(whole, &c), ctx);
    static const MsTraceKind kinds[] = { MS_TRACE_QUEUE, MS_TRACE_MAILBOX, MS_TRACE_MESSAGE,
                                         MS_TRACE_ACTION, MS_TRACE_LINE };
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) copies = g_ptr_array_new();
    for (guint i = 0; i < 3000; i++) {
        /* Lengths from 0 to the room's last byte. */
        gsize len = i % 256 == 255 ? MS_TRACE_SENTENCE_ROOM - 1 : (i * 37u) % MS_TRACE_SENTENCE_ROOM;
        char *sentence = g_malloc(len + 1);
        gint n = g_snprintf(sentence, len + 1, "%u: %s", i % 500 == 7 ? 7 : i,
                            "message placed in the outgoing queue, waiting for a try........"
                            "................................................................"
                            "................................................................"
                            "................................................................");
        CU_ASSERT_FATAL(n >= 0);
        char *room = ms_trace_sentence_room(fast);
        CU_ASSERT_PTR_NOT_NULL_FATAL(room);
        memcpy(room, sentence, len + 1);
        MsTraceRecord r = { 0 };
        r.kind = kinds[i % G_N_ELEMENTS(kinds)];
        r.time = (MsTime) i * 1000;
        r.arrival = -1;
        r.note = i % 3 == 0 ? "queue.add" : "mailbox.deliver";
        r.subject = i % 4 == 0 ? NULL : "<1.2@example>";
        r.text = i % 6 == 0 ? "Subject: hello" : NULL;
        r.detail = sentence;
        r.count = i % 17 == 0 ? 100000 : (gint64) (i % 50);
        CU_ASSERT_EQUAL(ms_trace_emit_sentence(fast, ctx, r.kind, r.time, r.note, r.subject,
                                               r.text, len, r.count),
                        ms_trace_emit_in(whole, ctx, &r));
        /* A string the index holds, new every time, and now and then one
         * with a sentence's text. */
        char *name = i % 10 == 0 ? g_strdup(sentence) : g_strdup_printf("host-%u.example", i);
        g_ptr_array_add(names, name);
        g_ptr_array_add(copies, (gpointer) intern_copy(fast, name));
        g_free(sentence);
    }
    for (guint i = 0; i < names->len; i++)
        CU_ASSERT_PTR_EQUAL(intern_copy(fast, g_ptr_array_index(names, i)),
                            g_ptr_array_index(copies, i));
    expect_same_traces(fast, whole);
}

/* Events of a known context with no more than a note, a direction and a
 * count go into a tiny slot without the general path's form-by-form
 * checks; they, and those with a little more (a text, a negative or
 * large count, an arrival, a phase) decode as the same records whose
 * context the trace finds itself. */
static void test_emit_small_events_match(void)
{
    g_autoptr(MsTrace) fast = ms_trace_new();
    g_autoptr(MsTrace) whole = ms_trace_new();
    MsTraceRecord c = { 0 };
    c.protocol = "TCP";
    c.src = "a.example";
    c.dst = "b.example";
    c.conn = 7;
    c.src_port = 40000;
    c.dst_port = 25;
    MsTraceContext ctx = ms_trace_context(fast, &c);
    static const MsTraceKind kinds[] = { MS_TRACE_CONN_OPEN, MS_TRACE_CONN_ESTABLISHED,
                                         MS_TRACE_CONN_CLOSE, MS_TRACE_CONN_ABORT };
    for (guint i = 0; i < 700; i++) {
        MsTraceRecord r = c;
        r.kind = kinds[i % G_N_ELEMENTS(kinds)];
        r.time = (MsTime) i * 500 + (i % 29 == 0 ? (MsTime) 3 << 32 : 0);
        r.arrival = i % 31 == 0 ? r.time + 5 : -1;
        r.dir = i % 2 == 0 ? MS_DIR_CLIENT : MS_DIR_SERVER;
        r.note = i % 3 == 0 ? NULL : "tcp.open";
        r.count = i % 13 == 0 ? -2 : i % 17 == 0 ? 5000 : (gint64) (i % 100);
        r.text = i % 19 == 0 ? "why" : NULL;
        r.phase = i % 37 == 0 ? "tcp.handshake" : NULL;
        CU_ASSERT_EQUAL(ms_trace_emit_in(fast, ctx, &r), ms_trace_emit(whole, &r));
    }
    expect_same_traces(fast, whole);
}

/* ---- core/trace/sentences ----------------------------------------------- */

/* An event's sentence is formatted from its format taken apart once and
 * kept by the format's address (sim/agents/world.c): the text is what
 * printf gives, the first time and every time after, for formats in pieces
 * at the limits of what is kept (eight pieces, a text of 255 bytes before
 * a conversion, '%%' anywhere) and past them, for conversions printf must
 * do, and for texts that overflow the room they are formatted in. */
static void test_sentence_formats(void)
{
    const char *null_string = NULL;
    g_autofree char *longer = g_strnfill(300, 'x');
#define SAME(...)                                                         \
    for (guint round = 0; round < 3; round++) {                           \
        g_autofree char *want = g_strdup_printf(__VA_ARGS__);             \
        g_autofree char *got = ms_world_format(__VA_ARGS__);              \
        MS_ASSERT_STR(got, want);                                         \
    }
#define Y10 "yyyyyyyyyy"
#define Y50 Y10 Y10 Y10 Y10 Y10
#define Y250 Y50 Y50 Y50 Y50 Y50
    SAME("no conversion at all");
    SAME("%s", "");
    SAME("%s", null_string);
    SAME("%%");
    SAME("%%%%");
    SAME("%%%s%%", "in");
    SAME("100%% of %u, %d%%", 7u, -3);
    SAME("%d %i %d %d", 0, -1, G_MININT, G_MAXINT);
    SAME("%ld %lu %lld %llu %zu", G_MINLONG, G_MAXULONG, (long long) G_MININT64,
         (unsigned long long) G_MAXUINT64, (gsize) 205);
    /* Seven conversions and a tail: eight pieces.  Eight conversions and
     * a tail, and eight without one, are nine. */
    SAME("a%sb%uc%dd%se%uf%dg%sh", "1", 2u, -3, "4", 5u, 6, "7");
    SAME("a%sb%uc%dd%se%uf%dg%sh%ui", "1", 2u, -3, "4", 5u, 6, "7", 8u);
    SAME("%s%s%s%s%s%s%s%s", "1", "2", "3", "4", "5", "6", "7", "8");
    SAME("%s%s%s%s%s%s%s%s%s", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    /* A text of 255 bytes before a conversion, and of 256. */
    SAME(Y250 "yyyyy%s", "");
    SAME(Y250 "yyyyyy%s", "");
    SAME("%s" Y250 "yyyyy", "");
    /* Longer than the room: printf's text in full. */
    SAME(Y250 "yy%s", "zzz");
    SAME("%s and more", longer);
    SAME("%u" Y250, 1234567u);
    /* Conversions printf does. */
    SAME("%05d|%-4s|%x|%.2f", 42, "ab", 255u, 2.5);
    SAME("%s%c", "end", '!');
    SAME("%zd and %lx", (gssize) -5, 17ul);
#undef Y250
#undef Y50
#undef Y10
#undef SAME
}

/* ---- core/trace/subscribers --------------------------------------------- */

static void emit_actions(MsTrace *trace, guint n)
{
    for (guint i = 0; i < n; i++) {
        MsTraceRecord r = { 0 };
        r.kind = MS_TRACE_ACTION;
        r.arrival = -1;
        r.detail = "act";
        ms_trace_emit(trace, &r);
    }
}

/* A subscriber sees the records logged after it joined, never those logged
 * while nobody listened: before the first one joined, after the last one
 * left, or after the last one left during a delivery. */
static void test_subscribers_after_silence(void)
{
    g_autoptr(MsTrace) trace = ms_trace_new();
    g_autoptr(GArray) seen = g_array_new(FALSE, FALSE, sizeof(guint64));
    Listener l = { trace, seen, 0, FALSE };
    emit_actions(trace, 3); /* 0-2: nobody */
    l.handle = ms_trace_subscribe(trace, on_record, &l);
    emit_actions(trace, 2); /* 3-4 */
    ms_trace_unsubscribe(trace, l.handle);
    emit_actions(trace, 2); /* 5-6: nobody */
    l.leave = TRUE;
    l.handle = ms_trace_subscribe(trace, on_record, &l);
    emit_actions(trace, 1); /* 7, and it leaves */
    emit_actions(trace, 2); /* 8-9: nobody */
    l.handle = ms_trace_subscribe(trace, on_record, &l);
    emit_actions(trace, 1); /* 10 */
    ms_trace_unsubscribe(trace, l.handle);
    static const guint64 expected[] = { 3, 4, 7, 10 };
    CU_ASSERT_EQUAL_FATAL(seen->len, G_N_ELEMENTS(expected));
    for (guint i = 0; i < G_N_ELEMENTS(expected); i++)
        CU_ASSERT_EQUAL(g_array_index(seen, guint64, i), expected[i]);
    CU_ASSERT_EQUAL(ms_trace_length(trace), 11);
}

int main(void)
{
    static const MsTestCase pool[] = {
        MS_TEST(test_same_bytes),
        MS_TEST(test_pool_prefixes),
        MS_TEST(test_pool_one_byte_apart),
        MS_TEST(test_pool_block_ends),
        MS_TEST_END,
    };
    static const MsTestCase emit[] = {
        MS_TEST(test_emit_paths_match_records),
        MS_TEST(test_emit_line_keeps_nul),
        MS_TEST(test_emit_event_matches_records),
        MS_TEST(test_emit_small_events_match),
        MS_TEST(test_emit_sentence_matches_records),
        MS_TEST_END,
    };
    static const MsTestCase sentences[] = {
        MS_TEST(test_sentence_formats),
        MS_TEST_END,
    };
    static const MsTestCase subscribers[] = {
        MS_TEST(test_subscribers_after_silence),
        MS_TEST_END,
    };
    ms_test_add_suite("core/trace/pool", pool);
    ms_test_add_suite("core/trace/emit", emit);
    ms_test_add_suite("core/trace/sentences", sentences);
    ms_test_add_suite("core/trace/subscribers", subscribers);
    return ms_test_run();
}
