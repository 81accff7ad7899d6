
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_jwk.h"
#include "ngx_http_secauth_jws.h"
#include "ngx_http_secauth_jwt.h"
#include "ngx_http_secauth_jwt_private.h"


/*
 * The keys of secauth_jwt_key, secauth_jwt_signing_key and
 * secauth_jwt_key_file: read, parsed and bound to their algorithm at
 * configuration time, freed with the configuration's pool; the JWK Set
 * import that secauth_jwt_key_request shares (_jwt_fetch.c); and the
 * merge of the JWT settings.
 */


static ssize_t ngx_http_secauth_jwt_key_read(ngx_conf_t *cf,
    ngx_command_t *cmd, ngx_str_t *path, size_t max, u_char **buf);
static ngx_http_secauth_jws_key_t *ngx_http_secauth_jwt_key_push(
    ngx_pool_t *pool, ngx_array_t **keys);
static ngx_int_t ngx_http_secauth_jwt_key_keep(ngx_pool_t *pool,
    ngx_array_t *keys, ngx_http_secauth_jws_key_t *key);
static void ngx_http_secauth_jwt_key_cleanup(void *data);


/*
 * secauth_jwt_key ALG PATH [kid=ID];
 * secauth_jwt_signing_key ALG PATH [kid=ID];
 *
 * Keys are read and prepared here, once. The signing key (a private key,
 * or the HS secret) also verifies.
 */

char *
ngx_http_secauth_jwt_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_secauth_loc_conf_t *slcf = conf;

    int                          alg;
    BIO                         *bio;
    u_char                      *buf;
    ssize_t                      n;
    EVP_PKEY                    *pkey, *other;
    ngx_str_t                   *value, path, kid;
    ngx_flag_t                   signing;
    const char                  *err;
    ngx_http_secauth_jws_key_t  *key;

    value = cf->args->elts;
    signing = (cmd->name.len == sizeof("secauth_jwt_signing_key") - 1);

    alg = ngx_http_secauth_jws_alg(value[1].data, value[1].len);

    if (alg == NGX_HTTP_SECAUTH_JWS_NONE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": unknown algorithm \"%V\", expected "
                           "HS256, HS384, HS512, RS256, RS384, RS512, "
                           "PS256, PS384, PS512, ES256, ES384, ES512 or "
                           "EdDSA", &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    ngx_str_null(&kid);

    if (cf->args->nelts == 4) {
        if (ngx_strncmp(value[3].data, "kid=", 4) != 0 || value[3].len == 4) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\" in \"%V\"",
                               &value[3], &cmd->name);
            return NGX_CONF_ERROR;
        }

        kid.data = value[3].data + 4;
        kid.len = value[3].len - 4;
    }

    if (signing && slcf->jwt_signing_key != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    path = value[2];

    n = ngx_http_secauth_jwt_key_read(cf, cmd, &path, 64 * 1024, &buf);
    if (n < 0) {
        return NGX_CONF_ERROR;
    }

    key = ngx_http_secauth_jwt_key_push(cf->pool, &slcf->jwt_keys);
    if (key == NULL) {
        return NGX_CONF_ERROR;
    }

    pkey = NULL;

    if (ngx_http_secauth_jws_is_hmac(alg)) {

        /* a PEM is a public document, never an HMAC secret */

        if (ngx_strnstr(buf, "-----BEGIN", n) != NULL) {
            err = "needs a random secret, not a PEM file";
            goto failed;
        }

        err = ngx_http_secauth_jws_key_init(key, alg, buf, n, NULL);

    } else {
        bio = BIO_new_mem_buf(buf, (int) n);
        if (bio == NULL) {
            return NGX_CONF_ERROR;
        }

        if (signing) {
            pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
            err = pkey ? NULL : "needs a PEM private key";

        } else {
            pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
            err = pkey ? NULL : "needs a PEM public key "
                                "(\"BEGIN PUBLIC KEY\")";

            if (pkey == NULL) {
                (void) BIO_reset(bio);
                other = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);

                if (other) {
                    err = "needs the public key, not a private key";
                    EVP_PKEY_free(other);
                }
            }
        }

        BIO_free(bio);

        if (err == NULL) {
            err = ngx_http_secauth_jws_key_init(key, alg, NULL, 0, pkey);
        }
    }

    if (pkey) {
        EVP_PKEY_free(pkey);
    }

    ngx_explicit_memzero(buf, n);

    if (err) {
        goto failed;
    }

    if (kid.len) {
        key->kid = kid.data;
        key->kid_len = kid.len;
    }

    if (ngx_http_secauth_jwt_key_keep(cf->pool, slcf->jwt_keys, key)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (signing) {
        slcf->jwt_signing_key = key;
    }

    return NGX_CONF_OK;

failed:

    ngx_http_secauth_jws_key_free(key);
    slcf->jwt_keys->nelts--;

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" %V: \"%V\" %s",
                       &cmd->name, &value[1], &path, err);

    return NGX_CONF_ERROR;
}


