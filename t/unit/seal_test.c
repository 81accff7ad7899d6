
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * Unit tests of core/ngx_http_secauth_seal.c, linked alone: HKDF-SHA-256
 * against RFC 5869 A.1-A.3, and AES-256-GCM sealing: a round trip, two
 * seals of one value differ (fresh nonces), and every way a sealed value
 * must fail to open (another key, another context, each byte flipped,
 * cut short, another version). Output is TAP.
 */


#define _GNU_SOURCE

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_secauth_seal.h"
#include "tap.h"


static void hex(unsigned char *dst, const char *src);
static void test_hkdf(void);
static void test_seal(void);
static void test_refused(void);


static const unsigned char  key[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char  key2[32] = "0123456789abcdef0123456789abcdeF";
static const unsigned char  secret[20] = "\x01\x02\x03\x04\x05\x06\x07\x08"
                                         "\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"
                                         "\x11\x12\x13\x14";


static void
hex(unsigned char *dst, const char *src)
{
    unsigned int  b;

    while (*src) {
        sscanf(src, "%2x", &b);
        *dst++ = (unsigned char) b;
        src += 2;
    }
}


static void
test_hkdf(void)
{
    size_t         i;
    unsigned char  ikm[80], salt[80], info[80], okm[82], out[82];

    static const struct {
        const char  *ikm, *salt, *info, *okm;
    } v[] = {
        /* RFC 5869 A.1 */
        { "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
          "000102030405060708090a0b0c",
          "f0f1f2f3f4f5f6f7f8f9",
          "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
          "34007208d5b887185865" },
        /* A.3: no salt, no info */
        { "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
          "",
          "",
          "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
          "9d201395faa4b61a96c8" },
    };

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        hex(ikm, v[i].ikm);
        hex(salt, v[i].salt);
        hex(info, v[i].info);
        hex(okm, v[i].okm);

        ok(ngx_http_secauth_hkdf(out, strlen(v[i].okm) / 2, ikm,
                                 strlen(v[i].ikm) / 2, salt,
                                 strlen(v[i].salt) / 2, info,
                                 strlen(v[i].info) / 2) == 0
           && memcmp(out, okm, strlen(v[i].okm) / 2) == 0,
           "RFC 5869 vector %zu", i);
    }

    ok(ngx_http_secauth_hkdf(out, 0, ikm, 22, NULL, 0, info, 1) == -1,
       "HKDF of 0 bytes: refused");
    ok(ngx_http_secauth_hkdf(out, 32, ikm, 0, NULL, 0, info, 1) == -1,
       "HKDF of an empty key: refused");
}


static void
test_seal(void)
{
    long           n, m;
    unsigned char  *a, *b, *pt;

    a = tap_alloc(sizeof(secret) + NGX_HTTP_SECAUTH_SEAL_OVERHEAD);
    b = tap_alloc(sizeof(secret) + NGX_HTTP_SECAUTH_SEAL_OVERHEAD);
    pt = tap_alloc(sizeof(secret));

    n = ngx_http_secauth_seal(a, key, (const unsigned char *) "alice", 5,
                              secret, sizeof(secret));
    ok(n == (long) (sizeof(secret) + NGX_HTTP_SECAUTH_SEAL_OVERHEAD),
       "sealed length is the plaintext's + %d",
       NGX_HTTP_SECAUTH_SEAL_OVERHEAD);
    ok(a[0] == NGX_HTTP_SECAUTH_SEAL_VERSION, "version byte first");
    ok(memmem(a, (size_t) n, secret, 4) == NULL,
       "the plaintext is not in the sealed value");

    m = ngx_http_secauth_open(pt, key, (const unsigned char *) "alice", 5,
                              a, (size_t) n);
    ok(m == (long) sizeof(secret) && memcmp(pt, secret, sizeof(secret)) == 0,
       "opens back to the plaintext");

    ngx_http_secauth_seal(b, key, (const unsigned char *) "alice", 5,
                          secret, sizeof(secret));
    ok(memcmp(a, b, (size_t) n) != 0, "two seals differ (fresh nonce)");

    free(a);
    free(b);
    free(pt);

    a = tap_alloc(NGX_HTTP_SECAUTH_SEAL_OVERHEAD);
    pt = tap_alloc(1);
    n = ngx_http_secauth_seal(a, key, NULL, 0, NULL, 0);
    ok(n == NGX_HTTP_SECAUTH_SEAL_OVERHEAD
       && ngx_http_secauth_open(pt, key, NULL, 0, a, (size_t) n) == 0,
       "an empty value without context seals and opens");
    free(a);
    free(pt);
}


static void
test_refused(void)
{
    int            all;
    long           n;
    size_t         i;
    unsigned char  *a, *pt;

    a = tap_alloc(sizeof(secret) + NGX_HTTP_SECAUTH_SEAL_OVERHEAD);
    pt = tap_alloc(sizeof(secret));

    n = ngx_http_secauth_seal(a, key, (const unsigned char *) "alice", 5,
                              secret, sizeof(secret));

    ok(ngx_http_secauth_open(pt, key2, (const unsigned char *) "alice", 5,
                             a, (size_t) n) == -1,
       "another key: refused");

    memcpy(pt, secret, sizeof(secret));
    ok(ngx_http_secauth_open(pt, key, (const unsigned char *) "alicf", 5,
                             a, (size_t) n) == -1,
       "another context (user): refused");
    ok(memcmp(pt, "\0\0\0\0\0\0\0\0", 8) == 0, "after a refusal dst is zeroed");

    ok(ngx_http_secauth_open(pt, key, (const unsigned char *) "alice", 4,
                             a, (size_t) n) == -1,
       "a shorter context: refused");

    all = 1;

    for (i = 0; i < (size_t) n; i++) {
        a[i] ^= 0x01;

        if (ngx_http_secauth_open(pt, key, (const unsigned char *) "alice", 5,
                                  a, (size_t) n) != -1)
        {
            tap_diag("byte %zu flipped was accepted", i);
            all = 0;
        }

        a[i] ^= 0x01;
    }

    ok(all, "any byte flipped: refused");

    all = 1;

    for (i = 0; i < (size_t) n; i++) {
        if (ngx_http_secauth_open(pt, key, (const unsigned char *) "alice", 5,
                                  a, i) != -1)
        {
            all = 0;
        }
    }

    ok(all, "cut short at any length: refused");

    ok(ngx_http_secauth_open(pt, key, (const unsigned char *) "alice", 5,
                             a, (size_t) n) == (long) sizeof(secret),
       "the untouched value still opens");

    free(a);
    free(pt);
}


int
main(void)
{
    test_hkdf();
    test_seal();
    test_refused();

    return tap_done("seal_test");
}
