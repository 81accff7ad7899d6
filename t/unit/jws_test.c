
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * Unit tests of ngx_http_secauth_jws.c, linked alone with libcrypto.
 *
 * The signature checks are proven on the JWS examples of RFC 7520
 * ("Examples of Protecting Content Using JSON Object Signing and
 * Encryption (JOSE)", the JOSE Cookbook):
 *
 *   4.1  RSA v1.5 Signature             RS256, the RSA key of 3.3/3.4
 *   4.3  ECDSA Signature                ES512, the P-521 key of 3.1/3.2
 *   4.4  HMAC-SHA2 Integrity Protection HS256, the symmetric key of 3.5
 *
 * The keys (JWK "n"/"e", "x"/"y", "k", and the private parts used only to
 * double-check the vectors) and the compact serializations are copied from
 * the RFC's machine-readable examples, github.com/ietf-jose/cookbook,
 * jws/4_1.rsa_v15_signature.json, jws/4_3.ecdsa_signature.json and
 * jws/4_4.hmac-sha2_integrity_protection.json, and were compared with the
 * copies in other JOSE libraries' test suites (jose4j, nimbus-jose-jwt,
 * pyjwt). ECDSA signatures are randomized: for 4.3 only the verification
 * of the RFC's signature is checked.
 *
 * Output is TAP; the exit code is 0 when every test passed.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "ngx_http_secauth_jws.h"


typedef ngx_http_secauth_jws_key_t    jws_key_t;
typedef ngx_http_secauth_jws_parts_t  jws_parts_t;


#include "rfc7520.h"


static int  tests_run;
static int  tests_failed;
static int  todo_failed;


static void
vok(int cond, const char *todo, const char *fmt, va_list args)
{
    char    name[512];
    size_t  i;

    tests_run++;

    if (!cond) {
        if (todo) {
            todo_failed++;

        } else {
            tests_failed++;
        }
    }

    printf("%sok %d - ", cond ? "" : "not ", tests_run);

    /* a name stays on its line: control and 8-bit bytes as \xNN */

    vsnprintf(name, sizeof(name), fmt, args);

    for (i = 0; name[i]; i++) {
        if ((unsigned char) name[i] < 0x20
            || (unsigned char) name[i] >= 0x7f)
        {
            printf("\\x%02x", (unsigned char) name[i]);

        } else {
            putchar(name[i]);
        }
    }

    if (todo) {
        printf(" # TODO %s", todo);
    }

    printf("\n");
    fflush(stdout);
}


static int
ok(int cond, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    vok(cond, NULL, fmt, args);
    va_end(args);

    return cond;
}


static void
bail(const char *what)
{
    printf("Bail out! %s\n", what);
    ERR_print_errors_fp(stdout);
    exit(2);
}


static void *
xmalloc(size_t size)
{
    void  *p;

    p = malloc(size ? size : 1);
    if (p == NULL) {
        bail("out of memory");
    }

    return p;
}


/* decodes a base64url literal of this file; the decoder is tested below */

static unsigned char *
b64(const char *s, size_t *len)
{
    long            n;
    size_t          slen;
    unsigned char  *p;

    slen = strlen(s);
    p = xmalloc(ngx_http_secauth_b64url_decoded_len(slen));

    n = ngx_http_secauth_b64url_decode(p, (const unsigned char *) s, slen);
    if (n < 0) {
        printf("# cannot decode \"%s\"\n", s);
        bail("a test vector is not base64url");
    }

    *len = (size_t) n;

    return p;
}


/* base64url encoding into a fresh NUL-terminated string */

static char *
b64enc(const unsigned char *src, size_t len)
{
    char    *p;
    size_t   n;

    p = xmalloc(ngx_http_secauth_b64url_encoded_len(len) + 1);
    n = ngx_http_secauth_b64url_encode((unsigned char *) p, src, len);
    p[n] = '\0';

    return p;
}


/*
 * An independent decoder for cross-checking: base64url is turned into
 * padded base64 and given to OpenSSL's EVP_DecodeBlock().
 */

static unsigned char *
b64_ref(const char *s, size_t *len)
{
    int             n;
    char           *std;
    size_t          i, slen, pad;
    unsigned char  *p;

    slen = strlen(s);
    pad = (4 - slen % 4) % 4;

    std = xmalloc(slen + pad + 1);

    for (i = 0; i < slen; i++) {
        std[i] = s[i] == '-' ? '+' : (s[i] == '_' ? '/' : s[i]);
    }

    for (i = 0; i < pad; i++) {
        std[slen + i] = '=';
    }

    std[slen + pad] = '\0';

    p = xmalloc((slen + pad) / 4 * 3 + 1);
    n = EVP_DecodeBlock(p, (unsigned char *) std, (int) (slen + pad));
    free(std);

    if (n < 0 || (size_t) n < pad) {
        bail("EVP_DecodeBlock failed on a test vector");
    }

    *len = (size_t) n - pad;

    return p;
}


static EVP_PKEY *
pkey_fromdata(const char *type, int selection, OSSL_PARAM_BLD *bld)
{
    EVP_PKEY      *pkey;
    OSSL_PARAM    *params;
    EVP_PKEY_CTX  *ctx;

    pkey = NULL;

    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);

    if (params == NULL || ctx == NULL
        || EVP_PKEY_fromdata_init(ctx) != 1
        || EVP_PKEY_fromdata(ctx, &pkey, selection, params) != 1)
    {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }

    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);

    return pkey;
}


/* pushes a big-endian base64url JWK member as a BIGNUM; frees it later */

static void
push_bn(OSSL_PARAM_BLD *bld, const char *name, const char *value,
    BIGNUM **bn)
{
    size_t          len;
    unsigned char  *bin;

    bin = b64(value, &len);
    *bn = BN_bin2bn(bin, (int) len, NULL);
    free(bin);

    if (*bn == NULL || OSSL_PARAM_BLD_push_BN(bld, name, *bn) != 1) {
        bail("cannot push a BIGNUM");
    }
}


/* an RSA key from the JWK members; the private part is optional */

static EVP_PKEY *
rsa_from_jwk(const char *type, int private)
{
    int              i, n;
    BIGNUM          *bn[8];
    EVP_PKEY        *pkey;
    OSSL_PARAM_BLD  *bld;

    static const char  *names[8] = {
        OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E,
        OSSL_PKEY_PARAM_RSA_D, OSSL_PKEY_PARAM_RSA_FACTOR1,
        OSSL_PKEY_PARAM_RSA_FACTOR2, OSSL_PKEY_PARAM_RSA_EXPONENT1,
        OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1
    };
    const char  *values[8];

    values[0] = rsa_n;
    values[1] = rsa_e;
    values[2] = rsa_d;
    values[3] = rsa_p;
    values[4] = rsa_q;
    values[5] = rsa_dp;
    values[6] = rsa_dq;
    values[7] = rsa_qi;

    n = private ? 8 : 2;

    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL) {
        bail("OSSL_PARAM_BLD_new");
    }

    for (i = 0; i < n; i++) {
        push_bn(bld, names[i], values[i], &bn[i]);
    }

    pkey = pkey_fromdata(type, private ? EVP_PKEY_KEYPAIR
                                       : EVP_PKEY_PUBLIC_KEY, bld);

    OSSL_PARAM_BLD_free(bld);

    for (i = 0; i < n; i++) {
        BN_free(bn[i]);
    }

    return pkey;
}


/* an EC key from a group name and the public point 04 || x || y */

static EVP_PKEY *
ec_from_point(const char *group, const unsigned char *point, size_t len,
    const char *d)
{
    BIGNUM          *priv;
    EVP_PKEY        *pkey;
    OSSL_PARAM_BLD  *bld;

    priv = NULL;

    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL
        || OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                           group, 0)
           != 1
        || OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                            point, len)
           != 1)
    {
        bail("cannot build EC parameters");
    }

    if (d) {
        push_bn(bld, OSSL_PKEY_PARAM_PRIV_KEY, d, &priv);
    }

    pkey = pkey_fromdata("EC", d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                         bld);

    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(priv);

    return pkey;
}


/* the P-521 key of RFC 7520 3.1 from the JWK "x" and "y" (and "d") */

static EVP_PKEY *
ec_from_jwk(const char *group, int private)
{
    size_t          xlen, ylen;
    EVP_PKEY       *pkey;
    unsigned char  *x, *y, point[1 + 2 * 66];

    x = b64(ec_x, &xlen);
    y = b64(ec_y, &ylen);

    if (xlen != 66 || ylen != 66) {
        bail("the P-521 coordinates are not 66 bytes");
    }

    point[0] = 0x04;
    memcpy(point + 1, x, 66);
    memcpy(point + 1 + 66, y, 66);

    free(x);
    free(y);

    pkey = ec_from_point(group, point, sizeof(point),
                         private ? ec_d : NULL);

    return pkey;
}


static EVP_PKEY *
ec_generate(const char *curve)
{
    EVP_PKEY  *pkey;

    pkey = EVP_EC_gen(curve);
    if (pkey == NULL) {
        bail("cannot generate an EC key");
    }

    return pkey;
}


/* the same public key, rebuilt from its point under another group name */

static EVP_PKEY *
ec_public_copy(EVP_PKEY *src, const char *group)
{
    size_t          len;
    unsigned char   point[256];

    if (EVP_PKEY_get_octet_string_param(src, OSSL_PKEY_PARAM_PUB_KEY,
                                        point, sizeof(point), &len)
        != 1)
    {
        bail("cannot get an EC public point");
    }

    return ec_from_point(group, point, len, NULL);
}


/* signs with OpenSSL; ECDSA's DER is turned into JWS's r || s */

