
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * Unit tests of core/ngx_http_secauth_base32.c, linked alone: the
 * vectors of RFC 4648 10 without their padding, lower case, every
 * refused shape (padding, white space, a length no byte string encodes
 * to, non-zero trailing bits, bytes outside the alphabet), and a round
 * trip of every length up to 64 bytes. Buffers are allocated to the
 * exact sizes the header promises, so that ASan sees an overrun.
 * Output is TAP.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_secauth_base32.h"
#include "tap.h"


static long decode(const char *src, size_t len, unsigned char **out);
static void test_vectors(void);
static void test_refused(void);
static void test_round_trip(void);


static long
decode(const char *src, size_t len, unsigned char **out)
{
    long            n;
    unsigned char  *in, *dst;

    in = tap_copy(src, len);
    dst = tap_alloc(ngx_http_secauth_base32_decoded_len(len));

    n = ngx_http_secauth_base32_decode(dst, in, len);

    free(in);

    if (out) {
        *out = dst;

    } else {
        free(dst);
    }

    return n;
}


static void
test_vectors(void)
{
    long            n;
    size_t          i, len, elen;
    unsigned char  *dec, *enc, *src;

    static const struct {
        const char  *enc;
        const char  *lower;
        const char  *dec;
    } vectors[] = {
        /* RFC 4648 10, padding removed */
        { "", "", "" },
        { "MY", "my", "f" },
        { "MZXQ", "mzxq", "fo" },
        { "MZXW6", "mzxw6", "foo" },
        { "MZXW6YQ", "mzxw6yq", "foob" },
        { "MZXW6YTB", "mzxw6ytb", "fooba" },
        { "MZXW6YTBOI", "mzxw6ytboi", "foobar" },
        /* the RFC 4226 test secret, as authenticator apps take it */
        { "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
          "gezdgnbvgy3tqojqgezdgnbvgy3tqojq", "12345678901234567890" },
    };

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        len = strlen(vectors[i].dec);
        elen = strlen(vectors[i].enc);

        src = tap_copy(vectors[i].dec, len);
        enc = tap_alloc(ngx_http_secauth_base32_encoded_len(len));

        ok(ngx_http_secauth_base32_encoded_len(len) == elen,
           "encoded length of \"%s\" is %zu", vectors[i].dec, elen);
        ok(ngx_http_secauth_base32_encode(enc, src, len) == elen
           && memcmp(enc, vectors[i].enc, elen) == 0,
           "\"%s\" encodes to \"%s\"", vectors[i].dec, vectors[i].enc);

        free(src);
        free(enc);

        n = decode(vectors[i].enc, elen, &dec);
        ok(n == (long) len && memcmp(dec, vectors[i].dec, len) == 0,
           "\"%s\" decodes to \"%s\"", vectors[i].enc, vectors[i].dec);
        free(dec);

        n = decode(vectors[i].lower, elen, &dec);
        ok(n == (long) len && memcmp(dec, vectors[i].dec, len) == 0,
           "lower case \"%s\" decodes too", vectors[i].lower);
        free(dec);
    }
}


static void
test_refused(void)
{
    size_t  i;

    static const char  *bad[] = {
        "MY======",           /* padding */
        "MZXW6===",
        "MZ XW6",             /* white space, a separator */
        "MZXW6\n",
        "MZXW-6YQ",
        "M",                  /* lengths no byte string has: 8k+1, 3, 6 */
        "MZX",
        "MZXW6Y",
        "MZ",                 /* trailing bits not zero: "MY" is "f" */
        "MZXR",
        "MZXW7",
        "MZXW6YR",
        "MZXW6YTBOJ",
        "MZXW0",              /* outside the alphabet: 0, 1, 8, 9 */
        "MZXW1",
        "MZXW8",
        "MZXW9",
        "MZ\xc3\xa9W",        /* non-ASCII */
        "M\0XQ",              /* NUL is a byte, not an end */
    };
    static const size_t  bad_len[] = {
        8, 8, 6, 6, 8, 1, 3, 6, 2, 4, 5, 7, 10, 5, 5, 5, 5, 5, 4
    };

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ok(decode(bad[i], bad_len[i], NULL) == -1,
           "refused: input %zu (%zu bytes)", i, bad_len[i]);
    }
}


static void
test_round_trip(void)
{
    int             all;
    long            n;
    size_t          len, i, elen;
    unsigned char  *src, *enc, *dec;

    all = 1;

    for (len = 0; len <= 64; len++) {
        src = tap_alloc(len);

        for (i = 0; i < len; i++) {
            src[i] = (unsigned char) (i * 37 + len * 11 + 0x80);
        }

        enc = tap_alloc(ngx_http_secauth_base32_encoded_len(len));
        elen = ngx_http_secauth_base32_encode(enc, src, len);

        dec = tap_alloc(ngx_http_secauth_base32_decoded_len(elen));
        n = ngx_http_secauth_base32_decode(dec, enc, elen);

        if (elen != ngx_http_secauth_base32_encoded_len(len)
            || n != (long) len || memcmp(src, dec, len) != 0)
        {
            tap_diag("round trip of %zu bytes failed", len);
            all = 0;
        }

        free(src);
        free(enc);
        free(dec);
    }

    ok(all, "every length from 0 to 64 bytes encodes and decodes back");
}


int
main(void)
{
    test_vectors();
    test_refused();
    test_round_trip();

    return tap_done("base32_test");
}
