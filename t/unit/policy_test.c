
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * Unit tests of core/ngx_http_secauth_policy.c (with userfile.c, whose
 * UTF-8 check it uses): lengths in code points of the NFKC form, NFKC
 * equivalence, invalid UTF-8, zxcvbn's score, the user name, the
 * blocklist case-insensitive, the reasons as JSON and as sentences.
 * Inputs are copies of their exact size (tap_copy): ASan sees overreads.
 *
 * Output is TAP; the exit code is 0 when every test passed.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ngx_http_secauth_policy.h"
#include "tap.h"


#define nelts(a)  (sizeof(a) / sizeof((a)[0]))

#define P_UTF8   NGX_HTTP_SECAUTH_POLICY_INVALID_UTF8
#define P_SHORT  NGX_HTTP_SECAUTH_POLICY_TOO_SHORT
#define P_LONG   NGX_HTTP_SECAUTH_POLICY_TOO_LONG
#define P_WEAK   NGX_HTTP_SECAUTH_POLICY_TOO_WEAK
#define P_BLOCK  NGX_HTTP_SECAUTH_POLICY_BLOCKLISTED
#define P_USER   NGX_HTTP_SECAUTH_POLICY_CONTAINS_USERNAME


static unsigned check(const ngx_http_secauth_policy_t *pol, const char *pw,
    size_t len, const char *user);
static char *repeat(const char *unit, size_t times);
static void test_nfkc(void);
static void test_length(void);
static void test_utf8(void);
static void test_strength(void);
static void test_user(void);
static void test_blocklist(void);
static void test_text(void);


static const ngx_http_secauth_policy_t  lax = { 1, 128, 0, NULL };


static unsigned
check(const ngx_http_secauth_policy_t *pol, const char *pw, size_t len,
    const char *user)
{
    unsigned        r;
    unsigned char  *p, *u;

    p = tap_copy(pw, len);
    u = tap_copy(user ? user : "", user ? strlen(user) : 0);

    r = ngx_http_secauth_policy_check(pol, p, len, u,
                                      user ? strlen(user) : 0, NULL);
    free(p);
    free(u);

    return r;
}


static char *
repeat(const char *unit, size_t times)
{
    char    *s;
    size_t   i, l;

    l = strlen(unit);
    s = tap_alloc(l * times + 1);

    for (i = 0; i < times; i++) {
        memcpy(s + i * l, unit, l);
    }

    s[l * times] = '\0';

    return s;
}


static void
test_nfkc(void)
{
    int             rc;
    size_t          i, n;
    unsigned char  *src, dst[64];

    static const struct {
        const char  *in;
        const char  *out;
    } cases[] = {
        { "office", "office" },
        { "\xef\xac\x81le", "file" },                     /* U+FB01 fi */
        { "\xef\xbd\x90\xef\xbd\x81\xef\xbd\x93\xef\xbd\x93", "pass" },
        { "caf\x65\xcc\x81", "caf\xc3\xa9" },             /* e + U+0301 */
        { "caf\xc3\xa9", "caf\xc3\xa9" },
        { "\xe2\x91\xa0\xe2\x85\xa8", "1IX" },            /* circled 1, IX */
        { "", "" },
    };

    for (i = 0; i < nelts(cases); i++) {
        src = tap_copy(cases[i].in, strlen(cases[i].in));
        rc = ngx_http_secauth_nfkc(dst, sizeof(dst), src,
                                   strlen(cases[i].in), &n);
        ok(rc == NGX_HTTP_SECAUTH_NFKC_OK && n == strlen(cases[i].out)
           && memcmp(dst, cases[i].out, n) == 0,
           "nfkc case %zu: the NFKC form", i);
        free(src);
    }

    rc = ngx_http_secauth_nfkc(dst, 3, (const unsigned char *) "abcd", 4,
                               &n);
    ok(rc == NGX_HTTP_SECAUTH_NFKC_TOO_LONG, "nfkc: no room is TOO_LONG");

    rc = ngx_http_secauth_nfkc(dst, sizeof(dst),
                               (const unsigned char *) "a\0b", 3, &n);
    ok(rc == NGX_HTTP_SECAUTH_NFKC_INVALID, "nfkc: a NUL is INVALID");

    rc = ngx_http_secauth_nfkc(dst, sizeof(dst),
                               (const unsigned char *) "\xc0\xaf", 2, &n);
    ok(rc == NGX_HTTP_SECAUTH_NFKC_INVALID, "nfkc: overlong is INVALID");

    /* the policy sees one password, whatever its form */

    ok(check(&lax, "\xef\xac\x81le", 5, NULL)
       == check(&lax, "file", 4, NULL), "the fi ligature is fi");
}


