/* diagram_gv.c - the sequence diagram drawn with Graphviz: a cgraph graph in
 * which every node and edge is pinned where the model put it, laid out with
 * `nop2` (which keeps all given positions and routes nothing) and rendered
 * by gvc to SVG, PNG, PDF or DOT.
 *
 * The `dot` layout cannot slope an arrow and slows down past a few hundred
 * messages; here Graphviz only draws.  Arrows are edges from the sender's
 * host box to the receiver's with an explicit spline; their text is a
 * separate pinned plain-text node (cheaper than edge labels, and placed
 * exactly on the arrow's middle over a white patch).  Phase bands are
 * polygons in the graph's `_background`, so they are painted first, under
 * everything, in the model's order; the graph has no subgraph at all.
 * Every page's objects are ranges of the model's lists, so drawing a page
 * costs its own size only.  One Graphviz context serves the whole process.
 */
#include <graphviz/gvc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/diagram-private.h"

/* Colours: ms_dg_flow_colours (diagram_colours.c), shared with the other
 * outputs. */
#define FLOW(f) (&ms_dg_flow_colours[(f)])
/* Type and rows in the diagram's scale (larger on slides). */
#define T(v) MS_DG_T(gv->d, (v))

typedef struct {
    Agraph_t *g;
    const MsDiagram *d;
    double h;          /* page height: Graphviz's y points up */
    double dx;         /* added to every x: centres a slide's content */
    guint serial;      /* for unique names */
    Agnode_t *anchor;  /* tail and head of the decorative edges */
    Agsym_t *n_pos, *n_label, *n_shape, *n_style, *n_fill, *n_color, *n_font, *n_size,
        *n_fontcolor, *n_width, *n_height, *n_fixed, *n_margin, *n_tooltip;
    Agsym_t *e_pos, *e_color, *e_style, *e_arrowhead, *e_arrowsize, *e_penwidth, *e_tooltip;
} Gv;

static void set(void *obj, Agsym_t *sym, const char *value)
{
    agxset(obj, sym, (char *) value);
}

static void set_num(void *obj, Agsym_t *sym, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    set(obj, sym, ms_dg_fixed(buf, v, 3));
}

/* "x<sep>y" in Graphviz points (y up), locale-independent. */
static void append_xy(GString *s, const Gv *gv, double x, double y, char sep)
{
    char b[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append(s, ms_dg_fixed(b, x + gv->dx, 2));
    g_string_append_c(s, sep);
    g_string_append(s, ms_dg_fixed(b, gv->h - y, 2));
}

/* "x,y", as in pos. */
static void append_point(GString *s, const Gv *gv, double x, double y)
{
    append_xy(s, gv, x, y, ',');
}

static void set_pos(Gv *gv, Agnode_t *n, double x, double y)
{
    g_autoptr(GString) s = g_string_new(NULL);
    append_point(s, gv, x, y);
    g_string_append_c(s, '!');
    set(n, gv->n_pos, s->str);
}

/* Backslashes are Graphviz escapes (\N, \n...) in labels and tooltips. */
static char *gv_escape(const char *text)
{
    GString *s = g_string_new(NULL);
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\\')
            g_string_append(s, "\\\\");
        else if (*p == '\n')
            g_string_append(s, "\\n");
        else
            g_string_append_c(s, *p);
    }
    return g_string_free(s, FALSE);
}

static Agnode_t *new_node(Gv *gv, const char *prefix, guint i, double x, double y)
{
    char name[48];
    g_snprintf(name, sizeof name, "%s%u", prefix, i);
    Agnode_t *n = agnode(gv->g, name, 1);
    set_pos(gv, n, x, y);
    return n;
}

static Agnode_t *text_node(Gv *gv, const char *prefix, guint i, double x, double y,
                           const char *text, const char *font, double size, const char *colour)
{
    Agnode_t *n = new_node(gv, prefix, i, x, y);
    g_autofree char *label = gv_escape(text);
    set(n, gv->n_label, label);
    set(n, gv->n_font, font);
    set_num(n, gv->n_size, size);
    set(n, gv->n_fontcolor, colour);
    return n;
}

/* A straight edge drawn as a cubic B-spline; with an arrowhead, the spline
 * stops one arrow length short of the tip ("e," point). */
