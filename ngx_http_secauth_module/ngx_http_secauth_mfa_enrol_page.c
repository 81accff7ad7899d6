
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_body.h"
#include "ngx_http_secauth_login.h"
#include "ngx_http_secauth_login_ctx.h"
#include "ngx_http_secauth_mfa.h"
#include "ngx_http_secauth_mfa_enrol.h"
#include "ngx_http_secauth_qr.h"


/*
 * What secauth_totp answers, below its handler: JSON, or a page with
 * the login form's look and strict CSP (no scripts, nothing from
 * elsewhere; the QR code is inline SVG): labelled fields, the code
 * fields with autocomplete="one-time-code" (inputmode="numeric" where
 * only a TOTP code is taken: backup codes have letters),
 * hints tied with aria-describedby, refusals in a role="alert".
 */


static const char  ngx_http_secauth_enrol_top[] =
    "<!doctype html>\n"
    "<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width\">\n"
    "<title>Two-step verification</title>\n"
    "<style>body{font:16px sans-serif;max-width:26em;margin:4em auto}"
    "label,input,button{display:block;width:100%;box-sizing:border-box}"
    "input{margin:.2em 0 1em;padding:.4em}button{padding:.5em}"
    "form{margin:0 0 2em}svg{width:16em;height:16em;display:block}"
    "code{font-size:1.1em;word-break:break-all}"
    ".error{color:#b00}</style>\n"
    "</head><body>\n<main>\n<h1>Two-step verification</h1>\n";

static const char  ngx_http_secauth_enrol_alert[] =
    "<p class=\"error\" role=\"alert\">";

static const char  ngx_http_secauth_enrol_setup[] =
    "<p id=\"hint\">Two-step verification is off. To turn it on, enter "
    "your password, then scan a QR code with an authenticator app.</p>\n"
    "<form method=\"post\">\n"
    "<input type=\"hidden\" name=\"action\" value=\"begin\">\n"
    "<label for=\"password\">Password</label>\n"
    "<input id=\"password\" name=\"password\" type=\"password\" "
    "autocomplete=\"current-password\" aria-describedby=\"hint\" required "
    "autofocus>\n"
    "<button type=\"submit\">Set up</button>\n</form>\n";

static const char  ngx_http_secauth_enrol_scan[] =
    "<p id=\"hint\">Scan this QR code with your authenticator app, or "
    "type the setup key into it, then enter the 6-digit code it "
    "shows.</p>\n<figure>\n";

static const char  ngx_http_secauth_enrol_key[] =
    "\n<figcaption>Setup key: <code id=\"secret\">";

static const char  ngx_http_secauth_enrol_key_end[] =
    "</code></figcaption>\n</figure>\n";

static const char  ngx_http_secauth_enrol_retry[] =
    "<p id=\"hint\">Enter the 6-digit code your authenticator app "
    "shows.</p>\n";

static const char  ngx_http_secauth_enrol_confirm[] =
    "<form method=\"post\">\n"
    "<input type=\"hidden\" name=\"action\" value=\"confirm\">\n"
    "<label for=\"otp\">Code</label>\n"
    "<input id=\"otp\" name=\"otp\" autocomplete=\"one-time-code\" "
    "inputmode=\"numeric\" aria-describedby=\"hint\" required "
    "autofocus>\n"
    "<button type=\"submit\">Turn on</button>\n</form>\n";

static const char  ngx_http_secauth_enrol_manage[] =
    "<p id=\"hint\">Two-step verification is on. Enter a code of your "
    "authenticator app or a backup code to get new backup codes or to "
    "turn it off.</p>\n"
    "<form method=\"post\">\n"
    "<input type=\"hidden\" name=\"action\" value=\"backup_codes\">\n"
    "<label for=\"otp-codes\">Code for new backup codes</label>\n"
    "<input id=\"otp-codes\" name=\"otp\" autocomplete=\"one-time-code\" "
    "autocapitalize=\"off\" spellcheck=\"false\" aria-describedby=\"hint\" "
    "required>\n"
    "<button type=\"submit\">New backup codes</button>\n</form>\n"
    "<form method=\"post\">\n"
    "<input type=\"hidden\" name=\"action\" value=\"disable\">\n"
    "<label for=\"otp-off\">Code to turn it off</label>\n"
    "<input id=\"otp-off\" name=\"otp\" autocomplete=\"one-time-code\" "
    "autocapitalize=\"off\" spellcheck=\"false\" aria-describedby=\"hint\" "
    "required>\n"
    "<button type=\"submit\">Turn off</button>\n</form>\n";

