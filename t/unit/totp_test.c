
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * Unit tests of core/ngx_http_secauth_totp.c, linked with the base32
 * code: RFC 4226 appendix D (HOTP), RFC 6238 appendix B (TOTP, SHA-1,
 * its 8-digit values cut to their last 6 digits, which is what 6 digits
 * are), the window of one step each way and its replay bound, and the
 * strict parse of a typed code. Output is TAP.
 *
 * Also a tool for t/mfa/totp-oathtool.t, which cross-checks the codes
 * with oathtool(1):
 *
 *   totp_test code BASE32 UNIX_TIME     prints the 6-digit code
 */


#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_secauth_base32.h"
#include "ngx_http_secauth_totp.h"
#include "tap.h"


static int code_tool(const char *b32, const char *when);
static void test_hotp(void);
static void test_totp(void);
static void test_window(void);
static void test_parse(void);
static void test_bad_keys(void);
static void test_backup(void);


static const unsigned char  rfc_key[] = "12345678901234567890";


static int
code_tool(const char *b32, const char *when)
{
    long            n, v;
    char           *end;
    size_t          len;
    unsigned char  *key;
    unsigned long   t;

    len = strlen(b32);
    key = tap_alloc(ngx_http_secauth_base32_decoded_len(len));

    n = ngx_http_secauth_base32_decode(key, (const unsigned char *) b32, len);
    t = strtoul(when, &end, 10);

    if (n <= 0 || *end != '\0') {
        fprintf(stderr, "usage: totp_test code BASE32 UNIX_TIME\n");
        free(key);
        return 2;
    }

    v = ngx_http_secauth_hotp(key, (size_t) n,
                              ngx_http_secauth_totp_step(t));
    free(key);

    if (v < 0) {
        return 1;
    }

    printf("%06ld\n", v);

    return 0;
}


static void
test_hotp(void)
{
    size_t  i;

    /* RFC 4226 appendix D */
    static const long  values[] = {
        755224, 287082, 359152, 969429, 338314,
        254676, 287922, 162583, 399871, 520489
    };

    for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        ok(ngx_http_secauth_hotp(rfc_key, 20, i) == values[i],
           "RFC 4226 HOTP count %zu is %06ld", i, values[i]);
    }
}


static void
test_totp(void)
{
    size_t    i;
    uint64_t  step;

    /* RFC 6238 appendix B, SHA-1, the last 6 of 8 digits */
    static const struct {
        uint64_t  time;
        uint64_t  step;
        uint32_t  code;
    } vectors[] = {
        { 59ULL,          0x1ULL,       287082 },
        { 1111111109ULL,  0x23523ECULL, 81804 },
        { 1111111111ULL,  0x23523EDULL, 50471 },
        { 1234567890ULL,  0x273EF07ULL, 5924 },
        { 2000000000ULL,  0x3F940AAULL, 279037 },
        { 20000000000ULL, 0x27BC86AAULL, 353130 },
    };

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        ok(ngx_http_secauth_totp_step(vectors[i].time) == vectors[i].step,
           "RFC 6238 time %llu is step 0x%llX",
           (unsigned long long) vectors[i].time,
           (unsigned long long) vectors[i].step);

        ok(ngx_http_secauth_hotp(rfc_key, 20, vectors[i].step)
           == (long) vectors[i].code,
           "RFC 6238 time %llu: %06u", (unsigned long long) vectors[i].time,
           vectors[i].code);

        step = 0;
        ok(ngx_http_secauth_totp_verify(rfc_key, 20,
                                        ngx_http_secauth_totp_step(
                                            vectors[i].time),
                                        0, vectors[i].code, &step) == 1
           && step == vectors[i].step,
           "RFC 6238 time %llu: verified at its own step",
           (unsigned long long) vectors[i].time);
    }
}


static void
test_window(void)
{
    long      c;
    uint64_t  now, step;

    now = ngx_http_secauth_totp_step(1234567890);

    c = ngx_http_secauth_hotp(rfc_key, 20, now - 1);
    step = 0;
    ok(ngx_http_secauth_totp_verify(rfc_key, 20, now, 0, (uint32_t) c, &step)
       == 1 && step == now - 1, "a code of the step before is accepted");

    c = ngx_http_secauth_hotp(rfc_key, 20, now + 1);
    step = 0;
    ok(ngx_http_secauth_totp_verify(rfc_key, 20, now, 0, (uint32_t) c, &step)
       == 1 && step == now + 1, "a code of the step after is accepted");

    c = ngx_http_secauth_hotp(rfc_key, 20, now - 2);
    ok(ngx_http_secauth_totp_verify(rfc_key, 20, now, 0, (uint32_t) c, &step)
       == 0, "a code two steps old is refused");

    c = ngx_http_secauth_hotp(rfc_key, 20, now + 2);
    ok(ngx_http_secauth_totp_verify(rfc_key, 20, now, 0, (uint32_t) c, &step)
       == 0, "a code two steps ahead is refused");

    c = ngx_http_secauth_hotp(rfc_key, 20, now);
    ok(ngx_http_secauth_totp_verify(rfc_key, 20, now, now, (uint32_t) c,
                                    &step) == 0,
       "the step last accepted is refused (a replay)");

    c = ngx_http_secauth_hotp(rfc_key, 20, now - 1);
    ok(ngx_http_secauth_totp_verify(rfc_key, 20, now, now, (uint32_t) c,
                                    &step) == 0,
       "an older step after a newer one is refused");

    c = ngx_http_secauth_hotp(rfc_key, 20, now + 1);
    step = 0;
    ok(ngx_http_secauth_totp_verify(rfc_key, 20, now, now, (uint32_t) c,
                                    &step) == 1 && step == now + 1,
       "a later step after the last accepted one is accepted");

    c = ngx_http_secauth_hotp(rfc_key, 20, 0);
    step = 7;
    ok(ngx_http_secauth_totp_verify(rfc_key, 20, 0, 0, (uint32_t) c, &step)
       == 0 && step == 7,
       "step 0 is never later than \"none accepted yet\"; no underflow");

    c = ngx_http_secauth_hotp(rfc_key, 20, 1);
    ok(ngx_http_secauth_totp_verify(rfc_key, 20, 0, 0, (uint32_t) c, &step)
       == 1 && step == 1, "at step 0 the next step is still in the window");

    ok(ngx_http_secauth_totp_verify(rfc_key, 20, now, 0, 1000000, &step)
       == 0, "a value of 7 digits never matches");
}


