
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_body.h"
#include "ngx_http_secauth_jwk.h"
#include "ngx_http_secauth_jwks.h"


/*
 * secauth_jwks: the public keys of the location as a JWK Set (RFC 7517
 * 5), so that backends and other gateways verify the tokens the module
 * issues without sharing a secret. Published: the public part of the
 * signing key (secauth_jwt_signing_key) and of every public key given
 * to secauth_jwt_key or secauth_jwt_key_file at that level (the previous
 * signing key during a rotation); never an HS secret. The set is built
 * once, when the configuration is read, and served from memory.
 */


static ngx_int_t ngx_http_secauth_jwks_handler(ngx_http_request_t *r);


char *
ngx_http_secauth_jwks(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return ngx_http_secauth_content(cf, conf, NGX_HTTP_SECAUTH_HANDLER_JWKS,
                                    ngx_http_secauth_jwks_handler);
}


char *
ngx_http_secauth_jwks_merge(ngx_conf_t *cf, ngx_http_secauth_loc_conf_t *conf)
{
    char                        *text;
    json_t                      *set, *keys, *jwk;
    ngx_uint_t                   i, j;
    ngx_http_secauth_jws_key_t  *key;

    if (conf->handler != NGX_HTTP_SECAUTH_HANDLER_JWKS) {
        return NGX_CONF_OK;
    }

    set = json_object();
    keys = json_array();

    if (set == NULL || keys == NULL || json_object_set(set, "keys", keys)) {
        json_decref(keys);
        json_decref(set);
        return NGX_CONF_ERROR;
    }

    key = conf->jwt_keys ? conf->jwt_keys->elts : NULL;

    for (i = 0; conf->jwt_keys && i < conf->jwt_keys->nelts; i++) {

        if (ngx_http_secauth_jws_is_hmac(key[i].alg)) {
            continue;
        }

        jwk = ngx_http_secauth_jwk_export(&key[i]);

        if (jwk == NULL) {
            json_decref(keys);
            json_decref(set);
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"secauth_jwks\": a %s key cannot be "
                               "published",
                               ngx_http_secauth_jws_alg_name(key[i].alg));
            return NGX_CONF_ERROR;
        }

        /* the signing key verifies too: it is in the list twice */

        for (j = 0; j < json_array_size(keys); j++) {
            if (json_equal(json_array_get(keys, j), jwk)) {
                break;
            }
        }

        if (j < json_array_size(keys)) {
            json_decref(jwk);
            continue;
        }

        if (key[i].kid == NULL) {
            ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                               "\"secauth_jwks\": the %s key published has "
                               "no kid=: verifiers cannot tell it from the "
                               "next key of a rotation",
                               ngx_http_secauth_jws_alg_name(key[i].alg));
        }

        json_array_append_new(keys, jwk);
    }

    if (json_array_size(keys) == 0) {
        json_decref(keys);
        json_decref(set);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"secauth_jwks\" has no public key to publish: "
                           "it needs an RS, PS, ES or EdDSA "
                           "\"secauth_jwt_signing_key\" or "
                           "\"secauth_jwt_key\" (HS secrets are never "
                           "published)");
        return NGX_CONF_ERROR;
    }

    json_decref(keys);

    text = json_dumps(set, JSON_COMPACT);
    json_decref(set);

    if (text == NULL) {
        return NGX_CONF_ERROR;
    }

    conf->jwks.len = ngx_strlen(text);
    conf->jwks.data = ngx_pnalloc(cf->pool, conf->jwks.len);

    if (conf->jwks.data == NULL) {
        free(text);
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(conf->jwks.data, text, conf->jwks.len);
    free(text);

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_secauth_jwks_handler(ngx_http_request_t *r)
{
    ngx_int_t                     rc;
    ngx_http_secauth_loc_conf_t  *slcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    return ngx_http_secauth_send(r, NGX_HTTP_OK, "application/jwk-set+json",
                                 &slcf->jwks);
}
