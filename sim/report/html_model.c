/* html_model.c - the sequence diagram's model as data, for report.html to
 * draw itself.  A long run's diagram as SVG is tens of megabytes (twice:
 * one per language) and a browser takes seconds to lay it out; the model is
 * a few numbers per arrow, and the page draws only the part in view.  The
 * geometry is the model's own (diagram_layout.c), so the page shows the
 * same layout as sequence.svg.
 *
 * The words come from the diagrams of both languages: a label is a string
 * when the two agree and [english, chinese] when they differ.  Numbers are
 * rounded to 1/100 point, which no screen shows.
 */
#include <math.h>
#include <string.h>

#include "report/diagram-private.h"
#include "report/html-private.h"

static void add_num(JsonBuilder *b, double v)
{
    double r = round(v * 100.0) / 100.0;
    if (r == floor(r) && fabs(r) < 1e15)
        json_builder_add_int_value(b, (gint64) r);
    else
        json_builder_add_double_value(b, r);
}

/* A word in both languages (zh may be NULL: the same as en). */
static void add_words(JsonBuilder *b, const char *en, const char *zh)
{
    if (zh == NULL || strcmp(en, zh) == 0) {
        json_builder_add_string_value(b, en);
        return;
    }
    json_builder_begin_array(b);
    json_builder_add_string_value(b, en);
    json_builder_add_string_value(b, zh);
    json_builder_end_array(b);
}

static void add_constants(JsonBuilder *b)
{
    static const struct {
        const char *name;
        double value;
    } k[] = {
        { "axis_x", MS_DG_AXIS_X },   { "column", MS_DG_COLUMN },   { "lane", MS_DG_LANE },
        { "title_y", MS_DG_TITLE_Y }, { "legend_y", MS_DG_LEGEND_Y }, { "head_y", MS_DG_HEAD_Y },
        { "head_h", MS_DG_HEAD_H },   { "bottom", MS_DG_BOTTOM },   { "note_h", MS_DG_NOTE_H },
        { "line_pt", MS_DG_LINE_PT }, { "small_pt", MS_DG_SMALL_PT },
    };
    json_builder_set_member_name(b, "k");
    json_builder_begin_object(b);
    for (gsize i = 0; i < G_N_ELEMENTS(k); i++) {
        json_builder_set_member_name(b, k[i].name);
        add_num(b, k[i].value);
    }
    json_builder_end_object(b);
}

/* The words of the other language's diagram, when it drew the same items
 * (it always does: which items are drawn does not depend on the words'
 * language).  Where they go does, a little: a wrapped label may take
 * other rows in Chinese; they are drawn where the English ones were
 * (tests/test_diagram.c checks that none of the shipped scenarios'
 * overflows there). */
#define OTHER(o, n_fn, get_fn, i, field) \
    ((o) != NULL && n_fn(o) == n_fn(d) ? get_fn((o), (i))->field : NULL)

