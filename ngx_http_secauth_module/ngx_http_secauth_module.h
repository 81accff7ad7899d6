
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_MODULE_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_store.h"
#include "ngx_http_secauth_redis_conf.h"
#include "ngx_http_secauth_jws.h"
#include "ngx_http_secauth_password.h"
#include "ngx_http_secauth_policy_conf.h"
#include "ngx_http_secauth_users.h"
#include "ngx_http_secauth_mfa_key.h"


#define NGX_HTTP_SECAUTH_OFF         0
#define NGX_HTTP_SECAUTH_SESSION     1
#define NGX_HTTP_SECAUTH_JWT         2
#define NGX_HTTP_SECAUTH_ANY         3

/* which credential kinds a mode admits */
#define ngx_http_secauth_mode_has_session(m)                                  \
    ((m) == NGX_HTTP_SECAUTH_SESSION || (m) == NGX_HTTP_SECAUTH_ANY)
#define ngx_http_secauth_mode_has_jwt(m)                                      \
    ((m) == NGX_HTTP_SECAUTH_JWT || (m) == NGX_HTTP_SECAUTH_ANY)


/* outcome of checking one kind of credential for a request */
typedef enum {
    NGX_HTTP_SECAUTH_UNCHECKED = 0,
    NGX_HTTP_SECAUTH_ABSENT,          /* the client sent none */
    NGX_HTTP_SECAUTH_PENDING,         /* waiting for the store */
    NGX_HTTP_SECAUTH_VALID,
    NGX_HTTP_SECAUTH_INVALID,
    NGX_HTTP_SECAUTH_UNAVAILABLE      /* the store did not answer */
} ngx_http_secauth_result_e;


#define NGX_HTTP_SECAUTH_HANDLER_NONE    0
#define NGX_HTTP_SECAUTH_HANDLER_LOGIN   1
#define NGX_HTTP_SECAUTH_HANDLER_LOGOUT  2
#define NGX_HTTP_SECAUTH_HANDLER_REFRESH 3
#define NGX_HTTP_SECAUTH_HANDLER_REVOKE  4
#define NGX_HTTP_SECAUTH_HANDLER_VERIFY  5
#define NGX_HTTP_SECAUTH_HANDLER_ADMIN   6
#define NGX_HTTP_SECAUTH_HANDLER_JWKS    7
#define NGX_HTTP_SECAUTH_HANDLER_TOTP    8
#define NGX_HTTP_SECAUTH_HANDLER_PASSWORD_CHANGE   9
#define NGX_HTTP_SECAUTH_HANDLER_PASSWORD_RESET    10
#define NGX_HTTP_SECAUTH_HANDLER_PASSWORD_CONFIRM  11

#define NGX_HTTP_SECAUTH_FAIL_CLOSED  0
#define NGX_HTTP_SECAUTH_FAIL_OPEN    1

#define NGX_HTTP_SECAUTH_SAMESITE_LAX     0
#define NGX_HTTP_SECAUTH_SAMESITE_STRICT  1
#define NGX_HTTP_SECAUTH_SAMESITE_NONE    2


/* secauth_jwt_key_request: its URI and this worker's key set */
typedef struct ngx_http_secauth_jwt_fetch_s  ngx_http_secauth_jwt_fetch_t;


typedef struct {
    ngx_flag_t                      enabled;  /* any "secauth" but off */
    ngx_flag_t                      store_used;   /* login, logout */

    ngx_http_secauth_redis_conf_t  *redis;
    ngx_shm_zone_t                 *shm_zone;
    ngx_str_t                       thread_pool_name;
    ngx_thread_pool_t              *thread_pool;
    ngx_array_t                    *limit_zones;  /* limit zone pointers */
    ngx_flag_t                      limit_used;
    ngx_flag_t                      users_redis;  /* some secauth_users redis */
    ngx_array_t                    *cookie_servers;  /* core srv confs
                                                       with Secure cookies */
    ngx_http_secauth_secret_t      *secret;       /* secauth_secret_key */
    ngx_array_t                    *blocklists;   /* password blocklists,
                                                     one per file */

    /* per worker, set up in init_process or on first use */
    ngx_http_secauth_store_t        store;
    time_t                          fail_open_logged;
    ngx_http_secauth_password_stats_t  password;
    void                           *jwt_cache;
} ngx_http_secauth_main_conf_t;


typedef struct {
    ngx_str_t                   name;
    ngx_str_t                   domain;
    ngx_str_t                   path;
    ngx_uint_t                  samesite;
    ngx_flag_t                  secure;
} ngx_http_secauth_cookie_t;