static unsigned char *
sign(EVP_PKEY *pkey, const char *digest, size_t ec_size,
    const unsigned char *input, size_t input_len, size_t *sig_len)
{
    size_t                len;
    EVP_MD_CTX           *md;
    ECDSA_SIG            *es;
    const BIGNUM         *r, *s;
    unsigned char        *sig, *jws;
    const unsigned char  *p;

    md = EVP_MD_CTX_new();
    if (md == NULL
        || EVP_DigestSignInit_ex(md, NULL, digest, NULL, NULL, pkey, NULL)
           != 1
        || EVP_DigestSign(md, NULL, &len, input, input_len) != 1)
    {
        bail("cannot start signing");
    }

    sig = xmalloc(len);

    if (EVP_DigestSign(md, sig, &len, input, input_len) != 1) {
        bail("cannot sign");
    }

    EVP_MD_CTX_free(md);

    if (ec_size == 0) {
        *sig_len = len;
        return sig;
    }

    p = sig;
    es = d2i_ECDSA_SIG(NULL, &p, (long) len);
    if (es == NULL) {
        bail("cannot parse an ECDSA signature");
    }

    ECDSA_SIG_get0(es, &r, &s);

    jws = xmalloc(2 * ec_size);

    if (BN_bn2binpad(r, jws, (int) ec_size) < 0
        || BN_bn2binpad(s, jws + ec_size, (int) ec_size) < 0)
    {
        bail("cannot convert an ECDSA signature");
    }

    ECDSA_SIG_free(es);
    free(sig);

    *sig_len = 2 * ec_size;

    return jws;
}


static void
test_b64url(void)
{
    int             bad;
    long            n;
    size_t          i, len, elen, rlen, mlen;
    unsigned char   src[300], enc[400], dec[300];
    unsigned char  *mine, *ref;

    static const struct {
        const char  *enc;
        const char  *dec;
        size_t       len;
    } known[] = {
        { "", "", 0 },
        { "Zg", "f", 1 },
        { "Zm8", "fo", 2 },
        { "Zm9v", "foo", 3 },
        { "Zm9vYg", "foob", 4 },
        { "Zm9vYmE", "fooba", 5 },
        { "Zm9vYmFy", "foobar", 6 },
        { "-_-_", "\xfb\xff\xbf", 3 },
        { "AAAA", "\0\0\0", 3 },
        { "_w", "\xff", 1 },
        { "__8", "\xff\xff", 2 },
        { NULL, NULL, 0 }
    };

    static const char  *refused[] = {
        "Zg==",                    /* padding */
        "Zm8=",
        "Zm9vYg==",
        "=",
        "ab+d",                    /* base64, not base64url */
        "ab/d",
        "+w",
        "A",                       /* 4k + 1 characters */
        "Zm9vY",
        "Zm9vYmFyZ",
        "Zh",                      /* non-canonical: unused bits set */
        "Zm9",
        "Zm9vYh",
        "_x",
        "__9",
        "Zm 9v",                   /* not in the alphabet */
        "Zm9v\n",
        "Zm.9",
        "Zm9v\xff",
        "Zm9v\x80",
        NULL
    };

    printf("# base64url\n");

    for (i = 0; known[i].enc; i++) {
        len = strlen(known[i].enc);
        n = ngx_http_secauth_b64url_decode(dec,
                                     (const unsigned char *) known[i].enc,
                                     len);
        ok(n == (long) known[i].len
           && memcmp(dec, known[i].dec, known[i].len) == 0,
           "decode \"%s\"", known[i].enc);

        elen = ngx_http_secauth_b64url_encode(enc,
                                     (const unsigned char *) known[i].dec,
                                     known[i].len);
        ok(elen == len && memcmp(enc, known[i].enc, len) == 0,
           "encode to \"%s\"", known[i].enc);
    }

    for (i = 0; refused[i]; i++) {
        n = ngx_http_secauth_b64url_decode(dec,
                                     (const unsigned char *) refused[i],
                                     strlen(refused[i]));
        ok(n == -1, "decode refuses \"%s\"", refused[i]);
    }

    /* NUL is not in the alphabet: the length is used, not strlen() */

    n = ngx_http_secauth_b64url_decode(dec, (const unsigned char *) "Zm\0v",
                                       4);
    ok(n == -1, "decode refuses an embedded NUL");

    n = ngx_http_secauth_b64url_decode(dec, (const unsigned char *) "Zm9v+",
                                       4);
    ok(n == 3 && memcmp(dec, "foo", 3) == 0,
       "decode reads no further than its length");

    /* round trips of every length 0..299, all 256 byte values */

    for (i = 0; i < sizeof(src); i++) {
        src[i] = (unsigned char) (i * 167 + 13);
    }

    bad = 0;

    for (len = 0; len <= sizeof(src); len++) {
        elen = ngx_http_secauth_b64url_encode(enc, src, len);

        if (elen != (len * 4 + 2) / 3
            || elen > ngx_http_secauth_b64url_encoded_len(len)
            || memchr(enc, '=', elen) || memchr(enc, '+', elen)
            || memchr(enc, '/', elen))
        {
            bad++;
            continue;
        }

        memset(dec, 0xa5, sizeof(dec));
        n = ngx_http_secauth_b64url_decode(dec, enc, elen);

        if (n != (long) len || memcmp(dec, src, len) != 0
            || (size_t) n > ngx_http_secauth_b64url_decoded_len(elen))
        {
            bad++;
        }
    }

    ok(bad == 0, "encode/decode round trips of 0..%u bytes (%d bad)",
       (unsigned) sizeof(src), bad);

    /* every canonical 2- and 3-character tail, every non-canonical one */

    bad = 0;

    for (i = 0; i < 64 * 64; i++) {
        static const char  abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "abcdefghijklmnopqrstuvwxyz0123456789-_";
        unsigned char      t[2];

        t[0] = (unsigned char) abc[i / 64];
        t[1] = (unsigned char) abc[i % 64];

        n = ngx_http_secauth_b64url_decode(dec, t, 2);

        if ((i % 64) % 16 == 0 ? n != 1 : n != -1) {
            bad++;
        }
    }

    ok(bad == 0, "2-character tails: the 4 unused bits must be zero");

    /* every byte value: in the alphabet, with its value, or refused */

    bad = 0;

    for (i = 0; i < 256; i++) {
        static const char  abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "abcdefghijklmnopqrstuvwxyz0123456789-_";
        const char        *pos;
        unsigned char      t[4];
        jws_parts_t        parts;

        pos = i ? strchr(abc, (int) i) : NULL;

        t[0] = 'A';
        t[1] = 'A';
        t[2] = 'A';
        t[3] = (unsigned char) i;

        n = ngx_http_secauth_b64url_decode(dec, t, 4);

        if (pos ? n != 3 || dec[2] != (unsigned char) (pos - abc)
                : n != -1)
        {
            bad++;
        }

        memcpy(dec, "A.A.A", 5);
        dec[2] = (unsigned char) i;

        if ((ngx_http_secauth_jws_split(dec, 5, &parts) == 0)
            != (pos != NULL))
        {
            bad++;
        }
    }

    ok(bad == 0, "each of the 256 byte values decodes to its value "
       "or is refused, by decode and split");

    /* the decoder agrees with OpenSSL's on every part of the vectors */

    {
        static const char  *vectors[] = {
            rsa_n, rsa_e, rsa_d, rsa_p, rsa_q, rsa_dp, rsa_dq, rsa_qi,
            ec_x, ec_y, ec_d, oct_k, NULL
        };

        bad = 0;

        for (i = 0; vectors[i]; i++) {
            mine = b64(vectors[i], &mlen);
            ref = b64_ref(vectors[i], &rlen);

            if (mlen != rlen || memcmp(mine, ref, mlen) != 0) {
                bad++;
            }

            free(mine);
            free(ref);
        }

        ok(bad == 0, "decoding of the RFC 7520 JWK members matches "
           "EVP_DecodeBlock");
    }
}


static void
test_split(void)
{
    int          rc;
    size_t       i;
    jws_parts_t  parts;

    static const char  *refused[] = {
        "",
        ".",
        "..",
        "...",
        "a",
        "a.b",                     /* two segments */
        "a.b.c.d",                 /* four segments */
        "a.b.c.d.e",               /* a JWE */
        ".b.c",                    /* empty segments */
        "a..c",
        "a.b.",                    /* alg "none" style, empty signature */
        "a.b.c.",
        ".a.b.c",
        "a+.b.c",                  /* not base64url */
        "a.b/.c",
        "a.b.c=",
        "a.b.c==",
        "a.b.c ",
        " a.b.c",
        "a.b.c\n",
        "a.b\r.c",
        "a.\xff.c",
        "a.b.\x80",
        "a.b.c%3D",
        NULL
    };

    printf("# jws_split\n");

    rc = ngx_http_secauth_jws_split((const unsigned char *) rs256_jws,
                                    strlen(rs256_jws), &parts);

    ok(rc == 0
       && parts.header == (const unsigned char *) rs256_jws
       && parts.header_len == 72
       && parts.payload == parts.header + 73
       && parts.payload_len == 223
       && parts.signature == parts.payload + 224
       && parts.signature_len == 342
       && parts.signature + parts.signature_len
          == (const unsigned char *) rs256_jws + strlen(rs256_jws),
       "the RFC 7520 4.1 token splits into 72, 223 and 342 characters");

    rc = ngx_http_secauth_jws_split((const unsigned char *) "a.b.c", 5,
                                    &parts);
    ok(rc == 0 && parts.header_len == 1 && parts.payload_len == 1
       && parts.signature_len == 1 && parts.payload[0] == 'b'
       && parts.signature[0] == 'c',
       "split \"a.b.c\"");

    rc = ngx_http_secauth_jws_split((const unsigned char *) "-_.A-.z_", 8,
                                    &parts);
    ok(rc == 0, "split accepts the whole alphabet's '-' and '_'");

    for (i = 0; refused[i]; i++) {
        rc = ngx_http_secauth_jws_split((const unsigned char *) refused[i],
                                        strlen(refused[i]), &parts);
        ok(rc == -1, "split refuses \"%s\"", refused[i]);
    }

    rc = ngx_http_secauth_jws_split((const unsigned char *) "a.b\0.c", 6,
                                    &parts);
    ok(rc == -1, "split refuses an embedded NUL");

    rc = ngx_http_secauth_jws_split((const unsigned char *) "a.b.c.d", 5,
                                    &parts);
    ok(rc == 0 && parts.signature_len == 1,
       "split reads no further than its length");

    rc = ngx_http_secauth_jws_split((const unsigned char *) "a.b.c", 0,
                                    &parts);
    ok(rc == -1, "split refuses a zero length");
}