/*
 * secauth_jwt_key_file PATH [alg=ALG];
 *
 * A JWK Set (RFC 7517 5), or one JWK, in a file of at most 1m: each
 * signing key bound to its "alg", or to ALG when it has none, and
 * selected by its "kid". Keys for other uses are skipped with a warning;
 * a key that cannot be used as it says fails nginx -t.
 */

char *
ngx_http_secauth_jwt_key_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_secauth_loc_conf_t *slcf = conf;

    int            alg;
    char          *rv;
    u_char        *buf;
    json_t        *set;
    ssize_t        n;
    ngx_str_t     *value, path;
    json_error_t   e;

    value = cf->args->elts;
    alg = NGX_HTTP_SECAUTH_JWS_NONE;

    if (cf->args->nelts == 3) {
        if (ngx_strncmp(value[2].data, "alg=", 4) == 0) {
            alg = ngx_http_secauth_jws_alg(value[2].data + 4,
                                           value[2].len - 4);
        }

        if (alg == NGX_HTTP_SECAUTH_JWS_NONE) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\" in \"%V\", "
                               "expected alg= and an algorithm of "
                               "\"secauth_jwt_key\"", &value[2],
                               &cmd->name);
            return NGX_CONF_ERROR;
        }
    }

    path = value[1];

    n = ngx_http_secauth_jwt_key_read(cf, cmd, &path, 1024 * 1024, &buf);
    if (n < 0) {
        return NGX_CONF_ERROR;
    }

    set = json_loadb((char *) buf, n, JSON_REJECT_DUPLICATES, &e);

    if (set == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": \"%V\" is not JSON: %s, line %d",
                           &cmd->name, &path, e.text, e.line);
        return NGX_CONF_ERROR;
    }

    rv = ngx_http_secauth_jwt_key_set(cf->pool, cf->log, &cmd->name,
                                      &slcf->jwt_keys, set, alg, 0);

    if (rv != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\": \"%V\" %s",
                           &cmd->name, &path, rv);
        rv = NGX_CONF_ERROR;
    }

    json_decref(set);

    return rv;
}


/*
 * The keys of a JWK Set, or of a single JWK, into *keys (created in pool
 * when unset), each freed with pool. A file (fetched 0) fails on a key
 * that cannot be used, and may hold shared secrets; a fetched set skips
 * such a key with a warning and never takes a secret (a key set served
 * over HTTP is public). NULL, or why the set is refused.
 */