static Agedge_t *line_edge(Gv *gv, Agnode_t *t, Agnode_t *h, const char *name, double x1,
                           double y1, double x2, double y2, double arrow_len)
{
    double bx = x2, by = y2;
    double len = sqrt((x2 - x1) * (x2 - x1) + (y2 - y1) * (y2 - y1));
    g_autoptr(GString) s = g_string_new(NULL);
    if (arrow_len > 0 && len > arrow_len) {
        bx = x2 - (x2 - x1) / len * arrow_len;
        by = y2 - (y2 - y1) / len * arrow_len;
        g_string_append(s, "e,");
        append_point(s, gv, x2, y2);
        g_string_append_c(s, ' ');
    }
    append_point(s, gv, x1, y1);
    for (int k = 1; k <= 3; k++) {
        g_string_append_c(s, ' ');
        append_point(s, gv, x1 + (bx - x1) * k / 3.0, y1 + (by - y1) * k / 3.0);
    }
    Agedge_t *e = agedge(gv->g, t, h, (char *) name, 1);
    set(e, gv->e_pos, s->str);
    set(e, gv->e_arrowhead, arrow_len > 0 && len > arrow_len ? "normal" : "none");
    return e;
}

static Agedge_t *deco_edge(Gv *gv, double x1, double y1, double x2, double y2,
                           const char *colour, double width, const char *style)
{
    char name[32];
    g_snprintf(name, sizeof name, "d%u", gv->serial++);
    Agedge_t *e = line_edge(gv, gv->anchor, gv->anchor, name, x1, y1, x2, y2, 0);
    set(e, gv->e_color, colour);
    set_num(e, gv->e_penwidth, width);
    set(e, gv->e_style, style);
    return e;
}

static void declare(Gv *gv)
{
    Agraph_t *g = gv->g;
    agattr(g, AGRAPH, "bgcolor", "white");
    agattr(g, AGRAPH, "outputorder", "edgesfirst");
    agattr(g, AGRAPH, "pad", "0.1");
    agattr(g, AGRAPH, "fontname", MS_DG_FONT);
    gv->n_pos = agattr(g, AGNODE, "pos", "");
    gv->n_label = agattr(g, AGNODE, "label", "");
    gv->n_shape = agattr(g, AGNODE, "shape", "plaintext");
    gv->n_style = agattr(g, AGNODE, "style", "");
    gv->n_fill = agattr(g, AGNODE, "fillcolor", "white");
    gv->n_color = agattr(g, AGNODE, "color", "black");
    gv->n_font = agattr(g, AGNODE, "fontname", MS_DG_FONT);
    gv->n_size = agattr(g, AGNODE, "fontsize", "10");
    gv->n_fontcolor = agattr(g, AGNODE, "fontcolor", "#222222");
    gv->n_width = agattr(g, AGNODE, "width", "0");
    gv->n_height = agattr(g, AGNODE, "height", "0");
    gv->n_fixed = agattr(g, AGNODE, "fixedsize", "false");
    gv->n_margin = agattr(g, AGNODE, "margin", "0.02,0.005");
    gv->n_tooltip = agattr(g, AGNODE, "tooltip", "");
    gv->e_pos = agattr(g, AGEDGE, "pos", "");
    gv->e_color = agattr(g, AGEDGE, "color", "#222222");
    gv->e_style = agattr(g, AGEDGE, "style", "solid");
    gv->e_arrowhead = agattr(g, AGEDGE, "arrowhead", "normal");
    gv->e_arrowsize = agattr(g, AGEDGE, "arrowsize", "0.8");
    gv->e_penwidth = agattr(g, AGEDGE, "penwidth", "1");
    gv->e_tooltip = agattr(g, AGEDGE, "tooltip", "");
}

/* ---- Pieces of the page -------------------------------------------------- */

/* Phase bands are painted under everything as the graph's background: one
 * xdot filled polygon per band, in the model's order.  No subgraphs:
 * cgraph keeps them ordered by the address of their name, so clusters came
 * out in a different order from run to run, and each one costs set
 * bookkeeping that grows with the graph. */
static void append_colour(GString *s, char op, const char *colour)
{
    g_string_append_printf(s, "%c %zu -%s ", op, strlen(colour), colour);
}

