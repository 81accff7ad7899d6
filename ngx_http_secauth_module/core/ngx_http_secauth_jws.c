
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#include "ngx_http_secauth_ct.h"
#include "ngx_http_secauth_jws.h"


typedef struct {
    const char  *name;
    int          alg;
    const char  *digest;
    size_t       size;         /* HS: minimum secret; ES: bytes of r, of s */
    const char  *curve;
} ngx_http_secauth_jws_alg_t;


static const ngx_http_secauth_jws_alg_t *ngx_http_secauth_jws_desc(int alg);
static int ngx_http_secauth_jws_verify_hmac(
    const ngx_http_secauth_jws_key_t *key, const unsigned char *input,
    size_t input_len, const unsigned char *sig, size_t sig_len);
static int ngx_http_secauth_jws_verify_pkey(
    const ngx_http_secauth_jws_key_t *key,
    const ngx_http_secauth_jws_alg_t *d, const unsigned char *input,
    size_t input_len, const unsigned char *sig, size_t sig_len);
static int ngx_http_secauth_jws_pss(const ngx_http_secauth_jws_key_t *key,
    EVP_PKEY_CTX *pctx);
static unsigned char *ngx_http_secauth_jws_ec_der(const unsigned char *sig,
    size_t n, int *der_len);
static int ngx_http_secauth_jws_ec_raw(unsigned char *sig, size_t n,
    size_t *sig_len);


static const ngx_http_secauth_jws_alg_t  ngx_http_secauth_jws_algs[] = {
    /* RFC 7518 3.2: an HMAC key at least as long as the hash output */
    { "HS256", NGX_HTTP_SECAUTH_JWS_HS256, "SHA256", 32, NULL },
    { "HS384", NGX_HTTP_SECAUTH_JWS_HS384, "SHA384", 48, NULL },
    { "HS512", NGX_HTTP_SECAUTH_JWS_HS512, "SHA512", 64, NULL },
    { "RS256", NGX_HTTP_SECAUTH_JWS_RS256, "SHA256", 0, NULL },
    { "RS384", NGX_HTTP_SECAUTH_JWS_RS384, "SHA384", 0, NULL },
    { "RS512", NGX_HTTP_SECAUTH_JWS_RS512, "SHA512", 0, NULL },
    { "ES256", NGX_HTTP_SECAUTH_JWS_ES256, "SHA256", 32, "prime256v1" },
    { "ES384", NGX_HTTP_SECAUTH_JWS_ES384, "SHA384", 48, "secp384r1" },
    { "ES512", NGX_HTTP_SECAUTH_JWS_ES512, "SHA512", 66, "secp521r1" },
    { "PS256", NGX_HTTP_SECAUTH_JWS_PS256, "SHA256", 0, NULL },
    { "PS384", NGX_HTTP_SECAUTH_JWS_PS384, "SHA384", 0, NULL },
    { "PS512", NGX_HTTP_SECAUTH_JWS_PS512, "SHA512", 0, NULL },
    /* the hash is the curve's own: EVP is given none */
    { "EdDSA", NGX_HTTP_SECAUTH_JWS_EDDSA, NULL, 0, NULL },
    { NULL, 0, NULL, 0, NULL }
};


/* exact, case-sensitive (RFC 8725 3.1): "hs256" and "none" are unknown */

int
ngx_http_secauth_jws_alg(const unsigned char *name, size_t len)
{
    const ngx_http_secauth_jws_alg_t  *d;

    for (d = ngx_http_secauth_jws_algs; d->name; d++) {
        if (len == 5 && memcmp(name, d->name, 5) == 0) {
            return d->alg;
        }
    }

    return NGX_HTTP_SECAUTH_JWS_NONE;
}


const char *
ngx_http_secauth_jws_alg_name(int alg)
{
    const ngx_http_secauth_jws_alg_t  *d;

    d = ngx_http_secauth_jws_desc(alg);

    return d ? d->name : "none";
}


