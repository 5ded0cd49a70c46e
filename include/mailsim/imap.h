/* imap.h - the IMAP protocol engines (RFC 3501, IMAP4rev1, written with
 * RFC 9051's IMAP4rev2 in mind) with IDLE (RFC 2177), MOVE (RFC 6851),
 * UNSELECT (RFC 3691) and LITERAL+ (RFC 7888), and the server-side mail
 * store they work on.
 *
 * Unlike POP3, IMAP keeps the mail on the server: folders, flags and UIDs
 * live in an MsImapStore that outlives every session and is shared by every
 * device of its user.  A session moves through four states - not
 * authenticated, authenticated, selected, logout (RFC 3501 section 3) -
 * and every command carries a tag that its completion (OK / NO / BAD)
 * repeats; untagged "*" responses carry data, and may arrive at any time.
 *
 * Both engines are sans-I/O: the glue in sim/agents feeds them the bytes
 * that arrived, sends the lines they produce (MsProtoLine, see proto.h)
 * and acts on their events.  The server reaches a user's store only
 * through the login callback of its configuration.
 */
#pragma once

#include <glib.h>
#include "mailsim/core.h"
#include "mailsim/proto.h"

G_BEGIN_DECLS

/* ---- States ---------------------------------------------------------------
 * X-macro: enum constant, printable name, phase key of lines sent in it.
 * INIT (before the greeting) and CLOSED (after the last line) are the
 * engine's own; the other four are RFC 3501 section 3's states. */
#define MS_IMAP_STATES(X)                                                    \
    X(MS_IMAP_STATE_INIT, "init", "imap.not-authenticated")                  \
    X(MS_IMAP_STATE_NOT_AUTHENTICATED, "not-authenticated",                  \
      "imap.not-authenticated")                                              \
    X(MS_IMAP_STATE_AUTHENTICATED, "authenticated", "imap.authenticated")    \
    X(MS_IMAP_STATE_SELECTED, "selected", "imap.selected")                   \
    X(MS_IMAP_STATE_LOGOUT, "logout", "imap.logout")                         \
    X(MS_IMAP_STATE_CLOSED, "closed", "imap.logout")

#define MS_IMAP_STATE_ENUM_(e, name, phase) e,
typedef enum { MS_IMAP_STATES(MS_IMAP_STATE_ENUM_) MS_IMAP_N_STATES } MsImapState;
#undef MS_IMAP_STATE_ENUM_

const char *ms_imap_state_name(MsImapState state);  /* "selected", ... */
const char *ms_imap_state_phase(MsImapState state); /* "imap.selected", ... */

/* ---- System flags (RFC 3501 2.3.2) -----------------------------------------
 * X-macro: constant, bit, name on the wire.  The order is the order in which
 * flag lists are written (that of RFC 3501's FLAGS examples).  The bits are
 * those of the IMAP flags (RFC 3501 2.3.2).  \Recent is not stored: it is a
 * per-session property (MsImapMessageInfo.recent). */
#define MS_IMAP_FLAGS(X)                                                     \
    X(MS_IMAP_FLAG_ANSWERED, 1u << 1, "\\Answered")                          \
    X(MS_IMAP_FLAG_FLAGGED, 1u << 2, "\\Flagged")                            \
    X(MS_IMAP_FLAG_DELETED, 1u << 3, "\\Deleted")                            \
    X(MS_IMAP_FLAG_SEEN, 1u << 0, "\\Seen")                                  \
    X(MS_IMAP_FLAG_DRAFT, 1u << 4, "\\Draft")

#define MS_IMAP_FLAG_ENUM_(e, bit, name) e = (bit),
enum { MS_IMAP_FLAGS(MS_IMAP_FLAG_ENUM_) };
#undef MS_IMAP_FLAG_ENUM_
#define MS_IMAP_FLAGS_ALL 0x1fu