static void draw_bands(Gv *gv, const MsDiagramPage *pg)
{
    const MsDiagram *d = gv->d;
    g_autoptr(GString) bg = g_string_new(NULL);
    for (guint i = pg->first_band; i < pg->first_band + pg->n_bands; i++) {
        const MsDiagramBand *b = ms_diagram_band(d, i);
        double xl = ms_diagram_lifeline(d, b->left)->x, xr = ms_diagram_lifeline(d, b->right)->x;
        double y2 = MAX(b->y2, b->y1 + 2.0);
        append_colour(bg, 'C', FLOW(b->flow)->band_fill);
        append_colour(bg, 'c', FLOW(b->flow)->band_fill);
        g_string_append(bg, "P 4 ");
        const double corners[4][2] = { { xl, y2 }, { xr, y2 }, { xr, b->y1 }, { xl, b->y1 } };
        for (int k = 0; k < 4; k++) {
            append_xy(bg, gv, corners[k][0], corners[k][1], ' ');
            g_string_append_c(bg, ' ');
        }

        double bx = ms_dg_band_bar_x(d, b);
        deco_edge(gv, bx, b->y1 + 1.0, bx, y2 - 1.0, FLOW(b->flow)->band_edge, 2.5, "solid");
        double w = ms_dg_text_width(b->label, T(MS_DG_SMALL_PT), FALSE);
        text_node(gv, "bl", i, ms_dg_band_label_x(d, b) + w / 2, (b->y1 + y2) / 2, b->label,
                  MS_DG_FONT, T(MS_DG_SMALL_PT), FLOW(b->flow)->text);
    }
    if (bg->len > 0)
        agsafeset(gv->g, "_background", bg->str, "");
}

static void draw_axis(Gv *gv, const MsDiagramPage *pg)
{
    const MsDiagram *d = gv->d;
    double top = pg->lifeline_top, bottom = pg->height - T(MS_DG_BOTTOM) + 8.0;
    const char *title = ms_dg_word(d, "time (ms)", "时间 (ms)");
    text_node(gv, "axis", 0, T(MS_DG_AXIS_X) - 6.0 - ms_dg_text_width(title, T(MS_DG_SMALL_PT), FALSE) / 2,
              T(MS_DG_HEAD_Y + MS_DG_HEAD_H / 2), title, MS_DG_FONT, T(MS_DG_SMALL_PT), "#444444");

    /* Lifelines and the axis stop at each break and start again after it. */
    guint nl = ms_diagram_n_lifelines(d);
    double from = top;
    guint end_break = pg->first_break + pg->n_breaks;
    for (guint i = pg->first_break; i <= end_break; i++) {
        const MsDiagramBreak *b = i < end_break ? ms_diagram_break(d, i) : NULL;
        double to = b != NULL ? b->y1 : bottom;
        deco_edge(gv, T(MS_DG_AXIS_X), from, T(MS_DG_AXIS_X), to, "#444444", 1.0, "solid");
        for (guint l = 0; l < nl; l++) {
            double x = ms_diagram_lifeline(d, l)->x;
            deco_edge(gv, x, from, x, to, MS_DG_LIFELINE_COLOUR, 1.0, "dashed");
        }
        if (b == NULL)
            break;
        double mid = (b->y1 + b->y2) / 2;
        text_node(gv, "bka", i, T(MS_DG_AXIS_X), mid, "\u2248", MS_DG_FONT, 14.0, "#444444");
        for (guint l = 0; l < nl; l++)
            text_node(gv, "bkm", gv->serial++, ms_diagram_lifeline(d, l)->x, mid, "\u2248",
                      MS_DG_FONT, 14.0, "#666666");
        double lx = nl > 0 ? (T(MS_DG_AXIS_X) + ms_diagram_lifeline(d, 0)->x) / 2 : T(MS_DG_AXIS_X) + 60;
        Agnode_t *n = text_node(gv, "bkl", i, lx, mid, b->label, MS_DG_FONT, T(MS_DG_SMALL_PT),
                                "#444444");
        set(n, gv->n_style, "filled");
        from = b->y2;
    }
    for (guint i = pg->first_tick; i < pg->first_tick + pg->n_ticks; i++) {
        const MsDiagramTick *t = ms_diagram_tick(d, i);
        if (t->again) {
            /* The instant's time is printed above: a mark, joined to
             * that tick by a line along the ticks' left end. */
            double joined = ms_diagram_tick_joined_y(d, i);
            deco_edge(gv, T(MS_DG_AXIS_X) - 3.0, t->y, T(MS_DG_AXIS_X) + 3.0, t->y, "#444444", 1.0,
                      "solid");
            if (joined >= 0)
                deco_edge(gv, T(MS_DG_AXIS_X) - 3.0, joined, T(MS_DG_AXIS_X) - 3.0, t->y, "#444444",
                          1.0, "solid");
            continue;
        }
        if (t->label == NULL)
            continue;
        deco_edge(gv, T(MS_DG_AXIS_X) - 3.0, t->y, T(MS_DG_AXIS_X) + 3.0, t->y, "#444444", 1.0, "solid");
        double w = ms_dg_text_width(t->label, T(MS_DG_SMALL_PT), TRUE);
        text_node(gv, "t", i, T(MS_DG_AXIS_X) - 6.0 - w / 2, t->y, t->label, MS_DG_FONT_MONO,
                  T(MS_DG_SMALL_PT), "#444444");
    }
}

