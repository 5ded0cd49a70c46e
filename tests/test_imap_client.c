/* test_imap_client.c - the IMAP client engine: a scripted mail reader.
 *
 * imap/client feeds the client scripted server responses and checks the
 * commands it sends and the events it reports; imap/wired connects it to
 * the server engine directly (bytes out of one fed into the other) and
 * checks what ends up in the store: folders that survive a logout, a flag
 * seen from another device, IDLE's push.
 */
#include "testutil.h"
#include "mailsim/imap.h"

#include <string.h>

/* ---- Helpers ------------------------------------------------------------------------ */

static char *join_output(GPtrArray *lines)
{
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < lines->len; i++) {
        const MsProtoLine *l = g_ptr_array_index(lines, i);
        g_string_append_printf(out, "%s%s", i > 0 ? "\n" : "", l->text);
    }
    return g_string_free(out, FALSE);
}

/* Feeds server bytes; returns what the client sent in answer. */
static char *feed(MsImapClient *c, const char *bytes)
{
    ms_imap_client_feed(c, bytes, strlen(bytes));
    g_autoptr(GPtrArray) out = ms_imap_client_take_output(c);
    return join_output(out);
}

static GPtrArray *take_events(MsImapClient *c)
{
    GPtrArray *events = g_ptr_array_new_with_free_func((GDestroyNotify) ms_imap_event_free);
    MsImapEvent *ev;
    while ((ev = ms_imap_client_next_event(c)) != NULL)
        g_ptr_array_add(events, ev);
    return events;
}

/* The kinds of the pending events, "auth-ok done" (and drops them). */
static char *event_kinds(MsImapClient *c)
{
    g_autoptr(GPtrArray) events = take_events(c);
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < events->len; i++) {
        const MsImapEvent *ev = g_ptr_array_index(events, i);
        g_string_append_printf(s, "%s%s", i > 0 ? " " : "", ms_imap_event_kind_name(ev->kind));
    }
    return g_string_free(s, FALSE);
}

/* The first pending event of a kind (transfer full), the others dropped. */
static MsImapEvent *find_event(MsImapClient *c, MsImapEventKind kind)
{
    g_autoptr(GPtrArray) events = take_events(c);
    for (guint i = 0; i < events->len; i++) {
        MsImapEvent *ev = g_ptr_array_index(events, i);
        if (ev->kind == kind)
            return g_ptr_array_steal_index(events, i);
    }
    return NULL;
}

static MsImapClient *client_new(const MsImapOp *ops, guint n_ops)
{
    MsImapClientConfig config = { .user = "bob", .password = "hungry", .ops = ops,
                                  .n_ops = n_ops };
    return ms_imap_client_new(&config);
}

#define GREETING "* OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE MOVE] ready\r\n"
#define SELECT_REPLY(tag)                                                                  \
    "* 3 EXISTS\r\n* 1 RECENT\r\n* OK [UNSEEN 2] first unseen\r\n"                          \
    "* OK [UIDVALIDITY 7] UIDs valid\r\n* OK [UIDNEXT 9] next\r\n"                          \
    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"                           \
    tag " OK [READ-WRITE] SELECT completed\r\n"

/* A client past LOGIN and SELECT INBOX (events dropped); ops after those
 * two follow. */
static MsImapClient *client_selected(const MsImapOp *more, guint n_more,
                                     const MsImapKnownFolder *known, guint n_known,
                                     const char *greeting)
{
    g_autofree MsImapOp *ops = g_new0(MsImapOp, n_more + 2);
    ops[0].kind = MS_IMAP_OP_LOGIN;
    ops[1].kind = MS_IMAP_OP_SELECT;
    ops[1].folder = "INBOX";
    memcpy(ops + 2, more, sizeof(MsImapOp) * n_more);
    MsImapClientConfig config = { .user = "bob", .password = "hungry", .ops = ops,
                                  .n_ops = n_more + 2, .known = known, .n_known = n_known };
    MsImapClient *c = ms_imap_client_new(&config);
    g_autofree char *a = feed(c, greeting);
    MS_ASSERT_STR(a, "A001 LOGIN bob hungry");
    g_autofree char *b = feed(c, "A001 OK LOGIN completed\r\n");
    MS_ASSERT_STR(b, "A002 SELECT INBOX");
    g_ptr_array_unref(take_events(c));
    return c;
}

/* ---- imap/client ------------------------------------------------------------------ */

static void login_select_logout(void)
{
    const MsImapOp ops[] = {
        { .kind = MS_IMAP_OP_LOGIN },
        { .kind = MS_IMAP_OP_SELECT, .folder = "INBOX" },
        { .kind = MS_IMAP_OP_LOGOUT },
    };
    g_autoptr(MsImapClient) c = client_new(ops, G_N_ELEMENTS(ops));
    CU_ASSERT_EQUAL(ms_imap_client_state(c), MS_IMAP_CLIENT_GREETING);
    ms_imap_client_feed(c, GREETING, strlen(GREETING));
    g_autoptr(GPtrArray) out = ms_imap_client_take_output(c);
    CU_ASSERT_EQUAL_FATAL(out->len, 1);
    const MsProtoLine *l = g_ptr_array_index(out, 0);
    /* Tags A001, A002, ...; the line's phase is the state it is sent in. */
    MS_ASSERT_STR(l->text, "A001 LOGIN bob hungry");
    MS_ASSERT_STR(l->note, "imap.cmd.login");
    MS_ASSERT_STR(l->phase, "imap.not-authenticated");
    CU_ASSERT_EQUAL(ms_imap_client_state(c), MS_IMAP_CLIENT_COMMAND);

    ms_imap_client_feed(c, "A001 OK LOGIN completed\r\n", 25);
    g_autoptr(GPtrArray) out2 = ms_imap_client_take_output(c);
    CU_ASSERT_EQUAL_FATAL(out2->len, 1);
    MS_ASSERT_STR(((MsProtoLine *) g_ptr_array_index(out2, 0))->text, "A002 SELECT INBOX");
    MS_ASSERT_STR(((MsProtoLine *) g_ptr_array_index(out2, 0))->phase, "imap.authenticated");
    CU_ASSERT_EQUAL(ms_imap_client_phase(c), MS_IMAP_STATE_AUTHENTICATED);
    g_autoptr(GPtrArray) ev1 = take_events(c);
    CU_ASSERT_EQUAL_FATAL(ev1->len, 2);
    const MsImapEvent *auth = g_ptr_array_index(ev1, 0);
    const MsImapEvent *done = g_ptr_array_index(ev1, 1);
    CU_ASSERT_EQUAL(auth->kind, MS_IMAP_EVENT_AUTH_OK);
    MS_ASSERT_STR(auth->user, "bob");
    CU_ASSERT_EQUAL(done->kind, MS_IMAP_EVENT_DONE);
    CU_ASSERT_EQUAL(done->op, MS_IMAP_OP_LOGIN);
    CU_ASSERT_EQUAL(done->status, MS_IMAP_STATUS_OK);
    MS_ASSERT_STR(done->tag, "A001");

    g_autofree char *r3 = feed(c, SELECT_REPLY("A002"));
    MS_ASSERT_STR(r3, "A003 LOGOUT");
    CU_ASSERT_EQUAL(ms_imap_client_phase(c), MS_IMAP_STATE_LOGOUT);
    g_autoptr(GPtrArray) ev2 = take_events(c);
    /* SELECT's EXISTS is the starting count, not news: no EXISTS event. */
    CU_ASSERT_EQUAL_FATAL(ev2->len, 2);
    const MsImapEvent *sel = g_ptr_array_index(ev2, 0);
    CU_ASSERT_EQUAL(sel->kind, MS_IMAP_EVENT_SELECTED);
    MS_ASSERT_STR(sel->folder, "INBOX");
    CU_ASSERT_EQUAL(sel->count, 3);
    CU_ASSERT_EQUAL(sel->recent, 1);
    CU_ASSERT_EQUAL(sel->unseen, 2);
    CU_ASSERT_EQUAL(sel->uidvalidity, 7);
    CU_ASSERT_EQUAL(sel->uidnext, 9);
    CU_ASSERT_FALSE(sel->read_only);
    g_autofree char *r4 = feed(c, "* BYE logging out\r\nA003 OK LOGOUT completed\r\n");
    MS_ASSERT_STR(r4, "");
    g_autofree char *kinds = event_kinds(c);
    MS_ASSERT_STR(kinds, "done close");
    CU_ASSERT_EQUAL(ms_imap_client_state(c), MS_IMAP_CLIENT_DONE);
    CU_ASSERT_EQUAL(ms_imap_client_phase(c), MS_IMAP_STATE_CLOSED);
}

