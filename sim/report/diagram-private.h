/* diagram-private.h - what the files of the sequence diagram share: the
 * model's body, its page geometry and the words it draws.
 *
 * Geometry is in points (1/72 inch), y growing downward from the top of a
 * page; only diagram_gv.c turns it over for Graphviz.
 */
#pragma once

#include "mailsim/diagram.h"

/* Page geometry. */
#define MS_DG_MARGIN 16.0        /* around everything */
#define MS_DG_AXIS_X 92.0        /* the time axis; tick labels to its left */
#define MS_DG_COLUMN 250.0       /* between two lifelines */
#define MS_DG_LANE 170.0         /* one column of phase labels, right margin */
#define MS_DG_TITLE_Y 22.0       /* centre of the title row */
#define MS_DG_LEGEND_Y 44.0      /* centre of the legend row */
#define MS_DG_HEAD_Y 64.0        /* top of the host boxes */
#define MS_DG_HEAD_H 36.0
#define MS_DG_FIRST_Y 124.0      /* the first instant of a page */
#define MS_DG_BOTTOM 28.0        /* below the last thing drawn */

/* Vertical rhythm. */
#define MS_DG_ROW 15.0           /* one line of label text */
#define MS_DG_MIN_SLOPE 16.0     /* a loss point is at least half this below its send */
#define MS_DG_MIN_STEP 2.0       /* between two different instants */
#define MS_DG_NOTE_H 16.0
#define MS_DG_BREAK_H 38.0
#define MS_DG_DELAY_PT 90.0      /* automatic scale: the slowest path */
#define MS_DG_LOST_REACH 0.8     /* a lost arrow stops this far across */

/* Fonts: protocol lines in a monospaced face, as the RFCs print them.
 * PostScript names, which Graphviz knows: SVG gets "Helvetica,sans-Serif"
 * (a viewer without Helvetica still picks a sans face) and bitmaps get
 * whatever fontconfig matches (DejaVu on Debian, CJK glyphs from any font
 * that has them). */
#define MS_DG_FONT "Helvetica"
#define MS_DG_FONT_BOLD "Helvetica-Bold"
#define MS_DG_FONT_MONO "Courier"
#define MS_DG_LINE_PT 10.0
#define MS_DG_SMALL_PT 9.0

/* The diagram's colours (diagram_colours.c): the one table that
 * sequence.svg/png/pdf, the mscgen and PlantUML sources and report.html
 * (html.c hands it to the page as CSS custom properties) all draw with. */
typedef struct {
    const char *line;          /* arrows, arrowheads, the legend */
    const char *text;          /* arrow labels and band titles */
    const char *band_fill;     /* a phase band */
    const char *band_edge;     /* its bar at the side */
} MsDgFlowColours;

extern const MsDgFlowColours ms_dg_flow_colours[MS_DIAGRAM_N_FLOWS];
#define MS_DG_LOST_COLOUR "#c62828"
#define MS_DG_LIFELINE_COLOUR "#8c8c8c"

/* Long bodies: a group longer than this shows its head and tail only. */
#define MS_DG_ELIDE_OVER 12u
#define MS_DG_ELIDE_HEAD 8u
#define MS_DG_ELIDE_TAIL 2u

/* --slide: type this much larger than on a page... */
#define MS_DG_SLIDE_TYPE 1.4
/* ...in columns this much wider, on pages of 16:9 (points at 96 dpi). */
#define MS_DG_SLIDE_COLUMN 1.3
#define MS_DG_SLIDE_W 1440.0
#define MS_DG_SLIDE_H 810.0
/* A slide's automatic scale gives the slowest path this much drop, not
 * MS_DG_DELAY_PT: a slide is short, and a dialogue's slopes still read as
 * delays (every arrow drops at least a row and a half of the larger type
 * anyway). */
#define MS_DG_SLIDE_DELAY_PT 50.0
/* A slide's page is shrunk at most this much to fit (tests/test_diagram.c). */
#define MS_DG_SLIDE_MIN_ZOOM 0.7

