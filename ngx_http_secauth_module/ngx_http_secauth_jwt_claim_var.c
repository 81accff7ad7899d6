
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_jwt.h"


/*
 * Claims as text for the configuration (docs/jwt.md, "Claims in
 * variables"):
 *
 *   $secauth_claim_NAME            a top-level claim
 *   secauth_claim_var $V PATH      a claim at a dotted path (realm.roles,
 *                                  an array index: roles.0)
 *   secauth_claim_has $V PATH X    "1" when the claim is X, an array
 *                                  holding X, or a space-separated string
 *                                  (an OAuth scope) holding the word X;
 *                                  else "0"
 *
 * Strings, integers and booleans are shown as they are; an array of them
 * joined by the separator ("," unless sep= says otherwise). A value that
 * cannot be shown faithfully is not shown at all (the variable is empty,
 * which secauth_require refuses): an object, a real, a string with a
 * control byte, an array member holding the separator (["a,b"] would read
 * as two), nested arrays, more than NGX_HTTP_SECAUTH_CLAIM_MAX bytes.
 */


#define NGX_HTTP_SECAUTH_CLAIM_MAX        4096
#define NGX_HTTP_SECAUTH_CLAIM_DEPTH      16


typedef struct {
    ngx_array_t                 path;      /* ngx_str_t, NUL-terminated */
    ngx_str_t                   sep;
    ngx_str_t                   has;       /* secauth_claim_has: X */
    ngx_flag_t                  is_has;
} ngx_http_secauth_claim_var_t;


static json_t *ngx_http_secauth_claim_find(ngx_http_request_t *r,
    ngx_array_t *path);
static ngx_int_t ngx_http_secauth_claim_scalar(ngx_http_request_t *r,
    json_t *claim, ngx_str_t *out);
static ngx_flag_t ngx_http_secauth_claim_contains(ngx_http_request_t *r,
    json_t *claim, ngx_str_t *want);
static ngx_int_t ngx_http_secauth_claim_var_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static char *ngx_http_secauth_claim_path(ngx_conf_t *cf, ngx_str_t *text,
    ngx_array_t *path);


/*
 * The text of a claim into out: NGX_OK, NGX_DECLINED when it cannot be
 * shown (see above), NGX_ERROR when memory runs out
 */