static void
test_alg(void)
{
    int     alg;
    size_t  i;

    static const struct {
        const char  *name;
        int          alg;
    } algs[] = {
        { "HS256", NGX_HTTP_SECAUTH_JWS_HS256 },
        { "HS384", NGX_HTTP_SECAUTH_JWS_HS384 },
        { "HS512", NGX_HTTP_SECAUTH_JWS_HS512 },
        { "RS256", NGX_HTTP_SECAUTH_JWS_RS256 },
        { "RS384", NGX_HTTP_SECAUTH_JWS_RS384 },
        { "RS512", NGX_HTTP_SECAUTH_JWS_RS512 },
        { "ES256", NGX_HTTP_SECAUTH_JWS_ES256 },
        { "ES384", NGX_HTTP_SECAUTH_JWS_ES384 },
        { "ES512", NGX_HTTP_SECAUTH_JWS_ES512 },
        { "PS256", NGX_HTTP_SECAUTH_JWS_PS256 },
        { "PS384", NGX_HTTP_SECAUTH_JWS_PS384 },
        { "PS512", NGX_HTTP_SECAUTH_JWS_PS512 },
        { "EdDSA", NGX_HTTP_SECAUTH_JWS_EDDSA },
        { NULL, 0 }
    };

    static const char  *unknown[] = {
        "hs256", "Hs256", "hS256", "rs256", "es512",
        "none", "None", "NONE",
        "HS256 ", " HS256", "HS256\n", "HS25", "HS2560", "HS",
        "", "ps256", "Ps256", "EDDSA", "eddsa", "Ed25519", "ED25519",
        "EdDSA ", "PS25", "ES256K", "HS1", "RS1", "HS128",
        NULL
    };

    printf("# jws_alg\n");

    for (i = 0; algs[i].name; i++) {
        alg = ngx_http_secauth_jws_alg((const unsigned char *) algs[i].name,
                                       strlen(algs[i].name));
        ok(alg == algs[i].alg
           && strcmp(ngx_http_secauth_jws_alg_name(alg), algs[i].name) == 0,
           "alg \"%s\" is known, and named back", algs[i].name);
    }

    for (i = 0; unknown[i]; i++) {
        alg = ngx_http_secauth_jws_alg((const unsigned char *) unknown[i],
                                       strlen(unknown[i]));
        ok(alg == NGX_HTTP_SECAUTH_JWS_NONE, "alg \"%s\" is refused",
           unknown[i]);
    }

    alg = ngx_http_secauth_jws_alg((const unsigned char *) "HS256\0", 6);
    ok(alg == NGX_HTTP_SECAUTH_JWS_NONE, "alg \"HS256\\0\" is refused");

    alg = ngx_http_secauth_jws_alg((const unsigned char *) "RS2567", 5);
    ok(alg == NGX_HTTP_SECAUTH_JWS_RS256,
       "alg reads no further than its length");

    ok(strcmp(ngx_http_secauth_jws_alg_name(NGX_HTTP_SECAUTH_JWS_NONE),
              "none") == 0
       && strcmp(ngx_http_secauth_jws_alg_name(42), "none") == 0,
       "alg_name of an unknown algorithm is \"none\"");

    ok(ngx_http_secauth_jws_is_hmac(NGX_HTTP_SECAUTH_JWS_HS512)
       && !ngx_http_secauth_jws_is_hmac(NGX_HTTP_SECAUTH_JWS_RS256)
       && !ngx_http_secauth_jws_is_hmac(NGX_HTTP_SECAUTH_JWS_NONE)
       && ngx_http_secauth_jws_is_ec(NGX_HTTP_SECAUTH_JWS_ES256)
       && !ngx_http_secauth_jws_is_ec(NGX_HTTP_SECAUTH_JWS_RS512),
       "is_hmac and is_ec");
}


/* key_init must refuse; the key is left empty and freeable */

static void
refuse(int alg, const unsigned char *secret, size_t len, EVP_PKEY *pkey,
    const char *what)
{
    const char  *err;
    jws_key_t    key;

    err = ngx_http_secauth_jws_key_init(&key, alg, secret, len, pkey);
    ok(err != NULL && key.pkey == NULL,
       "key_init refuses %s (\"%s\")", what, err ? err : "accepted");

    ngx_http_secauth_jws_key_free(&key);
    ngx_http_secauth_jws_key_free(&key);
}


static void
accept_key(int alg, const unsigned char *secret, size_t len, EVP_PKEY *pkey,
    const char *what)
{
    const char  *err;
    jws_key_t    key;

    err = ngx_http_secauth_jws_key_init(&key, alg, secret, len, pkey);
    ok(err == NULL && key.alg == alg, "key_init accepts %s%s%s", what,
       err ? ": " : "", err ? err : "");

    ngx_http_secauth_jws_key_free(&key);
    ngx_http_secauth_jws_key_free(&key);
}


static void
test_key_init(EVP_PKEY *rsa, EVP_PKEY *p521)
{
    size_t          klen;
    EVP_PKEY       *rsa1024, *p256, *p384, *p256_nist, *rsa_pss, *ed25519;
    unsigned char   secret[64], *k;

    printf("# key_init\n");

    memset(secret, 0x5c, sizeof(secret));
    k = b64(oct_k, &klen);

    ok(klen == 32, "the RFC 7520 4.4 key is 32 bytes");

    accept_key(NGX_HTTP_SECAUTH_JWS_HS256, k, klen, NULL,
               "the 32-byte RFC 7520 key for HS256");
    refuse(NGX_HTTP_SECAUTH_JWS_HS256, k, 31, NULL,
           "a 31-byte HMAC secret");
    refuse(NGX_HTTP_SECAUTH_JWS_HS512, secret, 31, NULL,
           "a 31-byte HMAC secret for HS512");
    refuse(NGX_HTTP_SECAUTH_JWS_HS256, NULL, 0, NULL, "an empty HMAC secret");
    refuse(NGX_HTTP_SECAUTH_JWS_HS256, NULL, 0, rsa,
           "an RSA key instead of an HMAC secret");

    refuse(NGX_HTTP_SECAUTH_JWS_NONE, secret, sizeof(secret), NULL,
           "alg \"none\" with a secret");
    refuse(NGX_HTTP_SECAUTH_JWS_NONE, NULL, 0, rsa, "alg \"none\" with a key");
    refuse(42, secret, sizeof(secret), rsa, "an unknown algorithm");

    rsa1024 = EVP_RSA_gen(1024);
    if (rsa1024 == NULL) {
        bail("cannot generate an RSA-1024 key");
    }

    p256 = ec_generate("P-256");
    p384 = ec_generate("P-384");

    accept_key(NGX_HTTP_SECAUTH_JWS_RS256, NULL, 0, rsa,
               "the RFC 7520 RSA-2048 key for RS256");
    accept_key(NGX_HTTP_SECAUTH_JWS_RS384, NULL, 0, rsa,
               "the RFC 7520 RSA-2048 key for RS384");
    accept_key(NGX_HTTP_SECAUTH_JWS_RS512, NULL, 0, rsa,
               "the RFC 7520 RSA-2048 key for RS512");
    refuse(NGX_HTTP_SECAUTH_JWS_RS256, NULL, 0, rsa1024,
           "an RSA-1024 key for RS256");
    refuse(NGX_HTTP_SECAUTH_JWS_RS256, NULL, 0, p521,
           "an EC key for RS256");
    refuse(NGX_HTTP_SECAUTH_JWS_RS512, NULL, 0, p256,
           "an EC key for RS512");
    refuse(NGX_HTTP_SECAUTH_JWS_RS256, secret, sizeof(secret), NULL,
           "a secret for RS256");

    /* RS256 is RSASSA-PKCS1-v1_5: a 2048-bit RSA-PSS-only key is not it */

    rsa_pss = rsa_from_jwk("RSA-PSS", 0);
    ok(rsa_pss != NULL && EVP_PKEY_get_bits(rsa_pss) == 2048,
       "the RFC 7520 RSA key built as an RSA-PSS key");
    refuse(NGX_HTTP_SECAUTH_JWS_RS256, NULL, 0, rsa_pss,
           "an RSA-PSS key for RS256");

    ed25519 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    if (ed25519 == NULL) {
        bail("cannot generate an Ed25519 key");
    }

    refuse(NGX_HTTP_SECAUTH_JWS_RS256, NULL, 0, ed25519,
           "an Ed25519 key for RS256");
    refuse(NGX_HTTP_SECAUTH_JWS_ES256, NULL, 0, ed25519,
           "an Ed25519 key for ES256");
    refuse(NGX_HTTP_SECAUTH_JWS_PS256, NULL, 0, ed25519,
           "an Ed25519 key for PS256");
    accept_key(NGX_HTTP_SECAUTH_JWS_EDDSA, NULL, 0, ed25519,
               "an Ed25519 key for EdDSA");
    refuse(NGX_HTTP_SECAUTH_JWS_EDDSA, NULL, 0, rsa, "an RSA key for EdDSA");
    refuse(NGX_HTTP_SECAUTH_JWS_EDDSA, NULL, 0, p256, "an EC key for EdDSA");
    refuse(NGX_HTTP_SECAUTH_JWS_EDDSA, secret, sizeof(secret), NULL,
           "a secret for EdDSA");

    /* PS* is RSASSA-PSS: an RSA key, or an RSA-PSS one; 2048 bits */

    accept_key(NGX_HTTP_SECAUTH_JWS_PS256, NULL, 0, rsa,
               "the RFC 7520 RSA-2048 key for PS256");
    accept_key(NGX_HTTP_SECAUTH_JWS_PS512, NULL, 0, rsa,
               "the RFC 7520 RSA-2048 key for PS512");
    accept_key(NGX_HTTP_SECAUTH_JWS_PS384, NULL, 0, rsa_pss,
               "an RSA-PSS key for PS384");
    refuse(NGX_HTTP_SECAUTH_JWS_PS256, NULL, 0, rsa1024,
           "an RSA-1024 key for PS256");
    refuse(NGX_HTTP_SECAUTH_JWS_PS256, NULL, 0, p256, "an EC key for PS256");
    refuse(NGX_HTTP_SECAUTH_JWS_PS256, secret, sizeof(secret), NULL,
           "a secret for PS256");

    accept_key(NGX_HTTP_SECAUTH_JWS_ES512, NULL, 0, p521,
               "the RFC 7520 P-521 key for ES512");
    accept_key(NGX_HTTP_SECAUTH_JWS_ES256, NULL, 0, p256,
               "a P-256 key for ES256");
    accept_key(NGX_HTTP_SECAUTH_JWS_ES384, NULL, 0, p384,
               "a P-384 key for ES384");
    refuse(NGX_HTTP_SECAUTH_JWS_ES384, NULL, 0, p256,
           "a P-256 key for ES384");
    refuse(NGX_HTTP_SECAUTH_JWS_ES256, NULL, 0, p384,
           "a P-384 key for ES256");
    refuse(NGX_HTTP_SECAUTH_JWS_ES256, NULL, 0, p521,
           "a P-521 key for ES256");
    refuse(NGX_HTTP_SECAUTH_JWS_ES512, NULL, 0, p384,
           "a P-384 key for ES512");
    refuse(NGX_HTTP_SECAUTH_JWS_ES256, NULL, 0, rsa,
           "an RSA key for ES256");
    refuse(NGX_HTTP_SECAUTH_JWS_ES256, secret, sizeof(secret), NULL,
           "a secret for ES256");

    /* the curve check must not depend on how the group was named */

    p256_nist = ec_public_copy(p256, "P-256");
    ok(p256_nist != NULL, "a P-256 public key built as group \"P-256\"");

    if (p256_nist) {
        accept_key(NGX_HTTP_SECAUTH_JWS_ES256, NULL, 0, p256_nist,
                   "a key of group \"P-256\" for ES256");
        refuse(NGX_HTTP_SECAUTH_JWS_ES384, NULL, 0, p256_nist,
               "a key of group \"P-256\" for ES384");
        EVP_PKEY_free(p256_nist);
    }

    /*
     * RFC 7518 3.2: "A key of the same size as the hash output ... or
     * larger MUST be used", so 48 bytes for HS384, 64 for HS512.
     */

    {
        const char  *err;
        jws_key_t    key;

        err = ngx_http_secauth_jws_key_init(&key, NGX_HTTP_SECAUTH_JWS_HS512,
                                            secret, 32, NULL);
        ok(err != NULL, "key_init refuses a 32-byte secret for HS512");
        ngx_http_secauth_jws_key_free(&key);

        err = ngx_http_secauth_jws_key_init(&key, NGX_HTTP_SECAUTH_JWS_HS384,
                                            secret, 47, NULL);
        ok(err != NULL, "key_init refuses a 47-byte secret for HS384");
        ngx_http_secauth_jws_key_free(&key);
    }

    EVP_PKEY_free(rsa1024);
    EVP_PKEY_free(rsa_pss);
    EVP_PKEY_free(ed25519);
    EVP_PKEY_free(p256);
    EVP_PKEY_free(p384);
    free(k);
}


