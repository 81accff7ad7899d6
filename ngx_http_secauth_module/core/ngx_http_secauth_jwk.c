
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "ngx_http_secauth_base64url.h"
#include "ngx_http_secauth_jwk.h"


typedef struct {
    const char  *crv;          /* the JWK's name */
    const char  *group;        /* OpenSSL's */
    const char  *alias;        /* OpenSSL's other name of it */
    size_t       size;         /* bytes of a coordinate, of an OKP key */
    int          id;           /* OKP: EVP_PKEY_ED25519, ... */
} ngx_http_secauth_jwk_curve_t;


static const ngx_http_secauth_jwk_curve_t  ngx_http_secauth_jwk_ec[] = {
    { "P-256", "P-256", "prime256v1", 32, 0 },
    { "P-384", "P-384", "secp384r1", 48, 0 },
    { "P-521", "P-521", "secp521r1", 66, 0 },
    { NULL, NULL, NULL, 0, 0 }
};

static const ngx_http_secauth_jwk_curve_t  ngx_http_secauth_jwk_okp[] = {
    { "Ed25519", NULL, NULL, 32, EVP_PKEY_ED25519 },
    { "Ed448", NULL, NULL, 57, EVP_PKEY_ED448 },
    { NULL, NULL, NULL, 0, 0 }
};

/* members that only a private key has (RFC 7518 6.2.2, 6.3.2, RFC 8037) */
static const char  *ngx_http_secauth_jwk_private[] = {
    "d", "p", "q", "dp", "dq", "qi", "oth", NULL
};


static int ngx_http_secauth_jwk_usable(const json_t *jwk,
    ngx_http_secauth_jwk_import_t *in);
static const ngx_http_secauth_jwk_curve_t *ngx_http_secauth_jwk_curve(
    const ngx_http_secauth_jwk_curve_t *table, const json_t *jwk,
    const char **err);
static unsigned char *ngx_http_secauth_jwk_member(const json_t *jwk,
    const char *name, size_t *len, const char **err);
static EVP_PKEY *ngx_http_secauth_jwk_rsa(const json_t *jwk,
    const char **err);
static EVP_PKEY *ngx_http_secauth_jwk_ec_key(const json_t *jwk,
    const ngx_http_secauth_jwk_curve_t *c, const char **err);
static EVP_PKEY *ngx_http_secauth_jwk_okp_key(const json_t *jwk,
    const ngx_http_secauth_jwk_curve_t *c, const char **err);
static EVP_PKEY *ngx_http_secauth_jwk_fromdata(const char *type,
    OSSL_PARAM_BLD *bld);
static int ngx_http_secauth_jwk_set_b64(json_t *obj, const char *name,
    const unsigned char *p, size_t len);
static int ngx_http_secauth_jwk_set_bn(json_t *obj, const char *name,
    const EVP_PKEY *pkey, const char *param, size_t pad);