static void login_failure(void)
{
    const MsImapOp ops[] = {
        { .kind = MS_IMAP_OP_LOGIN },
        { .kind = MS_IMAP_OP_SELECT, .folder = "INBOX" },
        { .kind = MS_IMAP_OP_FETCH_NEW },
        { .kind = MS_IMAP_OP_LOGIN, .text = "hungry2" },
        { .kind = MS_IMAP_OP_LOGOUT },
    };
    g_autoptr(MsImapClient) c = client_new(ops, G_N_ELEMENTS(ops));
    g_autofree char *r1 = feed(c, GREETING);
    g_autofree char *r2 = feed(c, "A001 NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
    /* What needs a login is skipped; the next LOGIN (another password) runs. */
    MS_ASSERT_STR(r2, "A002 LOGIN bob hungry2");
    g_autoptr(GPtrArray) events = take_events(c);
    CU_ASSERT_EQUAL_FATAL(events->len, 2);
    const MsImapEvent *failed = g_ptr_array_index(events, 0);
    CU_ASSERT_EQUAL(failed->kind, MS_IMAP_EVENT_AUTH_FAILED);
    MS_ASSERT_STR(failed->text, "Authentication failed");
    const MsImapEvent *done = g_ptr_array_index(events, 1);
    CU_ASSERT_EQUAL(done->status, MS_IMAP_STATUS_NO);
    MS_ASSERT_STR(done->code, "AUTHENTICATIONFAILED");
    g_autofree char *r3 = feed(c, "A002 NO nope\r\n");
    MS_ASSERT_STR(r3, "A003 LOGOUT");
    CU_ASSERT_EQUAL(ms_imap_client_phase(c), MS_IMAP_STATE_LOGOUT);
}

static void literal_login(void)
{
    const MsImapOp ops[] = { { .kind = MS_IMAP_OP_LOGIN } };
    MsImapClientConfig config = { .user = "bob", .password = "hungry", .ops = ops, .n_ops = 1,
                                  .literal_login = TRUE };
    g_autoptr(MsImapClient) c = ms_imap_client_new(&config);
    ms_imap_client_feed(c, GREETING, strlen(GREETING));
    g_autoptr(GPtrArray) o1 = ms_imap_client_take_output(c);
    /* RFC 3501 7.5: up to the literal's size, then wait for "+". */
    g_autofree char *t1 = join_output(o1);
    MS_ASSERT_STR(t1, "A001 LOGIN {3}");
    CU_ASSERT_EQUAL(ms_imap_client_state(c), MS_IMAP_CLIENT_LITERAL);
    ms_imap_client_feed(c, "+ Ready\r\n", 9);
    g_autoptr(GPtrArray) o2 = ms_imap_client_take_output(c);
    g_autofree char *t2 = join_output(o2);
    MS_ASSERT_STR(t2, "bob {6}");
    MS_ASSERT_STR(((MsProtoLine *) g_ptr_array_index(o2, 0))->note, "imap.cmd.literal");
    CU_ASSERT_EQUAL(ms_imap_client_state(c), MS_IMAP_CLIENT_LITERAL);
    ms_imap_client_feed(c, "+ Ready\r\n", 9);
    g_autoptr(GPtrArray) o3 = ms_imap_client_take_output(c);
    g_autofree char *t3 = join_output(o3);
    MS_ASSERT_STR(t3, "hungry");
    CU_ASSERT_EQUAL(ms_imap_client_state(c), MS_IMAP_CLIENT_COMMAND);
    /* The octets on the wire, put together. */
    g_ptr_array_extend_and_steal(o1, g_steal_pointer(&o2));
    g_ptr_array_extend_and_steal(o1, g_steal_pointer(&o3));
    g_autoptr(GBytes) wire = ms_proto_lines_to_bytes(o1);
    const char *want = "A001 LOGIN {3}\r\nbob {6}\r\nhungry\r\n";
    CU_ASSERT_EQUAL(g_bytes_get_size(wire), strlen(want));
    CU_ASSERT_EQUAL(memcmp(g_bytes_get_data(wire, NULL), want, strlen(want)), 0);

    /* A server that refuses the literal answers NO or BAD instead of "+". */
    g_autoptr(MsImapClient) d = ms_imap_client_new(&config);
    g_autofree char *r1 = feed(d, GREETING);
    g_autofree char *r2 = feed(d, "A001 BAD [TOOBIG] no\r\n");
    MS_ASSERT_STR(r2, "");
    g_autoptr(MsImapEvent) done = find_event(d, MS_IMAP_EVENT_DONE);
    CU_ASSERT_EQUAL_FATAL(done != NULL, TRUE);
    CU_ASSERT_EQUAL(done->status, MS_IMAP_STATUS_BAD);
    CU_ASSERT_EQUAL(ms_imap_client_state(d), MS_IMAP_CLIENT_READY);
}

static void read_and_flag(void)
{
    const MsImapOp more[] = {
        { .kind = MS_IMAP_OP_READ, .number = 2 },
        { .kind = MS_IMAP_OP_FLAG, .set = "2:3", .flags = MS_IMAP_FLAG_FLAGGED },
        { .kind = MS_IMAP_OP_FLAG, .number = 8, .uid = TRUE, .unset = TRUE,
          .flags = MS_IMAP_FLAG_SEEN | MS_IMAP_FLAG_DELETED },
        { .kind = MS_IMAP_OP_READ, .number = 8, .uid = TRUE, .peek = TRUE },
    };
    g_autoptr(MsImapClient) c = client_selected(more, G_N_ELEMENTS(more), NULL, 0, GREETING);
    g_autofree char *r1 = feed(c, SELECT_REPLY("A002"));
    MS_ASSERT_STR(r1, "A003 FETCH 2 (UID BODY[])");
    g_ptr_array_unref(take_events(c));
    const char *msg = "Subject: x\r\n\r\nhi\r\n";
    g_autofree char *resp = g_strdup_printf("* 2 FETCH (BODY[] {%zu}\r\n%s FLAGS (\\Seen))\r\n"
                                            "A003 OK FETCH completed\r\n", strlen(msg), msg);
    g_autofree char *r2 = feed(c, resp);
    MS_ASSERT_STR(r2, "A004 STORE 2:3 +FLAGS (\\Flagged)");
    g_autoptr(MsImapEvent) m = find_event(c, MS_IMAP_EVENT_MESSAGE);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(m->seq, 2);
    CU_ASSERT_EQUAL(m->op, MS_IMAP_OP_READ); /* the operation it came in */
    CU_ASSERT_EQUAL(m->flags, MS_IMAP_FLAG_SEEN);
    CU_ASSERT_FALSE(m->header_only);
    CU_ASSERT_EQUAL(g_bytes_get_size(m->data), strlen(msg));
    CU_ASSERT_EQUAL(memcmp(g_bytes_get_data(m->data, NULL), msg, strlen(msg)), 0);
    g_autofree char *r3 = feed(c, "* 2 FETCH (FLAGS (\\Flagged \\Seen))\r\n"
                                  "* 3 FETCH (FLAGS (\\Flagged \\Recent))\r\n"
                                  "A004 OK STORE completed\r\n");
    MS_ASSERT_STR(r3, "A005 UID STORE 8 -FLAGS (\\Deleted \\Seen)");
    g_autoptr(GPtrArray) events = take_events(c);
    CU_ASSERT_EQUAL_FATAL(events->len, 3);
    const MsImapEvent *f2 = g_ptr_array_index(events, 0);
    const MsImapEvent *f3 = g_ptr_array_index(events, 1);
    CU_ASSERT_EQUAL(f2->kind, MS_IMAP_EVENT_FLAGS);
    CU_ASSERT_EQUAL(f2->flags, MS_IMAP_FLAG_FLAGGED | MS_IMAP_FLAG_SEEN);
    CU_ASSERT_EQUAL(f3->seq, 3);
    CU_ASSERT_EQUAL(f3->flags, MS_IMAP_FLAG_FLAGGED);
    g_autofree char *r4 = feed(c, "* 3 FETCH (UID 8 FLAGS ())\r\nA005 OK done\r\n");
    MS_ASSERT_STR(r4, "A006 UID FETCH 8 BODY.PEEK[]");
    g_autoptr(MsImapEvent) f4 = find_event(c, MS_IMAP_EVENT_FLAGS);
    CU_ASSERT_EQUAL(f4->uid, 8);
    CU_ASSERT_EQUAL(f4->flags, 0);
    g_autofree char *r5 = feed(c, "A006 NO gone\r\n");
    MS_ASSERT_STR(r5, "");
    g_autoptr(MsImapEvent) d = find_event(c, MS_IMAP_EVENT_DONE);
    CU_ASSERT_EQUAL(d->op, MS_IMAP_OP_READ);
    CU_ASSERT_EQUAL(d->status, MS_IMAP_STATUS_NO);
    CU_ASSERT_EQUAL(ms_imap_client_state(c), MS_IMAP_CLIENT_READY);
}

static void fetch_new_by_uid(void)
{
    const MsImapOp more[] = { { .kind = MS_IMAP_OP_FETCH_NEW } };
    const MsImapKnownFolder known[] = { { "INBOX", 7, 5 } };
    g_autoptr(MsImapClient) c = client_selected(more, 1, known, 1, GREETING);
    g_autofree char *r1 = feed(c, SELECT_REPLY("A002"));
    /* What an earlier session knew: UIDs from 5 on are new. */
    MS_ASSERT_STR(r1, "A003 UID FETCH 5:* (UID FLAGS INTERNALDATE RFC822.SIZE "
                      "BODY.PEEK[HEADER])");
    g_ptr_array_unref(take_events(c));
    g_autofree char *r2 = feed(c, "* 2 FETCH (UID 5 FLAGS () INTERNALDATE "
                                  "\"01-Jan-2024 00:00:00 +0000\" RFC822.SIZE 40 "
                                  "BODY[HEADER] {12}\r\nSubject: a\r\n)\r\n"
                                  "* 3 FETCH (UID 6 FLAGS (\\Seen) RFC822.SIZE 41 "
                                  "BODY[HEADER] \"Subject: b\")\r\n"
                                  "A003 OK UID FETCH completed\r\n");
    MS_ASSERT_STR(r2, "");
    g_autoptr(GPtrArray) events = take_events(c);
    CU_ASSERT_EQUAL_FATAL(events->len, 3);
    const MsImapEvent *m1 = g_ptr_array_index(events, 0);
    CU_ASSERT_EQUAL(m1->kind, MS_IMAP_EVENT_MESSAGE);
    CU_ASSERT_EQUAL(m1->uid, 5);
    CU_ASSERT_EQUAL(m1->size, 40);
    CU_ASSERT_EQUAL(m1->internal_date, 1704067200);
    CU_ASSERT(m1->header_only);
    const MsImapEvent *m2 = g_ptr_array_index(events, 1);
    CU_ASSERT_EQUAL(m2->uid, 6);
    CU_ASSERT_EQUAL(m2->flags, MS_IMAP_FLAG_SEEN);
    const MsImapEvent *done = g_ptr_array_index(events, 2);
    CU_ASSERT_EQUAL(done->op, MS_IMAP_OP_FETCH_NEW);
    MS_ASSERT_STR(done->folder, "INBOX");
    CU_ASSERT_EQUAL(done->uidvalidity, 7);
    /* One past the highest UID seen, or the server's UIDNEXT: 9. */
    CU_ASSERT_EQUAL(done->uidnext, 9);

    /* A second "fetch new" in the same session: nothing arrived, and
     * UIDNEXT says so, so no command is needed. */
    const MsImapOp again = { .kind = MS_IMAP_OP_FETCH_NEW };
    ms_imap_client_push_op(c, &again);
    g_autoptr(GPtrArray) o = ms_imap_client_take_output(c);
    CU_ASSERT_EQUAL(o->len, 0);
    g_autoptr(MsImapEvent) d2 = find_event(c, MS_IMAP_EVENT_DONE);
    CU_ASSERT_EQUAL(d2->status, MS_IMAP_STATUS_OK);
    CU_ASSERT_EQUAL(d2->uidnext, 9);

    /* After an EXISTS the client asks; "9:*" may name UID 8 (RFC 3501
     * 6.4.8), which is not new and is not reported. */
    const MsImapOp noop = { .kind = MS_IMAP_OP_NOOP };
    ms_imap_client_push_op(c, &noop);
    g_ptr_array_unref(ms_imap_client_take_output(c));
    g_autofree char *r3 = feed(c, "* 4 EXISTS\r\nA004 OK NOOP\r\n");
    g_autoptr(MsImapEvent) ex = find_event(c, MS_IMAP_EVENT_EXISTS);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ex);
    CU_ASSERT_EQUAL(ex->count, 4);
    CU_ASSERT_FALSE(ex->idling);
    ms_imap_client_push_op(c, &again);
    g_autofree char *r4 = feed(c, "");
    MS_ASSERT_STR(r4, "A005 UID FETCH 9:* (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER])");
    g_autofree char *r5 = feed(c, "* 3 FETCH (UID 8 BODY[HEADER] \"x\")\r\nA005 OK done\r\n");
    g_autofree char *kinds = event_kinds(c);
    MS_ASSERT_STR(kinds, "done");
}

