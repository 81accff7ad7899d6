
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * Unit tests of core/ngx_http_secauth_ct.c: equal exactly when memcmp()
 * says so, for every position and bit of a difference, for bytes of
 * either sign, unaligned, long, and for nothing at all. Constant time is
 * CRYPTO_memcmp()'s property and not measured here. Output is TAP.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_secauth_ct.h"
#include "tap.h"


static void test_basic(void);
static void test_every_bit(void);
static void test_sign(void);
static void test_unaligned(void);
static void test_long(void);
static void test_random(void);


static void
test_basic(void)
{
    unsigned char  *a, *b;

    tap_diag("basic");

    ok(ngx_http_secauth_ct_equal(NULL, NULL, 0) == 1,
       "nothing equals nothing, no pointer read");
    ok(ngx_http_secauth_ct_equal("a", "b", 0) == 1,
       "length 0: equal whatever the bytes");

    a = tap_copy("secret", 6);
    b = tap_copy("secret", 6);

    ok(ngx_http_secauth_ct_equal(a, b, 6) == 1, "equal copies");
    ok(ngx_http_secauth_ct_equal(a, a, 6) == 1, "the same bytes");

    b[5] = 'T';
    ok(ngx_http_secauth_ct_equal(a, b, 6) == 0, "last byte differs");
    ok(ngx_http_secauth_ct_equal(a, b, 5) == 1,
       "only len bytes compared: the prefix is equal");

    free(a);
    free(b);

    a = tap_copy("a\0b", 3);
    b = tap_copy("a\0c", 3);

    ok(ngx_http_secauth_ct_equal(a, b, 3) == 0,
       "not strcmp(): bytes after a NUL count");

    free(a);
    free(b);
}


/* each single-bit difference at each position of 64 bytes */

static void
test_every_bit(void)
{
    int             bad, r;
    size_t          i, bit;
    unsigned char  *a, *b;

    tap_diag("every bit");

    a = tap_alloc(64);
    b = tap_alloc(64);

    for (i = 0; i < 64; i++) {
        a[i] = (unsigned char) (i * 37 + 11);
    }

    bad = 0;

    for (i = 0; i < 64; i++) {
        for (bit = 0; bit < 8; bit++) {
            memcpy(b, a, 64);
            b[i] ^= (unsigned char) (1u << bit);

            r = ngx_http_secauth_ct_equal(a, b, 64);

            if (r != 0) {
                bad++;
            }

            /* the result is exactly 0 or 1, in either order */

            if (ngx_http_secauth_ct_equal(b, a, 64) != r) {
                bad++;
            }
        }
    }

    ok(bad == 0, "each of 512 single-bit differences found (%d bad)", bad);

    memcpy(b, a, 64);
    ok(ngx_http_secauth_ct_equal(a, b, 64) == 1, "and none without one");

    free(a);
    free(b);
}


/* no sign extension nor truncation: 0x80 and 0xff are bytes like 0x01 */

static void
test_sign(void)
{
    int            bad;
    size_t         x, y;
    unsigned char  a, b;

    tap_diag("byte values");

    bad = 0;

    for (x = 0; x < 256; x++) {
        for (y = 0; y < 256; y++) {
            a = (unsigned char) x;
            b = (unsigned char) y;

            if (ngx_http_secauth_ct_equal(&a, &b, 1) != (x == y)) {
                bad++;
            }
        }
    }

    ok(bad == 0, "all 65536 pairs of byte values (%d bad)", bad);
}


static void
test_unaligned(void)
{
    int             bad;
    size_t          off, len;
    unsigned char  *a, *b;

    tap_diag("alignment");

    a = tap_alloc(64 + 8);
    b = tap_alloc(64 + 8);

    bad = 0;

    for (off = 0; off < 8; off++) {
        for (len = 0; len <= 64; len++) {
            memset(a, 0x5a, 64 + 8);
            memset(b, 0x5a, 64 + 8);

            bad += (ngx_http_secauth_ct_equal(a + off, b + (7 - off), len)
                    != 1);

            if (len) {
                b[7 - off + len - 1] ^= 0x80;
                bad += (ngx_http_secauth_ct_equal(a + off, b + (7 - off),
                                                  len)
                        != 0);
            }
        }
    }

    ok(bad == 0, "offsets 0..7, lengths 0..64 (%d bad)", bad);

    free(a);
    free(b);
}


static void
test_long(void)
{
    size_t          len;
    unsigned char  *a, *b;

    tap_diag("long");

    len = 1 << 20;
    a = tap_alloc(len);
    b = tap_alloc(len);

    memset(a, 0xff, len);
    memset(b, 0xff, len);

    ok(ngx_http_secauth_ct_equal(a, b, len) == 1, "1 MiB equal");

    b[0] = 0xfe;
    ok(ngx_http_secauth_ct_equal(a, b, len) == 0, "1 MiB, first differs");

    b[0] = 0xff;
    b[len / 2] = 0;
    ok(ngx_http_secauth_ct_equal(a, b, len) == 0, "1 MiB, middle differs");

    b[len / 2] = 0xff;
    b[len - 1] = 0x7f;
    ok(ngx_http_secauth_ct_equal(a, b, len) == 0, "1 MiB, last differs");

    free(a);
    free(b);
}


/* agrees with memcmp() on random strings of random lengths */

static void
test_random(void)
{
    int            bad;
    size_t         i, j, len;
    unsigned int   seed;
    unsigned char  a[100], b[100];

    tap_diag("random");

    bad = 0;
    seed = 4242;

    for (i = 0; i < 20000; i++) {
        seed = seed * 1103515245 + 12345;
        len = (seed >> 16) % sizeof(a);

        for (j = 0; j < len; j++) {
            seed = seed * 1103515245 + 12345;
            a[j] = (unsigned char) (seed >> 16);

            /* mostly equal, now and then one byte off */
            b[j] = ((seed >> 8) % 97 == 0) ? (unsigned char) ~a[j] : a[j];
        }

        if (ngx_http_secauth_ct_equal(a, b, len)
            != (memcmp(a, b, len) == 0))
        {
            bad++;
        }
    }

    ok(bad == 0, "20000 random pairs agree with memcmp() (%d bad)", bad);
}


int
main(void)
{
    test_basic();
    test_every_bit();
    test_sign();
    test_unaligned();
    test_long();
    test_random();

    return tap_done("ct_test");
}