static void
test_length(void)
{
    char                        *s;
    ngx_http_secauth_policy_t    pol = { 12, 128, 0, NULL };

    ok(check(&pol, "abcdefghijk", 11, NULL) == P_SHORT, "11 ASCII: short");
    ok(check(&pol, "abcdefghijkl", 12, NULL) == 0, "12 ASCII: enough");

    /* 12 emoji (4 bytes each): 12 code points, 48 bytes */
    s = repeat("\xf0\x9f\x98\x80", 12);
    ok(check(&pol, s, strlen(s), NULL) == 0, "12 emoji are 12");
    free(s);

    s = repeat("\xf0\x9f\x98\x80", 11);
    ok(check(&pol, s, strlen(s), NULL) == P_SHORT, "11 emoji are short");
    free(s);

    /* a combining mark is a code point of its own, NFKC composes */
    s = repeat("e\xcc\x81", 6);
    ok(check(&pol, s, strlen(s), NULL) == P_SHORT,
       "6 x e + U+0301: 6 code points once composed");
    free(s);

    s = repeat("\xe1\xba\xa1\xcc\x82", 12);    /* U+1EA1 + U+0302: ậ */
    ok(check(&pol, s, strlen(s), NULL) == 0,
       "12 x a-dot-below + circumflex compose to 12");
    free(s);

    /* full-width letters fold to ASCII: same count, fewer bytes */
    s = repeat("\xef\xbd\x81", 12);
    ok(check(&pol, s, strlen(s), NULL) == 0, "12 full-width a are 12");
    free(s);

    /* 128 code points in 400 bytes: 16 x 4-byte and 112 x 3-byte */
    s = tap_alloc(401);
    {
        size_t  i;

        for (i = 0; i < 16; i++) {
            /* U+1F600 + i: emoji */
            memcpy(s + 4 * i, "\xf0\x9f\x98", 3);
            s[4 * i + 3] = (char) (0x80 + i);
        }

        for (i = 0; i < 112; i++) {
            /* U+4E00 + i: CJK ideographs, their own NFKC form */
            s[64 + 3 * i] = (char) 0xe4;
            s[65 + 3 * i] = (char) (0xb8 + (i >> 6));
            s[66 + 3 * i] = (char) (0x80 + (i & 0x3f));
        }
    }
    s[400] = '\0';
    ok(strlen(s) == 400 && ngx_http_secauth_policy_length(
           (unsigned char *) s, 400) == 128, "the 400-byte password is 128");
    ok(check(&pol, s, 400, NULL) == 0, "128 code points in 400 bytes fit");
    free(s);

    s = repeat("x", 129);
    ok(check(&pol, s, 129, NULL) == P_LONG, "129 ASCII: long");
    free(s);

    /* U+FDFA is 18 code points in NFKC: 8 of them are 144 */
    s = repeat("\xef\xb7\xba", 8);
    ok(check(&pol, s, strlen(s), NULL) == P_LONG,
       "8 x U+FDFA: 144 code points after NFKC, long");
    free(s);

    /* typed form longer than max, NFKC form not: a login caps it */
    s = repeat("e\xcc\x81", 100);
    ok(check(&pol, s, strlen(s), NULL) == P_LONG,
       "200 typed code points that compose to 100: long");
    free(s);
}


static void
test_utf8(void)
{
    size_t  i;

    static const struct {
        const char  *s;
        size_t       len;
        const char  *name;
    } cases[] = {
        { "passwordpass\xc0\xaf", 14, "overlong /" },
        { "passwordpass\xe0\x80\xaf", 15, "overlong 3-byte" },
        { "passwordpass\xed\xa0\x80", 15, "surrogate U+D800" },
        { "passwordpass\xed\xbf\xbf", 15, "surrogate U+DFFF" },
        { "passwordpass\xf4\x90\x80\x80", 16, "above U+10FFFF" },
        { "passwordpass\xe2\x82", 14, "truncated 3-byte" },
        { "passwordpass\xf0\x9f\x98", 15, "truncated 4-byte" },
        { "passwordpass\x80", 13, "lone continuation" },
        { "passwordpass\xff", 13, "0xff" },
        { "password\0password", 17, "a NUL" },
    };

    for (i = 0; i < nelts(cases); i++) {
        ok(check(&lax, cases[i].s, cases[i].len, NULL) == P_UTF8,
           "invalid UTF-8: %s, that reason alone", cases[i].name);
    }
}