static void fetch_new_unseen(void)
{
    const MsImapOp more[] = { { .kind = MS_IMAP_OP_FETCH_NEW, .full = TRUE },
                              { .kind = MS_IMAP_OP_FETCH_NEW } };
    /* A UIDVALIDITY that changed makes what was known worthless. */
    const MsImapKnownFolder known[] = { { "INBOX", 6, 5 } };
    g_autoptr(MsImapClient) c = client_selected(more, 2, known, 1, GREETING);
    g_autofree char *r1 = feed(c, SELECT_REPLY("A002"));
    MS_ASSERT_STR(r1, "A003 UID SEARCH UNSEEN");
    g_autofree char *r2 = feed(c, "* SEARCH 4 2 3\r\nA003 OK SEARCH completed\r\n");
    MS_ASSERT_STR(r2, "A004 UID FETCH 2:4 (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])");
    g_autofree char *r3 = feed(c, "* 1 FETCH (UID 2 BODY[] \"a\")\r\nA004 OK done\r\n");
    g_autoptr(GPtrArray) events = take_events(c);
    const MsImapEvent *done = g_ptr_array_index(events, events->len - 1);
    CU_ASSERT_EQUAL(done->kind, MS_IMAP_EVENT_DONE);
    CU_ASSERT_EQUAL(done->uidvalidity, 7);
    CU_ASSERT_EQUAL(done->uidnext, 9);
    /* The second one goes by UID from what the first learnt. */
    MS_ASSERT_STR(r3, "");
}

