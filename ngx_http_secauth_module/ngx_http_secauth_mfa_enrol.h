
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_MFA_ENROL_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_MFA_ENROL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_secauth_login_ctx.h"
#include "ngx_http_secauth_mfa.h"


/*
 * secauth_totp (docs/mfa.md, "Enrolment"): ngx_http_secauth_mfa_enrol.c
 * is the handler and its steps, ngx_http_secauth_mfa_enrol_page.c what
 * it answers (the pages, JSON, the otpauth URI and its QR code).
 */


/* the actions (the "action" field; a GET is none) */
#define NGX_HTTP_SECAUTH_ENROL_GET       0
#define NGX_HTTP_SECAUTH_ENROL_BEGIN     1
#define NGX_HTTP_SECAUTH_ENROL_CONFIRM   2
#define NGX_HTTP_SECAUTH_ENROL_CODES     3
#define NGX_HTTP_SECAUTH_ENROL_DISABLE   4


typedef struct {
    /* first: ctx->login points here for login_check.c and login_page.c */
    ngx_http_secauth_login_ctx_t    login;
    ngx_uint_t                      action;
    u_char                          skey[NGX_HTTP_SECAUTH_KEY_LEN];
    ngx_http_secauth_session_t      session;    /* the one presented */
    ngx_str_t                       sealed;     /* the secret, sealed */
    ngx_str_t                       secret;     /* begin: base32 */
    uint64_t                        gen;
    ngx_str_t                       codes[NGX_HTTP_SECAUTH_MFA_CODES];
} ngx_http_secauth_enrol_ctx_t;



/* which page a browser gets */
#define NGX_HTTP_SECAUTH_ENROL_PAGE_SETUP    0   /* password, to begin */
#define NGX_HTTP_SECAUTH_ENROL_PAGE_SCAN     1   /* QR, key, code */
#define NGX_HTTP_SECAUTH_ENROL_PAGE_CONFIRM  2   /* the code again */
#define NGX_HTTP_SECAUTH_ENROL_PAGE_MANAGE   3   /* new codes, or off */
#define NGX_HTTP_SECAUTH_ENROL_PAGE_CODES    4   /* the codes, once */


char *ngx_http_secauth_totp(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/*
 * ngx_http_secauth_mfa_enrol_page.c: the answers, JSON or a page. done:
 * an action succeeded (the throttle forgets the account's count);
 * state: GET; refuse: status with {"error": error} or the page of the
 * action again with an alert; wrong: a wrong code (the throttle keeps
 * the attempt), logged with why.
 */
ngx_int_t ngx_http_secauth_enrol_done(ngx_http_request_t *r,
    ngx_http_secauth_enrol_ctx_t *ectx);
ngx_int_t ngx_http_secauth_enrol_state(ngx_http_request_t *r,
    ngx_http_secauth_enrol_ctx_t *ectx, ngx_uint_t enabled);
ngx_int_t ngx_http_secauth_enrol_refuse(ngx_http_request_t *r,
    ngx_http_secauth_enrol_ctx_t *ectx, ngx_uint_t status,
    const char *error);
ngx_int_t ngx_http_secauth_enrol_wrong(ngx_http_request_t *r,
    ngx_http_secauth_enrol_ctx_t *ectx, const char *why);
/* JSON when the body is JSON or Accept names application/json */
ngx_flag_t ngx_http_secauth_enrol_wants_json(ngx_http_request_t *r);


#endif /* _NGX_HTTP_SECAUTH_MFA_ENROL_H_INCLUDED_ */