/* "(\Flagged \Seen)" style list of flags, without the parentheses:
 * "\Flagged \Seen"; with recent, " \Recent" is added (transfer full). */
char *ms_imap_flags_to_string(guint flags, gboolean recent);
/* One system flag by name, case-insensitive ("\seen"), or 0. */
guint ms_imap_flag_from_name(const char *name);

/* ---- Status words and extensions ---------------------------------------- */
#define MS_IMAP_STATUSES(X)                                                  \
    X(MS_IMAP_STATUS_NONE, "")                                               \
    X(MS_IMAP_STATUS_OK, "OK")                                               \
    X(MS_IMAP_STATUS_NO, "NO")                                               \
    X(MS_IMAP_STATUS_BAD, "BAD")                                             \
    X(MS_IMAP_STATUS_PREAUTH, "PREAUTH")                                     \
    X(MS_IMAP_STATUS_BYE, "BYE")

#define MS_IMAP_STATUS_ENUM_(e, name) e,
typedef enum { MS_IMAP_STATUSES(MS_IMAP_STATUS_ENUM_) MS_IMAP_N_STATUSES } MsImapStatus;
#undef MS_IMAP_STATUS_ENUM_

const char *ms_imap_status_name(MsImapStatus status); /* "OK", ... */

/* Extensions the server may advertise (and the client may use): constant,
 * bit, capability name.  Every one is on unless the configuration turns it
 * off, so a scenario can show what a client does without it. */
#define MS_IMAP_EXTENSIONS(X)                                                \
    X(MS_IMAP_EXT_LITERAL_PLUS, 1u << 0, "LITERAL+")                         \
    X(MS_IMAP_EXT_IDLE, 1u << 1, "IDLE")                                     \
    X(MS_IMAP_EXT_MOVE, 1u << 2, "MOVE")                                     \
    X(MS_IMAP_EXT_UNSELECT, 1u << 3, "UNSELECT")

#define MS_IMAP_EXT_ENUM_(e, bit, name) e = (bit),
enum { MS_IMAP_EXTENSIONS(MS_IMAP_EXT_ENUM_) };
#undef MS_IMAP_EXT_ENUM_

/* ---- Annotation keys -----------------------------------------------------
 * Every note key an engine puts on a line ("imap.cmd.login",
 * "imap.resp.ok", "imap.resp.exists", "imap.cont", ...) with a short
 * English description, in one static table (for translation and for the
 * transcript's legend). */
typedef MsProtoNote MsImapNote;

/* The whole table (static, in the order a session meets them). */
const MsImapNote *ms_imap_notes(gsize *n_out);
/* The English text of a key, or NULL if the key is not IMAP's. */
const char *ms_imap_note_text(const char *key);
/* The note key of a command line as a client would send it
 * ("imap.cmd.uid.fetch" for "a7 uid fetch 1:* FLAGS", "imap.cmd.done" for
 * "DONE"), or "imap.cmd.unknown": for tracing lines that do not come from
 * MsImapClient (a student's scripted dialogue, say). */
const char *ms_imap_command_note(const char *line, gsize len);

/* RFC 3501 date-time of a simulated unix time, always in +0000:
 * "17-Jul-1996 02:44:25 +0000" (transfer full, without the quotes). */
char *ms_imap_format_date_time(gint64 unix_seconds);

/* ---- The mail store ---------------------------------------------------------
 * One user's folders on the server: INBOX (always there, its name
 * case-insensitive, RFC 3501 5.1) and the user's own folders, the
 * hierarchy delimiter being "/".  Each folder has a UIDVALIDITY, a UIDNEXT
 * and messages in ascending UID order (RFC 3501 2.3.1.1); each message has
 * its flags and internal date.  A store is reference counted: the glue
 * keeps one per user for the whole run, every server session of that user
 * holds a reference while logged in. */
typedef struct MsImapStore MsImapStore;

