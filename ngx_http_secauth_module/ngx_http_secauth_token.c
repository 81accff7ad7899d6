
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_base64url.h"
#include "ngx_http_secauth_jws.h"
#include "ngx_http_secauth_jwt.h"
#include "ngx_http_secauth_mfa.h"
#include "ngx_http_secauth_token.h"


/*
 * The tokens the module issues (docs/tokens.md): compact JWS signed with
 * secauth_jwt_signing_key by our own code on OpenSSL (the key is parsed
 * once, at configuration time), with the claims the gate requires and
 * two of the module's own: "token_use" (access or refresh) and "fam", the
 * refresh-token family in the store that revocation deletes. Access
 * tokens say how the login went (RFC 8176 "amr"), from the family's
 * level: a refresh keeps what the login had.
 */


static ngx_int_t ngx_http_secauth_token_sign(ngx_http_request_t *r,
    ngx_http_secauth_jws_key_t *key, json_t *claims, ngx_str_t *out);
static json_t *ngx_http_secauth_token_claims(ngx_http_secauth_loc_conf_t *slcf,
    ngx_str_t *user, ngx_http_secauth_family_t *f, const char *kind,
    ngx_str_t *jti, time_t iat, time_t exp);
static ngx_int_t ngx_http_secauth_token_set(json_t *obj, const char *name,
    ngx_str_t *value);
static ngx_int_t ngx_http_secauth_token_amr(json_t *claims, ngx_uint_t level);


ngx_int_t
ngx_http_secauth_token_id(ngx_pool_t *pool, ngx_str_t *id)
{
    u_char  raw[NGX_HTTP_SECAUTH_TOKEN_ID_BYTES];

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        return NGX_ERROR;
    }

    id->data = ngx_pnalloc(pool, ngx_http_secauth_b64url_encoded_len(
                                     sizeof(raw)));
    if (id->data == NULL) {
        return NGX_ERROR;
    }

    id->len = ngx_http_secauth_b64url_encode(id->data, raw, sizeof(raw));

    return NGX_OK;
}


