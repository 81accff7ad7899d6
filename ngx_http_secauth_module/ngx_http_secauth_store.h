
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_STORE_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_STORE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_secauth_redis_conf.h"


/*
 * The store: where state shared by requests (and, with Redis, by nodes)
 * lives. One asynchronous interface, two implementations: the shared
 * memory zone (ngx_http_secauth_store_shm.c) and Redis
 * (ngx_http_secauth_store_redis.c).
 *
 * A caller fills an op and calls an operation:
 *
 *   NGX_OK     the op completed before returning (op->rc holds the result;
 *              the handler is NOT called);
 *   NGX_AGAIN  the op is pending; op->handler(op) is called exactly once
 *              later, from the event loop, unless the op is cancelled
 *              first with ngx_http_secauth_store_cancel().
 *
 * op->rc:
 *
 *   NGX_OK        done (found, for a lookup);
 *   NGX_DECLINED  the record does not exist (or has expired);
 *   NGX_ERROR     the store failed (unreachable, timeout, bad reply): the
 *                 caller applies secauth_fail.
 *
 * An operation's parameters are grouped in a small struct per group of
 * operations (session, family, buckets, throttle, one-time value,
 * counter), beside the few fields all share (key, ttl, count).
 *
 * Everything that keeps state reaches it through this interface: only the
 * two implementations include the shm engine (ngx_http_secauth_shm.h) or
 * hiredis. Without Redis the state lives in shared memory zones the
 * callers ask for at configuration time (ngx_http_secauth_store_zone_add):
 * sessions, tokens, one-time values and counters in the state zone;
 * rate-limit buckets and login attempts in zones of their own, which the
 * op carries (bucket->shm_zone, throttle->zone) as a handle the caller
 * never looks into.
 */


#define NGX_HTTP_SECAUTH_KEY_LEN        32    /* SHA-256 of a secret id */
#define NGX_HTTP_SECAUTH_USER_MAX       256
#define NGX_HTTP_SECAUTH_ID_MAX         64    /* family ids and jtis */
#define NGX_HTTP_SECAUTH_LIST_MAX       1000  /* sessions user_list gives */
#define NGX_HTTP_SECAUTH_LIMITS_MAX     16    /* buckets of a limit_take:
                                                 limits in one location */
#define NGX_HTTP_SECAUTH_HASH_MAX       256   /* bytes of a password hash
                                                 (user_get) */
#define NGX_HTTP_SECAUTH_ONCE_MAX       512   /* bytes of a one-time value */


typedef struct ngx_http_secauth_store_s     ngx_http_secauth_store_t;
typedef struct ngx_http_secauth_store_op_s  ngx_http_secauth_store_op_t;

typedef void (*ngx_http_secauth_store_handler_pt)(
    ngx_http_secauth_store_op_t *op);


/* a session record (docs/sessions.md gives its Redis form) */
typedef struct {
    ngx_str_t                   user;
    time_t                      created;
    time_t                      last_seen;
    ngx_uint_t                  level;        /* authentication level */
    ngx_uint_t                  pwv;          /* password version */
    ngx_flag_t                  redis_user;   /* the user is in Redis: its
                                                 version is checked */
    ngx_str_t                   ip;           /* client address, text */
} ngx_http_secauth_session_t;


/*
 * a refresh-token family (docs/tokens.md): what one login handed to an API
 * client. It exists until its absolute expiry unless revoked: a revoked
 * family is a deleted one, so that anything not found is refused. It
 * knows the jti of the one refresh token that may still be spent.
 */