static const ngx_http_secauth_jws_alg_t *
ngx_http_secauth_jws_desc(int alg)
{
    const ngx_http_secauth_jws_alg_t  *d;

    for (d = ngx_http_secauth_jws_algs; d->name; d++) {
        if (d->alg == alg) {
            return d;
        }
    }

    return NULL;
}


int
ngx_http_secauth_jws_split(const unsigned char *token, size_t len,
    ngx_http_secauth_jws_parts_t *parts)
{
    size_t                i, start, n;
    const unsigned char  *seg[3];
    size_t                seg_len[3];

    n = 0;
    start = 0;

    for (i = 0; i <= len; i++) {

        if (i < len && token[i] != '.') {
            continue;
        }

        /* a fourth segment, an empty one, a byte outside the alphabet */

        if (n == 3 || i == start
            || !ngx_http_secauth_b64url_valid(token + start, i - start))
        {
            return -1;
        }

        seg[n] = token + start;
        seg_len[n] = i - start;
        n++;
        start = i + 1;
    }

    if (n != 3) {
        return -1;
    }

    parts->header = seg[0];
    parts->header_len = seg_len[0];
    parts->payload = seg[1];
    parts->payload_len = seg_len[1];
    parts->signature = seg[2];
    parts->signature_len = seg_len[2];

    return 0;
}


const char *
ngx_http_secauth_jws_key_init(ngx_http_secauth_jws_key_t *key, int alg,
    const unsigned char *secret, size_t secret_len, EVP_PKEY *pkey)
{
    char                               group[64];
    size_t                             group_len;
    EVP_MAC                           *mac;
    OSSL_PARAM                         params[2];
    const ngx_http_secauth_jws_alg_t  *d;

    memset(key, 0, sizeof(ngx_http_secauth_jws_key_t));

    d = ngx_http_secauth_jws_desc(alg);
    if (d == NULL) {
        return "unknown algorithm";
    }

    key->alg = alg;

    if (ngx_http_secauth_jws_is_hmac(alg)) {

        if (secret_len < d->size) {
            return "needs a secret at least as long as the hash: 32 bytes "
                   "for HS256, 48 for HS384, 64 for HS512 (RFC 7518 3.2)";
        }

        mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        if (mac == NULL) {
            return "cannot fetch HMAC";
        }

        key->mac = EVP_MAC_CTX_new(mac);
        EVP_MAC_free(mac);

        if (key->mac == NULL) {
            return "cannot allocate HMAC";
        }

        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                     (char *) d->digest, 0);
        params[1] = OSSL_PARAM_construct_end();

        if (EVP_MAC_init(key->mac, secret, secret_len, params) != 1) {
            return "cannot key HMAC";
        }

        return NULL;
    }

    if (pkey == NULL) {
        return "needs a PEM key";
    }

    if (ngx_http_secauth_jws_is_ec(alg)) {
        if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC) {
            return "needs an EC key for an ES algorithm";
        }

        if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), &group_len)
            != 1
            || strcmp(group, d->curve) != 0)
        {
            return "needs the curve of the algorithm (ES256: P-256, "
                   "ES384: P-384, ES512: P-521)";
        }

    } else if (alg == NGX_HTTP_SECAUTH_JWS_EDDSA) {
        if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519
            && EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED448)
        {
            return "needs an Ed25519 or Ed448 key for EdDSA";
        }

    } else {
        if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA
            && !(ngx_http_secauth_jws_is_pss(alg)
                 && EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA_PSS))
        {
            return ngx_http_secauth_jws_is_pss(alg)
                   ? "needs an RSA key for a PS algorithm"
                   : "needs an RSA key for an RS algorithm";
        }

        if (EVP_PKEY_get_bits(pkey) < 2048) {
            return "needs an RSA key of at least 2048 bits";
        }
    }

    if (EVP_PKEY_up_ref(pkey) != 1) {
        return "cannot reference the key";
    }

    key->pkey = pkey;

    return NULL;
}


