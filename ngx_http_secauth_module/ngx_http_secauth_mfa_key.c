
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_base64url.h"
#include "ngx_http_secauth_mfa_key.h"


/*
 * The key of the second factor (secauth_secret_key): 32 random bytes in
 * a file only its owner reads, read once at configuration time, turned
 * into subkeys by HKDF (one to seal TOTP secrets with AES-256-GCM, one
 * to key the HMAC-SHA-256 of backup codes), zeroed with the
 * configuration's pool. Values are bound to the user's name, so that a
 * sealed secret copied to another user's record does not open.
 */


#define NGX_HTTP_SECAUTH_SECRET_KEY_LEN  32


static char *ngx_http_secauth_secret_key_read(ngx_conf_t *cf,
    ngx_str_t *name, ngx_str_t *path, ngx_http_secauth_subkeys_t *sub);
static void ngx_http_secauth_secret_key_cleanup(void *data);


static u_char  ngx_http_secauth_info_seal[] = "secauth totp secret v1";
static u_char  ngx_http_secauth_info_code[] = "secauth backup code v1";


/* secauth_secret_key PATH [old=PATH]; */

char *
ngx_http_secauth_secret_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_secauth_main_conf_t *smcf = conf;

    char                       *rv;
    ngx_str_t                  *value, old;
    ngx_pool_cleanup_t         *cln;
    ngx_http_secauth_secret_t  *sk;

    if (smcf->secret) {
        return "is duplicate";
    }

    value = cf->args->elts;

    ngx_str_null(&old);

    if (cf->args->nelts == 3) {
        if (ngx_strncmp(value[2].data, "old=", 4) != 0 || value[2].len == 4) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[2]);
            return NGX_CONF_ERROR;
        }

        old.data = value[2].data + 4;
        old.len = value[2].len - 4;
    }

    sk = ngx_pcalloc(cf->pool, sizeof(ngx_http_secauth_secret_t));
    if (sk == NULL) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_secauth_secret_key_cleanup;
    cln->data = sk;

    rv = ngx_http_secauth_secret_key_read(cf, &cmd->name, &value[1],
                                          &sk->cur);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (old.len) {
        rv = ngx_http_secauth_secret_key_read(cf, &cmd->name, &old,
                                              &sk->old);
        if (rv != NGX_CONF_OK) {
            return rv;
        }

        if (ngx_memcmp(&sk->old, &sk->cur, sizeof(sk->cur)) == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": the old key is the current key",
                               &cmd->name);
            return NGX_CONF_ERROR;
        }

        sk->has_old = 1;
    }

    smcf->secret = sk;

    return NGX_CONF_OK;
}


char *
ngx_http_secauth_mfa_durable(ngx_conf_t *cf, void *conf)
{
    ngx_http_secauth_main_conf_t *smcf = conf;

    if (smcf->secret == NULL || smcf->redis) {
        return NGX_CONF_OK;
    }

    if (smcf->shm_zone
        && ngx_http_secauth_store_zone_durable(smcf->shm_zone))
    {
        return NGX_CONF_OK;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"secauth_secret_key\": the second factor needs "
                       "durable state: \"secauth_redis\", or "
                       "\"secauth_zone\" with \"state=\"");

    return NGX_CONF_ERROR;
}


/*
 * Exactly 32 bytes, a regular file, nothing for the group or others:
 * whoever reads it reads every TOTP secret out of a copy of the store
 */

static char *
ngx_http_secauth_secret_key_read(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *path, ngx_http_secauth_subkeys_t *sub)
{
    char             *err;
    u_char            buf[NGX_HTTP_SECAUTH_SECRET_KEY_LEN + 1];
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_str_t         full;
    ngx_file_info_t   fi;

    full = *path;

    if (ngx_conf_full_name(cf->cycle, &full, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(full.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"%V\": cannot open \"%V\"", name, &full);
        return NGX_CONF_ERROR;
    }

    err = NULL;
    n = -1;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        err = "cannot stat";

    } else if (!ngx_is_file(&fi)) {
        err = "is not a regular file";

    } else if (fi.st_mode & (S_IRWXG | S_IRWXO)) {
        err = "is open to the group or others (chmod 600 it)";

    } else {
        n = ngx_read_fd(fd, buf, sizeof(buf));

        if (n != NGX_HTTP_SECAUTH_SECRET_KEY_LEN) {
            err = "must hold exactly 32 bytes "
                  "(e.g. openssl rand -out PATH 32)";
        }
    }

    (void) ngx_close_file(fd);

    if (err == NULL
        && (ngx_http_secauth_hkdf(sub->seal, sizeof(sub->seal), buf,
                                  NGX_HTTP_SECAUTH_SECRET_KEY_LEN, NULL, 0,
                                  ngx_http_secauth_info_seal,
                                  sizeof(ngx_http_secauth_info_seal) - 1)
            != 0
            || ngx_http_secauth_hkdf(sub->code, sizeof(sub->code), buf,
                                     NGX_HTTP_SECAUTH_SECRET_KEY_LEN, NULL, 0,
                                     ngx_http_secauth_info_code,
                                     sizeof(ngx_http_secauth_info_code) - 1)
               != 0))
    {
        err = "cannot derive the subkeys";
    }

    ngx_explicit_memzero(buf, sizeof(buf));

    if (err) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\": \"%V\" %s",
                           name, &full, err);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void