typedef struct {
    ngx_str_t                   id;
    ngx_str_t                   jti;          /* create: the refresh token's;
                                                 rotate: the one presented */
    ngx_str_t                   next;         /* rotate: its successor's */
    time_t                      exp;          /* absolute: create in, rotate
                                                 out */
    ngx_uint_t                  pwv;          /* the user's, at the login */
    ngx_uint_t                  level;        /* how the login went
                                                 (NGX_HTTP_SECAUTH_AMR_*
                                                 bits): create in, rotate
                                                 out; families of before
                                                 it give 1, a password */
    ngx_flag_t                  redis_user;   /* create: the user is in
                                                 Redis: the family ends
                                                 when the user's version
                                                 changes or the user goes */
} ngx_http_secauth_family_t;


/* why family_rotate refused, in op->count */
#define NGX_HTTP_SECAUTH_FAMILY_UNKNOWN   0   /* revoked, expired, unknown */
#define NGX_HTTP_SECAUTH_FAMILY_REUSED    1   /* a spent token: revoked now */
#define NGX_HTTP_SECAUTH_FAMILY_STALE     2   /* password version changed,
                                                 or user gone: revoked now */


/*
 * one GCRA bucket of a limit_take (ngx_http_secauth_limit.c): times in
 * microseconds; a bucket admits a request while its theoretical arrival
 * time is at most tau ahead of now, and each request moves it on by
 * interval
 */
typedef struct {
    ngx_str_t                   zone;         /* the zone's name */
    ngx_shm_zone_t             *shm_zone;     /* its buckets, without Redis:
                                                 the handle from
                                                 store_zone_add */
    ngx_str_t                   key;          /* the bucket, in that zone */
    uint64_t                    interval;
    uint64_t                    tau;
    uint64_t                    wait;         /* out, see limit_take */
    ngx_flag_t                  nodelay;      /* the caller's */
} ngx_http_secauth_bucket_t;


/*
 * the failed-login throttle of an account (ngx_http_secauth_throttle.c):
 * from the free-th attempt without a success on, each attempt locks the
 * account for lock, doubled with each further one, up to max_lock; the
 * count is forgotten after forget seconds without an attempt
 */
typedef struct {
    ngx_uint_t                  free;
    ngx_msec_t                  lock;
    ngx_msec_t                  max_lock;
    time_t                      forget;
    ngx_shm_zone_t             *zone;         /* the counts, without Redis:
                                                 the handle from
                                                 store_zone_add */
} ngx_http_secauth_throttle_t;


/*
 * one-time values (backup codes, reset tokens): keyed by op->key, a
 * SHA-256 the caller computes with a prefix naming the kind
 */
typedef struct {
    ngx_str_t                   data;         /* at most
                                                 NGX_HTTP_SECAUTH_ONCE_MAX
                                                 (512) */
} ngx_http_secauth_once_t;


/* a monotone counter (the last accepted TOTP step), op->key */
typedef struct {
    uint64_t                    value;        /* in: the new value */
    uint64_t                    current;      /* out, NGX_DECLINED: the
                                                 stored one */
} ngx_http_secauth_counter_t;


struct ngx_http_secauth_store_op_s {
    /* set by the caller */
    ngx_pool_t                         *pool;     /* results go here */
    ngx_log_t                          *log;
    ngx_http_secauth_store_handler_pt   handler;
    void                               *data;
    ngx_http_secauth_store_op_t        *next;     /* the caller's list */

    u_char                              key[NGX_HTTP_SECAUTH_KEY_LEN];
    ngx_http_secauth_session_t          session;  /* put/touch in, get out */
    time_t                              ttl;      /* put/touch: seconds */
    ngx_http_secauth_bucket_t          *buckets;  /* limit_take */
    ngx_uint_t                          nbuckets;
    ngx_http_secauth_throttle_t        *throttle; /* login_* */
    ngx_http_secauth_family_t          *family;   /* family_*, and
                                                     revoked_check */
    ngx_http_secauth_once_t            *once;     /* once_* */
    ngx_http_secauth_counter_t         *counter;  /* counter_advance */
    ngx_flag_t                          check_pwv; /* session_get: some
                                                     users are in Redis:
                                                     refuse their sessions
                                                     once stale */