/* verify() must say exactly "not valid" (0) */

static int
count_not_zero(const jws_key_t *key, const unsigned char *input,
    size_t input_len, const unsigned char *sig, size_t sig_len)
{
    return ngx_http_secauth_jws_verify(key, input, input_len, sig, sig_len)
           != 0;
}


/*
 * One RFC 7520 example: it verifies, and no one-bit change of the
 * signature, of the decoded header or of the decoded payload (re-encoded,
 * so the token stays well-formed) does.
 */

static void
test_vector(const char *name, const char *jws, const jws_key_t *key)
{
    int                   rc, bad;
    char                 *h64, *p64;
    size_t                i, input_len, sig_len, hlen, plen, len;
    char                  expect[32];
    jws_parts_t           parts;
    unsigned char        *sig, *hdr, *pl, *longer;
    const unsigned char  *input;

    printf("# %s\n", name);

    rc = ngx_http_secauth_jws_split((const unsigned char *) jws, strlen(jws),
                                    &parts);
    if (!ok(rc == 0, "%s: the compact serialization splits", name)) {
        return;
    }

    input = (const unsigned char *) jws;
    input_len = parts.header_len + 1 + parts.payload_len;

    hdr = xmalloc(ngx_http_secauth_b64url_decoded_len(parts.header_len));
    pl = xmalloc(ngx_http_secauth_b64url_decoded_len(parts.payload_len));
    sig = xmalloc(ngx_http_secauth_b64url_decoded_len(parts.signature_len));

    hlen = (size_t) ngx_http_secauth_b64url_decode(hdr, parts.header,
                                                   parts.header_len);
    plen = (size_t) ngx_http_secauth_b64url_decode(pl, parts.payload,
                                                   parts.payload_len);
    sig_len = (size_t) ngx_http_secauth_b64url_decode(sig, parts.signature,
                                                      parts.signature_len);

    snprintf(expect, sizeof(expect), "{\"alg\":\"%s\",",
             ngx_http_secauth_jws_alg_name(key->alg));

    ok(hlen > strlen(expect) && memcmp(hdr, expect, strlen(expect)) == 0,
       "%s: the header is %s...", name, expect);

    ok(plen == strlen(payload_text)
       && memcmp(pl, payload_text, plen) == 0,
       "%s: the payload is the RFC 7520 text", name);

    rc = ngx_http_secauth_jws_verify(key, input, input_len, sig, sig_len);
    ok(rc == 1, "%s: the RFC signature verifies (%d)", name, rc);

    /* every bit of the signature */

    bad = 0;

    for (i = 0; i < sig_len * 8; i++) {
        sig[i / 8] ^= (unsigned char) (1 << (i % 8));
        bad += count_not_zero(key, input, input_len, sig, sig_len);
        sig[i / 8] ^= (unsigned char) (1 << (i % 8));
    }

    ok(bad == 0, "%s: all %u one-bit flips of the signature give 0 (%d not)",
       name, (unsigned) (sig_len * 8), bad);

    /* every bit of the header and of the payload, re-encoded */

    longer = xmalloc(input_len + 64);
    bad = 0;

    for (i = 0; i < (hlen + plen) * 8; i++) {
        unsigned char  *b;

        b = i < hlen * 8 ? hdr + i / 8 : pl + (i - hlen * 8) / 8;

        *b ^= (unsigned char) (1 << (i % 8));

        h64 = b64enc(hdr, hlen);
        p64 = b64enc(pl, plen);
        len = (size_t) sprintf((char *) longer, "%s.%s", h64, p64);

        if (len != input_len) {
            bad++;
        }

        bad += count_not_zero(key, longer, len, sig, sig_len);

        free(h64);
        free(p64);

        *b ^= (unsigned char) (1 << (i % 8));
    }

    ok(bad == 0, "%s: all %u one-bit flips of header and payload give 0 "
       "(%d not)", name, (unsigned) ((hlen + plen) * 8), bad);

    /* the unchanged re-encoding is the signing input, and verifies */

    h64 = b64enc(hdr, hlen);
    p64 = b64enc(pl, plen);
    len = (size_t) sprintf((char *) longer, "%s.%s", h64, p64);
    free(h64);
    free(p64);

    ok(len == input_len && memcmp(longer, input, len) == 0
       && ngx_http_secauth_jws_verify(key, longer, len, sig, sig_len) == 1,
       "%s: header and payload re-encode to the signing input", name);

    /* a flip of the low bit of each character of the raw signing input */

    memcpy(longer, input, input_len);
    bad = 0;

    for (i = 0; i < input_len; i++) {
        longer[i] ^= 1;
        bad += count_not_zero(key, longer, input_len, sig, sig_len);
        longer[i] ^= 1;
    }

    ok(bad == 0, "%s: changing any character of the signing input gives 0",
       name);

    /* truncated and extended signing input, signature */

    memcpy(longer, input, input_len);
    longer[input_len] = '.';

    ok(ngx_http_secauth_jws_verify(key, input, input_len - 1, sig, sig_len)
       == 0
       && ngx_http_secauth_jws_verify(key, longer, input_len + 1, sig,
                                      sig_len)
          == 0
       && ngx_http_secauth_jws_verify(key, input, 0, sig, sig_len) == 0,
       "%s: a shorter or longer signing input gives 0", name);

    free(longer);

    longer = xmalloc(sig_len + 1);
    memcpy(longer, sig, sig_len);
    longer[sig_len] = 0;

    ok(ngx_http_secauth_jws_verify(key, input, input_len, sig, sig_len - 1)
       == 0
       && ngx_http_secauth_jws_verify(key, input, input_len, longer,
                                      sig_len + 1)
          == 0
       && ngx_http_secauth_jws_verify(key, input, input_len, sig, 0) == 0
       && ngx_http_secauth_jws_verify(key, input, input_len, sig,
                                      sig_len / 2)
          == 0,
       "%s: a truncated, extended or empty signature gives 0", name);

    free(longer);
    free(hdr);
    free(pl);
    free(sig);
}


/* the signature bytes of a compact token, and its signing input */

static unsigned char *
token_sig(const char *jws, const unsigned char **input, size_t *input_len,
    size_t *sig_len)
{
    jws_parts_t     parts;
    unsigned char  *sig;

    if (ngx_http_secauth_jws_split((const unsigned char *) jws, strlen(jws),
                                   &parts)
        != 0)
    {
        bail("cannot split a test vector");
    }

    sig = xmalloc(ngx_http_secauth_b64url_decoded_len(parts.signature_len));
    *sig_len = (size_t) ngx_http_secauth_b64url_decode(sig, parts.signature,
                                                       parts.signature_len);
    *input = parts.header;
    *input_len = parts.header_len + 1 + parts.payload_len;

    return sig;
}


