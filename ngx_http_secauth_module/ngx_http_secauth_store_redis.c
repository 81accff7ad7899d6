
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_secauth_store.h"
#include "ngx_http_secauth_store_redis.h"
#include "ngx_http_secauth_store_record.h"


/*
 * The store on Redis. Keys (docs/sessions.md):
 *
 *   <prefix>session:<hex SHA-256 of the cookie value>   string, JSON record
 *   <prefix>user_sessions:<user>                        set of those hexes
 *   <prefix>revoked:<hex SHA-256 of iss "\n" jti>       string "1", TTL
 *   <prefix>user:<name>                                 hash, fields password,
 *                                                       pwv
 *   <prefix>family:<id>                                 hash, fields user,
 *                                                       cur, pwv, exp,
 *                                                       level; TTL
 *   <prefix>user_families:<user>                        set of those ids
 *   <prefix>limit:<zone>:<hex of the key>               string, TAT in us
 *   <prefix>login_attempts:<user>                       counter, TTL forget
 *   <prefix>login_lock:<user>                           string "1", PX lock
 *   <prefix>once:<hex>, <prefix>counter:<hex>           see _store_redis_once.c
 *
 * Single-key reads and writes are plain commands; anything touching two
 * keys, or deciding on what it reads, is a Lua script, so that it is
 * atomic (ngx_http_secauth_store_redis_script.c).
 *
 * This file: the ops table, init, and the ops of sessions, users and
 * tokens; the others, the reply handlers and the keys are in the files
 * that ngx_http_secauth_store_redis.h lists.
 */