static void move_with_and_without(void)
{
    const MsImapOp more[] = { { .kind = MS_IMAP_OP_MOVE, .number = 1, .folder = "Archive" } };
    g_autoptr(MsImapClient) c = client_selected(more, 1, NULL, 0, GREETING);
    g_autofree char *r1 = feed(c, SELECT_REPLY("A002"));
    /* The greeting's capabilities have MOVE (RFC 6851). */
    MS_ASSERT_STR(r1, "A003 MOVE 1 Archive");

    /* Without capabilities in the greeting the client asks, then falls
     * back to COPY, STORE \Deleted and EXPUNGE. */
    const MsImapOp uid_move[] = { { .kind = MS_IMAP_OP_MOVE, .number = 9, .uid = TRUE,
                                    .folder = "Old Mail" } };
    g_autoptr(MsImapClient) d = client_selected(uid_move, 1, NULL, 0, "* OK ready\r\n");
    g_autofree char *s1 = feed(d, SELECT_REPLY("A002"));
    MS_ASSERT_STR(s1, "A003 CAPABILITY");
    g_autofree char *s2 = feed(d, "* CAPABILITY IMAP4rev1 IDLE\r\nA003 OK done\r\n");
    MS_ASSERT_STR(s2, "A004 UID COPY 9 \"Old Mail\"");
    g_autofree char *s3 = feed(d, "A004 OK COPY completed\r\n");
    MS_ASSERT_STR(s3, "A005 UID STORE 9 +FLAGS.SILENT (\\Deleted)");
    g_autofree char *s4 = feed(d, "A005 OK STORE completed\r\n");
    MS_ASSERT_STR(s4, "A006 EXPUNGE");
    g_ptr_array_unref(take_events(d));
    g_autofree char *s5 = feed(d, "* 2 EXPUNGE\r\nA006 OK EXPUNGE completed\r\n");
    g_autoptr(GPtrArray) events = take_events(d);
    CU_ASSERT_EQUAL_FATAL(events->len, 2);
    const MsImapEvent *ex = g_ptr_array_index(events, 0);
    CU_ASSERT_EQUAL(ex->kind, MS_IMAP_EVENT_EXPUNGE);
    CU_ASSERT_EQUAL(ex->seq, 2);
    const MsImapEvent *done = g_ptr_array_index(events, 1);
    CU_ASSERT_EQUAL(done->op, MS_IMAP_OP_MOVE);
    CU_ASSERT_EQUAL(done->status, MS_IMAP_STATUS_OK);

    /* A failed COPY ends the MOVE with its NO. */
    const MsImapOp again = { .kind = MS_IMAP_OP_MOVE, .number = 1, .folder = "Nope" };
    ms_imap_client_push_op(d, &again);
    g_autofree char *s6 = feed(d, "");
    MS_ASSERT_STR(s6, "A007 COPY 1 Nope");
    g_autofree char *s7 = feed(d, "A007 NO [TRYCREATE] No such mailbox\r\n");
    MS_ASSERT_STR(s7, "");
    g_autoptr(MsImapEvent) no = find_event(d, MS_IMAP_EVENT_DONE);
    CU_ASSERT_EQUAL(no->status, MS_IMAP_STATUS_NO);
    MS_ASSERT_STR(no->code, "TRYCREATE");
}

/* Response codes are read in place: their first word in any case,
 * capabilities one word at a time, numbers of digits only that fit 32
 * bits. */
static void codes_in_any_case(void)
{
    const MsImapOp more[] = { { .kind = MS_IMAP_OP_MOVE, .number = 1, .folder = "Archive" } };
    g_autoptr(MsImapClient) c = client_selected(
        more, 1, NULL, 0, "* OK [capability imap4rev1 literal+  move] ready\r\n");
    g_autofree char *r1 = feed(c,
                               "* 3 EXISTS\r\n* 1 RECENT\r\n* OK [UNSEEN +2] first unseen\r\n"
                               "* OK [uidvalidity 4294967296] UIDs valid\r\n"
                               "* OK [UIDNEXTX 5] not a code\r\n* OK [Uidnext 0009] next\r\n"
                               "A002 OK [READ-WRITE] SELECT completed\r\n");
    /* "move" among the capabilities, in lower case, after two spaces. */
    MS_ASSERT_STR(r1, "A003 MOVE 1 Archive");
    g_autoptr(MsImapEvent) sel = find_event(c, MS_IMAP_EVENT_SELECTED);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sel);
    CU_ASSERT_EQUAL(sel->uidnext, 9);
    CU_ASSERT_EQUAL(sel->uidvalidity, 0);
    CU_ASSERT_EQUAL(sel->unseen, 0);
    CU_ASSERT_EQUAL(sel->count, 3);
}