/* Outcomes of changes to the folder list: constant, printable name, RFC 5530
 * response code sent with NO (IMAP4rev2, RFC 9051 7.1, has them all), and
 * the text of that NO. */
#define MS_IMAP_STORE_RESULTS(X)                                             \
    X(MS_IMAP_STORE_OK, "ok", NULL, "done")                                  \
    X(MS_IMAP_STORE_NONEXISTENT, "nonexistent", "NONEXISTENT",               \
      "No such mailbox")                                                     \
    X(MS_IMAP_STORE_ALREADY_EXISTS, "already-exists", "ALREADYEXISTS",       \
      "Mailbox already exists")                                              \
    X(MS_IMAP_STORE_INVALID_NAME, "invalid-name", "CANNOT",                  \
      "Invalid mailbox name")                                                \
    X(MS_IMAP_STORE_INBOX, "inbox", "CANNOT", "INBOX cannot be deleted")     \
    X(MS_IMAP_STORE_HAS_CHILDREN, "has-children", "INUSE",                   \
      "Mailbox has inferior hierarchical names")                             \
    X(MS_IMAP_STORE_NOT_SUBSCRIBED, "not-subscribed", "NONEXISTENT",         \
      "Not subscribed to that mailbox")

#define MS_IMAP_STORE_RESULT_ENUM_(e, name, code, text) e,
typedef enum {
    MS_IMAP_STORE_RESULTS(MS_IMAP_STORE_RESULT_ENUM_) MS_IMAP_N_STORE_RESULTS
} MsImapStoreResult;
#undef MS_IMAP_STORE_RESULT_ENUM_

const char *ms_imap_store_result_name(MsImapStoreResult result);
/* The response code ("NONEXISTENT") or NULL, and the English text. */
const char *ms_imap_store_result_code(MsImapStoreResult result);
const char *ms_imap_store_result_text(MsImapStoreResult result);

/* What a message looks like from outside.  data is transfer none: it stays
 * valid while the message is in the store. */
typedef struct {
    guint32 uid;
    guint flags;          /* MS_IMAP_FLAG_* */
    gboolean recent;      /* not yet announced to any session (\Recent) */
    gint64 internal_date; /* simulated unix time, seconds */
    GBytes *data;         /* the message, CRLF line ends */
} MsImapMessageInfo;

/* A store with INBOX only (subscribed).  UIDVALIDITY values are handed out
 * from first_uidvalidity upwards, one per folder created, so a folder
 * deleted and created again gets a new one (RFC 3501 2.3.1.1); 0 is taken
 * as 1.  The glue may pass, say, the simulated unix time. */
MsImapStore *ms_imap_store_new(const char *owner, guint32 first_uidvalidity);
MsImapStore *ms_imap_store_ref(MsImapStore *store);
void ms_imap_store_unref(MsImapStore *store); /* accepts NULL */
const char *ms_imap_store_owner(const MsImapStore *store);

/* Folder names: INBOX in any case means INBOX; others are case-sensitive,
 * printable ASCII without "%" and "*", components separated by "/", none
 * empty.  CREATE makes missing superior names too (RFC 3501 6.3.3), and a
 * trailing "/" is dropped.  DELETE of a name with inferiors removes its
 * messages and leaves it \Noselect (6.3.4).  RENAME moves inferiors with
 * it; RENAME of INBOX moves its messages to a new folder and leaves INBOX
 * empty (6.3.5). */
MsImapStoreResult ms_imap_store_create(MsImapStore *store, const char *name);
MsImapStoreResult ms_imap_store_delete(MsImapStore *store, const char *name);
MsImapStoreResult ms_imap_store_rename(MsImapStore *store, const char *from, const char *to);
/* Subscriptions are names, kept even when the folder is later deleted
 * (RFC 3501 6.3.6); subscribing needs an existing folder. */
MsImapStoreResult ms_imap_store_subscribe(MsImapStore *store, const char *name,
                                          gboolean subscribe);