static const char  ngx_http_secauth_enrol_codes[] =
    "<p id=\"hint\" role=\"status\">Two-step verification is on. Your "
    "backup codes: each works once, and they are shown only now. Keep "
    "them somewhere safe.</p>\n<ol id=\"codes\" aria-describedby=\"hint\">\n";

static const char  ngx_http_secauth_enrol_codes_end[] =
    "</ol>\n<p><a href=\"\">Done</a></p>\n";

static const char  ngx_http_secauth_enrol_end[] =
    "</main>\n</body></html>\n";

static ngx_str_t  ngx_http_secauth_enrol_csp = ngx_string(
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'");

static ngx_str_t  ngx_http_secauth_enrol_issuer = ngx_string("nginx");


static ngx_int_t ngx_http_secauth_enrol_page(ngx_http_request_t *r,
    ngx_uint_t status, ngx_uint_t page, const char *alert,
    ngx_str_t *secret, ngx_str_t *svg, ngx_str_t *codes);
static ngx_int_t ngx_http_secauth_enrol_json(ngx_http_request_t *r,
    ngx_uint_t status, json_t *obj);
static ngx_int_t ngx_http_secauth_enrol_uri(ngx_http_request_t *r,
    ngx_str_t *user, ngx_str_t *secret, ngx_str_t *uri, ngx_str_t *svg);
static u_char *ngx_http_secauth_enrol_escape(u_char *dst, ngx_str_t *s);


#define ngx_http_secauth_enrol_cpy(p, s)  ngx_cpymem(p, s, sizeof(s) - 1)


static ngx_int_t
ngx_http_secauth_enrol_page(ngx_http_request_t *r, ngx_uint_t status,
    ngx_uint_t page, const char *alert, ngx_str_t *secret, ngx_str_t *svg,
    ngx_str_t *codes)
{
    u_char      *p;
    size_t       len;
    ngx_str_t    body;
    ngx_uint_t   i;

    len = sizeof(ngx_http_secauth_enrol_top)
          + sizeof(ngx_http_secauth_enrol_alert) + 64
          + (alert ? ngx_strlen(alert) : 0)
          + sizeof(ngx_http_secauth_enrol_setup)
          + sizeof(ngx_http_secauth_enrol_scan)
          + sizeof(ngx_http_secauth_enrol_key)
          + sizeof(ngx_http_secauth_enrol_key_end)
          + sizeof(ngx_http_secauth_enrol_retry)
          + sizeof(ngx_http_secauth_enrol_confirm)
          + sizeof(ngx_http_secauth_enrol_manage)
          + sizeof(ngx_http_secauth_enrol_codes)
          + sizeof(ngx_http_secauth_enrol_codes_end)
          + sizeof(ngx_http_secauth_enrol_end)
          + (secret ? secret->len : 0) + (svg ? svg->len : 0)
          + NGX_HTTP_SECAUTH_MFA_CODES * 64;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body.data = p;

    p = ngx_http_secauth_enrol_cpy(p, ngx_http_secauth_enrol_top);

    /* alerts are the handler's own sentences, never request input */

    if (alert) {
        p = ngx_http_secauth_enrol_cpy(p, ngx_http_secauth_enrol_alert);
        p = ngx_sprintf(p, "%s</p>\n", alert);
    }

    switch (page) {

    case NGX_HTTP_SECAUTH_ENROL_PAGE_SCAN:
        p = ngx_http_secauth_enrol_cpy(p, ngx_http_secauth_enrol_scan);
        p = ngx_cpymem(p, svg->data, svg->len);
        p = ngx_http_secauth_enrol_cpy(p, ngx_http_secauth_enrol_key);
        p = ngx_cpymem(p, secret->data, secret->len);
        p = ngx_http_secauth_enrol_cpy(p, ngx_http_secauth_enrol_key_end);
        p = ngx_http_secauth_enrol_cpy(p, ngx_http_secauth_enrol_confirm);
        break;

    case NGX_HTTP_SECAUTH_ENROL_PAGE_CONFIRM:
        p = ngx_http_secauth_enrol_cpy(p, ngx_http_secauth_enrol_retry);
        p = ngx_http_secauth_enrol_cpy(p, ngx_http_secauth_enrol_confirm);
        break;

    case NGX_HTTP_SECAUTH_ENROL_PAGE_MANAGE:
        p = ngx_http_secauth_enrol_cpy(p, ngx_http_secauth_enrol_manage);
        break;

    case NGX_HTTP_SECAUTH_ENROL_PAGE_CODES:
        p = ngx_http_secauth_enrol_cpy(p, ngx_http_secauth_enrol_codes);

        for (i = 0; i < NGX_HTTP_SECAUTH_MFA_CODES; i++) {
            p = ngx_sprintf(p, "<li><code>%V</code></li>\n", &codes[i]);
        }

        p = ngx_http_secauth_enrol_cpy(p, ngx_http_secauth_enrol_codes_end);
        break;

    default: /* NGX_HTTP_SECAUTH_ENROL_PAGE_SETUP */
        p = ngx_http_secauth_enrol_cpy(p, ngx_http_secauth_enrol_setup);
    }

    p = ngx_http_secauth_enrol_cpy(p, ngx_http_secauth_enrol_end);

    body.len = p - body.data;

    return ngx_http_secauth_send_page(r, status, &ngx_http_secauth_enrol_csp,
                                      &body);
}


/* obj (taken: freed here; NULL, a failed json_pack(): 500) as the body */

static ngx_int_t
ngx_http_secauth_enrol_json(ngx_http_request_t *r, ngx_uint_t status,
    json_t *obj)
{
    char       *text;
    size_t      len;
    ngx_str_t   body;

    if (obj == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    text = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);

    if (text == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = ngx_strlen(text);

    body.data = ngx_pnalloc(r->pool, len + 1);
    if (body.data == NULL) {
        ngx_explicit_memzero(text, len);
        free(text);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the secret or the backup codes: no copy left in the heap */

    ngx_memcpy(body.data, text, len);
    body.data[len] = '\n';
    body.len = len + 1;

    ngx_explicit_memzero(text, len);
    free(text);

    return ngx_http_secauth_send(r, status, "application/json", &body);
}


/*
 * otpauth://totp/ISSUER:USER?secret=S&issuer=ISSUER (Key Uri Format),
 * ISSUER and USER percent-encoded but for RFC 3986's unreserved
 * characters; ISSUER is secauth_totp_issuer, else the server's name,
 * else "nginx". And its QR code.
 */

static ngx_int_t
ngx_http_secauth_enrol_uri(ngx_http_request_t *r, ngx_str_t *user,
    ngx_str_t *secret, ngx_str_t *uri, ngx_str_t *svg)
{
    long                          n;
    u_char                       *p;
    ngx_str_t                    *issuer;
    ngx_http_core_srv_conf_t     *cscf;
    ngx_http_secauth_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);
    cscf = ngx_http_get_module_srv_conf(r, ngx_http_core_module);

    issuer = slcf->totp_issuer.len ? &slcf->totp_issuer
             : cscf->server_name.len ? &cscf->server_name
             : &ngx_http_secauth_enrol_issuer;

    p = ngx_pnalloc(r->pool, sizeof("otpauth://totp/:?secret=&issuer=")
                             + 6 * issuer->len + 3 * user->len
                             + secret->len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    uri->data = p;

    p = ngx_cpymem(p, "otpauth://totp/", sizeof("otpauth://totp/") - 1);
    p = ngx_http_secauth_enrol_escape(p, issuer);
    *p++ = ':';
    p = ngx_http_secauth_enrol_escape(p, user);
    p = ngx_sprintf(p, "?secret=%V&issuer=", secret);
    p = ngx_http_secauth_enrol_escape(p, issuer);

    uri->len = p - uri->data;

    n = ngx_http_secauth_qr_svg(NULL, 0, uri->data, uri->len);
    if (n < 0) {
        return NGX_ERROR;
    }

    svg->data = ngx_pnalloc(r->pool, n);
    if (svg->data == NULL) {
        return NGX_ERROR;
    }

    n = ngx_http_secauth_qr_svg(svg->data, n, uri->data, uri->len);
    if (n < 0) {
        return NGX_ERROR;
    }

    svg->len = n;

    return NGX_OK;
}


static u_char *
ngx_http_secauth_enrol_escape(u_char *dst, ngx_str_t *s)
{
    u_char      c;
    ngx_uint_t  i;

    static u_char  hex[] = "0123456789ABCDEF";

    for (i = 0; i < s->len; i++) {
        c = s->data[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9')
            || c == '-' || c == '.' || c == '_' || c == '~')
        {
            *dst++ = c;
            continue;
        }

        *dst++ = '%';
        *dst++ = hex[c >> 4];
        *dst++ = hex[c & 0xf];
    }

    return dst;
}


ngx_flag_t
ngx_http_secauth_enrol_wants_json(ngx_http_request_t *r)
{
    return ngx_http_secauth_media_type(r->headers_in.content_type,
                                       "application/json")
           == NGX_OK
           || ngx_http_secauth_accepts(r, "application/json");
}


/* an action done: the throttle forgets, then the answer */

ngx_int_t
ngx_http_secauth_enrol_done(ngx_http_request_t *r,
    ngx_http_secauth_enrol_ctx_t *ectx)
{
    json_t                        *obj, *list;
    ngx_str_t                      uri, svg, loc;
    ngx_uint_t                     i;
    ngx_http_secauth_login_ctx_t  *lctx;

    lctx = &ectx->login;

    if (ngx_http_secauth_login_forget(r, lctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    switch (ectx->action) {

    case NGX_HTTP_SECAUTH_ENROL_BEGIN:

        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "secauth: TOTP enrolment of \"%V\" begun",
                      &lctx->username);

        if (ngx_http_secauth_enrol_uri(r, &lctx->username, &ectx->secret,
                                       &uri, &svg)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (!lctx->json) {
            return ngx_http_secauth_enrol_page(r, NGX_HTTP_OK,
                                               NGX_HTTP_SECAUTH_ENROL_PAGE_SCAN,
                                               NULL, &ectx->secret, &svg,
                                               NULL);
        }

        obj = json_pack("{s:s%,s:s%,s:s%}",
                        "secret", ectx->secret.data, ectx->secret.len,
                        "uri", uri.data, uri.len,
                        "qr_svg", svg.data, svg.len);

        return ngx_http_secauth_enrol_json(r, NGX_HTTP_OK, obj);

    case NGX_HTTP_SECAUTH_ENROL_DISABLE:

        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "secauth: TOTP off for \"%V\"", &lctx->username);

        if (lctx->json) {
            return ngx_http_secauth_enrol_json(r, NGX_HTTP_OK,
                                               json_object());
        }

        /* back to the page, which now offers to turn it on */

        loc = r->uri;

        if (ngx_http_secauth_add_header(r, "Location", &loc) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return NGX_HTTP_SEE_OTHER;

    default:

        if (ectx->action == NGX_HTTP_SECAUTH_ENROL_CODES) {
            ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                          "secauth: new backup codes for \"%V\"",
                          &lctx->username);
        }

        if (!lctx->json) {
            return ngx_http_secauth_enrol_page(r, NGX_HTTP_OK,
                                              NGX_HTTP_SECAUTH_ENROL_PAGE_CODES,
                                               NULL, NULL, NULL, ectx->codes);
        }

        list = json_array();

        for (i = 0; list && i < NGX_HTTP_SECAUTH_MFA_CODES; i++) {
            if (json_array_append_new(list,
                                      json_stringn((char *)
                                                   ectx->codes[i].data,
                                                   ectx->codes[i].len))
                != 0)
            {
                json_decref(list);
                list = NULL;
            }
        }

        obj = list ? json_pack("{s:o}", "backup_codes", list) : NULL;

        return ngx_http_secauth_enrol_json(r, NGX_HTTP_OK, obj);
    }
}


/* GET: whether TOTP is on, or the page that turns it on or manages it */

ngx_int_t
ngx_http_secauth_enrol_state(ngx_http_request_t *r,
    ngx_http_secauth_enrol_ctx_t *ectx, ngx_uint_t enabled)
{
    if (ectx->login.json) {
        return ngx_http_secauth_enrol_json(r, NGX_HTTP_OK,
                                           json_pack("{s:b}", "enabled",
                                                     (int) enabled));
    }

    return ngx_http_secauth_enrol_page(r, NGX_HTTP_OK,
                                       enabled
                                       ? NGX_HTTP_SECAUTH_ENROL_PAGE_MANAGE
                                       : NGX_HTTP_SECAUTH_ENROL_PAGE_SETUP,
                                       NULL, NULL, NULL, NULL);
}


/* a refusal: {"error": ...}, or the page of the action again */

ngx_int_t
ngx_http_secauth_enrol_refuse(ngx_http_request_t *r,
    ngx_http_secauth_enrol_ctx_t *ectx, ngx_uint_t status, const char *error)
{
    ngx_uint_t   page;
    const char  *alert;

    if (ectx->login.json) {
        return ngx_http_secauth_enrol_json(r, status,
                                           json_pack("{s:s}", "error",
                                                     error));
    }

    switch (status) {

    case NGX_HTTP_TOO_MANY_REQUESTS:
        alert = "Too many failed attempts: try again in a moment.";
        break;

    case NGX_HTTP_CONFLICT:
        alert = (ectx->action == NGX_HTTP_SECAUTH_ENROL_BEGIN)
                ? "Two-step verification is on already."
                : (ectx->action == NGX_HTTP_SECAUTH_ENROL_CONFIRM)
                  ? "No set-up is under way (or it took over 10 minutes): "
                    "start again."
                  : "Two-step verification is off.";
        break;

    default:
        alert = (ectx->action == NGX_HTTP_SECAUTH_ENROL_BEGIN)
                ? "Wrong password." : "Invalid code.";
    }

    switch (ectx->action) {

    case NGX_HTTP_SECAUTH_ENROL_CONFIRM:
        page = (status == NGX_HTTP_CONFLICT)
               ? NGX_HTTP_SECAUTH_ENROL_PAGE_SETUP
               : NGX_HTTP_SECAUTH_ENROL_PAGE_CONFIRM;
        break;

    case NGX_HTTP_SECAUTH_ENROL_BEGIN:
        page = (status == NGX_HTTP_CONFLICT)
               ? NGX_HTTP_SECAUTH_ENROL_PAGE_MANAGE
               : NGX_HTTP_SECAUTH_ENROL_PAGE_SETUP;
        break;

    default:
        page = (status == NGX_HTTP_CONFLICT)
               ? NGX_HTTP_SECAUTH_ENROL_PAGE_SETUP
               : NGX_HTTP_SECAUTH_ENROL_PAGE_MANAGE;
    }

    return ngx_http_secauth_enrol_page(r, status, page, alert, NULL, NULL,
                                       NULL);
}


/* a wrong code: the throttle keeps the attempt, as for a login */

ngx_int_t
ngx_http_secauth_enrol_wrong(ngx_http_request_t *r,
    ngx_http_secauth_enrol_ctx_t *ectx, const char *why)
{
    ectx->login.settled = 1;

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "secauth: enrolment step of \"%V\" refused: %s",
                  &ectx->login.username, why);

    return ngx_http_secauth_enrol_refuse(r, ectx, NGX_HTTP_UNAUTHORIZED,
                                         "invalid_code");
}