static void
test_strength(void)
{
    int                          s;
    double                       e;
    ngx_http_secauth_policy_t    pol = { 1, 128, 3, NULL };

    s = ngx_http_secauth_policy_score("password", NULL, &e);
    ok(s == 0, "zxcvbn: \"password\" scores 0 (%.1f bits)", e);

    s = ngx_http_secauth_policy_score("correct horse battery staple", NULL,
                                      &e);
    ok(s >= 3, "zxcvbn: \"correct horse battery staple\" scores %d", s);

    s = ngx_http_secauth_policy_score("qwertyuiop", NULL, &e);
    ok(s <= 1, "zxcvbn: a keyboard row scores %d", s);

    s = ngx_http_secauth_policy_score("aaaaaaaaaaaaaaaa", NULL, &e);
    ok(s <= 1, "zxcvbn: a repeat scores %d", s);

    ok(check(&pol, "password", 8, NULL) == P_WEAK, "password: weak");
    ok(check(&pol, "correct horse battery staple", 28, NULL) == 0,
       "correct horse battery staple: passes");

    /* the user's data is a dictionary: a record word is no entropy */
    {
        const char  *words[] = { "zebulonquartz", NULL };
        int          a, b;

        a = ngx_http_secauth_policy_score("zebulonquartz1", NULL, NULL);
        b = ngx_http_secauth_policy_score("zebulonquartz1", words, NULL);
        ok(b < a, "a word of the record lowers the score (%d < %d)", b, a);
    }

    /* the score thresholds: strength 0 accepts anything non-empty */
    pol.strength = 0;
    ok(check(&pol, "a", 1, NULL) == 0, "strength=0: any password");
    pol.strength = 4;
    ok(check(&pol, "correct horse battery staple", 28, NULL) == 0,
       "strength=4: the horse passes");
}


static void
test_user(void)
{
    ngx_http_secauth_policy_t  pol = { 1, 128, 0, NULL };

    ok(check(&pol, "alice", 5, "alice") == P_USER, "equal to the name");
    ok(check(&pol, "ALICE", 5, "alice") == P_USER, "equal, another case");
    ok(check(&pol, "my-Alice-2024!", 14, "alice") == P_USER,
       "contains the name");
    ok(check(&pol, "\xef\xbc\xa1lice1234", 11, "alice") == P_USER,
       "contains the name with a full-width A");
    ok(check(&pol, "bobcat-jumps", 12, "bo") == 0,
       "a 2-letter name is only refused equal");
    ok(check(&pol, "bo", 2, "bo") == P_USER, "...and equal it is");
    ok(check(&pol, "unrelated words", 15, "alice") == 0, "no name in it");

    pol.strength = 3;
    ok(check(&pol, "alice.smith.1988", 16, "alice.smith") & P_WEAK,
       "the name is zxcvbn's user dictionary too");
    ok(check(&pol, "velociraptor-alice@corp", 23, "alice@corp")
       & P_USER, "an e-mail name contained");
    ok(check(&pol, "alicealicealice1", 16, "alice@example.org") & P_WEAK,
       "the local part of an e-mail name in the dictionary");
}