static void
test_rfc7520(EVP_PKEY *rsa, EVP_PKEY *rsa_priv, EVP_PKEY *p521,
    EVP_PKEY *p521_priv)
{
    size_t                klen, rs_len, es_len, hs_len, rs_ilen, es_ilen;
    size_t                hs_ilen, len;
    jws_key_t             rs, es, hs, hs_other;
    unsigned int          mdlen;
    EVP_PKEY_CTX         *ctx;
    unsigned char        *k, *rs_sig, *es_sig, *hs_sig, *mine;
    unsigned char         md[EVP_MAX_MD_SIZE];
    const unsigned char  *rs_in, *es_in, *hs_in;

    printf("# RFC 7520 keys\n");

    /*
     * Double checks of the copied keys: the private halves of RFC 7520 3.2
     * and 3.4 match the public ones, and RSASSA-PKCS1-v1_5 (deterministic)
     * with the private key reproduces the RFC 7520 4.1 signature exactly.
     */

    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, rsa_priv, NULL);
    ok(ctx != NULL && EVP_PKEY_check(ctx) == 1,
       "the RFC 7520 3.4 RSA key pair is consistent");
    EVP_PKEY_CTX_free(ctx);

    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, p521_priv, NULL);
    ok(ctx != NULL && EVP_PKEY_check(ctx) == 1,
       "the RFC 7520 3.2 P-521 key pair is consistent (d G = (x, y))");
    EVP_PKEY_CTX_free(ctx);

    ok(EVP_PKEY_get_bits(rsa) == 2048 && EVP_PKEY_get_bits(p521) == 521,
       "the keys are RSA-2048 and P-521");

    ok(EVP_PKEY_eq(rsa, rsa_priv) == 1 && EVP_PKEY_eq(p521, p521_priv) == 1,
       "the public keys are the halves of the private ones");

    k = b64(oct_k, &klen);

    if (ngx_http_secauth_jws_key_init(&rs, NGX_HTTP_SECAUTH_JWS_RS256,
                                      NULL, 0, rsa)
        != NULL
        || ngx_http_secauth_jws_key_init(&es, NGX_HTTP_SECAUTH_JWS_ES512,
                                         NULL, 0, p521)
           != NULL
        || ngx_http_secauth_jws_key_init(&hs, NGX_HTTP_SECAUTH_JWS_HS256,
                                         k, klen, NULL)
           != NULL)
    {
        bail("cannot prepare the RFC 7520 keys");
    }

    rs_sig = token_sig(rs256_jws, &rs_in, &rs_ilen, &rs_len);
    es_sig = token_sig(es512_jws, &es_in, &es_ilen, &es_len);
    hs_sig = token_sig(hs256_jws, &hs_in, &hs_ilen, &hs_len);

    ok(rs_len == 256 && es_len == 132 && hs_len == 32,
       "the signatures are 256, 132 and 32 bytes");

    mine = sign(rsa_priv, "SHA256", 0, rs_in, rs_ilen, &len);
    ok(len == rs_len && memcmp(mine, rs_sig, len) == 0,
       "RS256 by the RFC 7520 3.4 private key reproduces the 4.1 signature");
    free(mine);

    ok(HMAC(EVP_sha256(), k, (int) klen, hs_in, hs_ilen, md, &mdlen) != NULL
       && mdlen == hs_len && memcmp(md, hs_sig, mdlen) == 0,
       "HMAC() with the RFC 7520 4.4 key reproduces the 4.4 signature");

    /* ECDSA is randomized: a fresh signature differs, and verifies */

    mine = sign(p521_priv, "SHA512", 66, es_in, es_ilen, &len);
    ok(len == es_len && memcmp(mine, es_sig, len) != 0
       && ngx_http_secauth_jws_verify(&es, es_in, es_ilen, mine, len) == 1,
       "a fresh ES512 signature by the RFC 7520 3.2 private key verifies");
    free(mine);

    test_vector("RFC 7520 4.1 RSA v1.5 Signature (RS256)", rs256_jws, &rs);
    test_vector("RFC 7520 4.3 ECDSA Signature (ES512)", es512_jws, &es);
    test_vector("RFC 7520 4.4 HMAC-SHA2 Integrity Protection (HS256)",
                hs256_jws, &hs);

    printf("# signing (the tokens the module issues)\n");

    {
        int            i, zeros;
        size_t         slen;
        jws_key_t      rs_priv, es_priv;
        unsigned char  out[NGX_HTTP_SECAUTH_JWS_SIG_MAX];

        if (ngx_http_secauth_jws_key_init(&rs_priv,
                                          NGX_HTTP_SECAUTH_JWS_RS256, NULL,
                                          0, rsa_priv)
            != NULL
            || ngx_http_secauth_jws_key_init(&es_priv,
                                             NGX_HTTP_SECAUTH_JWS_ES512,
                                             NULL, 0, p521_priv)
               != NULL)
        {
            bail("cannot prepare the RFC 7520 private keys");
        }

        ok(ngx_http_secauth_jws_sign(&hs, hs_in, hs_ilen, out, &slen) == 0
           && slen == hs_len && memcmp(out, hs_sig, slen) == 0,
           "jws_sign HS256 reproduces the RFC 7520 4.4 signature");

        ok(ngx_http_secauth_jws_sign(&rs_priv, rs_in, rs_ilen, out, &slen)
           == 0
           && slen == rs_len && memcmp(out, rs_sig, slen) == 0,
           "jws_sign RS256 reproduces the RFC 7520 4.1 signature");

        ok(ngx_http_secauth_jws_sign(&rs, rs_in, rs_ilen, out, &slen) == -1,
           "jws_sign with a public RSA key fails");

        /* r || s of 66 bytes each, left-padded, verifying every time */

        zeros = 0;

        for (i = 0; i < 300; i++) {
            if (ngx_http_secauth_jws_sign(&es_priv, es_in, es_ilen, out,
                                          &slen)
                != 0
                || slen != 132
                || ngx_http_secauth_jws_verify(&es, es_in, es_ilen, out,
                                               slen)
                   != 1)
            {
                break;
            }

            zeros += (out[0] == 0 || out[66] == 0);
        }

        ok(i == 300 && zeros > 0,
           "300 jws_sign ES512 signatures are 132 bytes and verify "
           "(%d with a leading zero byte)", zeros);

        ngx_http_secauth_jws_key_free(&rs_priv);
        ngx_http_secauth_jws_key_free(&es_priv);
    }

    printf("# RFC 7520 cross checks\n");

    ok(ngx_http_secauth_jws_verify(&rs, es_in, es_ilen, rs_sig, rs_len) == 0
       && ngx_http_secauth_jws_verify(&rs, hs_in, hs_ilen, rs_sig, rs_len)
          == 0
       && ngx_http_secauth_jws_verify(&es, rs_in, rs_ilen, es_sig, es_len)
          == 0
       && ngx_http_secauth_jws_verify(&hs, rs_in, rs_ilen, hs_sig, hs_len)
          == 0,
       "a signature over another example's header gives 0");

    ok(ngx_http_secauth_jws_verify(&rs, rs_in, rs_ilen, es_sig, es_len) == 0
       && ngx_http_secauth_jws_verify(&rs, rs_in, rs_ilen, hs_sig, hs_len)
          == 0
       && ngx_http_secauth_jws_verify(&es, es_in, es_ilen, rs_sig, rs_len)
          == 0
       && ngx_http_secauth_jws_verify(&es, es_in, es_ilen, hs_sig, hs_len)
          == 0
       && ngx_http_secauth_jws_verify(&hs, hs_in, hs_ilen, rs_sig, rs_len)
          == 0
       && ngx_http_secauth_jws_verify(&hs, hs_in, hs_ilen, es_sig, es_len)
          == 0,
       "another algorithm's signature gives 0");

    k[klen - 1] ^= 1;

    if (ngx_http_secauth_jws_key_init(&hs_other, NGX_HTTP_SECAUTH_JWS_HS256,
                                      k, klen, NULL)
        != NULL)
    {
        bail("cannot prepare an HS256 key");
    }

    ok(ngx_http_secauth_jws_verify(&hs_other, hs_in, hs_ilen, hs_sig, hs_len)
       == 0,
       "4.4 with a one-bit different key gives 0");

    ngx_http_secauth_jws_key_free(&hs_other);
    ngx_http_secauth_jws_key_free(&rs);
    ngx_http_secauth_jws_key_free(&es);
    ngx_http_secauth_jws_key_free(&hs);

    free(k);
    free(rs_sig);
    free(es_sig);
    free(hs_sig);
}


/* ES256 and ES384 round trips with generated keys; malformed signatures */

