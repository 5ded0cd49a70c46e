/* diagram_colours.c - the colours of the sequence diagram, in one table for
 * every output that draws it.
 *
 * Push and pull must differ in a greyscale print, on a washed-out projector
 * and for a colour-blind reader, not only in hue: push is a dark blue
 * (WCAG relative luminance 0.05) and pull a light orange (0.38), a
 * luminance ratio of 4.2:1 (tests/test_diagram.c and tests/test_html.c
 * measure it in the files written).  Their labels are darker than the pull
 * line so that text stays readable on white (4.5:1 and better); TCP
 * segments are grey and thinner.
 */
#include "report/diagram-private.h"

const MsDgFlowColours ms_dg_flow_colours[MS_DIAGRAM_N_FLOWS] = {
    [MS_DIAGRAM_FLOW_OTHER] = { "#222222", "#222222", "#f2f2f2", "#9a9a9a" },
    [MS_DIAGRAM_FLOW_PUSH] = { "#173f7a", "#173f7a", "#e8eef7", "#5a7bb0" },
    [MS_DIAGRAM_FLOW_PULL] = { "#e8912f", "#8f3f06", "#fdf0e3", "#efb06a" },
    [MS_DIAGRAM_FLOW_TCP] = { "#8a8a8a", "#6b6b6b", "#f1f1f1", "#b4b4b4" },
};