ngx_int_t
ngx_http_secauth_token_pair(ngx_http_request_t *r, ngx_str_t *user,
    ngx_http_secauth_family_t *f, ngx_str_t *refresh_jti, ngx_str_t *body)
{
    time_t                        now, access_exp, refresh_exp;
    json_t                       *access, *refresh;
    ngx_int_t                     rc;
    ngx_str_t                     access_jti, access_token, refresh_token;
    ngx_http_secauth_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    if (slcf->jwt_signing_key == NULL
        || ngx_http_secauth_token_id(r->pool, &access_jti) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* nothing outlives its family, whose expiry rotation never extends */

    now = ngx_time();
    access_exp = ngx_min(now + slcf->jwt_access_ttl, f->exp);
    refresh_exp = ngx_min(now + slcf->jwt_refresh_ttl, f->exp);

    access = ngx_http_secauth_token_claims(slcf, user, f, "access",
                                           &access_jti, now, access_exp);
    refresh = ngx_http_secauth_token_claims(slcf, user, f, "refresh",
                                            refresh_jti, now, refresh_exp);

    rc = (access && refresh
          && ngx_http_secauth_token_sign(r, slcf->jwt_signing_key, access,
                                         &access_token)
             == NGX_OK
          && ngx_http_secauth_token_sign(r, slcf->jwt_signing_key, refresh,
                                         &refresh_token)
             == NGX_OK)
         ? NGX_OK : NGX_ERROR;

    if (access) {
        json_decref(access);
    }

    if (refresh) {
        json_decref(refresh);
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    /* base64url and digits only: nothing to escape */

    body->len = sizeof("{\"access_token\":\"\",\"token_type\":\"Bearer\","
                       "\"expires_in\":,\"refresh_token\":\"\"}\n") - 1
                + access_token.len + NGX_TIME_T_LEN + refresh_token.len;

    body->data = ngx_pnalloc(r->pool, body->len);
    if (body->data == NULL) {
        return NGX_ERROR;
    }

    body->len = ngx_sprintf(body->data,
                            "{\"access_token\":\"%V\",\"token_type\":"
                            "\"Bearer\",\"expires_in\":%T,"
                            "\"refresh_token\":\"%V\"}\n",
                            &access_token, access_exp - now, &refresh_token)
                - body->data;

    return NGX_OK;
}


static json_t *
ngx_http_secauth_token_claims(ngx_http_secauth_loc_conf_t *slcf,
    ngx_str_t *user, ngx_http_secauth_family_t *f, const char *kind,
    ngx_str_t *jti, time_t iat, time_t exp)
{
    json_t  *claims;

    claims = json_object();
    if (claims == NULL) {
        return NULL;
    }

    if ((slcf->jwt_issuer.len
         && ngx_http_secauth_token_set(claims, "iss", &slcf->jwt_issuer)
            != NGX_OK)
        || (slcf->jwt_audience.len
            && ngx_http_secauth_token_set(claims, "aud", &slcf->jwt_audience)
               != NGX_OK)
        || ngx_http_secauth_token_set(claims, "sub", user) != NGX_OK
        || json_object_set_new(claims, "iat", json_integer(iat)) != 0
        || json_object_set_new(claims, "exp", json_integer(exp)) != 0
        || ngx_http_secauth_token_set(claims, "jti", jti) != NGX_OK
        || json_object_set_new(claims, NGX_HTTP_SECAUTH_TOKEN_USE,
                               json_string(kind))
           != 0
        || ngx_http_secauth_token_set(claims, NGX_HTTP_SECAUTH_FAMILY_CLAIM,
                                      &f->id)
           != NGX_OK
        || json_object_set_new(claims, "pwv", json_integer(f->pwv)) != 0
        || (ngx_strcmp(kind, "access") == 0
            && ngx_http_secauth_token_amr(claims, f->level) != NGX_OK))
    {
        json_decref(claims);
        return NULL;
    }

    return claims;
}


static ngx_int_t
ngx_http_secauth_token_set(json_t *obj, const char *name, ngx_str_t *value)
{
    json_t  *v;

    /* NULL for text that is not UTF-8 */
    v = json_stringn((const char *) value->data, value->len);

    if (v == NULL || json_object_set_new(obj, name, v) != 0) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* "amr": the names ngx_http_secauth_mfa_amr() gives $secauth_amr */

static ngx_int_t
ngx_http_secauth_token_amr(json_t *claims, ngx_uint_t level)
{
    u_char     *p, *word, *end;
    json_t     *amr;
    ngx_str_t   names;

    ngx_http_secauth_mfa_amr(level, &names);

    amr = json_array();
    if (amr == NULL) {
        return NGX_ERROR;
    }

    end = names.data + names.len;

    for (word = names.data, p = word; names.len && p <= end; p++) {
        if (p == end || *p == ' ') {
            if (json_array_append_new(amr,
                                      json_stringn((const char *) word,
                                                   p - word))
                != 0)
            {
                json_decref(amr);
                return NGX_ERROR;
            }

            word = p + 1;
        }
    }

    return (json_object_set_new(claims, "amr", amr) == 0)
           ? NGX_OK : NGX_ERROR;
}


/* header "." payload "." signature, each base64url */

static ngx_int_t
ngx_http_secauth_token_sign(ngx_http_request_t *r,
    ngx_http_secauth_jws_key_t *key, json_t *claims, ngx_str_t *out)
{
    char      *header, *payload;
    u_char    *p, *input;
    size_t     sig_len, len;
    json_t    *h;
    ngx_int_t  rc;
    u_char     sig[NGX_HTTP_SECAUTH_JWS_SIG_MAX];

    h = json_pack("{s:s, s:s}", "alg", ngx_http_secauth_jws_alg_name(key->alg),
                  "typ", "JWT");
    if (h == NULL) {
        return NGX_ERROR;
    }

    if (key->kid_len
        && json_object_set_new(h, "kid",
                               json_stringn((const char *) key->kid,
                                            key->kid_len))
           != 0)
    {
        json_decref(h);
        return NGX_ERROR;
    }

    header = json_dumps(h, JSON_COMPACT);
    payload = json_dumps(claims, JSON_COMPACT);
    json_decref(h);

    rc = NGX_ERROR;

    if (header == NULL || payload == NULL) {
        goto done;
    }

    len = ngx_http_secauth_b64url_encoded_len(ngx_strlen(header)) + 1
          + ngx_http_secauth_b64url_encoded_len(ngx_strlen(payload)) + 1
          + ngx_http_secauth_b64url_encoded_len(sizeof(sig));

    input = ngx_pnalloc(r->pool, len);
    if (input == NULL) {
        goto done;
    }

    p = input;
    p += ngx_http_secauth_b64url_encode(p, (u_char *) header,
                                        ngx_strlen(header));
    *p++ = '.';
    p += ngx_http_secauth_b64url_encode(p, (u_char *) payload,
                                        ngx_strlen(payload));

    if (ngx_http_secauth_jws_sign(key, input, p - input, sig, &sig_len) != 0)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "secauth: signing a token failed in OpenSSL");
        goto done;
    }

    *p++ = '.';
    p += ngx_http_secauth_b64url_encode(p, sig, sig_len);

    out->data = input;
    out->len = p - input;

    rc = NGX_OK;

done:

    free(header);
    free(payload);

    return rc;
}
