
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * Unit tests of core/ngx_http_secauth_base64url.c, linked alone (and
 * libcrypto, whose EVP_EncodeBlock() is the independent reference).
 *
 * The vectors are RFC 4648 10's, in the URL and filename safe alphabet
 * of its section 5 and without padding, as JWS (RFC 7515 2) uses it.
 * Buffers are allocated to the exact sizes the header promises, so that
 * ASan sees a byte read or written past them. Output is TAP.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ngx_http_secauth_base64url.h"
#include "tap.h"


static const char  alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


static long decode(const char *src, size_t len, unsigned char **out);
static void test_vectors(void);
static void test_refused(void);
static void test_bytes(void);
static void test_tails(void);
static void test_bounds(void);
static void test_reference(void);
static void test_valid(void);


/* decodes len bytes copied to a block of exactly len, into exact room */

static long
decode(const char *src, size_t len, unsigned char **out)
{
    long            n;
    unsigned char  *in, *dst;

    in = tap_copy(src, len);
    dst = tap_alloc(ngx_http_secauth_b64url_decoded_len(len));

    n = ngx_http_secauth_b64url_decode(dst, in, len);

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
        const char  *dec;
        size_t       len;
    } vectors[] = {
        /* RFC 4648 10 */
        { "", "", 0 },
        { "Zg", "f", 1 },
        { "Zm8", "fo", 2 },
        { "Zm9v", "foo", 3 },
        { "Zm9vYg", "foob", 4 },
        { "Zm9vYmE", "fooba", 5 },
        { "Zm9vYmFy", "foobar", 6 },
        /* the two characters where base64url differs from base64 */
        { "-_-_", "\xfb\xff\xbf", 3 },
        { "-w", "\xfb", 1 },
        { "_-8", "\xff\xef", 2 },
        /* NUL bytes are data like any other */
        { "AAAA", "\0\0\0", 3 },
        { "AA", "\0", 1 },
        { "AGEA", "\0a\0", 3 },
        /* RFC 7515 A.1's header, "{"typ":"JWT",\r\n "alg":"HS256"}" */
        { "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9",
          "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}", 30 },
        { NULL, NULL, 0 }
    };

    tap_diag("RFC 4648 and RFC 7515 vectors");

    for (i = 0; vectors[i].enc; i++) {
        len = strlen(vectors[i].enc);

        n = decode(vectors[i].enc, len, &dec);
        ok(n == (long) vectors[i].len
           && memcmp(dec, vectors[i].dec, vectors[i].len) == 0,
           "decode \"%s\"", vectors[i].enc);
        free(dec);

        src = tap_copy(vectors[i].dec, vectors[i].len);
        enc = tap_alloc(ngx_http_secauth_b64url_encoded_len(vectors[i].len));

        elen = ngx_http_secauth_b64url_encode(enc, src, vectors[i].len);
        ok(elen == len && memcmp(enc, vectors[i].enc, len) == 0,
           "encode to \"%s\"", vectors[i].enc);

        free(src);
        free(enc);
    }
}


static void
test_refused(void)
{
    size_t  i;

    static const struct {
        const char  *src;
        size_t       len;
        const char  *why;
    } refused[] = {
        { "Zg==", 4, "padding" },
        { "Zm8=", 4, "padding of one" },
        { "Zg=", 3, "short padding" },
        { "=", 1, "padding alone" },
        { "====", 4, "four of padding" },
        { "ab+d", 4, "base64's +" },
        { "ab/d", 4, "base64's /" },
        { "A", 1, "one character (4k + 1)" },
        { "Zm9vY", 5, "five characters (4k + 1)" },
        { "Zm9vYmFyZ", 9, "nine characters (4k + 1)" },
        { "Zh", 2, "unused bits set in a 2-character tail" },
        { "Zm9", 3, "unused bits set in a 3-character tail" },
        { "__9", 3, "unused bits set after 0xff 0xff" },
        { "Zm 9v", 5, "a space" },
        { " Zm9v", 5, "a leading space" },
        { "Zm9v ", 5, "a trailing space" },
        { "Zm9v\n", 5, "a newline" },
        { "Zm9v\r\n", 6, "CRLF" },
        { "Zm\t9", 4, "a tab" },
        { "Zm.9", 4, "a dot" },
        { "Zm\0v", 4, "an embedded NUL" },
        { "\0\0\0\0", 4, "NULs only" },
        { "Zm9v\xff", 5, "0xff" },
        { "Zm9v\x80", 5, "0x80" },
        { "Zm9v\xc3\xa9", 6, "UTF-8" },
        { "Zm%39", 5, "percent-encoding" },
        { NULL, 0, NULL }
    };

    tap_diag("refused");

    for (i = 0; refused[i].src; i++) {
        ok(decode(refused[i].src, refused[i].len, NULL) == -1,
           "decode refuses %s: \"%.*s\"", refused[i].why,
           (int) refused[i].len, refused[i].src);
    }

    ok(decode("Zm9v+", 4, NULL) == 3,
       "decode reads no further than its length");
}