static void
test_ecdsa(EVP_PKEY *p521)
{
    int             rc, bad, zeros;
    size_t          i, j, len;
    jws_key_t       es256, es384, es512;
    EVP_PKEY       *p256, *p384;
    unsigned char  *sig, buf[300];

    static const unsigned char  input[] = "eyJhbGciOiJFUzI1NiJ9.e30";

    static const size_t  lengths[] = {
        0, 1, 32, 63, 64, 65, 66, 96, 130, 131, 133, 134, 264
    };

    static const struct {
        const char  *curve;
        const char  *digest;
        size_t       size;
        int          alg;
    } curves[] = {
        { "P-256", "SHA256", 32, NGX_HTTP_SECAUTH_JWS_ES256 },
        { "P-384", "SHA384", 48, NGX_HTTP_SECAUTH_JWS_ES384 },
        { "P-521", "SHA512", 66, NGX_HTTP_SECAUTH_JWS_ES512 }
    };

    printf("# ECDSA\n");

    p256 = ec_generate("P-256");
    p384 = ec_generate("P-384");

    if (ngx_http_secauth_jws_key_init(&es256, NGX_HTTP_SECAUTH_JWS_ES256,
                                      NULL, 0, p256)
        != NULL
        || ngx_http_secauth_jws_key_init(&es384, NGX_HTTP_SECAUTH_JWS_ES384,
                                         NULL, 0, p384)
           != NULL
        || ngx_http_secauth_jws_key_init(&es512, NGX_HTTP_SECAUTH_JWS_ES512,
                                         NULL, 0, p521)
           != NULL)
    {
        bail("cannot prepare the ECDSA keys");
    }

    /*
     * JWS signatures are r || s of fixed width: r or s below 2^(8 (n-1))
     * must be left-padded with zero bytes, so sign until some are.
     */

    bad = 0;
    zeros = 0;

    for (i = 0; i < 5000 && zeros < 4; i++) {
        sig = sign(p256, "SHA256", 32, input, sizeof(input) - 1, &len);

        if (sig[0] == 0 || sig[32] == 0) {
            zeros++;
        }

        if (ngx_http_secauth_jws_verify(&es256, input, sizeof(input) - 1,
                                        sig, len)
            != 1)
        {
            bad++;
        }

        free(sig);
    }

    ok(bad == 0 && zeros > 0,
       "%u ES256 signatures verify, %d with a leading zero byte (%d bad)",
       (unsigned) i, zeros, bad);

    for (i = 0; i < 2; i++) {
        EVP_PKEY   *pkey;
        jws_key_t  *key, *other;

        pkey = i == 0 ? p256 : p384;
        key = i == 0 ? &es256 : &es384;
        other = i == 0 ? &es384 : &es256;

        sig = sign(pkey, curves[i].digest, curves[i].size, input,
                   sizeof(input) - 1, &len);

        rc = ngx_http_secauth_jws_verify(key, input, sizeof(input) - 1, sig,
                                         len);
        ok(rc == 1, "%s signature by a generated %s key verifies",
           ngx_http_secauth_jws_alg_name(curves[i].alg), curves[i].curve);

        bad = 0;

        for (j = 0; j < len * 8; j++) {
            sig[j / 8] ^= (unsigned char) (1 << (j % 8));
            bad += count_not_zero(key, input, sizeof(input) - 1, sig, len);
            sig[j / 8] ^= (unsigned char) (1 << (j % 8));
        }

        ok(bad == 0, "%s: all one-bit flips of the signature give 0",
           ngx_http_secauth_jws_alg_name(curves[i].alg));

        rc = ngx_http_secauth_jws_verify(other, input, sizeof(input) - 1,
                                         sig, len);
        ok(rc == 0, "%s signature checked as %s gives 0",
           ngx_http_secauth_jws_alg_name(curves[i].alg),
           ngx_http_secauth_jws_alg_name(other->alg));

        /* s and r swapped */

        memcpy(buf, sig + len / 2, len / 2);
        memcpy(buf + len / 2, sig, len / 2);

        rc = ngx_http_secauth_jws_verify(key, input, sizeof(input) - 1, buf,
                                         len);
        ok(rc == 0, "%s: s || r gives 0",
           ngx_http_secauth_jws_alg_name(curves[i].alg));

        /* the DER encoding OpenSSL produces is not the JWS format */

        {
            size_t      der_len;
            EVP_MD_CTX  *md;

            md = EVP_MD_CTX_new();
            der_len = sizeof(buf);

            if (md == NULL
                || EVP_DigestSignInit_ex(md, NULL, curves[i].digest, NULL,
                                         NULL, pkey, NULL)
                   != 1
                || EVP_DigestSign(md, buf, &der_len, input,
                                  sizeof(input) - 1)
                   != 1)
            {
                bail("cannot sign DER");
            }

            EVP_MD_CTX_free(md);

            rc = ngx_http_secauth_jws_verify(key, input, sizeof(input) - 1,
                                             buf, der_len);
            ok(rc == 0, "%s: a DER signature gives 0",
               ngx_http_secauth_jws_alg_name(curves[i].alg));
        }

        free(sig);
    }

    /* wrong lengths are "invalid" (0), never "error" (-1) */

    for (i = 0; i < 3; i++) {
        jws_key_t  *key;

        key = i == 0 ? &es256 : (i == 1 ? &es384 : &es512);

        memset(buf, 0x11, sizeof(buf));
        bad = 0;

        for (j = 0; j < sizeof(lengths) / sizeof(lengths[0]); j++) {
            if (lengths[j] == 2 * curves[i].size) {
                continue;
            }

            rc = ngx_http_secauth_jws_verify(key, input, sizeof(input) - 1,
                                             buf, lengths[j]);
            if (rc != 0) {
                printf("# %s, %u bytes: %d\n",
                       ngx_http_secauth_jws_alg_name(key->alg),
                       (unsigned) lengths[j], rc);
                bad++;
            }
        }

        ok(bad == 0, "%s: signatures of a wrong length (0, 1, 63, 65, "
           "131, 133, ...) give 0, not -1",
           ngx_http_secauth_jws_alg_name(key->alg));

        len = 2 * curves[i].size;

        memset(buf, 0, len);
        rc = ngx_http_secauth_jws_verify(key, input, sizeof(input) - 1, buf,
                                         len);
        ok(rc == 0, "%s: r = s = 0 gives 0 (%d)",
           ngx_http_secauth_jws_alg_name(key->alg), rc);

        memset(buf, 0xff, len);
        rc = ngx_http_secauth_jws_verify(key, input, sizeof(input) - 1, buf,
                                         len);
        ok(rc == 0, "%s: r, s >= the group order gives 0 (%d)",
           ngx_http_secauth_jws_alg_name(key->alg), rc);
    }

    ngx_http_secauth_jws_key_free(&es256);
    ngx_http_secauth_jws_key_free(&es384);
    ngx_http_secauth_jws_key_free(&es512);

    EVP_PKEY_free(p256);
    EVP_PKEY_free(p384);
}


static void
test_rsa_lengths(EVP_PKEY *rsa, EVP_PKEY *rsa_priv)
{
    int             rc, bad;
    size_t          i, len;
    jws_key_t       key;
    unsigned char  *sig, buf[600];

    static const unsigned char  input[] = "eyJhbGciOiJSUzUxMiJ9.e30";
    static const size_t         lengths[] = { 0, 1, 255, 257, 512 };

    printf("# RSA\n");

    if (ngx_http_secauth_jws_key_init(&key, NGX_HTTP_SECAUTH_JWS_RS512,
                                      NULL, 0, rsa)
        != NULL)
    {
        bail("cannot prepare an RS512 key");
    }

    sig = sign(rsa_priv, "SHA512", 0, input, sizeof(input) - 1, &len);

    rc = ngx_http_secauth_jws_verify(&key, input, sizeof(input) - 1, sig,
                                     len);
    ok(rc == 1, "RS512 signature by the RFC 7520 private key verifies");

    memset(buf, 0, sizeof(buf));
    memcpy(buf + 1, sig, len);

    rc = ngx_http_secauth_jws_verify(&key, input, sizeof(input) - 1, buf,
                                     len + 1);
    ok(rc == 0, "RS512 signature with a leading zero byte gives 0 (%d)", rc);

    free(sig);

    sig = sign(rsa_priv, "SHA256", 0, input, sizeof(input) - 1, &len);
    rc = ngx_http_secauth_jws_verify(&key, input, sizeof(input) - 1, sig,
                                     len);
    ok(rc == 0, "RS256 signature checked as RS512 gives 0");
    free(sig);

    memset(buf, 0x42, sizeof(buf));
    bad = 0;

    for (i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
        rc = ngx_http_secauth_jws_verify(&key, input, sizeof(input) - 1, buf,
                                         lengths[i]);
        if (rc != 0) {
            printf("# %u bytes: %d\n", (unsigned) lengths[i], rc);
            bad++;
        }
    }

    ok(bad == 0, "RS512: signatures of a wrong length give 0");

    memset(buf, 0xff, 256);
    rc = ngx_http_secauth_jws_verify(&key, input, sizeof(input) - 1, buf,
                                     256);
    ok(rc == 0, "RS512: a signature >= n gives 0 (%d)", rc);

    ngx_http_secauth_jws_key_free(&key);
}


static void
test_hmac(void)
{
    int             rc, i;
    size_t          n;
    jws_key_t       key;
    unsigned int    mdlen;
    unsigned char   secret[64], md[EVP_MAX_MD_SIZE + 1];
    const EVP_MD   *md_alg;

    static const unsigned char  input[] = "eyJhbGciOiJIUzUxMiJ9.e30";

    printf("# HMAC\n");

    for (n = 0; n < sizeof(secret); n++) {
        secret[n] = (unsigned char) (n * 7 + 1);
    }

    for (i = NGX_HTTP_SECAUTH_JWS_HS256; i <= NGX_HTTP_SECAUTH_JWS_HS512;
         i++)
    {
        md_alg = i == NGX_HTTP_SECAUTH_JWS_HS256 ? EVP_sha256()
                 : (i == NGX_HTTP_SECAUTH_JWS_HS384 ? EVP_sha384()
                                                    : EVP_sha512());

        if (ngx_http_secauth_jws_key_init(&key, i, secret, sizeof(secret),
                                          NULL)
            != NULL
            || HMAC(md_alg, secret, sizeof(secret), input,
                    sizeof(input) - 1, md, &mdlen)
               == NULL)
        {
            bail("cannot prepare an HMAC key");
        }

        rc = ngx_http_secauth_jws_verify(&key, input, sizeof(input) - 1, md,
                                         mdlen);
        ok(rc == 1, "%s matches HMAC()", ngx_http_secauth_jws_alg_name(i));

        rc = ngx_http_secauth_jws_verify(&key, input, sizeof(input) - 1, md,
                                         mdlen);
        ok(rc == 1, "%s: the prepared key serves twice",
           ngx_http_secauth_jws_alg_name(i));

        rc = ngx_http_secauth_jws_verify(&key, input, sizeof(input) - 1, md,
                                         16);
        ok(rc == 0, "%s: a truncated MAC gives 0",
           ngx_http_secauth_jws_alg_name(i));

        rc = ngx_http_secauth_jws_verify(&key, input, sizeof(input) - 1, md,
                                         0);
        ok(rc == 0, "%s: an empty MAC gives 0",
           ngx_http_secauth_jws_alg_name(i));

        md[mdlen] = 0;
        rc = ngx_http_secauth_jws_verify(&key, input, sizeof(input) - 1, md,
                                         mdlen + 1);
        ok(rc == 0, "%s: a MAC with a byte more gives 0",
           ngx_http_secauth_jws_alg_name(i));

        if (i != NGX_HTTP_SECAUTH_JWS_HS512) {
            HMAC(EVP_sha512(), secret, sizeof(secret), input,
                 sizeof(input) - 1, md, &mdlen);
            rc = ngx_http_secauth_jws_verify(&key, input, sizeof(input) - 1,
                                             md, mdlen);
            ok(rc == 0, "%s: an HS512 MAC gives 0",
               ngx_http_secauth_jws_alg_name(i));
        }

        ngx_http_secauth_jws_key_free(&key);
    }
}


