
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_body.h"
#include "ngx_http_secauth_login_ctx.h"
#include "ngx_http_secauth_policy_conf.h"
#include "ngx_http_secauth_password_set.h"


/*
 * What the password locations answer, below them: JSON (asked for by
 * the body or by Accept), or a page with the login form's look and
 * strict CSP: labelled fields with the autocomplete a password manager
 * needs (current-password, new-password, one-time-code), refusals in a
 * role="alert", every reason of a policy refusal in words.
 */


static const char  ngx_http_secauth_pwset_top[] =
    "<!doctype html>\n"
    "<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width\">\n"
    "<title>Password</title>\n"
    "<style>body{font:16px sans-serif;max-width:26em;margin:4em auto}"
    "label,input,button{display:block;width:100%;box-sizing:border-box}"
    "input{margin:.2em 0 1em;padding:.4em}button{padding:.5em}"
    ".error{color:#b00}</style>\n"
    "</head><body>\n<main>\n";

static const char  ngx_http_secauth_pwset_change_form[] =
    "<h1>Change your password</h1>\n"
    "<form method=\"post\">\n"
    "<label for=\"password\">Current password</label>\n"
    "<input id=\"password\" name=\"password\" type=\"password\" "
    "autocomplete=\"current-password\" required autofocus>\n"
    "<label for=\"new_password\">New password</label>\n"
    "<input id=\"new_password\" name=\"new_password\" type=\"password\" "
    "autocomplete=\"new-password\" required>\n"
    "<label for=\"otp\">Code (if two-step verification is on)</label>\n"
    "<input id=\"otp\" name=\"otp\" autocomplete=\"one-time-code\" "
    "autocapitalize=\"off\" spellcheck=\"false\">\n"
    "<button type=\"submit\">Change password</button>\n</form>\n";

static const char  ngx_http_secauth_pwset_request_form[] =
    "<h1>Reset your password</h1>\n"
    "<form method=\"post\">\n"
    "<label for=\"username\">User name</label>\n"
    "<input id=\"username\" name=\"username\" autocomplete=\"username\" "
    "autocapitalize=\"off\" spellcheck=\"false\" required autofocus>\n"
    "<button type=\"submit\">Send a reset link</button>\n</form>\n";

static const char  ngx_http_secauth_pwset_confirm_form[] =
    "<h1>Choose a new password</h1>\n"
    "<form method=\"post\">\n"
    "<input type=\"hidden\" name=\"token\" value=\"";

static const char  ngx_http_secauth_pwset_confirm_fields[] =
    "\">\n"
    "<label for=\"new_password\">New password</label>\n"
    "<input id=\"new_password\" name=\"new_password\" type=\"password\" "
    "autocomplete=\"new-password\" required autofocus>\n"
    "<label for=\"otp\">Code (if two-step verification is on)</label>\n"
    "<input id=\"otp\" name=\"otp\" autocomplete=\"one-time-code\" "
    "autocapitalize=\"off\" spellcheck=\"false\">\n"
    "<button type=\"submit\">Set password</button>\n</form>\n";

static const char  ngx_http_secauth_pwset_sent[] =
    "<h1>Reset your password</h1>\n"
    "<p role=\"status\">If the account exists, a link to reset its "
    "password is on its way. It works once, for a limited time.</p>\n";

static const char  ngx_http_secauth_pwset_end[] =
    "</main>\n</body></html>\n";

