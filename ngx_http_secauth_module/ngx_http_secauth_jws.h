
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_JWS_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_JWS_H_INCLUDED_


/*
 * JWS compact serialization: splitting, base64url and signature checks.
 * Plain C on OpenSSL 3, without nginx, so that unit tests and fuzz targets
 * link it alone (t/unit/).
 */


#include <stddef.h>
#include <openssl/evp.h>


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

#define ngx_http_secauth_jws_is_hmac(alg)                                     \
    ((alg) >= NGX_HTTP_SECAUTH_JWS_HS256 && (alg) <= NGX_HTTP_SECAUTH_JWS_HS512)
#define ngx_http_secauth_jws_is_ec(alg)                                       \
    ((alg) >= NGX_HTTP_SECAUTH_JWS_ES256 && (alg) <= NGX_HTTP_SECAUTH_JWS_ES512)


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


int ngx_http_secauth_jws_alg(const unsigned char *name, size_t len);
const char *ngx_http_secauth_jws_alg_name(int alg);

/* 0: exactly three non-empty segments of [A-Za-z0-9_-]; -1 otherwise */
int ngx_http_secauth_jws_split(const unsigned char *token, size_t len,
    ngx_http_secauth_jws_parts_t *parts);

/* decoded length, or -1: bad character, padding, impossible length */
long ngx_http_secauth_b64url_decode(unsigned char *dst,
    const unsigned char *src, size_t len);
size_t ngx_http_secauth_b64url_encode(unsigned char *dst,
    const unsigned char *src, size_t len);
/* 1 when every byte is in the base64url alphabet (no padding), else 0 */
int ngx_http_secauth_b64url_valid(const unsigned char *p, size_t len);
#define ngx_http_secauth_b64url_decoded_len(n)  ((n) / 4 * 3 + 2)
#define ngx_http_secauth_b64url_encoded_len(n)  (((n) + 2) / 3 * 4)

/*
 * Prepares a key. HS*: secret bytes (at least the hash size: 32, 48, 64
 * bytes, RFC 7518 3.2); RS*, ES*: pkey (reference
 * taken), checked against the algorithm (type, curve, RSA >= 2048 bits).
 * Returns NULL on success, else a message for the operator.
 */
const char *ngx_http_secauth_jws_key_init(ngx_http_secauth_jws_key_t *key,
    int alg, const unsigned char *secret, size_t secret_len, EVP_PKEY *pkey);
void ngx_http_secauth_jws_key_free(ngx_http_secauth_jws_key_t *key);

/* room for any signature: RSA up to 8192 bits */
#define NGX_HTTP_SECAUTH_JWS_SIG_MAX  1024

/* 0: sig holds the signature over "header.payload"; -1: error */
int ngx_http_secauth_jws_sign(const ngx_http_secauth_jws_key_t *key,
    const unsigned char *input, size_t input_len, unsigned char *sig,
    size_t *sig_len);

/* 1: the signature over "header.payload" is valid; 0: not; -1: error */
int ngx_http_secauth_jws_verify(const ngx_http_secauth_jws_key_t *key,
    const unsigned char *input, size_t input_len,
    const unsigned char *sig, size_t sig_len);


#endif /* _NGX_HTTP_SECAUTH_JWS_H_INCLUDED_ */