ngx_int_t
ngx_http_secauth_claim_text(ngx_http_request_t *r, json_t *claim,
    ngx_str_t *sep, ngx_str_t *out)
{
    u_char     *p;
    size_t      i, len;
    ngx_int_t   rc;
    ngx_str_t  *parts;

    if (!json_is_array(claim)) {
        return ngx_http_secauth_claim_scalar(r, claim, out);
    }

    if (json_array_size(claim) > NGX_HTTP_SECAUTH_CLAIM_MAX / 2) {
        return NGX_DECLINED;
    }

    parts = ngx_palloc(r->pool, (json_array_size(claim) + 1)
                                * sizeof(ngx_str_t));
    if (parts == NULL) {
        return NGX_ERROR;
    }

    len = 0;

    for (i = 0; i < json_array_size(claim); i++) {
        rc = ngx_http_secauth_claim_scalar(r, json_array_get(claim, i),
                                           &parts[i]);
        if (rc != NGX_OK) {
            return rc;
        }

        if (ngx_strlcasestrn(parts[i].data, parts[i].data + parts[i].len,
                             sep->data, sep->len - 1)
            != NULL)
        {
            return NGX_DECLINED;
        }

        len += parts[i].len + (i ? sep->len : 0);

        if (len > NGX_HTTP_SECAUTH_CLAIM_MAX) {
            return NGX_DECLINED;
        }
    }

    out->data = ngx_pnalloc(r->pool, len ? len : 1);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    p = out->data;

    for (i = 0; i < json_array_size(claim); i++) {
        if (i) {
            p = ngx_cpymem(p, sep->data, sep->len);
        }

        p = ngx_cpymem(p, parts[i].data, parts[i].len);
    }

    out->len = p - out->data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_secauth_claim_scalar(ngx_http_request_t *r, json_t *claim,
    ngx_str_t *out)
{
    if (json_is_string(claim)) {

        /* CR, LF, NUL... would split the headers it is put into */

        if (json_string_length(claim) > NGX_HTTP_SECAUTH_CLAIM_MAX
            || ngx_http_secauth_is_text((u_char *) json_string_value(claim),
                                        json_string_length(claim))
               != NGX_OK)
        {
            return NGX_DECLINED;
        }

        out->data = (u_char *) json_string_value(claim);
        out->len = json_string_length(claim);

        return NGX_OK;
    }

    if (json_is_integer(claim)) {
        out->data = ngx_pnalloc(r->pool, NGX_INT64_LEN);
        if (out->data == NULL) {
            return NGX_ERROR;
        }

        out->len = ngx_sprintf(out->data, "%L",
                               (int64_t) json_integer_value(claim))
                   - out->data;

        return NGX_OK;
    }

    if (json_is_boolean(claim)) {
        if (json_is_true(claim)) {
            ngx_str_set(out, "true");

        } else {
            ngx_str_set(out, "false");
        }

        return NGX_OK;
    }

    return NGX_DECLINED;
}


/* secauth_claim_var $NAME PATH [sep=S]; secauth_claim_has $NAME PATH X; */

char *
ngx_http_secauth_claim_var(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t                     *value, name;
    ngx_uint_t                     n;
    ngx_http_variable_t           *var;
    ngx_http_secauth_claim_var_t  *cv;

    value = cf->args->elts;
    n = cf->args->nelts;

    cv = ngx_pcalloc(cf->pool, sizeof(ngx_http_secauth_claim_var_t));
    if (cv == NULL) {
        return NGX_CONF_ERROR;
    }

    cv->is_has = (cmd->name.data[sizeof("secauth_claim_") - 1] == 'h');
    ngx_str_set(&cv->sep, ",");

    if (cv->is_has) {
        if (n != 4) {
            return "needs $NAME, a claim's PATH and a VALUE";
        }

        cv->has = value[3];

    } else if (n == 4) {
        if (value[3].len <= 4 || ngx_strncmp(value[3].data, "sep=", 4) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\" in \"%V\", "
                               "expected sep=STRING", &value[3],
                               &cmd->name);
            return NGX_CONF_ERROR;
        }

        cv->sep.data = value[3].data + 4;
        cv->sep.len = value[3].len - 4;
    }

    if (value[1].len < 2 || value[1].data[0] != '$') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid variable name \"%V\" in \"%V\"",
                           &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_secauth_claim_path(cf, &value[2], &cv->path)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    name.data = value[1].data + 1;
    name.len = value[1].len - 1;

    var = ngx_http_add_variable(cf, &name, NGX_HTTP_VAR_NOCACHEABLE);
    if (var == NULL) {
        return NGX_CONF_ERROR;
    }

    if (var->get_handler) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": the variable \"%V\" is already defined",
                           &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    var->get_handler = ngx_http_secauth_claim_var_variable;
    var->data = (uintptr_t) cv;

    return NGX_CONF_OK;
}


/* "realm.roles.0": segments, each non-empty, at most DEPTH of them */

