/* test_message.c - the message format: codecs (RFC 2045, 2047, 4648),
 * RFC 5322 parsing and writing, MIME trees and composition. */
#include <string.h>

#include "mailsim/core.h"
#include "mailsim/message.h"
#include "testutil.h"

#define DATA_DIR "tests/data/message"

/* The bytes of b compared with a C string (length included). */
static gboolean bytes_eq(GBytes *b, const char *s, gsize len)
{
    gsize n = 0;
    const void *d = g_bytes_get_data(b, &n);
    return n == len && (len == 0 || memcmp(d, s, len) == 0);
}

/* Every line of text (CRLF separated) is at most max characters. */
static gboolean lines_within(const char *text, gsize max)
{
    g_auto(GStrv) lines = g_strsplit(text, "\r\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        if (strlen(lines[i]) > max)
            return FALSE;
    }
    return TRUE;
}

static MsMessage *parse_file(const char *name, char **data_out, gsize *len_out)
{
    g_autofree char *path = g_build_filename(DATA_DIR, name, NULL);
    char *data = ms_test_read_file(path, len_out);
    if (data == NULL)
        return NULL;
    g_autoptr(GError) err = NULL;
    MsMessage *msg = ms_message_parse(data, *len_out, &err);
    if (msg == NULL)
        fprintf(stderr, "\n  %s: %s\n", name, err->message);
    CU_ASSERT_PTR_NOT_NULL(msg);
    *data_out = data;
    return msg;
}

static gboolean has_warning(const MsMessage *msg, const char *needle)
{
    const GPtrArray *w = ms_message_warnings(msg);
    for (guint i = 0; i < w->len; i++) {
        if (strstr(g_ptr_array_index(w, i), needle) != NULL)
            return TRUE;
    }
    return FALSE;
}

/* ======================================================================
 * mail/codec
 * ==================================================================== */

/* RFC 4648 10 test vectors. */
static const char *const b64_plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
static const char *const b64_coded[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };

static void base64_rfc4648_vectors(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(b64_plain); i++) {
        g_autofree char *enc = ms_base64_encode(b64_plain[i], strlen(b64_plain[i]), FALSE);
        MS_ASSERT_STR(enc, b64_coded[i]);
        /* Wrapped, a short input is one line ended by CRLF. */
        g_autofree char *wrapped = ms_base64_encode(b64_plain[i], strlen(b64_plain[i]), TRUE);
        g_autofree char *expect = i == 0 ? g_strdup("") : g_strconcat(b64_coded[i], "\r\n", NULL);
        MS_ASSERT_STR(wrapped, expect);
        g_autoptr(GError) err = NULL;
        g_autoptr(GBytes) dec = ms_base64_decode(b64_coded[i], strlen(b64_coded[i]), &err);
        CU_ASSERT_PTR_NULL(err);
        CU_ASSERT(dec != NULL && bytes_eq(dec, b64_plain[i], strlen(b64_plain[i])));
    }
}

static void base64_rejects_invalid(void)
{
    const char *bad[] = {
        "Zm9v!mFy",   /* "!" is not in the alphabet */
        "Zm9vY",      /* 5 characters: not whole quanta */
        "Zg=",        /* padding cut short */
        "=Zg=",       /* padding first */
        "Zg==Zm9v",   /* data after the padding */
        "Zm9v\xc3\xa9", /* 8-bit */
        "Z===",       /* "=" in the second place */
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(GBytes) dec = ms_base64_decode(bad[i], strlen(bad[i]), &err);
        CU_ASSERT_PTR_NULL(dec);
        CU_ASSERT(g_error_matches(err, MS_ERROR, MS_ERROR_PARSE));
    }
}

static void base64_ignores_white_space(void)
{
    /* RFC 2045 6.8: line breaks (and other white space) are not data. */
    const char *text = " Zm9v\r\nYm\tFy \n";
    g_autoptr(GError) err = NULL;
    g_autoptr(GBytes) dec = ms_base64_decode(text, strlen(text), &err);
    CU_ASSERT(dec != NULL && bytes_eq(dec, "foobar", 6));
}

static void base64_lines_and_growth(void)
{
    /* 3000 octets = 1000 groups of 3 = 4000 characters (4/3 growth); at 76
     * characters a line that is 52 full lines (3952) and one of 48, so 53
     * CRLFs: 4000 + 106 = 4106 octets. */
    CU_ASSERT_EQUAL(ms_base64_encoded_size(3000, FALSE), 4000);
    CU_ASSERT_EQUAL(ms_base64_encoded_size(3000, TRUE), 4106);
    /* 57 octets fill exactly one 76-character line. */
    CU_ASSERT_EQUAL(ms_base64_encoded_size(57, TRUE), 78);
    CU_ASSERT_EQUAL(ms_base64_encoded_size(58, TRUE), 78 + 4 + 2);
    CU_ASSERT_EQUAL(ms_base64_encoded_size(0, TRUE), 0);

    guint8 data[3000];
    for (guint i = 0; i < sizeof data; i++)
        data[i] = (guint8) (i * 7 + 3);
    g_autofree char *enc = ms_base64_encode(data, sizeof data, TRUE);
    CU_ASSERT_EQUAL(strlen(enc), 4106);
    CU_ASSERT(lines_within(enc, 76));
    CU_ASSERT(strncmp(enc + 76, "\r\n", 2) == 0);
    g_autoptr(GBytes) dec = ms_base64_decode(enc, strlen(enc), NULL);
    CU_ASSERT(dec != NULL && bytes_eq(dec, (const char *) data, sizeof data));
}

static void qp_encode_rules(void)
{
    /* Rule 1: "=" itself and 8-bit octets as =XX, upper-case hex. */
    g_autofree char *eq = ms_qp_encode("a=b", 3, FALSE);
    MS_ASSERT_STR(eq, "a=3Db");
    g_autofree char *cafe = ms_qp_encode("caf\xc3\xa9", 5, FALSE);
    MS_ASSERT_STR(cafe, "caf=C3=A9");
    /* Rule 3: SP/HT before a line end are encoded, elsewhere not. */
    g_autofree char *ws = ms_qp_encode("a b \nc\t", 7, FALSE);
    MS_ASSERT_STR(ws, "a b=20\r\nc=09");
    /* Rule 4: LF and CRLF are both hard line breaks, sent as CRLF. */
    g_autofree char *lines = ms_qp_encode("x\r\ny\n", 5, FALSE);
    MS_ASSERT_STR(lines, "x\r\ny\r\n");
    /* Binary: the line break octets are data. */
    g_autofree char *bin = ms_qp_encode("x\r\n", 3, TRUE);
    MS_ASSERT_STR(bin, "x=0D=0A");
}

static void qp_soft_line_breaks(void)
{
    /* Rule 5: 76 characters fit on a line, so 76 "a" need no break ... */
    char a[200];
    memset(a, 'a', sizeof a);
    g_autofree char *e76 = ms_qp_encode(a, 76, FALSE);
    CU_ASSERT_EQUAL(strlen(e76), 76);
    /* ... but 77 do: 75 "a" and "=" on the first line, 2 on the second. */
    g_autofree char *e77 = ms_qp_encode(a, 77, FALSE);
    CU_ASSERT_EQUAL(strlen(e77), 75 + 3 + 2);
    CU_ASSERT(strncmp(e77 + 75, "=\r\naa", 5) == 0);
    /* An =XX triplet is never split: 74 "a" then "é" needs 6 more. */
    char s[80];
    memset(s, 'a', 74);
    memcpy(s + 74, "\xc3\xa9", 2);
    g_autofree char *split = ms_qp_encode(s, 76, FALSE);
    CU_ASSERT(lines_within(split, 76));
    CU_ASSERT_PTR_NOT_NULL(strstr(split, "=\r\n=C3=A9"));
    g_autofree char *long_enc = ms_qp_encode(a, sizeof a, FALSE);
    CU_ASSERT(lines_within(long_enc, 76));
    g_autoptr(GBytes) back = ms_qp_decode(long_enc, strlen(long_enc), NULL);
    CU_ASSERT(bytes_eq(back, a, sizeof a));
}

static void qp_decode_rules(void)
{
    /* RFC 2045 6.7 rule 5's own example of soft line breaks. */
    const char *rfc = "Now's the time =\r\nfor all folk to come=\r\n to the aid of their country.";
    const char *plain = "Now's the time for all folk to come to the aid of their country.";
    g_autoptr(GBytes) d1 = ms_qp_decode(rfc, strlen(rfc), NULL);
    CU_ASSERT(bytes_eq(d1, plain, strlen(plain)));
    /* =3D, lower-case hex accepted; trailing white space deleted (rule 3);
     * white space after a soft-break "=" too. */
    const char *t = "1+1=3D2 =3d =C3=A9   \r\nsoft=  \r\nbreak\n";
    g_autoptr(GBytes) d2 = ms_qp_decode(t, strlen(t), NULL);
    const char *want = "1+1=2 = \xc3\xa9\r\nsoftbreak\n";
    CU_ASSERT(bytes_eq(d2, want, strlen(want)));
    /* Robust decoding (note 2): a stray "=" is kept and counted. */
    guint bad = 0;
    g_autoptr(GBytes) d3 = ms_qp_decode("a=ZZb=4", 7, &bad);
    CU_ASSERT(bytes_eq(d3, "a=ZZb=4", 7));
    CU_ASSERT_EQUAL(bad, 2);
}

static void qp_round_trip(void)
{
    const char *text = "Ligne 1 avec espace \nTab\t\n=début= \xe9\xa0\x81\nfin";
    g_autofree char *enc = ms_qp_encode(text, strlen(text), FALSE);
    CU_ASSERT(ms_message_is_7bit(enc, strlen(enc)));
    g_autoptr(GBytes) dec = ms_qp_decode(enc, strlen(enc), NULL);
    /* Hard breaks come back as CRLF, the canonical form. */
    const char *want = "Ligne 1 avec espace \r\nTab\t\r\n=début= \xe9\xa0\x81\r\nfin";
    CU_ASSERT(bytes_eq(dec, want, strlen(want)));
}

static void rfc2047_chinese_round_trip(void)
{
    const char *subject = "邮件测试";
    /* UTF-8 e9 82 ae e4 bb b6 e6 b5 8b e8 af 95 in base64 (RFC 4648). */
    g_autofree char *b = ms_rfc2047_encode(subject, MS_EW_B, 9);
    MS_ASSERT_STR(b, "=?UTF-8?B?6YKu5Lu25rWL6K+V?=");
    g_autofree char *q = ms_rfc2047_encode(subject, MS_EW_Q, 9);
    MS_ASSERT_STR(q, "=?UTF-8?Q?=E9=82=AE=E4=BB=B6=E6=B5=8B=E8=AF=95?=");
    const char *encs[] = { b, q };
    for (guint i = 0; i < 2; i++) {
        g_autofree char *back = ms_rfc2047_decode(encs[i]);
        MS_ASSERT_STR(back, subject);
    }
    /* AUTO picks the shorter: B here. */
    g_autofree char *autoenc = ms_rfc2047_encode(subject, MS_EW_AUTO, 9);
    MS_ASSERT_STR(autoenc, b);
}