static void idle_flow(void)
{
    const MsImapOp more[] = { { .kind = MS_IMAP_OP_IDLE }, { .kind = MS_IMAP_OP_IDLE } };
    g_autoptr(MsImapClient) c = client_selected(more, 2, NULL, 0, GREETING);
    g_autofree char *r1 = feed(c, SELECT_REPLY("A002"));
    MS_ASSERT_STR(r1, "A003 IDLE");
    CU_ASSERT_EQUAL(ms_imap_client_state(c), MS_IMAP_CLIENT_IDLE_START);
    g_ptr_array_unref(take_events(c));
    g_autofree char *r2 = feed(c, "+ idling\r\n");
    MS_ASSERT_STR(r2, "");
    CU_ASSERT_EQUAL(ms_imap_client_state(c), MS_IMAP_CLIENT_IDLING);
    g_autoptr(MsImapEvent) idling = find_event(c, MS_IMAP_EVENT_IDLING);
    CU_ASSERT_PTR_NOT_NULL_FATAL(idling);
    CU_ASSERT(idling->idling);
    g_autofree char *r3 = feed(c, "* 4 EXISTS\r\n* 2 RECENT\r\n");
    /* The push the glue times: EXISTS during IDLE. */
    g_autoptr(MsImapEvent) ex = find_event(c, MS_IMAP_EVENT_EXISTS);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ex);
    CU_ASSERT_EQUAL(ex->count, 4);
    CU_ASSERT(ex->idling);
    ms_imap_client_idle_done(c);
    g_autoptr(GPtrArray) o = ms_imap_client_take_output(c);
    CU_ASSERT_EQUAL_FATAL(o->len, 1);
    MS_ASSERT_STR(((MsProtoLine *) g_ptr_array_index(o, 0))->text, "DONE");
    MS_ASSERT_STR(((MsProtoLine *) g_ptr_array_index(o, 0))->note, "imap.cmd.done");
    g_autofree char *r4 = feed(c, "A003 OK IDLE terminated\r\n");
    MS_ASSERT_STR(r4, "A004 IDLE");
    g_autoptr(MsImapEvent) d = find_event(c, MS_IMAP_EVENT_DONE);
    CU_ASSERT_EQUAL(d->op, MS_IMAP_OP_IDLE);
    /* DONE asked for before the "+" waits for it (RFC 2177 3). */
    ms_imap_client_idle_done(c);
    g_autoptr(GPtrArray) none = ms_imap_client_take_output(c);
    CU_ASSERT_EQUAL(none->len, 0);
    g_autofree char *r5 = feed(c, "+ idling\r\n");
    MS_ASSERT_STR(r5, "DONE");
    g_autofree char *r6 = feed(c, "A004 OK IDLE terminated\r\n");
    CU_ASSERT_EQUAL(ms_imap_client_state(c), MS_IMAP_CLIENT_READY);
    g_ptr_array_unref(take_events(c));
    /* A server without IDLE: BAD, and a later idle_done does nothing. */
    const MsImapOp idle = { .kind = MS_IMAP_OP_IDLE };
    ms_imap_client_push_op(c, &idle);
    g_autofree char *r7 = feed(c, "");
    MS_ASSERT_STR(r7, "A005 IDLE");
    g_autofree char *r8 = feed(c, "A005 BAD Unknown command\r\n");
    ms_imap_client_idle_done(c);
    g_autoptr(GPtrArray) none2 = ms_imap_client_take_output(c);
    CU_ASSERT_EQUAL(none2->len, 0);
    g_autoptr(MsImapEvent) bad = find_event(c, MS_IMAP_EVENT_DONE);
    CU_ASSERT_EQUAL(bad->status, MS_IMAP_STATUS_BAD);
}

static void mailbox_ops(void)
{
    const MsImapOp ops[] = {
        { .kind = MS_IMAP_OP_LOGIN },
        { .kind = MS_IMAP_OP_CAPABILITY },
        { .kind = MS_IMAP_OP_LIST },
        { .kind = MS_IMAP_OP_CREATE, .folder = "Work/2024" },
        { .kind = MS_IMAP_OP_RENAME, .folder = "Work", .folder2 = "Old Work" },
        { .kind = MS_IMAP_OP_DELETE, .folder = "Old Work" },
        { .kind = MS_IMAP_OP_SUBSCRIBE, .folder = "INBOX" },
        { .kind = MS_IMAP_OP_STATUS, .folder = "INBOX" },
        { .kind = MS_IMAP_OP_APPEND, .folder = "Sent", .flags = MS_IMAP_FLAG_SEEN,
          .text = "Subject: s\r\n\r\nx\r\n" },
        { .kind = MS_IMAP_OP_EXAMINE, .folder = "Sent" },
        { .kind = MS_IMAP_OP_SEARCH, .text = "UNSEEN FROM alice" },
        { .kind = MS_IMAP_OP_SEARCH, .uid = TRUE },
        { .kind = MS_IMAP_OP_COPY, .set = "1:*", .folder = "INBOX" },
        { .kind = MS_IMAP_OP_EXPUNGE },
        { .kind = MS_IMAP_OP_CLOSE },
        { .kind = MS_IMAP_OP_NOOP },
    };
    g_autoptr(MsImapClient) c = client_new(ops, G_N_ELEMENTS(ops));
    static const struct {
        const char *reply;
        const char *next;
    } steps[] = {
        { GREETING, "A001 LOGIN bob hungry" },
        { "A001 OK LOGIN completed\r\n", "A002 CAPABILITY" },
        { "* CAPABILITY IMAP4rev1\r\nA002 OK done\r\n", "A003 LIST \"\" *" },
        { "* LIST () \"/\" INBOX\r\n* LIST () \"/\" \"Old Mail\"\r\nA003 OK done\r\n",
          "A004 CREATE Work/2024" },
        { "A004 OK done\r\n", "A005 RENAME Work \"Old Work\"" },
        { "A005 OK done\r\n", "A006 DELETE \"Old Work\"" },
        { "A006 NO [INUSE] children\r\n", "A007 SUBSCRIBE INBOX" },
        { "A007 OK done\r\n", "A008 STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)" },
        { "* STATUS INBOX (MESSAGES 3 RECENT 1 UIDNEXT 9 UIDVALIDITY 7 UNSEEN 2)\r\n"
          "A008 OK done\r\n", "A009 APPEND Sent (\\Seen) {17}" },
        { "+ go\r\n", "Subject: s\n\nx\n" },
        { "A009 OK done\r\n", "A010 EXAMINE Sent" },
        { "* 1 EXISTS\r\nA010 OK [READ-ONLY] done\r\n", "A011 SEARCH UNSEEN FROM alice" },
        { "* SEARCH 1\r\nA011 OK done\r\n", "A012 UID SEARCH ALL" },
        { "* SEARCH\r\nA012 OK done\r\n", "A013 COPY 1:* INBOX" },
        { "A013 OK done\r\n", "A014 EXPUNGE" },
        { "A014 NO [READ-ONLY] no\r\n", "A015 CLOSE" },
        { "A015 OK done\r\n", "A016 NOOP" },
    };
    g_autoptr(GPtrArray) events =
        g_ptr_array_new_with_free_func((GDestroyNotify) ms_imap_event_free);
    for (gsize i = 0; i < G_N_ELEMENTS(steps); i++) {
        g_autofree char *r = feed(c, steps[i].reply);
        MS_ASSERT_STR(r, steps[i].next);
        g_ptr_array_extend_and_steal(events, take_events(c));
    }
    CU_ASSERT_EQUAL(ms_imap_client_phase(c), MS_IMAP_STATE_AUTHENTICATED);
    guint seen_list = 0, seen_status = 0, seen_search = 0, seen_selected = 0, dones = 0;
    for (guint i = 0; i < events->len; i++) {
        const MsImapEvent *ev = g_ptr_array_index(events, i);
        if (ev->kind == MS_IMAP_EVENT_LIST) {
            seen_list++;
            CU_ASSERT_EQUAL_FATAL(ev->names->len, 2);
            MS_ASSERT_STR(g_ptr_array_index(ev->names, 1), "Old Mail");
        } else if (ev->kind == MS_IMAP_EVENT_STATUS) {
            seen_status++;
            MS_ASSERT_STR(ev->folder, "INBOX");
            CU_ASSERT_EQUAL(ev->count, 3);
            CU_ASSERT_EQUAL(ev->uidnext, 9);
            CU_ASSERT_EQUAL(ev->unseen, 2);
        } else if (ev->kind == MS_IMAP_EVENT_SEARCH) {
            seen_search++;
            CU_ASSERT_EQUAL(ev->numbers->len, seen_search == 1 ? 1 : 0);
        } else if (ev->kind == MS_IMAP_EVENT_SELECTED) {
            seen_selected++;
            CU_ASSERT(ev->read_only);
            CU_ASSERT_EQUAL(ev->count, 1);
        } else if (ev->kind == MS_IMAP_EVENT_DONE) {
            dones++;
            if (ev->op == MS_IMAP_OP_DELETE)
                MS_ASSERT_STR(ev->code, "INUSE");
        }
    }
    CU_ASSERT_EQUAL(seen_list, 1);
    CU_ASSERT_EQUAL(seen_status, 1);
    CU_ASSERT_EQUAL(seen_search, 2);
    CU_ASSERT_EQUAL(seen_selected, 1);
    CU_ASSERT_EQUAL(dones, 15);
}

