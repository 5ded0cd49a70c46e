/* imap_common.c - what both IMAP engines share: the names of states,
 * statuses, flags, events and operations, the table of annotation keys a
 * transcript explains, RFC 3501's date formats, mailbox names and LIST
 * patterns.
 */
#include "imap-private.h"

#include <string.h>

#define STATE_NAME_(e, name, phase) [e] = name,
static const char *const state_names[] = { MS_IMAP_STATES(STATE_NAME_) };
#undef STATE_NAME_

#define STATE_PHASE_(e, name, phase) [e] = phase,
static const char *const state_phases[] = { MS_IMAP_STATES(STATE_PHASE_) };
#undef STATE_PHASE_

#define NAME_(e, name) [e] = name,
static const char *const status_names[] = { MS_IMAP_STATUSES(NAME_) };
static const char *const event_names[] = { MS_IMAP_EVENT_KINDS(NAME_) };
static const char *const op_names[] = { MS_IMAP_OP_KINDS(NAME_) };
static const char *const client_state_names[] = { MS_IMAP_CLIENT_STATES(NAME_) };
static const char *const change_names[] = { MS_IMAP_CHANGE_KINDS(NAME_) };
#undef NAME_

#define RESULT_(e, name, code, text) [e] = { name, code, text },
static const struct {
    const char *name;
    const char *code;
    const char *text;
} store_results[] = { MS_IMAP_STORE_RESULTS(RESULT_) };
#undef RESULT_

#define FLAG_(e, bit, name) { bit, name },
static const struct {
    guint bit;
    const char *name;
} flag_names[] = { MS_IMAP_FLAGS(FLAG_) };
#undef FLAG_

#define EXT_(e, bit, name) { bit, name },
static const struct {
    guint bit;
    const char *name;
} extensions[] = { MS_IMAP_EXTENSIONS(EXT_) };
#undef EXT_

const char *ms_imap_state_name(MsImapState state)
{
    g_return_val_if_fail(state < MS_IMAP_N_STATES, "?");
    return state_names[state];
}

const char *ms_imap_state_phase(MsImapState state)
{
    g_return_val_if_fail(state < MS_IMAP_N_STATES, "imap.not-authenticated");
    return state_phases[state];
}

const char *ms_imap_status_name(MsImapStatus status)
{
    g_return_val_if_fail(status < MS_IMAP_N_STATUSES, "?");
    return status_names[status];
}

const char *ms_imap_event_kind_name(MsImapEventKind kind)
{
    g_return_val_if_fail(kind < MS_IMAP_N_EVENT_KINDS, "?");
    return event_names[kind];
}

const char *ms_imap_op_kind_name(MsImapOpKind kind)
{
    g_return_val_if_fail(kind < MS_IMAP_N_OP_KINDS, "?");
    return op_names[kind];
}

const char *ms_imap_client_state_name(MsImapClientState state)
{
    g_return_val_if_fail(state < MS_IMAP_N_CLIENT_STATES, "?");
    return client_state_names[state];
}

const char *ms_imap_change_kind_name(MsImapChangeKind kind)
{
    g_return_val_if_fail(kind < MS_IMAP_N_CHANGE_KINDS, "?");
    return change_names[kind];
}

const char *ms_imap_store_result_name(MsImapStoreResult result)
{
    g_return_val_if_fail(result < MS_IMAP_N_STORE_RESULTS, "?");
    return store_results[result].name;
}

const char *ms_imap_store_result_code(MsImapStoreResult result)
{
    g_return_val_if_fail(result < MS_IMAP_N_STORE_RESULTS, NULL);
    return store_results[result].code;
}

const char *ms_imap_store_result_text(MsImapStoreResult result)
{
    g_return_val_if_fail(result < MS_IMAP_N_STORE_RESULTS, "?");
    return store_results[result].text;
}

/* Room for every flag name with a space after each. */
#define FLAGS_TEXT_MAX 80

/* The flag names, space-separated, written to buf (FLAGS_TEXT_MAX octets,
 * not NUL-terminated); returns their length. */
static gsize flags_text(char *buf, guint flags, gboolean recent)
{
    gsize n = 0;
    for (gsize i = 0; i < G_N_ELEMENTS(flag_names) + 1; i++) {
        const char *name = i < G_N_ELEMENTS(flag_names) ? flag_names[i].name : "\\Recent";
        gboolean on = i < G_N_ELEMENTS(flag_names) ? (flags & flag_names[i].bit) != 0 : recent;
        if (!on)
            continue;
        gsize len = strlen(name);
        g_assert(n + 1 + len <= FLAGS_TEXT_MAX);
        if (n > 0)
            buf[n++] = ' ';
        memcpy(buf + n, name, len);
        n += len;
    }
    return n;
}