gboolean ms_imap_store_is_subscribed(const MsImapStore *store, const char *name);
/* TRUE if the folder exists and can be selected. */
gboolean ms_imap_store_has_folder(const MsImapStore *store, const char *name);
/* Every selectable folder's name, INBOX first, the rest sorted bytewise
 * (transfer full). */
char **ms_imap_store_folders(const MsImapStore *store);
/* 0 when there is no such folder. */
guint32 ms_imap_store_uidvalidity(const MsImapStore *store, const char *folder);
guint32 ms_imap_store_uidnext(const MsImapStore *store, const char *folder);
guint ms_imap_store_count(const MsImapStore *store, const char *folder);
guint ms_imap_store_unseen(const MsImapStore *store, const char *folder);
/* The index-th message (from 0) / the message with this UID; FALSE when
 * there is none. */
gboolean ms_imap_store_message(const MsImapStore *store, const char *folder, guint index,
                               MsImapMessageInfo *info_out);
gboolean ms_imap_store_find_uid(const MsImapStore *store, const char *folder, guint32 uid,
                                MsImapMessageInfo *info_out);

/* Delivers a message into folder (takes a reference on data) with the
 * given flags, marked \Recent.  Returns its UID, or 0 if there is no such
 * selectable folder. */
guint32 ms_imap_store_append(MsImapStore *store, const char *folder, GBytes *data,
                             guint flags, gint64 internal_date);
/* Replaces a message's flags; FALSE when there is no such message. */
gboolean ms_imap_store_set_flags(MsImapStore *store, const char *folder, guint32 uid,
                                 guint flags);
/* Copies a message to another folder (flags and internal date kept, \Recent
 * set); returns the new UID or 0. */
guint32 ms_imap_store_copy(MsImapStore *store, const char *from, guint32 uid, const char *to);
/* Removes one message for good; FALSE when there is none. */
gboolean ms_imap_store_remove(MsImapStore *store, const char *folder, guint32 uid);
/* Removes every message flagged \Deleted; returns how many. */
guint ms_imap_store_expunge(MsImapStore *store, const char *folder);

/* ---- Watching a store ------------------------------------------------------
 * Every change to a store is reported to its watchers right after it is
 * made, whichever session (or the glue) made it.  The glue watches each
 * user's store and calls ms_imap_server_notify() on the user's other
 * sessions, so an idling client hears of new mail at once (RFC 2177). */
#define MS_IMAP_CHANGE_KINDS(X)                                              \
    X(MS_IMAP_CHANGE_APPEND, "append")                                       \
    X(MS_IMAP_CHANGE_EXPUNGE, "expunge")                                     \
    X(MS_IMAP_CHANGE_FLAGS, "flags")                                         \
    X(MS_IMAP_CHANGE_CREATE, "create")                                       \
    X(MS_IMAP_CHANGE_DELETE, "delete")                                       \
    X(MS_IMAP_CHANGE_RENAME, "rename")                                       \
    X(MS_IMAP_CHANGE_SUBSCRIBE, "subscribe")                                 \
    X(MS_IMAP_CHANGE_UNSUBSCRIBE, "unsubscribe")

#define MS_IMAP_CHANGE_ENUM_(e, name) e,
typedef enum { MS_IMAP_CHANGE_KINDS(MS_IMAP_CHANGE_ENUM_) MS_IMAP_N_CHANGE_KINDS } MsImapChangeKind;
#undef MS_IMAP_CHANGE_ENUM_

const char *ms_imap_change_kind_name(MsImapChangeKind kind);

/* All fields transfer none, valid during the call only. */
typedef struct {
    MsImapChangeKind kind;
    const char *folder;   /* the folder (for RENAME, its old name) */
    const char *folder2;  /* RENAME: the new name */
    guint32 uid;          /* APPEND, EXPUNGE, FLAGS */
    guint flags;          /* APPEND, FLAGS: the new flags */
    guint old_flags;      /* FLAGS */
    guint count;          /* messages in the folder after the change */
} MsImapChange;