void
ngx_http_secauth_jws_key_free(ngx_http_secauth_jws_key_t *key)
{
    if (key->mac) {
        EVP_MAC_CTX_free(key->mac);
        key->mac = NULL;
    }

    if (key->pkey) {
        EVP_PKEY_free(key->pkey);
        key->pkey = NULL;
    }
}


int
ngx_http_secauth_jws_verify(const ngx_http_secauth_jws_key_t *key,
    const unsigned char *input, size_t input_len,
    const unsigned char *sig, size_t sig_len)
{
    const ngx_http_secauth_jws_alg_t  *d;

    d = ngx_http_secauth_jws_desc(key->alg);
    if (d == NULL) {
        return -1;
    }

    if (ngx_http_secauth_jws_is_hmac(key->alg)) {
        if (key->mac == NULL) {
            return -1;
        }

        return ngx_http_secauth_jws_verify_hmac(key, input, input_len,
                                                sig, sig_len);
    }

    if (key->pkey == NULL) {
        return -1;
    }

    return ngx_http_secauth_jws_verify_pkey(key, d, input, input_len,
                                            sig, sig_len);
}


static int
ngx_http_secauth_jws_verify_hmac(const ngx_http_secauth_jws_key_t *key,
    const unsigned char *input, size_t input_len, const unsigned char *sig,
    size_t sig_len)
{
    int             ok;
    size_t          len;
    EVP_MAC_CTX    *ctx;
    unsigned char   md[EVP_MAX_MD_SIZE];

    /* the keyed context is copied: the key schedule is done once */

    ctx = EVP_MAC_CTX_dup(key->mac);
    if (ctx == NULL) {
        return -1;
    }

    ok = EVP_MAC_update(ctx, input, input_len) == 1
         && EVP_MAC_final(ctx, md, &len, sizeof(md)) == 1;

    EVP_MAC_CTX_free(ctx);

    if (!ok) {
        return -1;
    }

    return sig_len == len && ngx_http_secauth_ct_equal(md, sig, len);
}


static int
ngx_http_secauth_jws_verify_pkey(const ngx_http_secauth_jws_key_t *key,
    const ngx_http_secauth_jws_alg_t *d, const unsigned char *input,
    size_t input_len, const unsigned char *sig, size_t sig_len)
{
    int             rc, der_len;
    EVP_MD_CTX     *md;
    EVP_PKEY_CTX   *pctx;
    unsigned char  *der;

    der = NULL;

    /* JWS carries ECDSA signatures as r || s; EVP wants DER */

    if (ngx_http_secauth_jws_is_ec(key->alg)) {
        if (sig_len != 2 * d->size) {
            return 0;
        }

        der = ngx_http_secauth_jws_ec_der(sig, d->size, &der_len);
        if (der == NULL) {
            return -1;
        }

        sig = der;
        sig_len = (size_t) der_len;
    }

    md = EVP_MD_CTX_new();
    if (md == NULL) {
        OPENSSL_free(der);
        return -1;
    }

    rc = -1;

    if (EVP_DigestVerifyInit_ex(md, &pctx, d->digest, NULL, NULL, key->pkey,
                                NULL)
        == 1
        && ngx_http_secauth_jws_pss(key, pctx) == 0)
    {
        rc = EVP_DigestVerify(md, sig, sig_len, input, input_len) == 1;
    }

    EVP_MD_CTX_free(md);
    OPENSSL_free(der);

    /* a refused signature leaves errors that later log lines would show */
    ERR_clear_error();

    return rc;
}


/*
 * PS*: RSASSA-PSS with MGF1 on the same hash (OpenSSL's default: the
 * digest's) and a salt as long as the hash (RFC 7518 3.5), on signing
 * and on checking: a signature with another salt length is refused
 */

static int
ngx_http_secauth_jws_pss(const ngx_http_secauth_jws_key_t *key,
    EVP_PKEY_CTX *pctx)
{
    if (!ngx_http_secauth_jws_is_pss(key->alg)) {
        return 0;
    }

    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1
        || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST)
           != 1)
    {
        return -1;
    }

    return 0;
}


