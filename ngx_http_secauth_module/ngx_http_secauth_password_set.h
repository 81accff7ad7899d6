
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_PASSWORD_SET_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_PASSWORD_SET_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_login_ctx.h"


/*
 * The password's lifecycle (docs/passwords.md), from the top:
 * ngx_http_secauth_password_change.c (secauth_password_change) and
 * ngx_http_secauth_password_reset.c (secauth_password_reset and
 * secauth_password_reset_confirm) establish who the user is (the
 * session; the reset token); ngx_http_secauth_password_set.c does the
 * rest for both: the policy, the throttle, the new hash (in the thread
 * pool, with the check of the current password for a change), the
 * second factor, the write that moves the password version on, and the
 * end of every session and token family of the user.
 * ngx_http_secauth_password_page.c makes the answers. None calls a file
 * above it.
 */


#define NGX_HTTP_SECAUTH_PWSET_CHANGE    1
#define NGX_HTTP_SECAUTH_PWSET_CONFIRM   2
#define NGX_HTTP_SECAUTH_PWSET_REQUEST   3   /* a reset asked for */

/* steps, in login.state beside login_check.c's THROTTLE and VERIFY */
#define NGX_HTTP_SECAUTH_PWSET_USER      40  /* the user's record */
#define NGX_HTTP_SECAUTH_PWSET_MFA       41  /* the MFA record */
#define NGX_HTTP_SECAUTH_PWSET_CODE      42  /* the code checked */
#define NGX_HTTP_SECAUTH_PWSET_CONSUMED  43  /* the reset token spent */
#define NGX_HTTP_SECAUTH_PWSET_WRITTEN   44  /* the new hash */
#define NGX_HTTP_SECAUTH_PWSET_ENDED     45  /* the user's sessions */
#define NGX_HTTP_SECAUTH_PWSET_SESSION   46  /* change: the new one */

/* a reset token: 32 random bytes, base64url */
#define NGX_HTTP_SECAUTH_RESET_TOKEN_LEN  43

/* secauth_password_reset ttl=: the default, and the longest */
#define NGX_HTTP_SECAUTH_RESET_TTL       3600
#define NGX_HTTP_SECAUTH_RESET_TTL_MAX   86400


typedef struct {
    /* first: ctx->login points here for login_check.c and login_page.c */
    ngx_http_secauth_login_ctx_t    login;
    ngx_uint_t                      kind;
    ngx_str_t                       new_password;
    ngx_uint_t                      token_pwv;  /* confirm: the version
                                                   the token was made at */
    ngx_str_t                       token;      /* reset: the token */
    u_char                          tkey[NGX_HTTP_SECAUTH_KEY_LEN];
                                                /* its store key */
    u_char                          ukey[NGX_HTTP_SECAUTH_KEY_LEN];
                                                /* the user's latest */
} ngx_http_secauth_pwset_ctx_t;


/* the locations that check a password or a code as a login does */
#define ngx_http_secauth_handler_sets_password(h)                            \
    ((h) == NGX_HTTP_SECAUTH_HANDLER_PASSWORD_CHANGE                         \
     || (h) == NGX_HTTP_SECAUTH_HANDLER_PASSWORD_CONFIRM)


/* ngx_http_secauth_password_set.c */

/*
 * From the policy on, with the ctx filled (login.username,
 * new_password, login.password for a change, login.otp, token_pwv and
 * tkey for a confirmation): NGX_AGAIN, or the status to finish the
 * request with.
 */
ngx_int_t ngx_http_secauth_pwset_start(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx);
/* ctx->op, fresh, waited for in the given state */
ngx_http_secauth_store_op_t *ngx_http_secauth_pwset_op(
    ngx_http_request_t *r, ngx_uint_t state);
/* after a store call: NGX_AGAIN, step runs now or when the answer comes */
ngx_int_t ngx_http_secauth_pwset_wait(ngx_http_request_t *r, ngx_int_t rc,
    ngx_http_event_handler_pt step);
/* the store keys of a reset token, and of its user's latest token */
ngx_int_t ngx_http_secauth_reset_token_key(ngx_str_t *token, u_char *key);
ngx_int_t ngx_http_secauth_reset_user_key(ngx_str_t *user, u_char *key);
/* a handler's start: the ctx, its kind, JSON or a page */
ngx_http_secauth_pwset_ctx_t *ngx_http_secauth_pwset_ctx(
    ngx_http_request_t *r, ngx_uint_t kind);
/* the configuration check of the three handlers (a writable user store) */
char *ngx_http_secauth_pwset_merge(ngx_conf_t *cf,
    ngx_http_secauth_loc_conf_t *conf);

/* ngx_http_secauth_password_page.c */

ngx_flag_t ngx_http_secauth_pwset_wants_json(ngx_http_request_t *r);
/* the form of a kind, with an alert (or NULL), a token (or NULL) */
ngx_int_t ngx_http_secauth_pwset_form(ngx_http_request_t *r,
    ngx_uint_t kind, ngx_uint_t status, ngx_str_t *alert, ngx_str_t *token);
/* {"error": error}, or the form again with the refusal in words */
ngx_int_t ngx_http_secauth_pwset_refuse(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx, ngx_uint_t status,
    const char *error);
/* a policy's refusal: 400 with every reason */
ngx_int_t ngx_http_secauth_pwset_weak(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx, ngx_uint_t reasons);
/* done: change 303 to next, confirm 303 to the login page; JSON 200 {} */
ngx_int_t ngx_http_secauth_pwset_done(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx);
/* a reset request's answer, whoever it named: 202, the same body */
ngx_int_t ngx_http_secauth_pwset_requested(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx);

/* ngx_http_secauth_password_change.c, ngx_http_secauth_password_reset.c */

char *ngx_http_secauth_password_change(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_secauth_password_reset(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_secauth_password_reset_confirm(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);


#endif /* _NGX_HTTP_SECAUTH_PASSWORD_SET_H_INCLUDED_ */