/* every byte value at every position of a 4-character group */

static void
test_bytes(void)
{
    int             bad;
    long            n;
    size_t          c, pos;
    const char     *in;
    unsigned char   t[4], dst[6];

    tap_diag("every byte value");

    bad = 0;

    for (pos = 0; pos < 4; pos++) {
        for (c = 0; c < 256; c++) {
            memcpy(t, "AAAA", 4);
            t[pos] = (unsigned char) c;

            in = c ? strchr(alphabet, (int) c) : NULL;

            n = ngx_http_secauth_b64url_decode(dst, t, 4);

            if (in == NULL) {
                bad += (n != -1);
                continue;
            }

            /* the value lands in the bits of its position */

            if (n != 3
                || ((unsigned long) dst[0] << 16 | dst[1] << 8 | dst[2])
                   != (unsigned long) (in - alphabet) << (6 * (3 - pos)))
            {
                bad++;
            }
        }
    }

    ok(bad == 0, "each of the 256 byte values at each of the 4 positions "
       "decodes to its 6 bits or is refused (%d bad)", bad);
}


/* canonical form: exactly one encoding per byte string */

static void
test_tails(void)
{
    int             bad, canonical;
    long            n;
    size_t          i;
    unsigned char   t[3], dst[4];

    tap_diag("canonical tails");

    bad = 0;

    for (i = 0; i < 64 * 64; i++) {
        t[0] = (unsigned char) alphabet[i / 64];
        t[1] = (unsigned char) alphabet[i % 64];

        /* 2 characters: 12 bits, 8 used, the low 4 must be zero */
        canonical = (i % 64) % 16 == 0;

        n = ngx_http_secauth_b64url_decode(dst, t, 2);

        if (canonical ? n != 1 || dst[0] != (unsigned char) (i >> 4)
                      : n != -1)
        {
            bad++;
        }
    }

    ok(bad == 0, "all 4096 2-character tails: the 4 unused bits must be "
       "zero (%d bad)", bad);

    bad = 0;

    for (i = 0; i < 64 * 64 * 64; i++) {
        t[0] = (unsigned char) alphabet[i / 4096];
        t[1] = (unsigned char) alphabet[i / 64 % 64];
        t[2] = (unsigned char) alphabet[i % 64];

        /* 3 characters: 18 bits, 16 used, the low 2 must be zero */
        canonical = (i % 4) == 0;

        n = ngx_http_secauth_b64url_decode(dst, t, 3);

        if (canonical ? n != 2 || dst[0] != (unsigned char) (i >> 10)
                        || dst[1] != (unsigned char) (i >> 2)
                      : n != -1)
        {
            bad++;
        }
    }

    ok(bad == 0, "all 262144 3-character tails: the 2 unused bits must be "
       "zero (%d bad)", bad);
}


/* lengths and room: nothing written past what the macros promise */

static void
test_bounds(void)
{
    int             bad;
    long            n;
    size_t          len, elen, i;
    unsigned char  *src, *enc, *dec;

    tap_diag("lengths and room");

    bad = 0;

    for (len = 0; len <= 1030; len++) {
        src = tap_alloc(len);

        for (i = 0; i < len; i++) {
            src[i] = (unsigned char) (i * 167 + len * 13 + 7);
        }

        enc = tap_alloc(ngx_http_secauth_b64url_encoded_len(len));
        elen = ngx_http_secauth_b64url_encode(enc, src, len);

        if (elen != (len * 4 + 2) / 3
            || elen > ngx_http_secauth_b64url_encoded_len(len)
            || !ngx_http_secauth_b64url_valid(enc, elen))
        {
            bad++;
        }

        dec = tap_alloc(ngx_http_secauth_b64url_decoded_len(elen));
        n = ngx_http_secauth_b64url_decode(dec, enc, elen);

        if (n != (long) len || memcmp(dec, src, len) != 0) {
            bad++;
        }

        free(src);
        free(enc);
        free(dec);
    }

    ok(bad == 0, "round trips of 0..1030 bytes in exact room (%d bad)", bad);

    /* a length of 4k + 1 is refused however long, before any output */

    bad = 0;

    for (len = 1; len <= 4097; len += 4) {
        src = tap_alloc(len);
        memset(src, 'A', len);

        dec = tap_alloc(ngx_http_secauth_b64url_decoded_len(len));
        bad += (ngx_http_secauth_b64url_decode(dec, src, len) != -1);

        free(src);
        free(dec);
    }

    ok(bad == 0, "lengths 4k + 1 up to 4097 refused (%d bad)", bad);

    /* a bad byte at the very end of a long input, after a lot of output */

    len = 1 << 20;
    src = tap_alloc(len);
    memset(src, 'A', len);
    dec = tap_alloc(ngx_http_secauth_b64url_decoded_len(len));

    n = ngx_http_secauth_b64url_decode(dec, src, len);
    ok(n == (long) (len / 4 * 3), "1 MiB of 'A' decodes to %ld bytes", n);

    src[len - 1] = '=';
    ok(ngx_http_secauth_b64url_decode(dec, src, len) == -1,
       "1 MiB with padding at its last byte refused");

    src[len - 1] = 'A';
    src[0] = '\0';
    ok(ngx_http_secauth_b64url_decode(dec, src, len) == -1,
       "1 MiB with a NUL at its first byte refused");

    free(src);
    free(dec);

    /* len 0: nothing read, nothing written */

    dec = tap_alloc(1);
    dec[0] = 0xa5;

    ok(ngx_http_secauth_b64url_decode(dec, NULL, 0) == 0 && dec[0] == 0xa5,
       "decode of nothing reads nothing, writes nothing");
    ok(ngx_http_secauth_b64url_encode(dec, NULL, 0) == 0 && dec[0] == 0xa5,
       "encode of nothing reads nothing, writes nothing");
    ok(ngx_http_secauth_b64url_valid(NULL, 0) == 1,
       "nothing is valid base64url");

    free(dec);

    ok(ngx_http_secauth_b64url_encoded_len(32) == 44
       && ngx_http_secauth_b64url_decoded_len(43) >= 32,
       "a 256-bit session id: 43 characters in 44 of room, 32 bytes back");
}