/* keys that key_init would never produce: "error" (-1), not a verdict */

static void
test_errors(EVP_PKEY *rsa)
{
    jws_key_t       key;
    unsigned char   sig[32];

    static const unsigned char  input[] = "eyJhbGciOiJIUzI1NiJ9.e30";

    printf("# errors\n");

    memset(sig, 0, sizeof(sig));

    memset(&key, 0, sizeof(key));
    ok(ngx_http_secauth_jws_verify(&key, input, sizeof(input) - 1, sig,
                                   sizeof(sig))
       == -1,
       "a zeroed key (alg none) gives -1");

    key.alg = 42;
    ok(ngx_http_secauth_jws_verify(&key, input, sizeof(input) - 1, sig,
                                   sizeof(sig))
       == -1,
       "an unknown algorithm gives -1");

    key.alg = NGX_HTTP_SECAUTH_JWS_HS256;
    ok(ngx_http_secauth_jws_verify(&key, input, sizeof(input) - 1, sig,
                                   sizeof(sig))
       == -1,
       "HS256 without an HMAC context gives -1");

    key.alg = NGX_HTTP_SECAUTH_JWS_RS256;
    ok(ngx_http_secauth_jws_verify(&key, input, sizeof(input) - 1, sig,
                                   sizeof(sig))
       == -1,
       "RS256 without a key gives -1");

    key.alg = NGX_HTTP_SECAUTH_JWS_ES256;
    ok(ngx_http_secauth_jws_verify(&key, input, sizeof(input) - 1, sig,
                                   sizeof(sig))
       == -1,
       "ES256 without a key gives -1");

    /* a prepared key with its algorithm changed afterwards */

    if (ngx_http_secauth_jws_key_init(&key, NGX_HTTP_SECAUTH_JWS_RS256, NULL,
                                      0, rsa)
        != NULL)
    {
        bail("cannot prepare an RS256 key");
    }

    key.alg = NGX_HTTP_SECAUTH_JWS_HS256;
    ok(ngx_http_secauth_jws_verify(&key, input, sizeof(input) - 1, sig,
                                   sizeof(sig))
       == -1,
       "an RS256 key relabelled HS256 has no HMAC context: -1");

    key.alg = NGX_HTTP_SECAUTH_JWS_RS256;
    ngx_http_secauth_jws_key_free(&key);

    ok(key.pkey == NULL && key.mac == NULL, "key_free clears the key");

    ngx_http_secauth_jws_key_free(&key);
    ok(1, "key_free twice is harmless");

    ERR_clear_error();
}


/*
 * The "algorithm confusion" attack (RFC 8725 2.1, 3.1): a server that has
 * the RSA public key for RS256 receives a token with "alg":"HS256" whose
 * MAC was computed with the public key's bytes (its PEM text, which is
 * public) as the HMAC secret. A verifier that keys HMAC with "the key" by
 * the token's "alg" accepts the forgery.
 *
 * Here that is impossible by construction:
 *   - a key is bound to one algorithm when it is prepared, and
 *     ngx_http_secauth_jws_verify() follows key->alg, never the header;
 *   - ngx_http_secauth_jws_key_init() for the RS (and ES) algorithms never
 *     accepts a secret: with only secret bytes it is refused, and with a
 *     pkey the secret is not used (no HMAC context is made);
 *   - so the forged MAC is checked as an RSA signature and gives 0.
 * The forgery itself is proven well-formed: with the PEM configured as an
 * HS256 secret (which an operator would have to do on purpose) it verifies.
 */

static void
test_confusion(EVP_PKEY *rsa)
{
    int             rc, der_len;
    BIO            *bio;
    long            pem_len;
    char           *h64, *p64, *pem;
    size_t          input_len;
    jws_key_t       key;
    const char     *err;
    unsigned int    mdlen;
    unsigned char   input[512], md[EVP_MAX_MD_SIZE], *der, *p;

    static const char  header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    static const char  payload[] = "{\"sub\":\"admin\",\"exp\":4102444800}";

    printf("# algorithm confusion (RS256 public key as an HS256 secret)\n");

    bio = BIO_new(BIO_s_mem());
    if (bio == NULL || PEM_write_bio_PUBKEY(bio, rsa) != 1) {
        bail("cannot write the RSA public key as PEM");
    }

    pem_len = BIO_get_mem_data(bio, &pem);

    der_len = i2d_PUBKEY(rsa, NULL);
    der = xmalloc((size_t) der_len);
    p = der;
    i2d_PUBKEY(rsa, &p);

    h64 = b64enc((const unsigned char *) header, strlen(header));
    p64 = b64enc((const unsigned char *) payload, strlen(payload));
    input_len = (size_t) snprintf((char *) input, sizeof(input), "%s.%s",
                                  h64, p64);
    free(h64);
    free(p64);

    if (HMAC(EVP_sha256(), pem, (int) pem_len, input, input_len, md, &mdlen)
        == NULL)
    {
        bail("HMAC");
    }

    /* RS256 with the PEM bytes as the "secret", without a key: refused */

    err = ngx_http_secauth_jws_key_init(&key, NGX_HTTP_SECAUTH_JWS_RS256,
                                        (unsigned char *) pem,
                                        (size_t) pem_len, NULL);
    ok(err != NULL, "key_init(RS256) refuses the PEM text as a secret");
    ngx_http_secauth_jws_key_free(&key);

    err = ngx_http_secauth_jws_key_init(&key, NGX_HTTP_SECAUTH_JWS_RS256,
                                        der, (size_t) der_len, NULL);
    ok(err != NULL, "key_init(RS256) refuses the DER bytes as a secret");
    ngx_http_secauth_jws_key_free(&key);

    /* with the key too, the secret is ignored: no HMAC context exists */

    err = ngx_http_secauth_jws_key_init(&key, NGX_HTTP_SECAUTH_JWS_RS256,
                                        (unsigned char *) pem,
                                        (size_t) pem_len, rsa);
    ok(err == NULL && key.mac == NULL && key.pkey == rsa
       && key.alg == NGX_HTTP_SECAUTH_JWS_RS256,
       "key_init(RS256) with a key and a secret keeps only the key");

    rc = ngx_http_secauth_jws_verify(&key, input, input_len, md, mdlen);
    ok(rc == 0, "the forged HS256 token against the RS256 key gives 0");
    ngx_http_secauth_jws_key_free(&key);

    /* the forgery is well-formed: as an HS256 secret the PEM verifies it */

    err = ngx_http_secauth_jws_key_init(&key, NGX_HTTP_SECAUTH_JWS_HS256,
                                        (unsigned char *) pem,
                                        (size_t) pem_len, NULL);
    rc = ngx_http_secauth_jws_verify(&key, input, input_len, md, mdlen);
    ok(err == NULL && rc == 1,
       "control: the PEM configured as an HS256 secret accepts it");
    ngx_http_secauth_jws_key_free(&key);

    BIO_free(bio);
    free(der);
    ERR_clear_error();
}


/*
 * A failed check should leave nothing on the thread's OpenSSL error queue:
 * in nginx a stale entry is later reported by an unrelated SSL call (or
 * makes it fail, e.g. SSL_get_error() after SSL_read()).
 */

static void
test_error_queue(EVP_PKEY *rsa, EVP_PKEY *p521)
{
    int             rc;
    jws_key_t       rs, es;
    unsigned long   e;
    unsigned char   sig[256];
    char            buf[256];

    static const unsigned char  input[] = "eyJhbGciOiJSUzI1NiJ9.e30";

    printf("# OpenSSL error queue\n");

    if (ngx_http_secauth_jws_key_init(&rs, NGX_HTTP_SECAUTH_JWS_RS256, NULL,
                                      0, rsa)
        != NULL
        || ngx_http_secauth_jws_key_init(&es, NGX_HTTP_SECAUTH_JWS_ES512,
                                         NULL, 0, p521)
           != NULL)
    {
        bail("cannot prepare keys");
    }

    memset(sig, 0x42, sizeof(sig));

    ERR_clear_error();
    rc = ngx_http_secauth_jws_verify(&rs, input, sizeof(input) - 1, sig,
                                     sizeof(sig));
    e = ERR_peek_error();

    if (e) {
        ERR_error_string_n(e, buf, sizeof(buf));
        printf("# left: %s\n", buf);
    }

    ok(rc == 0 && e == 0, "a failed RS256 check leaves the error queue empty");

    ERR_clear_error();
    rc = ngx_http_secauth_jws_verify(&es, input, sizeof(input) - 1, sig,
                                     132);
    e = ERR_peek_error();

    if (e) {
        ERR_error_string_n(e, buf, sizeof(buf));
        printf("# left: %s\n", buf);
    }

    ok(rc == 0 && e == 0, "a failed ES512 check leaves the error queue empty");

    ERR_clear_error();

    ngx_http_secauth_jws_key_free(&rs);
    ngx_http_secauth_jws_key_free(&es);
}


/* signs with OpenSSL directly, as another implementation would */

static unsigned char *
sign_raw(EVP_PKEY *pkey, const char *digest, int pss_salt,
    const unsigned char *input, size_t input_len, size_t *sig_len)
{
    EVP_MD_CTX     *md;
    EVP_PKEY_CTX   *pctx;
    unsigned char  *sig;

    md = EVP_MD_CTX_new();
    sig = xmalloc(1024);
    *sig_len = 1024;

    if (md == NULL
        || EVP_DigestSignInit_ex(md, &pctx, digest, NULL, NULL, pkey, NULL)
           != 1
        || (pss_salt != -100
            && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING)
                != 1
                || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, pss_salt) != 1))
        || EVP_DigestSign(md, sig, sig_len, input, input_len) != 1)
    {
        bail("cannot sign with OpenSSL");
    }

    EVP_MD_CTX_free(md);

    return sig;
}