static void rfc2047_word_limits(void)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < 40; i++)
        g_string_append(s, i % 2 ? "测试 " : "é");
    for (int enc = MS_EW_B; enc <= MS_EW_Q; enc++) {
        g_autofree char *words = ms_rfc2047_encode(s->str, (MsEwEncoding) enc, 9);
        g_auto(GStrv) lines = g_strsplit(words, "\r\n", -1);
        CU_ASSERT(g_strv_length(lines) > 1);
        for (guint i = 0; lines[i] != NULL; i++) {
            const char *w = lines[i][0] == ' ' ? lines[i] + 1 : lines[i];
            /* RFC 2047 2: a word <= 75; a line <= 76 ("Subject: " first). */
            CU_ASSERT(strlen(w) <= 75);
            CU_ASSERT(strlen(lines[i]) + (i == 0 ? 9 : 0) <= 76);
            CU_ASSERT(i == 0 || lines[i][0] == ' ');
            /* RFC 2047 5 (3): each word alone decodes to whole characters. */
            g_autofree char *alone = ms_rfc2047_decode(w);
            CU_ASSERT(g_str_has_prefix(w, "=?UTF-8?") && strstr(alone, "=?") == NULL);
            CU_ASSERT(strstr(alone, "\xef\xbf\xbd") == NULL); /* no U+FFFD */
        }
        g_autofree char *back = ms_rfc2047_decode(words);
        MS_ASSERT_STR(back, s->str);
    }
    g_string_free(s, TRUE);
}

static void rfc2047_rfc_examples(void)
{
    /* RFC 2047 8: encoded-words and how they display. */
    static const char *const cases[][2] = {
        { "(=?ISO-8859-1?Q?a?=)", "(a)" },
        { "(=?ISO-8859-1?Q?a?= b)", "(a b)" },
        { "(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)" },
        { "(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)" },
        { "(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)" },
        { "(=?ISO-8859-1?Q?a_b?=)", "(a b)" },
        { "(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)" },
        { "=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>", "Keith Moore <moore@cs.utk.edu>" },
        { "=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>",
          "Keld J\xc3\xb8rn Simonsen <keld@dkuug.dk>" },
        { "=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>",
          "Andr\xc3\xa9 Pirard <PIRARD@vm1.ulg.ac.be>" },
        { "=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n"
          "    =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=",
          "If you can read this you understand the example." },
        /* RFC 2231 5: a language suffix on the charset. */
        { "=?US-ASCII*EN?Q?Keith_Moore?=", "Keith Moore" },
        /* Not words: kept as written (RFC 2047 6.3). */
        { "=?X-NO-SUCH-CHARSET?Q?abc?= x", "=?X-NO-SUCH-CHARSET?Q?abc?= x" },
        { "=?UTF-8?Q?open", "=?UTF-8?Q?open" },
        { "a=?UTF-8?Q?glued?=", "a=?UTF-8?Q?glued?=" },
        { "=?UTF-8?B?!!!!?=", "=?UTF-8?B?!!!!?=" },
        /* No word at all: the text itself (its bytes made valid UTF-8),
         * and a word that only unfolding puts together still decodes. */
        { "Ketchup and pickles", "Ketchup and pickles" },
        { "", "" },
        { "8-bit \xe9t\xe9", "8-bit \xef\xbf\xbdt\xef\xbf\xbd" },
        { "split\r\n line", "split line" },
        { "=\r\n?UTF-8?Q?joined?=", "joined" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *out = ms_rfc2047_decode(cases[i][0]);
        if (strcmp(out, cases[i][1]) != 0)
            fprintf(stderr, "\n  decode(%s) = %s\n", cases[i][0], out);
        MS_ASSERT_STR(out, cases[i][1]);
    }
}

static void transfer_encoding_names(void)
{
    CU_ASSERT_EQUAL(ms_transfer_encoding_from_name(" Base64 "), MS_TE_BASE64);
    CU_ASSERT_EQUAL(ms_transfer_encoding_from_name("QUOTED-PRINTABLE"), MS_TE_QUOTED_PRINTABLE);
    CU_ASSERT_EQUAL(ms_transfer_encoding_from_name("x-uuencode"), MS_TE_UNKNOWN);
    CU_ASSERT_EQUAL(ms_transfer_encoding_from_name("auto"), MS_TE_UNKNOWN);
    MS_ASSERT_STR(ms_transfer_encoding_name(MS_TE_8BIT), "8bit");
}

/* ======================================================================
 * mail/message
 * ==================================================================== */

static void round_trip_corpus(void)
{
    g_autoptr(GDir) dir = g_dir_open(DATA_DIR, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
        if (g_str_has_suffix(name, ".eml"))
            g_ptr_array_add(names, g_strdup(name));
    }
    CU_ASSERT(names->len >= 12);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *data = NULL;
        gsize len = 0;
        g_autoptr(MsMessage) msg = parse_file(g_ptr_array_index(names, i), &data, &len);
        if (msg == NULL)
            continue;
        g_autoptr(GBytes) out = ms_message_to_bytes(msg);
        if (!bytes_eq(out, data, len))
            fprintf(stderr, "\n  %s does not round-trip\n", (char *) g_ptr_array_index(names, i));
        CU_ASSERT(bytes_eq(out, data, len));
        CU_ASSERT_EQUAL(ms_message_size(msg), len);
        CU_ASSERT_EQUAL(ms_message_header_bytes_count(msg) + ms_message_body_bytes_count(msg), len);
        /* A copy serialises the same. */
        g_autoptr(MsMessage) copy = ms_message_copy(msg);
        g_autoptr(GBytes) out2 = ms_message_to_bytes(copy);
        CU_ASSERT(g_bytes_equal(out, out2));
    }
}

static void parse_simple(void)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autoptr(MsMessage) msg = parse_file("simple-crlf.eml", &data, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    CU_ASSERT_EQUAL(ms_message_n_fields(msg), 5);
    CU_ASSERT_EQUAL(ms_message_warnings(msg)->len, 0);
    MS_ASSERT_STR(ms_message_eol(msg), "\r\n");
    /* RFC 5322 1.2.2: names are case-insensitive. */
    MS_ASSERT_STR(ms_message_get(msg, "SUBJECT"), "Ketchup");
    MS_ASSERT_STR(ms_message_field_name(msg, 4), "Message-ID");
    gsize rlen = 0;
    const char *raw = ms_message_field_raw(msg, 2, &rlen);
    CU_ASSERT(rlen == strlen("Subject: Ketchup\r\n") && memcmp(raw, "Subject: Ketchup\r\n", rlen) == 0);
    CU_ASSERT_PTR_NULL(ms_message_get(msg, "Cc"));
    g_autoptr(GBytes) body = ms_message_body(msg);
    const char *want = "Do you like ketchup?\r\nHow about pickles?\r\n";
    CU_ASSERT(bytes_eq(body, want, strlen(want)));
    /* 5 field lines + the empty line; 2 body lines. */
    CU_ASSERT_EQUAL(ms_message_header_lines(msg), 6);
    CU_ASSERT_EQUAL(ms_message_body_lines(msg), 2);
    CU_ASSERT_EQUAL(ms_message_body_bytes_count(msg), strlen(want));
    /* POP3 TOP 1: the header, the empty line, one body line. */
    g_autoptr(GBytes) top = ms_message_top(msg, 1);
    gsize hdr = ms_message_header_bytes_count(msg);
    CU_ASSERT_EQUAL(g_bytes_get_size(top), hdr + strlen("Do you like ketchup?\r\n"));
    g_autoptr(GBytes) top0 = ms_message_top(msg, 0);
    CU_ASSERT(bytes_eq(top0, data, hdr));
}

static void parse_folded(void)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autoptr(MsMessage) msg = parse_file("folded.eml", &data, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    /* RFC 5322 2.2.3: unfolding removes the CRLF, keeps the white space. */
    MS_ASSERT_STR(ms_message_get(msg, "subject"),
                  "This subject is long enough that the sending program folded it onto a "
                  "second line, as RFC 5322 2.2.3 allows");
    MS_ASSERT_STR(ms_message_get(msg, "To"),
                  "Bob <bob@hamburger.edu>, Carol <carol@hamburger.edu>,    Dave <dave@hamburger.edu>");
    MS_ASSERT_STR(ms_message_get(msg, "Received"),
                  "from crepes.fr (crepes.fr [10.0.0.2])\tby hamburger.edu with SMTP id 17\tfor "
                  "<bob@hamburger.edu>; Mon, 01 Jan 2024 00:00:05 +0000");
    MS_ASSERT_STR(ms_message_get(msg, "X-Whitespace-Only-Continuation"), "first    third");
    CU_ASSERT_EQUAL(ms_message_n_fields(msg), 5);
    /* Received 3 lines, From 1, To 3, Subject 2, X-... 3, the empty line 1. */
    CU_ASSERT_EQUAL(ms_message_header_lines(msg), 13);
}