/* A box per host with its name and, smaller, its role.  Plain labels in
 * bold and regular faces rather than one HTML label: Graphviz's pango
 * plugin leaks the text of every HTML label it measures. */
static void draw_heads(Gv *gv, GPtrArray *heads)
{
    const MsDiagram *d = gv->d;
    double cy = T(MS_DG_HEAD_Y + MS_DG_HEAD_H / 2);
    for (guint i = 0; i < ms_diagram_n_lifelines(d); i++) {
        const MsDiagramLifeline *l = ms_diagram_lifeline(d, i);
        Agnode_t *n = new_node(gv, "h", i, l->x, cy);
        set(n, gv->n_shape, "box");
        set(n, gv->n_style, "rounded,filled");
        set(n, gv->n_fill, "#f5f5f5");
        set(n, gv->n_color, "#555555");
        set_num(n, gv->n_width, (d->column - 50.0) / 72.0);
        set_num(n, gv->n_height, T(MS_DG_HEAD_H) / 72.0);
        set(n, gv->n_fixed, "true");
        set(n, gv->n_tooltip, l->host);
        g_autofree char *host = ms_dg_shorten(l->host, 30);
        text_node(gv, "hn", i, l->x, cy - T(6.5), host, MS_DG_FONT_BOLD, T(11.0), "#111111");
        text_node(gv, "hr", i, l->x, cy + T(8.0), ms_diagram_role_name(l->role, d->lang),
                  MS_DG_FONT, T(MS_DG_SMALL_PT), "#555555");
        g_ptr_array_add(heads, n);
    }
}

/* The bar that ends a refused SYN: across the arrow at its tip, red like
 * the cross of a lost one, so that the two failures differ in shape only. */
static void draw_bar(Gv *gv, double x1, double y1, double x2, double y2)
{
    double len = sqrt((x2 - x1) * (x2 - x1) + (y2 - y1) * (y2 - y1));
    double half = T(7.0);
    double vx = len > 0 ? -(y2 - y1) / len * half : 0, vy = len > 0 ? (x2 - x1) / len * half : half;
    deco_edge(gv, x2 - vx, y2 - vy, x2 + vx, y2 + vy, MS_DG_LOST_COLOUR, 2.6, "solid");
}

static void draw_arrows(Gv *gv, const MsDiagramPage *pg, GPtrArray *heads)
{
    const MsDiagram *d = gv->d;
    for (guint i = pg->first_arrow; i < pg->first_arrow + pg->n_arrows; i++) {
        const MsDiagramArrow *a = ms_diagram_arrow(d, i);
        gboolean line = a->kind != MS_DIAGRAM_ARROW_SEGMENT;
        char name[32];
        g_snprintf(name, sizeof name, "a%u", i);
        /* A SYN refused with a RST ends in a bar across it on the server's
         * lifeline, a lost one in a cross short of it. */
        gboolean refused = a->rst_back >= 0;
        Agedge_t *e = line_edge(gv, g_ptr_array_index(heads, a->from),
                                g_ptr_array_index(heads, a->to), name, a->x1, a->y1, a->x2, a->y2,
                                a->lost || refused ? 0 : (line ? 8.0 : 6.0));
        g_autofree char *tip = gv_escape(a->tooltip);
        /* SVG ids "a<N>" and "al<N>" (arrow N, its label) let report.html
         * find the drawing of each arrow. */
        agsafeset(e, "id", name, "");
        set(e, gv->e_color, FLOW(a->flow)->line);
        set_num(e, gv->e_penwidth, line ? 1.3 : 0.9);
        set(e, gv->e_tooltip, tip);
        if (!line)
            set(e, gv->e_arrowsize, "0.6");
        if (refused)
            draw_bar(gv, a->x1, a->y1, a->x2, a->y2);
        if (a->kind == MS_DIAGRAM_ARROW_ELIDED && !a->compact)
            set(e, gv->e_style, "dotted");
        else if (a->retransmit > 0)
            set(e, gv->e_style, "dashed");

        gboolean mono = a->kind == MS_DIAGRAM_ARROW_LINE || a->compact;
        Agnode_t *n = text_node(gv, "l", i, a->label_x, a->label_y, a->label,
                                mono ? MS_DG_FONT_MONO : MS_DG_FONT,
                                mono || line ? T(MS_DG_LINE_PT) : T(MS_DG_SMALL_PT),
                                FLOW(a->flow)->text);
        set(n, gv->n_style, "filled");
        set(n, gv->n_color, "white");
        set(n, gv->n_tooltip, tip);
        g_snprintf(name, sizeof name, "al%u", i);
        agsafeset(n, "id", name, "");
        if (a->lost)
            text_node(gv, "x", i, a->x2, a->y2, "\u2715", MS_DG_FONT, 13.0, MS_DG_LOST_COLOUR);
    }
}