/* A watcher must not change the store from inside the call. */
typedef void (*MsImapStoreWatchFn)(MsImapStore *store, const MsImapChange *change,
                                   gpointer user_data);
/* Returns an id (> 0) for ms_imap_store_unwatch(). */
guint ms_imap_store_watch(MsImapStore *store, MsImapStoreWatchFn fn, gpointer user_data);
void ms_imap_store_unwatch(MsImapStore *store, guint id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsImapStore, ms_imap_store_unref)

/* ---- Events -------------------------------------------------------------- */
#define MS_IMAP_EVENT_KINDS(X)                                               \
    X(MS_IMAP_EVENT_AUTH_OK, "auth-ok")                                      \
    X(MS_IMAP_EVENT_AUTH_FAILED, "auth-failed")                              \
    X(MS_IMAP_EVENT_SELECTED, "selected")                                    \
    X(MS_IMAP_EVENT_MESSAGE, "message")                                      \
    X(MS_IMAP_EVENT_FLAGS, "flags")                                          \
    X(MS_IMAP_EVENT_EXISTS, "exists")                                        \
    X(MS_IMAP_EVENT_EXPUNGE, "expunge")                                      \
    X(MS_IMAP_EVENT_SEARCH, "search")                                        \
    X(MS_IMAP_EVENT_LIST, "list")                                            \
    X(MS_IMAP_EVENT_STATUS, "status")                                        \
    X(MS_IMAP_EVENT_IDLING, "idling")                                        \
    X(MS_IMAP_EVENT_DONE, "done")                                            \
    X(MS_IMAP_EVENT_ERROR, "error")                                          \
    X(MS_IMAP_EVENT_CLOSE, "close")

#define MS_IMAP_EVENT_ENUM_(e, name) e,
typedef enum { MS_IMAP_EVENT_KINDS(MS_IMAP_EVENT_ENUM_) MS_IMAP_N_EVENT_KINDS } MsImapEventKind;
#undef MS_IMAP_EVENT_ENUM_

const char *ms_imap_event_kind_name(MsImapEventKind kind);

/* What the client is asked to do, one command (or a few) each: constant,
 * printable name (as a scenario would say it). */
#define MS_IMAP_OP_KINDS(X)                                                  \
    X(MS_IMAP_OP_LOGIN, "login")                                             \
    X(MS_IMAP_OP_CAPABILITY, "capability")                                   \
    X(MS_IMAP_OP_NOOP, "noop")                                               \
    X(MS_IMAP_OP_LIST, "list")                                               \
    X(MS_IMAP_OP_CREATE, "create")                                           \
    X(MS_IMAP_OP_DELETE, "delete")                                           \
    X(MS_IMAP_OP_RENAME, "rename")                                           \
    X(MS_IMAP_OP_SUBSCRIBE, "subscribe")                                     \
    X(MS_IMAP_OP_STATUS, "status")                                           \
    X(MS_IMAP_OP_SELECT, "select")                                           \
    X(MS_IMAP_OP_EXAMINE, "examine")                                         \
    X(MS_IMAP_OP_FETCH_NEW, "fetch new")                                     \
    X(MS_IMAP_OP_READ, "read")                                               \
    X(MS_IMAP_OP_FLAG, "flag")                                               \
    X(MS_IMAP_OP_COPY, "copy")                                               \
    X(MS_IMAP_OP_MOVE, "move")                                               \
    X(MS_IMAP_OP_SEARCH, "search")                                           \
    X(MS_IMAP_OP_EXPUNGE, "expunge")                                         \
    X(MS_IMAP_OP_CLOSE, "close")                                             \
    X(MS_IMAP_OP_APPEND, "append")                                           \
    X(MS_IMAP_OP_IDLE, "idle")                                               \
    X(MS_IMAP_OP_LOGOUT, "logout")