static void bad_responses(void)
{
    const MsImapOp ops[] = { { .kind = MS_IMAP_OP_LOGIN }, { .kind = MS_IMAP_OP_NOOP } };
    g_autoptr(MsImapClient) c = client_new(ops, 2);
    g_autofree char *r1 = feed(c, GREETING);
    g_autofree char *r2 = feed(c, "A001 OK done\r\n+ what\r\nA999 OK stray\r\n* 1 FETCH FLAGS\r\n"
                                  "* 1 FETCH (FLAGS\r\n");
    MS_ASSERT_STR(r2, "A002 NOOP");
    g_autofree char *kinds = event_kinds(c);
    MS_ASSERT_STR(kinds, "auth-ok done error error error error");
    /* An unexpected BYE ends the session. */
    g_autofree char *r3 = feed(c, "* BYE Autologout; idle for too long\r\n");
    g_autoptr(GPtrArray) events = take_events(c);
    CU_ASSERT_EQUAL_FATAL(events->len, 2);
    MS_ASSERT_STR(((MsImapEvent *) g_ptr_array_index(events, 0))->text,
                  "Autologout; idle for too long");
    CU_ASSERT_EQUAL(((MsImapEvent *) g_ptr_array_index(events, 1))->kind, MS_IMAP_EVENT_CLOSE);
    CU_ASSERT_EQUAL(ms_imap_client_state(c), MS_IMAP_CLIENT_DONE);
    /* A server that greets with BYE. */
    g_autoptr(MsImapClient) d = client_new(ops, 2);
    g_autofree char *r4 = feed(d, "* BYE too busy\r\n");
    MS_ASSERT_STR(r4, "");
    g_autofree char *k2 = event_kinds(d);
    MS_ASSERT_STR(k2, "error close");
    /* PREAUTH skips the login state (RFC 3501 7.1.4). */
    g_autoptr(MsImapClient) e = client_new(ops + 1, 1);
    g_autofree char *r5 = feed(e, "* PREAUTH welcome\r\n");
    MS_ASSERT_STR(r5, "A001 NOOP");
    CU_ASSERT_EQUAL(ms_imap_client_phase(e), MS_IMAP_STATE_AUTHENTICATED);
    ms_imap_client_abort(e);
    CU_ASSERT_EQUAL(ms_imap_client_state(e), MS_IMAP_CLIENT_DONE);
    g_autofree char *r6 = feed(e, "A001 OK\r\n");
    MS_ASSERT_STR(r6, "");
    MS_ASSERT_STR(ms_imap_op_kind_name(MS_IMAP_OP_FETCH_NEW), "fetch new");
    MS_ASSERT_STR(ms_imap_client_state_name(MS_IMAP_CLIENT_IDLE_START), "idle-start");
}

static const MsTestCase client_cases[] = {
    MS_TEST(login_select_logout), MS_TEST(login_failure), MS_TEST(literal_login),
    MS_TEST(read_and_flag), MS_TEST(fetch_new_by_uid), MS_TEST(fetch_new_unseen),
    MS_TEST(move_with_and_without), MS_TEST(codes_in_any_case),
    MS_TEST(idle_flow), MS_TEST(mailbox_ops),
    MS_TEST(bad_responses), MS_TEST_END,
};

/* ---- imap/wired: the client against the server engine ---------------------------------- */

typedef struct {
    MsImapStore *store;
} Users;

static MsImapStore *u_login(const char *user, const char *password, gpointer data)
{
    Users *u = data;
    gboolean bob = strcmp(user, "bob") == 0 || strcmp(user, "bob@hamburger.edu") == 0;
    return bob && strcmp(password, "hungry") == 0 ? u->store : NULL;
}

static MsImapStore *bob_store(void)
{
    MsImapStore *store = ms_imap_store_new("bob", 500);
    static const char *const msgs[] = {
        "From: Alice <alice@crepes.fr>\r\nSubject: Ketchup\r\n\r\nDo you like ketchup?\r\n",
        "From: Carol <carol@example.org>\r\nSubject: Pickles\r\n\r\nHow about pickles?\r\n",
        "From: alice@crepes.fr\r\nSubject: Mustard\r\n\r\n.Mustard?\r\n",
    };
    const guint flags[] = { MS_IMAP_FLAG_SEEN, 0, MS_IMAP_FLAG_FLAGGED };
    for (gsize i = 0; i < G_N_ELEMENTS(msgs); i++) {
        g_autoptr(GBytes) data = g_bytes_new_static(msgs[i], strlen(msgs[i]));
        ms_imap_store_append(store, "INBOX", data, flags[i], 1704067200 + (gint64) i * 60);
    }
    return store;
}

static MsImapServer *wired_server(Users *u)
{
    MsImapServerConfig config = { .hostname = "hamburger.edu", .login = u_login, .user_data = u };
    MsImapServer *s = ms_imap_server_new(&config, NULL);
    ms_imap_server_start(s);
    return s;
}

/* Every note an engine put on a line must be in the table. */
static void check_notes(GPtrArray *lines)
{
    for (guint i = 0; i < lines->len; i++) {
        const MsProtoLine *l = g_ptr_array_index(lines, i);
        CU_ASSERT_PTR_NOT_NULL(ms_imap_note_text(l->note));
        if (ms_imap_note_text(l->note) == NULL)
            g_printerr("note without text: %s (%s)\n", l->note, l->text);
    }
}

