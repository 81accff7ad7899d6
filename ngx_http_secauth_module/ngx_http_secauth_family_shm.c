
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_secauth_store.h"
#include "ngx_http_secauth_store_shm.h"


/*
 * Refresh-token families and revoked tokens in the shared memory zone
 * (the store interface, ngx_http_secauth_store.h). A family is a child of
 * its user's record, as sessions are, so that "log out everywhere" takes
 * both; an evicted family is a revoked one (its tokens are refused, the
 * client logs in again). The revoked set is here too: a token the module
 * issued is revoked also when its family is gone.
 */


/*
 * The value of a family record. level was added at the end: a record of
 * before it (in a zone kept across a reload, or in a state file) is the
 * same bytes without that field, offsetof(level) long (uint64_t, so that
 * the old size with its padding is exactly that offset), and reads as a
 * password login. The records version stays the same; an older module
 * finds the longer value unknown: its tokens' refresh is refused.
 */
typedef struct {
    int64_t                       exp;
    uint64_t                      pwv;
    uint32_t                      cur_len;
    u_char                        cur[NGX_HTTP_SECAUTH_ID_MAX];
    uint64_t                      level;
} ngx_http_secauth_shm_family_t;

#define NGX_HTTP_SECAUTH_SHM_FAMILY_OLD                                       \
    offsetof(ngx_http_secauth_shm_family_t, level)


static ngx_int_t ngx_http_secauth_family_shm_valid(
    ngx_http_secauth_store_op_t *op);
static ngx_http_secauth_shm_family_t *ngx_http_secauth_family_shm_get(
    ngx_http_secauth_shm_t *shm, ngx_str_t *id, ngx_str_t *user,
    ngx_http_secauth_shm_node_t **node);
static ngx_int_t ngx_http_secauth_family_shm_exists(
    ngx_http_secauth_shm_t *shm, ngx_http_secauth_store_op_t *op);


ngx_int_t
ngx_http_secauth_family_create_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    ngx_uint_t                      created;
    ngx_http_secauth_shm_t         *shm;
    ngx_http_secauth_family_t      *f;
    ngx_http_secauth_shm_node_t    *user, *n;
    ngx_http_secauth_shm_family_t   v;

    f = op->family;

    if (ngx_http_secauth_family_shm_valid(op) != NGX_OK
        || f->jti.len > NGX_HTTP_SECAUTH_ID_MAX || f->exp <= ngx_time())
    {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    ngx_memzero(&v, sizeof(ngx_http_secauth_shm_family_t));
    v.exp = f->exp;
    v.pwv = f->pwv;
    v.level = f->level;
    v.cur_len = (uint32_t) f->jti.len;
    ngx_memcpy(v.cur, f->jti.data, f->jti.len);

    shm = st->data;
    created = 0;

    ngx_http_secauth_shm_lock(shm);

    user = ngx_http_secauth_shm_lookup(shm, NGX_HTTP_SECAUTH_SHM_USER,
                                       op->session.user.data,
                                       op->session.user.len);
    if (user == NULL) {
        user = ngx_http_secauth_shm_set(shm, NGX_HTTP_SECAUTH_SHM_USER,
                                        op->session.user.data,
                                        op->session.user.len, NULL, 0,
                                        f->exp, NULL);
        if (user == NULL) {
            goto failed;
        }

        created = 1;

    } else if (user->expire && user->expire < f->exp) {
        ngx_http_secauth_shm_set_expire(shm, user, f->exp);
    }

    n = ngx_http_secauth_shm_set(shm, NGX_HTTP_SECAUTH_SHM_FAMILY,
                                 f->id.data, f->id.len, (u_char *) &v,
                                 sizeof(ngx_http_secauth_shm_family_t),
                                 f->exp, user);
    if (n == NULL) {
        if (created && user->nchildren == 0) {
            ngx_http_secauth_shm_delete(shm, user);
        }

        goto failed;
    }

    ngx_http_secauth_shm_unlock(shm);

    op->rc = NGX_OK;
    return NGX_OK;

failed:

    /* the reason is logged by unlock, once in a while */

    ngx_http_secauth_shm_unlock(shm);

    op->rc = NGX_ERROR;
    return NGX_OK;
}


/* spent and replaced under the zone's lock: one of parallel calls wins */

ngx_int_t
ngx_http_secauth_family_rotate_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    ngx_http_secauth_shm_t         *shm;
    ngx_http_secauth_family_t      *f;
    ngx_http_secauth_shm_node_t    *n;
    ngx_http_secauth_shm_family_t  *v;

    f = op->family;

    if (ngx_http_secauth_family_shm_valid(op) != NGX_OK
        || f->next.len > NGX_HTTP_SECAUTH_ID_MAX)
    {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    shm = st->data;

    ngx_http_secauth_shm_lock(shm);

    v = ngx_http_secauth_family_shm_get(shm, &f->id, &op->session.user, &n);

    if (v == NULL) {
        op->count = NGX_HTTP_SECAUTH_FAMILY_UNKNOWN;
        op->rc = NGX_DECLINED;

    } else if (v->cur_len != f->jti.len
               || ngx_memcmp(v->cur, f->jti.data, f->jti.len) != 0)
    {
        /* a spent token: whoever presents it, the family is over */

        ngx_http_secauth_shm_delete(shm, n);

        op->count = NGX_HTTP_SECAUTH_FAMILY_REUSED;
        op->rc = NGX_DECLINED;

    } else {
        v->cur_len = (uint32_t) f->next.len;
        ngx_memcpy(v->cur, f->next.data, f->next.len);
        ngx_http_secauth_shm_changed(shm, n);

        f->exp = (time_t) v->exp;
        f->pwv = (ngx_uint_t) v->pwv;
        f->level = (n->value_len == sizeof(ngx_http_secauth_shm_family_t))
                   ? (ngx_uint_t) v->level : 1;

        op->rc = NGX_OK;
    }

    ngx_http_secauth_shm_unlock(shm);

    return NGX_OK;
}