char *
ngx_http_secauth_jwt_key_set(ngx_pool_t *pool, ngx_log_t *log,
    ngx_str_t *what, ngx_array_t **keys, json_t *set, int alg,
    ngx_flag_t fetched)
{
    int                             rc;
    size_t                          i, n;
    json_t                         *list, *jwk;
    ngx_uint_t                      imported, level;
    ngx_http_secauth_jws_key_t     *key;
    ngx_http_secauth_jwk_import_t   in;

    list = json_object_get(set, "keys");

    if (list == NULL && json_object_get(set, "kty")) {
        n = 1;

    } else if (json_is_array(list)) {
        n = json_array_size(list);

    } else {
        return "is neither a JWK Set (an object with a \"keys\" array) "
               "nor a JWK";
    }

    imported = 0;

    for (i = 0; i < n; i++) {
        jwk = list ? json_array_get(list, i) : set;

        key = ngx_http_secauth_jwt_key_push(pool, keys);
        if (key == NULL) {
            return "cannot be loaded: out of memory";
        }

        ngx_memzero(&in, sizeof(ngx_http_secauth_jwk_import_t));
        in.alg_default = alg;
        in.allow_secret = !fetched;

        rc = ngx_http_secauth_jwk_import(key, jwk, &in);

        if (rc == 0 && in.kid) {
            key->kid = ngx_pnalloc(pool, in.kid_len);
            if (key->kid == NULL) {
                rc = -1;
                in.err = "cannot be loaded: out of memory";

            } else {
                ngx_memcpy(key->kid, in.kid, in.kid_len);
                key->kid_len = in.kid_len;
            }
        }

        if (rc == 0 && ngx_http_secauth_jwt_key_keep(pool, *keys, key)
                       != NGX_OK)
        {
            return "cannot be loaded: out of memory";
        }

        if (rc != 0) {
            ngx_http_secauth_jws_key_free(key);
            (*keys)->nelts--;
        }

        if (rc == 0) {
            imported++;
            continue;
        }

        level = (rc == -1 && !fetched) ? NGX_LOG_EMERG : NGX_LOG_WARN;

        ngx_log_error(level, log, 0, "\"%V\": key %uz%s%*s%s %s%s",
                      what, i,
                      in.kid ? " (kid \"" : "",
                      in.kid ? (int) ngx_min(in.kid_len, 64) : 0,
                      in.kid ? (char *) in.kid : "",
                      in.kid ? "\")" : "", in.err,
                      (rc == -1 && fetched) ? ", skipped" : "");

        if (level == NGX_LOG_EMERG) {
            return "has a key that cannot be used";
        }
    }

    if (imported == 0) {
        return "has no key this module can verify with";
    }

    return NULL;
}


/* a new key slot in *keys (created when unset), freed with pool */

static ngx_http_secauth_jws_key_t *
ngx_http_secauth_jwt_key_push(ngx_pool_t *pool, ngx_array_t **keys)
{
    ngx_http_secauth_jws_key_t  *key;

    if (*keys == NGX_CONF_UNSET_PTR || *keys == NULL) {
        *keys = ngx_array_create(pool, 2, sizeof(ngx_http_secauth_jws_key_t));
        if (*keys == NULL) {
            return NULL;
        }
    }

    key = ngx_array_push(*keys);
    if (key == NULL) {
        return NULL;
    }

    /* a refused file frees the slot before the key's init has cleared it */
    ngx_memzero(key, sizeof(ngx_http_secauth_jws_key_t));

    return key;
}


/* the last key pushed, prepared: freed with pool */

static ngx_int_t
ngx_http_secauth_jwt_key_keep(ngx_pool_t *pool, ngx_array_t *keys,
    ngx_http_secauth_jws_key_t *key)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(pool, 0);

    if (cln == NULL) {
        ngx_http_secauth_jws_key_free(key);
        keys->nelts--;
        return NGX_ERROR;
    }

    cln->handler = ngx_http_secauth_jwt_key_cleanup;
    cln->data = key;

    return NGX_OK;
}


/* the whole file at path (made absolute), of at most max bytes */