/* Moves bytes both ways until both engines are quiet. */
static void pump(MsImapClient *c, MsImapServer *s)
{
    for (int round = 0; round < 200; round++) {
        g_autoptr(GPtrArray) so = ms_imap_server_take_output(s);
        g_autoptr(GPtrArray) co = ms_imap_client_take_output(c);
        if (so->len == 0 && co->len == 0)
            return;
        check_notes(so);
        check_notes(co);
        g_autoptr(GBytes) sb = ms_proto_lines_to_bytes(so);
        g_autoptr(GBytes) cb = ms_proto_lines_to_bytes(co);
        gsize n = 0;
        const char *d = g_bytes_get_data(sb, &n);
        ms_imap_client_feed(c, d, n);
        d = g_bytes_get_data(cb, &n);
        ms_imap_server_feed(s, d, n);
    }
    CU_FAIL("the engines did not settle");
}

static void drop_server_events(MsImapServer *s)
{
    MsImapEvent *ev;
    while ((ev = ms_imap_server_next_event(s)) != NULL)
        ms_imap_event_free(ev);
}

static void folders_survive(void)
{
    Users u = { bob_store() };
    const MsImapOp ops[] = {
        { .kind = MS_IMAP_OP_LOGIN },
        { .kind = MS_IMAP_OP_CREATE, .folder = "Archive" },
        { .kind = MS_IMAP_OP_SELECT, .folder = "INBOX" },
        { .kind = MS_IMAP_OP_FETCH_NEW, .full = TRUE },
        { .kind = MS_IMAP_OP_READ, .number = 1 },
        { .kind = MS_IMAP_OP_FLAG, .number = 2, .flags = MS_IMAP_FLAG_FLAGGED },
        { .kind = MS_IMAP_OP_MOVE, .number = 1, .folder = "Archive" },
        { .kind = MS_IMAP_OP_SEARCH, .text = "FLAGGED" },
        { .kind = MS_IMAP_OP_LIST },
        { .kind = MS_IMAP_OP_LOGOUT },
    };
    g_autoptr(MsImapServer) s = wired_server(&u);
    g_autoptr(MsImapClient) c = client_new(ops, G_N_ELEMENTS(ops));
    pump(c, s);
    CU_ASSERT_EQUAL(ms_imap_client_state(c), MS_IMAP_CLIENT_DONE);
    CU_ASSERT_EQUAL(ms_imap_server_state(s), MS_IMAP_STATE_CLOSED);
    g_autoptr(GPtrArray) events = take_events(c);
    guint messages = 0, dones = 0;
    gboolean closed = FALSE;
    for (guint i = 0; i < events->len; i++) {
        const MsImapEvent *ev = g_ptr_array_index(events, i);
        switch (ev->kind) {
        case MS_IMAP_EVENT_MESSAGE: {
            messages++;
            MsImapMessageInfo info = { 0 };
            /* READ 1 read INBOX's UID 1, which is now Archive's UID 1. */
            CU_ASSERT(ev->uid != 0);
            gboolean found = ms_imap_store_find_uid(u.store, "INBOX", ev->uid, &info) ||
                             (ev->uid == 1 && ms_imap_store_find_uid(u.store, "Archive", 1, &info));
            CU_ASSERT_FATAL(found);
            /* The octets arrive as they were stored, dot line and all. */
            CU_ASSERT(g_bytes_equal(ev->data, info.data));
            break;
        }
        case MS_IMAP_EVENT_DONE:
            dones++;
            CU_ASSERT_EQUAL(ev->status, MS_IMAP_STATUS_OK);
            break;
        case MS_IMAP_EVENT_SEARCH:
            /* Message 1 moved away: UIDs 2 and 3 are now 1 and 2. */
            CU_ASSERT_EQUAL_FATAL(ev->numbers->len, 2);
            CU_ASSERT_EQUAL(g_array_index(ev->numbers, guint32, 0), 1);
            CU_ASSERT_EQUAL(g_array_index(ev->numbers, guint32, 1), 2);
            break;
        case MS_IMAP_EVENT_LIST:
            CU_ASSERT_EQUAL_FATAL(ev->names->len, 2);
            MS_ASSERT_STR(g_ptr_array_index(ev->names, 0), "INBOX");
            MS_ASSERT_STR(g_ptr_array_index(ev->names, 1), "Archive");
            break;
        case MS_IMAP_EVENT_EXPUNGE: CU_ASSERT_EQUAL(ev->seq, 1); break;
        case MS_IMAP_EVENT_CLOSE: closed = TRUE; break;
        default: break;
        }
    }
    /* FETCH_NEW: the two unseen; READ: one. */
    CU_ASSERT_EQUAL(messages, 3);
    CU_ASSERT_EQUAL(dones, G_N_ELEMENTS(ops));
    CU_ASSERT(closed);
    CU_ASSERT_EQUAL(ms_imap_store_count(u.store, "INBOX"), 2);
    CU_ASSERT_EQUAL(ms_imap_store_count(u.store, "Archive"), 1);
    MsImapMessageInfo info = { 0 };
    CU_ASSERT(ms_imap_store_find_uid(u.store, "INBOX", 2, &info));
    CU_ASSERT_EQUAL(info.flags, MS_IMAP_FLAG_FLAGGED);

    /* Log in again, from anywhere: the folder and its message are there. */
    const MsImapOp later[] = {
        { .kind = MS_IMAP_OP_LOGIN },
        { .kind = MS_IMAP_OP_LIST, .folder = "Arch%" },
        { .kind = MS_IMAP_OP_EXAMINE, .folder = "Archive" },
        { .kind = MS_IMAP_OP_LOGOUT },
    };
    g_autoptr(MsImapServer) s2 = wired_server(&u);
    g_autoptr(MsImapClient) c2 = client_new(later, G_N_ELEMENTS(later));
    pump(c2, s2);
    g_autoptr(MsImapEvent) list = find_event(c2, MS_IMAP_EVENT_LIST);
    CU_ASSERT_EQUAL_FATAL(list->names->len, 1);
    MS_ASSERT_STR(g_ptr_array_index(list->names, 0), "Archive");
    ms_imap_store_unref(u.store);
}

