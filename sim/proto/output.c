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

/* A block after the first, chained to the next one: a session whose step
 * outgrows the first block (a retrieved message's lines) needs one, and
 * an array to hold it cost more than the block. */
typedef struct MsProtoBlock {
    struct MsProtoBlock *next;
    union {
        char data[BLOCK_SIZE];
        guint64 align;
    } u;
} MsProtoBlock;

static void free_blocks(MsProtoOutput *out)
{
    while (out->blocks != NULL) {
        MsProtoBlock *next = out->blocks->next;
        g_free(out->blocks);
        out->blocks = next;
    }
}

/* Back to the first block.  Under AddressSanitizer the first block is not
 * used and the others are freed, so every line sent comes from malloc and
 * goes back to it. */
static void output_rewind(MsProtoOutput *out)
{
    out->block = NULL;
    out->used = 0;
    out->at = out->u.first;
    out->cap = OUTPUT_REUSE ? FIRST_SIZE : 0;
    if (!OUTPUT_REUSE)
        free_blocks(out);
}

/* The slots an output's array starts with: a session's longest step (a
 * message's text, an EHLO reply and its extensions, a pipelined group)
 * has more than eight lines as a rule, and growing the array cost more
 * than making it.  ms_proto_output_init() makes them at once. */
#define FIRST_ROOM 32

void ms_proto_output_init(MsProtoOutput *out)
{
    out->lines = g_ptr_array_sized_new(FIRST_ROOM);
    out->room = FIRST_ROOM;
    out->blocks = NULL;
    out->big = NULL;
    output_rewind(out);
}

void ms_proto_output_release(MsProtoOutput *out)
{
    ms_proto_output_clear(out);
    g_clear_pointer(&out->lines, g_ptr_array_unref);
    free_blocks(out);
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
        /* The next block of the chain, or a new one at its end.  Under
         * AddressSanitizer the rewind freed the chain, and `first` is
         * never filled (its cap is 0), so here out->block is the last. */
        MsProtoBlock **link = out->block != NULL ? &out->block->next : &out->blocks;
        if (*link == NULL) {
            *link = g_new(MsProtoBlock, 1);
            (*link)->next = NULL;
        }
        out->block = *link;
        out->at = out->block->u.data;
        out->cap = BLOCK_SIZE;
        out->used = 0;
    }
    char *p = out->at + out->used;
    out->used += size;
    return p;
}

/* Every line of a run is added here, and g_ptr_array_add() cost some fifty
 * instructions a line.  The array is never shrunk (a clear sets its length
 * to 0 and keeps its slots), so below `room` the line goes in the next slot
 * directly; the array has no free function and no NULL terminator that an
 * add would have to keep up.  When full it doubles in one call: engines
 * live a session each, and growing it one add at a time sent most lines of
 * a session's longest step through g_ptr_array_add(). */
static void add_line(MsProtoOutput *out, MsProtoLine *line)
{
    GPtrArray *lines = out->lines;

    if (G_UNLIKELY(lines->len == out->room)) {
        guint len = lines->len;
        out->room = MAX(out->room * 2, 8);
        g_ptr_array_set_size(lines, (gint) out->room);
        lines->len = len;
    }
    lines->pdata[lines->len++] = line;
}

MsProtoLine *ms_proto_output_add_space(MsProtoOutput *out, gsize len, const char *eol,
                                       const char *phase, const char *note)
{
    MsProtoLine *line = output_alloc(out, sizeof *line + len + 1);
    line->text = (char *) (line + 1);
    line->text[len] = '\0';
    line->len = len;
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
        MsProtoLine *copy = ms_proto_line_new_len(line->text, line->len, line->eol,
                                                  line->phase, line->note);
        if (line->bytes != NULL)
            copy->bytes = g_bytes_ref(line->bytes);
        g_ptr_array_add(lines, copy);
    }
    ms_proto_output_clear(out);
    return lines;
}

/* The digits are counted first and then written from the last one back,
 * straight into buf: numbers go into every Received: line, every queue
 * sentence and Message-ID, and reversing a copy cost a second loop. */
gsize ms_proto_format_uint(char *buf, guint64 v)
{
    gsize n = 1;
    for (guint64 rest = v; rest >= 10; rest /= 10)
        n++;
    buf[n] = '\0';
    char *p = buf + n;
    do {
        *--p = (char) ('0' + v % 10);
        v /= 10;
    } while (v > 0);
    return n;
}
