
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_JWS_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_JWS_H_INCLUDED_


/*
 * JWS compact serialization: splitting and signature checks, on keys
 * prepared once. Plain C on OpenSSL 3, without nginx, so that unit tests
 * and fuzz targets link it alone (t/unit/jws_test.c), with
 * ngx_http_secauth_base64url.c and ngx_http_secauth_ct.c.
 */


#include <stddef.h>
#include <openssl/evp.h>

#include "ngx_http_secauth_base64url.h"


#define NGX_HTTP_SECAUTH_JWS_NONE    0
#define NGX_HTTP_SECAUTH_JWS_HS256   1
#define NGX_HTTP_SECAUTH_JWS_HS384   2
#define NGX_HTTP_SECAUTH_JWS_HS512   3
#define NGX_HTTP_SECAUTH_JWS_RS256   4
#define NGX_HTTP_SECAUTH_JWS_RS384   5
#define NGX_HTTP_SECAUTH_JWS_RS512   6
#define NGX_HTTP_SECAUTH_JWS_ES256   7
#define NGX_HTTP_SECAUTH_JWS_ES384   8
#define NGX_HTTP_SECAUTH_JWS_ES512   9
#define NGX_HTTP_SECAUTH_JWS_PS256   10
#define NGX_HTTP_SECAUTH_JWS_PS384   11
#define NGX_HTTP_SECAUTH_JWS_PS512   12
#define NGX_HTTP_SECAUTH_JWS_EDDSA   13    /* RFC 8037: Ed25519, Ed448 */

#define ngx_http_secauth_jws_is_hmac(alg)                                     \
    ((alg) >= NGX_HTTP_SECAUTH_JWS_HS256 && (alg) <= NGX_HTTP_SECAUTH_JWS_HS512)
#define ngx_http_secauth_jws_is_ec(alg)                                       \
    ((alg) >= NGX_HTTP_SECAUTH_JWS_ES256 && (alg) <= NGX_HTTP_SECAUTH_JWS_ES512)
#define ngx_http_secauth_jws_is_pss(alg)                                      \
    ((alg) >= NGX_HTTP_SECAUTH_JWS_PS256 && (alg) <= NGX_HTTP_SECAUTH_JWS_PS512)


/* a key bound to exactly one algorithm, prepared once */
typedef struct {
    int                 alg;
    EVP_PKEY           *pkey;      /* RS*, ES*: the public (or private) key */
    EVP_MAC_CTX        *mac;       /* HS*: HMAC already keyed */
    unsigned char      *kid;
    size_t              kid_len;
} ngx_http_secauth_jws_key_t;


/* the three parts of a compact JWS, pointing into the token */
typedef struct {
    const unsigned char  *header;
    size_t                header_len;
    const unsigned char  *payload;
    size_t                payload_len;
    const unsigned char  *signature;
    size_t                signature_len;
} ngx_http_secauth_jws_parts_t;


/*
 * The algorithm of the len bytes at name (a header's "alg", a directive's
 * argument), compared exactly and case-sensitively (RFC 8725 3.1):
 * NGX_HTTP_SECAUTH_JWS_HS256 ... _EDDSA, or _NONE for anything else
 * ("none", "hs256", "HS256 ", a prefix, NUL bytes, len 0).
 */
int ngx_http_secauth_jws_alg(const unsigned char *name, size_t len);
/* the name of an algorithm ("HS256" ...), "none" for any other int */
const char *ngx_http_secauth_jws_alg_name(int alg);

/*
 * Splits the len bytes at token (no NUL needed) as a compact JWS:
 * 0 when they are exactly three non-empty segments of [A-Za-z0-9_-]
 * separated by "." (parts then point into token; nothing is decoded);
 * -1 otherwise (parts untouched): two or four segments, an empty one,
 * padding, whitespace, any other byte.
 */
int ngx_http_secauth_jws_split(const unsigned char *token, size_t len,
    ngx_http_secauth_jws_parts_t *parts);

/*
 * Prepares a key for alg. HS*: secret_len bytes at secret (at least the
 * hash size: 32, 48, 64 bytes, RFC 7518 3.2; copied into the keyed
 * context, pkey ignored); RS*, PS*, ES*, EdDSA: pkey (a reference is
 * taken; secret ignored), checked against the algorithm (type, curve,
 * RSA >= 2048 bits; EdDSA: an Ed25519 or Ed448 key). PS* use the salt
 * length of the hash and MGF1 with it (RFC 7518 3.5). kid is left NULL
 * for the caller to set.
 * Returns NULL on success, else a message for the operator; either way
 * the key is released with ngx_http_secauth_jws_key_free().
 */
const char *ngx_http_secauth_jws_key_init(ngx_http_secauth_jws_key_t *key,
    int alg, const unsigned char *secret, size_t secret_len, EVP_PKEY *pkey);
/* frees what the key holds (not kid); safe to call twice */
void ngx_http_secauth_jws_key_free(ngx_http_secauth_jws_key_t *key);

/* room for any signature: RSA up to 8192 bits */
#define NGX_HTTP_SECAUTH_JWS_SIG_MAX  1024

/*
 * Signs the input_len bytes at input ("header.payload") with a prepared
 * key into sig, which has room for NGX_HTTP_SECAUTH_JWS_SIG_MAX bytes;
 * ES signatures come out as r || s (RFC 7518 3.4). 0 and *sig_len, or -1.
 */
int ngx_http_secauth_jws_sign(const ngx_http_secauth_jws_key_t *key,
    const unsigned char *input, size_t input_len, unsigned char *sig,
    size_t *sig_len);

/*
 * Checks the sig_len bytes at sig (the decoded signature; ES: r || s of
 * the curve's size, anything else is a mismatch) over the input_len bytes
 * at input ("header.payload" as sent) with a prepared key. HMACs are
 * compared in constant time. 1: valid; 0: not; -1: the key is not
 * prepared, or OpenSSL failed. A refused signature leaves no error in
 * OpenSSL's queue.
 */
int ngx_http_secauth_jws_verify(const ngx_http_secauth_jws_key_t *key,
    const unsigned char *input, size_t input_len,
    const unsigned char *sig, size_t sig_len);


#endif /* _NGX_HTTP_SECAUTH_JWS_H_INCLUDED_ */
