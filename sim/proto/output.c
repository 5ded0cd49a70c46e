/* output.c - the lines an engine says between two sends, cut from blocks
 * that are kept from one step to the next.
 *
 * Every line of a run passes through an engine's output.  Instead of an
 * allocation for each line and a fresh array for each step, an output
 * keeps its array and bump-allocates its lines from blocks it reuses once
 * the lines are sent; a line too long for a block has one of its own,
 * freed at the next clear.
 */
#include <string.h>

#include "mailsim/core.h"
#include "mailsim/proto.h"
#include "proto-private.h"

/* Under AddressSanitizer the blocks go back to malloc at every clear, as
 * the net's free lists do: a line used after it was sent must be caught,
 * not hidden by the reuse. */
#define OUTPUT_REUSE (!MS_UNDER_ASAN)

/* Lines that do not fit in the first block (the struct is in
 * proto-private.h, for engines that keep their output inside them) go on
 * into blocks allocated when needed and kept, of a size malloc keeps at
 * hand (its per-thread cache takes up to 1,032 bytes): a block of 4,096
 * cost some 3,000 instructions to allocate. */
#define FIRST_SIZE MS_PROTO_OUTPUT_FIRST_SIZE
#define BLOCK_SIZE 1024

/* Back to the first block.  Under AddressSanitizer the first block is not
 * used and the others are freed, so every line sent comes from malloc and
 * goes back to it. */
static void output_rewind(MsProtoOutput *out)
{
    out->block = 0;
    out->used = 0;
    out->at = out->u.first;
    out->cap = OUTPUT_REUSE ? FIRST_SIZE : 0;
    if (!OUTPUT_REUSE && out->blocks != NULL)
        g_ptr_array_set_size(out->blocks, 0);
}

void ms_proto_output_init(MsProtoOutput *out)
{
    out->lines = g_ptr_array_sized_new(8);
    out->room = 8;
    out->blocks = NULL;
    out->big = NULL;
    output_rewind(out);
}

void ms_proto_output_release(MsProtoOutput *out)
{
    ms_proto_output_clear(out);
    g_clear_pointer(&out->lines, g_ptr_array_unref);
    g_clear_pointer(&out->blocks, g_ptr_array_unref);
    g_clear_pointer(&out->big, g_ptr_array_unref);
}

MsProtoOutput *ms_proto_output_new(void)
{
    MsProtoOutput *out = g_new(MsProtoOutput, 1);

    ms_proto_output_init(out);
    return out;
}

void ms_proto_output_free(MsProtoOutput *out)
{
    if (out == NULL)
        return;
    ms_proto_output_release(out);
    g_free(out);
}

static gpointer output_alloc(MsProtoOutput *out, gsize size)
{
    size = (size + 7) & ~(gsize) 7; /* keeps the next line aligned */
    if (size > BLOCK_SIZE) {
        if (out->big == NULL)
            out->big = g_ptr_array_new_with_free_func(g_free);
        gpointer p = g_malloc(size);
        g_ptr_array_add(out->big, p);
        return p;
    }
    if (out->used + size > out->cap) {
        if (out->blocks == NULL)
            out->blocks = g_ptr_array_new_with_free_func(g_free);
        if (out->block == out->blocks->len)
            g_ptr_array_add(out->blocks, g_malloc(BLOCK_SIZE));
        out->at = g_ptr_array_index(out->blocks, out->block);
        out->block++;
        out->cap = BLOCK_SIZE;
        out->used = 0;
    }
    char *p = out->at + out->used;
    out->used += size;
    return p;
}

/* Every line of a run is added here, and g_ptr_array_add() cost some fifty
 * instructions a line.  The array is never shrunk (a clear sets its length
 * to 0 and keeps its slots), so below the most it has held it has room,
 * and the line goes in the next slot directly; the array has no free
 * function and no NULL terminator that an add would have to keep up. */
static void add_line(MsProtoOutput *out, MsProtoLine *line)
{
    GPtrArray *lines = out->lines;

    if (lines->len < out->room) {
        lines->pdata[lines->len++] = line;
        return;
    }
    g_ptr_array_add(lines, line);
    out->room = lines->len;
}

MsProtoLine *ms_proto_output_add_space(MsProtoOutput *out, gsize len, const char *eol,
                                       const char *phase, const char *note)
{
    MsProtoLine *line = output_alloc(out, sizeof *line + len + 1);
    line->text = (char *) (line + 1);
    line->text[len] = '\0';
    line->eol = eol != NULL ? eol : "\r\n";
    line->phase = phase;
    line->note = note;
    line->bytes = NULL;
    add_line(out, line);
    return line;
}

MsProtoLine *ms_proto_output_add_len(MsProtoOutput *out, const char *text, gsize len,
                                     const char *eol, const char *phase, const char *note)
{
    MsProtoLine *line = ms_proto_output_add_space(out, len, eol, phase, note);
    if (len > 0)
        memcpy(line->text, text, len);
    return line;
}

GPtrArray *ms_proto_output_lines(MsProtoOutput *out)
{
    return out->lines;
}

void ms_proto_output_clear(MsProtoOutput *out)
{
    for (guint i = 0; i < out->lines->len; i++) {
        MsProtoLine *line = g_ptr_array_index(out->lines, i);
        if (line->bytes != NULL)
            g_bytes_unref(line->bytes);
    }
    /* Emptied by hand, as add_line() fills it: the array has no free
     * function and no terminator, and g_ptr_array_set_size() cost some
     * sixty instructions a step. */
    out->lines->len = 0;
    if (out->big != NULL)
        g_ptr_array_set_size(out->big, 0);
    output_rewind(out);
}

GPtrArray *ms_proto_output_take(MsProtoOutput *out)
{
    GPtrArray *lines = ms_proto_lines_new();
    for (guint i = 0; i < out->lines->len; i++) {
        const MsProtoLine *line = g_ptr_array_index(out->lines, i);
        MsProtoLine *copy = ms_proto_line_new_len(line->text, strlen(line->text), line->eol,
                                                  line->phase, line->note);
        if (line->bytes != NULL)
            copy->bytes = g_bytes_ref(line->bytes);
        g_ptr_array_add(lines, copy);
    }
    ms_proto_output_clear(out);
    return lines;
}

gsize ms_proto_format_uint(char *buf, guint64 v)
{
    char digits[MS_PROTO_UINT_MAX_LEN];
    gsize n = 0;
    do {
        digits[n++] = (char) ('0' + v % 10);
        v /= 10;
    } while (v > 0);
    for (gsize i = 0; i < n; i++)
        buf[i] = digits[n - 1 - i];
    buf[n] = '\0';
    return n;
}
