
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_store.h"
#include "ngx_http_secauth_redis.h"
#include "ngx_http_secauth_session.h"
#include "ngx_http_secauth_password.h"
#include "ngx_http_secauth_limit.h"


/*
 * The store on Redis. Keys (docs/sessions.md):
 *
 *   <prefix>session:<hex SHA-256 of the cookie value>   string, JSON record
 *   <prefix>user_sessions:<user>                        set of those hexes
 *   <prefix>revoked:<hex SHA-256 of iss "\n" jti>       string "1", TTL
 *   <prefix>user:<name>                                 hash, fields password,
 *                                                       pwv
 *   <prefix>family:<id>                                 hash, fields user,
 *                                                       cur, pwv, exp; TTL
 *   <prefix>user_families:<user>                        set of those ids
 *   <prefix>limit:<zone>:<hex of the key>               string, TAT in us
 *   <prefix>login_attempts:<user>                       counter, TTL forget
 *   <prefix>login_lock:<user>                           string "1", PX lock
 *
 * Single-key reads and writes are plain commands; anything touching two
 * keys is a Lua script, so that it is atomic.
 */


#define NGX_HTTP_SECAUTH_SCRIPT_SESSION_PUT     0
#define NGX_HTTP_SECAUTH_SCRIPT_SESSION_DEL     1
#define NGX_HTTP_SECAUTH_SCRIPT_SESSION_DEL_ALL 2
#define NGX_HTTP_SECAUTH_SCRIPT_USER_PASSWORD   3
#define NGX_HTTP_SECAUTH_SCRIPT_LIMIT_TAKE      4
#define NGX_HTTP_SECAUTH_SCRIPT_ATTEMPT         5
#define NGX_HTTP_SECAUTH_SCRIPT_FAMILY_CREATE   6
#define NGX_HTTP_SECAUTH_SCRIPT_FAMILY_ROTATE   7
#define NGX_HTTP_SECAUTH_SCRIPT_REVOKED         8
#define NGX_HTTP_SECAUTH_SCRIPT_SESSION_GET     9
#define NGX_HTTP_SECAUTH_SCRIPT_USER_LIST       10
#define NGX_HTTP_SECAUTH_SCRIPT_RELEASE         11

/* EVALSHA's numkeys, then a key, an interval and a tau per bucket */
#define NGX_HTTP_SECAUTH_LIMIT_ARGS  (1 + 3 * NGX_HTTP_SECAUTH_LIMITS_MAX)

#if (NGX_HTTP_SECAUTH_LIMIT_ARGS + 2 > NGX_HTTP_SECAUTH_REDIS_MAX_ARGS)
#error "NGX_HTTP_SECAUTH_REDIS_MAX_ARGS is too small for limit_take"
#endif


typedef struct {
    ngx_http_secauth_redis_t       *redis;
    ngx_http_secauth_redis_conf_t  *conf;
} ngx_http_secauth_store_redis_t;


typedef struct {
    u_char  *data;
    u_char  *last;
    u_char  *end;
} ngx_http_secauth_keybuf_t;


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
static void ngx_http_secauth_store_redis_user_done(void *data,
    redisReply *reply);