static ssize_t
ngx_http_secauth_jwt_key_read(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *path, size_t max, u_char **buf)
{
    ssize_t          n;
    ngx_fd_t         fd;
    ngx_file_info_t  fi;

    if (ngx_conf_full_name(cf->cycle, path, 1) != NGX_OK) {
        return -1;
    }

    fd = ngx_open_file(path->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"%V\": cannot open \"%V\"", &cmd->name, path);
        return -1;
    }

    n = -1;
    *buf = ngx_pnalloc(cf->temp_pool, max + 1);
    if (*buf == NULL) {
        (void) ngx_close_file(fd);
        return -1;
    }

    if (ngx_fd_info(fd, &fi) != NGX_FILE_ERROR
        && ngx_file_size(&fi) <= (off_t) max)
    {
        n = ngx_read_fd(fd, *buf, ngx_file_size(&fi));
    }

    (void) ngx_close_file(fd);

    if (n < 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": cannot read \"%V\" (at most %uzk)",
                           &cmd->name, path, max / 1024);
        return -1;
    }

    return n;
}


static void
ngx_http_secauth_jwt_key_cleanup(void *data)
{
    ngx_http_secauth_jws_key_free(data);
}


char *
ngx_http_secauth_jwt_merge(ngx_conf_t *cf, ngx_http_secauth_loc_conf_t *prev,
    ngx_http_secauth_loc_conf_t *conf)
{
    ngx_conf_merge_ptr_value(conf->jwt_keys, prev->jwt_keys, NULL);
    ngx_conf_merge_ptr_value(conf->jwt_fetch, prev->jwt_fetch, NULL);
    ngx_conf_merge_sec_value(conf->jwt_key_cache, prev->jwt_key_cache,
                             60 * 60);
    ngx_conf_merge_ptr_value(conf->jwt_signing_key, prev->jwt_signing_key,
                             NULL);
    ngx_conf_merge_str_value(conf->jwt_issuer, prev->jwt_issuer, "");
    ngx_conf_merge_str_value(conf->jwt_audience, prev->jwt_audience, "");
    ngx_conf_merge_sec_value(conf->jwt_leeway, prev->jwt_leeway, 30);
    ngx_conf_merge_size_value(conf->jwt_max_size, prev->jwt_max_size,
                              NGX_HTTP_SECAUTH_JWT_MAX_SIZE);
    ngx_conf_merge_sec_value(conf->jwt_access_ttl, prev->jwt_access_ttl,
                             15 * 60);
    ngx_conf_merge_sec_value(conf->jwt_refresh_ttl, prev->jwt_refresh_ttl,
                             7 * 24 * 60 * 60);

    /*
     * unset stays unset: "on where a signing key is", decided where the
     * key is known (ngx_http_secauth_jwt_revocation_on())
     */
    if (conf->jwt_revocation == NGX_CONF_UNSET) {
        conf->jwt_revocation = prev->jwt_revocation;
    }

    if (conf->jwt_access_ttl <= 0 || conf->jwt_refresh_ttl <= 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"secauth_jwt_access_ttl\" and "
                           "\"secauth_jwt_refresh_ttl\" must be positive");
        return NGX_CONF_ERROR;
    }

    if ((conf->handler == NGX_HTTP_SECAUTH_HANDLER_REFRESH
         || conf->handler == NGX_HTTP_SECAUTH_HANDLER_REVOKE)
        && conf->jwt_signing_key == NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" needs \"secauth_jwt_signing_key\"",
                           conf->handler == NGX_HTTP_SECAUTH_HANDLER_REFRESH
                           ? "secauth_refresh" : "secauth_revoke");
        return NGX_CONF_ERROR;
    }

    if (conf->mode == NGX_HTTP_SECAUTH_JWT && conf->jwt_keys == NULL
        && conf->jwt_fetch == NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"secauth jwt\" needs \"secauth_jwt_key\", "
                           "\"secauth_jwt_key_file\", "
                           "\"secauth_jwt_key_request\" or "
                           "\"secauth_jwt_signing_key\"");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}