int
ngx_http_secauth_jwk_import(ngx_http_secauth_jws_key_t *key,
    const json_t *jwk, ngx_http_secauth_jwk_import_t *in)
{
    int                                  rc, alg;
    size_t                               len;
    EVP_PKEY                            *pkey;
    const char                          *kty, *err, **priv;
    const json_t                        *v;
    unsigned char                       *secret;
    const ngx_http_secauth_jwk_curve_t  *c;

    memset(key, 0, sizeof(ngx_http_secauth_jws_key_t));
    in->err = NULL;
    in->kid = NULL;
    in->kid_len = 0;

    if (!json_is_object(jwk)) {
        in->err = "is not a JSON object";
        return -1;
    }

    v = json_object_get(jwk, "kty");
    if (!json_is_string(v)) {
        in->err = "has no \"kty\" string";
        return -1;
    }

    kty = json_string_value(v);

    v = json_object_get(jwk, "kid");
    if (v) {
        if (!json_is_string(v)) {
            in->err = "has a \"kid\" that is not a string";
            return -1;
        }

        in->kid = (const unsigned char *) json_string_value(v);
        in->kid_len = json_string_length(v);
    }

    /* whatever its use: a private key does not belong in a key set */

    for (priv = ngx_http_secauth_jwk_private; *priv; priv++) {
        if (json_object_get(jwk, *priv)) {
            in->err = "holds private key members: give the public key only";
            return -1;
        }
    }

    rc = ngx_http_secauth_jwk_usable(jwk, in);
    if (rc != 0) {
        return rc;
    }

    v = json_object_get(jwk, "alg");

    if (v) {
        if (!json_is_string(v)) {
            in->err = "has an \"alg\" that is not a string";
            return -1;
        }

        alg = ngx_http_secauth_jws_alg(
                  (const unsigned char *) json_string_value(v),
                  json_string_length(v));

        if (alg == NGX_HTTP_SECAUTH_JWS_NONE) {
            in->err = "has an \"alg\" that is no signature algorithm of "
                      "this module (skipped)";
            return 1;
        }

    } else {
        alg = in->alg_default;

        if (alg == NGX_HTTP_SECAUTH_JWS_NONE) {
            in->err = "has no \"alg\": give the algorithm of keys without "
                      "one (alg=)";
            return -1;
        }
    }

    pkey = NULL;
    secret = NULL;
    len = 0;
    err = NULL;

    if (strcmp(kty, "RSA") == 0) {
        pkey = ngx_http_secauth_jwk_rsa(jwk, &err);

    } else if (strcmp(kty, "EC") == 0) {
        c = ngx_http_secauth_jwk_curve(ngx_http_secauth_jwk_ec, jwk, &err);
        if (c) {
            pkey = ngx_http_secauth_jwk_ec_key(jwk, c, &err);
        }

    } else if (strcmp(kty, "OKP") == 0) {
        v = json_object_get(jwk, "crv");

        if (json_is_string(v)
            && (strcmp(json_string_value(v), "X25519") == 0
                || strcmp(json_string_value(v), "X448") == 0))
        {
            in->err = "is a key agreement key (X25519, X448), not a "
                      "signing key (skipped)";
            return 1;
        }

        c = ngx_http_secauth_jwk_curve(ngx_http_secauth_jwk_okp, jwk, &err);
        if (c) {
            pkey = ngx_http_secauth_jwk_okp_key(jwk, c, &err);
        }

    } else if (strcmp(kty, "oct") == 0) {
        if (!in->allow_secret) {
            in->err = "is a shared secret (\"kty\": \"oct\"), which is not "
                      "accepted here";
            return -1;
        }

        if (!ngx_http_secauth_jws_is_hmac(alg)) {
            in->err = "is a shared secret (\"kty\": \"oct\") for an "
                      "algorithm that is not HS256, HS384 or HS512";
            return -1;
        }

        secret = ngx_http_secauth_jwk_member(jwk, "k", &len, &err);

    } else {
        in->err = "has a \"kty\" this module does not support (skipped)";
        return 1;
    }

    if (err == NULL) {
        if (pkey == NULL && secret == NULL) {
            err = "cannot be built";

        } else if (pkey && ngx_http_secauth_jws_is_hmac(alg)) {
            err = "is a public key, not the secret an HS algorithm needs";

        } else {
            err = ngx_http_secauth_jws_key_init(key, alg, secret, len, pkey);
        }
    }

    EVP_PKEY_free(pkey);

    if (secret) {
        OPENSSL_cleanse(secret, len);
        free(secret);
    }

    ERR_clear_error();

    if (err) {
        ngx_http_secauth_jws_key_free(key);
        in->err = err;
        return -1;
    }

    return 0;
}


/* "use" and "key_ops" (RFC 7517 4.2, 4.3): a key that does not sign */