#define MS_IMAP_OP_ENUM_(e, name) e,
typedef enum { MS_IMAP_OP_KINDS(MS_IMAP_OP_ENUM_) MS_IMAP_N_OP_KINDS } MsImapOpKind;
#undef MS_IMAP_OP_ENUM_

const char *ms_imap_op_kind_name(MsImapOpKind kind);

/* One event.  Fields that do not apply to a kind are 0 / NULL.
 * Server events:
 *   AUTH_OK      user (as given to LOGIN), folder (the store's owner).
 *   AUTH_FAILED  user, text (of the NO).
 *   SELECTED     folder, read_only, count (EXISTS), recent, uidvalidity,
 *                uidnext: a SELECT or EXAMINE succeeded.
 *   IDLING       idling TRUE when IDLE began, FALSE when DONE ended it.
 *   CLOSE        the last line (the tagged OK to LOGOUT) has been
 *                produced: close the connection.
 * Client events (op: the operation under way when the event came):
 *   AUTH_OK      user.   AUTH_FAILED user, text.
 *   SELECTED     folder, read_only, count, recent, uidvalidity, uidnext,
 *                unseen (first unseen sequence number, 0 if not told).
 *   MESSAGE      seq, uid, flags, size (RFC822.SIZE), internal_date, data
 *                (the section fetched, CRLF line ends), header_only (TRUE
 *                for "fetch new" without full): a FETCH that carried a
 *                body section.
 *   FLAGS        seq, uid (0 if not sent), flags: a FETCH with FLAGS and no
 *                body - the reply to STORE, or another device's change.
 *   EXISTS       count, idling (TRUE when it came during IDLE): the number
 *                of messages in the selected folder grew.
 *   EXPUNGE      seq: that message is gone, the ones above it renumbered.
 *   SEARCH       numbers (guint32: sequence numbers, or UIDs for UID SEARCH).
 *   LIST         names (char*: the folders LIST or LSUB returned, in order).
 *   STATUS       folder, count, recent, uidnext, uidvalidity, unseen.
 *   IDLING       idling TRUE: the server accepted IDLE; the glue starts the
 *                timer that will call ms_imap_client_idle_done().
 *   DONE         op, status (OK / NO / BAD), code (response code or NULL),
 *                text, tag: an operation has finished.  For FETCH_NEW also
 *                folder, uidvalidity and uidnext (one past the highest UID
 *                seen): what to pass back in the next session's known
 *                folders so only newer mail is fetched.
 *   ERROR        text: a malformed or unexpected response.
 *   CLOSE        the session is over (after LOGOUT's OK, or a BYE). */
typedef struct {
    MsImapEventKind kind;
    MsImapOpKind op;
    MsImapStatus status;
    char *tag;
    char *code;
    char *text;
    char *user;
    char *folder;
    guint32 seq;
    guint32 uid;
    guint flags;
    guint64 size;
    gint64 internal_date;
    GBytes *data;
    gboolean header_only;
    guint count;
    guint recent;
    guint32 uidvalidity;
    guint32 uidnext;
    guint unseen;
    gboolean read_only;
    gboolean idling;
    GArray *numbers;  /* guint32 */
    GPtrArray *names; /* char* */
} MsImapEvent;

void ms_imap_event_free(MsImapEvent *event);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsImapEvent, ms_imap_event_free)

/* ---- Server ---------------------------------------------------------------
 * LOGIN's callback: user's store if password is right (transfer none: the
 * engine takes its own reference), else NULL.  Users may give the local
 * part ("bob") or the whole address ("bob@hamburger.edu"): the callback
 * decides. */
typedef MsImapStore *(*MsImapLoginFn)(const char *user, const char *password,
                                      gpointer user_data);

/* The simulated time as unix seconds: the internal date of a message
 * APPENDed without one (RFC 3501 6.3.11). */
typedef gint64 (*MsImapClockFn)(gpointer user_data);