void ms_imap_write_flags(MsImapWriter *w, guint flags, gboolean recent)
{
    char buf[FLAGS_TEXT_MAX];
    ms_imap_writer_add_len(w, buf, flags_text(buf, flags, recent));
}

char *ms_imap_flags_to_string(guint flags, gboolean recent)
{
    char buf[FLAGS_TEXT_MAX];
    return g_strndup(buf, flags_text(buf, flags, recent));
}

guint ms_imap_flag_from_name(const char *name)
{
    /* RFC 3501 section 9: flag names are case-insensitive atoms.  Every
     * name starts with a backslash, so the octet after it picks the few
     * worth comparing whole: every fetched message's flags come here. */
    if (name == NULL || name[0] != '\\')
        return 0;
    char second = g_ascii_tolower(name[1]);
    for (gsize i = 0; i < G_N_ELEMENTS(flag_names); i++) {
        if (g_ascii_tolower(flag_names[i].name[1]) == second
            && ms_imap_ascii_caseeq(name, flag_names[i].name))
            return flag_names[i].bit;
    }
    return 0;
}

void ms_imap_write_capabilities(MsImapWriter *w, guint disabled_extensions)
{
    /* RFC 3501 7.2.1: IMAP4rev1 must come first among the capabilities. */
    ms_imap_writer_add_len(w, "IMAP4rev1", 9);
    for (gsize i = 0; i < G_N_ELEMENTS(extensions); i++) {
        if ((disabled_extensions & extensions[i].bit) == 0) {
            ms_imap_writer_add_len(w, " ", 1);
            ms_imap_writer_add(w, extensions[i].name);
        }
    }
}

char *ms_imap_capabilities(guint disabled_extensions)
{
    MsImapWriter w;
    ms_imap_writer_init(&w);
    ms_imap_write_capabilities(&w, disabled_extensions);
    char *caps = g_strndup(w.data, w.len);
    ms_imap_writer_clear(&w);
    return caps;
}

/* ---- Annotation keys ---------------------------------------------------------
 * Every key either engine puts on a line.  The texts are what a lecturer
 * would say pointing at the line; they are translated elsewhere. */