ngx_http_secauth_secret_key_cleanup(void *data)
{
    ngx_http_secauth_secret_t  *sk = data;

    ngx_explicit_memzero(sk, sizeof(ngx_http_secauth_secret_t));
}


ngx_int_t
ngx_http_secauth_mfa_seal(ngx_http_secauth_secret_t *sk, ngx_pool_t *pool,
    ngx_str_t *user, u_char *value, size_t len, ngx_str_t *out)
{
    long     n;
    u_char  *sealed;

    sealed = ngx_pnalloc(pool, len + NGX_HTTP_SECAUTH_SEAL_OVERHEAD);
    if (sealed == NULL) {
        return NGX_ERROR;
    }

    out->data = ngx_pnalloc(pool, ngx_http_secauth_b64url_encoded_len(
                                      len + NGX_HTTP_SECAUTH_SEAL_OVERHEAD));
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    n = ngx_http_secauth_seal(sealed, sk->cur.seal, user->data, user->len,
                              value, len);
    if (n < 0) {
        return NGX_ERROR;
    }

    out->len = ngx_http_secauth_b64url_encode(out->data, sealed, n);

    return NGX_OK;
}


ngx_int_t
ngx_http_secauth_mfa_open(ngx_http_secauth_secret_t *sk, ngx_str_t *user,
    ngx_str_t *sealed, u_char *dst, size_t max, size_t *len)
{
    long     n, m;
    u_char   raw[256];

    if (sealed->len > ngx_http_secauth_b64url_encoded_len(sizeof(raw) - 2)) {
        return NGX_DECLINED;
    }

    n = ngx_http_secauth_b64url_decode(raw, sealed->data, sealed->len);

    if (n < NGX_HTTP_SECAUTH_SEAL_OVERHEAD
        || (size_t) n - NGX_HTTP_SECAUTH_SEAL_OVERHEAD > max)
    {
        return NGX_DECLINED;
    }

    m = ngx_http_secauth_open(dst, sk->cur.seal, user->data, user->len,
                              raw, n);

    if (m < 0 && sk->has_old) {
        m = ngx_http_secauth_open(dst, sk->old.seal, user->data, user->len,
                                  raw, n);
    }

    if (m < 0) {
        return NGX_DECLINED;
    }

    *len = m;

    return NGX_OK;
}


ngx_int_t
ngx_http_secauth_mfa_code_hash(ngx_http_secauth_secret_t *sk, ngx_uint_t old,
    ngx_str_t *user, uint64_t gen, ngx_str_t *code, u_char *out)
{
    u_char                      *p, buf[NGX_HTTP_SECAUTH_USERNAME_MAX + 64];
    unsigned int                 n;
    ngx_http_secauth_subkeys_t  *sub;

    if (old && !sk->has_old) {
        return NGX_DECLINED;
    }

    if (user->len > NGX_HTTP_SECAUTH_USERNAME_MAX || code->len > 32) {
        return NGX_ERROR;
    }

    sub = old ? &sk->old : &sk->cur;

    /* user, NUL, set number, NUL, code: no two inputs give one string */
    p = ngx_cpymem(buf, user->data, user->len);
    *p++ = '\0';
    p = ngx_sprintf(p, "%uL", gen);
    *p++ = '\0';
    p = ngx_cpymem(p, code->data, code->len);

    n = 0;

    if (HMAC(EVP_sha256(), sub->code, sizeof(sub->code), buf, p - buf, out,
             &n)
        == NULL
        || n != 32)
    {
        ngx_explicit_memzero(buf, sizeof(buf));
        return NGX_ERROR;
    }

    ngx_explicit_memzero(buf, sizeof(buf));

    return NGX_OK;
}