/* A part of a compact arrow: one command, one reply (all its lines), or a
 * message text; `next` links the parts of one arrow (G_MAXUINT: last). */
typedef enum { MS_DG_PART_LINES, MS_DG_PART_TEXT } MsDgPartKind;

typedef struct {
    MsDgPartKind kind;
    const MsTraceRecord *first, *last;
    guint lines;                /* LINES: how many; TEXT: every line, "." too */
    guint text_lines;           /* TEXT: lines of the message */
    guint64 bytes;              /* TEXT: the message's bytes, CRLF counted */
    guint next;
} MsDgPart;

struct MsDiagram {
    MsDiagramOptions options;  /* strings below are copies */
    MsDiagramView view;        /* COMPACT or FULL */
    double type;               /* font and row scale: 1, larger on slides */
    double column;             /* between two lifelines */
    char *lang;
    char *title;
    char *protocols;
    char *hosts;
    char *basename;
    gboolean full_bodies;
    GStringChunk *strings;     /* labels and tooltips */

    GArray *lifelines;         /* MsDiagramLifeline */
    GArray *arrows;            /* MsDiagramArrow, by page then send time */
    GArray *notes;             /* MsDiagramNote */
    GArray *bands;             /* MsDiagramBand */
    GArray *breaks;            /* MsDiagramBreak */
    GArray *ticks;             /* MsDiagramTick, by page then time */
    GArray *pages;             /* MsDiagramPage */
    GArray *note_order;        /* guint64 per note: its record id, for layout */
    GArray *parts;             /* MsDgPart, compact view */
    GArray *arrow_part;        /* guint per arrow: its first part, or G_MAXUINT */
    GArray *group_rows;        /* guint per arrow, for the layout: the most rows
                                  of text of the arrows sent with it */
    GPtrArray *refused;        /* conn id -> its conn-refused record, or NULL */
    gboolean has_flow[MS_DIAGRAM_N_FLOWS];
    gboolean has_lost;
    gboolean has_refused;      /* a SYN refused with a RST (a bar) */
    gboolean has_http_push;    /* a web-mail upload, drawn as a push */
    gboolean has_imap_push;    /* an IMAP server's news during IDLE, a push */
    gboolean has_retransmit;
    MsDiagramUndrawn undrawn;  /* what max_pages left out */
    MsTime cut;                /* send time of the first arrow left out, or
                                  MS_TIME_NEVER: notes from it on are too */
    double scale;              /* points per millisecond in force */
    MsTime gap;                /* compression threshold in force (<0 never) */
};

/* Type and rows scaled for the diagram (larger on slides). */
#define MS_DG_T(d, v) ((v) * (d)->type)

/* The height of a note: a row of small type for each row of its label. */
double ms_dg_note_h(const MsDiagram *d, const MsDiagramNote *note);
/* The width of its widest row in small type, and of its box. */
double ms_dg_note_w(const MsDiagram *d, const MsDiagramNote *note);

/* diagram.c: whether a record of this kind is drawn as a note. */
gboolean ms_dg_is_note_kind(MsTraceKind kind);
/* diagram_hosts.c: the hosts a run's records name, each with what they tell
 * of its role, and the lifelines' order. */
typedef struct {
    const char *name;
    guint64 first_seen;
    guint64 first_smtp;  /* 2 * record id, +1 on the accepting side */
    guint64 first_send;  /* record id of the first time it sent: SMTP to a
                          * server, a composed message, a POSTed form;
                          * G_MAXUINT64 when it never sent */
    guint64 first_fetch; /* record id of the first message it downloaded */
    gboolean accepts_mail, accepts_web, opens_mail, opens_web;
    const char *home;    /* first server it connected to */
    guint bucket;        /* 0 sends, 1 server, 2 fetches, 3 other */
    guint home_rank;
    guint column;        /* among the hosts drawn, in the mail's order */
} MsDgHostInfo;