static const MsImapNote notes[] = {
    { "imap.greeting", "* OK: the server is ready; the session is in the not-authenticated state" },
    { "imap.cmd.capability", "CAPABILITY: which IMAP version and extensions the server has" },
    { "imap.cmd.noop", "NOOP: do nothing, but let the server report changes to the mailbox" },
    { "imap.cmd.logout", "LOGOUT: end the session" },
    { "imap.cmd.login", "LOGIN: user name and password, in clear text" },
    { "imap.cmd.authenticate", "AUTHENTICATE: log in with a SASL mechanism" },
    { "imap.cmd.select", "SELECT: open a mailbox to read and change it" },
    { "imap.cmd.examine", "EXAMINE: open a mailbox read-only" },
    { "imap.cmd.create", "CREATE: make a new mailbox (folder) on the server" },
    { "imap.cmd.delete", "DELETE: remove a mailbox and its messages" },
    { "imap.cmd.rename", "RENAME: give a mailbox a new name" },
    { "imap.cmd.subscribe", "SUBSCRIBE: add a mailbox to the list the client shows" },
    { "imap.cmd.unsubscribe", "UNSUBSCRIBE: take a mailbox off the subscribed list" },
    { "imap.cmd.list", "LIST: which mailboxes exist (wildcards * and %)" },
    { "imap.cmd.lsub", "LSUB: which mailboxes are subscribed" },
    { "imap.cmd.status", "STATUS: counts of a mailbox without selecting it" },
    { "imap.cmd.append", "APPEND: store a message the client sends into a mailbox" },
    { "imap.cmd.check", "CHECK: a checkpoint of the selected mailbox" },
    { "imap.cmd.close", "CLOSE: expunge \\Deleted messages silently and leave the mailbox" },
    { "imap.cmd.unselect", "UNSELECT: leave the mailbox without expunging (RFC 3691)" },
    { "imap.cmd.expunge", "EXPUNGE: remove every message flagged \\Deleted" },
    { "imap.cmd.search", "SEARCH: which messages match the criteria (sequence numbers)" },
    { "imap.cmd.fetch", "FETCH: data of messages, by sequence number" },
    { "imap.cmd.store", "STORE: change the flags of messages" },
    { "imap.cmd.copy", "COPY: copy messages to another mailbox" },
    { "imap.cmd.move", "MOVE: move messages to another mailbox (RFC 6851)" },
    { "imap.cmd.uid.fetch", "UID FETCH: FETCH naming messages by their unique identifiers" },
    { "imap.cmd.uid.store", "UID STORE: STORE naming messages by UID" },
    { "imap.cmd.uid.copy", "UID COPY: COPY naming messages by UID" },
    { "imap.cmd.uid.move", "UID MOVE: MOVE naming messages by UID" },
    { "imap.cmd.uid.search", "UID SEARCH: SEARCH answering with UIDs" },
    { "imap.cmd.idle", "IDLE: wait for the server to push changes (RFC 2177)" },
    { "imap.cmd.done", "DONE: end IDLE" },
    { "imap.cmd.literal", "literal data: exactly the announced number of octets" },
    { "imap.cmd.unknown", "a command IMAP does not define" },
    { "imap.cont", "+ continuation: the server is ready for the literal's octets" },
    { "imap.cont.idle", "+ continuation: IDLE accepted; changes are now pushed at once" },
    { "imap.resp.capability", "* CAPABILITY: the server's version and extensions" },
    { "imap.resp.list", "* LIST: one mailbox, its attributes and the hierarchy delimiter" },
    { "imap.resp.lsub", "* LSUB: one subscribed mailbox" },
    { "imap.resp.status", "* STATUS: the requested counts of a mailbox" },
    { "imap.resp.flags", "* FLAGS: the flags defined in this mailbox" },
    { "imap.resp.exists", "* n EXISTS: the mailbox now holds n messages" },
    { "imap.resp.recent", "* n RECENT: messages new since the last session looked" },
    { "imap.resp.expunge", "* n EXPUNGE: message n is gone; the ones above it move down by one" },
    { "imap.resp.fetch", "* n FETCH: data of message n" },
    { "imap.resp.fetch.flags", "* n FETCH (FLAGS ...): the flags of message n changed" },
    { "imap.resp.search", "* SEARCH: the numbers of the matching messages" },
    { "imap.resp.code.unseen", "* OK [UNSEEN n]: the first message not yet read" },
    { "imap.resp.code.uidvalidity",
      "* OK [UIDVALIDITY n]: UIDs stay valid while this value stays" },
    { "imap.resp.code.uidnext", "* OK [UIDNEXT n]: the UID the next message will get" },
    { "imap.resp.code.permanentflags", "* OK [PERMANENTFLAGS]: flags that survive the session" },
    { "imap.resp.info", "* OK: information; no command completes here" },
    { "imap.resp.bye", "* BYE: the server is closing the connection" },
    { "imap.resp.bye.errors", "* BYE: the client sent too many invalid commands in this"
                              " session; the server closes the connection" },
    { "imap.resp.bye.toobig", "* BYE: a literal too large that came without waiting for \"+\";"
                              " rather than read its octets, the server closes the connection" },
    { "imap.data.literal", "literal data: the announced number of octets, sent as they are" },
    { "imap.resp.ok", "OK: the tagged command completed" },
    { "imap.resp.ok.login", "OK: logged in; now in the authenticated state" },
    { "imap.resp.ok.select", "OK [READ-WRITE]: mailbox selected; now in the selected state" },
    { "imap.resp.ok.examine", "OK [READ-ONLY]: mailbox opened read-only; selected state" },
    { "imap.resp.ok.idle", "OK: IDLE ended" },
    { "imap.resp.ok.logout", "OK: logged out; the server closes the connection" },
    { "imap.resp.no", "NO: the command was understood but failed" },
    { "imap.resp.no.login", "NO: user name or password refused; the client may try again" },
    { "imap.resp.no.mailbox", "NO: there is no such mailbox" },
    { "imap.resp.no.trycreate", "NO [TRYCREATE]: the target mailbox must be created first" },
    { "imap.resp.no.parse", "NO [PARSE]: the message is not message text (a NUL, or a CR or LF"
                            " not in a CRLF); nothing was stored" },
    { "imap.resp.no.exists", "NO: a mailbox with that name already exists" },
    { "imap.resp.no.readonly", "NO: the mailbox was opened read-only (EXAMINE)" },
    { "imap.resp.no.unsupported", "NO: the server does not offer this" },
    { "imap.resp.bad", "BAD: the command was not acceptable" },
    { "imap.resp.bad.unknown", "BAD: no such command" },
    { "imap.resp.bad.state", "BAD: the command is not allowed in the current state" },
    { "imap.resp.bad.syntax", "BAD: the arguments do not follow the RFC's grammar" },
    { "imap.resp.bad.seqset", "BAD: a message sequence number outside 1..EXISTS" },
    { "imap.resp.bad.toobig", "BAD [TOOBIG]: the literal is larger than the server accepts" },
};