typedef struct {
    const char *hostname;      /* in the greeting */
    MsImapLoginFn login;       /* required */
    MsImapClockFn clock;       /* optional: NULL gives 0 (1-Jan-1970) */
    gpointer user_data;
    guint disabled_extensions; /* MS_IMAP_EXT_*: not advertised, refused */
    gsize max_literal;         /* largest literal accepted; 0: 10 MiB */
} MsImapServerConfig;

typedef struct MsImapServer MsImapServer;

/* Copies what it needs from config.  Fails (MS_ERROR_SCENARIO) without a
 * login callback. */
MsImapServer *ms_imap_server_new(const MsImapServerConfig *config, GError **error);
void ms_imap_server_free(MsImapServer *server);
/* The connection is open: produces the greeting (RFC 3501 7.1.1). */
void ms_imap_server_start(MsImapServer *server);
/* Bytes from the client; each complete command is answered, literals
 * ({n}) are asked for with a "+" continuation (RFC 3501 7.5). */
void ms_imap_server_feed(MsImapServer *server, const char *bytes, gsize len);
/* The store of the logged-in user changed (through another session or a
 * delivery): an idling session reports it at once (EXISTS, EXPUNGE, FETCH
 * FLAGS, RFC 2177); any other session reports it at its next command, as
 * RFC 3501 5.2 and 7.4.1 allow.  Harmless on a session of another user or
 * one not logged in.  Take the output afterwards. */
void ms_imap_server_notify(MsImapServer *server);
/* Lines to send, in order (transfer full; an empty array when none). */
GPtrArray *ms_imap_server_take_output(MsImapServer *server);
/* The same lines without a copy, for glue that sends them at once: the
 * engine's own array (transfer none), valid until the engine is next fed,
 * notified or asked for output.  ms_imap_server_output_sent() then forgets
 * them.  Read its len and pdata only (see ms_proto_output_lines()). */
GPtrArray *ms_imap_server_output(MsImapServer *server);
void ms_imap_server_output_sent(MsImapServer *server);
/* Next pending event, or NULL (transfer full). */
MsImapEvent *ms_imap_server_next_event(MsImapServer *server);
/* The connection dropped: nothing is expunged (RFC 3501 has no implicit
 * CLOSE); the store reference is released; the engine is closed. */
void ms_imap_server_abort(MsImapServer *server);
MsImapState ms_imap_server_state(const MsImapServer *server);
/* Octets of a literal the server still waits for (RFC 9051 4.3: they are
 * no line, whatever line ends they hold), 0 while it reads lines. */
gsize ms_imap_server_literal_left(const MsImapServer *server);
gboolean ms_imap_server_idling(const MsImapServer *server);
/* The logged-in user's store (transfer none) or NULL. */
MsImapStore *ms_imap_server_store(const MsImapServer *server);
/* The selected folder's name or NULL. */
const char *ms_imap_server_selected(const MsImapServer *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsImapServer, ms_imap_server_free)

/* ---- Client ---------------------------------------------------------------
 * A scripted mail reader: after the greeting it carries out its operations
 * in order, each as one command (a few for "fetch new" and for MOVE on a
 * server without it), and reports each with a DONE event.  When the list
 * runs out without LOGOUT the client waits for ms_imap_client_push_op(). */

/* Client states: enum constant, printable name.  One per awaited reply. */
#define MS_IMAP_CLIENT_STATES(X)                                             \
    X(MS_IMAP_CLIENT_GREETING, "greeting")                                   \
    X(MS_IMAP_CLIENT_COMMAND, "command")                                     \
    X(MS_IMAP_CLIENT_LITERAL, "literal")                                     \
    X(MS_IMAP_CLIENT_IDLE_START, "idle-start")                               \
    X(MS_IMAP_CLIENT_IDLING, "idling")                                       \
    X(MS_IMAP_CLIENT_READY, "ready")                                         \
    X(MS_IMAP_CLIENT_DONE, "done")