static void
check_roundtrip(int alg, EVP_PKEY *priv, EVP_PKEY *pub, const char *what)
{
    int                          rc;
    size_t                       len;
    unsigned char                sig[NGX_HTTP_SECAUTH_JWS_SIG_MAX];
    ngx_http_secauth_jws_key_t   sk, vk;
    static const unsigned char   input[] = "eyJhbGciOiJQUzI1NiJ9.e30";

    ok(ngx_http_secauth_jws_key_init(&sk, alg, NULL, 0, priv) == NULL
       && ngx_http_secauth_jws_key_init(&vk, alg, NULL, 0, pub) == NULL,
       "%s: keys prepared", what);

    rc = ngx_http_secauth_jws_sign(&sk, input, sizeof(input) - 1, sig, &len);
    ok(rc == 0, "%s: signs", what);
    ok(rc == 0 && ngx_http_secauth_jws_verify(&vk, input, sizeof(input) - 1,
                                              sig, len) == 1,
       "%s: its signature verifies", what);

    if (rc == 0) {
        sig[len / 2] ^= 0x01;
        ok(ngx_http_secauth_jws_verify(&vk, input, sizeof(input) - 1, sig,
                                       len) == 0,
           "%s: a flipped bit does not", what);
        sig[len / 2] ^= 0x01;
        ok(ngx_http_secauth_jws_verify(&vk, input, sizeof(input) - 2, sig,
                                       len) == 0,
           "%s: nor another input", what);
        ok(ngx_http_secauth_jws_verify(&vk, input, sizeof(input) - 1, sig,
                                       len - 1) == 0,
           "%s: nor a shorter signature", what);
    }

    ngx_http_secauth_jws_key_free(&sk);
    ngx_http_secauth_jws_key_free(&vk);
}


/* RFC 8037 A.4: "Example of Ed25519 signing", the public key of A.2 */

static const char  ed25519_x[] =
    "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

static const char  ed25519_jws[] =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsP"
    "t9g7sVvpAr_MuM0KAg";


static void
test_pss_eddsa(EVP_PKEY *rsa, EVP_PKEY *rsa_priv)
{
    int                           rc;
    size_t                        xlen, slen, len;
    EVP_PKEY                     *ed_priv, *ed448, *rfc;
    unsigned char                *x, *sig;
    const char                   *dot;
    ngx_http_secauth_jws_key_t    ps, rs, ek;
    static const unsigned char    input[] = "eyJhbGciOiJQUzI1NiJ9.e30";

    printf("# PS256/384/512 and EdDSA\n");

    check_roundtrip(NGX_HTTP_SECAUTH_JWS_PS256, rsa_priv, rsa, "PS256");
    check_roundtrip(NGX_HTTP_SECAUTH_JWS_PS384, rsa_priv, rsa, "PS384");
    check_roundtrip(NGX_HTTP_SECAUTH_JWS_PS512, rsa_priv, rsa, "PS512");

    ed_priv = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    ed448 = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
    if (ed_priv == NULL || ed448 == NULL) {
        bail("cannot generate EdDSA keys");
    }

    check_roundtrip(NGX_HTTP_SECAUTH_JWS_EDDSA, ed_priv, ed_priv,
                    "EdDSA Ed25519");
    check_roundtrip(NGX_HTTP_SECAUTH_JWS_EDDSA, ed448, ed448, "EdDSA Ed448");

    /* the RFC's own token */

    x = b64(ed25519_x, &xlen);
    rfc = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, xlen);
    ok(rfc != NULL, "the RFC 8037 A.2 public key");

    dot = strrchr(ed25519_jws, '.');
    sig = b64(dot + 1, &slen);

    ok(ngx_http_secauth_jws_key_init(&ek, NGX_HTTP_SECAUTH_JWS_EDDSA, NULL, 0,
                                     rfc) == NULL
       && ngx_http_secauth_jws_verify(&ek, (const unsigned char *) ed25519_jws,
                                      dot - ed25519_jws, sig, slen) == 1,
       "RFC 8037 A.4: the Ed25519 JWS verifies");
    ngx_http_secauth_jws_key_free(&ek);

    ok(ngx_http_secauth_jws_key_init(&ek, NGX_HTTP_SECAUTH_JWS_EDDSA, NULL, 0,
                                     ed_priv) == NULL
       && ngx_http_secauth_jws_verify(&ek, (const unsigned char *) ed25519_jws,
                                      dot - ed25519_jws, sig, slen) == 0,
       "RFC 8037 A.4: not under another Ed25519 key");
    ngx_http_secauth_jws_key_free(&ek);

    free(x);
    free(sig);
    EVP_PKEY_free(rfc);

    /*
     * PSS as another implementation signs it: the hash's salt length
     * verifies; salt 0 or 32 under SHA-512 (another length) does not; a
     * PKCS#1 v1.5 signature is not a PSS one and the other way round
     */

    ok(ngx_http_secauth_jws_key_init(&ps, NGX_HTTP_SECAUTH_JWS_PS256, NULL, 0,
                                     rsa) == NULL
       && ngx_http_secauth_jws_key_init(&rs, NGX_HTTP_SECAUTH_JWS_RS256, NULL,
                                        0, rsa) == NULL,
       "PS256 and RS256 keys on one RSA key");

    sig = sign_raw(rsa_priv, "SHA256", RSA_PSS_SALTLEN_DIGEST, input,
                   sizeof(input) - 1, &len);
    ok(ngx_http_secauth_jws_verify(&ps, input, sizeof(input) - 1, sig, len)
       == 1, "PS256: OpenSSL's PSS signature, salt 32, verifies");
    ok(ngx_http_secauth_jws_verify(&rs, input, sizeof(input) - 1, sig, len)
       == 0, "RS256 refuses that PSS signature");
    free(sig);

    sig = sign_raw(rsa_priv, "SHA256", 0, input, sizeof(input) - 1, &len);
    ok(ngx_http_secauth_jws_verify(&ps, input, sizeof(input) - 1, sig, len)
       == 0, "PS256 refuses a PSS signature with salt 0");
    free(sig);

    sig = sign_raw(rsa_priv, "SHA256", 64, input, sizeof(input) - 1, &len);
    ok(ngx_http_secauth_jws_verify(&ps, input, sizeof(input) - 1, sig, len)
       == 0, "PS256 refuses a PSS signature with salt 64");
    free(sig);

    sig = sign_raw(rsa_priv, "SHA512", 32, input, sizeof(input) - 1, &len);
    ngx_http_secauth_jws_key_free(&ps);
    rc = ngx_http_secauth_jws_key_init(&ps, NGX_HTTP_SECAUTH_JWS_PS512, NULL,
                                       0, rsa) == NULL;
    ok(rc && ngx_http_secauth_jws_verify(&ps, input, sizeof(input) - 1, sig,
                                         len) == 0,
       "PS512 refuses a SHA-512 PSS signature with salt 32");
    free(sig);

    sig = sign_raw(rsa_priv, "SHA256", -100, input, sizeof(input) - 1, &len);
    ngx_http_secauth_jws_key_free(&ps);
    rc = ngx_http_secauth_jws_key_init(&ps, NGX_HTTP_SECAUTH_JWS_PS256, NULL,
                                       0, rsa) == NULL;
    ok(rc && ngx_http_secauth_jws_verify(&rs, input, sizeof(input) - 1, sig,
                                         len) == 1
       && ngx_http_secauth_jws_verify(&ps, input, sizeof(input) - 1, sig,
                                      len) == 0,
       "PS256 refuses the PKCS#1 v1.5 signature RS256 accepts");
    free(sig);

    /* EdDSA's signature of one key under the other curve */

    sig = sign_raw(ed_priv, NULL, -100, input, sizeof(input) - 1, &len);
    ok(ngx_http_secauth_jws_key_init(&ek, NGX_HTTP_SECAUTH_JWS_EDDSA, NULL, 0,
                                     ed448) == NULL
       && ngx_http_secauth_jws_verify(&ek, input, sizeof(input) - 1, sig, len)
          == 0,
       "an Ed25519 signature under an Ed448 key: refused");
    ngx_http_secauth_jws_key_free(&ek);
    free(sig);

    ngx_http_secauth_jws_key_free(&ps);
    ngx_http_secauth_jws_key_free(&rs);
    EVP_PKEY_free(ed_priv);
    EVP_PKEY_free(ed448);
}


int
main(void)
{
    EVP_PKEY  *rsa, *rsa_priv, *p521, *p521_priv;

    rsa = rsa_from_jwk("RSA", 0);
    rsa_priv = rsa_from_jwk("RSA", 1);
    p521 = ec_from_jwk("P-521", 0);
    p521_priv = ec_from_jwk("P-521", 1);

    if (rsa == NULL || rsa_priv == NULL || p521 == NULL
        || p521_priv == NULL)
    {
        bail("cannot build the RFC 7520 keys from their JWK members");
    }

    test_b64url();
    test_split();
    test_alg();
    test_key_init(rsa, p521);
    test_rfc7520(rsa, rsa_priv, p521, p521_priv);
    test_ecdsa(p521);
    test_rsa_lengths(rsa, rsa_priv);
    test_hmac();
    test_errors(rsa);
    test_confusion(rsa);
    test_error_queue(rsa, p521);
    test_pss_eddsa(rsa, rsa_priv);

    EVP_PKEY_free(rsa);
    EVP_PKEY_free(rsa_priv);
    EVP_PKEY_free(p521);
    EVP_PKEY_free(p521_priv);

    printf("1..%d\n", tests_run);
    printf("# jws_test: %d tests, %d failed, %d known defects (TODO)\n",
           tests_run, tests_failed, todo_failed);

    return tests_failed ? 1 : 0;
}
