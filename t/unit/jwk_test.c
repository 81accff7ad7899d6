
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * Unit tests of ngx_http_secauth_jwk.c: JWKs imported are proven by the
 * JWS examples of RFC 7520 (the RSA, P-521 and symmetric keys of 3.1-3.5
 * verify the signatures of 4.1, 4.3 and 4.4) and of RFC 8037 A.4
 * (Ed25519); bad keys are refused or skipped with a reason; a key exported
 * imports back to a key that verifies the same signatures.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ngx_http_secauth_jwk.h"
#include "tap.h"
#include "rfc7520.h"


/* RFC 8037 A.2 and A.4 */

static const char  ed_x[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

static const char  ed_jws[] =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsP"
    "t9g7sVvpAr_MuM0KAg";


static json_t *
jwk(const char *fmt, ...)
{
    char          buf[8192];
    json_t       *j;
    va_list       args;
    json_error_t  e;

    va_start(args, fmt);
    vsnprintf(buf, sizeof(buf), fmt, args);
    va_end(args);

    j = json_loads(buf, JSON_REJECT_DUPLICATES, &e);
    if (j == NULL) {
        tap_diag("bad test JSON: %s: %s", e.text, buf);
        tap_bail("a test JWK does not parse");
    }

    return j;
}


/* 1 when the compact JWS verifies under key */

static int
verifies(const ngx_http_secauth_jws_key_t *key, const char *jws)
{
    int             rc;
    long            n;
    const char     *dot;
    unsigned char  *sig;

    dot = strrchr(jws, '.');
    sig = tap_alloc(ngx_http_secauth_b64url_decoded_len(strlen(dot + 1)));
    n = ngx_http_secauth_b64url_decode(sig, (const unsigned char *) dot + 1,
                                       strlen(dot + 1));
    rc = n > 0
         && ngx_http_secauth_jws_verify(key, (const unsigned char *) jws,
                                        dot - jws, sig, n) == 1;
    free(sig);

    return rc;
}


/* imports j (which it frees); rc the import's, the key kept in *key */

static int
import(json_t *j, int alg_default, int allow_secret,
    ngx_http_secauth_jws_key_t *key, const char **err)
{
    int                            rc;
    ngx_http_secauth_jwk_import_t  in;

    memset(&in, 0, sizeof(in));
    in.alg_default = alg_default;
    in.allow_secret = allow_secret;

    rc = ngx_http_secauth_jwk_import(key, j, &in);

    if (err) {
        *err = in.err;
    }

    if (rc != 0) {
        ngx_http_secauth_jws_key_free(key);
    }

    json_decref(j);

    return rc;
}


static void
test_rfc(void)
{
    int                          rc;
    json_t                      *back;
    const char                  *err;
    ngx_http_secauth_jws_key_t   key, again;
    ngx_http_secauth_jwk_import_t in;

    tap_diag("RFC 7520 and RFC 8037 keys verify their examples");

    rc = import(jwk("{\"kty\":\"RSA\",\"kid\":\"bilbo\",\"use\":\"sig\","
                    "\"alg\":\"RS256\",\"n\":\"%s\",\"e\":\"%s\"}",
                    rsa_n, rsa_e), 0, 0, &key, &err);
    ok(rc == 0, "RSA: imported (%s)", err ? err : "ok");
    ok(rc == 0 && verifies(&key, rs256_jws), "RSA: RFC 7520 4.1 verifies");

    /* exported and imported back: the same key */

    if (rc == 0) {
        back = ngx_http_secauth_jwk_export(&key);
        ok(back && strcmp(json_string_value(json_object_get(back, "n")),
                          rsa_n) == 0
           && strcmp(json_string_value(json_object_get(back, "e")), "AQAB")
              == 0
           && strcmp(json_string_value(json_object_get(back, "alg")),
                     "RS256") == 0
           && strcmp(json_string_value(json_object_get(back, "use")), "sig")
              == 0
           && json_object_get(back, "d") == NULL,
           "RSA: exported as the RFC's n and e, alg, use, nothing private");
        memset(&in, 0, sizeof(in));
        ok(back && ngx_http_secauth_jwk_import(&again, back, &in) == 0
           && verifies(&again, rs256_jws),
           "RSA: the export imports back and verifies");
        ngx_http_secauth_jws_key_free(&again);
        json_decref(back);
    }

    ngx_http_secauth_jws_key_free(&key);

    rc = import(jwk("{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"}",
                    rsa_n, rsa_e), NGX_HTTP_SECAUTH_JWS_RS256, 0, &key,
                &err);
    ok(rc == 0 && verifies(&key, rs256_jws),
       "RSA without alg: the directive's alg= (RS256)");
    ngx_http_secauth_jws_key_free(&key);

    rc = import(jwk("{\"kty\":\"EC\",\"crv\":\"P-521\",\"alg\":\"ES512\","
                    "\"x\":\"%s\",\"y\":\"%s\"}", ec_x, ec_y), 0, 0, &key,
                &err);
    ok(rc == 0 && verifies(&key, es512_jws), "P-521: RFC 7520 4.3 verifies");

    if (rc == 0) {
        back = ngx_http_secauth_jwk_export(&key);
        ok(back && strcmp(json_string_value(json_object_get(back, "x")),
                          ec_x) == 0
           && strcmp(json_string_value(json_object_get(back, "y")), ec_y)
              == 0
           && strcmp(json_string_value(json_object_get(back, "crv")),
                     "P-521") == 0,
           "P-521: exported as the RFC's crv, x and y (leading zeros kept)");
        json_decref(back);
    }

    ngx_http_secauth_jws_key_free(&key);

    rc = import(jwk("{\"kty\":\"oct\",\"alg\":\"HS256\",\"k\":\"%s\"}",
                    oct_k), 0, 1, &key, &err);
    ok(rc == 0 && verifies(&key, hs256_jws), "oct: RFC 7520 4.4 verifies");
    ok(rc == 0 && ngx_http_secauth_jwk_export(&key) == NULL,
       "oct: a secret is never exported");
    ngx_http_secauth_jws_key_free(&key);

    rc = import(jwk("{\"kty\":\"oct\",\"alg\":\"HS256\",\"k\":\"%s\"}",
                    oct_k), 0, 0, &key, &err);
    ok(rc == -1 && err && strstr(err, "shared secret"),
       "oct: refused where secrets are not allowed (%s)", err ? err : "");

    rc = import(jwk("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"alg\":\"EdDSA\","
                    "\"kid\":\"ed\",\"x\":\"%s\"}", ed_x), 0, 0, &key, &err);
    ok(rc == 0 && verifies(&key, ed_jws), "Ed25519: RFC 8037 A.4 verifies");

    if (rc == 0) {
        key.kid = (unsigned char *) "ed";
        key.kid_len = 2;
        back = ngx_http_secauth_jwk_export(&key);
        ok(back && strcmp(json_string_value(json_object_get(back, "x")), ed_x)
                   == 0
           && strcmp(json_string_value(json_object_get(back, "kty")), "OKP")
              == 0
           && strcmp(json_string_value(json_object_get(back, "kid")), "ed")
              == 0,
           "Ed25519: exported as OKP, the RFC's x, with its kid");
        json_decref(back);
        key.kid = NULL;
    }

    ngx_http_secauth_jws_key_free(&key);
}