static int
ngx_http_secauth_jwk_usable(const json_t *jwk,
    ngx_http_secauth_jwk_import_t *in)
{
    size_t         i;
    const json_t  *v, *op;

    v = json_object_get(jwk, "use");

    if (v) {
        if (!json_is_string(v)) {
            in->err = "has a \"use\" that is not a string";
            return -1;
        }

        if (strcmp(json_string_value(v), "sig") != 0) {
            in->err = "is not for signatures (\"use\" is not \"sig\", "
                      "skipped)";
            return 1;
        }
    }

    v = json_object_get(jwk, "key_ops");

    if (v == NULL) {
        return 0;
    }

    if (!json_is_array(v)) {
        in->err = "has a \"key_ops\" that is not an array";
        return -1;
    }

    for (i = 0; i < json_array_size(v); i++) {
        op = json_array_get(v, i);

        if (!json_is_string(op)) {
            in->err = "has a \"key_ops\" member that is not a string";
            return -1;
        }

        if (strcmp(json_string_value(op), "verify") == 0) {
            return 0;
        }
    }

    in->err = "is not for verification (no \"verify\" in \"key_ops\", "
              "skipped)";

    return 1;
}


static const ngx_http_secauth_jwk_curve_t *
ngx_http_secauth_jwk_curve(const ngx_http_secauth_jwk_curve_t *table,
    const json_t *jwk, const char **err)
{
    const json_t                        *v;
    const ngx_http_secauth_jwk_curve_t  *c;

    v = json_object_get(jwk, "crv");

    if (!json_is_string(v)) {
        *err = "has no \"crv\" string";
        return NULL;
    }

    for (c = table; c->crv; c++) {
        if (strcmp(json_string_value(v), c->crv) == 0) {
            return c;
        }
    }

    *err = "has a \"crv\" this module does not support";

    return NULL;
}


/* a key member: a strict base64url string of at most MEMBER_MAX bytes */

static unsigned char *
ngx_http_secauth_jwk_member(const json_t *jwk, const char *name,
    size_t *len, const char **err)
{
    long            n;
    size_t          slen;
    const json_t   *v;
    unsigned char  *p;

    v = json_object_get(jwk, name);

    if (!json_is_string(v)) {
        *err = "lacks a key member, or has one that is not a string";
        return NULL;
    }

    slen = json_string_length(v);

    if (slen == 0
        || slen > ngx_http_secauth_b64url_encoded_len(
                      NGX_HTTP_SECAUTH_JWK_MEMBER_MAX))
    {
        *err = "has a key member that is empty or too long";
        return NULL;
    }

    p = malloc(ngx_http_secauth_b64url_decoded_len(slen));
    if (p == NULL) {
        *err = "cannot be decoded: out of memory";
        return NULL;
    }

    n = ngx_http_secauth_b64url_decode(p,
                                   (const unsigned char *) json_string_value(v),
                                   slen);
    if (n <= 0) {
        free(p);
        *err = "has a key member that is not base64url";
        return NULL;
    }

    *len = (size_t) n;

    return p;
}


static EVP_PKEY *
ngx_http_secauth_jwk_rsa(const json_t *jwk, const char **err)
{
    size_t           nlen, elen;
    BIGNUM          *n, *e;
    EVP_PKEY        *pkey;
    unsigned char   *nb, *eb;
    OSSL_PARAM_BLD  *bld;

    pkey = NULL;
    n = NULL;
    e = NULL;
    bld = NULL;

    nb = ngx_http_secauth_jwk_member(jwk, "n", &nlen, err);
    eb = nb ? ngx_http_secauth_jwk_member(jwk, "e", &elen, err) : NULL;

    if (eb == NULL) {
        goto done;
    }

    n = BN_bin2bn(nb, (int) nlen, NULL);
    e = BN_bin2bn(eb, (int) elen, NULL);

    /*
     * RFC 7518 6.3.1.2: e is small, odd, and more than 1, as a number:
     * "AAAB" is 1 too (leading zeros; found by the jwk fuzz target)
     */

    if (e && (BN_num_bits(e) > 64 || !BN_is_odd(e) || BN_is_one(e))) {
        *err = "has an RSA exponent \"e\" that is even, 1, or over 64 bits";
        goto done;
    }

    bld = OSSL_PARAM_BLD_new();

    if (n == NULL || e == NULL || bld == NULL
        || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1
        || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1)
    {
        *err = "cannot be built: out of memory";
        goto done;
    }

    pkey = ngx_http_secauth_jwk_fromdata("RSA", bld);
    if (pkey == NULL) {
        *err = "is not a valid RSA public key";
    }

done:

    BN_free(n);
    BN_free(e);
    OSSL_PARAM_BLD_free(bld);
    free(nb);
    free(eb);

    return pkey;
}