static void draw_notes(Gv *gv, const MsDiagramPage *pg)
{
    const MsDiagram *d = gv->d;
    for (guint i = pg->first_note; i < pg->first_note + pg->n_notes; i++) {
        const MsDiagramNote *note = ms_diagram_note(d, i);
        double h = ms_dg_note_h(d, note);
        Agnode_t *n = text_node(gv, "n", i, ms_diagram_lifeline(d, note->lifeline)->x,
                                note->y + h / 2, note->label, MS_DG_FONT, T(MS_DG_SMALL_PT),
                                "#4a4020");
        g_autofree char *tip = gv_escape(note->tooltip);
        set(n, gv->n_shape, "box");
        set(n, gv->n_style, "rounded,filled");
        set(n, gv->n_fill, "#fff7d6");
        set(n, gv->n_color, "#c9b458");
        set_num(n, gv->n_height, h / 72.0);
        set(n, gv->n_margin, "0.06,0.01");
        set(n, gv->n_tooltip, tip);
    }
}

/* One legend entry: a short sample line and its words; returns the x after. */
static double legend_item(Gv *gv, double x, const char *colour, const char *style,
                          const char *words, const char *mark)
{
    if (mark != NULL) {
        text_node(gv, "gm", gv->serial++, x + 6.0, T(MS_DG_LEGEND_Y), mark, MS_DG_FONT, T(12.0),
                  colour);
        x += T(14.0);
    } else {
        char name[32];
        g_snprintf(name, sizeof name, "d%u", gv->serial++);
        /* (style "bar": a dark line ending in the bar of a refused SYN) */
        gboolean bar = strcmp(style, "bar") == 0;
        Agedge_t *e = line_edge(gv, gv->anchor, gv->anchor, name, x, T(MS_DG_LEGEND_Y), x + T(28.0),
                                T(MS_DG_LEGEND_Y), bar ? 0 : 7.0);
        set(e, gv->e_color, colour);
        set_num(e, gv->e_penwidth, 1.5);
        set(e, gv->e_style, bar ? "solid" : style);
        set(e, gv->e_arrowsize, "0.7");
        if (bar)
            draw_bar(gv, x, T(MS_DG_LEGEND_Y), x + T(28.0), T(MS_DG_LEGEND_Y));
        x += T(34.0);
    }
    double w = ms_dg_text_width(words, T(MS_DG_SMALL_PT), FALSE);
    text_node(gv, "gt", gv->serial++, x + w / 2, T(MS_DG_LEGEND_Y), words, MS_DG_FONT,
              T(MS_DG_SMALL_PT), "#333333");
    return x + w + T(18.0);
}