const MsImapNote *ms_imap_notes(gsize *n_out)
{
    if (n_out != NULL)
        *n_out = G_N_ELEMENTS(notes);
    return notes;
}

const char *ms_imap_note_text(const char *key)
{
    return ms_proto_note_find(notes, G_N_ELEMENTS(notes), key);
}

/* The word at *pos (up to a space or the end), moving *pos past it. */
static gsize next_word(const char *line, gsize len, gsize *pos, const char **word_out)
{
    gsize start = *pos;
    gsize end = start;
    while (end < len && line[end] != ' ')
        end++;
    *word_out = line + start;
    *pos = end < len ? end + 1 : end;
    return end - start;
}

/* A verb matches a word of n octets, case-blind. */
static gboolean verb_is(const char *verb, const char *word, gsize n)
{
    return strlen(verb) == n && ms_proto_ascii_caseeq(verb, word, n);
}

const char *ms_imap_command_note(const char *line, gsize len)
{
    /* Each verb with its key in notes[], spelt out so that every command a
     * client sends finds its key without putting one together. */
    static const struct {
        const char *verb;
        const char *note;
    } verbs[] = {
        { "capability", "imap.cmd.capability" }, { "noop", "imap.cmd.noop" },
        { "logout", "imap.cmd.logout" }, { "login", "imap.cmd.login" },
        { "authenticate", "imap.cmd.authenticate" }, { "select", "imap.cmd.select" },
        { "examine", "imap.cmd.examine" }, { "create", "imap.cmd.create" },
        { "delete", "imap.cmd.delete" }, { "rename", "imap.cmd.rename" },
        { "subscribe", "imap.cmd.subscribe" }, { "unsubscribe", "imap.cmd.unsubscribe" },
        { "list", "imap.cmd.list" }, { "lsub", "imap.cmd.lsub" },
        { "status", "imap.cmd.status" }, { "append", "imap.cmd.append" },
        { "check", "imap.cmd.check" }, { "close", "imap.cmd.close" },
        { "unselect", "imap.cmd.unselect" }, { "expunge", "imap.cmd.expunge" },
        { "search", "imap.cmd.search" }, { "fetch", "imap.cmd.fetch" },
        { "store", "imap.cmd.store" }, { "copy", "imap.cmd.copy" },
        { "move", "imap.cmd.move" }, { "idle", "imap.cmd.idle" },
    }, uid_verbs[] = {
        { "fetch", "imap.cmd.uid.fetch" }, { "store", "imap.cmd.uid.store" },
        { "copy", "imap.cmd.uid.copy" }, { "move", "imap.cmd.uid.move" },
        { "search", "imap.cmd.uid.search" },
    };
    /* RFC 2177 3: DONE is a line of its own, without a tag. */
    if (len == 4 && ms_proto_ascii_caseeq(line, "DONE", 4))
        return "imap.cmd.done";
    gsize pos = 0;
    const char *word = NULL;
    next_word(line, len, &pos, &word); /* the tag */
    gsize n = next_word(line, len, &pos, &word);
    gboolean uid = n == 3 && ms_proto_ascii_caseeq(word, "UID", 3);
    if (uid) {
        n = next_word(line, len, &pos, &word);
        for (gsize i = 0; i < G_N_ELEMENTS(uid_verbs); i++) {
            if (verb_is(uid_verbs[i].verb, word, n))
                return uid_verbs[i].note;
        }
        return "imap.cmd.unknown";
    }
    for (gsize i = 0; i < G_N_ELEMENTS(verbs); i++) {
        if (verb_is(verbs[i].verb, word, n))
            return verbs[i].note;
    }
    return "imap.cmd.unknown";
}

/* ---- Dates ---------------------------------------------------------------------
 * RFC 3501 section 9:
 *   date-time  = DQUOTE date-day-fixed "-" date-month "-" date-year
 *                SP time SP zone DQUOTE
 *   date       = date-text / DQUOTE date-text DQUOTE
 *   date-text  = date-day "-" date-month "-" date-year
 *   date-month = "Jan" / "Feb" / ... / "Dec"
 *   zone       = ("+" / "-") 4DIGIT
 * The calendar arithmetic is done here (proleptic Gregorian, days counted
 * from 1970-01-01) so that no time zone database or locale is involved. */