typedef struct {
    GPtrArray *hosts;    /* MsDgHostInfo, first seen first */
    GHashTable *by_name; /* lookups only; never iterated */
    /* The same by the name's address, in front of by_name: every record
     * names its hosts, and the trace's pool keeps one copy of each name,
     * so a name is hashed as a string once, not on every record. */
    GHashTable *by_address;
} MsDgHosts;

/* No hosts yet; ms_dg_hosts_clear() frees them and what they hold. */
void ms_dg_hosts_init(MsDgHosts *hs);
void ms_dg_hosts_clear(MsDgHosts *hs);
/* What record i tells of its hosts' roles; a host first named here is
 * added to hs, which owns it. */
void ms_dg_host_record(MsDgHosts *hs, const MsTraceRecord *r, guint64 i);
/* Sorts hs->hosts into lifeline order, as the mail flows (diagram_hosts.c
 * says how), once every record is read. */
void ms_dg_hosts_order(MsDgHosts *hs);
/* The role a host plays, read off its connections. */
MsDiagramRole ms_dg_host_role(const MsDgHostInfo *h);
/* diagram_compact.c: the compact view, made as the arrows are picked.  A
 * compactor (ms_dg_compact_begin(), transfer full) takes them in batches:
 * ms_dg_compact_some() moves d->arrows onto it, leaving d->arrows empty;
 * ms_dg_compact_end() compacts the rest, makes the compactor's arrows the
 * diagram's and frees it.  ms_dg_compact_arrows(): all three at once. */
typedef struct MsDgCompactor MsDgCompactor;
MsDgCompactor *ms_dg_compact_begin(void);
void ms_dg_compact_some(MsDiagram *d, MsDgCompactor *c);
void ms_dg_compact_end(MsDiagram *d, MsDgCompactor *c);
void ms_dg_compact_arrows(MsDiagram *d);
/* diagram_words.c: the notes of the records at note_records (their
 * indexes in the trace) whose host has a lifeline (index: host name ->
 * lifeline), with their wrapped labels; then every arrow's label. */
void ms_dg_pick_notes(MsDiagram *d, const MsTrace *trace, const GArray *note_records,
                      GHashTable *index);
void ms_dg_label_arrows(MsDiagram *d);

/* diagram_pages.c: lays the diagram out: shares the arrows and notes out
 * among pages and lays each out (below), cutting slides until they fit. */
void ms_dg_layout(MsDiagram *d);
/* Keeps the arrows of the first options.max_pages pages only, counting the
 * rest into d->undrawn and setting d->cut.  Linear and without layout: run
 * it before the labels and the layout, so that their work is bounded by
 * what is drawn. */
void ms_dg_cut_pages(MsDiagram *d);
/* The pages drawn and those left out. */
guint ms_dg_total_pages(const MsDiagram *d);
/* diagram_layout.c: the time axis's scale, points per millisecond (from the
 * options, else the automatic one), and the idle time drawn as a short
 * break (<0: never), which reads the scale in force (d->scale). */
double ms_dg_pick_scale(const MsDiagram *d);
MsTime ms_dg_pick_gap(const MsDiagram *d);
/* In the compact view (and on slides), instants closer together than the
 * axis shows (MS_DG_MIN_STEP at the scale in force), and than
 * MS_DG_SAME_ROW_MAX, share a row labelled with the first one's time (so
 * the time printed is never off by a tenth of a millisecond); 0 in the
 * full view. */
#define MS_DG_SAME_ROW_MAX (MS_MSEC / 10)
MsTime ms_dg_same_row(const MsDiagram *d);
/* The y of everything on page `page` (its arrows and notes assigned),
 * and the page's ticks, breaks and height. */
void ms_dg_layout_page(MsDiagram *d, guint page);
/* diagram_bands.c: the state of each connection's phase runs, by
 * connection id up to the arrows' highest, all fresh (transfer full);
 * pass it to ms_dg_page_bands() for every page in turn, once the page is
 * laid out: it appends the page's bands to d->bands, each in its lane. */