    /* set by the store */
    ngx_str_t                           value;    /* user_get: the hash */
    ngx_array_t                        *sessions; /* user_list: of
                                                     ngx_http_secauth_
                                                     session_t */

    ngx_int_t                           rc;
    ngx_uint_t                          count;    /* delete_user: removed;
                                                     limit_take: refused by
                                                     buckets[count - 1];
                                                     login_attempt: the
                                                     attempts so far;
                                                     family_rotate: why
                                                     refused */
    ngx_msec_t                          locked;   /* login_attempt: ms */

    /* private to the implementation */
    void                               *pending;
    void                               *priv;
};


typedef struct {
    /*
     * NGX_DECLINED also, with op->check_pwv, for a session of a user in
     * Redis whose password version has changed since, or who is gone
     * (op->count is 1 then)
     */
    ngx_int_t  (*session_get)(ngx_http_secauth_store_t *st,
                              ngx_http_secauth_store_op_t *op);
    /* create or replace; adds the session to its user's index */
    ngx_int_t  (*session_put)(ngx_http_secauth_store_t *st,
                              ngx_http_secauth_store_op_t *op);
    /*
     * update last_seen and the ttl of an existing record only: a session
     * deleted meanwhile (logout on another node) must stay deleted;
     * NGX_DECLINED when it no longer exists
     */
    ngx_int_t  (*session_touch)(ngx_http_secauth_store_t *st,
                                ngx_http_secauth_store_op_t *op);
    ngx_int_t  (*session_delete)(ngx_http_secauth_store_t *st,
                                 ngx_http_secauth_store_op_t *op);
    /* every session of op->session.user ("log out everywhere") */
    ngx_int_t  (*session_delete_user)(ngx_http_secauth_store_t *st,
                                      ngx_http_secauth_store_op_t *op);
    /*
     * the revoked set, keyed by SHA-256(iss "\n" jti): check answers
     * NGX_OK when revoked, NGX_DECLINED when not; revoke adds op->key for
     * op->ttl seconds (the token's remaining life). With op->family set
     * (a token the module issued, of op->session.user), check also
     * answers NGX_OK when that family no longer exists, is another
     * user's, or is stale (redis_user).
     */
    ngx_int_t  (*revoked_check)(ngx_http_secauth_store_t *st,
                                ngx_http_secauth_store_op_t *op);
    ngx_int_t  (*revoke)(ngx_http_secauth_store_t *st,
                         ngx_http_secauth_store_op_t *op);
    /*
     * user records (Redis only: hash <prefix>user:<name>, fields password
     * and pwv): get reads op->value and op->session.pwv for user
     * op->session.user; set_password writes op->value, only while the
     * user exists and is still at version op->session.pwv (NGX_DECLINED
     * otherwise): without op->check_pwv the version stays (a rehash on
     * login), with it the version moves on, which ends every session and
     * token family of the user (a password change or reset)
     */
    ngx_int_t  (*user_get)(ngx_http_secauth_store_t *st,
                           ngx_http_secauth_store_op_t *op);
    ngx_int_t  (*user_set_password)(ngx_http_secauth_store_t *st,
                                    ngx_http_secauth_store_op_t *op);
    /*
     * rate limits: takes one request from every bucket, or from none.
     * NGX_OK: all admit it, each bucket's wait is how long the request
     * should be delayed to conform to its rate (0: it conforms);
     * NGX_DECLINED: buckets[count - 1] refuses it, its wait is how long
     * until it would admit one
     */
    ngx_int_t  (*limit_take)(ngx_http_secauth_store_t *st,
                             ngx_http_secauth_store_op_t *op);
    /*
     * login attempts on the account op->session.user, per op->throttle,
     * counted before the password is checked (parallel attempts cannot
     * slip in). attempt: NGX_DECLINED while the account is locked
     * (op->locked: for how long still; not counted); NGX_OK when the
     * attempt may go on (op->count: attempts so far; op->locked: how long
     * this one locks the account for the next ones, 0: not at all).
     * reset forgets them all (a successful login). release takes back
     * one attempt whose password was never found wrong (the thread pool
     * was full, the store failed, the client left): op->count is what
     * that attempt's login_attempt answered; when no attempt came since,
     * the lock it set goes too.
     */
    ngx_int_t  (*login_attempt)(ngx_http_secauth_store_t *st,
                                ngx_http_secauth_store_op_t *op);
    ngx_int_t  (*login_reset)(ngx_http_secauth_store_t *st,
                              ngx_http_secauth_store_op_t *op);
    ngx_int_t  (*login_release)(ngx_http_secauth_store_t *st,
                                ngx_http_secauth_store_op_t *op);
    /*
     * refresh-token families of user op->session.user, op->family:
     * create stores a new one until family->exp, in its user's index;
     * rotate spends family->jti and makes family->next the one to spend,
     * atomically: NGX_OK (family->exp, ->pwv, ->level filled in) or
     * NGX_DECLINED with op->count one of NGX_HTTP_SECAUTH_FAMILY_*;
     * revoke deletes it: NGX_OK, or NGX_DECLINED when it did not exist.
     * session_delete_user also revokes every family of the user.
     */
    ngx_int_t  (*family_create)(ngx_http_secauth_store_t *st,
                                ngx_http_secauth_store_op_t *op);
    ngx_int_t  (*family_rotate)(ngx_http_secauth_store_t *st,
                                ngx_http_secauth_store_op_t *op);
    ngx_int_t  (*family_revoke)(ngx_http_secauth_store_t *st,
                                ngx_http_secauth_store_op_t *op);
    /*
     * what user op->session.user holds (secauth_admin): op->sessions,
     * the live sessions (at most NGX_HTTP_SECAUTH_LIST_MAX), and in
     * op->count the number of live refresh-token families; NGX_DECLINED
     * when there is neither
     */
    ngx_int_t  (*user_list)(ngx_http_secauth_store_t *st,
                            ngx_http_secauth_store_op_t *op);
    void       (*cancel)(ngx_http_secauth_store_t *st,
                         ngx_http_secauth_store_op_t *op);

    /*
     * one-time values, op->key, op->once (MFA backup codes, password
     * reset tokens): the zone or Redis stores only what it is given, the
     * caller hashes secrets.
     * once_put stores op->once->data under op->key for op->ttl s,
     * replacing any value there: NGX_OK.
     * once_consume removes the value under op->key and gives it back,
     * atomically (two parallel consumes: exactly one gets NGX_OK with
     * op->once->data, copied into op->pool; the other NGX_DECLINED);
     * NGX_DECLINED when never stored, consumed already, or expired.
     */
    ngx_int_t  (*once_put)(ngx_http_secauth_store_t *st,
                           ngx_http_secauth_store_op_t *op);
    ngx_int_t  (*once_consume)(ngx_http_secauth_store_t *st,
                               ngx_http_secauth_store_op_t *op);
    /*
     * a monotone counter, op->key, op->counter (the last accepted TOTP
     * step): NGX_OK and the counter becomes op->counter->value when that
     * is greater than the stored value or none is stored; NGX_DECLINED
     * otherwise, with op->counter->current = the stored value; the
     * counter expires op->ttl s after its last advance
     */
    ngx_int_t  (*counter_advance)(ngx_http_secauth_store_t *st,
                                  ngx_http_secauth_store_op_t *op);
    /*
     * reads the value once_put stored under op->key without consuming
     * it (a user's MFA record, put and deleted with the once_*
     * operations): NGX_OK with op->once->data copied into op->pool, or
     * NGX_DECLINED when there is none
     */
    ngx_int_t  (*value_get)(ngx_http_secauth_store_t *st,
                            ngx_http_secauth_store_op_t *op);
} ngx_http_secauth_store_ops_t;