ngx_int_t
ngx_http_secauth_family_revoke_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    ngx_http_secauth_shm_t       *shm;
    ngx_http_secauth_shm_node_t  *n;

    if (op->family->id.len == 0
        || op->family->id.len > NGX_HTTP_SECAUTH_ID_MAX)
    {
        op->rc = NGX_DECLINED;
        return NGX_OK;
    }

    shm = st->data;

    ngx_http_secauth_shm_lock(shm);

    n = ngx_http_secauth_shm_lookup(shm, NGX_HTTP_SECAUTH_SHM_FAMILY,
                                    op->family->id.data,
                                    op->family->id.len);
    if (n) {
        ngx_http_secauth_shm_delete(shm, n);
    }

    ngx_http_secauth_shm_unlock(shm);

    op->count = n ? 1 : 0;
    op->rc = n ? NGX_OK : NGX_DECLINED;

    return NGX_OK;
}


ngx_int_t
ngx_http_secauth_revoked_check_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    ngx_http_secauth_shm_t       *shm;
    ngx_http_secauth_shm_node_t  *n;

    shm = st->data;

    ngx_http_secauth_shm_lock(shm);

    n = ngx_http_secauth_shm_lookup(shm, NGX_HTTP_SECAUTH_SHM_REVOKED,
                                    op->key, NGX_HTTP_SECAUTH_KEY_LEN);

    /* a token the module issued also needs its family */

    op->rc = (n || (op->family
                    && ngx_http_secauth_family_shm_exists(shm, op)
                       != NGX_OK))
             ? NGX_OK : NGX_DECLINED;

    ngx_http_secauth_shm_unlock(shm);

    return NGX_OK;
}


/*
 * Revoked entries compete with sessions for room in the zone: one evicted
 * would let its token in again until the token expires. Size the zone for
 * it, or use Redis (docs/directives.md, secauth_zone).
 */

ngx_int_t
ngx_http_secauth_revoke_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    u_char                        one;
    ngx_http_secauth_shm_t       *shm;
    ngx_http_secauth_shm_node_t  *n;

    shm = st->data;
    one = 1;

    if (op->ttl <= 0) {
        op->rc = NGX_OK;
        return NGX_OK;
    }

    ngx_http_secauth_shm_lock(shm);

    n = ngx_http_secauth_shm_set(shm, NGX_HTTP_SECAUTH_SHM_REVOKED, op->key,
                                 NGX_HTTP_SECAUTH_KEY_LEN, &one, 1,
                                 ngx_time() + op->ttl, NULL);

    ngx_http_secauth_shm_unlock(shm);

    op->rc = n ? NGX_OK : NGX_ERROR;

    return NGX_OK;
}


/* called locked: whether the family of a token still exists */

static ngx_int_t
ngx_http_secauth_family_shm_exists(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_store_op_t *op)
{
    ngx_http_secauth_shm_node_t  *n;

    if (op->family->id.len == 0
        || op->family->id.len > NGX_HTTP_SECAUTH_ID_MAX)
    {
        return NGX_DECLINED;
    }

    return ngx_http_secauth_family_shm_get(shm, &op->family->id,
                                           &op->session.user, &n)
           ? NGX_OK : NGX_DECLINED;
}


static ngx_int_t
ngx_http_secauth_family_shm_valid(ngx_http_secauth_store_op_t *op)
{
    ngx_http_secauth_family_t  *f = op->family;

    if (op->session.user.len == 0
        || op->session.user.len > NGX_HTTP_SECAUTH_USER_MAX
        || f->id.len == 0 || f->id.len > NGX_HTTP_SECAUTH_ID_MAX
        || f->jti.len == 0 || f->jti.len > NGX_HTTP_SECAUTH_ID_MAX)
    {
        ngx_log_error(NGX_LOG_ALERT, op->log, 0,
                      "secauth: invalid token family for the zone");
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the family's value, if it exists and belongs to user */

static ngx_http_secauth_shm_family_t *
ngx_http_secauth_family_shm_get(ngx_http_secauth_shm_t *shm, ngx_str_t *id,
    ngx_str_t *user, ngx_http_secauth_shm_node_t **node)
{
    ngx_http_secauth_shm_node_t  *n;

    n = ngx_http_secauth_shm_lookup(shm, NGX_HTTP_SECAUTH_SHM_FAMILY,
                                    id->data, id->len);

    if (n == NULL
        || (n->value_len != sizeof(ngx_http_secauth_shm_family_t)
            && n->value_len != NGX_HTTP_SECAUTH_SHM_FAMILY_OLD)
        || n->parent == NULL
        || n->parent->key_len != user->len
        || ngx_memcmp(ngx_http_secauth_shm_key(n->parent), user->data,
                      user->len)
           != 0)
    {
        return NULL;
    }

    *node = n;

    return (ngx_http_secauth_shm_family_t *) ngx_http_secauth_shm_value(n);
}