static void
test_parse(void)
{
    size_t    i;
    uint32_t  code;

    static const struct {
        const char  *in;
        size_t       len;
        uint32_t     code;
    } good[] = {
        { "123456", 6, 123456 },
        { "000000", 6, 0 },
        { "999999", 6, 999999 },
        { "012345", 6, 12345 },
        { "123 456", 7, 123456 },
        { " 123456 ", 8, 123456 },
        { "1 2 3 4 5 6", 11, 123456 },
    };

    static const struct {
        const char  *in;
        size_t       len;
        const char  *what;
    } bad[] = {
        { "", 0, "empty" },
        { "      ", 6, "spaces only" },
        { "12345", 5, "5 digits" },
        { "1234567", 7, "7 digits" },
        { "12345a", 6, "a letter" },
        { "abcdef", 6, "letters" },
        { "12345\t6", 7, "a tab" },
        { "123456\n", 7, "a newline" },
        { "12345\0" "6", 7, "a NUL" },
        { "+12345", 6, "a sign" },
        { "-12345", 6, "a minus" },
        { "123-456", 7, "a dash" },
        /* U+FF11 .. U+FF16, full-width digits, UTF-8 */
        { "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93"
          "\xef\xbc\x94\xef\xbc\x95\xef\xbc\x96", 18, "full-width digits" },
        /* U+0661 .. U+0666, Arabic-Indic digits */
        { "\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6", 12,
          "Arabic-Indic digits" },
        { "12345\xef\xbc\x96", 8, "one full-width digit" },
        { "1234567890123456", 16, "16 digits" },
        { "123456           ", 17, "over the input bound" },
    };

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        code = 0xffffffff;
        ok(ngx_http_secauth_totp_parse((const unsigned char *) good[i].in,
                                       good[i].len, &code) == 0
           && code == good[i].code,
           "\"%s\" parses to %06u", good[i].in, good[i].code);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        code = 7;
        ok(ngx_http_secauth_totp_parse((const unsigned char *) bad[i].in,
                                       bad[i].len, &code) == -1
           && code == 7, "refused: %s", bad[i].what);
    }
}


static void
test_bad_keys(void)
{
    uint64_t       step;
    unsigned char  big[65];

    memset(big, 'k', sizeof(big));

    ok(ngx_http_secauth_hotp(rfc_key, 0, 1) == -1, "an empty key: error");
    ok(ngx_http_secauth_hotp(big, 65, 1) == -1, "a key over 64 bytes: error");
    ok(ngx_http_secauth_hotp(big, 64, 1) >= 0, "a key of 64 bytes works");
    ok(ngx_http_secauth_totp_verify(rfc_key, 0, 100, 0, 0, &step) == -1,
       "verify with an empty key: error");
}


static void
test_backup(void)
{
    size_t         i;
    unsigned char  out[NGX_HTTP_SECAUTH_BACKUP_CODE_LEN];

    static const char  *good[] = {
        "abcde-fgh27", "abcdefgh27", "ABCDE-FGH27", "abcde fgh27",
        " abcde - fgh27 ", "ab-cd-ef-gh-27"
    };
    static const struct {
        const char  *in;
        size_t       len;
        const char  *what;
    } bad[] = {
        { "", 0, "empty" },
        { "abcde-fgh2", 10, "9 characters" },
        { "abcde-fgh277", 12, "11 characters" },
        { "abcde-fgh18", 11, "1 and 8 are not base32" },
        { "abcde_fgh27", 11, "an underscore" },
        { "abcde\tfgh27", 11, "a tab" },
        { "abcde-fgh2\xc3\xa9", 12, "non-ASCII" },
        { "123456", 6, "a TOTP code" },
        { "abcde-------------fgh27", 23, "over the input bound" },
    };

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ok(ngx_http_secauth_backup_code_parse((const unsigned char *) good[i],
                                              strlen(good[i]), out) == 0
           && memcmp(out, "abcdefgh27", 10) == 0,
           "backup code \"%s\" parses", good[i]);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ok(ngx_http_secauth_backup_code_parse((const unsigned char *) bad[i].in,
                                              bad[i].len, out) == -1,
           "backup code refused: %s", bad[i].what);
    }
}


int
main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "code") == 0) {
        return code_tool(argv[2], argv[3]);
    }

    test_hotp();
    test_totp();
    test_window();
    test_parse();
    test_bad_keys();
    test_backup();

    return tap_done("totp_test");
}
