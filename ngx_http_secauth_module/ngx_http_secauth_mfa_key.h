
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_MFA_KEY_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_MFA_KEY_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_secauth_seal.h"


/* what one secauth_secret_key file gives: two subkeys, by HKDF */
typedef struct {
    u_char                      seal[NGX_HTTP_SECAUTH_SEAL_KEY_LEN];
    u_char                      code[NGX_HTTP_SECAUTH_SEAL_KEY_LEN];
} ngx_http_secauth_subkeys_t;


/*
 * secauth_secret_key PATH [old=PATH]: the current key seals and opens,
 * the old one (rotation) only opens and checks backup codes hashed
 * before the rotation.
 */
typedef struct {
    ngx_http_secauth_subkeys_t  cur;
    ngx_http_secauth_subkeys_t  old;
    ngx_flag_t                  has_old;
} ngx_http_secauth_secret_t;


char *ngx_http_secauth_secret_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/*
 * MFA data (sealed secrets, last steps, backup codes) must survive a
 * restart, or a restart would turn the second factor off or let spent
 * codes be spent again: with secauth_secret_key, the store is Redis or
 * a shm zone kept in a state file. smcf is the main conf (void * here
 * to keep this header below the module's).
 */
char *ngx_http_secauth_mfa_durable(ngx_conf_t *cf, void *smcf);

/*
 * Seals a TOTP secret (or any small value) for user under the current
 * key: out is the base64url text of the sealed value, from pool.
 */
ngx_int_t ngx_http_secauth_mfa_seal(ngx_http_secauth_secret_t *sk,
    ngx_pool_t *pool, ngx_str_t *user, u_char *value, size_t len,
    ngx_str_t *out);

/*
 * Opens what ngx_http_secauth_mfa_seal() made for user, under the
 * current key, then the old one: NGX_OK and *len bytes in dst (room
 * for max); NGX_DECLINED when neither key opens it (or it is malformed).
 */
ngx_int_t ngx_http_secauth_mfa_open(ngx_http_secauth_secret_t *sk,
    ngx_str_t *user, ngx_str_t *sealed, u_char *dst, size_t max,
    size_t *len);

/*
 * The keyed hash of a backup code of user's set number gen, under the
 * current key (old 0) or the old one (old 1, NGX_DECLINED when there is
 * none): 32 bytes in out, what the store keeps (never the code).
 */
ngx_int_t ngx_http_secauth_mfa_code_hash(ngx_http_secauth_secret_t *sk,
    ngx_uint_t old, ngx_str_t *user, uint64_t gen, ngx_str_t *code,
    u_char *out);


#endif /* _NGX_HTTP_SECAUTH_MFA_KEY_H_INCLUDED_ */
