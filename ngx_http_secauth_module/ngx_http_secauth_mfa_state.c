
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/rand.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_base32.h"
#include "ngx_http_secauth_mfa.h"
#include "ngx_http_secauth_totp.h"


/*
 * The second factor's state as an enrolment writes it, through the store
 * interface only (docs/mfa.md, "Enrolment"): the user's record
 * ("1:GEN:SEALED", the format scripts/secauth-mfa writes), a new set of
 * backup codes under their keyed hashes, and the pending secret of an
 * enrolment begun by a session, sealed for its user, under
 * SHA-256("mfa-enrol\n" the session's store key) for
 * NGX_HTTP_SECAUTH_MFA_ENROL_TTL seconds.
 */


static ngx_int_t ngx_http_secauth_mfa_once(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_mfa_get(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op, ngx_flag_t consume);
static ngx_int_t ngx_http_secauth_mfa_enrol_key(u_char *session_key,
    u_char *key);


static ngx_int_t
ngx_http_secauth_mfa_once(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op)
{
    op->once = ngx_pcalloc(r->pool, sizeof(ngx_http_secauth_once_t));
    if (op->once == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_secauth_mfa_record_get(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op, ngx_str_t *user, ngx_flag_t consume)
{
    if (ngx_http_secauth_mfa_user_key(user, op->key) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_secauth_mfa_get(r, op, consume);
}


/* the value under op->key, read (consume 0) or taken */

static ngx_int_t
ngx_http_secauth_mfa_get(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op, ngx_flag_t consume)
{
    if (ngx_http_secauth_mfa_once(r, op) != NGX_OK) {
        return NGX_ERROR;
    }

    return consume
           ? ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                         once_consume, op)
           : ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                         value_get, op);
}


ngx_int_t
ngx_http_secauth_mfa_record_put(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op, ngx_str_t *user, uint64_t gen,
    ngx_str_t *sealed)
{
    u_char  *p;

    if (ngx_http_secauth_mfa_once(r, op) != NGX_OK
        || ngx_http_secauth_mfa_user_key(user, op->key) != NGX_OK)
    {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, sizeof("1::") - 1 + NGX_INT64_LEN
                             + sealed->len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    op->once->data.data = p;
    op->once->data.len = ngx_sprintf(p, "1:%uL:%V", gen, sealed) - p;
    op->ttl = NGX_HTTP_SECAUTH_MFA_TTL;

    return ngx_http_secauth_store_call(ngx_http_secauth_store(r), once_put,
                                       op);
}


/*
 * A backup-code set number never used before for anyone: random (48
 * bits), not the old one plus one, since a record deleted (TOTP off)
 * forgets its number while the old set's hashes stay in the store
 */

ngx_int_t
ngx_http_secauth_mfa_gen_new(uint64_t *gen)
{
    u_char  raw[6];

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        return NGX_ERROR;
    }

    *gen = ((uint64_t) raw[0] << 40) | ((uint64_t) raw[1] << 32)
           | ((uint64_t) raw[2] << 24) | ((uint64_t) raw[3] << 16)
           | ((uint64_t) raw[4] << 8) | raw[5];

    ngx_explicit_memzero(raw, sizeof(raw));

    return NGX_OK;
}


/*
 * NGX_HTTP_SECAUTH_MFA_CODES new backup codes of set gen, each stored
 * under its keyed hash; codes[] gets them as shown ("xxxxx-xxxxx"). The
 * writes go on without the request: the caller's next store call (the
 * record) goes after them on the same connection, or at once on shm, so
 * its answer says they were done.
 */

ngx_int_t
ngx_http_secauth_mfa_codes_new(ngx_http_request_t *r, ngx_str_t *user,
    uint64_t gen, ngx_str_t *codes)
{
    u_char                        *p, raw[7], b32[12];
    ngx_str_t                      code;
    ngx_uint_t                     i;
    ngx_http_secauth_store_op_t   *op;
    ngx_http_secauth_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_secauth_module);

    for (i = 0; i < NGX_HTTP_SECAUTH_MFA_CODES; i++) {

        if (RAND_bytes(raw, sizeof(raw)) != 1) {
            return NGX_ERROR;
        }

        (void) ngx_http_secauth_base32_encode(b32, raw, sizeof(raw));
        ngx_explicit_memzero(raw, sizeof(raw));

        ngx_strlow(b32, b32, NGX_HTTP_SECAUTH_BACKUP_CODE_LEN);

        code.data = b32;
        code.len = NGX_HTTP_SECAUTH_BACKUP_CODE_LEN;

        op = ngx_http_secauth_new_op(r, NULL);
        if (op == NULL || ngx_http_secauth_mfa_once(r, op) != NGX_OK) {
            return NGX_ERROR;
        }

        if (ngx_http_secauth_mfa_code_hash(smcf->secret, 0, user, gen,
                                           &code, op->key)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        p = ngx_pnalloc(r->pool, NGX_HTTP_SECAUTH_BACKUP_CODE_LEN + 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        codes[i].data = p;
        p = ngx_cpymem(p, b32, 5);
        *p++ = '-';
        p = ngx_cpymem(p, b32 + 5, 5);
        codes[i].len = p - codes[i].data;

        ngx_explicit_memzero(b32, sizeof(b32));

        ngx_str_set(&op->once->data, "1");
        op->ttl = NGX_HTTP_SECAUTH_MFA_TTL;

        (void) ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                           once_put, op);
    }

    return NGX_OK;
}


/* a new TOTP secret for user: its base32 text and its sealed form */

ngx_int_t
ngx_http_secauth_mfa_secret_new(ngx_http_request_t *r, ngx_str_t *user,
    ngx_str_t *b32, ngx_str_t *sealed)
{
    u_char                        secret[NGX_HTTP_SECAUTH_TOTP_SECRET_LEN];
    ngx_int_t                     rc;
    ngx_http_secauth_main_conf_t *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_secauth_module);

    b32->data = ngx_pnalloc(r->pool,
                            ngx_http_secauth_base32_encoded_len(
                                sizeof(secret)));
    if (b32->data == NULL || RAND_bytes(secret, sizeof(secret)) != 1) {
        return NGX_ERROR;
    }

    b32->len = ngx_http_secauth_base32_encode(b32->data, secret,
                                              sizeof(secret));

    rc = ngx_http_secauth_mfa_seal(smcf->secret, r->pool, user, secret,
                                   sizeof(secret), sealed);

    ngx_explicit_memzero(secret, sizeof(secret));

    return rc;
}


static ngx_int_t
ngx_http_secauth_mfa_enrol_key(u_char *session_key, u_char *key)
{
    ngx_str_t  parts[2];

    ngx_str_set(&parts[0], "mfa-enrol\n");
    parts[1].data = session_key;
    parts[1].len = NGX_HTTP_SECAUTH_KEY_LEN;

    return ngx_http_secauth_sha256(parts, 2, key);
}


ngx_int_t
ngx_http_secauth_mfa_enrol_put(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op, u_char *session_key, ngx_str_t *sealed)
{
    if (ngx_http_secauth_mfa_once(r, op) != NGX_OK
        || ngx_http_secauth_mfa_enrol_key(session_key, op->key) != NGX_OK)
    {
        return NGX_ERROR;
    }

    op->once->data = *sealed;
    op->ttl = NGX_HTTP_SECAUTH_MFA_ENROL_TTL;

    return ngx_http_secauth_store_call(ngx_http_secauth_store(r), once_put,
                                       op);
}


ngx_int_t
ngx_http_secauth_mfa_enrol_get(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op, u_char *session_key, ngx_flag_t consume)
{
    if (ngx_http_secauth_mfa_enrol_key(session_key, op->key) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_secauth_mfa_get(r, op, consume);
}