static unsigned char *
ngx_http_secauth_jws_ec_der(const unsigned char *sig, size_t n, int *der_len)
{
    BIGNUM         *r, *s;
    ECDSA_SIG      *es;
    unsigned char  *der;

    es = ECDSA_SIG_new();
    r = BN_bin2bn(sig, (int) n, NULL);
    s = BN_bin2bn(sig + n, (int) n, NULL);

    if (es == NULL || r == NULL || s == NULL
        || ECDSA_SIG_set0(es, r, s) != 1)
    {
        ECDSA_SIG_free(es);
        BN_free(r);
        BN_free(s);
        return NULL;
    }

    der = NULL;
    *der_len = i2d_ECDSA_SIG(es, &der);
    ECDSA_SIG_free(es);

    if (*der_len <= 0) {
        OPENSSL_free(der);
        return NULL;
    }

    return der;
}


/*
 * Signs "header.payload" (the tokens the module issues). sig has room for
 * NGX_HTTP_SECAUTH_JWS_SIG_MAX bytes; ES signatures come out as r || s.
 */

int
ngx_http_secauth_jws_sign(const ngx_http_secauth_jws_key_t *key,
    const unsigned char *input, size_t input_len, unsigned char *sig,
    size_t *sig_len)
{
    int                                rc;
    size_t                             len;
    EVP_MD_CTX                        *md;
    EVP_MAC_CTX                       *mac;
    EVP_PKEY_CTX                      *pctx;
    const ngx_http_secauth_jws_alg_t  *d;

    d = ngx_http_secauth_jws_desc(key->alg);
    if (d == NULL) {
        return -1;
    }

    if (ngx_http_secauth_jws_is_hmac(key->alg)) {
        if (key->mac == NULL) {
            return -1;
        }

        mac = EVP_MAC_CTX_dup(key->mac);
        if (mac == NULL) {
            return -1;
        }

        rc = EVP_MAC_update(mac, input, input_len) == 1
             && EVP_MAC_final(mac, sig, sig_len,
                              NGX_HTTP_SECAUTH_JWS_SIG_MAX) == 1;

        EVP_MAC_CTX_free(mac);

        return rc ? 0 : -1;
    }

    if (key->pkey == NULL
        || (size_t) EVP_PKEY_get_size(key->pkey) > NGX_HTTP_SECAUTH_JWS_SIG_MAX)
    {
        return -1;
    }

    md = EVP_MD_CTX_new();
    if (md == NULL) {
        return -1;
    }

    len = NGX_HTTP_SECAUTH_JWS_SIG_MAX;

    rc = EVP_DigestSignInit_ex(md, &pctx, d->digest, NULL, NULL, key->pkey,
                               NULL) == 1
         && ngx_http_secauth_jws_pss(key, pctx) == 0
         && EVP_DigestSign(md, sig, &len, input, input_len) == 1;

    EVP_MD_CTX_free(md);

    if (!rc) {
        ERR_clear_error();
        return -1;
    }

    *sig_len = len;

    if (ngx_http_secauth_jws_is_ec(key->alg)) {
        return ngx_http_secauth_jws_ec_raw(sig, d->size, sig_len);
    }

    return 0;
}


/* DER ECDSA-Sig-Value to r || s, each n bytes, in place */

static int
ngx_http_secauth_jws_ec_raw(unsigned char *sig, size_t n, size_t *sig_len)
{
    int                   ok;
    ECDSA_SIG            *es;
    const BIGNUM         *r, *s;
    const unsigned char  *p;

    p = sig;

    es = d2i_ECDSA_SIG(NULL, &p, (long) *sig_len);
    if (es == NULL) {
        ERR_clear_error();
        return -1;
    }

    ECDSA_SIG_get0(es, &r, &s);

    ok = BN_bn2binpad(r, sig, (int) n) == (int) n
         && BN_bn2binpad(s, sig + n, (int) n) == (int) n;

    ECDSA_SIG_free(es);

    if (!ok) {
        return -1;
    }

    *sig_len = 2 * n;

    return 0;
}