typedef struct {
    ngx_uint_t                  mode;
    ngx_str_t                   realm;
    ngx_http_complex_value_t   *login_url;
    ngx_uint_t                  fail;

    ngx_http_secauth_cookie_t  *cookie;
    time_t                      idle_timeout;
    time_t                      absolute_timeout;

    ngx_array_t                *jwt_keys;    /* ngx_http_secauth_jws_key_t */
    ngx_http_secauth_jwt_fetch_t *jwt_fetch;  /* secauth_jwt_key_request */
    time_t                      jwt_key_cache;
    ngx_http_secauth_jws_key_t *jwt_signing_key;
    ngx_str_t                   jwt_issuer;
    ngx_str_t                   jwt_audience;
    time_t                      jwt_leeway;
    size_t                      jwt_max_size;
    ngx_flag_t                  jwt_revocation;
    time_t                      jwt_access_ttl;
    time_t                      jwt_refresh_ttl;
    ngx_str_t                   jwks;        /* secauth_jwks: the set */

    ngx_array_t                *limits;      /* ngx_http_secauth_limit_t */
    ngx_uint_t                  limit_status;
    ngx_uint_t                  limit_log_level;  /* refusals; delays one
                                                     level lower */

    ngx_uint_t                  handler;      /* login, logout */
    ngx_http_secauth_users_t   *users;
    ngx_http_secauth_throttle_t *throttle;    /* NULL: off */
    ngx_http_secauth_hash_conf_t *password_hash;
    ngx_http_secauth_policy_conf_t *password_policy;   /* never NULL */
    ngx_flag_t                  mfa;          /* secauth_mfa */
    ngx_str_t                   mfa_enrol;    /* its enrol=, or empty */
    ngx_str_t                   totp_issuer;  /* secauth_totp_issuer */
    ngx_str_t                   reset_url;    /* secauth_reset_url */
    ngx_str_t                   reset_notify; /* secauth_reset_notify */
    time_t                      reset_ttl;    /* secauth_password_reset
                                                 ttl= */
    ngx_array_t                *require;      /* ngx_http_secauth_require_t */
} ngx_http_secauth_loc_conf_t;


/*
 * Per main request. Lives in a pool cleanup so that it survives the context
 * reset of internal redirects (error_page, try_files, named locations): the
 * credentials are checked once per request, whatever the number of
 * locations it passes through.
 */
typedef struct {
    ngx_http_request_t             *request;

    ngx_http_secauth_result_e       session;
    ngx_http_secauth_result_e       jwt;

    ngx_str_t                       user;
    ngx_str_t                       method;     /* "session" | "jwt" */
    ngx_str_t                       error;      /* machine-readable reason */
    ngx_str_t                       amr;        /* $secauth_amr */
    ngx_uint_t                      level;      /* NGX_HTTP_SECAUTH_AMR_*
                                                   bits of the credential */

    void                           *claims;     /* json_t *, verified */
    void                           *login;      /* the login location's */
    ngx_str_t                       reset_user; /* $secauth_reset_user */
    ngx_str_t                       reset_link; /* $secauth_reset_link */
    ngx_http_request_t             *notify;     /* the reset's notify
                                                   subrequest: not gated */
    ngx_http_request_t             *key_fetch;  /* a key request's
                                                   subrequest: not gated */
    ngx_http_secauth_jwt_fetch_t   *key_fetch_state;
    ngx_queue_t                     keys_wait;  /* in a key fetch's queue */

    /* store lookups in flight, and the event that resumes the request */
    ngx_http_secauth_store_op_t     op;
    /*
     * every other op of the request, allocated when used and kept in one
     * list that the cleanup cancels (ngx_http_secauth_new_op()); the
     * pointers below are where the gate's checks find theirs when the
     * request comes back (fire-and-forget ops have none)
     */
    ngx_http_secauth_store_op_t    *ops;
    ngx_http_secauth_store_op_t    *jwt_op;     /* revocation check */
    ngx_http_secauth_store_op_t    *limit_op;   /* limit_take */
    ngx_event_t                     resume;
    ngx_http_request_t             *parked;     /* the one that waits: the
                                                   main request or one of
                                                   its subrequests */
    ngx_array_t                    *waiters;    /* others, for the same
                                                   answer */
    unsigned                        waiting:1;
    unsigned                        admitted:1; /* by the gate */
    unsigned                        keys_queued:1;
    unsigned                        keys_watched:1; /* its cleanup added */
    unsigned                        keys_waited:1;  /* for a key fetch,
                                                       once at most */
    unsigned                        keys_unavailable:1;
} ngx_http_secauth_ctx_t;


/* what every file uses: the request's helpers, waiting for the store */
#include "ngx_http_secauth_request.h"
#include "ngx_http_secauth_wait.h"



extern ngx_module_t  ngx_http_secauth_module;


#endif /* _NGX_HTTP_SECAUTH_MODULE_H_INCLUDED_ */