static void
test_blocklist(void)
{
    int                                   rc;
    char                                 *big;
    size_t                                i, l;
    clock_t                               t0;
    ngx_http_secauth_policy_t             pol = { 1, 128, 0, NULL };
    ngx_http_secauth_policy_blocklist_t   bl;

    static const char  file[] =
        "Tr0ub4dor&3\r\n"
        "correct horse battery staple\n"
        "\n"
        "Stra\xc3\x9f" "e-1234\n"
        "\xef\xac\x81nance2024\n"
        "bad\xff line\n"
        "correct horse battery staple\n"
        "last-without-newline";

    rc = ngx_http_secauth_policy_blocklist_load(&bl,
             (const unsigned char *) file, sizeof(file) - 1);
    ok(rc == 0 && bl.nwords == 5 && bl.skipped == 1,
       "blocklist: 5 words (a duplicate and an empty line out), 1 skipped"
       " (%zu, %zu)", bl.nwords, bl.skipped);

    pol.blocklist = &bl;

    ok(check(&pol, "tr0ub4dor&3", 11, NULL) == P_BLOCK, "lower case hit");
    ok(check(&pol, "TR0UB4DOR&3", 11, NULL) == P_BLOCK, "upper case hit");
    ok(check(&pol, "Correct Horse Battery Staple", 28, NULL) == P_BLOCK,
       "a line with spaces, mixed case");
    ok(check(&pol, "STRASSE-1234", 12, NULL) == P_BLOCK,
       "sharp s folds to ss");
    ok(check(&pol, "finance2024", 11, NULL) == P_BLOCK,
       "the ligature line matches plain fi");
    ok(check(&pol, "\xef\xbd\x86inance2024", 13, NULL) == P_BLOCK,
       "a full-width f matches too");
    ok(check(&pol, "last-without-newline", 20, NULL) == P_BLOCK,
       "the last line without a newline");
    ok(check(&pol, "Tr0ub4dor&", 10, NULL) == 0, "a prefix is no hit");
    ok(check(&pol, "Tr0ub4dor&33", 12, NULL) == 0, "a longer one neither");

    ngx_http_secauth_policy_blocklist_free(&bl);
    ok(bl.nwords == 0 && bl.words == NULL, "freed");

    /* a million lines: load time (reported, not a pass condition) */

    l = 1000000;
    big = tap_alloc(l * 16 + 1);

    for (i = 0; i < l; i++) {
        snprintf(big + i * 16, 17, "Pw%013zu\n", i * 7919 % 1000003);
    }

    t0 = clock();
    rc = ngx_http_secauth_policy_blocklist_load(&bl,
             (const unsigned char *) big, l * 16);
    tap_diag("blocklist: 1e6 lines loaded in %.0f ms of CPU",
             (double) (clock() - t0) * 1000 / CLOCKS_PER_SEC);
    ok(rc == 0 && bl.nwords == l, "a million lines, a million words");

    pol.blocklist = &bl;
    ok(check(&pol, "pW0000000007919", 15, NULL) == P_BLOCK,
       "a word of the million found");
    ok(check(&pol, "pW0000001000004", 15, NULL) == 0, "another is not");

    ngx_http_secauth_policy_blocklist_free(&bl);
    free(big);

    rc = ngx_http_secauth_policy_blocklist_load(&bl, NULL, 0);
    ok(rc == 0 && bl.nwords == 0, "an empty file is an empty list");
    pol.blocklist = &bl;
    ok(check(&pol, "anything", 8, NULL) == 0, "an empty list blocks none");
    ngx_http_secauth_policy_blocklist_free(&bl);
}


static void
test_text(void)
{
    char                        buf[512], small[8];
    size_t                      n;
    ngx_http_secauth_policy_t   pol = { 12, 128, 3, NULL };

    n = ngx_http_secauth_policy_text(P_SHORT | P_WEAK | P_USER, &pol, 1,
                                     buf, sizeof(buf));
    ok(strcmp(buf, "[\"too_short\",\"too_weak\",\"contains_username\"]")
       == 0 && n == strlen(buf), "JSON codes: %s", buf);

    n = ngx_http_secauth_policy_text(0, &pol, 1, buf, sizeof(buf));
    ok(strcmp(buf, "[]") == 0, "no reason: []");

    ngx_http_secauth_policy_text(P_SHORT | P_LONG | P_BLOCK | P_UTF8, &pol,
                                 1, buf, sizeof(buf));
    ok(strcmp(buf, "[\"invalid_utf8\",\"too_short\",\"too_long\","
               "\"blocklisted\"]") == 0, "every code in bit order");

    ngx_http_secauth_policy_text(P_SHORT | P_LONG, &pol, 0, buf,
                                 sizeof(buf));
    ok(strstr(buf, "at least 12 characters") != NULL
       && strstr(buf, "at most 128 characters") != NULL,
       "sentences with the policy's numbers");

    n = ngx_http_secauth_policy_text(P_SHORT, &pol, 1, small,
                                     sizeof(small));
    ok(n == strlen("[\"too_short\"]") && strlen(small) == 7,
       "cut short, NUL-terminated, full length returned");

    ok(strcmp(ngx_http_secauth_policy_code(P_BLOCK), "blocklisted") == 0
       && ngx_http_secauth_policy_code(0x4000) == NULL, "codes");
}


int
main(void)
{
    test_nfkc();
    test_length();
    test_utf8();
    test_strength();
    test_user();
    test_blocklist();
    test_text();

    return tap_done("policy_test");
}
