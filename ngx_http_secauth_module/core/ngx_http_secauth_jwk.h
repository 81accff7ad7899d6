
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_JWK_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_JWK_H_INCLUDED_


/*
 * JSON Web Keys (RFC 7517, RFC 7518 6, RFC 8037): a JWK into a key of
 * ngx_http_secauth_jws.h, bound to exactly one algorithm, and a public
 * key back into a JWK. Plain C on jansson and OpenSSL 3, so that unit
 * tests and fuzz targets link it alone (t/unit/jwk_test.c) with jws.c,
 * base64url.c and ct.c.
 *
 * Imported: "kty" RSA (n, e), EC (crv P-256, P-384, P-521; x and y of the
 * curve's full size, a point on the curve), OKP (crv Ed25519, Ed448; x),
 * and oct (k) when the caller allows secrets. Key members are strict
 * base64url. A key with private members (d, p, q, dp, dq, qi, oth) is
 * refused: a verification key set holds public keys only.
 */


#include <stddef.h>
#include <jansson.h>

#include "ngx_http_secauth_jws.h"


/* the most members' bytes looked at: RSA moduli of 16384 bits */
#define NGX_HTTP_SECAUTH_JWK_MEMBER_MAX  2048


typedef struct {
    /* in: the algorithm of a key without "alg" (NONE: such a key is an
     * error), and whether "oct" keys (shared secrets) are accepted */
    int                   alg_default;
    int                   allow_secret;

    /* out */
    const char           *err;       /* why refused or skipped */
    const unsigned char  *kid;       /* into the JSON, NULL: none */
    size_t                kid_len;
} ngx_http_secauth_jwk_import_t;


/*
 * Prepares key from the JWK object jwk. Returns 0 (imported: release the
 * key with ngx_http_secauth_jws_key_free(); its kid is left NULL for the
 * caller to copy from in->kid), 1 (skipped: not a signing key, e.g. "use"
 * "enc", "key_ops" without "verify", an encryption "alg", an X25519 key;
 * in->err says which) or -1 (refused: in->err says why).
 */
int ngx_http_secauth_jwk_import(ngx_http_secauth_jws_key_t *key,
    const json_t *jwk, ngx_http_secauth_jwk_import_t *in);

/*
 * The public JWK of a prepared key: kty, the public members, "alg",
 * "use": "sig", and "kid" when the key has one. NULL for HS keys (a
 * secret is never published) or when memory runs out.
 */
json_t *ngx_http_secauth_jwk_export(const ngx_http_secauth_jws_key_t *key);


#endif /* _NGX_HTTP_SECAUTH_JWK_H_INCLUDED_ */
