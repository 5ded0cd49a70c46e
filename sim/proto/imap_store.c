/* imap_store.c - one user's mail as an IMAP server keeps it: folders with
 * their UIDVALIDITY and UIDNEXT, messages with UIDs, flags and internal
 * dates, and the list of subscribed names.
 *
 * The store is the server's permanent state (RFC 3501 2.3): it outlives
 * the sessions that read and change it, which is how a flag set from one
 * device is there on the next.  Every change is told to the store's
 * watchers, so sessions on other devices can report it (RFC 3501 5.2).
 */
#include "imap-private.h"

#include <string.h>

struct MsImapFolder {
    guint64 id;          /* stays across renames; never reused */
    char *name;
    gboolean noselect;   /* a name kept only for its inferiors (6.3.4) */
    guint32 uidvalidity;
    guint32 uidnext;
    GPtrArray *msgs;     /* MsImapMsg*, UIDs ascending */
};

typedef struct {
    guint id;
    MsImapStoreWatchFn fn;
    gpointer data;
} Watcher;

struct MsImapStore {
    grefcount ref;
    char *owner;
    guint32 next_uidvalidity;
    guint64 next_id;
    GPtrArray *folders;       /* MsImapFolder*, INBOX first, then bytewise */
    GPtrArray *subscriptions; /* char*, sorted */
    GArray *watchers;         /* Watcher */
    guint next_watch_id;
};

/* ---- Messages and folders ------------------------------------------------------ */

static void msg_free(gpointer p)
{
    MsImapMsg *m = p;
    g_bytes_unref(m->data);
    g_free(m);
}

static void folder_free(gpointer p)
{
    MsImapFolder *f = p;
    g_ptr_array_unref(f->msgs);
    g_free(f->name);
    g_free(f);
}

MsMessage *ms_imap_msg_parse(MsImapMsg *msg)
{
    g_autoptr(GError) error = NULL;
    MsMessage *parsed = ms_message_parse_bytes(msg->data, &error);
    if (parsed != NULL) {
        msg->header_len = ms_message_header_bytes_count(parsed);
    } else {
        /* Not a message (empty, say): no header, all of it is the text. */
        parsed = ms_message_new();
        msg->header_len = 0;
    }
    msg->header_known = TRUE;
    return parsed;
}

gsize ms_imap_msg_header_len(MsImapMsg *msg)
{
    if (!msg->header_known)
        ms_message_free(ms_imap_msg_parse(msg));
    return MIN(msg->header_len, g_bytes_get_size(msg->data));
}

guint64 ms_imap_folder_id(const MsImapFolder *folder)
{
    return folder->id;
}

const char *ms_imap_folder_name(const MsImapFolder *folder)
{
    return folder->name;
}

gboolean ms_imap_folder_selectable(const MsImapFolder *folder)
{
    return !folder->noselect;
}

guint32 ms_imap_folder_uidvalidity(const MsImapFolder *folder)
{
    return folder->uidvalidity;
}

guint32 ms_imap_folder_uidnext(const MsImapFolder *folder)
{
    return folder->uidnext;
}

guint ms_imap_folder_count(const MsImapFolder *folder)
{
    return folder->msgs->len;
}

MsImapMsg *ms_imap_folder_msg(const MsImapFolder *folder, guint index)
{
    g_return_val_if_fail(index < folder->msgs->len, NULL);
    return g_ptr_array_index(folder->msgs, index);
}

guint ms_imap_folder_count_recent(const MsImapFolder *folder)
{
    guint n = 0;
    for (guint i = 0; i < folder->msgs->len; i++)
        n += ms_imap_folder_msg(folder, i)->recent ? 1 : 0;
    return n;
}

guint ms_imap_folder_count_unseen(const MsImapFolder *folder)
{
    guint n = 0;
    for (guint i = 0; i < folder->msgs->len; i++)
        n += (ms_imap_folder_msg(folder, i)->flags & MS_IMAP_FLAG_SEEN) == 0 ? 1 : 0;
    return n;
}