struct ngx_http_secauth_store_s {
    ngx_http_secauth_store_ops_t  *ops;
    void                          *data;      /* the implementation's */
};


#define ngx_http_secauth_store_call(st, name, op)                            \
    (st)->ops->name(st, op)

#define ngx_http_secauth_store_cancel(st, op)                                \
    (st)->ops->cancel(st, op)


/*
 * the shm implementation; limit_take and login_* use only the zones the op
 * carries, so that a module without a state zone (limits alone) calls
 * them through this table with st NULL
 */
extern ngx_http_secauth_store_ops_t  ngx_http_secauth_store_shm_ops;
extern ngx_http_secauth_store_ops_t  ngx_http_secauth_store_redis_ops;


/* what a zone of ngx_http_secauth_store_zone_add() holds */
typedef enum {
    NGX_HTTP_SECAUTH_STORE_ZONE_STATE = 0,   /* sessions, tokens, one-time
                                                values (secauth_zone) */
    NGX_HTTP_SECAUTH_STORE_ZONE_LIMITS,      /* rate-limit buckets */
    NGX_HTTP_SECAUTH_STORE_ZONE_ATTEMPTS     /* login attempts */
} ngx_http_secauth_store_zone_kind_e;


/*
 * At configuration time: a shared memory zone for the shm implementation,
 * of at least 8 pages; the same name and size again returns the same
 * zone, if it holds the same kind, else fails. Logs the reason and returns
 * NULL on failure. The zone is only a handle to the caller: it is given
 * back to the store in an op or to ngx_http_secauth_store_shm_init().
 */