static void draw_title_legend(Gv *gv, guint page, const MsDiagramPage *pg)
{
    const MsDiagram *d = gv->d;
    guint n_pages = ms_dg_total_pages(d);
    g_autofree char *title = NULL;
    if (n_pages > 1)
        title = MS_DG_PRINTF(d, "%s (page %u of %u)", "%s（第 %u/%u 页）", d->title, page + 1,
                             n_pages);
    else
        title = g_strdup(d->title);
    text_node(gv, "title", 0, pg->width / 2, T(MS_DG_TITLE_Y), title, MS_DG_FONT_BOLD, T(14.0),
              "#111111");

    double x = T(MS_DG_AXIS_X) + 12.0;
    const char *push = d->has_http_push && d->has_imap_push
                           ? ms_dg_word(d, "push: SMTP, HTTP POST /send, IMAP IDLE",
                                        "推送：SMTP、HTTP POST /send、IMAP IDLE")
                       : d->has_http_push
                           ? ms_dg_word(d, "push: SMTP, HTTP POST /send", "推送：SMTP、HTTP POST /send")
                       : d->has_imap_push ? ms_dg_word(d, "push: SMTP, IMAP IDLE", "推送：SMTP、IMAP IDLE")
                                          : ms_dg_word(d, "push: SMTP", "推送：SMTP");
    x = legend_item(gv, x, FLOW(MS_DIAGRAM_FLOW_PUSH)->line, "solid", push, NULL);
    x = legend_item(gv, x, FLOW(MS_DIAGRAM_FLOW_PULL)->line, "solid",
                    ms_dg_word(d, "pull: POP3, IMAP, HTTP", "拉取：POP3、IMAP、HTTP"), NULL);
    if (ms_diagram_has_flow(d, MS_DIAGRAM_FLOW_TCP))
        x = legend_item(gv, x, FLOW(MS_DIAGRAM_FLOW_TCP)->line, "solid",
                        ms_dg_word(d, "TCP segment", "TCP 报文段"), NULL);
    if (d->has_retransmit)
        x = legend_item(gv, x, FLOW(MS_DIAGRAM_FLOW_TCP)->line, "dashed",
                        ms_dg_word(d, "retransmission", "重传"), NULL);
    if (d->has_lost)
        x = legend_item(gv, x, MS_DG_LOST_COLOUR, "solid", ms_dg_word(d, "lost", "丢失"), "\u2715");
    if (d->has_refused)
        legend_item(gv, x, "#444444", "bar",
                    ms_dg_word(d, "refused (RST)", "被拒绝（RST）"), NULL);
}

Agraph_t *ms_diagram_graph(const MsDiagram *d, guint page)
{
    g_return_val_if_fail(page < ms_diagram_n_pages(d), NULL);
    const MsDiagramPage *pg = ms_diagram_page(d, page);
    Gv gv = { 0 };
    gv.d = d;
    gv.h = pg->height;
    double page_w = pg->width;
    /* A slide is 16:9, the content centred left to right and at the top;
     * the page is scaled to the slide's size (size ends in "!": up too). */
    if (d->options.slide) {
        /* (the invisible corner nodes stick out 0.5 pt on every side:
         * the drawing Graphviz scales is 1 pt larger each way) */
        page_w = MAX(pg->width, (pg->height + 1) * MS_DG_SLIDE_W / MS_DG_SLIDE_H - 1);
        gv.h = MAX(pg->height, (pg->width + 1) * MS_DG_SLIDE_H / MS_DG_SLIDE_W - 1);
        gv.dx = (page_w - pg->width) / 2;
    }
    gv.g = agopen("sequence", Agdirected, NULL);
    declare(&gv);
    if (d->options.slide) {
        char sw[G_ASCII_DTOSTR_BUF_SIZE], sh[G_ASCII_DTOSTR_BUF_SIZE];
        g_autofree char *size = g_strdup_printf(
            "%s,%s!", g_ascii_formatd(sw, sizeof sw, "%.4f", MS_DG_SLIDE_W / 72.0),
            g_ascii_formatd(sh, sizeof sh, "%.4f", MS_DG_SLIDE_H / 72.0));
        agsafeset(gv.g, "size", size, "");
        agsafeset(gv.g, "pad", "0", "");
    }

    /* The invisible corners fix the page's size. */
    Agnode_t *c0 = new_node(&gv, "corner", 0, -gv.dx, 0);
    Agnode_t *c1 = new_node(&gv, "corner", 1, page_w - gv.dx, gv.h);
    set(c0, gv.n_style, "invis");
    set(c1, gv.n_style, "invis");
    gv.anchor = c0;
    if (ms_diagram_n_lifelines(d) > 0)
        draw_bands(&gv, pg);
    draw_title_legend(&gv, page, pg);
    draw_axis(&gv, pg);
    g_autoptr(GPtrArray) heads = g_ptr_array_new();
    draw_heads(&gv, heads);
    draw_arrows(&gv, pg, heads);
    draw_notes(&gv, pg);
    if (ms_diagram_n_lifelines(d) == 0)
        text_node(&gv, "empty", 0, pg->width / 2, MS_DG_T(d, MS_DG_FIRST_Y),
                  ms_dg_word(d, "Nothing to draw: no protocol line passes the filters.",
                             "没有可画的内容：没有协议行符合筛选条件。"),
                  MS_DG_FONT, 11.0, "#444444");
    if (ms_dg_total_pages(d) > 1) {
        guint total = ms_dg_total_pages(d);
        g_autofree char *foot = NULL;
        /* The last page drawn says that the run goes on. */
        if (page + 1 == ms_diagram_n_pages(d) && d->undrawn.pages > 0)
            foot = MS_DG_PRINTF(d, "page %u of %u; pages %u-%u not drawn (--max-pages 0 draws them)",
                                "第 %u/%u 页；第 %u-%u 页未画出（--max-pages 0 全部画出）",
                                page + 1, total, page + 2, total);
        else
            foot = MS_DG_PRINTF(d, "page %u of %u", "第 %u/%u 页", page + 1, total);
        double w = ms_dg_text_width(foot, MS_DG_T(d, MS_DG_SMALL_PT), FALSE);
        text_node(&gv, "foot", 0, pg->width - MS_DG_MARGIN - w / 2, pg->height - MS_DG_T(d, 12.0),
                  foot, MS_DG_FONT, MS_DG_T(d, MS_DG_SMALL_PT), "#666666");
    }
    return gv.g;
}