gint ms_imap_folder_find(const MsImapFolder *folder, guint32 uid)
{
    /* RFC 3501 2.3.1.1: UIDs ascend with the sequence numbers. */
    guint lo = 0, hi = folder->msgs->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        guint32 u = ms_imap_folder_msg(folder, mid)->uid;
        if (u == uid)
            return (gint) mid;
        if (u < uid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* ---- The store ------------------------------------------------------------------ */

static void notify(MsImapStore *store, const MsImapChange *change)
{
    for (guint i = 0; i < store->watchers->len; i++) {
        const Watcher *w = &g_array_index(store->watchers, Watcher, i);
        w->fn(store, change, w->data);
    }
}

static void notify_simple(MsImapStore *store, MsImapChangeKind kind, const MsImapFolder *f,
                          const char *folder2)
{
    MsImapChange change = {
        .kind = kind, .folder = f->name, .folder2 = folder2, .count = f->msgs->len,
    };
    notify(store, &change);
}

/* Bytewise, for the subscription list (elements are char *). */
static gint name_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* INBOX first, then bytewise: the order of LIST and of the folder list. */
static gint folder_cmp(gconstpointer a, gconstpointer b)
{
    const MsImapFolder *fa = *(MsImapFolder *const *) a;
    const MsImapFolder *fb = *(MsImapFolder *const *) b;
    gboolean ia = strcmp(fa->name, "INBOX") == 0, ib = strcmp(fb->name, "INBOX") == 0;
    if (ia != ib)
        return ia ? -1 : 1;
    return strcmp(fa->name, fb->name);
}

static MsImapFolder *add_folder(MsImapStore *store, const char *name)
{
    MsImapFolder *f = g_new0(MsImapFolder, 1);
    f->id = ++store->next_id;
    f->name = g_strdup(name);
    /* RFC 3501 2.3.1.1: a new mailbox (even one with the name of a deleted
     * one) gets a UIDVALIDITY greater than any before it. */
    f->uidvalidity = store->next_uidvalidity++;
    if (store->next_uidvalidity == 0)
        store->next_uidvalidity = 1;
    f->uidnext = 1;
    f->msgs = g_ptr_array_new_with_free_func(msg_free);
    g_ptr_array_add(store->folders, f);
    g_ptr_array_sort(store->folders, folder_cmp);
    return f;
}

MsImapStore *ms_imap_store_new(const char *owner, guint32 first_uidvalidity)
{
    MsImapStore *store = g_new0(MsImapStore, 1);
    g_ref_count_init(&store->ref);
    store->owner = g_strdup(owner != NULL ? owner : "");
    store->next_uidvalidity = first_uidvalidity > 0 ? first_uidvalidity : 1;
    store->folders = g_ptr_array_new_with_free_func(folder_free);
    store->subscriptions = g_ptr_array_new_with_free_func(g_free);
    store->watchers = g_array_new(FALSE, FALSE, sizeof(Watcher));
    add_folder(store, "INBOX");
    g_ptr_array_add(store->subscriptions, g_strdup("INBOX"));
    return store;
}

MsImapStore *ms_imap_store_ref(MsImapStore *store)
{
    g_return_val_if_fail(store != NULL, NULL);
    g_ref_count_inc(&store->ref);
    return store;
}

void ms_imap_store_unref(MsImapStore *store)
{
    if (store == NULL || !g_ref_count_dec(&store->ref))
        return;
    g_ptr_array_unref(store->folders);
    g_ptr_array_unref(store->subscriptions);
    g_array_unref(store->watchers);
    g_free(store->owner);
    g_free(store);
}

const char *ms_imap_store_owner(const MsImapStore *store)
{
    return store->owner;
}

guint ms_imap_store_watch(MsImapStore *store, MsImapStoreWatchFn fn, gpointer user_data)
{
    g_return_val_if_fail(store != NULL && fn != NULL, 0);
    Watcher w = { ++store->next_watch_id, fn, user_data };
    g_array_append_val(store->watchers, w);
    return w.id;
}

void ms_imap_store_unwatch(MsImapStore *store, guint id)
{
    for (guint i = 0; store != NULL && i < store->watchers->len; i++) {
        if (g_array_index(store->watchers, Watcher, i).id == id) {
            g_array_remove_index(store->watchers, i);
            return;
        }
    }
}

MsImapFolder *ms_imap_store_lookup(MsImapStore *store, const char *name)
{
    if (name == NULL)
        return NULL;
    /* ms_imap_mailbox_normalize() without its copy: every delivery and
     * every POP3 listing and removal looks a folder up by name, INBOX
     * nearly always.  INBOX is made with the store, cannot be deleted
     * (RFC 3501 6.3.4) nor be a rename's target, and sorts first. */
    if (ms_imap_ascii_caseeq(name, "INBOX"))
        return g_ptr_array_index(store->folders, 0);
    const char *norm = name;
    for (guint i = 0; i < store->folders->len; i++) {
        MsImapFolder *f = g_ptr_array_index(store->folders, i);
        if (strcmp(f->name, norm) == 0)
            return f;
    }
    return NULL;
}

MsImapFolder *ms_imap_store_lookup_id(MsImapStore *store, guint64 id)
{
    for (guint i = 0; i < store->folders->len; i++) {
        MsImapFolder *f = g_ptr_array_index(store->folders, i);
        if (f->id == id)
            return f;
    }
    return NULL;
}

guint ms_imap_store_n_folders(const MsImapStore *store)
{
    return store->folders->len;
}

MsImapFolder *ms_imap_store_folder_at(const MsImapStore *store, guint index)
{
    g_return_val_if_fail(index < store->folders->len, NULL);
    return g_ptr_array_index(store->folders, index);
}

const GPtrArray *ms_imap_store_subscriptions(const MsImapStore *store)
{
    return store->subscriptions;
}

gboolean ms_imap_folder_has_children(const MsImapStore *store, const MsImapFolder *folder)
{
    gsize n = strlen(folder->name);
    for (guint i = 0; i < store->folders->len; i++) {
        const MsImapFolder *f = g_ptr_array_index(store->folders, i);
        if (strncmp(f->name, folder->name, n) == 0 && f->name[n] == '/')
            return TRUE;
    }
    return FALSE;
}

/* ---- Changes by pointer ------------------------------------------------------------ */

guint32 ms_imap_folder_append(MsImapStore *store, MsImapFolder *folder, GBytes *data,
                              guint flags, gint64 internal_date)
{
    MsImapMsg *m = g_new0(MsImapMsg, 1);
    /* RFC 3501 2.3.1.1: UIDs are strictly ascending and never reused. */
    m->uid = folder->uidnext++;
    m->flags = flags & MS_IMAP_FLAGS_ALL;
    m->recent = TRUE;
    m->internal_date = internal_date;
    m->data = g_bytes_ref(data);
    g_ptr_array_add(folder->msgs, m);
    MsImapChange change = {
        .kind = MS_IMAP_CHANGE_APPEND, .folder = folder->name, .uid = m->uid,
        .flags = m->flags, .count = folder->msgs->len,
    };
    notify(store, &change);
    return m->uid;
}

void ms_imap_folder_set_flags(MsImapStore *store, MsImapFolder *folder, guint index, guint flags)
{
    MsImapMsg *m = ms_imap_folder_msg(folder, index);
    flags &= MS_IMAP_FLAGS_ALL;
    if (m->flags == flags)
        return;
    MsImapChange change = {
        .kind = MS_IMAP_CHANGE_FLAGS, .folder = folder->name, .uid = m->uid, .flags = flags,
        .old_flags = m->flags, .count = folder->msgs->len,
    };
    m->flags = flags;
    notify(store, &change);
}

void ms_imap_folder_remove(MsImapStore *store, MsImapFolder *folder, guint index)
{
    guint32 uid = ms_imap_folder_msg(folder, index)->uid;
    g_ptr_array_remove_index(folder->msgs, index);
    MsImapChange change = {
        .kind = MS_IMAP_CHANGE_EXPUNGE, .folder = folder->name, .uid = uid,
        .count = folder->msgs->len,
    };
    notify(store, &change);
}

/* ---- Folder names ---------------------------------------------------------------- */

/* Checks and normalises a name for CREATE or RENAME's target: INBOX in any
 * case; printable ASCII, no wildcards (they would make LIST ambiguous), no
 * empty component; one trailing "/" dropped (RFC 3501 6.3.3). */
static char *clean_name(const char *name)
{
    if (name == NULL)
        return NULL;
    g_autofree char *norm = ms_imap_mailbox_normalize(name);
    gsize n = strlen(norm);
    if (n > 1 && norm[n - 1] == '/')
        norm[--n] = '\0';
    if (n == 0 || norm[0] == '/' || norm[n - 1] == '/' || strstr(norm, "//") != NULL)
        return NULL;
    for (gsize i = 0; i < n; i++) {
        guchar c = (guchar) norm[i];
        if (c < 0x20 || c > 0x7e || c == '%' || c == '*')
            return NULL;
    }
    return g_steal_pointer(&norm);
}

/* Makes the superior names of name that are missing (RFC 3501 6.3.3). */
static void create_superiors(MsImapStore *store, const char *name)
{
    for (const char *p = strchr(name, '/'); p != NULL; p = strchr(p + 1, '/')) {
        g_autofree char *parent = g_strndup(name, (gsize) (p - name));
        if (ms_imap_store_lookup(store, parent) != NULL)
            continue;
        MsImapFolder *f = add_folder(store, parent);
        notify_simple(store, MS_IMAP_CHANGE_CREATE, f, NULL);
    }
}

MsImapStoreResult ms_imap_store_create(MsImapStore *store, const char *name)
{
    g_autofree char *clean = clean_name(name);
    if (clean == NULL)
        return MS_IMAP_STORE_INVALID_NAME;
    MsImapFolder *f = ms_imap_store_lookup(store, clean);
    if (f != NULL && !f->noselect)
        return MS_IMAP_STORE_ALREADY_EXISTS; /* INBOX included, 6.3.3 */
    create_superiors(store, clean);
    if (f != NULL) {
        /* A \Noselect name becomes a mailbox again, as a new one. */
        f->noselect = FALSE;
        f->uidvalidity = store->next_uidvalidity++;
        f->uidnext = 1;
    } else {
        f = add_folder(store, clean);
    }
    notify_simple(store, MS_IMAP_CHANGE_CREATE, f, NULL);
    return MS_IMAP_STORE_OK;
}

static void remove_all_messages(MsImapStore *store, MsImapFolder *f)
{
    while (f->msgs->len > 0)
        ms_imap_folder_remove(store, f, f->msgs->len - 1);
}

MsImapStoreResult ms_imap_store_delete(MsImapStore *store, const char *name)
{
    MsImapFolder *f = ms_imap_store_lookup(store, name);
    if (f == NULL)
        return MS_IMAP_STORE_NONEXISTENT;
    /* RFC 3501 6.3.4: it is an error to delete INBOX. */
    if (strcmp(f->name, "INBOX") == 0)
        return MS_IMAP_STORE_INBOX;
    if (ms_imap_folder_has_children(store, f)) {
        /* 6.3.4: a name with inferiors loses its messages and becomes
         * \Noselect; deleting a \Noselect name with inferiors is an error. */
        if (f->noselect)
            return MS_IMAP_STORE_HAS_CHILDREN;
        remove_all_messages(store, f);
        f->noselect = TRUE;
        notify_simple(store, MS_IMAP_CHANGE_DELETE, f, NULL);
        return MS_IMAP_STORE_OK;
    }
    remove_all_messages(store, f);
    g_autofree char *old = g_strdup(f->name);
    MsImapChange change = { .kind = MS_IMAP_CHANGE_DELETE, .folder = old };
    g_ptr_array_remove(store->folders, f);
    notify(store, &change);
    return MS_IMAP_STORE_OK;
}

static void rename_subscription(MsImapStore *store, const char *from, const char *to)
{
    for (guint i = 0; i < store->subscriptions->len; i++) {
        char **s = (char **) &g_ptr_array_index(store->subscriptions, i);
        if (strcmp(*s, from) == 0) {
            g_free(*s);
            *s = g_strdup(to);
        }
    }
    g_ptr_array_sort(store->subscriptions, name_cmp);
}

/* RFC 3501 6.3.5: renaming INBOX moves its messages to a new mailbox and
 * leaves INBOX, empty, where it was; its inferiors stay. */
static void rename_inbox(MsImapStore *store, MsImapFolder *inbox, const char *to)
{
    create_superiors(store, to);
    MsImapFolder *target = add_folder(store, to);
    notify_simple(store, MS_IMAP_CHANGE_CREATE, target, NULL);
    while (inbox->msgs->len > 0) {
        MsImapMsg *m = ms_imap_folder_msg(inbox, 0);
        guint32 uid = ms_imap_folder_append(store, target, m->data, m->flags, m->internal_date);
        ms_imap_folder_msg(target, (guint) ms_imap_folder_find(target, uid))->recent = m->recent;
        ms_imap_folder_remove(store, inbox, 0);
    }
}

MsImapStoreResult ms_imap_store_rename(MsImapStore *store, const char *from, const char *to)
{
    MsImapFolder *f = ms_imap_store_lookup(store, from);
    if (f == NULL || f->noselect)
        return MS_IMAP_STORE_NONEXISTENT;
    g_autofree char *clean = clean_name(to);
    if (clean == NULL)
        return MS_IMAP_STORE_INVALID_NAME;
    if (ms_imap_store_lookup(store, clean) != NULL)
        return MS_IMAP_STORE_ALREADY_EXISTS;
    g_autofree char *old = g_strdup(f->name);
    gsize n = strlen(old);
    /* A mailbox cannot become its own inferior. */
    if (strncmp(clean, old, n) == 0 && clean[n] == '/')
        return MS_IMAP_STORE_INVALID_NAME;
    if (strcmp(old, "INBOX") == 0) {
        rename_inbox(store, f, clean);
        return MS_IMAP_STORE_OK;
    }
    create_superiors(store, clean);
    /* 6.3.5: inferior names are renamed with it.  The folders keep their
     * ids, so a session that has one selected still has it. */
    g_autoptr(GPtrArray) moved = g_ptr_array_new();
    for (guint i = 0; i < store->folders->len; i++) {
        MsImapFolder *g = g_ptr_array_index(store->folders, i);
        if (g == f || (strncmp(g->name, old, n) == 0 && g->name[n] == '/'))
            g_ptr_array_add(moved, g);
    }
    for (guint i = 0; i < moved->len; i++) {
        MsImapFolder *g = g_ptr_array_index(moved, i);
        g_autofree char *was = g->name;
        g->name = g_strconcat(clean, was + n, NULL);
        rename_subscription(store, was, g->name);
        MsImapChange change = {
            .kind = MS_IMAP_CHANGE_RENAME, .folder = was, .folder2 = g->name,
            .count = g->msgs->len,
        };
        notify(store, &change);
    }
    g_ptr_array_sort(store->folders, folder_cmp);
    return MS_IMAP_STORE_OK;
}

MsImapStoreResult ms_imap_store_subscribe(MsImapStore *store, const char *name,
                                          gboolean subscribe)
{
    g_autofree char *norm = name != NULL ? ms_imap_mailbox_normalize(name) : NULL;
    if (norm == NULL)
        return MS_IMAP_STORE_INVALID_NAME;
    for (guint i = 0; i < store->subscriptions->len; i++) {
        if (strcmp(g_ptr_array_index(store->subscriptions, i), norm) != 0)
            continue;
        if (subscribe)
            return MS_IMAP_STORE_OK; /* already */
        g_ptr_array_remove_index(store->subscriptions, i);
        MsImapChange change = { .kind = MS_IMAP_CHANGE_UNSUBSCRIBE, .folder = norm };
        notify(store, &change);
        return MS_IMAP_STORE_OK;
    }
    if (!subscribe)
        return MS_IMAP_STORE_NOT_SUBSCRIBED;
    const MsImapFolder *f = ms_imap_store_lookup(store, norm);
    if (f == NULL)
        return MS_IMAP_STORE_NONEXISTENT;
    g_ptr_array_add(store->subscriptions, g_strdup(norm));
    g_ptr_array_sort(store->subscriptions, name_cmp);
    MsImapChange change = { .kind = MS_IMAP_CHANGE_SUBSCRIBE, .folder = norm };
    notify(store, &change);
    return MS_IMAP_STORE_OK;
}

/* ---- Public, by name --------------------------------------------------------------- */

gboolean ms_imap_store_is_subscribed(const MsImapStore *store, const char *name)
{
    g_autofree char *norm = name != NULL ? ms_imap_mailbox_normalize(name) : NULL;
    for (guint i = 0; norm != NULL && i < store->subscriptions->len; i++) {
        if (strcmp(g_ptr_array_index(store->subscriptions, i), norm) == 0)
            return TRUE;
    }
    return FALSE;
}

static MsImapFolder *selectable(const MsImapStore *store, const char *name)
{
    MsImapFolder *f = ms_imap_store_lookup((MsImapStore *) store, name);
    return f != NULL && !f->noselect ? f : NULL;
}

gboolean ms_imap_store_has_folder(const MsImapStore *store, const char *name)
{
    return selectable(store, name) != NULL;
}

char **ms_imap_store_folders(const MsImapStore *store)
{
    GPtrArray *names = g_ptr_array_new();
    for (guint i = 0; i < store->folders->len; i++) {
        const MsImapFolder *f = g_ptr_array_index(store->folders, i);
        if (!f->noselect)
            g_ptr_array_add(names, g_strdup(f->name));
    }
    g_ptr_array_add(names, NULL);
    return (char **) g_ptr_array_free(names, FALSE);
}

guint32 ms_imap_store_uidvalidity(const MsImapStore *store, const char *folder)
{
    const MsImapFolder *f = selectable(store, folder);
    return f != NULL ? f->uidvalidity : 0;
}

guint32 ms_imap_store_uidnext(const MsImapStore *store, const char *folder)
{
    const MsImapFolder *f = selectable(store, folder);
    return f != NULL ? f->uidnext : 0;
}

guint ms_imap_store_count(const MsImapStore *store, const char *folder)
{
    const MsImapFolder *f = selectable(store, folder);
    return f != NULL ? f->msgs->len : 0;
}

guint ms_imap_store_unseen(const MsImapStore *store, const char *folder)
{
    const MsImapFolder *f = selectable(store, folder);
    return f != NULL ? ms_imap_folder_count_unseen(f) : 0;
}

static void fill_info(const MsImapMsg *m, MsImapMessageInfo *info_out)
{
    if (info_out == NULL)
        return;
    info_out->uid = m->uid;
    info_out->flags = m->flags;
    info_out->recent = m->recent;
    info_out->internal_date = m->internal_date;
    info_out->data = m->data;
}

gboolean ms_imap_store_message(const MsImapStore *store, const char *folder, guint index,
                               MsImapMessageInfo *info_out)
{
    const MsImapFolder *f = selectable(store, folder);
    if (f == NULL || index >= f->msgs->len)
        return FALSE;
    fill_info(ms_imap_folder_msg(f, index), info_out);
    return TRUE;
}

gboolean ms_imap_store_find_uid(const MsImapStore *store, const char *folder, guint32 uid,
                                MsImapMessageInfo *info_out)
{
    const MsImapFolder *f = selectable(store, folder);
    gint i = f != NULL ? ms_imap_folder_find(f, uid) : -1;
    if (i < 0)
        return FALSE;
    fill_info(ms_imap_folder_msg(f, (guint) i), info_out);
    return TRUE;
}

guint32 ms_imap_store_append(MsImapStore *store, const char *folder, GBytes *data, guint flags,
                             gint64 internal_date)
{
    g_return_val_if_fail(store != NULL && data != NULL, 0);
    MsImapFolder *f = selectable(store, folder);
    if (f == NULL)
        return 0;
    return ms_imap_folder_append(store, f, data, flags, internal_date);
}

gboolean ms_imap_store_set_flags(MsImapStore *store, const char *folder, guint32 uid,
                                 guint flags)
{
    MsImapFolder *f = selectable(store, folder);
    gint i = f != NULL ? ms_imap_folder_find(f, uid) : -1;
    if (i < 0)
        return FALSE;
    ms_imap_folder_set_flags(store, f, (guint) i, flags);
    return TRUE;
}

guint32 ms_imap_store_copy(MsImapStore *store, const char *from, guint32 uid, const char *to)
{
    MsImapFolder *src = selectable(store, from);
    MsImapFolder *dst = selectable(store, to);
    gint i = src != NULL ? ms_imap_folder_find(src, uid) : -1;
    if (i < 0 || dst == NULL)
        return 0;
    const MsImapMsg *m = ms_imap_folder_msg(src, (guint) i);
    return ms_imap_folder_append(store, dst, m->data, m->flags, m->internal_date);
}

gboolean ms_imap_store_remove(MsImapStore *store, const char *folder, guint32 uid)
{
    MsImapFolder *f = selectable(store, folder);
    gint i = f != NULL ? ms_imap_folder_find(f, uid) : -1;
    if (i < 0)
        return FALSE;
    ms_imap_folder_remove(store, f, (guint) i);
    return TRUE;
}

guint ms_imap_store_expunge(MsImapStore *store, const char *folder)
{
    MsImapFolder *f = selectable(store, folder);
    guint n = 0;
    for (guint i = 0; f != NULL && i < f->msgs->len;) {
        if ((ms_imap_folder_msg(f, i)->flags & MS_IMAP_FLAG_DELETED) != 0) {
            ms_imap_folder_remove(store, f, i);
            n++;
        } else {
            i++;
        }
    }
    return n;
}