ngx_shm_zone_t *ngx_http_secauth_store_zone_add(ngx_conf_t *cf,
    ngx_str_t *name, size_t size, ngx_http_secauth_store_zone_kind_e kind);

/* sync= of a zone with state=, when none is given */
#define NGX_HTTP_SECAUTH_STORE_SYNC_DEFAULT   1000

/*
 * state=PATH or sync=TIME among the parameters of a zone's directive:
 * NGX_OK when value is one of them (into *path or *sync, which start
 * NULL and NGX_CONF_UNSET_MSEC), NGX_DECLINED when it is neither,
 * NGX_ERROR (logged) when it is invalid or given twice
 */
ngx_int_t ngx_http_secauth_store_zone_state_arg(ngx_conf_t *cf,
    ngx_str_t *value, ngx_str_t *path, ngx_msec_t *sync);

/*
 * at configuration time, after zone_add, with what the function above
 * collected: the zone's contents kept in the file path (relative to the
 * prefix) across restarts and binary upgrades, written every sync
 * milliseconds without blocking a worker; nothing when path is empty.
 * The same zone may be given the same path again. Logs the reason and
 * returns NGX_ERROR on failure.
 */
ngx_int_t ngx_http_secauth_store_zone_state(ngx_conf_t *cf,
    ngx_shm_zone_t *zone, ngx_str_t *path, ngx_msec_t sync);

/* whether the zone is kept in a file by the function above */
ngx_flag_t ngx_http_secauth_store_zone_durable(ngx_shm_zone_t *zone);


/*
 * a store on a state zone from the function above (in init_process);
 * NGX_ERROR for any other zone
 */
ngx_int_t ngx_http_secauth_store_shm_init(ngx_http_secauth_store_t *st,
    ngx_shm_zone_t *zone);

/*
 * a store on Redis (in init_process: each worker its own connection),
 * and its end (exit_process)
 */
ngx_int_t ngx_http_secauth_store_redis_init(ngx_http_secauth_store_t *st,
    ngx_cycle_t *cycle, ngx_http_secauth_redis_conf_t *conf);
void ngx_http_secauth_store_redis_done(ngx_http_secauth_store_t *st);


#endif /* _NGX_HTTP_SECAUTH_STORE_H_INCLUDED_ */