/* ---- Rendering ----------------------------------------------------------- */

G_LOCK_DEFINE_STATIC(gvc);
static GVC_t *the_gvc;
static gboolean exit_hook;

static void shutdown_at_exit(void)
{
    ms_diagram_shutdown();
}

static GVC_t *context(void)
{
    G_LOCK(gvc);
    if (the_gvc == NULL) {
        the_gvc = gvContext();
        if (!exit_hook) {
            atexit(shutdown_at_exit);
            exit_hook = TRUE;
        }
    }
    GVC_t *gvc = the_gvc;
    G_UNLOCK(gvc);
    return gvc;
}

void ms_diagram_shutdown(void)
{
    G_LOCK(gvc);
    if (the_gvc != NULL)
        gvFreeContext(the_gvc);
    the_gvc = NULL;
    G_UNLOCK(gvc);
}

/* Cairo stamps a PDF with the time it was written; a run must give the
 * same bytes every time, so the stamp becomes a fixed date of the same
 * length (the cross-reference offsets stay right). */
static void fix_pdf_date(char *data, gsize len)
{
    static const char key[] = "/CreationDate (D:";
    static const char stamp[] = "20000101000000";
    /* Binary streams come first and hold NUL bytes: no string search. */
    gsize klen = strlen(key), k = 0;
    while (k + klen <= len && memcmp(data + k, key, klen) != 0)
        k++;
    if (k + klen > len)
        return;
    char *at = data + k + klen;
    for (gsize i = 0; i < strlen(stamp) && at + i < data + len && g_ascii_isdigit(at[i]); i++)
        at[i] = stamp[i];
}

static gboolean write_file(const char *path, const char *data, gsize len, GError **error)
{
    g_autoptr(GError) why = NULL;
    if (!g_file_set_contents(path, data, (gssize) len, &why)) {
        g_set_error(error, MS_ERROR, MS_ERROR_IO, "%s", why->message);
        return FALSE;
    }
    return TRUE;
}

static const char *renderer(MsDiagramFormat format)
{
    switch (format) {
    case MS_DIAGRAM_SVG:
        return "svg";
    case MS_DIAGRAM_PNG:
        return "png:cairo";
    case MS_DIAGRAM_PDF:
        return "pdf:cairo";
    case MS_DIAGRAM_DOT:
        return "dot";
    default:
        return NULL;
    }
}