#define MS_IMAP_CLIENT_STATE_ENUM_(e, name) e,
typedef enum {
    MS_IMAP_CLIENT_STATES(MS_IMAP_CLIENT_STATE_ENUM_) MS_IMAP_N_CLIENT_STATES
} MsImapClientState;
#undef MS_IMAP_CLIENT_STATE_ENUM_

const char *ms_imap_client_state_name(MsImapClientState state);

/* One operation; every pointer is borrowed (the client copies). */
typedef struct {
    MsImapOpKind kind;
    /* SELECT, EXAMINE, CREATE, DELETE, SUBSCRIBE, STATUS: the folder;
     * RENAME: the old name; COPY, MOVE, APPEND: the target; LIST: the
     * pattern (NULL: "*"). */
    const char *folder;
    const char *folder2;   /* RENAME: the new name */
    /* READ, FLAG, COPY, MOVE: the messages, a sequence set such as "2:4";
     * NULL means the single message `number`. */
    const char *set;
    guint32 number;
    gboolean uid;          /* set / number are UIDs (the UID command form) */
    guint flags;           /* FLAG: MS_IMAP_FLAG_*; APPEND: initial flags */
    gboolean unset;        /* FLAG: -FLAGS instead of +FLAGS */
    gboolean full;         /* FETCH_NEW: whole messages, not only headers */
    gboolean peek;         /* READ: BODY.PEEK[], which leaves \Seen alone */
    /* LOGIN: the password (NULL: the configured one); SEARCH: the criteria
     * ("UNSEEN FROM alice"); APPEND: the message (CRLF line ends). */
    const char *text;
} MsImapOp;

/* What an earlier session learnt about a folder ("fetch new" state). */
typedef struct {
    const char *folder;
    guint32 uidvalidity;
    guint32 uidnext;
} MsImapKnownFolder;

typedef struct {
    const char *user;
    const char *password;
    const MsImapOp *ops;
    guint n_ops;
    const MsImapKnownFolder *known;
    guint n_known;
    /* The literal form {n} for LOGIN's arguments even when a quoted string
     * would do: to show the continuation dance (RFC 3501 7.5). */
    gboolean literal_login;
} MsImapClientConfig;

typedef struct MsImapClient MsImapClient;

/* Copies config (strings and ops included). */
MsImapClient *ms_imap_client_new(const MsImapClientConfig *config);
void ms_imap_client_free(MsImapClient *client);
/* Bytes from the server; the client answers as its script says. */
void ms_imap_client_feed(MsImapClient *client, const char *bytes, gsize len);
/* Adds an operation at the end of the list; a client waiting for work
 * (READY) starts it at once: take the output afterwards. */
void ms_imap_client_push_op(MsImapClient *client, const MsImapOp *op);
/* Ends IDLE (sends DONE, RFC 2177).  Before the server's "+" the DONE is
 * held until it comes; without IDLE under way it does nothing. */
void ms_imap_client_idle_done(MsImapClient *client);
GPtrArray *ms_imap_client_take_output(MsImapClient *client); /* transfer full */
/* The same lines without a copy (transfer none), valid until the client is
 * next fed, given work or asked for output; ms_imap_client_output_sent()
 * then forgets them.  Read its len and pdata only (see
 * ms_proto_output_lines()). */
GPtrArray *ms_imap_client_output(MsImapClient *client);
void ms_imap_client_output_sent(MsImapClient *client);
MsImapEvent *ms_imap_client_next_event(MsImapClient *client); /* transfer full */
/* The connection dropped: the client stops (no event). */
void ms_imap_client_abort(MsImapClient *client);
MsImapClientState ms_imap_client_state(const MsImapClient *client);
/* The RFC 3501 state the session is in, as the client sees it. */
MsImapState ms_imap_client_phase(const MsImapClient *client);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsImapClient, ms_imap_client_free)

G_END_DECLS