static char *
ngx_http_secauth_claim_path(ngx_conf_t *cf, ngx_str_t *text,
    ngx_array_t *path)
{
    u_char     *p, *last, *dot;
    ngx_str_t  *seg;

    if (ngx_array_init(path, cf->pool, 4, sizeof(ngx_str_t)) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    p = text->data;
    last = text->data + text->len;

    for ( ;; ) {
        dot = ngx_strlchr(p, last, '.');
        if (dot == NULL) {
            dot = last;
        }

        if (dot == p || path->nelts == NGX_HTTP_SECAUTH_CLAIM_DEPTH) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid claim path \"%V\": names separated "
                               "by \".\", none empty, at most %d",
                               text, NGX_HTTP_SECAUTH_CLAIM_DEPTH);
            return NGX_CONF_ERROR;
        }

        seg = ngx_array_push(path);
        if (seg == NULL) {
            return NGX_CONF_ERROR;
        }

        seg->len = dot - p;
        seg->data = ngx_pnalloc(cf->pool, seg->len + 1);
        if (seg->data == NULL) {
            return NGX_CONF_ERROR;
        }

        *ngx_cpymem(seg->data, p, seg->len) = '\0';

        if (dot == last) {
            return NGX_CONF_OK;
        }

        p = dot + 1;
    }
}


static ngx_int_t
ngx_http_secauth_claim_var_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_secauth_claim_var_t *cv = (ngx_http_secauth_claim_var_t *) data;

    json_t     *claim;
    ngx_int_t   rc;
    ngx_str_t   text;

    v->not_found = 1;

    claim = ngx_http_secauth_claim_find(r, &cv->path);

    if (cv->is_has) {
        if (ngx_http_secauth_claim_contains(r, claim, &cv->has)) {
            ngx_str_set(&text, "1");

        } else {
            ngx_str_set(&text, "0");
        }

    } else {
        if (claim == NULL) {
            return NGX_OK;
        }

        rc = ngx_http_secauth_claim_text(r, claim, &cv->sep, &text);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc != NGX_OK) {
            return NGX_OK;
        }
    }

    v->data = text.data;
    v->len = text.len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/* the claim at path in the verified token of the request, or NULL */

static json_t *
ngx_http_secauth_claim_find(ngx_http_request_t *r, ngx_array_t *path)
{
    json_t                  *j;
    ngx_int_t                n;
    ngx_str_t               *seg;
    ngx_uint_t               i;
    ngx_http_secauth_ctx_t  *ctx;

    ctx = ngx_http_secauth_get_ctx(r->main, 0);

    if (ctx == NULL || ctx->claims == NULL
        || ctx->jwt != NGX_HTTP_SECAUTH_VALID)
    {
        return NULL;
    }

    j = ctx->claims;
    seg = path->elts;

    for (i = 0; j && i < path->nelts; i++) {

        if (json_is_object(j)) {
            j = json_object_get(j, (char *) seg[i].data);

        } else if (json_is_array(j)) {
            n = ngx_atoi(seg[i].data, seg[i].len);
            j = (n == NGX_ERROR) ? NULL : json_array_get(j, (size_t) n);

        } else {
            j = NULL;
        }
    }

    return j;
}


/* X itself, an array holding X, a space-separated string holding X */

static ngx_flag_t
ngx_http_secauth_claim_contains(ngx_http_request_t *r, json_t *claim,
    ngx_str_t *want)
{
    u_char     *p, *last, *end;
    size_t      i;
    ngx_str_t   text;

    if (claim == NULL) {
        return 0;
    }

    if (json_is_array(claim)) {
        for (i = 0; i < json_array_size(claim); i++) {
            if (ngx_http_secauth_claim_scalar(r, json_array_get(claim, i),
                                              &text)
                == NGX_OK
                && text.len == want->len
                && ngx_strncmp(text.data, want->data, want->len) == 0)
            {
                return 1;
            }
        }

        return 0;
    }

    if (ngx_http_secauth_claim_scalar(r, claim, &text) != NGX_OK) {
        return 0;
    }

    p = text.data;
    last = text.data + text.len;

    while (p < last) {
        end = ngx_strlchr(p, last, ' ');
        if (end == NULL) {
            end = last;
        }

        if ((size_t) (end - p) == want->len
            && ngx_strncmp(p, want->data, want->len) == 0)
        {
            return 1;
        }

        p = end + 1;
    }

    return 0;
}