static ngx_int_t ngx_http_secauth_store_redis_limit_take(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static void ngx_http_secauth_store_redis_limit_done(void *data,
    redisReply *reply);
static ngx_int_t ngx_http_secauth_store_redis_login_attempt(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_redis_login_release(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_redis_login_reset(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_redis_throttle_keys(
    ngx_http_secauth_store_redis_t *sr, ngx_http_secauth_store_op_t *op,
    const char **argv, size_t *argvlen);
static void ngx_http_secauth_store_redis_attempt_done(void *data,
    redisReply *reply);
static ngx_int_t ngx_http_secauth_store_redis_family_create(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_redis_family_rotate(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static void ngx_http_secauth_store_redis_rotate_done(void *data,
    redisReply *reply);
static ngx_int_t ngx_http_secauth_store_redis_family_revoke(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_redis_user_list(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_redis_user_script(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op,
    ngx_int_t script, ngx_http_secauth_redis_handler_pt handler);
static void ngx_http_secauth_store_redis_list_done(void *data,
    redisReply *reply);
static void ngx_http_secauth_store_redis_cancel(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_store_redis_start(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op,
    ngx_int_t script, ngx_http_secauth_redis_handler_pt handler, int argc,
    const char **argv, const size_t *argvlen);
static void ngx_http_secauth_store_redis_get_done(void *data,
    redisReply *reply);
static void ngx_http_secauth_store_redis_status_done(void *data,
    redisReply *reply);
static void ngx_http_secauth_store_redis_count_done(void *data,
    redisReply *reply);
static void ngx_http_secauth_store_redis_exists_done(void *data,
    redisReply *reply);
static void ngx_http_secauth_store_redis_finish(
    ngx_http_secauth_store_op_t *op, ngx_int_t rc);
static ngx_int_t ngx_http_secauth_store_redis_error(
    ngx_http_secauth_store_op_t *op, const char *what, redisReply *reply);
static u_char *ngx_http_secauth_session_key(ngx_pool_t *pool,
    ngx_str_t *prefix, u_char *hash, size_t *len);
static u_char *ngx_http_secauth_hash_key(ngx_pool_t *pool, ngx_str_t *prefix,
    const char *kind, u_char *hash, size_t *len);
static u_char *ngx_http_secauth_user_key(ngx_pool_t *pool, ngx_str_t *prefix,
    ngx_str_t *user, size_t *len);
static u_char *ngx_http_secauth_name_key(ngx_pool_t *pool, ngx_str_t *prefix,
    const char *kind, ngx_str_t *name, size_t *len);
#define ngx_http_secauth_user_record_key(pool, prefix, user, len)            \
    ngx_http_secauth_name_key(pool, prefix, "user:", user, len)


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
    NULL,                                   /* once_put: not yet */
    NULL,                                   /* once_consume: not yet */
    NULL                                    /* counter_advance: not yet */
};


/*
 * KEYS: session, user index; ARGV: record, ttl, session hex, prefix.
 * The index lives as long as the longest session in it and is pruned of
 * sessions that have expired meanwhile, 16 random members at a time, so
 * that a login costs the same whatever the index holds.
 */

static char  ngx_http_secauth_lua_session_put[] =
    "redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])\n"
    "for _, id in ipairs(redis.call('SRANDMEMBER', KEYS[2], 16)) do\n"
    "  if redis.call('EXISTS', ARGV[4] .. 'session:' .. id) == 0 then\n"
    "    redis.call('SREM', KEYS[2], id)\n"
    "  end\n"
    "end\n"
    "redis.call('SADD', KEYS[2], ARGV[3])\n"
    "if redis.call('TTL', KEYS[2]) < tonumber(ARGV[2]) then\n"
    "  redis.call('EXPIRE', KEYS[2], ARGV[2])\n"
    "end\n"
    "return 1\n";

/* KEYS: session, user index (may be absent); ARGV: session hex */

static char  ngx_http_secauth_lua_session_del[] =
    "local n = redis.call('DEL', KEYS[1])\n"
    "if KEYS[2] then redis.call('SREM', KEYS[2], ARGV[1]) end\n"
    "return n\n";

/*
 * Everything of a user: sessions and refresh-token families. KEYS: the
 * user's session index, family index; ARGV: prefix (and the unused most
 * records of user_list). Returns how many existed.
 */

static char  ngx_http_secauth_lua_session_del_all[] =
    "local n = 0\n"
    "for i, kind in ipairs({'session:', 'family:'}) do\n"
    "  for _, id in ipairs(redis.call('SMEMBERS', KEYS[i])) do\n"
    "    n = n + redis.call('DEL', ARGV[1] .. kind .. id)\n"
    "  end\n"
    "  redis.call('DEL', KEYS[i])\n"
    "end\n"
    "return n\n";


/*
 * A new refresh-token family. KEYS: the family, the user's family index;
 * ARGV: user, jti, pwv, exp, ttl, id, prefix, users ("redis" or ""). The
 * index is pruned as the session index is.
 */

static char  ngx_http_secauth_lua_family_create[] =
    "redis.call('HSET', KEYS[1], 'user', ARGV[1], 'cur', ARGV[2],\n"
    "           'pwv', ARGV[3], 'exp', ARGV[4])\n"
    "if ARGV[8] ~= '' then redis.call('HSET', KEYS[1], 'users', ARGV[8]) end\n"
    "redis.call('EXPIRE', KEYS[1], ARGV[5])\n"
    "for _, id in ipairs(redis.call('SRANDMEMBER', KEYS[2], 16)) do\n"
    "  if redis.call('EXISTS', ARGV[7] .. 'family:' .. id) == 0 then\n"
    "    redis.call('SREM', KEYS[2], id)\n"
    "  end\n"
    "end\n"
    "redis.call('SADD', KEYS[2], ARGV[6])\n"
    "if redis.call('TTL', KEYS[2]) < tonumber(ARGV[5]) then\n"
    "  redis.call('EXPIRE', KEYS[2], ARGV[5])\n"
    "end\n"
    "return 1\n";


/*
 * Whether a family of a user in Redis ("users" "redis") is stale: the
 * user is gone, or the user's password version is no longer the
 * family's. Shared by the scripts below (f: HMGET user cur pwv exp
 * users; u: the user record's key).
 */

#define NGX_HTTP_SECAUTH_LUA_STALE                                            \
    "local function stale(f, u)\n"                                           \
    "  if f[5] ~= 'redis' then return false end\n"                           \
    "  local r = redis.call('HMGET', u, 'password', 'pwv')\n"                \
    "  return not r[1] or (tonumber(r[2]) or 0) ~= (tonumber(f[3]) or 0)\n"  \
    "end\n"


/*
 * Spends a refresh token, atomically. KEYS: the family, the user record;
 * ARGV: the jti presented, its successor, the user. Returns {0} unknown,
 * {1} reused (the family is revoked), {2} stale (revoked), {3, pwv, exp}
 * spent.
 */

static char  ngx_http_secauth_lua_family_rotate[] =
    NGX_HTTP_SECAUTH_LUA_STALE
    "local f = redis.call('HMGET', KEYS[1], 'user', 'cur', 'pwv', 'exp',\n"
    "                     'users')\n"
    "if not f[1] or f[1] ~= ARGV[3] then return {0} end\n"
    "if f[2] ~= ARGV[1] then\n"
    "  redis.call('DEL', KEYS[1])\n"
    "  return {1}\n"
    "end\n"
    "if stale(f, KEYS[2]) then\n"
    "  redis.call('DEL', KEYS[1])\n"
    "  return {2}\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'cur', ARGV[2])\n"
    "return {3, tonumber(f[3]) or 0, tonumber(f[4]) or 0}\n";


/*
 * Whether a token the module issued is refused: its jti revoked, its
 * family gone or another user's, or stale. KEYS: revoked key, family,
 * user record; ARGV: the user.
 */

static char  ngx_http_secauth_lua_revoked[] =
    NGX_HTTP_SECAUTH_LUA_STALE
    "if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end\n"
    "local f = redis.call('HMGET', KEYS[2], 'user', 'cur', 'pwv', 'exp',\n"
    "                     'users')\n"
    "if not f[1] or f[1] ~= ARGV[1] or stale(f, KEYS[3]) then\n"
    "  return 1\n"
    "end\n"
    "return 0\n";


/*
 * A session and, for a user in Redis, whether it is stale. KEYS: the
 * session; ARGV: prefix. Returns nil, {record}, or {record, 1} when
 * stale.
 */

static char  ngx_http_secauth_lua_session_get[] =
    "local s = redis.call('GET', KEYS[1])\n"
    "if not s then return false end\n"
    "local ok, r = pcall(cjson.decode, s)\n"
    "if not ok or type(r) ~= 'table' or r.users ~= 'redis'\n"
    "   or type(r.user) ~= 'string' then\n"
    "  return {s}\n"
    "end\n"
    "local u = redis.call('HMGET', ARGV[1] .. 'user:' .. r.user,\n"
    "                     'password', 'pwv')\n"
    "if not u[1] or (tonumber(u[2]) or 0) ~= (tonumber(r.pwv) or 0) then\n"
    "  return {s, 1}\n"
    "end\n"
    "return {s}\n";


/* KEYS: user record; ARGV: the new hash */

static char  ngx_http_secauth_lua_user_password[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
    "redis.call('HSET', KEYS[1], 'password', ARGV[1])\n"
    "return 1\n";


/*
 * GCRA over all of a request's buckets, on the server's clock (us), all or
 * nothing: KEYS: the buckets; ARGV: interval and tau of each, in us.
 * Returns {0, wait of each bucket} when admitted, {i, wait until bucket i
 * admits} when refused. A bucket expires when it is full again. TATs are
 * written with %.0f: a Lua number would go out as %.14g and lose digits.
 * (Redis before 5 needs effects replication to write after TIME.)
 */

static char  ngx_http_secauth_lua_limit_take[] =
    "if redis.replicate_commands then redis.replicate_commands() end\n"
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"
    "local tats = {}\n"
    "for i = 1, #KEYS do\n"
    "  local tat = tonumber(redis.call('GET', KEYS[i])) or now\n"
    "  if tat < now then tat = now end\n"
    "  local over = tat - now - tonumber(ARGV[2 * i])\n"
    "  if over > 0 then return {i, over} end\n"
    "  tats[i] = tat\n"
    "end\n"
    "local r = {0}\n"
    "for i = 1, #KEYS do\n"
    "  local tat = tats[i] + tonumber(ARGV[2 * i - 1])\n"
    "  redis.call('SET', KEYS[i], string.format('%.0f', tat), 'PX',\n"
    "             string.format('%.0f', math.ceil((tat - now) / 1000)))\n"
    "  r[i + 1] = tats[i] - now\n"
    "end\n"
    "return r\n";


/*
 * A login attempt, counted before the password is checked, so that
 * parallel attempts cannot slip in before a failure is known. KEYS: the
 * count, the lock; ARGV: free, lock, max_lock (ms), forget (s). Returns
 * {0, ms left} while locked (not counted), else {attempts, ms this one
 * locks the next ones for (0: none)}. The lock is a key of its own with
 * that PX, so no clocks are compared.
 */

static char  ngx_http_secauth_lua_attempt[] =
    "local left = redis.call('PTTL', KEYS[2])\n"
    "if left > 0 then return {0, left} end\n"
    "local n = redis.call('INCR', KEYS[1])\n"
    "redis.call('EXPIRE', KEYS[1], ARGV[4])\n"
    "local free = tonumber(ARGV[1])\n"
    "if n < free then return {n, 0} end\n"
    "local lock = math.min(tonumber(ARGV[2]) * 2 ^ math.min(n - free, 30),\n"
    "                      tonumber(ARGV[3]))\n"
    "redis.call('SET', KEYS[2], '1', 'PX', string.format('%.0f', lock))\n"
    "return {n, lock}\n";


/*
 * What a user holds (secauth_admin). KEYS, ARGV: as session_del_all's,
 * and the most sessions to return. Returns the number of live families,
 * then the live sessions' records.
 */

static char  ngx_http_secauth_lua_user_list[] =
    "local out = {0}\n"
    "for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do\n"
    "  if redis.call('EXISTS', ARGV[1] .. 'family:' .. id) == 1 then\n"
    "    out[1] = out[1] + 1\n"
    "  end\n"
    "end\n"
    "for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
    "  if #out > tonumber(ARGV[2]) then break end\n"
    "  local v = redis.call('GET', ARGV[1] .. 'session:' .. id)\n"
    "  if v then out[#out + 1] = v end\n"
    "end\n"
    "return out\n";


/*
 * An attempt taken back (its password was never checked). KEYS: the
 * count, the lock; ARGV: the count that attempt made. The lock goes only
 * when no attempt came since: a later one's lock is that one's.
 */

static char  ngx_http_secauth_lua_release[] =
    "local n = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
    "if n <= 0 then return 0 end\n"
    "if n == tonumber(ARGV[1]) then redis.call('DEL', KEYS[2]) end\n"
    "if n == 1 then redis.call('DEL', KEYS[1]) return 0 end\n"
    "return redis.call('DECR', KEYS[1])\n";


ngx_http_secauth_redis_script_t  ngx_http_secauth_redis_scripts[] = {
    { "session_put", ngx_string(ngx_http_secauth_lua_session_put), "" },
    { "session_del", ngx_string(ngx_http_secauth_lua_session_del), "" },
    { "session_del_all", ngx_string(ngx_http_secauth_lua_session_del_all),
      "" },
    { "user_password", ngx_string(ngx_http_secauth_lua_user_password), "" },
    { "limit_take", ngx_string(ngx_http_secauth_lua_limit_take), "" },
    { "attempt", ngx_string(ngx_http_secauth_lua_attempt), "" },
    { "family_create", ngx_string(ngx_http_secauth_lua_family_create), "" },
    { "family_rotate", ngx_string(ngx_http_secauth_lua_family_rotate), "" },
    { "revoked", ngx_string(ngx_http_secauth_lua_revoked), "" },
    { "session_get", ngx_string(ngx_http_secauth_lua_session_get), "" },
    { "user_list", ngx_string(ngx_http_secauth_lua_user_list), "" },
    { "release", ngx_string(ngx_http_secauth_lua_release), "" }
};

ngx_uint_t  ngx_http_secauth_redis_nscripts =
    sizeof(ngx_http_secauth_redis_scripts)
    / sizeof(ngx_http_secauth_redis_script_t);


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
                                              ngx_http_secauth_redis_scripts,
                                              ngx_http_secauth_redis_nscripts);
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
    argv[1] = (const char *) ngx_http_secauth_session_key(op->pool,
                                                          &sr->conf->prefix,
                                                          op->key,
                                                          &argvlen[1]);
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

    if (ngx_http_secauth_session_encode(op->pool, &op->session, &record)
        != NGX_OK)
    {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    argv[0] = "2";
    argvlen[0] = 1;
    argv[1] = (const char *) ngx_http_secauth_session_key(op->pool,
                                                          &sr->conf->prefix,
                                                          op->key,
                                                          &argvlen[1]);
    argv[2] = (const char *) ngx_http_secauth_user_key(op->pool,
                                                       &sr->conf->prefix,
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

    if (ngx_http_secauth_session_encode(op->pool, &op->session, &record)
        != NGX_OK)
    {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    argv[0] = "SET";
    argvlen[0] = 3;
    argv[1] = (const char *) ngx_http_secauth_session_key(op->pool,
                                                          &sr->conf->prefix,
                                                          op->key,
                                                          &argvlen[1]);
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

    argv[argc] = (const char *) ngx_http_secauth_session_key(op->pool,
                                                          &sr->conf->prefix,
                                                          op->key,
                                                          &argvlen[argc]);
    if (argv[argc++] == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    if (op->session.user.len) {
        argv[argc] = (const char *) ngx_http_secauth_user_key(op->pool,
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
    argv[1] = (const char *) ngx_http_secauth_user_key(op->pool,
                                                       &sr->conf->prefix,
                                                       &op->session.user,
                                                       &argvlen[1]);
    argv[2] = (const char *) ngx_http_secauth_name_key(op->pool,
                                                       &sr->conf->prefix,
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
    argv[1] = (const char *) ngx_http_secauth_hash_key(op->pool,
                                                       &sr->conf->prefix,
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
    argv[2] = (const char *) ngx_http_secauth_name_key(op->pool,
                                                       &sr->conf->prefix,
                                                       "family:",
                                                       &op->family->id,
                                                       &argvlen[2]);
    argv[3] = (const char *) ngx_http_secauth_user_record_key(op->pool,
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
    argv[1] = (const char *) ngx_http_secauth_hash_key(op->pool,
                                                       &sr->conf->prefix,
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
    argv[1] = (const char *) ngx_http_secauth_user_record_key(op->pool,
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


/* HSET only if the user still exists: a deleted user is not recreated */

static ngx_int_t
ngx_http_secauth_store_redis_user_set_password(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    size_t                           argvlen[3];
    const char                      *argv[3];
    ngx_http_secauth_store_redis_t  *sr = st->data;

    argv[0] = "1";
    argvlen[0] = 1;
    argv[1] = (const char *) ngx_http_secauth_user_record_key(op->pool,
                                                          &sr->conf->prefix,
                                                          &op->session.user,
                                                          &argvlen[1]);
    if (argv[1] == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    argv[2] = (const char *) op->value.data;
    argvlen[2] = op->value.len;

    return ngx_http_secauth_store_redis_start(st, op,
                                      NGX_HTTP_SECAUTH_SCRIPT_USER_PASSWORD,
                                      ngx_http_secauth_store_redis_count_done,
                                      3, argv, argvlen);
}


static ngx_int_t
ngx_http_secauth_store_redis_limit_take(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    u_char                          *p;
    size_t                           len;
    size_t                           argvlen[NGX_HTTP_SECAUTH_LIMIT_ARGS];
    ngx_uint_t                       i, n;
    const char                      *argv[NGX_HTTP_SECAUTH_LIMIT_ARGS];
    ngx_http_secauth_bucket_t       *b;
    ngx_http_secauth_store_redis_t  *sr = st->data;

    n = op->nbuckets;

    if (n == 0 || n > NGX_HTTP_SECAUTH_LIMITS_MAX) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    /* "N", N keys, then interval and tau of each */

    p = ngx_pnalloc(op->pool, NGX_INT_T_LEN);
    if (p == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    argv[0] = (const char *) p;
    argvlen[0] = ngx_sprintf(p, "%ui", n) - p;

    for (i = 0; i < n; i++) {
        b = &op->buckets[i];

        len = sr->conf->prefix.len + sizeof("limit:") - 1 + b->zone.len + 1
              + 2 * b->key.len;

        argv[1 + i] = ngx_pnalloc(op->pool, len);
        if (argv[1 + i] == NULL) {
            op->rc = NGX_ERROR;
            return NGX_OK;
        }

        argvlen[1 + i] = len;

        p = (u_char *) argv[1 + i];
        p = ngx_cpymem(p, sr->conf->prefix.data, sr->conf->prefix.len);
        p = ngx_cpymem(p, "limit:", sizeof("limit:") - 1);
        p = ngx_cpymem(p, b->zone.data, b->zone.len);
        *p++ = ':';
        ngx_hex_dump(p, b->key.data, b->key.len);
    }

    p = ngx_pnalloc(op->pool, 2 * n * NGX_INT64_LEN);
    if (p == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    for (i = 0; i < n; i++) {
        b = &op->buckets[i];

        argv[1 + n + 2 * i] = (const char *) p;
        argvlen[1 + n + 2 * i] = ngx_sprintf(p, "%uL", b->interval) - p;
        p += argvlen[1 + n + 2 * i];

        argv[2 + n + 2 * i] = (const char *) p;
        argvlen[2 + n + 2 * i] = ngx_sprintf(p, "%uL", b->tau) - p;
        p += argvlen[2 + n + 2 * i];
    }

    return ngx_http_secauth_store_redis_start(st, op,
                                      NGX_HTTP_SECAUTH_SCRIPT_LIMIT_TAKE,
                                      ngx_http_secauth_store_redis_limit_done,
                                      1 + 3 * n, argv, argvlen);
}


static void
ngx_http_secauth_store_redis_limit_done(void *data, redisReply *reply)
{
    ngx_http_secauth_store_op_t *op = data;

    ngx_int_t    rc;
    ngx_uint_t   i;
    redisReply  *e;

    rc = NGX_ERROR;

    if (reply == NULL) {
        goto done;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2) {
        goto bad;
    }

    for (i = 0; i < reply->elements; i++) {
        e = reply->element[i];

        if (e->type != REDIS_REPLY_INTEGER || e->integer < 0) {
            goto bad;
        }
    }

    i = (ngx_uint_t) reply->element[0]->integer;

    if (i == 0 && reply->elements == op->nbuckets + 1) {
        for (i = 0; i < op->nbuckets; i++) {
            op->buckets[i].wait = reply->element[i + 1]->integer;
        }

        rc = NGX_OK;
        goto done;
    }

    if (i >= 1 && i <= op->nbuckets && reply->elements == 2) {
        op->count = i;
        op->buckets[i - 1].wait = reply->element[1]->integer;
        rc = NGX_DECLINED;
        goto done;
    }

bad:

    rc = ngx_http_secauth_store_redis_error(op, "limit", reply);

done:

    ngx_http_secauth_store_redis_finish(op, rc);
}


static ngx_int_t
ngx_http_secauth_store_redis_login_attempt(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    u_char                          *p;
    size_t                           argvlen[7];
    ngx_uint_t                       i;
    const char                      *argv[7];
    ngx_http_secauth_throttle_t     *t;
    ngx_http_secauth_store_redis_t  *sr = st->data;

    t = op->throttle;

    argv[0] = "2";
    argvlen[0] = 1;
    if (ngx_http_secauth_store_redis_throttle_keys(sr, op, argv, argvlen)
        != NGX_OK)
    {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    p = ngx_pnalloc(op->pool, 4 * NGX_INT64_LEN);
    if (p == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    for (i = 3; i < 7; i++) {
        argv[i] = (const char *) p;

        switch (i) {
        case 3:
            p = ngx_sprintf(p, "%ui", t->free);
            break;
        case 4:
            p = ngx_sprintf(p, "%M", t->lock);
            break;
        case 5:
            p = ngx_sprintf(p, "%M", t->max_lock);
            break;
        default:
            p = ngx_sprintf(p, "%T", t->forget);
        }

        argvlen[i] = p - (u_char *) argv[i];
    }

    return ngx_http_secauth_store_redis_start(st, op,
                                  NGX_HTTP_SECAUTH_SCRIPT_ATTEMPT,
                                  ngx_http_secauth_store_redis_attempt_done,
                                  7, argv, argvlen);
}


/* argv[1], argv[2]: the account's attempt count and lock */

static ngx_int_t
ngx_http_secauth_store_redis_throttle_keys(ngx_http_secauth_store_redis_t *sr,
    ngx_http_secauth_store_op_t *op, const char **argv, size_t *argvlen)
{
    argv[1] = (const char *) ngx_http_secauth_name_key(op->pool,
                                                       &sr->conf->prefix,
                                                       "login_attempts:",
                                                       &op->session.user,
                                                       &argvlen[1]);
    argv[2] = (const char *) ngx_http_secauth_name_key(op->pool,
                                                       &sr->conf->prefix,
                                                       "login_lock:",
                                                       &op->session.user,
                                                       &argvlen[2]);

    return (argv[1] && argv[2]) ? NGX_OK : NGX_ERROR;
}


static ngx_int_t
ngx_http_secauth_store_redis_login_reset(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    size_t                           argvlen[3];
    const char                      *argv[3];
    ngx_http_secauth_store_redis_t  *sr = st->data;

    argv[0] = "DEL";
    argvlen[0] = 3;
    if (ngx_http_secauth_store_redis_throttle_keys(sr, op, argv, argvlen)
        != NGX_OK)
    {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    return ngx_http_secauth_store_redis_start(st, op, -1,
                                      ngx_http_secauth_store_redis_count_done,
                                      3, argv, argvlen);
}


static ngx_int_t
ngx_http_secauth_store_redis_login_release(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    u_char                           n[NGX_INT_T_LEN];
    size_t                           argvlen[4];
    const char                      *argv[4];
    ngx_http_secauth_store_redis_t  *sr = st->data;

    argv[0] = "2";
    argvlen[0] = 1;
    if (ngx_http_secauth_store_redis_throttle_keys(sr, op, argv, argvlen)
        != NGX_OK)
    {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    argv[3] = (const char *) n;
    argvlen[3] = ngx_sprintf(n, "%ui", op->count) - n;

    return ngx_http_secauth_store_redis_start(st, op,
                                      NGX_HTTP_SECAUTH_SCRIPT_RELEASE,
                                      ngx_http_secauth_store_redis_count_done,
                                      4, argv, argvlen);
}


/* {0, ms left}: locked; {attempts, ms locked from now on} */

static void
ngx_http_secauth_store_redis_attempt_done(void *data, redisReply *reply)
{
    ngx_http_secauth_store_op_t *op = data;

    ngx_int_t  rc;

    if (reply == NULL) {
        rc = NGX_ERROR;

    } else if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2
               && reply->element[0]->type == REDIS_REPLY_INTEGER
               && reply->element[1]->type == REDIS_REPLY_INTEGER
               && reply->element[0]->integer >= 0
               && reply->element[1]->integer >= 0)
    {
        op->count = (ngx_uint_t) reply->element[0]->integer;
        op->locked = (ngx_msec_t) reply->element[1]->integer;
        rc = op->count ? NGX_OK : NGX_DECLINED;

    } else {
        rc = ngx_http_secauth_store_redis_error(op, "login attempt", reply);
    }

    ngx_http_secauth_store_redis_finish(op, rc);
}


static ngx_int_t
ngx_http_secauth_store_redis_family_create(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    u_char                           pwv[NGX_INT_T_LEN], exp[NGX_TIME_T_LEN];
    u_char                           ttl[NGX_TIME_T_LEN];
    size_t                           argvlen[11];
    const char                      *argv[11];
    ngx_http_secauth_family_t       *f;
    ngx_http_secauth_store_redis_t  *sr = st->data;

    f = op->family;

    if (f->exp <= ngx_time()) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    argv[0] = "2";
    argvlen[0] = 1;
    argv[1] = (const char *) ngx_http_secauth_name_key(op->pool,
                                                       &sr->conf->prefix,
                                                       "family:", &f->id,
                                                       &argvlen[1]);
    argv[2] = (const char *) ngx_http_secauth_name_key(op->pool,
                                                       &sr->conf->prefix,
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

    return ngx_http_secauth_store_redis_start(st, op,
                                      NGX_HTTP_SECAUTH_SCRIPT_FAMILY_CREATE,
                                      ngx_http_secauth_store_redis_status_done,
                                      11, argv, argvlen);
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
    argv[argc] = (const char *) ngx_http_secauth_name_key(op->pool,
                                                          &sr->conf->prefix,
                                                          "family:", &f->id,
                                                          &argvlen[argc]);
    argc++;
    argv[argc] = (const char *) ngx_http_secauth_user_record_key(op->pool,
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


static void
ngx_http_secauth_store_redis_rotate_done(void *data, redisReply *reply)
{
    ngx_http_secauth_store_op_t *op = data;

    ngx_int_t     rc;
    redisReply  **e;

    if (reply == NULL) {
        rc = NGX_ERROR;

    } else if (reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1
               && reply->element[0]->type == REDIS_REPLY_INTEGER)
    {
        e = reply->element;

        if (e[0]->integer == 3 && reply->elements == 3
            && e[1]->type == REDIS_REPLY_INTEGER && e[1]->integer >= 0
            && e[2]->type == REDIS_REPLY_INTEGER && e[2]->integer > 0)
        {
            op->family->pwv = (ngx_uint_t) e[1]->integer;
            op->family->exp = (time_t) e[2]->integer;
            rc = NGX_OK;

        } else if (e[0]->integer >= 0 && e[0]->integer <= 2) {
            op->count = (ngx_uint_t) e[0]->integer;
            rc = NGX_DECLINED;

        } else {
            rc = ngx_http_secauth_store_redis_error(op, "family rotate",
                                                    reply);
        }

    } else {
        rc = ngx_http_secauth_store_redis_error(op, "family rotate", reply);
    }

    ngx_http_secauth_store_redis_finish(op, rc);
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
    argv[1] = (const char *) ngx_http_secauth_name_key(op->pool,
                                                       &sr->conf->prefix,
                                                       "family:",
                                                       &op->family->id,
                                                       &argvlen[1]);
    if (argv[1] == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    return ngx_http_secauth_store_redis_start(st, op, -1,
                                      ngx_http_secauth_store_redis_count_done,
                                      2, argv, argvlen);
}


static void
ngx_http_secauth_store_redis_cancel(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    if (op->pending) {
        ngx_http_secauth_redis_cancel(op->pending);
        op->pending = NULL;
    }
}


static ngx_int_t
ngx_http_secauth_store_redis_start(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op, ngx_int_t script,
    ngx_http_secauth_redis_handler_pt handler, int argc, const char **argv,
    const size_t *argvlen)
{
    ngx_int_t                        rc;
    ngx_http_secauth_redis_cmd_t    *cmd;
    ngx_http_secauth_store_redis_t  *sr = st->data;

    if (script < 0) {
        rc = ngx_http_secauth_redis_command(sr->redis, handler, op, argc,
                                            argv, argvlen, &cmd);

    } else {
        rc = ngx_http_secauth_redis_eval(sr->redis, script, handler, op,
                                         argc, argv, argvlen, &cmd);
    }

    if (rc != NGX_OK) {
        /* Redis is down: answer at once, the outage is already logged */
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    op->pending = cmd;
    op->priv = sr;

    return NGX_AGAIN;
}


static void
ngx_http_secauth_store_redis_get_done(void *data, redisReply *reply)
{
    ngx_http_secauth_store_op_t *op = data;

    ngx_int_t    rc;
    ngx_str_t    record;
    ngx_flag_t   stale;

    /* the script's answer: {record} or {record, 1} when stale */

    stale = 0;

    if (reply && op->check_pwv && reply->type != REDIS_REPLY_NIL) {

        if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1
            || reply->elements > 2)
        {
            rc = ngx_http_secauth_store_redis_error(op, "session script",
                                                    reply);
            ngx_http_secauth_store_redis_finish(op, rc);
            return;
        }

        stale = (reply->elements == 2);
        reply = reply->element[0];
    }

    if (reply == NULL) {
        rc = NGX_ERROR;

    } else if (reply->type == REDIS_REPLY_NIL) {
        rc = NGX_DECLINED;

    } else if (reply->type != REDIS_REPLY_STRING) {
        rc = ngx_http_secauth_store_redis_error(op, "GET session", reply);

    } else {
        record.data = (u_char *) reply->str;
        record.len = reply->len;

        /* a record we cannot read admits nobody, and is not an outage */

        rc = ngx_http_secauth_session_decode(op->pool, op->log, &record,
                                             &op->session);

        if (rc == NGX_OK && stale) {
            op->count = 1;
            rc = NGX_DECLINED;
        }
    }

    ngx_http_secauth_store_redis_finish(op, rc);
}


static void
ngx_http_secauth_store_redis_status_done(void *data, redisReply *reply)
{
    ngx_http_secauth_store_op_t *op = data;

    ngx_int_t  rc;

    if (reply == NULL) {
        rc = NGX_ERROR;

    } else if (reply->type == REDIS_REPLY_NIL) {
        rc = NGX_DECLINED;          /* SET XX: the key is gone */

    } else if (reply->type == REDIS_REPLY_STATUS
               || reply->type == REDIS_REPLY_INTEGER)
    {
        rc = NGX_OK;

    } else {
        rc = ngx_http_secauth_store_redis_error(op, "session write", reply);
    }

    ngx_http_secauth_store_redis_finish(op, rc);
}


static void
ngx_http_secauth_store_redis_count_done(void *data, redisReply *reply)
{
    ngx_http_secauth_store_op_t *op = data;

    ngx_int_t  rc;

    if (reply == NULL) {
        rc = NGX_ERROR;

    } else if (reply->type == REDIS_REPLY_INTEGER) {
        op->count = reply->integer > 0 ? (ngx_uint_t) reply->integer : 0;
        rc = op->count ? NGX_OK : NGX_DECLINED;

    } else {
        rc = ngx_http_secauth_store_redis_error(op, "session delete", reply);
    }

    ngx_http_secauth_store_redis_finish(op, rc);
}


/* {families, record...}: a record we cannot read is left out */

static void
ngx_http_secauth_store_redis_list_done(void *data, redisReply *reply)
{
    ngx_http_secauth_store_op_t *op = data;

    size_t                       i;
    ngx_int_t                    rc;
    ngx_str_t                    record;
    redisReply                  *e;
    ngx_http_secauth_session_t  *s;

    if (reply == NULL) {
        ngx_http_secauth_store_redis_finish(op, NGX_ERROR);
        return;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1
        || reply->element[0]->type != REDIS_REPLY_INTEGER
        || reply->element[0]->integer < 0)
    {
        rc = ngx_http_secauth_store_redis_error(op, "user list", reply);
        ngx_http_secauth_store_redis_finish(op, rc);
        return;
    }

    op->count = (ngx_uint_t) reply->element[0]->integer;

    op->sessions = ngx_array_create(op->pool, reply->elements,
                                    sizeof(ngx_http_secauth_session_t));
    if (op->sessions == NULL) {
        ngx_http_secauth_store_redis_finish(op, NGX_ERROR);
        return;
    }

    for (i = 1; i < reply->elements; i++) {
        e = reply->element[i];

        if (e->type != REDIS_REPLY_STRING) {
            continue;
        }

        s = ngx_array_push(op->sessions);
        if (s == NULL) {
            ngx_http_secauth_store_redis_finish(op, NGX_ERROR);
            return;
        }

        ngx_memzero(s, sizeof(ngx_http_secauth_session_t));

        record.data = (u_char *) e->str;
        record.len = e->len;

        if (ngx_http_secauth_session_decode(op->pool, op->log, &record, s)
            != NGX_OK)
        {
            op->sessions->nelts--;
        }
    }

    rc = (op->sessions->nelts || op->count) ? NGX_OK : NGX_DECLINED;

    ngx_http_secauth_store_redis_finish(op, rc);
}


static void
ngx_http_secauth_store_redis_exists_done(void *data, redisReply *reply)
{
    ngx_http_secauth_store_op_t *op = data;

    ngx_int_t  rc;

    if (reply == NULL) {
        rc = NGX_ERROR;

    } else if (reply->type == REDIS_REPLY_INTEGER) {
        rc = reply->integer > 0 ? NGX_OK : NGX_DECLINED;

    } else {
        rc = ngx_http_secauth_store_redis_error(op, "EXISTS", reply);
    }

    ngx_http_secauth_store_redis_finish(op, rc);
}


static void
ngx_http_secauth_store_redis_user_done(void *data, redisReply *reply)
{
    ngx_http_secauth_store_op_t *op = data;

    ngx_int_t    rc, pwv;
    redisReply  *hash, *version;

    /* HMGET password pwv: a missing pwv is version 0 */

    if (reply == NULL) {
        rc = NGX_ERROR;
        goto done;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
        rc = ngx_http_secauth_store_redis_error(op, "HMGET user", reply);
        goto done;
    }

    hash = reply->element[0];
    version = reply->element[1];
    pwv = 0;

    if (version->type == REDIS_REPLY_STRING) {
        pwv = ngx_atoi((u_char *) version->str, version->len);
    }

    if (hash->type == REDIS_REPLY_NIL) {
        rc = NGX_DECLINED;

    } else if (hash->type == REDIS_REPLY_STRING
               && hash->len <= NGX_HTTP_SECAUTH_HASH_MAX
               && pwv != NGX_ERROR
               && version->type != REDIS_REPLY_ERROR)
    {
        op->value.data = ngx_pnalloc(op->pool, hash->len);

        if (op->value.data == NULL) {
            rc = NGX_ERROR;

        } else {
            ngx_memcpy(op->value.data, hash->str, hash->len);
            op->value.len = hash->len;
            op->session.pwv = (ngx_uint_t) pwv;
            rc = NGX_OK;
        }

    } else {
        ngx_log_error(NGX_LOG_ERR, op->log, 0,
                      "secauth: the Redis record of \"%V\" has an invalid "
                      "password or pwv field", &op->session.user);
        rc = NGX_ERROR;
    }

done:

    ngx_http_secauth_store_redis_finish(op, rc);
}


static void
ngx_http_secauth_store_redis_finish(ngx_http_secauth_store_op_t *op,
    ngx_int_t rc)
{
    op->pending = NULL;
    op->rc = rc;

    if (op->handler) {
        op->handler(op);
    }
}


static ngx_int_t
ngx_http_secauth_store_redis_error(ngx_http_secauth_store_op_t *op,
    const char *what, redisReply *reply)
{
    ngx_http_secauth_store_redis_t  *sr = op->priv;

    ngx_http_secauth_redis_log_reply(sr->redis, what, reply);

    return NGX_ERROR;
}


static u_char *
ngx_http_secauth_session_key(ngx_pool_t *pool, ngx_str_t *prefix,
    u_char *hash, size_t *len)
{
    return ngx_http_secauth_hash_key(pool, prefix, "session:", hash, len);
}


/* <prefix><kind><lowercase hex of a SHA-256> */

static u_char *
ngx_http_secauth_hash_key(ngx_pool_t *pool, ngx_str_t *prefix,
    const char *kind, u_char *hash, size_t *len)
{
    size_t   kind_len;
    u_char  *key, *p;

    kind_len = ngx_strlen(kind);
    *len = prefix->len + kind_len + 2 * NGX_HTTP_SECAUTH_KEY_LEN;

    key = ngx_pnalloc(pool, *len);
    if (key == NULL) {
        return NULL;
    }

    p = ngx_cpymem(key, prefix->data, prefix->len);
    p = ngx_cpymem(p, kind, kind_len);
    ngx_hex_dump(p, hash, NGX_HTTP_SECAUTH_KEY_LEN);

    return key;
}


static u_char *
ngx_http_secauth_user_key(ngx_pool_t *pool, ngx_str_t *prefix,
    ngx_str_t *user, size_t *len)
{
    return ngx_http_secauth_name_key(pool, prefix, "user_sessions:", user,
                                     len);
}


/* <prefix><kind><name> */

static u_char *
ngx_http_secauth_name_key(ngx_pool_t *pool, ngx_str_t *prefix,
    const char *kind, ngx_str_t *name, size_t *len)
{
    size_t   kind_len;
    u_char  *key, *p;

    kind_len = ngx_strlen(kind);
    *len = prefix->len + kind_len + name->len;

    key = ngx_pnalloc(pool, *len);
    if (key == NULL) {
        return NULL;
    }

    p = ngx_cpymem(key, prefix->data, prefix->len);
    p = ngx_cpymem(p, kind, kind_len);
    ngx_memcpy(p, name->data, name->len);

    return key;
}
