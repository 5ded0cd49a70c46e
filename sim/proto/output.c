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

/* The line array is the output's own header and slots, not a GPtrArray
 * made with g_ptr_array_new(): every session's engine has an output, and
 * making and freeing the array (two allocations and two frees) cost some
 * 600 instructions a session.  Readers see a GPtrArray's len and pdata,
 * all that ms_proto_output_lines() promises them. */
void ms_proto_output_init(MsProtoOutput *out)
{
    out->lines.pdata = out->slots;
    out->lines.len = 0;
    out->room = MS_PROTO_OUTPUT_FIRST_ROOM;
    out->blocks = NULL;
    out->big = NULL;
    output_rewind(out);
}

void ms_proto_output_release(MsProtoOutput *out)
{
    ms_proto_output_clear(out);
    if (out->lines.pdata != out->slots)
        g_free(out->lines.pdata);
    out->lines.pdata = NULL;
    out->room = 0;
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

/* A line cut from the block being filled, or from the next block of the
 * chain (a new one at its end when there is none), or a line of its own
 * when it is longer than a block. */
static gpointer output_alloc(MsProtoOutput *out, gsize size)
{
    if (size > BLOCK_SIZE) {
        if (out->big == NULL)
            out->big = g_ptr_array_new_with_free_func(g_free);
        gpointer p = g_malloc(size);
        g_ptr_array_add(out->big, p);
        return p;
    }
    if (out->used + size > out->cap) {
        /* Under AddressSanitizer the rewind freed the chain, and `first`
         * is never filled (its cap is 0), so here out->block is the last. */
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

/* The octets a line of len octets of text takes in a block, rounded up so
 * that the next line is aligned. */
static inline gsize line_size(gsize len)
{
    return (sizeof(MsProtoLine) + len + 1 + 7) & ~(gsize) 7;
}

static inline void line_fill(MsProtoLine *line, gsize len, const char *eol, const char *phase,
                             const char *note)
{
    line->text = (char *) (line + 1);
    line->text[len] = '\0';
    line->len = len;
    line->eol = eol != NULL ? eol : "\r\n";
    line->phase = phase;
    line->note = note;
    line->bytes = NULL;
}

/* ms_proto_output_add_space() when the line does not fit in the block
 * being filled or the line array is full: a block or a larger array is
 * found first.  The line array is doubled, from the output's own slots to
 * an array of its own or from that to a larger one, and never shrunk
 * while the output lives (a clear sets its length to 0 and keeps its
 * slots). */
G_GNUC_NO_INLINE static MsProtoLine *add_space_slow(MsProtoOutput *out, gsize len,
                                                    const char *eol, const char *phase,
                                                    const char *note)
{
    if (out->lines.len == out->room) {
        guint room = MAX(out->room * 2, 8);
        gpointer *pdata = g_new(gpointer, room);

        memcpy(pdata, out->lines.pdata, out->lines.len * sizeof *pdata);
        if (out->lines.pdata != out->slots)
            g_free(out->lines.pdata);
        out->lines.pdata = pdata;
        out->room = room;
    }
    MsProtoLine *line = output_alloc(out, line_size(len));
    line_fill(line, len, eol, phase, note);
    out->lines.pdata[out->lines.len++] = line;
    return line;
}

/* Every line of a run is added here.  The usual case, a line that fits in
 * the block being filled and a free slot in the line array, makes no call,
 * so that it saves no registers either; everything else is in
 * add_space_slow().  Inline in both ways to add a line: most lines are
 * added with their text (ms_proto_output_add_len()), and a call from it
 * to the other cost some twenty instructions a line. */
G_ALWAYS_INLINE static inline MsProtoLine *add_space(MsProtoOutput *out, gsize len,
                                                     const char *eol, const char *phase,
                                                     const char *note)
{
    gsize size = line_size(len);

    /* A block's cap is at most BLOCK_SIZE, so a line longer than a block
     * (one of its own) always takes the slow path. */
    if (G_UNLIKELY(out->used + size > out->cap || out->lines.len == out->room))
        return add_space_slow(out, len, eol, phase, note);
    MsProtoLine *line = (MsProtoLine *) (void *) (out->at + out->used);
    out->used += size;
    line_fill(line, len, eol, phase, note);
    out->lines.pdata[out->lines.len++] = line;
    return line;
}

MsProtoLine *ms_proto_output_add_space(MsProtoOutput *out, gsize len, const char *eol,
                                       const char *phase, const char *note)
{
    return add_space(out, len, eol, phase, note);
}

MsProtoLine *ms_proto_output_add_len(MsProtoOutput *out, const char *text, gsize len,
                                     const char *eol, const char *phase, const char *note)
{
    MsProtoLine *line = add_space(out, len, eol, phase, note);
    if (len > 0)
        memcpy(line->text, text, len);
    return line;
}

GPtrArray *ms_proto_output_lines(MsProtoOutput *out)
{
    return &out->lines;
}

void ms_proto_output_clear(MsProtoOutput *out)
{
    /* An output's lines are text (proto.h): no bytes to unreference, and
     * so no walk over the lines.  AddressSanitizer builds check it. */
    if (MS_UNDER_ASAN) {
        for (guint i = 0; i < out->lines.len; i++)
            g_assert(((MsProtoLine *) out->lines.pdata[i])->bytes == NULL);
    }
    out->lines.len = 0;
    if (out->big != NULL)
        g_ptr_array_set_size(out->big, 0);
    output_rewind(out);
}

GPtrArray *ms_proto_output_take(MsProtoOutput *out)
{
    GPtrArray *lines = ms_proto_lines_new();
    for (guint i = 0; i < out->lines.len; i++) {
        const MsProtoLine *line = out->lines.pdata[i];
        MsProtoLine *copy = ms_proto_line_new_len(line->text, line->len, line->eol,
                                                  line->phase, line->note);
        g_ptr_array_add(lines, copy);
    }
    ms_proto_output_clear(out);
    return lines;
}

/* The digits are counted first, from the bit length rather than by divisions,
 * and then written from the last ones back, two at a time from a table,
 * straight into buf: numbers go into every Received: line, every queue
 * sentence, Message-ID and scan listing. */
gsize ms_proto_format_uint(char *buf, guint64 v)
{
    static const char pairs[] = "00010203040506070809"
                                "10111213141516171819"
                                "20212223242526272829"
                                "30313233343536373839"
                                "40414243444546474849"
                                "50515253545556575859"
                                "60616263646566676869"
                                "70717273747576777879"
                                "80818283848586878889"
                                "90919293949596979899";
    /* Digits: from the bit length b, floor(b * 1233 / 4096) (1233/4096 is
     * log10 2 to within 0.01 %, close enough for b up to 64) is the number
     * of digits of 2^b less one; one more, less one if v is below that
     * power of ten.  The test checks every power of two and of ten and the
     * numbers around them. */
    static const guint64 pow10[20] = {
        G_GUINT64_CONSTANT(1), G_GUINT64_CONSTANT(10), G_GUINT64_CONSTANT(100),
        G_GUINT64_CONSTANT(1000), G_GUINT64_CONSTANT(10000), G_GUINT64_CONSTANT(100000),
        G_GUINT64_CONSTANT(1000000), G_GUINT64_CONSTANT(10000000),
        G_GUINT64_CONSTANT(100000000), G_GUINT64_CONSTANT(1000000000),
        G_GUINT64_CONSTANT(10000000000), G_GUINT64_CONSTANT(100000000000),
        G_GUINT64_CONSTANT(1000000000000), G_GUINT64_CONSTANT(10000000000000),
        G_GUINT64_CONSTANT(100000000000000), G_GUINT64_CONSTANT(1000000000000000),
        G_GUINT64_CONSTANT(10000000000000000), G_GUINT64_CONSTANT(100000000000000000),
        G_GUINT64_CONSTANT(1000000000000000000), G_GUINT64_CONSTANT(10000000000000000000),
    };
    guint t = ((guint) (64 - __builtin_clzll(v | 1)) * 1233u) >> 12;
    gsize n = t + 1 - (v < pow10[t]) + (v == 0);
    buf[n] = '\0';
    char *p = buf + n;
    while (v >= 100) {
        guint r = (guint) (v % 100);
        v /= 100;
        p -= 2;
        p[0] = pairs[2 * r];
        p[1] = pairs[2 * r + 1];
    }
    if (v >= 10) {
        p -= 2;
        p[0] = pairs[2 * v];
        p[1] = pairs[2 * v + 1];
    } else {
        *--p = (char) ('0' + v);
    }
    return n;
}
