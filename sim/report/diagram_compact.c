/* diagram_compact.c - the compact view: the lines picked from the trace
 * folded into an arrow per command, per reply and per message text, each
 * ending where its protocol says it does (a reply's last line, a message
 * text's "."), with the parts (MsDgPart) its label is written from.
 */
#include <string.h>

#include "report/diagram-private.h"
#include "report/report-private.h"

/* Whether r goes on in the same reply or request as prev (the last line of
 * the part, same connection and direction, nothing the other way between):
 * RFC 5321 4.2.1 "250-" says more lines follow; POP3's multi-line replies
 * (RFC 1939 3) run to their "."; IMAP's untagged responses lead up to the
 * tagged one (RFC 9051 7); an HTTP message's header and body follow its
 * start line (RFC 9112 2.1). */
static gboolean continues(const MsTraceRecord *prev, const MsTraceRecord *r)
{
    const char *note = r->note != NULL ? r->note : "";
    const char *pt = prev->text != NULL ? prev->text : "";
    const char *proto = r->protocol != NULL ? r->protocol : "";
    if (g_ascii_strcasecmp(proto, "SMTP") == 0)
        return g_ascii_isdigit(pt[0]) && g_ascii_isdigit(pt[1]) && g_ascii_isdigit(pt[2]) &&
               pt[3] == '-' && r->dir == MS_DIR_SERVER;
    if (g_str_has_prefix(note, "http.header.") || g_str_has_prefix(note, "http.body."))
        return TRUE;
    if (g_str_has_prefix(note, "pop3.data."))
        return TRUE;
    if (g_ascii_strcasecmp(proto, "IMAP") == 0 && r->dir == MS_DIR_SERVER)
        return g_str_has_prefix(pt, "* ");
    return FALSE;
}

/* The end of a message text, counted with it: SMTP's and POP3's "." (RFC
 * 5321 4.1.1.4, RFC 1939 3), the rest of an IMAP FETCH item after its
 * literal. */
static gboolean ends_text(const MsTraceRecord *r)
{
    const char *note = r->note != NULL ? r->note : "";
    const char *text = r->text != NULL ? r->text : "";
    return g_str_has_suffix(note, ".data.end") ||
           (strcmp(note, "imap.resp.fetch") == 0 && !g_str_has_prefix(text, "* "));
}

typedef struct {
    guint arrow[3];      /* by MsDir: the open compact arrow in out, or G_MAXUINT */
    guint last_part[3];
    MsDir last_dir;      /* of the last line on the connection */
} CompactConn;

static guint new_part(MsDiagram *d, MsDgPartKind kind, const MsTraceRecord *r)
{
    MsDgPart p = { kind, r, r, 0, 0, 0, G_MAXUINT };
    g_array_append_val(d->parts, p);
    return d->parts->len - 1;
}

static void add_to_part(MsDgPart *p, const MsTraceRecord *r)
{
    p->last = r;
    p->lines++;
    if (p->kind == MS_DG_PART_TEXT && ms_report_is_text_note(r->note)) {
        const char *note = r->note;
        p->text_lines++;
        /* RFC 5321 4.5.2: a stuffed dot is not part of the message. */
        p->bytes += strlen(r->text != NULL ? r->text : "") + 2 -
                    (g_str_has_suffix(note, ".data.stuffed") ? 1 : 0);
    }
}

/* One arrow per command, per reply and per message text; what one side sent
 * in one instant on one connection is one arrow with a row per part.  A
 * single pass: each connection keeps its open arrow. */
struct MsDgCompactor {
    GArray *out;   /* of MsDiagramArrow: the compact view's arrows so far */
    GArray *conns; /* of CompactConn, by connection id */
};

MsDgCompactor *ms_dg_compact_begin(void)
{
    MsDgCompactor *c = g_new0(MsDgCompactor, 1);
    c->out = g_array_new(FALSE, FALSE, sizeof(MsDiagramArrow));
    c->conns = g_array_new(FALSE, TRUE, sizeof(CompactConn));
    return c;
}

/* Compacts the arrows picked so far (d->arrows, then emptied) onto the
 * compactor's: a line joins the arrow open on its connection and
 * direction, or begins one. */
void ms_dg_compact_some(MsDiagram *d, MsDgCompactor *cp)
{
    GArray *out = cp->out, *conns = cp->conns;
    for (guint i = 0; i < d->arrows->len; i++) {
        const MsDiagramArrow *a = &g_array_index(d->arrows, MsDiagramArrow, i);
        const MsTraceRecord *r = a->record;
        if (a->kind != MS_DIAGRAM_ARROW_LINE || r->dir == MS_DIR_NONE) {
            MsDiagramArrow c = *a;
            c.group = out->len;
            guint none = G_MAXUINT;
            g_array_append_val(out, c);
            g_array_append_val(d->arrow_part, none);
            continue;
        }
        while (conns->len <= r->conn) {
            CompactConn fresh = { { G_MAXUINT, G_MAXUINT, G_MAXUINT },
                                  { G_MAXUINT, G_MAXUINT, G_MAXUINT }, MS_DIR_NONE };
            g_array_append_val(conns, fresh);
        }
        CompactConn *cc = &g_array_index(conns, CompactConn, r->conn);
        guint dir = (guint) r->dir;
        gboolean text = ms_report_is_text_note(r->note);
        guint open = cc->last_dir == r->dir ? cc->arrow[dir] : G_MAXUINT;
        MsDgPart *last = open != G_MAXUINT ? &g_array_index(d->parts, MsDgPart, cc->last_part[dir])
                                           : NULL;
        /* Where the line goes: on in the open part, a new part of the open
         * arrow (sent in the same instant), or a new arrow. */
        gboolean same_part = FALSE, same_arrow = FALSE;
        if (last != NULL) {
            gboolean together = last->last->time == r->time && last->last->arrival == r->arrival;
            if (last->kind == MS_DG_PART_TEXT)
                same_part = text || ends_text(r);
            else
                same_part = !text && continues(last->last, r);
            same_arrow = same_part || together;
        }
        if (!same_arrow) {
            MsDiagramArrow c = *a;
            c.group = out->len;
            g_array_append_val(out, c);
            guint part = new_part(d, text ? MS_DG_PART_TEXT : MS_DG_PART_LINES, r);
            g_array_append_val(d->arrow_part, part);
            cc->arrow[dir] = out->len - 1;
            cc->last_part[dir] = part;
        } else if (!same_part) {
            guint part = new_part(d, text ? MS_DG_PART_TEXT : MS_DG_PART_LINES, r);
            g_array_index(d->parts, MsDgPart, cc->last_part[dir]).next = part;
            cc->last_part[dir] = part;
        }
        add_to_part(&g_array_index(d->parts, MsDgPart, cc->last_part[dir]), r);
        cc->last_dir = r->dir;
        MsDiagramArrow *o = &g_array_index(out, MsDiagramArrow, cc->arrow[dir]);
        if (o->record != r) {
            o->kind = MS_DIAGRAM_ARROW_ELIDED;
            o->compact = TRUE;
            o->arrival = r->arrival;
            o->lost = r->arrival < 0;
        }
        o->elided++;
    }
    g_array_set_size(d->arrows, 0);
}

/* The compact view's arrows become the diagram's. */
void ms_dg_compact_end(MsDiagram *d, MsDgCompactor *c)
{
    ms_dg_compact_some(d, c);
    g_array_unref(d->arrows);
    d->arrows = c->out;
    g_array_unref(c->conns);
    g_free(c);
}

void ms_dg_compact_arrows(MsDiagram *d)
{
    ms_dg_compact_end(d, ms_dg_compact_begin());
}
