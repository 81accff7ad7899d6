
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <limits.h>
#include <stddef.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "ngx_http_secauth_seal.h"


#define NGX_HTTP_SECAUTH_SEAL_MAX  4096


static int ngx_http_secauth_gcm(int enc, unsigned char *dst,
    const unsigned char *key, const unsigned char *nonce,
    const unsigned char *aad, size_t aadlen, const unsigned char *src,
    size_t len, unsigned char *tag);


int
ngx_http_secauth_hkdf(unsigned char *out, size_t outlen,
    const unsigned char *ikm, size_t ikmlen, const unsigned char *salt,
    size_t saltlen, const unsigned char *info, size_t infolen)
{
    int            rc;
    EVP_KDF       *kdf;
    OSSL_PARAM     params[5], *p;
    EVP_KDF_CTX   *ctx;

    if (outlen == 0 || outlen > 255 * 32 || ikmlen == 0) {
        return -1;
    }

    kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    if (kdf == NULL) {
        return -1;
    }

    ctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);

    if (ctx == NULL) {
        return -1;
    }

    p = params;
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                            (char *) "SHA256", 0);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                             (void *) ikm, ikmlen);
    if (saltlen) {
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                                 (void *) salt, saltlen);
    }

    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                             (void *) info, infolen);
    *p = OSSL_PARAM_construct_end();

    rc = EVP_KDF_derive(ctx, out, outlen, params) == 1 ? 0 : -1;

    EVP_KDF_CTX_free(ctx);

    return rc;
}


long
ngx_http_secauth_seal(unsigned char *dst, const unsigned char *key,
    const unsigned char *aad, size_t aadlen, const unsigned char *pt,
    size_t len)
{
    unsigned char  *nonce;

    if (len > NGX_HTTP_SECAUTH_SEAL_MAX || aadlen > INT_MAX) {
        return -1;
    }

    dst[0] = NGX_HTTP_SECAUTH_SEAL_VERSION;
    nonce = dst + 1;

    if (RAND_bytes(nonce, NGX_HTTP_SECAUTH_SEAL_NONCE_LEN) != 1) {
        return -1;
    }

    if (ngx_http_secauth_gcm(1, nonce + NGX_HTTP_SECAUTH_SEAL_NONCE_LEN, key,
                             nonce, aad, aadlen, pt, len,
                             nonce + NGX_HTTP_SECAUTH_SEAL_NONCE_LEN + len)
        != 0)
    {
        return -1;
    }

    return (long) (len + NGX_HTTP_SECAUTH_SEAL_OVERHEAD);
}


long
ngx_http_secauth_open(unsigned char *dst, const unsigned char *key,
    const unsigned char *aad, size_t aadlen, const unsigned char *sealed,
    size_t len)
{
    size_t          n;
    unsigned char   tag[NGX_HTTP_SECAUTH_SEAL_TAG_LEN];
    const unsigned char  *nonce;

    if (len < NGX_HTTP_SECAUTH_SEAL_OVERHEAD
        || len > NGX_HTTP_SECAUTH_SEAL_MAX + NGX_HTTP_SECAUTH_SEAL_OVERHEAD
        || sealed[0] != NGX_HTTP_SECAUTH_SEAL_VERSION
        || aadlen > INT_MAX)
    {
        return -1;
    }

    n = len - NGX_HTTP_SECAUTH_SEAL_OVERHEAD;
    nonce = sealed + 1;

    memcpy(tag, nonce + NGX_HTTP_SECAUTH_SEAL_NONCE_LEN + n, sizeof(tag));

    if (ngx_http_secauth_gcm(0, dst, key, nonce, aad, aadlen,
                             nonce + NGX_HTTP_SECAUTH_SEAL_NONCE_LEN, n, tag)
        != 0)
    {
        OPENSSL_cleanse(dst, n);
        return -1;
    }

    return (long) n;
}


/* one AES-256-GCM pass: enc 1 writes the tag, enc 0 checks it */

static int
ngx_http_secauth_gcm(int enc, unsigned char *dst, const unsigned char *key,
    const unsigned char *nonce, const unsigned char *aad, size_t aadlen,
    const unsigned char *src, size_t len, unsigned char *tag)
{
    int              rc, outl;
    EVP_CIPHER_CTX  *ctx;

    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        return -1;
    }

    rc = -1;

    if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN,
                               NGX_HTTP_SECAUTH_SEAL_NONCE_LEN, NULL) != 1
        || EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1)
    {
        goto done;
    }

    if (aadlen
        && EVP_CipherUpdate(ctx, NULL, &outl, aad, (int) aadlen) != 1)
    {
        goto done;
    }

    if (len && EVP_CipherUpdate(ctx, dst, &outl, src, (int) len) != 1) {
        goto done;
    }

    if (!enc
        && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG,
                               NGX_HTTP_SECAUTH_SEAL_TAG_LEN, tag) != 1)
    {
        goto done;
    }

    if (EVP_CipherFinal_ex(ctx, dst + len, &outl) != 1) {
        goto done;
    }

    if (enc
        && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
                               NGX_HTTP_SECAUTH_SEAL_TAG_LEN, tag) != 1)
    {
        goto done;
    }

    rc = 0;

done:

    EVP_CIPHER_CTX_free(ctx);

    return rc;
}