GArray *ms_dg_band_runs_new(const MsDiagram *d);
double ms_dg_band_bar_x(const MsDiagram *d, const MsDiagramBand *b);
double ms_dg_band_label_x(const MsDiagram *d, const MsDiagramBand *b);
void ms_dg_page_bands(MsDiagram *d, guint page, GArray *conns);
/* What the placer (diagram_place.c) reads of the layout: the points a
 * path's delay takes at the automatic scale, how far an arrow drops at
 * least, and the size of an arrow's label with MS_DG_PAD all round, the
 * white space kept around a label beyond the patch Graphviz draws. */
#define MS_DG_PAD 1.5
double ms_dg_delay_pt(const MsDiagram *d);
double ms_dg_drop(const MsDiagram *d, const MsDiagramArrow *a);
void ms_dg_label_size(const MsDiagram *d, const MsDiagramArrow *a, double *w, double *h);

/* diagram_place.c: where the labels and ends of one page's arrows may go
 * without covering a text already drawn.  ms_dg_layout_page()
 * (diagram_layout.c) goes down the page an instant at a time; for each it
 * asks how low an arrow must leave (send_floor) and where it and its label
 * settle (settle, note_top), then commits what it drew; an instant placed
 * again is first rolled back to its snapshot. */
/* Where the texts of one page are, by column: bucket 0 is left of the first
 * lifeline, bucket k between lifelines k-1 and k, the last one right of the
 * last lifeline.  What lies wholly above every arrow still to be placed is
 * dropped as the page goes down, so each look is at the few things near
 * the arrow (a sweep down the page with an interval list per column). */
enum { MS_DG_LINES, MS_DG_TEXTS, MS_DG_FLYING, MS_DG_HEADED, MS_DG_N_LISTS };

/* The ids (obstacles, or page-local arrows) in one bucket: pushed, and cut
 * back as what is far above is dropped, tens of millions of times for the
 * pages of a long run, so by hand rather than by a GArray's calls. */
typedef struct {
    guint *ids;
    guint len, size;
} MsDgIdList;

typedef struct {
    MsDiagram *d;
    guint first, n;     /* the page's arrows */
    guint n_buckets;
    double x0, column;
    GArray *obs;        /* Obstacle */
    /* Per bucket, what may be in the way: MS_DG_LINES every line and text,
     * MS_DG_TEXTS the labels and notes only (for lines crossing many columns),
     * MS_DG_FLYING the arrows sent and not yet placed, across their columns, and
     * MS_DG_HEADED the same, in the columns where their labels will go. */
    MsDgIdList *list[MS_DG_N_LISTS];
    guint8 *done;       /* page-local arrow placed (or never will be) */
    guint *astamp;
    double *lw, *lh;    /* label sizes */
    double tall;        /* the tallest label of the page */
    guint stamp;
    guint oldest;       /* the first page-local arrow not yet done */
    double low;         /* nothing above this can be in the way any more */
    double now;         /* the instant's y */
    GArray *iv;         /* Span, scratch */
    /* While an instant is placed (it may be placed again): nothing is
     * dropped, and what is added can be taken back. */
    gboolean keep;
    guint snap, snap_obs;
    guint *stamps[MS_DG_N_LISTS]; /* per bucket: snap when first added to */
    GArray *touched;        /* guint pairs: bucket (+ n_buckets: flying), length */
} MsDgPlacer;

void ms_dg_placer_init(MsDgPlacer *p, MsDiagram *d, guint page);
void ms_dg_placer_clear(MsDgPlacer *p);
/* While an instant is placed: what is added from the snapshot on can be
 * taken back (rollback) until it is released. */
void ms_dg_placer_snapshot(MsDgPlacer *p);
void ms_dg_placer_rollback(MsDgPlacer *p);
void ms_dg_placer_release(MsDgPlacer *p);
/* At the start of an instant at y: what lies above every arrow in flight
 * and above y can no longer be in anyone's way. */