static void
test_bad(void)
{
    int                          rc;
    size_t                       i;
    const char                  *err;
    ngx_http_secauth_jws_key_t   key;
    char                         half_x[64], long_n[4200];

    static const struct {
        const char  *json;
        int          want;             /* -1 refused, 1 skipped */
        const char  *why;
    } bad[] = {
        { "[]", -1, "not an object" },
        { "{}", -1, "no kty" },
        { "{\"kty\":7}", -1, "kty not a string" },
        { "{\"kty\":\"XYZ\",\"alg\":\"RS256\"}", 1, "unknown kty" },
        { "{\"kty\":\"RSA\",\"alg\":\"RS256\",\"use\":\"enc\"}", 1,
          "use enc" },
        { "{\"kty\":\"RSA\",\"alg\":\"RS256\",\"use\":1}", -1,
          "use not a string" },
        { "{\"kty\":\"RSA\",\"alg\":\"RS256\",\"key_ops\":[\"encrypt\"]}", 1,
          "key_ops without verify" },
        { "{\"kty\":\"RSA\",\"alg\":\"RS256\",\"key_ops\":\"verify\"}", -1,
          "key_ops not an array" },
        { "{\"kty\":\"RSA\",\"alg\":\"RS256\",\"key_ops\":[1]}", -1,
          "key_ops member not a string" },
        { "{\"kty\":\"RSA\",\"alg\":\"RSA-OAEP\"}", 1, "an encryption alg" },
        { "{\"kty\":\"RSA\",\"alg\":\"none\"}", 1, "alg none" },
        { "{\"kty\":\"RSA\",\"alg\":\"rs256\"}", 1, "alg in lower case" },
        { "{\"kty\":\"RSA\",\"alg\":256}", -1, "alg not a string" },
        { "{\"kty\":\"RSA\"}", -1, "no alg and no default" },
        { "{\"kty\":\"RSA\",\"alg\":\"RS256\",\"kid\":5}", -1,
          "kid not a string" },
        { "{\"kty\":\"RSA\",\"alg\":\"RS256\",\"n\":\"AQAB\"}", -1,
          "no e" },
        { "{\"kty\":\"RSA\",\"alg\":\"RS256\",\"e\":\"AQAB\"}", -1,
          "no n" },
        { "{\"kty\":\"RSA\",\"alg\":\"RS256\",\"n\":\"AQAB\",\"e\":\"AQAB\"}",
          -1, "a 24-bit modulus" },
        { "{\"kty\":\"RSA\",\"alg\":\"RS256\",\"n\":\"AQAB=\",\"e\":\"AQAB\"}",
          -1, "padding in n" },
        { "{\"kty\":\"RSA\",\"alg\":\"RS256\",\"n\":\"AQ+B\",\"e\":\"AQAB\"}",
          -1, "standard base64 in n" },
        { "{\"kty\":\"RSA\",\"alg\":\"RS256\",\"n\":\"\",\"e\":\"AQAB\"}",
          -1, "empty n" },
        { "{\"kty\":\"EC\",\"alg\":\"ES256\",\"crv\":\"P-256K\","
          "\"x\":\"AA\",\"y\":\"AA\"}", -1, "unknown crv" },
        { "{\"kty\":\"EC\",\"alg\":\"ES256\",\"x\":\"AA\",\"y\":\"AA\"}", -1,
          "no crv" },
        { "{\"kty\":\"OKP\",\"alg\":\"EdDSA\",\"crv\":\"X25519\","
          "\"x\":\"AA\"}", 1, "X25519" },
        { "{\"kty\":\"OKP\",\"alg\":\"EdDSA\",\"crv\":\"Ed25519\","
          "\"x\":\"AAAA\"}", -1, "a short Ed25519 x" },
        { "{\"kty\":\"oct\",\"alg\":\"HS256\",\"k\":\"AAAA\"}", -1,
          "a 3-byte HMAC secret" },
        { "{\"kty\":\"oct\",\"alg\":\"RS256\",\"k\":\"AAAA\"}", -1,
          "oct for RS256" },
        { NULL, 0, NULL }
    };

    tap_diag("bad keys");

    for (i = 0; bad[i].json; i++) {
        rc = import(jwk("%s", bad[i].json), NGX_HTTP_SECAUTH_JWS_NONE, 1,
                    &key, &err);
        ok(rc == bad[i].want && err != NULL,
           "%s: %s (%s)", bad[i].why, rc == 1 ? "skipped" : "refused",
           err ? err : "no reason");
    }

    /* private members: never a verification key */

    rc = import(jwk("{\"kty\":\"RSA\",\"alg\":\"RS256\",\"n\":\"%s\","
                    "\"e\":\"%s\",\"d\":\"%s\"}", rsa_n, rsa_e, rsa_d),
                0, 0, &key, &err);
    ok(rc == -1 && strstr(err, "private"), "RSA with d: refused (%s)", err);

    rc = import(jwk("{\"kty\":\"EC\",\"crv\":\"P-521\",\"alg\":\"ES512\","
                    "\"x\":\"%s\",\"y\":\"%s\",\"d\":\"%s\"}",
                    ec_x, ec_y, ec_d), 0, 0, &key, &err);
    ok(rc == -1 && strstr(err, "private"), "EC with d: refused");

    /* the key's type against its alg */

    rc = import(jwk("{\"kty\":\"RSA\",\"alg\":\"ES256\",\"n\":\"%s\","
                    "\"e\":\"%s\"}", rsa_n, rsa_e), 0, 0, &key, &err);
    ok(rc == -1, "RSA for ES256: refused (%s)", err);

    rc = import(jwk("{\"kty\":\"EC\",\"crv\":\"P-521\",\"alg\":\"ES256\","
                    "\"x\":\"%s\",\"y\":\"%s\"}", ec_x, ec_y), 0, 0, &key,
                &err);
    ok(rc == -1, "P-521 for ES256: refused (%s)", err);

    rc = import(jwk("{\"kty\":\"RSA\",\"alg\":\"HS256\",\"n\":\"%s\","
                    "\"e\":\"%s\"}", rsa_n, rsa_e), 0, 1, &key, &err);
    ok(rc == -1, "an RSA key for HS256 (algorithm confusion): refused (%s)",
       err);

    rc = import(jwk("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"alg\":\"RS256\","
                    "\"x\":\"%s\"}", ed_x), 0, 0, &key, &err);
    ok(rc == -1, "Ed25519 for RS256: refused (%s)", err);

    /* exponents */

    rc = import(jwk("{\"kty\":\"RSA\",\"alg\":\"RS256\",\"n\":\"%s\","
                    "\"e\":\"AQ\"}", rsa_n), 0, 0, &key, &err);
    ok(rc == -1, "e = 1: refused (%s)", err);

    /* found by the jwk fuzz target: 1 with leading zero bytes */

    rc = import(jwk("{\"kty\":\"RSA\",\"alg\":\"RS256\",\"n\":\"%s\","
                    "\"e\":\"AAAB\"}", rsa_n), 0, 0, &key, &err);
    ok(rc == -1, "e = 1 written 00 00 01: refused (%s)", err);

    rc = import(jwk("{\"kty\":\"RSA\",\"alg\":\"RS256\",\"n\":\"%s\","
                    "\"e\":\"AAEAAQ\"}", rsa_n), 0, 0, &key, &err);
    ok(rc == 0, "e = 65537 with a leading zero byte: imported (%s)",
       err ? err : "ok");
    ngx_http_secauth_jws_key_free(&key);

    rc = import(jwk("{\"kty\":\"RSA\",\"alg\":\"RS256\",\"n\":\"%s\","
                    "\"e\":\"AQAA\"}", rsa_n), 0, 0, &key, &err);
    ok(rc == -1, "an even e: refused (%s)", err);

    rc = import(jwk("{\"kty\":\"RSA\",\"alg\":\"RS256\",\"n\":\"%s\","
                    "\"e\":\"AQAAAAAAAAAB\"}", rsa_n), 0, 0, &key, &err);
    ok(rc == -1, "a 72-bit e: refused (%s)", err);

    /* coordinates: the curve's size, on the curve */

    memcpy(half_x, ec_x, 40);
    half_x[40] = '\0';

    rc = import(jwk("{\"kty\":\"EC\",\"crv\":\"P-521\",\"alg\":\"ES512\","
                    "\"x\":\"%s\",\"y\":\"%s\"}", half_x, ec_y), 0, 0, &key,
                &err);
    ok(rc == -1, "P-521 with a short x: refused (%s)", err);

    rc = import(jwk("{\"kty\":\"EC\",\"crv\":\"P-521\",\"alg\":\"ES512\","
                    "\"x\":\"%s\",\"y\":\"%s\"}", ec_x, ec_x), 0, 0, &key,
                &err);
    ok(rc == -1 && strstr(err, "curve"),
       "P-521 with y = x, off the curve: refused (%s)", err);

    /* a modulus past the bound */

    memset(long_n, 'A', sizeof(long_n) - 1);
    long_n[0] = 'x';
    long_n[sizeof(long_n) - 1] = '\0';

    rc = import(jwk("{\"kty\":\"RSA\",\"alg\":\"RS256\",\"n\":\"%s\","
                    "\"e\":\"AQAB\"}", long_n), 0, 0, &key, &err);
    ok(rc == -1, "a modulus of more than 16384 bits: refused (%s)", err);

    /* "use" sig and "key_ops" with verify are kept */

    rc = import(jwk("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"alg\":\"EdDSA\","
                    "\"use\":\"sig\",\"key_ops\":[\"sign\",\"verify\"],"
                    "\"x\":\"%s\"}", ed_x), 0, 0, &key, &err);
    ok(rc == 0 && verifies(&key, ed_jws),
       "use sig and key_ops [sign, verify]: imported");
    ngx_http_secauth_jws_key_free(&key);
}


int
main(void)
{
    test_rfc();
    test_bad();

    return tap_done("jwk_test");
}