static void idle_wired(void)
{
    Users u = { bob_store() };
    const MsImapOp ops[] = {
        { .kind = MS_IMAP_OP_LOGIN },
        { .kind = MS_IMAP_OP_SELECT, .folder = "INBOX" },
        { .kind = MS_IMAP_OP_IDLE },
    };
    g_autoptr(MsImapServer) s = wired_server(&u);
    g_autoptr(MsImapClient) c = client_new(ops, G_N_ELEMENTS(ops));
    pump(c, s);
    CU_ASSERT_EQUAL(ms_imap_client_state(c), MS_IMAP_CLIENT_IDLING);
    CU_ASSERT(ms_imap_server_idling(s));
    g_autoptr(MsImapEvent) idling = find_event(c, MS_IMAP_EVENT_IDLING);
    CU_ASSERT_PTR_NOT_NULL(idling);
    /* A delivery, and the glue's notify: the EXISTS reaches the client
     * without it asking. */
    g_autoptr(GBytes) data = g_bytes_new_static("Subject: new\r\n\r\nhi\r\n", 20);
    ms_imap_store_append(u.store, "INBOX", data, 0, 1704070000);
    ms_imap_server_notify(s);
    pump(c, s);
    g_autoptr(MsImapEvent) ex = find_event(c, MS_IMAP_EVENT_EXISTS);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ex);
    CU_ASSERT_EQUAL(ex->count, 4);
    CU_ASSERT(ex->idling);
    ms_imap_client_idle_done(c);
    pump(c, s);
    CU_ASSERT_FALSE(ms_imap_server_idling(s));
    g_autoptr(MsImapEvent) done = find_event(c, MS_IMAP_EVENT_DONE);
    CU_ASSERT_EQUAL(done->op, MS_IMAP_OP_IDLE);
    CU_ASSERT_EQUAL(done->status, MS_IMAP_STATUS_OK);
    const MsImapOp fetch = { .kind = MS_IMAP_OP_FETCH_NEW };
    ms_imap_client_push_op(c, &fetch);
    pump(c, s);
    g_autoptr(GPtrArray) events = take_events(c);
    gboolean got4 = FALSE;
    for (guint i = 0; i < events->len; i++) {
        const MsImapEvent *ev = g_ptr_array_index(events, i);
        if (ev->kind == MS_IMAP_EVENT_MESSAGE && ev->uid == 4) {
            got4 = TRUE;
            CU_ASSERT(ev->header_only);
            CU_ASSERT_EQUAL(g_bytes_get_size(ev->data), 16); /* "Subject: new" CRLF CRLF */
        }
    }
    CU_ASSERT(got4);
    const MsImapOp logout = { .kind = MS_IMAP_OP_LOGOUT };
    ms_imap_client_push_op(c, &logout);
    pump(c, s);
    CU_ASSERT_EQUAL(ms_imap_client_state(c), MS_IMAP_CLIENT_DONE);
    ms_imap_store_unref(u.store);
}

static void two_devices_wired(void)
{
    Users u = { bob_store() };
    const MsImapOp phone_ops[] = {
        { .kind = MS_IMAP_OP_LOGIN },
        { .kind = MS_IMAP_OP_SELECT, .folder = "INBOX" },
    };
    const MsImapOp laptop_ops[] = {
        { .kind = MS_IMAP_OP_LOGIN },
        { .kind = MS_IMAP_OP_SELECT, .folder = "INBOX" },
        { .kind = MS_IMAP_OP_FLAG, .number = 1, .flags = MS_IMAP_FLAG_FLAGGED },
        { .kind = MS_IMAP_OP_LOGOUT },
    };
    g_autoptr(MsImapServer) ps = wired_server(&u);
    g_autoptr(MsImapClient) phone = client_new(phone_ops, G_N_ELEMENTS(phone_ops));
    pump(phone, ps);
    g_autoptr(MsImapServer) ls = wired_server(&u);
    g_autoptr(MsImapClient) laptop = client_new(laptop_ops, G_N_ELEMENTS(laptop_ops));
    pump(laptop, ls);
    CU_ASSERT_EQUAL(ms_imap_client_state(laptop), MS_IMAP_CLIENT_DONE);
    g_ptr_array_unref(take_events(phone));
    drop_server_events(ps);
    /* The phone polls; the laptop's flag comes back as a FETCH. */
    const MsImapOp noop = { .kind = MS_IMAP_OP_NOOP };
    ms_imap_client_push_op(phone, &noop);
    pump(phone, ps);
    g_autoptr(MsImapEvent) flags = find_event(phone, MS_IMAP_EVENT_FLAGS);
    CU_ASSERT_PTR_NOT_NULL_FATAL(flags);
    CU_ASSERT_EQUAL(flags->seq, 1);
    CU_ASSERT_EQUAL(flags->uid, 1);
    CU_ASSERT_EQUAL(flags->flags, MS_IMAP_FLAG_FLAGGED | MS_IMAP_FLAG_SEEN);
    ms_imap_store_unref(u.store);
}

static void literals_wired(void)
{
    Users u = { bob_store() };
    const char *msg = "From: bob@hamburger.edu\r\nSubject: draft\r\n\r\nline 1\r\n.\r\n";
    const MsImapOp ops[] = {
        { .kind = MS_IMAP_OP_LOGIN },
        { .kind = MS_IMAP_OP_APPEND, .folder = "Drafts", .flags = MS_IMAP_FLAG_DRAFT,
          .text = msg },
        { .kind = MS_IMAP_OP_CREATE, .folder = "Drafts" },
        { .kind = MS_IMAP_OP_APPEND, .folder = "Drafts", .flags = MS_IMAP_FLAG_DRAFT,
          .text = msg },
        { .kind = MS_IMAP_OP_EXAMINE, .folder = "Drafts" },
        { .kind = MS_IMAP_OP_READ, .number = 1, .peek = TRUE },
        { .kind = MS_IMAP_OP_LOGOUT },
    };
    MsImapClientConfig config = { .user = "bob@hamburger.edu", .password = "hungry", .ops = ops,
                                  .n_ops = G_N_ELEMENTS(ops), .literal_login = TRUE };
    g_autoptr(MsImapServer) s = wired_server(&u);
    g_autoptr(MsImapClient) c = ms_imap_client_new(&config);
    pump(c, s);
    CU_ASSERT_EQUAL(ms_imap_client_state(c), MS_IMAP_CLIENT_DONE);
    g_autoptr(GPtrArray) events = take_events(c);
    guint done_index = 0;
    for (guint i = 0; i < events->len; i++) {
        const MsImapEvent *ev = g_ptr_array_index(events, i);
        if (ev->kind == MS_IMAP_EVENT_DONE) {
            /* The first APPEND: no Drafts yet, TRYCREATE. */
            if (done_index == 1) {
                MS_ASSERT_STR(ev->code, "TRYCREATE");
            } else {
                CU_ASSERT_EQUAL(ev->status, MS_IMAP_STATUS_OK);
            }
            done_index++;
        } else if (ev->kind == MS_IMAP_EVENT_MESSAGE) {
            /* A literal each way: the message came back byte for byte. */
            CU_ASSERT_EQUAL(g_bytes_get_size(ev->data), strlen(msg));
            CU_ASSERT_EQUAL(memcmp(g_bytes_get_data(ev->data, NULL), msg, strlen(msg)), 0);
            CU_ASSERT_EQUAL(ev->seq, 1);
        }
    }
    CU_ASSERT_EQUAL(done_index, G_N_ELEMENTS(ops));
    MsImapMessageInfo info = { 0 };
    CU_ASSERT(ms_imap_store_find_uid(u.store, "Drafts", 1, &info));
    CU_ASSERT_EQUAL(info.flags, MS_IMAP_FLAG_DRAFT);
    ms_imap_store_unref(u.store);
}

static const MsTestCase wired_cases[] = {
    MS_TEST(folders_survive), MS_TEST(idle_wired), MS_TEST(two_devices_wired),
    MS_TEST(literals_wired), MS_TEST_END,
};

int main(void)
{
    ms_test_add_suite("imap/client", client_cases);
    ms_test_add_suite("imap/wired", wired_cases);
    return ms_test_run();
}