/* Lays g out (with dpi for bitmaps), renders each format asked for. */
static gboolean render_graph(Agraph_t *g, const char *const *paths, double dpi, GError **error)
{
    GVC_t *gvc = context();
    for (int pass = 0; pass < 2; pass++) {
        gboolean bitmap = pass == 1;
        if (!bitmap && paths[MS_DIAGRAM_SVG] == NULL && paths[MS_DIAGRAM_PDF] == NULL &&
            paths[MS_DIAGRAM_DOT] == NULL)
            continue;
        if (bitmap && paths[MS_DIAGRAM_PNG] == NULL)
            continue;
        /* The dpi would also scale SVG and PDF, so only the bitmap gets it. */
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        agsafeset(g, "dpi", bitmap ? g_ascii_formatd(buf, sizeof buf, "%.1f", dpi) : "72", "");
        if (gvLayout(gvc, g, "nop2") != 0) {
            g_set_error(error, MS_ERROR, MS_ERROR_IO, "Graphviz could not place the diagram");
            return FALSE;
        }
        gboolean ok = TRUE;
        for (guint f = 0; ok && f < MS_DIAGRAM_N_FORMATS; f++) {
            if (paths[f] == NULL || (f == MS_DIAGRAM_PNG) != bitmap)
                continue;
            /* Rendered in memory, then written in one go: Graphviz's own
             * file output says nothing when it cannot open the file. */
            char *data = NULL;
            unsigned int len = 0;
            if (gvRenderData(gvc, g, (char *) renderer(f), &data, &len) != 0 || data == NULL) {
                g_set_error(error, MS_ERROR, MS_ERROR_IO, "Graphviz could not render %s",
                            paths[f]);
                ok = FALSE;
            } else {
                if (f == MS_DIAGRAM_PDF)
                    fix_pdf_date(data, len);
                ok = write_file(paths[f], data, len, error);
            }
            if (data != NULL)
                gvFreeRenderData(data);
        }
        gvFreeLayout(gvc, g);
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

gboolean ms_diagram_render(const MsDiagram *d, guint page, MsDiagramFormat format,
                           const char *path, GError **error)
{
    if (!ms_diagram_format_is_graphviz(format) || page >= ms_diagram_n_pages(d)) {
        g_set_error(error, MS_ERROR, MS_ERROR_USAGE, "no %s page %u to render",
                    ms_diagram_format_name(format), page + 1);
        return FALSE;
    }
    const char *paths[MS_DIAGRAM_N_FORMATS] = { 0 };
    paths[format] = path;
    Agraph_t *g = ms_diagram_graph(d, page);
    gboolean ok = render_graph(g, paths, d->options.dpi > 0 ? d->options.dpi : 96.0, error);
    agclose(g);
    return ok;
}

gboolean ms_diagram_write(const MsTrace *trace, const MsReportOptions *report,
                          const MsDiagramOptions *options, const char *dir,
                          GPtrArray *written_paths_out, char **index_out, GError **error)
{
    g_autoptr(MsDiagram) d = ms_diagram_new(trace, report, options);
    for (guint f = 0; f < MS_DIAGRAM_N_FORMATS; f++) {
        if ((options->formats & MS_DIAGRAM_FORMAT_BIT(f)) == 0 || ms_diagram_format_is_graphviz(f))
            continue;
        g_autofree char *text = ms_diagram_export(d, f);
        g_autofree char *name = ms_diagram_file_name(d, 0, f);
        g_autofree char *path = g_build_filename(dir, name, NULL);
        if (!write_file(path, text, strlen(text), error))
            return FALSE;
        if (written_paths_out != NULL)
            g_ptr_array_add(written_paths_out, g_steal_pointer(&path));
    }
    for (guint p = 0; p < ms_diagram_n_pages(d); p++) {
        char *paths[MS_DIAGRAM_N_FORMATS] = { 0 };
        gboolean any = FALSE;
        for (guint f = 0; f < MS_DIAGRAM_N_FORMATS; f++) {
            if ((options->formats & MS_DIAGRAM_FORMAT_BIT(f)) == 0 ||
                !ms_diagram_format_is_graphviz(f))
                continue;
            g_autofree char *name = ms_diagram_file_name(d, p, f);
            paths[f] = g_build_filename(dir, name, NULL);
            any = TRUE;
        }
        if (!any)
            break;
        Agraph_t *g = ms_diagram_graph(d, p);
        gboolean ok = render_graph(g, (const char *const *) paths,
                                   options->dpi > 0 ? options->dpi : 96.0, error);
        agclose(g);
        for (guint f = 0; f < MS_DIAGRAM_N_FORMATS; f++) {
            if (paths[f] != NULL && ok && written_paths_out != NULL)
                g_ptr_array_add(written_paths_out, paths[f]);
            else
                g_free(paths[f]);
        }
        if (!ok)
            return FALSE;
    }
    if (index_out != NULL)
        *index_out = ms_diagram_page_index(d);
    return TRUE;
}
