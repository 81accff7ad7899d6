
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_jwt.h"
#include "ngx_http_secauth_jwt_private.h"


/*
 * The claims of a token whose signature has been checked: the time
 * claims, the subject, the token's kind, issuer and audience; and the
 * $secauth_claim_NAME variables that show them to the configuration.
 */


static ngx_int_t ngx_http_secauth_jwt_time(json_t *claims, const char *name,
    ngx_flag_t required, time_t *t);
static ngx_int_t ngx_http_secauth_jwt_audience(json_t *aud, ngx_str_t *want);


/* NULL: the claims are acceptable; else the reason */

char *
ngx_http_secauth_jwt_claims(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, json_t *claims, const char *kind,
    ngx_flag_t expiry, ngx_http_secauth_jwt_times_t *t)
{
    char    *error;
    json_t  *v;

    if (ngx_http_secauth_jwt_time(claims, "exp", 1, &t->exp) != NGX_OK
        || ngx_http_secauth_jwt_time(claims, "nbf", 0, &t->nbf) != NGX_OK
        || ngx_http_secauth_jwt_time(claims, "iat", 0, &t->iat) != NGX_OK)
    {
        return "bad_claims";
    }

    if (expiry) {
        error = ngx_http_secauth_jwt_when(slcf, t);

        if (error) {
            return error;
        }
    }

    v = json_object_get(claims, "sub");

    /* the user goes into headers for the backend: text only */

    if (!json_is_string(v) || json_string_length(v) == 0
        || json_string_length(v) > NGX_HTTP_SECAUTH_USER_MAX
        || ngx_http_secauth_is_text((u_char *) json_string_value(v),
                                    json_string_length(v))
           != NGX_OK)
    {
        return "bad_claims";
    }

    /* outside issuers' tokens carry no kind: access tokens (RFC 8725) */

    v = json_object_get(claims, NGX_HTTP_SECAUTH_TOKEN_USE);

    if (kind == NULL) {
        /* either kind of the module's own (revocation) */

        if (!json_is_string(v)
            || (ngx_strcmp(json_string_value(v), "access") != 0
                && ngx_strcmp(json_string_value(v), "refresh") != 0))
        {
            return "wrong_token_type";
        }

    } else if (v ? (!json_is_string(v)
                    || ngx_strcmp(json_string_value(v), kind) != 0)
                 : ngx_strcmp(kind, "access") != 0)
    {
        return "wrong_token_type";
    }

    if (slcf->jwt_issuer.len) {
        v = json_object_get(claims, "iss");

        if (!json_is_string(v)
            || json_string_length(v) != slcf->jwt_issuer.len
            || ngx_memcmp(json_string_value(v), slcf->jwt_issuer.data,
                          slcf->jwt_issuer.len)
               != 0)
        {
            return "bad_issuer";
        }
    }

    if (slcf->jwt_audience.len
        && ngx_http_secauth_jwt_audience(json_object_get(claims, "aud"),
                                         &slcf->jwt_audience)
           != NGX_OK)
    {
        return "bad_audience";
    }

    return NULL;
}


/* the checks that time alone changes, on every request */

char *
ngx_http_secauth_jwt_when(ngx_http_secauth_loc_conf_t *slcf,
    ngx_http_secauth_jwt_times_t *t)
{
    time_t  now;

    now = ngx_time();

    if (now >= t->exp + slcf->jwt_leeway) {
        return "expired";
    }

    if ((t->nbf != NGX_CONF_UNSET && t->nbf > now + slcf->jwt_leeway)
        || (t->iat != NGX_CONF_UNSET && t->iat > now + slcf->jwt_leeway))
    {
        return "not_yet_valid";
    }

    return NULL;
}


/* integers only (RFC 7519 NumericDate, as the module requires) */

static ngx_int_t
ngx_http_secauth_jwt_time(json_t *claims, const char *name,
    ngx_flag_t required, time_t *t)
{
    json_t      *v;
    json_int_t   n;

    *t = NGX_CONF_UNSET;

    v = json_object_get(claims, name);

    if (v == NULL) {
        return required ? NGX_ERROR : NGX_OK;
    }

    if (!json_is_integer(v)) {
        return NGX_ERROR;
    }

    n = json_integer_value(v);

    /* 0 .. year 10000: no overflow when the leeway is added */
    if (n < 0 || n > 253402300799LL) {
        return NGX_ERROR;
    }

    *t = (time_t) n;

    return NGX_OK;
}


static ngx_int_t
ngx_http_secauth_jwt_audience(json_t *aud, ngx_str_t *want)
{
    size_t   i;
    json_t  *v;

    if (json_is_string(aud)) {
        return (json_string_length(aud) == want->len
                && ngx_memcmp(json_string_value(aud), want->data, want->len)
                   == 0)
               ? NGX_OK : NGX_DECLINED;
    }

    if (!json_is_array(aud)) {
        return NGX_DECLINED;
    }

    json_array_foreach(aud, i, v) {
        if (json_is_string(v)
            && json_string_length(v) == want->len
            && ngx_memcmp(json_string_value(v), want->data, want->len) == 0)
        {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


/*
 * $secauth_claim_NAME: strings, integers and booleans as text, arrays of
 * them joined by "," (ngx_http_secauth_claim_text())
 */

ngx_int_t
ngx_http_secauth_claim_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t *var = (ngx_str_t *) data;

    u_char                  *p;
    json_t                  *claim;
    ngx_int_t                rc;
    ngx_str_t                name, text;
    ngx_http_secauth_ctx_t  *ctx;
    u_char                   buf[NGX_HTTP_SECAUTH_USER_MAX + 1];

    static ngx_str_t         comma = ngx_string(",");

    v->not_found = 1;

    ctx = ngx_http_secauth_get_ctx(r->main, 0);

    if (ctx == NULL || ctx->claims == NULL
        || ctx->jwt != NGX_HTTP_SECAUTH_VALID)
    {
        return NGX_OK;
    }

    name.data = var->data + sizeof("secauth_claim_") - 1;
    name.len = var->len - (sizeof("secauth_claim_") - 1);

    if (name.len == 0 || name.len > NGX_HTTP_SECAUTH_USER_MAX) {
        return NGX_OK;
    }

    p = ngx_cpymem(buf, name.data, name.len);
    *p = '\0';

    claim = json_object_get(ctx->claims, (char *) buf);

    if (claim == NULL) {
        return NGX_OK;
    }

    rc = ngx_http_secauth_claim_text(r, claim, &comma, &text);

    if (rc != NGX_OK) {
        return (rc == NGX_ERROR) ? NGX_ERROR : NGX_OK;
    }

    v->data = text.data;
    v->len = text.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}