static EVP_PKEY *
ngx_http_secauth_jwk_ec_key(const json_t *jwk,
    const ngx_http_secauth_jwk_curve_t *c, const char **err)
{
    int              ok;
    size_t           xlen, ylen;
    EVP_PKEY        *pkey;
    EVP_PKEY_CTX    *check;
    unsigned char   *x, *y, point[1 + 2 * 66];
    OSSL_PARAM_BLD  *bld;

    pkey = NULL;
    bld = NULL;

    x = ngx_http_secauth_jwk_member(jwk, "x", &xlen, err);
    y = x ? ngx_http_secauth_jwk_member(jwk, "y", &ylen, err) : NULL;

    if (y == NULL) {
        goto done;
    }

    /* RFC 7518 6.2.1.2: the full coordinate size, whatever its value */

    if (xlen != c->size || ylen != c->size) {
        *err = "has an \"x\" or \"y\" that is not of the curve's size";
        goto done;
    }

    point[0] = 0x04;
    memcpy(point + 1, x, c->size);
    memcpy(point + 1 + c->size, y, c->size);

    bld = OSSL_PARAM_BLD_new();

    if (bld == NULL
        || OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                           c->group, 0) != 1
        || OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                            point, 1 + 2 * c->size) != 1)
    {
        *err = "cannot be built: out of memory";
        goto done;
    }

    pkey = ngx_http_secauth_jwk_fromdata("EC", bld);

    if (pkey) {
        check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
        ok = check && EVP_PKEY_public_check(check) == 1;
        EVP_PKEY_CTX_free(check);

        if (!ok) {
            EVP_PKEY_free(pkey);
            pkey = NULL;
        }
    }

    if (pkey == NULL) {
        *err = "is not a point on its curve";
    }

done:

    OSSL_PARAM_BLD_free(bld);
    free(x);
    free(y);

    return pkey;
}


static EVP_PKEY *
ngx_http_secauth_jwk_okp_key(const json_t *jwk,
    const ngx_http_secauth_jwk_curve_t *c, const char **err)
{
    size_t          len;
    EVP_PKEY       *pkey;
    unsigned char  *x;

    x = ngx_http_secauth_jwk_member(jwk, "x", &len, err);
    if (x == NULL) {
        return NULL;
    }

    pkey = NULL;

    if (len != c->size) {
        *err = "has an \"x\" that is not of the curve's size";

    } else {
        pkey = EVP_PKEY_new_raw_public_key(c->id, NULL, x, len);
        if (pkey == NULL) {
            *err = "is not a valid Ed25519 or Ed448 public key";
        }
    }

    free(x);

    return pkey;
}


static EVP_PKEY *
ngx_http_secauth_jwk_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
    EVP_PKEY      *pkey;
    OSSL_PARAM    *params;
    EVP_PKEY_CTX  *ctx;

    pkey = NULL;
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);

    if (params == NULL || ctx == NULL
        || EVP_PKEY_fromdata_init(ctx) != 1
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
    {
        pkey = NULL;
    }

    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);

    return pkey;
}