static const char *const months[] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* Days from 1970-01-01 to y-m-d (H. Hinnant's days_from_civil). */
static gint64 days_from_civil(gint64 y, guint m, guint d)
{
    y -= m <= 2;
    gint64 era = (y >= 0 ? y : y - 399) / 400;
    gint64 yoe = y - era * 400;
    gint64 doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    gint64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(gint64 z, gint64 *y_out, guint *m_out, guint *d_out)
{
    z += 719468;
    gint64 era = (z >= 0 ? z : z - 146096) / 146097;
    gint64 doe = z - era * 146097;
    gint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    gint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    gint64 mp = (5 * doy + 2) / 153;
    guint d = (guint) (doy - (153 * mp + 2) / 5 + 1);
    guint m = (guint) (mp < 10 ? mp + 3 : mp - 9);
    *y_out = yoe + era * 400 + (m <= 2);
    *m_out = m;
    *d_out = d;
}

gint64 ms_imap_unix_day(gint64 unix_seconds)
{
    gint64 day = unix_seconds / 86400;
    if (unix_seconds % 86400 < 0)
        day--;
    return day;
}

/* Two digits of v at p. */
static void put2(char *p, guint v)
{
    p[0] = (char) ('0' + v / 10 % 10);
    p[1] = (char) ('0' + v % 10);
}

gsize ms_imap_format_date_time_to(char *buf, gint64 unix_seconds)
{
    gint64 day = ms_imap_unix_day(unix_seconds);
    gint64 secs = unix_seconds - day * 86400;
    gint64 y = 0;
    guint m = 0, d = 0;
    civil_from_days(day, &y, &m, &d);
    if (y < 0 || y > 9999) {
        g_autofree char *text = ms_imap_format_date_time(unix_seconds);
        gsize n = strlen(text);
        g_assert(n < MS_IMAP_DATE_TIME_MAX);
        memcpy(buf, text, n + 1);
        return n;
    }
    /* Every INTERNALDATE a run sends is written here: by hand, as
     * "%02u-%s-%04d %02d:%02d:%02d +0000" would. */
    char *p = buf;
    put2(p, d);
    p[2] = '-';
    memcpy(p + 3, months[m - 1], 3);
    p[6] = '-';
    put2(p + 7, (guint) (y / 100));
    put2(p + 9, (guint) (y % 100));
    p[11] = ' ';
    put2(p + 12, (guint) (secs / 3600));
    p[14] = ':';
    put2(p + 15, (guint) (secs / 60 % 60));
    p[17] = ':';
    put2(p + 18, (guint) (secs % 60));
    memcpy(p + 20, " +0000", 7);
    return 26;
}

char *ms_imap_format_date_time(gint64 unix_seconds)
{
    gint64 day = ms_imap_unix_day(unix_seconds);
    gint64 secs = unix_seconds - day * 86400;
    gint64 y = 0;
    guint m = 0, d = 0;
    civil_from_days(day, &y, &m, &d);
    return g_strdup_printf("%02u-%s-%04" G_GINT64_FORMAT " %02d:%02d:%02d +0000", d, months[m - 1],
                           y, (int) (secs / 3600), (int) (secs / 60 % 60), (int) (secs % 60));
}

/* Reads n digits at *p (exactly n when exact, else 1..n). */
static gboolean read_digits(const char **p, guint n, gboolean exact, guint *out)
{
    guint v = 0, i = 0;
    while (i < n && g_ascii_isdigit((*p)[i])) {
        v = v * 10 + (guint) ((*p)[i] - '0');
        i++;
    }
    if (i == 0 || (exact && i != n))
        return FALSE;
    *p += i;
    *out = v;
    return TRUE;
}

/* date-text at *p: "d-Mon-yyyy"; day may have a leading space (the
 * date-day-fixed of date-time). */
static gboolean read_date_text(const char **p, gint64 *days_out)
{
    guint day = 0, year = 0;
    if (**p == ' ')
        (*p)++;
    if (!read_digits(p, 2, FALSE, &day) || **p != '-')
        return FALSE;
    (*p)++;
    guint month = 0;
    for (guint i = 0; i < 12 && month == 0; i++) {
        if (ms_proto_ascii_caseeq(*p, months[i], 3))
            month = i + 1;
    }
    if (month == 0 || (*p)[3] != '-')
        return FALSE;
    *p += 4;
    if (!read_digits(p, 4, TRUE, &year))
        return FALSE;
    static const guint mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (day < 1 || day > mdays[month - 1])
        return FALSE;
    gboolean leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (month == 2 && day == 29 && !leap)
        return FALSE;
    *days_out = days_from_civil(year, month, day);
    return TRUE;
}

gboolean ms_imap_parse_date(const char *text, gint64 *days_out)
{
    const char *p = text;
    gint64 days = 0;
    if (text == NULL || text[0] == ' ' || !read_date_text(&p, &days) || *p != '\0')
        return FALSE;
    *days_out = days;
    return TRUE;
}

gboolean ms_imap_parse_date_time(const char *text, gint64 *unix_out)
{
    const char *p = text;
    gint64 days = 0;
    guint h = 0, mi = 0, s = 0, zone = 0;
    if (text == NULL || !read_date_text(&p, &days) || *p++ != ' ')
        return FALSE;
    if (!read_digits(&p, 2, TRUE, &h) || *p++ != ':' || !read_digits(&p, 2, TRUE, &mi)
        || *p++ != ':' || !read_digits(&p, 2, TRUE, &s) || *p++ != ' ')
        return FALSE;
    char sign = *p++;
    if ((sign != '+' && sign != '-') || !read_digits(&p, 4, TRUE, &zone) || *p != '\0')
        return FALSE;
    if (h > 23 || mi > 59 || s > 60 || zone % 100 > 59)
        return FALSE;
    gint64 offset = (gint64) (zone / 100 * 3600 + zone % 100 * 60);
    /* The zone says how far local time is ahead of UTC: subtract it. */
    *unix_out = days * 86400 + h * 3600 + mi * 60 + s - (sign == '+' ? offset : -offset);
    return TRUE;
}

/* ---- Names ------------------------------------------------------------------------ */

char *ms_imap_mailbox_normalize(const char *name)
{
    /* RFC 3501 5.1: "INBOX" is case-insensitive; every other name is not. */
    if (ms_imap_ascii_caseeq(name, "INBOX"))
        return g_strdup("INBOX");
    return g_strdup(name);
}

static gboolean match_from(const char *p, const char *n, gsize pos, gsize ci_len)
{
    for (;;) {
        if (*p == '\0')
            return *n == '\0';
        if (*p == '*' || *p == '%') {
            /* "*" matches any run; "%" a run without the delimiter. */
            for (gsize k = 0;; k++) {
                if (match_from(p + 1, n + k, pos + k, ci_len))
                    return TRUE;
                if (n[k] == '\0' || (*p == '%' && n[k] == '/'))
                    return FALSE;
            }
        }
        if (*n == '\0')
            return FALSE;
        gboolean same = pos < ci_len ? g_ascii_tolower(*p) == g_ascii_tolower(*n) : *p == *n;
        if (!same)
            return FALSE;
        p++;
        n++;
        pos++;
    }
}

gboolean ms_imap_pattern_match(const char *pattern, const char *name)
{
    /* RFC 3501 6.3.8: the wildcards; INBOX's name matches in any case. */
    gsize ci_len = g_str_has_prefix(name, "INBOX") && (name[5] == '\0' || name[5] == '/') ? 5 : 0;
    return match_from(pattern, name, 0, ci_len);
}

char *ms_imap_code_word(const char *code)
{
    if (code == NULL)
        return NULL;
    gsize n = strcspn(code, " ");
    return g_ascii_strup(code, (gssize) n);
}

/* ---- Events ---------------------------------------------------------------------- */

MsImapEvent *ms_imap_event_new(MsImapEventKind kind)
{
    MsImapEvent *event = g_new0(MsImapEvent, 1);
    event->kind = kind;
    return event;
}

/* Most of an event's five strings are NULL for any one kind of event; a
 * test is cheaper than a call of g_free() that does nothing, and every
 * fetched message's event comes through here. */
static inline void free_set(char *p)
{
    if (p != NULL)
        g_free(p);
}

void ms_imap_event_free(MsImapEvent *event)
{
    if (event == NULL)
        return;
    free_set(event->tag);
    free_set(event->code);
    free_set(event->text);
    free_set(event->user);
    free_set(event->folder);
    if (event->data != NULL)
        g_bytes_unref(event->data);
    if (event->numbers != NULL)
        g_array_unref(event->numbers);
    if (event->names != NULL)
        g_ptr_array_unref(event->names);
    g_free(event);
}
