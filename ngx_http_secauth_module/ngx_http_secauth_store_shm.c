
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_secauth_store.h"
#include "ngx_http_secauth_store_shm.h"


/*
 * The store interface (ngx_http_secauth_store.h) on the shm engine
 * (ngx_http_secauth_shm.h): its table of operations, its zones, and the
 * session operations. Families and revoked tokens, limits and login
 * attempts, one-time values and counters have files of their own
 * (ngx_http_secauth_store_shm.h).
 */


#define NGX_HTTP_SECAUTH_SESSION_IP_MAX     255


/*
 * A session value: this header, then the user and the ip bytes. Strings
 * are copied out to the caller's pool, never handed out as pointers into
 * the zone.
 */
typedef struct {
    int64_t                       created;
    int64_t                       last_seen;
    uint64_t                      level;
    uint64_t                      pwv;
    uint16_t                      user_len;
    uint16_t                      ip_len;
} ngx_http_secauth_shm_session_t;


#define NGX_HTTP_SECAUTH_SHM_SESSION_MAX                                     \
    (sizeof(ngx_http_secauth_shm_session_t) + NGX_HTTP_SECAUTH_USER_MAX      \
     + NGX_HTTP_SECAUTH_SESSION_IP_MAX)


static ngx_int_t ngx_http_secauth_store_shm_session_get(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_shm_session_put(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_shm_session_touch(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_shm_session_delete(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_shm_session_delete_user(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static void ngx_http_secauth_store_shm_cancel(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_shm_no_users(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_shm_check_user(
    ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_shm_user_list(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_shm_session_decode(u_char *buf,
    size_t len, ngx_pool_t *pool, ngx_http_secauth_session_t *session);


ngx_http_secauth_store_ops_t  ngx_http_secauth_store_shm_ops = {
    ngx_http_secauth_store_shm_session_get,
    ngx_http_secauth_store_shm_session_put,
    ngx_http_secauth_store_shm_session_touch,
    ngx_http_secauth_store_shm_session_delete,
    ngx_http_secauth_store_shm_session_delete_user,
    ngx_http_secauth_revoked_check_shm,
    ngx_http_secauth_revoke_shm,
    ngx_http_secauth_store_shm_no_users,
    ngx_http_secauth_store_shm_no_users,
    ngx_http_secauth_limit_take_shm,        /* each limit zone's own */
    ngx_http_secauth_login_attempt_shm,     /* the throttle's own zone */
    ngx_http_secauth_login_reset_shm,
    ngx_http_secauth_login_release_shm,
    ngx_http_secauth_family_create_shm,
    ngx_http_secauth_family_rotate_shm,
    ngx_http_secauth_family_revoke_shm,
    ngx_http_secauth_store_shm_user_list,
    ngx_http_secauth_store_shm_cancel,
    ngx_http_secauth_once_put_shm,
    ngx_http_secauth_once_consume_shm,
    ngx_http_secauth_counter_advance_shm,
    ngx_http_secauth_value_get_shm
};


/*
 * what each kind of zone holds, in the engine's log lines; a zone name is
 * for one of them only (the engine compares the pointers)
 */
static const char  *ngx_http_secauth_store_shm_purposes[] = {
    "sessions and tokens",                  /* ..._STORE_ZONE_STATE */
    "rate limits",                          /* ..._STORE_ZONE_LIMITS */
    "login attempts"                        /* ..._STORE_ZONE_ATTEMPTS */
};


ngx_shm_zone_t *
ngx_http_secauth_store_zone_add(ngx_conf_t *cf, ngx_str_t *name, size_t size,
    ngx_http_secauth_store_zone_kind_e kind)
{
    if ((ngx_uint_t) kind >= sizeof(ngx_http_secauth_store_shm_purposes)
                             / sizeof(ngx_http_secauth_store_shm_purposes[0]))
    {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, 0,
                           "secauth: invalid kind %d of zone \"%V\"",
                           (int) kind, name);
        return NULL;
    }

    return ngx_http_secauth_shm_zone_add(cf, name, size,
                                ngx_http_secauth_store_shm_purposes[kind]);
}


ngx_int_t
ngx_http_secauth_store_zone_state_arg(ngx_conf_t *cf, ngx_str_t *value,
    ngx_str_t *path, ngx_msec_t *sync)
{
    ngx_str_t  s;

    if (value->len > 6 && ngx_strncmp(value->data, "state=", 6) == 0) {
        if (path->data) {
            goto invalid;
        }

        path->data = value->data + 6;
        path->len = value->len - 6;

        return NGX_OK;
    }

    if (ngx_strncmp(value->data, "sync=", 5) == 0) {
        s.data = value->data + 5;
        s.len = value->len - 5;

        if (*sync != NGX_CONF_UNSET_MSEC) {
            goto invalid;
        }

        *sync = ngx_parse_time(&s, 0);

        if (*sync == (ngx_msec_t) NGX_ERROR || *sync < 10
            || *sync > 3600 * 1000)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"%V\": from 10ms to 1h", value);
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    return NGX_DECLINED;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "duplicate \"%V\"", value);

    return NGX_ERROR;
}


ngx_int_t
ngx_http_secauth_store_zone_state(ngx_conf_t *cf, ngx_shm_zone_t *zone,
    ngx_str_t *path, ngx_msec_t sync)
{
    if (path->data == NULL) {
        if (sync != NGX_CONF_UNSET_MSEC) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "sync= needs state=");
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    return ngx_http_secauth_shm_zone_state(cf, zone, path,
                               sync == NGX_CONF_UNSET_MSEC
                               ? NGX_HTTP_SECAUTH_STORE_SYNC_DEFAULT : sync);
}


ngx_flag_t
ngx_http_secauth_store_zone_durable(ngx_shm_zone_t *zone)
{
    return ngx_http_secauth_shm_zone_durable(zone);
}


ngx_int_t
ngx_http_secauth_store_shm_init(ngx_http_secauth_store_t *st,
    ngx_shm_zone_t *zone)
{
    ngx_http_secauth_shm_t  *shm;

    shm = ngx_http_secauth_shm_get(zone);
    if (shm == NULL) {
        return NGX_ERROR;
    }

    st->ops = &ngx_http_secauth_store_shm_ops;
    st->data = shm;

    return NGX_OK;
}


/*
 * The sessions of a user: a USER record keyed by the user name is the
 * parent of the user's SESSION records. So "log out everywhere" deletes
 * exactly the sessions that still exist, whatever expired or was evicted
 * meanwhile; a user has at most NGX_HTTP_SECAUTH_SHM_CHILDREN_MAX (256)
 * sessions, and a new one beyond that ends the user's oldest session.
 * The USER record lives as long as it has sessions, then until the expiry
 * of its latest session put.
 */

static ngx_int_t
ngx_http_secauth_store_shm_session_get(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    size_t                        len;
    ngx_int_t                     rc;
    ngx_http_secauth_shm_t       *shm;
    ngx_http_secauth_shm_node_t  *n;
    u_char                        buf[NGX_HTTP_SECAUTH_SHM_SESSION_MAX];

    shm = st->data;

    ngx_http_secauth_shm_lock(shm);

    n = ngx_http_secauth_shm_lookup(shm, NGX_HTTP_SECAUTH_SHM_SESSION,
                                    op->key, NGX_HTTP_SECAUTH_KEY_LEN);

    if (n == NULL) {
        ngx_http_secauth_shm_unlock(shm);

        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, op->log, 0,
                       "secauth shm session get: not found");

        op->rc = NGX_DECLINED;
        return NGX_OK;
    }

    len = ngx_min(n->value_len, sizeof(buf));
    ngx_memcpy(buf, ngx_http_secauth_shm_value(n), len);

    ngx_http_secauth_shm_unlock(shm);

    rc = ngx_http_secauth_store_shm_session_decode(buf, len, op->pool,
                                                   &op->session);
    if (rc == NGX_DECLINED) {
        goto invalid;
    }

    if (rc == NGX_ERROR) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, op->log, 0,
                   "secauth shm session get: \"%V\"", &op->session.user);

    op->rc = NGX_OK;
    return NGX_OK;

invalid:

    ngx_log_error(NGX_LOG_ALERT, op->log, 0,
                  "secauth: invalid session record in zone \"%V\"",
                  ngx_http_secauth_shm_name(shm));

    op->rc = NGX_ERROR;
    return NGX_OK;
}


/*
 * a session record's value: the fixed fields, then the user and the
 * address; NGX_DECLINED when it is not one
 */

static ngx_int_t
ngx_http_secauth_store_shm_session_decode(u_char *buf, size_t len,
    ngx_pool_t *pool, ngx_http_secauth_session_t *session)
{
    ngx_http_secauth_shm_session_t  s;

    if (len < sizeof(ngx_http_secauth_shm_session_t)) {
        return NGX_DECLINED;
    }

    ngx_memcpy(&s, buf, sizeof(ngx_http_secauth_shm_session_t));

    if (len != sizeof(ngx_http_secauth_shm_session_t) + s.user_len + s.ip_len
        || s.user_len == 0)
    {
        return NGX_DECLINED;
    }

    buf += sizeof(ngx_http_secauth_shm_session_t);
    len -= sizeof(ngx_http_secauth_shm_session_t);

    session->user.data = ngx_pnalloc(pool, len);
    if (session->user.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(session->user.data, buf, len);
    session->user.len = s.user_len;

    session->ip.len = s.ip_len;
    session->ip.data = session->user.data + s.user_len;

    session->created = (time_t) s.created;
    session->last_seen = (time_t) s.last_seen;
    session->level = (ngx_uint_t) s.level;
    session->pwv = (ngx_uint_t) s.pwv;

    return NGX_OK;
}


static ngx_int_t
ngx_http_secauth_store_shm_session_put(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    u_char                          *p;
    size_t                           len;
    time_t                           expire;
    ngx_uint_t                       created;
    ngx_http_secauth_shm_t          *shm;
    ngx_http_secauth_shm_node_t     *user, *n;
    ngx_http_secauth_shm_session_t   s;
    u_char                           buf[NGX_HTTP_SECAUTH_SHM_SESSION_MAX];

    if (ngx_http_secauth_store_shm_check_user(op) != NGX_OK) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    if (op->ttl <= 0) {
        ngx_log_error(NGX_LOG_ALERT, op->log, 0,
                      "secauth: invalid session ttl %T", op->ttl);
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    if (op->session.ip.len > NGX_HTTP_SECAUTH_SESSION_IP_MAX) {
        ngx_log_error(NGX_LOG_ALERT, op->log, 0,
                      "secauth: invalid ip length %uz for a session",
                      op->session.ip.len);
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    ngx_memzero(&s, sizeof(ngx_http_secauth_shm_session_t));

    s.created = op->session.created;
    s.last_seen = op->session.last_seen;
    s.level = op->session.level;
    s.pwv = op->session.pwv;
    s.user_len = (uint16_t) op->session.user.len;
    s.ip_len = (uint16_t) op->session.ip.len;

    p = ngx_cpymem(buf, &s, sizeof(ngx_http_secauth_shm_session_t));
    p = ngx_cpymem(p, op->session.user.data, op->session.user.len);
    p = ngx_cpymem(p, op->session.ip.data, op->session.ip.len);

    len = p - buf;
    expire = ngx_time() + op->ttl;
    created = 0;

    shm = st->data;

    ngx_http_secauth_shm_lock(shm);

    user = ngx_http_secauth_shm_lookup(shm, NGX_HTTP_SECAUTH_SHM_USER,
                                       op->session.user.data,
                                       op->session.user.len);

    if (user == NULL) {
        user = ngx_http_secauth_shm_set(shm, NGX_HTTP_SECAUTH_SHM_USER,
                                        op->session.user.data,
                                        op->session.user.len, NULL, 0,
                                        expire, NULL);
        if (user == NULL) {
            goto failed;
        }

        created = 1;

    } else if (user->expire < expire) {
        ngx_http_secauth_shm_set_expire(shm, user, expire);
    }

    n = ngx_http_secauth_shm_set(shm, NGX_HTTP_SECAUTH_SHM_SESSION, op->key,
                                 NGX_HTTP_SECAUTH_KEY_LEN, buf, len, expire,
                                 user);
    if (n == NULL) {
        if (created && user->nchildren == 0) {
            ngx_http_secauth_shm_delete(shm, user);
        }

        goto failed;
    }

    ngx_http_secauth_shm_unlock(shm);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, op->log, 0,
                   "secauth shm session put: \"%V\"", &op->session.user);

    op->rc = NGX_OK;
    return NGX_OK;

failed:

    /* the reason is logged by unlock, once in a while */

    ngx_http_secauth_shm_unlock(shm);

    op->rc = NGX_ERROR;
    return NGX_OK;
}


/* last_seen from op->session.last_seen, or now when it is 0 */

static ngx_int_t
ngx_http_secauth_store_shm_session_touch(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    time_t                           now, expire;
    ngx_int_t                        rc;
    ngx_http_secauth_shm_t          *shm;
    ngx_http_secauth_shm_node_t     *n;
    ngx_http_secauth_shm_session_t  *s;

    if (op->ttl <= 0) {
        ngx_log_error(NGX_LOG_ALERT, op->log, 0,
                      "secauth: invalid session ttl %T", op->ttl);
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    now = ngx_time();
    expire = now + op->ttl;

    shm = st->data;

    ngx_http_secauth_shm_lock(shm);

    n = ngx_http_secauth_shm_lookup(shm, NGX_HTTP_SECAUTH_SHM_SESSION,
                                    op->key, NGX_HTTP_SECAUTH_KEY_LEN);

    if (n == NULL) {
        rc = NGX_DECLINED;

    } else if (n->value_len < sizeof(ngx_http_secauth_shm_session_t)) {
        rc = NGX_ERROR;

    } else {
        s = (ngx_http_secauth_shm_session_t *) ngx_http_secauth_shm_value(n);
        s->last_seen = op->session.last_seen ? op->session.last_seen : now;

        ngx_http_secauth_shm_set_expire(shm, n, expire);

        if (n->parent && n->parent->expire < expire) {
            ngx_http_secauth_shm_set_expire(shm, n->parent, expire);
        }

        rc = NGX_OK;
    }

    ngx_http_secauth_shm_unlock(shm);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, op->log, 0,
                   "secauth shm session touch: %i", rc);

    if (rc == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, op->log, 0,
                      "secauth: invalid session record in zone \"%V\"",
                      ngx_http_secauth_shm_name(shm));
    }

    op->rc = rc;
    return NGX_OK;
}


static ngx_int_t
ngx_http_secauth_store_shm_session_delete(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    ngx_http_secauth_shm_t       *shm;
    ngx_http_secauth_shm_node_t  *n, *user;

    shm = st->data;

    ngx_http_secauth_shm_lock(shm);

    n = ngx_http_secauth_shm_lookup(shm, NGX_HTTP_SECAUTH_SHM_SESSION,
                                    op->key, NGX_HTTP_SECAUTH_KEY_LEN);

    if (n == NULL) {
        ngx_http_secauth_shm_unlock(shm);

        op->count = 0;
        op->rc = NGX_DECLINED;
        return NGX_OK;
    }

    user = n->parent;

    ngx_http_secauth_shm_delete(shm, n);

    if (user && user->nchildren == 0) {
        ngx_http_secauth_shm_delete(shm, user);
    }

    ngx_http_secauth_shm_unlock(shm);

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, op->log, 0,
                   "secauth shm session delete");

    op->count = 1;
    op->rc = NGX_OK;
    return NGX_OK;
}


/* NGX_DECLINED when the user had no live session */

static ngx_int_t
ngx_http_secauth_store_shm_session_delete_user(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    ngx_uint_t                    count;
    ngx_http_secauth_shm_t       *shm;
    ngx_http_secauth_shm_node_t  *user;

    if (ngx_http_secauth_store_shm_check_user(op) != NGX_OK) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    shm = st->data;

    ngx_http_secauth_shm_lock(shm);

    user = ngx_http_secauth_shm_lookup(shm, NGX_HTTP_SECAUTH_SHM_USER,
                                       op->session.user.data,
                                       op->session.user.len);

    count = user ? ngx_http_secauth_shm_delete(shm, user) : 0;

    ngx_http_secauth_shm_unlock(shm);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, op->log, 0,
                   "secauth shm session delete user: \"%V\" %ui",
                   &op->session.user, count);

    op->count = count;
    op->rc = count ? NGX_OK : NGX_DECLINED;
    return NGX_OK;
}


/* the user's live sessions and families: children of the user's record */

static ngx_int_t
ngx_http_secauth_store_shm_user_list(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    time_t                        now;
    ngx_int_t                     rc;
    ngx_uint_t                    families;
    ngx_queue_t                  *q;
    ngx_http_secauth_shm_t       *shm;
    ngx_http_secauth_session_t   *s;
    ngx_http_secauth_shm_node_t  *user, *n;

    if (ngx_http_secauth_store_shm_check_user(op) != NGX_OK) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    op->sessions = ngx_array_create(op->pool, 4,
                                    sizeof(ngx_http_secauth_session_t));
    if (op->sessions == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    shm = st->data;
    now = ngx_time();
    families = 0;
    rc = NGX_OK;

    ngx_http_secauth_shm_lock(shm);

    user = ngx_http_secauth_shm_lookup(shm, NGX_HTTP_SECAUTH_SHM_USER,
                                       op->session.user.data,
                                       op->session.user.len);

    for (q = user ? ngx_queue_head(&user->children) : NULL;
         q && q != ngx_queue_sentinel(&user->children);
         q = ngx_queue_next(q))
    {
        n = ngx_queue_data(q, ngx_http_secauth_shm_node_t, sibling);

        if (n->expire && n->expire <= now) {
            continue;
        }

        if (n->kind == NGX_HTTP_SECAUTH_SHM_FAMILY) {
            families++;
            continue;
        }

        if (n->kind != NGX_HTTP_SECAUTH_SHM_SESSION
            || op->sessions->nelts >= NGX_HTTP_SECAUTH_LIST_MAX)
        {
            continue;
        }

        s = ngx_array_push(op->sessions);
        if (s == NULL) {
            rc = NGX_ERROR;
            break;
        }

        ngx_memzero(s, sizeof(ngx_http_secauth_session_t));

        rc = ngx_http_secauth_store_shm_session_decode(
                                            ngx_http_secauth_shm_value(n),
                                            n->value_len, op->pool, s);
        if (rc == NGX_DECLINED) {
            op->sessions->nelts--;
            rc = NGX_OK;

        } else if (rc == NGX_ERROR) {
            break;
        }
    }

    ngx_http_secauth_shm_unlock(shm);

    op->count = families;
    op->rc = (rc == NGX_ERROR) ? NGX_ERROR
             : (op->sessions->nelts || families) ? NGX_OK : NGX_DECLINED;

    return NGX_OK;
}


/* user records live in a file or in Redis, never in the zone */

static ngx_int_t
ngx_http_secauth_store_shm_no_users(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    op->rc = NGX_ERROR;
    return NGX_OK;
}


/* every operation completes before returning: nothing to cancel */

static void
ngx_http_secauth_store_shm_cancel(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
}


static ngx_int_t
ngx_http_secauth_store_shm_check_user(ngx_http_secauth_store_op_t *op)
{
    if (op->session.user.len == 0
        || op->session.user.len > NGX_HTTP_SECAUTH_USER_MAX)
    {
        ngx_log_error(NGX_LOG_ALERT, op->log, 0,
                      "secauth: invalid user length %uz for a session",
                      op->session.user.len);
        return NGX_ERROR;
    }

    return NGX_OK;
}