void ms_report_html_model(JsonBuilder *b, const MsDiagram *d, const MsDiagram *zh)
{
    json_builder_set_member_name(b, "model");
    json_builder_begin_object(b);
    add_constants(b);

    json_builder_set_member_name(b, "title");
    add_words(b, ms_diagram_title(d), zh != NULL ? ms_diagram_title(zh) : NULL);
    json_builder_set_member_name(b, "has");
    json_builder_begin_array(b);
    json_builder_add_boolean_value(b, ms_diagram_has_flow(d, MS_DIAGRAM_FLOW_TCP));
    json_builder_add_boolean_value(b, d->has_retransmit);
    json_builder_add_boolean_value(b, d->has_lost);
    json_builder_add_boolean_value(b, d->has_refused);
    json_builder_end_array(b);

    /* [host, role, x] */
    json_builder_set_member_name(b, "lifelines");
    json_builder_begin_array(b);
    for (guint i = 0; i < ms_diagram_n_lifelines(d); i++) {
        const MsDiagramLifeline *l = ms_diagram_lifeline(d, i);
        json_builder_begin_array(b);
        json_builder_add_string_value(b, l->host);
        add_words(b, ms_diagram_role_name(l->role, "en"), ms_diagram_role_name(l->role, "zh"));
        add_num(b, l->x);
        json_builder_end_array(b);
    }
    json_builder_end_array(b);

    /* [width, height, lifeline top] */
    json_builder_set_member_name(b, "pages");
    json_builder_begin_array(b);
    for (guint i = 0; i < ms_diagram_n_pages(d); i++) {
        const MsDiagramPage *p = ms_diagram_page(d, i);
        json_builder_begin_array(b);
        add_num(b, p->width);
        add_num(b, p->height);
        add_num(b, p->lifeline_top);
        json_builder_end_array(b);
    }
    json_builder_end_array(b);

    /* Beside page.arrows, index for index: [from, to, flow, x1, y1, x2,
     * y2, lost (1; 2: a SYN refused with a RST, ending in a bar), retransmit,
     * label, label_y, label_x]. */
    json_builder_set_member_name(b, "arrows");
    json_builder_begin_array(b);
    for (guint i = 0; i < ms_diagram_n_arrows(d); i++) {
        const MsDiagramArrow *a = ms_diagram_arrow(d, i);
        json_builder_begin_array(b);
        json_builder_add_int_value(b, a->from);
        json_builder_add_int_value(b, a->to);
        json_builder_add_int_value(b, a->flow);
        add_num(b, a->x1);
        add_num(b, a->y1);
        add_num(b, a->x2);
        add_num(b, a->y2);
        json_builder_add_int_value(b, a->rst_back >= 0 ? 2 : a->lost ? 1 : 0);
        json_builder_add_int_value(b, a->retransmit);
        add_words(b, a->label, OTHER(zh, ms_diagram_n_arrows, ms_diagram_arrow, i, label));
        add_num(b, a->label_y);
        add_num(b, a->label_x);
        json_builder_end_array(b);
    }
    json_builder_end_array(b);

    /* [page, lifeline, y, label] */
    json_builder_set_member_name(b, "notes");
    json_builder_begin_array(b);
    for (guint i = 0; i < ms_diagram_n_notes(d); i++) {
        const MsDiagramNote *n = ms_diagram_note(d, i);
        json_builder_begin_array(b);
        json_builder_add_int_value(b, n->page);
        json_builder_add_int_value(b, n->lifeline);
        add_num(b, n->y);
        add_words(b, n->label, OTHER(zh, ms_diagram_n_notes, ms_diagram_note, i, label));
        json_builder_end_array(b);
    }
    json_builder_end_array(b);

    /* [page, left, right, lane, flow, y1, y2, label] */
    json_builder_set_member_name(b, "bands");
    json_builder_begin_array(b);
    for (guint i = 0; i < ms_diagram_n_bands(d); i++) {
        const MsDiagramBand *s = ms_diagram_band(d, i);
        json_builder_begin_array(b);
        json_builder_add_int_value(b, s->page);
        json_builder_add_int_value(b, s->left);
        json_builder_add_int_value(b, s->right);
        json_builder_add_int_value(b, s->lane);
        json_builder_add_int_value(b, s->flow);
        add_num(b, s->y1);
        add_num(b, s->y2);
        add_words(b, s->label, OTHER(zh, ms_diagram_n_bands, ms_diagram_band, i, label));
        json_builder_end_array(b);
    }
    json_builder_end_array(b);

    /* [page, y1, y2, label] */
    json_builder_set_member_name(b, "breaks");
    json_builder_begin_array(b);
    for (guint i = 0; i < ms_diagram_n_breaks(d); i++) {
        const MsDiagramBreak *k = ms_diagram_break(d, i);
        json_builder_begin_array(b);
        json_builder_add_int_value(b, k->page);
        add_num(b, k->y1);
        add_num(b, k->y2);
        add_words(b, k->label, OTHER(zh, ms_diagram_n_breaks, ms_diagram_break, i, label));
        json_builder_end_array(b);
    }
    json_builder_end_array(b);

    /* [page, y, label]: the labelled ticks; [page, y, ""] a tick of its
     * instant again, drawn as a mark, and [page, y, "", y above] one that
     * the axis joins to the tick that prints its time. */
    json_builder_set_member_name(b, "ticks");
    json_builder_begin_array(b);
    for (guint i = 0; i < ms_diagram_n_ticks(d); i++) {
        const MsDiagramTick *t = ms_diagram_tick(d, i);
        if (t->label == NULL && !t->again)
            continue;
        json_builder_begin_array(b);
        json_builder_add_int_value(b, t->page);
        add_num(b, t->y);
        json_builder_add_string_value(b, t->label != NULL ? t->label : "");
        double top = ms_diagram_tick_joined_y(d, i);
        if (top >= 0)
            add_num(b, top);
        json_builder_end_array(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
}