/* EVP_EncodeBlock() is base64 with padding: translated, it must agree */

static void
test_reference(void)
{
    int             bad, rlen;
    long            n;
    size_t          len, elen, i, j;
    unsigned char   src[200], enc[300], ref[300], dec[200];
    unsigned int    seed;

    tap_diag("against OpenSSL");

    bad = 0;
    seed = 12345;

    for (i = 0; i < 2000; i++) {
        len = i % sizeof(src);

        for (j = 0; j < len; j++) {
            seed = seed * 1103515245 + 12345;
            src[j] = (unsigned char) (seed >> 16);
        }

        elen = ngx_http_secauth_b64url_encode(enc, src, len);
        rlen = EVP_EncodeBlock(ref, src, (int) len);

        while (rlen > 0 && ref[rlen - 1] == '=') {
            rlen--;
        }

        for (j = 0; j < (size_t) rlen; j++) {
            ref[j] = ref[j] == '+' ? '-' : ref[j] == '/' ? '_' : ref[j];
        }

        n = ngx_http_secauth_b64url_decode(dec, ref, (size_t) rlen);

        if (elen != (size_t) rlen || memcmp(enc, ref, elen) != 0
            || n != (long) len || memcmp(dec, src, len) != 0)
        {
            bad++;
        }
    }

    ok(bad == 0, "2000 random strings encode as EVP_EncodeBlock does, "
       "translated, and decode back (%d bad)", bad);
}


static void
test_valid(void)
{
    int             bad;
    size_t          c;
    unsigned char  *p;

    tap_diag("valid");

    bad = 0;

    for (c = 0; c < 256; c++) {
        unsigned char  b = (unsigned char) c;

        if (ngx_http_secauth_b64url_valid(&b, 1)
            != (c != 0 && strchr(alphabet, (int) c) != NULL))
        {
            bad++;
        }
    }

    ok(bad == 0, "each byte value is valid exactly when in the alphabet");

    p = tap_copy(alphabet, 64);
    ok(ngx_http_secauth_b64url_valid(p, 64), "the alphabet is valid");
    free(p);

    ok(ngx_http_secauth_b64url_valid((const unsigned char *) "A", 1),
       "valid does not check the length (4k + 1)");
    ok(ngx_http_secauth_b64url_valid((const unsigned char *) "Zh", 2),
       "valid does not check the unused bits");
    ok(!ngx_http_secauth_b64url_valid((const unsigned char *) "AAA=", 4),
       "valid refuses padding");
    ok(!ngx_http_secauth_b64url_valid((const unsigned char *) "AA\0A", 4),
       "valid refuses a NUL, by length not strlen");
    p = tap_alloc(41);
    memset(p, 'A', 40);
    p[40] = 0x80;
    ok(!ngx_http_secauth_b64url_valid(p, 41),
       "valid refuses 0x80 after 40 good bytes");
    free(p);
    ok(ngx_http_secauth_b64url_valid((const unsigned char *) "AB\xff", 2),
       "valid reads no further than its length");
}


int
main(void)
{
    test_vectors();
    test_refused();
    test_bytes();
    test_tails();
    test_bounds();
    test_reference();
    test_valid();

    return tap_done("base64url_test");
}