void ms_dg_placer_advance(MsDgPlacer *p, double y);
/* How low the page-local arrow `self` must leave, at y or lower. */
double ms_dg_send_floor(MsDgPlacer *p, guint self, double y);
/* Where the arrow `self` arriving at `at` or lower ends (y2) and its label
 * goes (lx, ly). */
void ms_dg_settle(MsDgPlacer *p, guint self, double at, double *y2_out, double *lx_out,
                  double *ly_out);
/* What was drawn is in the way of what comes: an arrow with its label, an
 * arrow sent and not yet placed, a note. */
void ms_dg_commit_arrow(MsDgPlacer *p, guint self);
void ms_dg_commit_send(MsDgPlacer *p, guint self);
void ms_dg_commit_note(MsDgPlacer *p, const MsDiagramNote *note);
/* The top of a note put at y or lower, clear of the texts drawn. */
double ms_dg_note_top(MsDgPlacer *p, const MsDiagramNote *note, double y);

/* Words in the diagram's language (they live here, beside their use; the
 * phase names come from the reports' catalogue). */
gboolean ms_dg_is_zh(const MsDiagram *d);
const char *ms_dg_word(const MsDiagram *d, const char *en, const char *zh);
/* g_strdup_printf() of the English or the Chinese format; both literal, so
 * the compiler checks them against the arguments. */
#define MS_DG_PRINTF(d, en, zh, ...)                                                   \
    (ms_dg_is_zh(d) ? g_strdup_printf(zh, __VA_ARGS__) : g_strdup_printf(en, __VA_ARGS__))
const char *ms_dg_intern(MsDiagram *d, const char *s);
/* Width of text in points: CJK characters are square, others 0.6 em in
 * the monospaced face; in the other, Helvetica's own widths (ASCII), a
 * fifth wider for the sans face Graphviz finds instead, else 0.62 em. */
double ms_dg_text_width(const char *text, double size, gboolean mono);
/* v with decimals (0-4) digits after the point, exactly as
 * g_ascii_formatd(buf, G_ASCII_DTOSTR_BUF_SIZE, "%.<decimals>f", v) writes
 * it, much faster; buf holds G_ASCII_DTOSTR_BUF_SIZE bytes.  Returns buf. */
char *ms_dg_fixed(char *buf, double v, guint decimals);
/* Cuts text to at most max_chars characters, ending in "…" (transfer full). */
char *ms_dg_shorten(const char *text, guint max_chars);
/* Breaks text into rows of at most max_chars columns (a wide CJK character
 * counts 2), at a space where the row has one, else inside the word; the
 * text's own "\n" start rows too. Past max_rows rows the last one ends in
 * "…". Sets *rows_out (may be NULL) to the rows made (transfer full). */
char *ms_dg_wrap(const char *text, guint max_chars, guint max_rows, guint *rows_out);
/* diagram_wrap.c: the same for a slide's labels, which end a row only at a
 * space (not the one of "MAIL FROM:" or "RCPT TO:"), before a '<' or beside
 * a wide character, and break inside only a piece wider than a row. */
char *ms_dg_wrap_words(const char *text, guint max_chars, guint max_rows, guint *rows_out);

/* diagram_order.c: a session drawn, between the hosts a and b (indexes in
 * the mail's order), from its first send to its last arrival, with the
 * number of lines it carries. */
typedef struct {
    MsTime start, end;
    guint a, b;
    guint lines;
} MsDgSession;

/* The order is changed only at lecture scale: up to this many lifelines
 * and this many pairs of sessions at once (a campus run keeps the mail's
 * order, and the search stays within a few million steps). */
#define MS_DG_ORDER_MAX_HOSTS 16u
#define MS_DG_ORDER_MAX_PAIRS 4096u
/* Fills order[0..n) with the hosts (indexes in the mail's order) from left
 * to right, so that simultaneous sessions share as few columns as they
 * can.  Returns whether it differs from the mail's order. */
gboolean ms_dg_order_sides(guint n, const MsDgSession *sessions, guint n_sessions, guint *order);