json_t *
ngx_http_secauth_jwk_export(const ngx_http_secauth_jws_key_t *key)
{
    int                                  id, ok;
    char                                 group[64];
    size_t                               len;
    json_t                              *jwk;
    unsigned char                        raw[64];
    const ngx_http_secauth_jwk_curve_t  *c;

    if (key->pkey == NULL || ngx_http_secauth_jws_is_hmac(key->alg)) {
        return NULL;
    }

    jwk = json_object();
    if (jwk == NULL) {
        return NULL;
    }

    id = EVP_PKEY_get_base_id(key->pkey);
    ok = 0;

    if (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS) {
        ok = json_object_set_new(jwk, "kty", json_string("RSA")) == 0
             && ngx_http_secauth_jwk_set_bn(jwk, "n", key->pkey,
                                            OSSL_PKEY_PARAM_RSA_N, 0) == 0
             && ngx_http_secauth_jwk_set_bn(jwk, "e", key->pkey,
                                            OSSL_PKEY_PARAM_RSA_E, 0) == 0;

    } else if (id == EVP_PKEY_EC) {
        c = NULL;

        if (EVP_PKEY_get_group_name(key->pkey, group, sizeof(group), &len)
            == 1)
        {
            for (c = ngx_http_secauth_jwk_ec; c->crv; c++) {
                if (strcmp(group, c->group) == 0
                    || strcmp(group, c->alias) == 0)
                {
                    break;
                }
            }
        }

        ok = c && c->crv
             && json_object_set_new(jwk, "kty", json_string("EC")) == 0
             && json_object_set_new(jwk, "crv", json_string(c->crv)) == 0
             && ngx_http_secauth_jwk_set_bn(jwk, "x", key->pkey,
                                            OSSL_PKEY_PARAM_EC_PUB_X,
                                            c->size) == 0
             && ngx_http_secauth_jwk_set_bn(jwk, "y", key->pkey,
                                            OSSL_PKEY_PARAM_EC_PUB_Y,
                                            c->size) == 0;

    } else {
        for (c = ngx_http_secauth_jwk_okp; c->crv; c++) {
            if (c->id == id) {
                break;
            }
        }

        len = sizeof(raw);

        ok = c->crv
             && EVP_PKEY_get_raw_public_key(key->pkey, raw, &len) == 1
             && json_object_set_new(jwk, "kty", json_string("OKP")) == 0
             && json_object_set_new(jwk, "crv", json_string(c->crv)) == 0
             && ngx_http_secauth_jwk_set_b64(jwk, "x", raw, len) == 0;
    }

    ok = ok
         && json_object_set_new(jwk, "alg",
                  json_string(ngx_http_secauth_jws_alg_name(key->alg))) == 0
         && json_object_set_new(jwk, "use", json_string("sig")) == 0
         && (key->kid == NULL
             || json_object_set_new(jwk, "kid",
                    json_stringn((const char *) key->kid, key->kid_len))
                == 0);

    ERR_clear_error();

    if (!ok) {
        json_decref(jwk);
        return NULL;
    }

    return jwk;
}


static int
ngx_http_secauth_jwk_set_b64(json_t *obj, const char *name,
    const unsigned char *p, size_t len)
{
    int             rc;
    size_t          n;
    unsigned char  *b64;

    b64 = malloc(ngx_http_secauth_b64url_encoded_len(len) + 1);
    if (b64 == NULL) {
        return -1;
    }

    n = ngx_http_secauth_b64url_encode(b64, p, len);

    rc = json_object_set_new(obj, name, json_stringn((char *) b64, n));

    free(b64);

    return rc;
}


/* a big-endian parameter, left-padded to pad bytes (0: its own length) */

static int
ngx_http_secauth_jwk_set_bn(json_t *obj, const char *name,
    const EVP_PKEY *pkey, const char *param, size_t pad)
{
    int             rc, len;
    BIGNUM         *bn;
    unsigned char  *p;

    bn = NULL;

    if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1) {
        return -1;
    }

    len = pad ? (int) pad : BN_num_bytes(bn);

    p = malloc(len ? len : 1);
    if (p == NULL) {
        BN_free(bn);
        return -1;
    }

    rc = -1;

    if (BN_bn2binpad(bn, p, len) == len) {
        rc = ngx_http_secauth_jwk_set_b64(obj, name, p, (size_t) len);
    }

    free(p);
    BN_free(bn);

    return rc;
}
