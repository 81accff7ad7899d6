
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_PASSWORD_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_PASSWORD_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


#define NGX_HTTP_SECAUTH_PASSWORD_MAX      128   /* code points */


/* secauth_password_hash argon2id [t=3] [m=64m] [p=1] */
typedef struct {
    ngx_uint_t                  t;
    ngx_uint_t                  m;             /* KiB */
    ngx_uint_t                  p;
    ngx_str_t                   dummy;         /* for unknown users */
    uint64_t                    dummy_us;      /* its time at nginx -t */
} ngx_http_secauth_hash_conf_t;


/*
 * Per worker (in the main conf): our tasks in the pool, what the pool
 * held when it last refused one, and the time a dummy verification takes
 * here (a moving average), which every failed login is held to.
 */
typedef struct {
    ngx_uint_t                  busy;
    ngx_uint_t                  cap;
    time_t                      full;          /* when last refused */
    time_t                      full_logged;
    ngx_uint_t                  refused;       /* since the last line */
    ngx_http_secauth_hash_conf_t  *dummy_conf;
    uint64_t                    dummy_us;
} ngx_http_secauth_password_stats_t;


/* the thread's view: copies only, never the request */
#define NGX_HTTP_SECAUTH_PASSWORD_BYTES  (4 * NGX_HTTP_SECAUTH_PASSWORD_MAX)

typedef struct {
    u_char               password[NGX_HTTP_SECAUTH_PASSWORD_BYTES + 1];
    size_t               password_len;
    /*
     * The NFKC form (docs/passwords.md), when it differs from what was
     * typed: verified first, then the typed bytes (hashes set before
     * NFKC came in); a match on the typed bytes rehashes the NFKC form.
     */
    u_char               nfkc[NGX_HTTP_SECAUTH_PASSWORD_BYTES + 1];
    size_t               nfkc_len;       /* 0: same as password */
    u_char               hash[NGX_HTTP_SECAUTH_HASH_MAX + 1];
    /*
     * A new password (change, reset), its NFKC form: hashed into new_hash
     * (rehashed set) once the current password matches, or at once with
     * hash_only (a reset, which has no current password).
     */
    u_char               next[NGX_HTTP_SECAUTH_PASSWORD_BYTES + 1];
    size_t               next_len;
    ngx_flag_t           hash_only;
    ngx_uint_t           t, m, p;
    ngx_flag_t           rehash;    /* compute a new hash if weaker */
    ngx_flag_t           dummy;     /* an unknown user's: timed */
    ngx_http_secauth_hash_conf_t  *conf;

    /* results */
    ngx_flag_t           valid;
    ngx_flag_t           weak;      /* weaker than secauth_password_hash */
    ngx_flag_t           rehashed;
    ngx_flag_t           typed_form;     /* matched the typed bytes only */
    u_char               new_hash[NGX_HTTP_SECAUTH_HASH_MAX + 1];
    const char          *error;     /* for the log */
    uint64_t             elapsed;   /* us, of the verification */
    ngx_flag_t           done;      /* the result is in */

    /* the worker's side, never the thread's */
    ngx_http_request_t  *request;
    ngx_event_t          guard;     /* holds a stopping worker */
} ngx_http_secauth_password_task_t;


char *ngx_http_secauth_password_hash_conf(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_secauth_password_hash_merge(ngx_conf_t *cf,
    ngx_http_secauth_hash_conf_t **conf, ngx_http_secauth_hash_conf_t *prev);

ngx_int_t ngx_http_secauth_password_dummy(ngx_conf_t *cf,
    ngx_http_secauth_hash_conf_t *hc);
ngx_int_t ngx_http_secauth_password_length(u_char *p, size_t len);
/* NGX_OK; NGX_AGAIN: accepted, but weak (reason says why); NGX_DECLINED */
ngx_int_t ngx_http_secauth_hash_acceptable(ngx_str_t *hash,
    const char **reason);

/*
 * Verifies in the thread pool. NGX_AGAIN: the request is parked and
 * r->write_event_handler (set by the caller) runs when the result is in;
 * NGX_DECLINED: the queue is full (answer 503 at once); NGX_ERROR.
 */
ngx_int_t ngx_http_secauth_password_verify(ngx_http_request_t *r,
    ngx_thread_pool_t *pool, ngx_http_secauth_password_task_t *t);
/* how much longer a failed login is held: to the dummy's time, in ms */
ngx_msec_t ngx_http_secauth_password_pad(ngx_http_request_t *r,
    ngx_http_secauth_password_task_t *t);
ngx_http_secauth_password_task_t *ngx_http_secauth_password_task(
    ngx_http_request_t *r, ngx_str_t *password, ngx_str_t *hash,
    ngx_http_secauth_hash_conf_t *hc);
/* the task's new password (see next): NGX_ERROR when it is no UTF-8 */
ngx_int_t ngx_http_secauth_password_task_next(
    ngx_http_secauth_password_task_t *t, ngx_str_t *next);


#endif /* _NGX_HTTP_SECAUTH_PASSWORD_H_INCLUDED_ */