static ngx_int_t ngx_http_secauth_store_redis_get(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_redis_put(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_redis_touch(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_redis_delete(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_redis_delete_user(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_redis_revoked_check(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_redis_revoke(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_redis_user_get(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_redis_user_set_password(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_redis_family_create(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_redis_family_rotate(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_redis_family_revoke(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_redis_user_list(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_redis_user_script(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op,
    ngx_int_t script, ngx_http_secauth_redis_handler_pt handler);


ngx_http_secauth_store_ops_t  ngx_http_secauth_store_redis_ops = {
    ngx_http_secauth_store_redis_get,
    ngx_http_secauth_store_redis_put,
    ngx_http_secauth_store_redis_touch,
    ngx_http_secauth_store_redis_delete,
    ngx_http_secauth_store_redis_delete_user,
    ngx_http_secauth_store_redis_revoked_check,
    ngx_http_secauth_store_redis_revoke,
    ngx_http_secauth_store_redis_user_get,
    ngx_http_secauth_store_redis_user_set_password,
    ngx_http_secauth_store_redis_limit_take,
    ngx_http_secauth_store_redis_login_attempt,
    ngx_http_secauth_store_redis_login_reset,
    ngx_http_secauth_store_redis_login_release,
    ngx_http_secauth_store_redis_family_create,
    ngx_http_secauth_store_redis_family_rotate,
    ngx_http_secauth_store_redis_family_revoke,
    ngx_http_secauth_store_redis_user_list,
    ngx_http_secauth_store_redis_cancel,
    ngx_http_secauth_store_redis_once_put,
    ngx_http_secauth_store_redis_once_consume,
    ngx_http_secauth_store_redis_counter_advance,
    ngx_http_secauth_store_redis_value_get
};


ngx_int_t
ngx_http_secauth_store_redis_init(ngx_http_secauth_store_t *st,
    ngx_cycle_t *cycle, ngx_http_secauth_redis_conf_t *conf)
{
    ngx_http_secauth_store_redis_t  *sr;

    sr = ngx_pcalloc(cycle->pool, sizeof(ngx_http_secauth_store_redis_t));
    if (sr == NULL) {
        return NGX_ERROR;
    }

    sr->conf = conf;
    sr->redis = ngx_http_secauth_redis_create(cycle, conf,
                                    ngx_http_secauth_store_redis_scripts,
                                    ngx_http_secauth_store_redis_nscripts);
    if (sr->redis == NULL) {
        return NGX_ERROR;
    }

    st->ops = &ngx_http_secauth_store_redis_ops;
    st->data = sr;

    return NGX_OK;
}


void
ngx_http_secauth_store_redis_done(ngx_http_secauth_store_t *st)
{
    ngx_http_secauth_store_redis_t  *sr = st->data;

    ngx_http_secauth_redis_destroy(sr->redis);
}


static ngx_int_t
ngx_http_secauth_store_redis_get(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    size_t                           argvlen[3];
    const char                      *argv[3];
    ngx_http_secauth_store_redis_t  *sr = st->data;

    argv[0] = "GET";
    argvlen[0] = 3;
    argv[1] = ngx_http_secauth_store_redis_session_key(op->pool,
                                                       &sr->conf->prefix,
                                                       op->key, &argvlen[1]);
    if (argv[1] == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    if (!op->check_pwv) {
        return ngx_http_secauth_store_redis_start(st, op, -1,
                                      ngx_http_secauth_store_redis_get_done,
                                      2, argv, argvlen);
    }

    /* one round trip still: a script that also reads the user's version */

    argv[0] = "1";
    argvlen[0] = 1;
    argv[2] = (const char *) sr->conf->prefix.data;
    argvlen[2] = sr->conf->prefix.len;

    return ngx_http_secauth_store_redis_start(st, op,
                                      NGX_HTTP_SECAUTH_SCRIPT_SESSION_GET,
                                      ngx_http_secauth_store_redis_get_done,
                                      3, argv, argvlen);
}


static ngx_int_t
ngx_http_secauth_store_redis_put(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    u_char                           ttl[NGX_TIME_T_LEN];
    u_char                           hex[2 * NGX_HTTP_SECAUTH_KEY_LEN];
    size_t                           argvlen[7];
    ngx_str_t                        record;
    const char                      *argv[7];
    ngx_http_secauth_store_redis_t  *sr = st->data;

    if (ngx_http_secauth_store_record_encode(op->pool, &op->session, &record)
        != NGX_OK)
    {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    argv[0] = "2";
    argvlen[0] = 1;
    argv[1] = ngx_http_secauth_store_redis_session_key(op->pool,
                                                       &sr->conf->prefix,
                                                       op->key, &argvlen[1]);
    argv[2] = ngx_http_secauth_store_redis_user_key(op->pool, &sr->conf->prefix,
                                                    &op->session.user,
                                                    &argvlen[2]);
    if (argv[1] == NULL || argv[2] == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    argv[3] = (const char *) record.data;
    argvlen[3] = record.len;
    argv[4] = (const char *) ttl;
    argvlen[4] = ngx_sprintf(ttl, "%T", op->ttl) - ttl;
    ngx_hex_dump(hex, op->key, NGX_HTTP_SECAUTH_KEY_LEN);
    argv[5] = (const char *) hex;
    argvlen[5] = sizeof(hex);
    argv[6] = (const char *) sr->conf->prefix.data;
    argvlen[6] = sr->conf->prefix.len;

    return ngx_http_secauth_store_redis_start(st, op,
                                      NGX_HTTP_SECAUTH_SCRIPT_SESSION_PUT,
                                      ngx_http_secauth_store_redis_status_done,
                                      7, argv, argvlen);
}


/* SET ... XX: a session deleted meanwhile is not brought back */

static ngx_int_t
ngx_http_secauth_store_redis_touch(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    u_char                           ttl[NGX_TIME_T_LEN];
    size_t                           argvlen[6];
    ngx_str_t                        record;
    const char                      *argv[6];
    ngx_http_secauth_store_redis_t  *sr = st->data;

    if (ngx_http_secauth_store_record_encode(op->pool, &op->session, &record)
        != NGX_OK)
    {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    argv[0] = "SET";
    argvlen[0] = 3;
    argv[1] = ngx_http_secauth_store_redis_session_key(op->pool,
                                                       &sr->conf->prefix,
                                                       op->key, &argvlen[1]);
    if (argv[1] == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    argv[2] = (const char *) record.data;
    argvlen[2] = record.len;
    argv[3] = "EX";
    argvlen[3] = 2;
    argv[4] = (const char *) ttl;
    argvlen[4] = ngx_sprintf(ttl, "%T", op->ttl) - ttl;
    argv[5] = "XX";
    argvlen[5] = 2;

    return ngx_http_secauth_store_redis_start(st, op, -1,
                                      ngx_http_secauth_store_redis_status_done,
                                      6, argv, argvlen);
}


static ngx_int_t
ngx_http_secauth_store_redis_delete(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    int                              argc;
    u_char                           hex[2 * NGX_HTTP_SECAUTH_KEY_LEN];
    size_t                           argvlen[4];
    const char                      *argv[4];
    ngx_http_secauth_store_redis_t  *sr = st->data;

    argc = 0;
    argv[argc] = op->session.user.len ? "2" : "1";
    argvlen[argc++] = 1;

    argv[argc] = ngx_http_secauth_store_redis_session_key(op->pool,
                                                          &sr->conf->prefix,
                                                          op->key,
                                                          &argvlen[argc]);
    if (argv[argc++] == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    if (op->session.user.len) {
        argv[argc] = ngx_http_secauth_store_redis_user_key(op->pool,
                                                           &sr->conf->prefix,
                                                           &op->session.user,
                                                           &argvlen[argc]);
        if (argv[argc++] == NULL) {
            op->rc = NGX_ERROR;
            return NGX_OK;
        }
    }

    ngx_hex_dump(hex, op->key, NGX_HTTP_SECAUTH_KEY_LEN);
    argv[argc] = (const char *) hex;
    argvlen[argc++] = sizeof(hex);

    return ngx_http_secauth_store_redis_start(st, op,
                                      NGX_HTTP_SECAUTH_SCRIPT_SESSION_DEL,
                                      ngx_http_secauth_store_redis_count_done,
                                      argc, argv, argvlen);
}


static ngx_int_t
ngx_http_secauth_store_redis_delete_user(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    return ngx_http_secauth_store_redis_user_script(st, op,
                                      NGX_HTTP_SECAUTH_SCRIPT_SESSION_DEL_ALL,
                                      ngx_http_secauth_store_redis_count_done);
}


static ngx_int_t
ngx_http_secauth_store_redis_user_list(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    return ngx_http_secauth_store_redis_user_script(st, op,
                                      NGX_HTTP_SECAUTH_SCRIPT_USER_LIST,
                                      ngx_http_secauth_store_redis_list_done);
}


/*
 * A script on everything of user op->session.user. KEYS: the user's
 * session index, family index; ARGV: prefix, the most records to return.
 */

static ngx_int_t
ngx_http_secauth_store_redis_user_script(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op, ngx_int_t script,
    ngx_http_secauth_redis_handler_pt handler)
{
    size_t                           argvlen[5];
    const char                      *argv[5];
    ngx_http_secauth_store_redis_t  *sr = st->data;

    static char  max[] = ngx_value(NGX_HTTP_SECAUTH_LIST_MAX);

    argv[0] = "2";
    argvlen[0] = 1;
    argv[1] = ngx_http_secauth_store_redis_user_key(op->pool, &sr->conf->prefix,
                                                    &op->session.user,
                                                    &argvlen[1]);
    argv[2] = ngx_http_secauth_store_redis_name_key(op->pool, &sr->conf->prefix,
                                                    "user_families:",
                                                    &op->session.user,
                                                    &argvlen[2]);
    if (argv[1] == NULL || argv[2] == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    argv[3] = (const char *) sr->conf->prefix.data;
    argvlen[3] = sr->conf->prefix.len;
    argv[4] = max;
    argvlen[4] = sizeof(max) - 1;

    return ngx_http_secauth_store_redis_start(st, op, script, handler, 5,
                                              argv, argvlen);
}


static ngx_int_t
ngx_http_secauth_store_redis_revoked_check(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    size_t                           argvlen[5];
    const char                      *argv[5];
    ngx_http_secauth_store_redis_t  *sr = st->data;

    argv[0] = "EXISTS";
    argvlen[0] = 6;
    argv[1] = ngx_http_secauth_store_redis_hash_key(op->pool, &sr->conf->prefix,
                                                    "revoked:", op->key,
                                                    &argvlen[1]);
    if (argv[1] == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    if (op->family == NULL) {
        return ngx_http_secauth_store_redis_start(st, op, -1,
                                      ngx_http_secauth_store_redis_exists_done,
                                      2, argv, argvlen);
    }

    /* a token the module issued: its family, and the user's version */

    argv[0] = "3";
    argvlen[0] = 1;
    argv[2] = ngx_http_secauth_store_redis_name_key(op->pool, &sr->conf->prefix,
                                                    "family:", &op->family->id,
                                                    &argvlen[2]);
    argv[3] = ngx_http_secauth_store_redis_user_record_key(op->pool,
                                                           &sr->conf->prefix,
                                                           &op->session.user,
                                                           &argvlen[3]);
    if (argv[2] == NULL || argv[3] == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    argv[4] = (const char *) op->session.user.data;
    argvlen[4] = op->session.user.len;

    return ngx_http_secauth_store_redis_start(st, op,
                                      NGX_HTTP_SECAUTH_SCRIPT_REVOKED,
                                      ngx_http_secauth_store_redis_exists_done,
                                      5, argv, argvlen);
}


static ngx_int_t
ngx_http_secauth_store_redis_revoke(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    u_char                           ttl[NGX_TIME_T_LEN];
    size_t                           argvlen[5];
    const char                      *argv[5];
    ngx_http_secauth_store_redis_t  *sr = st->data;

    if (op->ttl <= 0) {
        op->rc = NGX_OK;
        return NGX_OK;
    }

    argv[0] = "SET";
    argvlen[0] = 3;
    argv[1] = ngx_http_secauth_store_redis_hash_key(op->pool, &sr->conf->prefix,
                                                    "revoked:", op->key,
                                                    &argvlen[1]);
    if (argv[1] == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    argv[2] = "1";
    argvlen[2] = 1;
    argv[3] = "EX";
    argvlen[3] = 2;
    argv[4] = (const char *) ttl;
    argvlen[4] = ngx_sprintf(ttl, "%T", op->ttl) - ttl;

    return ngx_http_secauth_store_redis_start(st, op, -1,
                                      ngx_http_secauth_store_redis_status_done,
                                      5, argv, argvlen);
}


static ngx_int_t
ngx_http_secauth_store_redis_user_get(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    size_t                           argvlen[4];
    const char                      *argv[4];
    ngx_http_secauth_store_redis_t  *sr = st->data;

    argv[0] = "HMGET";
    argvlen[0] = 5;
    argv[1] = ngx_http_secauth_store_redis_user_record_key(op->pool,
                                                           &sr->conf->prefix,
                                                           &op->session.user,
                                                           &argvlen[1]);
    if (argv[1] == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    argv[2] = "password";
    argvlen[2] = 8;
    argv[3] = "pwv";
    argvlen[3] = 3;

    return ngx_http_secauth_store_redis_start(st, op, -1,
                                      ngx_http_secauth_store_redis_user_done,
                                      4, argv, argvlen);
}


/*
 * only if the user still exists (a deleted user is not recreated) at the
 * version read
 */

static ngx_int_t
ngx_http_secauth_store_redis_user_set_password(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    u_char                           pwv[NGX_INT_T_LEN];
    size_t                           argvlen[5];
    const char                      *argv[5];
    ngx_http_secauth_store_redis_t  *sr = st->data;

    argv[0] = "1";
    argvlen[0] = 1;
    argv[1] = ngx_http_secauth_store_redis_user_record_key(op->pool,
                                                           &sr->conf->prefix,
                                                           &op->session.user,
                                                           &argvlen[1]);
    if (argv[1] == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    argv[2] = (const char *) op->value.data;
    argvlen[2] = op->value.len;
    argv[3] = (const char *) pwv;
    argvlen[3] = ngx_sprintf(pwv, "%ui", op->session.pwv) - pwv;
    argv[4] = op->check_pwv ? "1" : "";
    argvlen[4] = op->check_pwv ? 1 : 0;

    return ngx_http_secauth_store_redis_start(st, op,
                                      NGX_HTTP_SECAUTH_SCRIPT_USER_PASSWORD,
                                      ngx_http_secauth_store_redis_count_done,
                                      5, argv, argvlen);
}


static ngx_int_t
ngx_http_secauth_store_redis_family_create(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    u_char                           pwv[NGX_INT_T_LEN], exp[NGX_TIME_T_LEN];
    u_char                           ttl[NGX_TIME_T_LEN];
    u_char                           level[NGX_INT_T_LEN];
    size_t                           argvlen[12];
    const char                      *argv[12];
    ngx_http_secauth_family_t       *f;
    ngx_http_secauth_store_redis_t  *sr = st->data;

    f = op->family;

    if (f->exp <= ngx_time()) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    argv[0] = "2";
    argvlen[0] = 1;
    argv[1] = ngx_http_secauth_store_redis_name_key(op->pool, &sr->conf->prefix,
                                                    "family:", &f->id,
                                                    &argvlen[1]);
    argv[2] = ngx_http_secauth_store_redis_name_key(op->pool, &sr->conf->prefix,
                                                    "user_families:",
                                                    &op->session.user,
                                                    &argvlen[2]);
    if (argv[1] == NULL || argv[2] == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    argv[3] = (const char *) op->session.user.data;
    argvlen[3] = op->session.user.len;
    argv[4] = (const char *) f->jti.data;
    argvlen[4] = f->jti.len;
    argv[5] = (const char *) pwv;
    argvlen[5] = ngx_sprintf(pwv, "%ui", f->pwv) - pwv;
    argv[6] = (const char *) exp;
    argvlen[6] = ngx_sprintf(exp, "%T", f->exp) - exp;
    argv[7] = (const char *) ttl;
    argvlen[7] = ngx_sprintf(ttl, "%T", f->exp - ngx_time()) - ttl;
    argv[8] = (const char *) f->id.data;
    argvlen[8] = f->id.len;
    argv[9] = (const char *) sr->conf->prefix.data;
    argvlen[9] = sr->conf->prefix.len;
    argv[10] = f->redis_user ? "redis" : "";
    argvlen[10] = f->redis_user ? 5 : 0;
    argv[11] = (const char *) level;
    argvlen[11] = ngx_sprintf(level, "%ui", f->level) - level;

    return ngx_http_secauth_store_redis_start(st, op,
                                      NGX_HTTP_SECAUTH_SCRIPT_FAMILY_CREATE,
                                      ngx_http_secauth_store_redis_status_done,
                                      12, argv, argvlen);
}


static ngx_int_t
ngx_http_secauth_store_redis_family_rotate(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    int                              argc;
    size_t                           argvlen[6];
    const char                      *argv[6];
    ngx_http_secauth_family_t       *f;
    ngx_http_secauth_store_redis_t  *sr = st->data;

    f = op->family;
    argc = 0;

    argv[argc] = "2";
    argvlen[argc++] = 1;
    argv[argc] = ngx_http_secauth_store_redis_name_key(op->pool,
                                                       &sr->conf->prefix,
                                                       "family:", &f->id,
                                                       &argvlen[argc]);
    argc++;
    argv[argc] = ngx_http_secauth_store_redis_user_record_key(op->pool,
                                                              &sr->conf->prefix,
                                                              &op->session.user,
                                                              &argvlen[argc]);
    argc++;

    if (argv[1] == NULL || argv[2] == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    argv[argc] = (const char *) f->jti.data;
    argvlen[argc++] = f->jti.len;
    argv[argc] = (const char *) f->next.data;
    argvlen[argc++] = f->next.len;
    argv[argc] = (const char *) op->session.user.data;
    argvlen[argc++] = op->session.user.len;

    return ngx_http_secauth_store_redis_start(st, op,
                                      NGX_HTTP_SECAUTH_SCRIPT_FAMILY_ROTATE,
                                      ngx_http_secauth_store_redis_rotate_done,
                                      argc, argv, argvlen);
}


/* the index is pruned when the user's next family is created */

static ngx_int_t
ngx_http_secauth_store_redis_family_revoke(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    size_t                           argvlen[2];
    const char                      *argv[2];
    ngx_http_secauth_store_redis_t  *sr = st->data;

    argv[0] = "DEL";
    argvlen[0] = 3;
    argv[1] = ngx_http_secauth_store_redis_name_key(op->pool, &sr->conf->prefix,
                                                    "family:", &op->family->id,
                                                    &argvlen[1]);
    if (argv[1] == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    return ngx_http_secauth_store_redis_start(st, op, -1,
                                      ngx_http_secauth_store_redis_count_done,
                                      2, argv, argvlen);
}