static void parse_malformed(void)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autoptr(MsMessage) msg = parse_file("malformed-header.eml", &data, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    CU_ASSERT_EQUAL(ms_message_n_fields(msg), 5);
    CU_ASSERT_PTR_NULL(ms_message_field_name(msg, 1));
    MS_ASSERT_STR(ms_message_field_value(msg, 1), "This line has no colon at all");
    CU_ASSERT(has_warning(msg, "line 2: no colon"));
    /* Obsolete "Subject :" still counts as a Subject field. */
    MS_ASSERT_STR(ms_message_field_name(msg, 2), "Subject");
    MS_ASSERT_STR(ms_message_get(msg, "Subject"), "space before the colon");
    CU_ASSERT(has_warning(msg, "line 3: white space before the colon"));
    CU_ASSERT(has_warning(msg, "line 4: 8-bit"));
    MS_ASSERT_STR(ms_message_get(msg, "To"), "bob@hamburger.edu");

    g_autofree char *data2 = NULL;
    g_autoptr(MsMessage) mbox = parse_file("mbox-from-line.eml", &data2, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(mbox);
    CU_ASSERT_PTR_NULL(ms_message_field_name(mbox, 0));
    MS_ASSERT_STR(ms_message_get(mbox, "From"), "alice@crepes.fr");
    MS_ASSERT_STR(ms_message_eol(mbox), "\n");

    g_autofree char *data3 = NULL;
    g_autoptr(MsMessage) longl = parse_file("long-line.eml", &data3, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(longl);
    CU_ASSERT(has_warning(longl, "line 2: line of 1208 characters"));
}

static void parse_without_empty_line(void)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autoptr(MsMessage) hdr_only = parse_file("no-blank-line.eml", &data, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(hdr_only);
    CU_ASSERT_EQUAL(ms_message_n_fields(hdr_only), 3);
    CU_ASSERT_EQUAL(ms_message_body_bytes_count(hdr_only), 0);
    CU_ASSERT_EQUAL(ms_message_header_bytes_count(hdr_only), len);
    MS_ASSERT_STR(ms_message_get(hdr_only, "Subject"), "header only, no empty line, no final line end");

    /* Setting a body supplies the missing line end and empty line. */
    ms_message_set_body(hdr_only, "hi\r\n", 4);
    g_autoptr(GBytes) out = ms_message_to_bytes(hdr_only);
    g_autofree char *want = g_strconcat(data, "\r\n\r\nhi\r\n", NULL);
    CU_ASSERT(bytes_eq(out, want, strlen(want)));

    g_autofree char *data2 = NULL;
    g_autoptr(MsMessage) forgot = parse_file("no-blank-before-body.eml", &data2, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(forgot);
    CU_ASSERT_EQUAL(ms_message_n_fields(forgot), 2);
    CU_ASSERT(has_warning(forgot, "line 3: not a header field"));
    g_autoptr(GBytes) body = ms_message_body(forgot);
    CU_ASSERT(g_str_has_prefix(g_bytes_get_data(body, NULL), "This text was meant"));
    CU_ASSERT_EQUAL(ms_message_body_lines(forgot), 2);

    /* An empty first line: no fields, all body (RFC 5322 allows it). */
    g_autoptr(MsMessage) bare = ms_message_parse("\r\nbody", 6, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bare);
    CU_ASSERT_EQUAL(ms_message_n_fields(bare), 0);
    CU_ASSERT_EQUAL(ms_message_body_bytes_count(bare), 4);
}

static void parse_rejects_non_messages(void)
{
    g_autofree char *path = g_build_filename(DATA_DIR, "not-a-message.txt", NULL);
    gsize len = 0;
    g_autofree char *data = ms_test_read_file(path, &len);
    const struct {
        const char *data;
        gsize len;
    } bad[] = {
        { data, len },
        { "", 0 },
        { "Subject: a\0b\r\n\r\n", 16 },
        { "garbage line\n\nbody\n", 19 },
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(MsMessage) msg = ms_message_parse(bad[i].data, bad[i].len, &err);
        CU_ASSERT_PTR_NULL(msg);
        CU_ASSERT(g_error_matches(err, MS_ERROR, MS_ERROR_PARSE));
    }
    /* A NUL in the body is data, not an error. */
    g_autoptr(MsMessage) ok = ms_message_parse("A: b\r\n\r\nx\0y", 11, NULL);
    CU_ASSERT_PTR_NOT_NULL(ok);
}

static void prepend_received_changes_nothing_else(void)
{
    const char *files[] = { "simple-crlf.eml", "simple-lf.eml", "malformed-header.eml" };
    const char *eols[] = { "\r\n", "\n", "\r\n" };
    for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *data = NULL;
        gsize len = 0;
        g_autoptr(MsMessage) msg = parse_file(files[i], &data, &len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
        ms_message_prepend(msg, "Received", "from a by b; Mon, 01 Jan 2024 00:00:05 +0000");
        g_autofree char *want = g_strconcat("Received: from a by b; Mon, 01 Jan 2024 00:00:05 +0000",
                                            eols[i], data, NULL);
        g_autoptr(GBytes) out = ms_message_to_bytes(msg);
        CU_ASSERT(bytes_eq(out, want, strlen(want)));
        MS_ASSERT_STR(ms_message_field_name(msg, 0), "Received");
    }
}

static void add_set_remove(void)
{
    g_autoptr(MsMessage) msg = ms_message_new();
    ms_message_add(msg, "X-A", "one");
    ms_message_add(msg, "Subject", "s");
    ms_message_add(msg, "x-a", "two");
    g_auto(GStrv) all = ms_message_get_all(msg, "X-A");
    CU_ASSERT_EQUAL(g_strv_length(all), 2);
    MS_ASSERT_STR(all[1], "two");
    g_auto(GStrv) none = ms_message_get_all(msg, "Nope");
    CU_ASSERT(none != NULL && none[0] == NULL);
    /* set: the first in place, the rest gone. */
    ms_message_set(msg, "X-A", "three");
    CU_ASSERT_EQUAL(ms_message_n_fields(msg), 2);
    MS_ASSERT_STR(ms_message_field_name(msg, 0), "X-A");
    MS_ASSERT_STR(ms_message_get(msg, "x-a"), "three");
    ms_message_set(msg, "To", "bob@hamburger.edu");
    MS_ASSERT_STR(ms_message_field_name(msg, 2), "To");
    CU_ASSERT_EQUAL(ms_message_remove(msg, "subject"), 1);
    CU_ASSERT_EQUAL(ms_message_remove(msg, "subject"), 0);
    ms_message_set_body(msg, "x\r\n", 3);
    g_autoptr(GBytes) out = ms_message_to_bytes(msg);
    const char *want = "X-A: three\r\nTo: bob@hamburger.edu\r\n\r\nx\r\n";
    CU_ASSERT(bytes_eq(out, want, strlen(want)));

    /* A value cannot smuggle in another field. */
    g_autoptr(MsMessage) m2 = ms_message_new();
    ms_message_add(m2, "Subject", "hi\r\nBcc: eve@evil.example");
    g_autoptr(GBytes) o2 = ms_message_to_bytes(m2);
    g_autoptr(MsMessage) back = ms_message_parse_bytes(o2, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    CU_ASSERT_EQUAL(ms_message_n_fields(back), 1);
    CU_ASSERT_PTR_NULL(ms_message_get(back, "Bcc"));
}

static void folding_at_78(void)
{
    /* Exactly 78 characters stays one line; 79 folds (RFC 5322 2.1.1). */
    char v[100];
    memset(v, 'x', sizeof v);
    memcpy(v, "aaaa ", 5);
    v[78 - 9] = '\0'; /* "Subject: " + 69 = 78 */
    g_autofree char *f78 = ms_message_fold_field("Subject", v, "\r\n");
    CU_ASSERT_EQUAL(strlen(f78), 78);
    CU_ASSERT_PTR_NULL(strchr(f78, '\r'));
    memset(v, 'x', sizeof v);
    memcpy(v, "aaaa ", 5);
    v[79 - 9] = '\0';
    g_autofree char *f79 = ms_message_fold_field("Subject", v, "\r\n");
    /* The fold goes before the only white space: "aaaa", then CRLF and
     * " " + the 65 x. */
    CU_ASSERT(g_str_has_prefix(f79, "Subject: aaaa\r\n x"));
    CU_ASSERT_EQUAL(strlen(f79), 79 + 2);

    /* A long value of words: every line <= 78, folds only before white
     * space, and each line is as full as it can be. */
    GString *words = g_string_new(NULL);
    for (guint i = 0; i < 60; i++)
        g_string_append_printf(words, "%sword%u", i ? " " : "", i * 37 % 1000);
    g_autofree char *folded = ms_message_fold_field("Subject", words->str, "\r\n");
    CU_ASSERT(lines_within(folded, 78));
    g_auto(GStrv) lines = g_strsplit(folded, "\r\n", -1);
    CU_ASSERT(g_strv_length(lines) >= 5);
    for (guint i = 1; lines[i] != NULL; i++) {
        CU_ASSERT(lines[i][0] == ' ');
        /* The first word of this line would not have fitted on the last. */
        const char *sp = strchr(lines[i] + 1, ' ');
        gsize first_word = sp != NULL ? (gsize) (sp - lines[i]) : strlen(lines[i]);
        CU_ASSERT(strlen(lines[i - 1]) + first_word > 78);
    }
    /* Unfolding gives the value back. */
    g_autoptr(MsMessage) msg = ms_message_new();
    ms_message_add(msg, "Subject", words->str);
    MS_ASSERT_STR(ms_message_get(msg, "Subject"), words->str);
    g_string_free(words, TRUE);

    /* 998 is a hard limit even for one unbreakable word. */
    GString *huge = g_string_new(NULL);
    for (guint i = 0; i < 2500; i++)
        g_string_append_c(huge, (char) ('a' + i % 26));
    g_autofree char *hf = ms_message_fold_field("X-Huge", huge->str, "\r\n");
    CU_ASSERT(lines_within(hf, 998));
    CU_ASSERT(!lines_within(hf, 997));
    g_string_free(huge, TRUE);
}

/* CR and LF in a value are white space: the value stays one logical line,
 * trimmed, its inner runs of white space kept. */
static void folding_line_breaks_in_value(void)
{
    g_autofree char *f = ms_message_fold_field("Subject", "\r\n  Hello\r\nworld \n", "\r\n");
    MS_ASSERT_STR(f, "Subject: Hello  world");
    g_autofree char *empty = ms_message_fold_field("Subject", " \r\n\t", "\r\n");
    MS_ASSERT_STR(empty, "Subject:");
    /* A break inside a run that is folded keeps its place as a space. */
    GString *v = g_string_new("a");
    for (guint i = 0; i < 80; i++)
        g_string_append_c(v, 'b');
    g_string_append(v, "\r\nc");
    g_autofree char *long_one = ms_message_fold_field("Subject", v->str, "\r\n");
    g_autofree char *want = g_strdup_printf("Subject: %s\r\n  c", v->str);
    *strstr(want, "\r\n") = '\0';
    g_autofree char *expect = g_strconcat(want, "\r\n  c", NULL);
    MS_ASSERT_STR(long_one, expect);
    g_string_free(v, TRUE);
    /* A hard break (998) inside one long word, after a long name: each
     * line is exactly 998 until the last. */
    GString *huge = g_string_new(NULL);
    for (guint i = 0; i < 2100; i++)
        g_string_append_c(huge, (char) ('a' + i % 26));
    g_autofree char *hf = ms_message_fold_field("X-Long-Field-Name", huge->str, "\r\n");
    g_auto(GStrv) lines = g_strsplit(hf, "\r\n", -1);
    CU_ASSERT_EQUAL(g_strv_length(lines), 3);
    CU_ASSERT_EQUAL(strlen(lines[0]), 998);
    CU_ASSERT_EQUAL(strlen(lines[1]), 998);
    CU_ASSERT_EQUAL(strlen(lines[2]), strlen("X-Long-Field-Name: ") + 2100 + 2 - 2 * 998);
    CU_ASSERT(lines[1][0] == ' ' && lines[2][0] == ' ');
    g_string_free(huge, TRUE);
}

static void seven_bit_rule(void)
{
    CU_ASSERT(ms_message_is_7bit("plain ASCII\r\n", 13));
    CU_ASSERT(!ms_message_is_7bit("caf\xc3\xa9", 5));
    CU_ASSERT(!ms_message_is_7bit("a\0b", 3));
    CU_ASSERT_EQUAL(ms_message_first_8bit("caf\xc3\xa9", 5), 3);
    CU_ASSERT_EQUAL(ms_message_first_8bit("cafe", 4), -1);
    /* Read a word at a time: a NUL, an octet of 128 or one of 255 at every
     * place of three words and a tail, alone and after an earlier one. */
    static const guchar odd[] = { 0x00, 0x80, 0xff };
    char text[27];
    for (gsize len = 0; len <= sizeof text; len++) {
        memset(text, 0x7f, sizeof text);
        CU_ASSERT_EQUAL(ms_message_first_8bit(text, len), -1);
        memset(text, 0x01, sizeof text);
        CU_ASSERT_EQUAL(ms_message_first_8bit(text, len), -1);
        for (gsize at = 0; at < len; at++) {
            for (guint k = 0; k < G_N_ELEMENTS(odd); k++) {
                memset(text, 'a' + (int) (at % 26), sizeof text);
                text[at] = (char) odd[k];
                CU_ASSERT_EQUAL(ms_message_first_8bit(text, len), (gssize) at);
                CU_ASSERT(!ms_message_is_7bit(text, len));
                if (at + 1 < len) {
                    text[len - 1] = (char) odd[(k + 1) % G_N_ELEMENTS(odd)];
                    CU_ASSERT_EQUAL(ms_message_first_8bit(text, len), (gssize) at);
                }
            }
        }
    }
    CU_ASSERT_EQUAL(ms_message_count_lines("a\r\nb", 4), 2);
    CU_ASSERT_EQUAL(ms_message_count_lines("a\r\nb\r\n", 6), 2);
    CU_ASSERT_EQUAL(ms_message_count_lines("", 0), 0);
}

static void dates_and_addresses(void)
{
    static const struct {
        gint64 t;
        const char *s;
    } dates[] = {
        { 1704067205, "Mon, 01 Jan 2024 00:00:05 +0000" },
        { 0, "Thu, 01 Jan 1970 00:00:00 +0000" },
        { 951782400, "Tue, 29 Feb 2000 00:00:00 +0000" }, /* a 400-year leap day */
        { -1, "Wed, 31 Dec 1969 23:59:59 +0000" },
        { 4102444799, "Thu, 31 Dec 2099 23:59:59 +0000" },
        { 1234567890, "Fri, 13 Feb 2009 23:31:30 +0000" },
        { 253402300799, "Fri, 31 Dec 9999 23:59:59 +0000" },
        { 253402300800, "Sat, 01 Jan 10000 00:00:00 +0000" }, /* past the digits written by hand */
        /* Before 1970 the time is moved on by whole eras of 400 years:
         * at an era's edge, and years 0 and -1, and the earliest time. */
        { G_GINT64_CONSTANT(-12622780800), "Thu, 01 Jan 1570 00:00:00 +0000" },
        { G_GINT64_CONSTANT(-12622780801), "Wed, 31 Dec 1569 23:59:59 +0000" },
        { G_GINT64_CONSTANT(-62135596800), "Mon, 01 Jan 0001 00:00:00 +0000" },
        { G_GINT64_CONSTANT(-62167219200), "Sat, 01 Jan 0000 00:00:00 +0000" },
        { G_GINT64_CONSTANT(-62167219201), "Fri, 31 Dec -001 23:59:59 +0000" },
        { G_MININT64, "Sun, 27 Jan -219246529 08:29:52 +0000" },
        { G_MAXINT64, "Sun, 04 Dec 219250468 15:30:07 +0000" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(dates); i++) {
        g_autofree char *d = ms_message_format_date(dates[i].t);
        MS_ASSERT_STR(d, dates[i].s);
    }
    g_autofree char *a1 = ms_message_addr_spec("Bob <bob@hamburger.edu>");
    MS_ASSERT_STR(a1, "bob@hamburger.edu");
    g_autofree char *a2 = ms_message_addr_spec("  bob@hamburger.edu ");
    MS_ASSERT_STR(a2, "bob@hamburger.edu");
    g_autofree char *a3 = ms_message_addr_spec("\"A <b>\" <c@d.e>");
    MS_ASSERT_STR(a3, "c@d.e");
}

/* ======================================================================
 * mail/mime
 * ==================================================================== */

static void content_type_parameters(void)
{
    const char *v = "Text/Plain (a comment); Charset=\"UTF-8\"; format=flowed;\r\n"
                    " title=\"a \\\"quoted\\\" one; really\"";
    g_autofree char *token = ms_mime_value_token(v);
    MS_ASSERT_STR(token, "text/plain");
    g_autofree char *cs = ms_mime_value_param(v, "CHARSET");
    MS_ASSERT_STR(cs, "UTF-8");
    g_autofree char *fmt = ms_mime_value_param(v, "format");
    MS_ASSERT_STR(fmt, "flowed");
    g_autofree char *title = ms_mime_value_param(v, "title");
    MS_ASSERT_STR(title, "a \"quoted\" one; really");
    g_autofree char *none = ms_mime_value_param(v, "boundary");
    CU_ASSERT_PTR_NULL(none);
    /* RFC 2231 3 and 4: continuations and charset'language'%XX. */
    const char *cd = "attachment; filename*0*=ISO-8859-1'fr'caf%E9; filename*1=\"-menu.txt\"";
    g_autofree char *fn = ms_mime_value_param(cd, "filename");
    MS_ASSERT_STR(fn, "caf\xc3\xa9-menu.txt");
    g_autofree char *disp = ms_mime_value_token(cd);
    MS_ASSERT_STR(disp, "attachment");
}

static void nested_multipart_tree(void)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autoptr(MsMessage) msg = parse_file("nested-multipart.eml", &data, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    g_autoptr(MsMimePart) root = ms_mime_parse(msg);
    MS_ASSERT_STR(ms_mime_part_type(root), "multipart/mixed");
    MS_ASSERT_STR(ms_mime_part_param(root, "boundary"), "outer boundary");
    CU_ASSERT_EQUAL(ms_mime_part_warnings(root)->len, 0);
    CU_ASSERT_EQUAL_FATAL(ms_mime_part_n_children(root), 4);

    const MsMimePart *alt = ms_mime_part_child(root, 0);
    MS_ASSERT_STR(ms_mime_part_type(alt), "multipart/alternative");
    CU_ASSERT_EQUAL_FATAL(ms_mime_part_n_children(alt), 2);
    const MsMimePart *text = ms_mime_part_child(alt, 0);
    CU_ASSERT_EQUAL(ms_mime_part_encoding(text), MS_TE_QUOTED_PRINTABLE);
    g_autoptr(GBytes) t = ms_mime_part_decode(text, NULL);
    const char *want = "Caf\xc3\xa9 au lait, s'il vous pla\xc3\xaet. A long line that was soft-broken.\r\n";
    CU_ASSERT(bytes_eq(t, want, strlen(want)));
    MS_ASSERT_STR(ms_mime_part_type(ms_mime_part_child(alt, 1)), "text/html");

    const MsMimePart *bin = ms_mime_part_child(root, 1);
    MS_ASSERT_STR(ms_mime_part_disposition(bin), "attachment");
    MS_ASSERT_STR(ms_mime_part_filename(bin), "data.bin");
    g_autoptr(GBytes) b = ms_mime_part_decode(bin, NULL);
    CU_ASSERT(bytes_eq(b, "foobar", 6));

    const MsMimePart *fwd = ms_mime_part_child(root, 2);
    MS_ASSERT_STR(ms_mime_part_type(fwd), "message/rfc822");
    CU_ASSERT_EQUAL_FATAL(ms_mime_part_n_children(fwd), 1);
    const MsMessage *inner = ms_mime_part_entity(ms_mime_part_child(fwd, 0));
    MS_ASSERT_STR(ms_message_get(inner, "Subject"), "forwarded");

    MS_ASSERT_STR(ms_mime_part_filename(ms_mime_part_child(root, 3)), "邮件.txt");

    /* Sizes, counted by hand from the file: the QP text is 79 octets on
     * the wire and 68 decoded (two "=XX" pairs give one octet each less 2,
     * "=C3=A9"/"=C3=AE" are 12 characters for 4 octets, the soft break
     * "=\r\n" 3 for none); the html 28; "Zm9vYmFy\r\n" 10 for "foobar";
     * the forwarded message 59 of which the body "inner body" is 10; the
     * last part "attached text" 13.  The CRLF before each delimiter is not
     * part of the body (RFC 2046 5.1.1). */
    g_autofree char *tree = ms_mime_describe(root);
    MS_ASSERT_STR(tree,
                  "multipart/mixed\n"
                  "  multipart/alternative\n"
                  "    text/plain; charset=UTF-8 (quoted-printable, 68 bytes, 79 encoded)\n"
                  "    text/html; charset=UTF-8 (7bit, 28 bytes)\n"
                  "  application/octet-stream (base64, 6 bytes, 10 encoded) attachment \"data.bin\"\n"
                  "  message/rfc822 (7bit, 59 bytes)\n"
                  "    text/plain; charset=us-ascii (7bit, 10 bytes)\n"
                  "  text/plain (7bit, 13 bytes) attachment \"邮件.txt\"\n");
}

static void multipart_missing_close(void)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autoptr(MsMessage) msg = parse_file("missing-close.eml", &data, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    g_autoptr(MsMimePart) root = ms_mime_parse(msg);
    CU_ASSERT_EQUAL_FATAL(ms_mime_part_n_children(root), 2);
    CU_ASSERT_EQUAL(ms_mime_part_warnings(root)->len, 1);
    const MsMimePart *second = ms_mime_part_child(root, 1);
    /* RFC 2046 5.1.1: a part with no header fields is text/plain. */
    MS_ASSERT_STR(ms_mime_part_type(second), "text/plain");
    g_autoptr(GBytes) body = ms_mime_part_decode(second, NULL);
    const char *want = "second part has no header and the close delimiter is missing\n";
    CU_ASSERT(bytes_eq(body, want, strlen(want)));

    /* A multipart without a boundary is a leaf with a warning. */
    const char *nob = "Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\nhi\r\n--x--\r\n";
    g_autoptr(MsMessage) m2 = ms_message_parse(nob, strlen(nob), NULL);
    g_autoptr(MsMimePart) r2 = ms_mime_parse(m2);
    CU_ASSERT_EQUAL(ms_mime_part_n_children(r2), 0);
    CU_ASSERT_EQUAL(ms_mime_part_warnings(r2)->len, 1);
}

static MsMessageDraft base_draft(void)
{
    static const char *const to[] = { "Bob <bob@hamburger.edu>", NULL };
    MsMessageDraft d = { 0 };
    d.from = "Alice <alice@crepes.fr>";
    d.to = to;
    d.subject = "Ketchup";
    d.date = 1704067205;
    d.message_id = "<1.0@crepes.fr>";
    d.text = "Do you like ketchup?\nHow about pickles?\n";
    return d;
}

static void compose_plain(void)
{
    MsMessageDraft d = base_draft();
    g_autoptr(GError) err = NULL;
    g_autoptr(MsMessage) msg = ms_message_compose(&d, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    /* US-ASCII text: RFC 2045 5.2 defaults, no MIME fields needed. */
    const char *want = "Date: Mon, 01 Jan 2024 00:00:05 +0000\r\n"
                       "From: Alice <alice@crepes.fr>\r\n"
                       "To: Bob <bob@hamburger.edu>\r\n"
                       "Subject: Ketchup\r\n"
                       "Message-ID: <1.0@crepes.fr>\r\n"
                       "\r\n"
                       "Do you like ketchup?\r\nHow about pickles?\r\n";
    g_autoptr(GBytes) out = ms_message_to_bytes(msg);
    CU_ASSERT(bytes_eq(out, want, strlen(want)));

    d.from = NULL;
    g_autoptr(MsMessage) none = ms_message_compose(&d, &err);
    CU_ASSERT_PTR_NULL(none);
    CU_ASSERT(g_error_matches(err, MS_ERROR, MS_ERROR_PARSE));
}

/* ms_message_compose_bytes() writes the plain form straight to bytes and
 * leaves the rest to ms_message_compose(): for drafts on either side of
 * every test the shortcut makes, the bytes must be those of the message. */
static void compose_bytes_matches_message(void)
{
    static const char *const bare[] = { "bob@hamburger.edu", "carol@hamburger.edu", NULL };
    static const char *const one[] = { "bob@hamburger.edu", NULL };
    static const char *const padded[] = { " bob@hamburger.edu\t", NULL };
    static const char *const named[] = { "Bob <bob@hamburger.edu>", NULL };
    static const char *const ew[] = { "=?x?@hamburger.edu", NULL };
    static const char *const broken[] = { "bob@ham\r\nburger.edu", NULL };
    static const char *const empty[] = { "", NULL };
    static const char *const none[] = { NULL };
    /* 2 + 2 + 74 columns: a To: field of exactly 78, then one of 79. */
    static const char *const at_width[] = {
        "a123456789012345678901234567890123456@x.edu",
        "b23456789012345678901234567@x.edu", NULL };
    static const char *const past_width[] = {
        "a123456789012345678901234567890123456@x.edu",
        "b234567890123456789012345678@x.edu", NULL };
    static const MsAttachment file = { .filename = "a.txt", .content_type = "text/plain" };
    MsMessageDraft drafts[24];
    guint n = 0;
    MsMessageDraft d = base_draft();
    d.from = "alice@crepes.fr";
    d.to = bare;
    drafts[n++] = d; /* the plain form */
    d.text = "";
    drafts[n++] = d; /* no text at all */
    d.text = "\nCRLF\r\nLF\nlone CR\r and\n\n\r\nno end";
    drafts[n++] = d;
    d = drafts[0];
    d.cc = one;
    d.bcc = one;
    d.in_reply_to = "<0.0@hamburger.edu>";
    d.references = "<0.0@hamburger.edu>";
    drafts[n++] = d;
    d.subject = NULL;
    d.message_id = NULL;
    d.to = none;
    d.cc = NULL;
    drafts[n++] = d;
    d = drafts[0];
    d.to = at_width;
    drafts[n++] = d;
    d.to = past_width;
    drafts[n++] = d;
    d = drafts[0];
    d.to = padded;
    drafts[n++] = d;
    d.to = named;
    drafts[n++] = d;
    d.to = ew;
    drafts[n++] = d;
    d.to = broken;
    drafts[n++] = d;
    d.to = empty;
    drafts[n++] = d;
    d = drafts[0];
    d.from = "Alice <alice@crepes.fr>";
    drafts[n++] = d;
    d = drafts[0];
    d.subject = "=?utf-8?q?x?=";
    drafts[n++] = d;
    d.subject = "Gr\u00fc\u00dfe";
    drafts[n++] = d;
    d.subject = " Ketchup";
    drafts[n++] = d;
    d.subject = "";
    drafts[n++] = d;
    d.subject = "A subject long enough that it has to be folded before the seventy-eighth "
                "column of its line";
    drafts[n++] = d;
    d = drafts[0];
    d.text = "Gr\u00fc\u00dfe";
    drafts[n++] = d;
    d = drafts[0];
    d.html = "<p>hi</p>";
    drafts[n++] = d;
    d = drafts[0];
    d.charset = "us-ascii";
    drafts[n++] = d;
    d = drafts[0];
    d.text_encoding = MS_TE_BASE64;
    drafts[n++] = d;
    d = drafts[0];
    d.attachments = &file;
    d.n_attachments = 1;
    drafts[n++] = d;
    d = drafts[0];
    d.raw_8bit = TRUE;
    drafts[n++] = d;
    g_assert(n <= G_N_ELEMENTS(drafts));
    for (guint i = 0; i < n; i++) {
        g_autoptr(MsMessage) msg = ms_message_compose(&drafts[i], NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
        g_autoptr(GBytes) want = ms_message_to_bytes(msg);
        g_autoptr(GBytes) got = ms_message_compose_bytes(&drafts[i], NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(got);
        if (!g_bytes_equal(got, want))
            fprintf(stderr, "draft %u: compose_bytes differs\n", i);
        CU_ASSERT(g_bytes_equal(got, want));
    }

    /* The shortcut's own bytes, spelled out once. */
    g_autoptr(GBytes) plain = ms_message_compose_bytes(&drafts[0], NULL);
    const char *want = "Date: Mon, 01 Jan 2024 00:00:05 +0000\r\n"
                       "From: alice@crepes.fr\r\n"
                       "To: bob@hamburger.edu, carol@hamburger.edu\r\n"
                       "Subject: Ketchup\r\n"
                       "Message-ID: <1.0@crepes.fr>\r\n"
                       "\r\n"
                       "Do you like ketchup?\r\nHow about pickles?\r\n";
    CU_ASSERT(bytes_eq(plain, want, strlen(want)));

    /* Its errors are ms_message_compose()'s. */
    d = drafts[0];
    d.from = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GBytes) nofrom = ms_message_compose_bytes(&d, &err);
    CU_ASSERT_PTR_NULL(nofrom);
    CU_ASSERT(g_error_matches(err, MS_ERROR, MS_ERROR_PARSE));
}

/* RFC 5322 2.1.1: a line MUST be no longer than 998 characters.  A text
 * with a longer line (a browser's one-paragraph body) is sent as
 * quoted-printable, whose soft line breaks (RFC 2045 6.7 (5)) keep every
 * line within 76 and decode to the text again; a line of exactly 998 and
 * shorter texts stay plain, byte for byte. */
static void compose_long_line_as_quoted_printable(void)
{
    static const char *const one[] = { "bob@hamburger.edu", NULL };
    g_autofree char *line998 = g_strnfill(998, 'a');
    g_autofree char *line999 = g_strnfill(999, 'b');
    g_autofree char *big = g_strnfill(3000, 'c');
    g_autofree char *mixed = g_strconcat("short\r\n", big, "\nend\n", NULL);
    g_autofree char *crlf998 = g_strconcat(line998, "\r\n", line998, NULL);
    const struct {
        const char *text;
        gboolean qp;
    } cases[] = {
        { line998, FALSE }, { crlf998, FALSE }, { line999, TRUE }, { big, TRUE }, { mixed, TRUE },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        MsMessageDraft d = base_draft();
        d.from = "alice@crepes.fr";
        d.to = one;
        d.text = cases[i].text;
        g_autoptr(MsMessage) msg = ms_message_compose(&d, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
        g_autoptr(GBytes) want = ms_message_to_bytes(msg);
        g_autoptr(GBytes) got = ms_message_compose_bytes(&d, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(got);
        CU_ASSERT(g_bytes_equal(got, want));
        gsize len = 0;
        const char *bytes = g_bytes_get_data(got, &len);
        g_autofree char *copy = g_strndup(bytes, len);
        const char *body = strstr(copy, "\r\n\r\n");
        CU_ASSERT_PTR_NOT_NULL_FATAL(body);
        body += 4;
        gboolean qp = strstr(copy, "\r\nContent-Transfer-Encoding: quoted-printable\r\n") != NULL;
        CU_ASSERT_EQUAL(qp, cases[i].qp);
        if (!cases[i].qp) {
            CU_ASSERT_PTR_NULL(strstr(copy, "MIME-Version"));
            continue;
        }
        CU_ASSERT_PTR_NOT_NULL(strstr(copy, "\r\nMIME-Version: 1.0\r\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(copy, "\r\nContent-Type: text/plain; charset=us-ascii\r\n"));
        /* Every line of the message within 76 characters. */
        g_auto(GStrv) lines = g_strsplit(copy, "\r\n", -1);
        for (guint k = 0; lines[k] != NULL; k++)
            CU_ASSERT_TRUE(strlen(lines[k]) <= 76);
        /* Decoded, the text again, its line ends CRLF. */
        guint bad = 0;
        g_autoptr(GBytes) text = ms_qp_decode(body, strlen(body), &bad);
        CU_ASSERT_EQUAL(bad, 0);
        g_autoptr(GString) crlf = g_string_new(NULL);
        for (const char *p = cases[i].text; *p != '\0'; p++) {
            if (*p == '\n' && (p == cases[i].text || p[-1] != '\r'))
                g_string_append_c(crlf, '\r');
            g_string_append_c(crlf, *p);
        }
        if (crlf->len > 0 && crlf->str[crlf->len - 1] != '\n')
            g_string_append(crlf, "\r\n");
        gsize tlen = 0;
        const char *t = g_bytes_get_data(text, &tlen);
        CU_ASSERT_EQUAL(tlen, crlf->len);
        CU_ASSERT(tlen == crlf->len && memcmp(t, crlf->str, tlen) == 0);
    }
}

/* A year past 9999 is written in full, into the same room. */
static void format_date_to_any_year(void)
{
    char buf[MS_MESSAGE_DATE_SIZE];
    gsize n = ms_message_format_date_to(buf, 1704067205);
    MS_ASSERT_STR(buf, "Mon, 01 Jan 2024 00:00:05 +0000");
    CU_ASSERT_EQUAL(n, strlen(buf));
    g_autofree char *date = ms_message_format_date(1704067205);
    MS_ASSERT_STR(date, buf);
    /* 10000-01-01 00:00:00 UTC. */
    n = ms_message_format_date_to(buf, G_GINT64_CONSTANT(253402300800));
    MS_ASSERT_STR(buf, "Sat, 01 Jan 10000 00:00:00 +0000");
    CU_ASSERT_EQUAL(n, strlen(buf));
}

/* Bare addresses are written as they are (trimmed when they need it), and
 * the text's line ends all become CRLF whatever they were. */
static void compose_bare_addresses_and_line_ends(void)
{
    static const char *const to[] = { "bob@hamburger.edu", " carol@hamburger.edu\t", NULL };
    MsMessageDraft d = base_draft();
    d.from = "alice@crepes.fr";
    d.to = to;
    d.text = "\nCRLF\r\nLF\nlone CR\r and\n\n\r\nno end";
    g_autoptr(MsMessage) msg = ms_message_compose(&d, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    const char *want = "Date: Mon, 01 Jan 2024 00:00:05 +0000\r\n"
                       "From: alice@crepes.fr\r\n"
                       "To: bob@hamburger.edu, carol@hamburger.edu\r\n"
                       "Subject: Ketchup\r\n"
                       "Message-ID: <1.0@crepes.fr>\r\n"
                       "\r\n"
                       "\r\nCRLF\r\nLF\r\nlone CR\r and\r\n\r\n\r\nno end\r\n";
    g_autoptr(GBytes) out = ms_message_to_bytes(msg);
    CU_ASSERT(bytes_eq(out, want, strlen(want)));
}

/* RFC 5322 3.4: a display name is a phrase: atoms as they are, anything
 * else quoted (with '"' and '\\' escaped), non-ASCII as RFC 2047 words,
 * never inside quotes; the envelope takes the addresses only. */
static void compose_display_names(void)
{
    static const char *const to[] = { "Bob Smith <bob@hamburger.edu>",
                                      "Smith, Carol <carol@hamburger.edu>",
                                      "\"Already, quoted\" <dave@hamburger.edu>",
                                      "Say \"hi\" <eve@hamburger.edu>", NULL };
    static const char *const cc[] = { "\"\u5f20\u4e09\" <zhang@hamburger.edu>", NULL };
    MsMessageDraft d = base_draft();
    d.from = "Dr. Alice <alice@crepes.fr>";
    d.to = to;
    d.cc = cc;
    g_autoptr(MsMessage) msg = ms_message_compose(&d, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    MS_ASSERT_STR(ms_message_get(msg, "From"), "\"Dr. Alice\" <alice@crepes.fr>");
    /* The field is folded at 78 columns; unfolded it reads: */
    g_autofree char *field = g_strdup(ms_message_get(msg, "To"));
    g_auto(GStrv) parts = g_strsplit(field, "\r\n", -1);
    g_autofree char *unfolded = g_strjoinv("", parts);
    MS_ASSERT_STR(unfolded, "Bob Smith <bob@hamburger.edu>, \"Smith, Carol\" "
                            "<carol@hamburger.edu>, \"Already, quoted\" <dave@hamburger.edu>, "
                            "\"Say \\\"hi\\\"\" <eve@hamburger.edu>");
    MS_ASSERT_STR(ms_message_get(msg, "Cc"), "=?UTF-8?B?5byg5LiJ?= <zhang@hamburger.edu>");
    g_auto(GStrv) rcpt = ms_message_draft_recipients(&d);
    CU_ASSERT_EQUAL_FATAL(g_strv_length(rcpt), 5);
    MS_ASSERT_STR(rcpt[0], "bob@hamburger.edu");
    MS_ASSERT_STR(rcpt[1], "carol@hamburger.edu");
    MS_ASSERT_STR(rcpt[3], "eve@hamburger.edu");
    MS_ASSERT_STR(rcpt[4], "zhang@hamburger.edu");
}

static void compose_bcc_absent(void)
{
    static const char *const cc[] = { "carol@hamburger.edu", "bob@hamburger.edu", NULL };
    static const char *const bcc[] = { "Eve <eve@crepes.fr>", NULL };
    MsMessageDraft d = base_draft();
    d.cc = cc;
    d.bcc = bcc;
    g_autoptr(MsMessage) msg = ms_message_compose(&d, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    CU_ASSERT_PTR_NULL(ms_message_get(msg, "Bcc"));
    MS_ASSERT_STR(ms_message_get(msg, "Cc"), "carol@hamburger.edu, bob@hamburger.edu");
    g_autoptr(GBytes) out = ms_message_to_bytes(msg);
    g_autofree char *text = g_strndup(g_bytes_get_data(out, NULL), g_bytes_get_size(out));
    CU_ASSERT_PTR_NULL(strstr(text, "eve@crepes.fr"));
    /* ... but Eve is still an envelope recipient, once per address. */
    g_auto(GStrv) rcpts = ms_message_draft_recipients(&d);
    CU_ASSERT_EQUAL_FATAL(g_strv_length(rcpts), 3);
    MS_ASSERT_STR(rcpts[0], "bob@hamburger.edu");
    MS_ASSERT_STR(rcpts[1], "carol@hamburger.edu");
    MS_ASSERT_STR(rcpts[2], "eve@crepes.fr");
}

static void compose_non_ascii(void)
{
    static const char *const to[] = { "李雷 <li@hamburger.edu>", NULL };
    MsMessageDraft d = base_draft();
    d.to = to;
    d.subject = "邮件测试";
    d.text = "你好，Bob!\n";
    g_autoptr(MsMessage) msg = ms_message_compose(&d, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    g_autoptr(GBytes) out = ms_message_to_bytes(msg);
    /* Everything on the wire is 7-bit: that is the point of MIME. */
    CU_ASSERT(ms_message_is_7bit(g_bytes_get_data(out, NULL), g_bytes_get_size(out)));
    g_autofree char *subject = ms_message_get_decoded(msg, "Subject");
    MS_ASSERT_STR(subject, "邮件测试");
    g_autofree char *to_dec = ms_message_get_decoded(msg, "To");
    MS_ASSERT_STR(to_dec, "李雷 <li@hamburger.edu>");
    MS_ASSERT_STR(ms_message_get(msg, "MIME-Version"), "1.0");
    MS_ASSERT_STR(ms_message_get(msg, "Content-Transfer-Encoding"), "quoted-printable");
    g_autoptr(MsMimePart) root = ms_mime_parse(msg);
    MS_ASSERT_STR(ms_mime_part_param(root, "charset"), "UTF-8");
    g_autoptr(GBytes) body = ms_mime_part_decode(root, NULL);
    CU_ASSERT(bytes_eq(body, "你好，Bob!\r\n", strlen("你好，Bob!\r\n")));

    /* A long non-ASCII subject: several words, each line <= 76 (RFC 2047
     * 2), the field exactly the encoder's folding of the subject after
     * "Subject: ". */
    MsMessageDraft ls = base_draft();
    ls.subject = "邮件测试 — a fairly long subject line that needs more than one encoded word";
    g_autoptr(MsMessage) lmsg = ms_message_compose(&ls, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(lmsg);
    gsize rlen = 0;
    const char *raw = ms_message_field_raw(lmsg, 3, &rlen);
    g_autofree char *words = ms_rfc2047_encode(ls.subject, MS_EW_AUTO, strlen("Subject: "));
    g_autofree char *want_raw = g_strconcat("Subject: ", words, "\r\n", NULL);
    CU_ASSERT(rlen == strlen(want_raw) && memcmp(raw, want_raw, rlen) == 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(want_raw, "?=\r\n =?"));
    CU_ASSERT(lines_within(want_raw, 76));
    g_autofree char *ldec = ms_message_get_decoded(lmsg, "Subject");
    MS_ASSERT_STR(ldec, ls.subject);

    /* base64 on request; 7bit refused for non-ASCII text. */
    d.text_encoding = MS_TE_BASE64;
    g_autoptr(MsMessage) b64 = ms_message_compose(&d, NULL);
    MS_ASSERT_STR(ms_message_get(b64, "Content-Transfer-Encoding"), "base64");
    g_autoptr(MsMimePart) r64 = ms_mime_parse(b64);
    g_autoptr(GBytes) body64 = ms_mime_part_decode(r64, NULL);
    CU_ASSERT(g_bytes_equal(body, body64));
    d.text_encoding = MS_TE_7BIT;
    g_autoptr(GError) err = NULL;
    g_autoptr(MsMessage) bad = ms_message_compose(&d, &err);
    CU_ASSERT_PTR_NULL(bad);
    CU_ASSERT(g_error_matches(err, MS_ERROR, MS_ERROR_PARSE));

    /* Another charset: the text is converted (é is E9 in Latin-1). */
    MsMessageDraft l1 = base_draft();
    l1.text = "café\n";
    l1.charset = "ISO-8859-1";
    g_autoptr(MsMessage) latin = ms_message_compose(&l1, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(latin);
    g_autoptr(GBytes) lb = ms_message_body(latin);
    CU_ASSERT(bytes_eq(lb, "caf=E9\r\n", 8));
    l1.text = "邮件\n";
    g_autoptr(GError) err2 = NULL;
    g_autoptr(MsMessage) nolatin = ms_message_compose(&l1, &err2);
    CU_ASSERT_PTR_NULL(nolatin);
}

static void compose_raw_8bit(void)
{
    MsMessageDraft d = base_draft();
    d.text = "Ça va?\n";
    d.raw_8bit = TRUE;
    g_autoptr(MsMessage) msg = ms_message_compose(&d, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    CU_ASSERT_PTR_NULL(ms_message_get(msg, "MIME-Version"));
    CU_ASSERT_PTR_NULL(ms_message_get(msg, "Content-Type"));
    g_autoptr(GBytes) body = ms_message_body(msg);
    CU_ASSERT(bytes_eq(body, "Ça va?\r\n", strlen("Ça va?\r\n")));
    CU_ASSERT(!ms_message_is_7bit(g_bytes_get_data(body, NULL), g_bytes_get_size(body)));
}

/* RFC 6152 3: 8-bit MIME text becomes quoted-printable, a multipart
 * labelled 8bit is relabelled 7bit, everything else stays byte for byte. */
static void downgrade_converts_mime_text(void)
{
    const char *in = "From: a@b\r\nMIME-Version: 1.0\r\n"
                     "Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
                     "Content-Transfer-Encoding: 8bit\r\n\r\n"
                     "preamble\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\n"
                     "Content-Transfer-Encoding: 8bit\r\n\r\nCr\xc3\xaapes\r\n"
                     "--XX\r\nContent-Type: application/octet-stream\r\n\r\n\xff\x01\r\n"
                     "--XX\r\nContent-Type: text/plain\r\n\r\nplain ascii\r\n"
                     "--XX--\r\nepilogue\r\n";
    g_autoptr(GBytes) data = g_bytes_new(in, strlen(in));
    g_autofree char *how = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) out = ms_message_downgrade(data, &how, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    gsize len = 0;
    const char *text = g_bytes_get_data(out, &len);
    CU_ASSERT_TRUE(ms_message_is_7bit(text, len));
    CU_ASSERT_STRING_EQUAL(how, "quoted-printable and base64");
    g_autofree char *s = g_strndup(text, len);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "Content-Transfer-Encoding: 7bit\r\n\r\npreamble\r\n--XX\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                                     "Cr=C3=AApes\r\n--XX\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "Content-Transfer-Encoding: base64\r\n\r\n/wE=\r\n--XX\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "\r\n\r\nplain ascii\r\n--XX--\r\nepilogue\r\n"));
    /* What it says decodes back to what was written. */
    g_autoptr(MsMessage) msg = ms_message_parse_bytes(out, NULL);
    g_autoptr(MsMimePart) root = ms_mime_parse(msg);
    CU_ASSERT_EQUAL_FATAL(ms_mime_part_n_children(root), 3);
    g_autoptr(GBytes) first = ms_mime_part_decode(ms_mime_part_child(root, 0), NULL);
    CU_ASSERT(bytes_eq(first, "Cr\xc3\xaapes", 7));
    /* A 7-bit message comes back unchanged. */
    const char *plain = "From: a@b\r\n\r\nhello\r\n";
    g_autoptr(GBytes) p = g_bytes_new(plain, strlen(plain));
    g_autoptr(GBytes) same = ms_message_downgrade(p, NULL, NULL);
    CU_ASSERT_TRUE(g_bytes_equal(p, same));
}

/* Raw 8-bit text names no charset, and 8-bit header text would need words
 * only the author can write: neither can be converted. */
static void downgrade_refuses_what_it_cannot_convert(void)
{
    const char *raw = "From: a@b\r\nSubject: x\r\n\r\nCr\xc3\xaapes\r\n";
    g_autoptr(GBytes) a = g_bytes_new(raw, strlen(raw));
    g_autoptr(GError) error = NULL;
    CU_ASSERT_PTR_NULL(ms_message_downgrade(a, NULL, &error));
    CU_ASSERT_PTR_NOT_NULL_FATAL(error);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "character set"));
    const char *header = "From: a@b\r\nSubject: Cr\xc3\xaapes\r\nMIME-Version: 1.0\r\n\r\nx\r\n";
    g_autoptr(GBytes) b = g_bytes_new(header, strlen(header));
    g_autoptr(GError) error2 = NULL;
    CU_ASSERT_PTR_NULL(ms_message_downgrade(b, NULL, &error2));
    CU_ASSERT_PTR_NOT_NULL_FATAL(error2);
    CU_ASSERT_PTR_NOT_NULL(strstr(error2->message, "Subject"));
}

/* RFC 2046 4.1.1, 4.1.2: a text attachment names its charset and its
 * base64 encodes CRLF line ends. */
static void compose_text_attachment_charset_and_crlf(void)
{
    g_autoptr(GBytes) menu = g_bytes_new("cr\xc3\xaapes\nwaffles\n", 16);
    const MsAttachment atts[] = { { "menu.txt", "text/plain", menu } };
    MsMessageDraft d = base_draft();
    d.attachments = atts;
    d.n_attachments = 1;
    g_autoptr(MsMessage) msg = ms_message_compose(&d, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    g_autoptr(MsMimePart) root = ms_mime_parse(msg);
    CU_ASSERT_EQUAL_FATAL(ms_mime_part_n_children(root), 2);
    const MsMimePart *att = ms_mime_part_child(root, 1);
    CU_ASSERT_STRING_EQUAL(ms_mime_part_param(att, "charset"), "utf-8");
    g_autoptr(GBytes) decoded = ms_mime_part_decode(att, NULL);
    CU_ASSERT(bytes_eq(decoded, "cr\xc3\xaapes\r\nwaffles\r\n", 18));
    g_autoptr(GBytes) ascii = g_bytes_new("abc", 3);
    g_autoptr(GBytes) latin = g_bytes_new("\xe9t\xe9", 3);
    CU_ASSERT_STRING_EQUAL(ms_mime_guess_charset(ascii), "us-ascii");
    CU_ASSERT_STRING_EQUAL(ms_mime_guess_charset(latin), "unknown-8bit");
}

static void compose_multipart_parses_back(void)
{
    guint8 blob[3000];
    for (guint i = 0; i < sizeof blob; i++)
        blob[i] = (guint8) (i * 31 + 7);
    g_autoptr(GBytes) pdf = g_bytes_new(blob, sizeof blob);
    g_autoptr(GBytes) png = g_bytes_new("\x89PNG\r\n", 6);
    const MsAttachment atts[] = {
        { "menu.pdf", "application/pdf", pdf },
        { "crêpe photo.png", "image/png", png },
    };
    MsMessageDraft d = base_draft();
    d.text = "Le menu est joint.\nÀ bientôt\n";
    d.html = "<p>Le menu est joint.</p>\n";
    d.attachments = atts;
    d.n_attachments = G_N_ELEMENTS(atts);
    g_autoptr(MsMessage) msg = ms_message_compose(&d, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    g_autoptr(GBytes) wire = ms_message_to_bytes(msg);
    CU_ASSERT(ms_message_is_7bit(g_bytes_get_data(wire, NULL), g_bytes_get_size(wire)));
    CU_ASSERT(lines_within(g_bytes_get_data(wire, NULL), 78));

    /* Parse the bytes afresh, as the receiving side would. */
    g_autoptr(MsMessage) back = ms_message_parse_bytes(wire, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    CU_ASSERT_EQUAL(ms_message_warnings(back)->len, 0);
    g_autoptr(MsMimePart) root = ms_mime_parse(back);
    MS_ASSERT_STR(ms_mime_part_type(root), "multipart/mixed");
    CU_ASSERT_EQUAL(ms_mime_part_warnings(root)->len, 0);
    CU_ASSERT_EQUAL_FATAL(ms_mime_part_n_children(root), 3);
    const MsMimePart *alt = ms_mime_part_child(root, 0);
    MS_ASSERT_STR(ms_mime_part_type(alt), "multipart/alternative");
    CU_ASSERT_EQUAL_FATAL(ms_mime_part_n_children(alt), 2);
    g_autoptr(GBytes) text = ms_mime_part_decode(ms_mime_part_child(alt, 0), NULL);
    const char *want_text = "Le menu est joint.\r\nÀ bientôt\r\n";
    CU_ASSERT(bytes_eq(text, want_text, strlen(want_text)));
    g_autoptr(GBytes) html = ms_mime_part_decode(ms_mime_part_child(alt, 1), NULL);
    CU_ASSERT(bytes_eq(html, "<p>Le menu est joint.</p>\r\n", 27));
    for (guint i = 0; i < 2; i++) {
        const MsMimePart *a = ms_mime_part_child(root, i + 1);
        MS_ASSERT_STR(ms_mime_part_type(a), atts[i].content_type);
        MS_ASSERT_STR(ms_mime_part_disposition(a), "attachment");
        MS_ASSERT_STR(ms_mime_part_filename(a), atts[i].filename);
        CU_ASSERT_EQUAL(ms_mime_part_encoding(a), MS_TE_BASE64);
        g_autoptr(GBytes) data = ms_mime_part_decode(a, NULL);
        CU_ASSERT(data != NULL && g_bytes_equal(data, atts[i].data));
    }
    /* The 3000-octet attachment: 4106 octets of base64 with line breaks,
     * less the last CRLF, which belongs to the next delimiter (RFC 2046
     * 5.1.1): 4104 on the wire. */
    CU_ASSERT_EQUAL(ms_message_body_bytes_count(ms_mime_part_entity(ms_mime_part_child(root, 1))),
                    4104);

    /* Same draft, same bytes; boundaries follow the Message-ID. */
    g_autoptr(MsMessage) again = ms_message_compose(&d, NULL);
    g_autoptr(GBytes) wire2 = ms_message_to_bytes(again);
    CU_ASSERT(g_bytes_equal(wire, wire2));
    d.message_id = "<2.0@crepes.fr>";
    g_autoptr(MsMessage) other = ms_message_compose(&d, NULL);
    g_autoptr(MsMimePart) oroot = ms_mime_parse(other);
    CU_ASSERT_STRING_NOT_EQUAL(ms_mime_part_param(oroot, "boundary"),
                               ms_mime_part_param(root, "boundary"));
}

static void compose_boundary_avoids_content(void)
{
    /* A 7bit text that happens to contain the first boundary candidate. */
    MsMessageDraft d = base_draft();
    d.html = "<p>x</p>";
    d.charset = "UTF-8";
    g_autoptr(MsMessage) first = ms_message_compose(&d, NULL);
    g_autoptr(MsMimePart) r1 = ms_mime_parse(first);
    g_autofree char *text = g_strdup_printf("--%s\n", ms_mime_part_param(r1, "boundary"));
    d.text = text;
    g_autoptr(MsMessage) msg = ms_message_compose(&d, NULL);
    g_autoptr(MsMimePart) root = ms_mime_parse(msg);
    CU_ASSERT_STRING_NOT_EQUAL(ms_mime_part_param(root, "boundary"), ms_mime_part_param(r1, "boundary"));
    CU_ASSERT_EQUAL_FATAL(ms_mime_part_n_children(root), 2);
    g_autoptr(GBytes) t = ms_mime_part_decode(ms_mime_part_child(root, 0), NULL);
    g_autofree char *want = g_strdup_printf("--%s\r\n", ms_mime_part_param(r1, "boundary"));
    CU_ASSERT(bytes_eq(t, want, strlen(want)));
}

/* Field names match without regard to the case of letters, and only of
 * letters: '@' and '`' differ in the bit that makes 'A' 'a'. */
static void peek_field_name_case(void)
{
    const char *text = "X-A@: 1\r\nx-a`: 2\r\nMESSAGE-id: <m@x>\r\n[: 3\r\n\r\nbody\r\n";
    g_autoptr(GBytes) bytes = g_bytes_new_static(text, strlen(text));
    g_autoptr(MsMessage) msg = ms_message_parse(text, strlen(text), NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    static const char *const names[] = { "x-a@", "X-A`", "Message-ID", "{", "[", "X-A" };
    static const char *const want[] = { "1", "2", "<m@x>", NULL, "3", NULL };
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *got = ms_message_peek_field(bytes, names[i]);
        CU_ASSERT_STRING_EQUAL(got != NULL ? got : "(null)",
                               want[i] != NULL ? want[i] : "(null)");
        const char *parsed = ms_message_get(msg, names[i]);
        CU_ASSERT_STRING_EQUAL(parsed != NULL ? parsed : "(null)",
                               want[i] != NULL ? want[i] : "(null)");
    }
}

/* A peek does not measure every line's name once it has read a good
 * field; with no empty line after the header that is not enough (a line
 * that is no field starts the body), and it reads every line again. */
static void peek_without_separator(void)
{
    static const char *const texts[] = {
        "A: 1\r\nB: 2\r\nnot a field\r\nMessage-ID: <b@x>\r\n",
        "A: 1\r\nB: 2\r\nMessage-ID: <h@x>\r\nSubject: s",
        "A: 1\r\n\tfolded\r\nB: 2\r\n(no field)\r\n\r\nMessage-ID: <b@x>\r\n",
        "A: 1\r\nB: 2\r\nC\0: 3\r\nMessage-ID: <h@x>\r\n\r\nbody\r\n",
        "A: 1\r\nB: 2\r\nC: \0\r\n\r\nMessage-ID: <b@x>\r\n",
        /* Lines whose first octet shares its low five bits with a name's
         * first letter ('-' with 'M', '3' with 'S') without being it: read
         * in full, as fields and as lines that are none. */
        "A: 1\r\n-no field\r\nMessage-ID: <b@x>\r\n",
        "A: 1\r\n-x: 9\r\nMessage-ID: <h@x>\r\n\r\nbody\r\n",
        "A: 1\r\n3 no field\r\nSubject: s\r\n\r\nMessage-ID: <b@x>\r\n",
    };
    static const gsize lens[] = { 0, 0, 0, 46, 39, 0, 0, 0 };
    for (guint i = 0; i < G_N_ELEMENTS(texts); i++) {
        gsize len = lens[i] != 0 ? lens[i] : strlen(texts[i]);
        g_autoptr(GBytes) bytes = g_bytes_new_static(texts[i], len);
        g_autoptr(MsMessage) msg = ms_message_parse(texts[i], len, NULL);
        static const char *const names[] = { "Message-ID", "Subject", "B" };
        for (guint k = 0; k < G_N_ELEMENTS(names); k++) {
            const char *want = msg != NULL ? ms_message_get(msg, names[k]) : NULL;
            g_autofree char *got = ms_message_peek_field(bytes, names[k]);
            CU_ASSERT_STRING_EQUAL(got != NULL ? got : "(null)", want != NULL ? want : "(null)");
        }
    }
    /* A line skimmed over starts the body, and a later line is measured
     * (it may be a field asked for) and found to be no field either. */
    const char *text = "A: 1\r\nnot a field\r\nMessage-ID: <b@x>\r\nm no field\r\n";
    g_autoptr(GBytes) bytes = g_bytes_new_static(text, strlen(text));
    static const char *const pair[] = { "Message-ID", "Mx" };
    char *got[2];
    CU_ASSERT(ms_message_peek_fields(bytes, pair, 2, got));
    CU_ASSERT_PTR_NULL(got[0]);
    CU_ASSERT_PTR_NULL(got[1]);
    g_free(got[0]);
    g_free(got[1]);
    g_autoptr(MsMessage) msg = ms_message_parse(text, strlen(text), NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    CU_ASSERT_PTR_NULL(ms_message_get(msg, "Message-ID"));
}

/* ms_message_peek_field() and ms_message_prepend_to_bytes() give what a
 * full parse gives, on the corpus and on inputs at the parser's edges. */
static void check_fast_paths(const char *data, gsize len, const char *what)
{
    g_autoptr(GBytes) bytes = g_bytes_new(data, len);
    g_autoptr(MsMessage) msg = ms_message_parse(data, len, NULL);
    static const char *const names[] = { "Message-ID", "subject", "X-Folded", "To", "Absent" };
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        const char *want = msg != NULL ? ms_message_get(msg, names[i]) : NULL;
        g_autofree char *got = ms_message_peek_field(bytes, names[i]);
        if (g_strcmp0(want, got) != 0)
            fprintf(stderr, "\n  %s: %s is \"%s\", parsed \"%s\"\n", what, names[i],
                    got != NULL ? got : "(null)", want != NULL ? want : "(null)");
        CU_ASSERT_STRING_EQUAL(got != NULL ? got : "(null)", want != NULL ? want : "(null)");
    }
    /* Several names in one pass: each what it gives alone, in any order. */
    static const char *const sets[][3] = {
        { "Message-ID", "subject", "Absent" },
        { "To", "X-Folded", "Message-ID" },
        { "Absent", "To", "subject" },
    };
    for (guint s = 0; s < G_N_ELEMENTS(sets); s++) {
        char *got[3];
        gboolean ok = ms_message_peek_fields(bytes, sets[s], 3, got);
        CU_ASSERT_EQUAL(ok, msg != NULL);
        for (guint i = 0; i < 3; i++) {
            const char *want = msg != NULL ? ms_message_get(msg, sets[s][i]) : NULL;
            CU_ASSERT_STRING_EQUAL(got[i] != NULL ? got[i] : "(null)",
                                   want != NULL ? want : "(null)");
            g_free(got[i]);
        }
    }
    /* Each value both ways: written as it is, folded at white space, and
     * folded where it breaks.  The last is too long for the field to be
     * written on the stack, where a prepend writes a short one. */
    static const char *const values[] = {
        "<a@b>", "from x (y)\nby z with ESMTP id 1;\nSat, 1 Jan 2000 00:00:00 +0000",
        " <spaced@b> ", "<a-long-return-path-of-a-mailing-list-bounce+alice=example.org@lists.example.com>",
        "from a-relay-with-a-long-name.example.org (a-relay-with-a-long-name.example.org "
        "[192.0.2.1])\nby another-relay-with-a-long-name.example.com (Postfix) with ESMTPS id "
        "0123456789ABCDEF\r for <alice@example.com>;\nSat, 1 Jan 2000 00:00:00 +0000 (UTC)",
    };
    for (guint k = 0; k < 2 * G_N_ELEMENTS(values); k++) {
        guint f = k % 2;
        const char *value = values[k / 2];
        g_autoptr(GBytes) got = ms_message_prepend_to_bytes(bytes, "Return-Path", value, f);
        CU_ASSERT_EQUAL(got == NULL, msg == NULL);
        if (got == NULL || msg == NULL)
            continue;
        g_autoptr(MsMessage) copy = ms_message_copy(msg);
        if (f)
            ms_message_prepend_folded(copy, "Return-Path", value);
        else
            ms_message_prepend(copy, "Return-Path", value);
        g_autoptr(GBytes) want = ms_message_to_bytes(copy);
        if (!g_bytes_equal(got, want))
            fprintf(stderr, "\n  %s: prepend differs from the parsed message's\n", what);
        CU_ASSERT(g_bytes_equal(got, want));

        /* The prepend that peeks on the way gives the same bytes, the
         * field the text has, and a line ending with which a second
         * prepend, made without reading the header, gives what one that
         * reads it gives. */
        g_autofree char *mid = NULL;
        const char *eol = NULL;
        g_autoptr(GBytes) peeked =
            ms_message_prepend_peek(bytes, "Return-Path", value, f, "Message-ID", &mid, &eol);
        CU_ASSERT(peeked != NULL && g_bytes_equal(peeked, want));
        const char *want_mid = ms_message_get(msg, "Message-ID");
        CU_ASSERT_STRING_EQUAL(mid != NULL ? mid : "(null)",
                               want_mid != NULL ? want_mid : "(null)");
        MS_ASSERT_STR(eol, ms_message_eol(msg));
        for (guint g = 0; g < 2 * G_N_ELEMENTS(values); g++) {
            const char *again_value = values[g / 2];
            g_autoptr(GBytes) again =
                ms_message_prepend_to_bytes(want, "X-Again", again_value, g % 2);
            g_autoptr(GBytes) known =
                ms_message_prepend_to_bytes_eol(want, "X-Again", again_value, g % 2, eol);
            CU_ASSERT(again != NULL && known != NULL && g_bytes_equal(again, known));
        }
    }
    /* What is not a message gives nothing to peek and no line ending. */
    if (msg == NULL) {
        static char stale[] = "stale";
        char *mid = stale; /* must come back NULL, not freed */
        const char *eol = stale;
        g_autoptr(GBytes) none =
            ms_message_prepend_peek(bytes, "Received", "x", TRUE, "Message-ID", &mid, &eol);
        CU_ASSERT_PTR_NULL(none);
        CU_ASSERT_PTR_NULL(mid);
        CU_ASSERT_PTR_NULL(eol);
    }
}

/* RFC 5322 2.2.3: a value is unfolded (CRLF or LF before white space
 * removed) and trimmed of spaces and tabs; a lone CR is part of it. */
static void peeked_values_exact(void)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        { "Subject:  one line \r\n\r\n", "one line" },
        { "Subject:one\n\n", "one" },
        { "Subject: a\r b \r\n\r\n", "a\r b" },
        { "Subject: \t \r\n\r\n", "" },
        { "Subject: x\r\n y\r\n\tz\r\n\r\n", "x y\tz" },
        { "Subject:\r\n folded first\n\n", "folded first" },
        { "Subject: last", "last" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GBytes) bytes = g_bytes_new_static(cases[i].text, strlen(cases[i].text));
        g_autofree char *got = ms_message_peek_field(bytes, "Subject");
        MS_ASSERT_STR(got, cases[i].want);
    }
}

/* A field added with a value that fits on its line is written without
 * folding it: the same bytes as folding, the same value as parsing them,
 * and the same again in a copy; values at the edges of that shortcut take
 * the folding path. */
static void added_fields_match_folding(void)
{
    g_autofree char *at_width = g_strnfill(MS_MESSAGE_LINE_SHOULD - strlen("Subject: "), 'w');
    g_autofree char *past_width = g_strnfill(MS_MESSAGE_LINE_SHOULD - strlen("Subject: ") + 1, 'w');
    g_autofree char *long_word = g_strnfill(1200, 'x');
    const char *const values[] = {
        "<1.1679572800@crepes.fr>", "a b  c\td", " leading", "trailing\t", "", " \t ",
        "line\r\nbreak", "lone\rcr", "lf\nonly", at_width, past_width, long_word,
        "many short words that go on past the end of the line and have to be folded",
        NULL,
    };
    for (guint eol = 0; eol < 2; eol++) {
        g_autoptr(MsMessage) msg = NULL;
        if (eol == 0) {
            msg = ms_message_new();
        } else {
            static const char lf[] = "X-First: lf\n\nbody\n";
            msg = ms_message_parse(lf, strlen(lf), NULL);
            CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
        }
        const char *ending = ms_message_eol(msg);
        guint first = ms_message_n_fields(msg);
        for (guint i = 0; i < G_N_ELEMENTS(values); i++)
            ms_message_add(msg, "Subject", values[i]);
        g_autoptr(MsMessage) copy = ms_message_copy(msg);
        g_autoptr(GBytes) wire = ms_message_to_bytes(msg);
        g_autoptr(MsMessage) parsed = ms_message_parse_bytes(wire, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(parsed);
        for (guint i = 0; i < G_N_ELEMENTS(values); i++) {
            g_autofree char *folded = ms_message_fold_field("Subject", values[i], ending);
            g_autofree char *want = g_strconcat(folded, ending, NULL);
            gsize len = 0;
            const char *raw = ms_message_field_raw(msg, first + i, &len);
            CU_ASSERT_EQUAL(len, strlen(want));
            CU_ASSERT(raw != NULL && strcmp(raw, want) == 0);
            MS_ASSERT_STR(ms_message_field_name(msg, first + i), "Subject");
            MS_ASSERT_STR(ms_message_field_value(msg, first + i),
                          ms_message_field_value(parsed, first + i));
            MS_ASSERT_STR(ms_message_field_name(copy, first + i), "Subject");
            MS_ASSERT_STR(ms_message_field_value(copy, first + i),
                          ms_message_field_value(msg, first + i));
            const char *copied = ms_message_field_raw(copy, first + i, &len);
            CU_ASSERT(copied != NULL && strcmp(copied, want) == 0);
        }
    }
}

static void fast_paths_match_parse(void)
{
    g_autoptr(GDir) dir = g_dir_open(DATA_DIR, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    const char *name;
    guint files = 0;
    while ((name = g_dir_read_name(dir)) != NULL) {
        if (!g_str_has_suffix(name, ".eml"))
            continue;
        g_autofree char *path = g_build_filename(DATA_DIR, name, NULL);
        g_autofree char *data = NULL;
        gsize len = 0;
        CU_ASSERT_FATAL(g_file_get_contents(path, &data, &len, NULL));
        check_fast_paths(data, len, name);
        files++;
    }
    CU_ASSERT(files >= 12);
    /* sizeof, not strlen: some of them hold a NUL. */
#define EDGE(s) { s, sizeof s - 1 }
    static const struct {
        const char *text;
        gsize len;
    } edges[] = {
        EDGE("Message-ID: <1@x>\r\nSubject: hi\r\n\r\nbody\r\n"),
        EDGE("message-id:   <2@x>  \r\n\r\n"),
        EDGE("Message-ID:\r\n <3@x>\r\n\tmore\r\nTo: a\r\n\r\nb"),
        EDGE("Message-ID : <obs@x>\n\nbody\n"),
        EDGE("Subject: a\nMessage-ID: <4@x>\nno colon here\nbody without blank\n"),
        EDGE("Subject: a\nno colon here\nMessage-ID: <5@x>\n\nbody\n"),
        EDGE(" starts with space\nMessage-ID: <6@x>\n\n"),
        EDGE(" starts with space\nMessage-ID: <7@x>\n"),
        EDGE("no field at all\n\nbody"),
        EDGE("no field at all and no blank line"),
        EDGE("\r\nonly a body"),
        EDGE("\n"),
        EDGE("Message-ID: <8@x>"),
        EDGE("Message-ID: <9@x>\r\n folded to the end"),
        EDGE("Message-ID: <10@x>\r\nSubject: a\0b\r\n\r\n"),
        EDGE("Message-ID: <11@x>\r\n\r\nbody with \0 in it"),
        EDGE("Subject: first\r\nSubject: second\r\nX-Folded: a\r\n  b\r\n\r\n"),
        EDGE("To: x\r\nMessage-ID: <12@x>\r\n"),
        EDGE("Subject: a\r b \r\nMessage-ID:\t<13@x>\t\n\n"),
        EDGE("Subject: \t \r\nTo:\r\n\r\n"),
        /* A NUL wherever the header is read, however it ends. */
        EDGE("Subject: a\0b\nno colon here\nbody\n"),
        EDGE("Subject: a\nno colon\0 here\nbody\n"),
        EDGE("Subject: a\nno colon here\nbody\0\n"),
        EDGE("Subject: a\0\nMessage-ID: <14@x>"),
        EDGE("Message-ID: <15@x>\n folded\0\n\nbody\n"),
        /* Lines skimmed over once a field has been read: folded ones, a
         * bare CR first, a dash (a candidate for "M" in the low bits), a
         * malformed one, and a last line with no ending. */
        EDGE("Subject: a\r\n\rX: odd\r\nMessage-ID: <16@x>\r\n\r\n"),
        EDGE("Subject: a\r\n folded\r\nDate: x\r\n\tmore\r\nMessage-ID: <17@x>\r\n\r\nb"),
        EDGE("Subject: a\r\nDate: x\r\nTo: y"),
        EDGE("Subject: a\r\n-dash: x\r\nMessage-ID: <18@x>\r\n\r\n"),
        EDGE("Subject: a\r\nDate no colon\r\nMessage-ID: <19@x>\r\n\r\n"),
        EDGE("Subject: a\r\nDate no colon\r\nMessage-ID: <20@x>\r\nno blank\r\n"),
        EDGE("Subject: a\r\nDate: x\r\n\r\n\r\nMessage-ID: <21@x>\r\n"),
    };
#undef EDGE
    for (guint i = 0; i < G_N_ELEMENTS(edges); i++) {
        g_autofree char *what = g_strdup_printf("edge %u", i);
        check_fast_paths(edges[i].text, edges[i].len, what);
    }
}

static const MsTestCase codec_cases[] = {
    MS_TEST(base64_rfc4648_vectors),
    MS_TEST(base64_rejects_invalid),
    MS_TEST(base64_ignores_white_space),
    MS_TEST(base64_lines_and_growth),
    MS_TEST(qp_encode_rules),
    MS_TEST(qp_soft_line_breaks),
    MS_TEST(qp_decode_rules),
    MS_TEST(qp_round_trip),
    MS_TEST(rfc2047_chinese_round_trip),
    MS_TEST(rfc2047_word_limits),
    MS_TEST(rfc2047_rfc_examples),
    MS_TEST(transfer_encoding_names),
    MS_TEST_END,
};

static const MsTestCase message_cases[] = {
    MS_TEST(round_trip_corpus),
    MS_TEST(parse_simple),
    MS_TEST(parse_folded),
    MS_TEST(parse_malformed),
    MS_TEST(parse_without_empty_line),
    MS_TEST(parse_rejects_non_messages),
    MS_TEST(prepend_received_changes_nothing_else),
    MS_TEST(add_set_remove),
    MS_TEST(folding_at_78),
    MS_TEST(folding_line_breaks_in_value),
    MS_TEST(seven_bit_rule),
    MS_TEST(dates_and_addresses),
    MS_TEST(fast_paths_match_parse),
    MS_TEST(peek_field_name_case),
    MS_TEST(peek_without_separator),
    MS_TEST(added_fields_match_folding),
    MS_TEST(peeked_values_exact),
    MS_TEST_END,
};

static const MsTestCase mime_cases[] = {
    MS_TEST(content_type_parameters),
    MS_TEST(nested_multipart_tree),
    MS_TEST(multipart_missing_close),
    MS_TEST(compose_plain),
    MS_TEST(compose_bytes_matches_message),
    MS_TEST(compose_long_line_as_quoted_printable),
    MS_TEST(format_date_to_any_year),
    MS_TEST(compose_bare_addresses_and_line_ends),
    MS_TEST(compose_bcc_absent),
    MS_TEST(compose_display_names),
    MS_TEST(compose_non_ascii),
    MS_TEST(compose_raw_8bit),
    MS_TEST(compose_text_attachment_charset_and_crlf),
    MS_TEST(downgrade_converts_mime_text),
    MS_TEST(downgrade_refuses_what_it_cannot_convert),
    MS_TEST(compose_multipart_parses_back),
    MS_TEST(compose_boundary_avoids_content),
    MS_TEST_END,
};

int main(void)
{
    ms_test_add_suite("mail/codec", codec_cases);
    ms_test_add_suite("mail/message", message_cases);
    ms_test_add_suite("mail/mime", mime_cases);
    return ms_test_run();
}