static ngx_str_t  ngx_http_secauth_pwset_csp = ngx_string(
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'");


static ngx_int_t ngx_http_secauth_pwset_json(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *error, ngx_str_t *reasons);


#define ngx_http_secauth_pwset_cpy(p, s)  ngx_cpymem(p, s, sizeof(s) - 1)


ngx_flag_t
ngx_http_secauth_pwset_wants_json(ngx_http_request_t *r)
{
    return ngx_http_secauth_media_type(r->headers_in.content_type,
                                       "application/json")
           == NGX_OK
           || ngx_http_secauth_accepts(r, "application/json");
}


/* alert: HTML-safe text (the module's own sentences); token: base64url */

ngx_int_t
ngx_http_secauth_pwset_form(ngx_http_request_t *r, ngx_uint_t kind,
    ngx_uint_t status, ngx_str_t *alert, ngx_str_t *token)
{
    u_char     *p;
    size_t      len;
    ngx_str_t   body;

    len = sizeof(ngx_http_secauth_pwset_top)
          + sizeof("<p class=\"error\" role=\"alert\"></p>\n")
          + (alert ? alert->len : 0)
          + sizeof(ngx_http_secauth_pwset_change_form)
          + sizeof(ngx_http_secauth_pwset_request_form)
          + sizeof(ngx_http_secauth_pwset_confirm_form)
          + NGX_HTTP_SECAUTH_RESET_TOKEN_LEN
          + sizeof(ngx_http_secauth_pwset_confirm_fields)
          + sizeof(ngx_http_secauth_pwset_sent)
          + sizeof(ngx_http_secauth_pwset_end);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body.data = p;

    p = ngx_http_secauth_pwset_cpy(p, ngx_http_secauth_pwset_top);

    if (alert) {
        p = ngx_sprintf(p, "<p class=\"error\" role=\"alert\">%V</p>\n",
                        alert);
    }

    switch (kind) {

    case NGX_HTTP_SECAUTH_PWSET_CHANGE:
        p = ngx_http_secauth_pwset_cpy(p, ngx_http_secauth_pwset_change_form);
        break;

    case NGX_HTTP_SECAUTH_PWSET_CONFIRM:
        p = ngx_http_secauth_pwset_cpy(p, ngx_http_secauth_pwset_confirm_form);

        if (token && token->len == NGX_HTTP_SECAUTH_RESET_TOKEN_LEN) {
            p = ngx_cpymem(p, token->data, token->len);
        }

        p = ngx_http_secauth_pwset_cpy(p,
                                       ngx_http_secauth_pwset_confirm_fields);
        break;

    case NGX_HTTP_SECAUTH_PWSET_REQUEST:
        p = ngx_http_secauth_pwset_cpy(p,
                                       ngx_http_secauth_pwset_request_form);
        break;

    default:
        p = ngx_http_secauth_pwset_cpy(p, ngx_http_secauth_pwset_sent);
    }

    p = ngx_http_secauth_pwset_cpy(p, ngx_http_secauth_pwset_end);

    body.len = p - body.data;

    return ngx_http_secauth_send_page(r, status, &ngx_http_secauth_pwset_csp,
                                      &body);
}


ngx_int_t
ngx_http_secauth_pwset_refuse(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx, ngx_uint_t status,
    const char *error)
{
    ngx_str_t   err, alert;
    const char *text;

    if (pctx->login.json) {
        err.data = (u_char *) error;
        err.len = ngx_strlen(error);

        return ngx_http_secauth_pwset_json(r, status, &err, NULL);
    }

    if (status == NGX_HTTP_TOO_MANY_REQUESTS) {
        text = "Too many failed attempts: try again in a moment.";

    } else if (status == NGX_HTTP_CONFLICT) {
        text = "The password was changed meanwhile: start again.";

    } else if (ngx_strcmp(error, "invalid_token") == 0) {
        text = "This reset link is invalid, used or expired: ask for a "
               "new one.";

    } else if (ngx_strcmp(error, "invalid_request") == 0) {
        text = (pctx->kind == NGX_HTTP_SECAUTH_PWSET_CONFIRM)
               ? "Enter a new password."
               : "Enter your current password and a new one.";

    } else if (ngx_strcmp(error, "invalid_credentials") == 0) {
        text = "Wrong password.";

    } else if (ngx_strcmp(error, "mfa_required") == 0) {
        text = "Enter a code of your authenticator app or a backup code.";

    } else {
        text = "Invalid code.";
    }

    alert.data = (u_char *) text;
    alert.len = ngx_strlen(text);

    return ngx_http_secauth_pwset_form(r, pctx->kind, status, &alert,
                                       &pctx->token);
}


ngx_int_t
ngx_http_secauth_pwset_weak(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx, ngx_uint_t reasons)
{
    ngx_str_t                     text;
    ngx_http_secauth_loc_conf_t  *slcf;

    static ngx_str_t  weak = ngx_string("weak_password");

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    if (ngx_http_secauth_password_policy_reasons(r->pool,
                                                 slcf->password_policy,
                                                 reasons, pctx->login.json,
                                                 &text)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (pctx->login.json) {
        return ngx_http_secauth_pwset_json(r, NGX_HTTP_BAD_REQUEST, &weak,
                                           &text);
    }

    return ngx_http_secauth_pwset_form(r, pctx->kind, NGX_HTTP_BAD_REQUEST,
                                       &text, &pctx->token);
}


ngx_int_t
ngx_http_secauth_pwset_done(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx)
{
    ngx_str_t                     next;
    ngx_http_secauth_loc_conf_t  *slcf;

    static ngx_str_t  empty = ngx_string("{}\n");

    if (pctx->login.json) {
        return ngx_http_secauth_send(r, NGX_HTTP_OK, "application/json",
                                     &empty);
    }

    next = pctx->login.next;

    if (pctx->kind == NGX_HTTP_SECAUTH_PWSET_CONFIRM) {
        slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

        if (slcf->login_url == NULL
            || ngx_http_complex_value(r, slcf->login_url, &next) != NGX_OK
            || next.len == 0)
        {
            ngx_str_set(&next, "/");
        }
    }

    if (next.len == 0) {
        ngx_str_set(&next, "/");
    }

    if (ngx_http_secauth_add_header(r, "Location", &next) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_HTTP_SEE_OTHER;
}


ngx_int_t
ngx_http_secauth_pwset_requested(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx)
{
    static ngx_str_t  sent = ngx_string("{}\n");

    if (pctx->login.json) {
        return ngx_http_secauth_send(r, NGX_HTTP_ACCEPTED,
                                     "application/json", &sent);
    }

    return ngx_http_secauth_pwset_form(r, 0, NGX_HTTP_ACCEPTED, NULL, NULL);
}


/* {"error":E} or {"error":E,"reasons":[...]}: the codes are plain words */

static ngx_int_t
ngx_http_secauth_pwset_json(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *error, ngx_str_t *reasons)
{
    u_char     *p;
    size_t      len;
    ngx_str_t   body;

    len = sizeof("{\"error\":\"\",\"reasons\":}\n") + error->len
          + (reasons ? reasons->len : 0);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body.data = p;
    body.len = (reasons
                ? ngx_sprintf(p, "{\"error\":\"%V\",\"reasons\":%V}\n",
                              error, reasons)
                : ngx_sprintf(p, "{\"error\":\"%V\"}\n", error))
               - p;

    return ngx_http_secauth_send(r, status, "application/json", &body);
}
