
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_secauth_store_redis.h"


/*
 * The Lua scripts of the store: anything touching two keys, or deciding
 * on what it reads, runs as one script, so that it is atomic. The engine
 * hashes them and loads them on every new connection
 * (ngx_http_secauth_redis.c), and runs them with EVALSHA, EVAL after
 * NOSCRIPT (ngx_http_secauth_redis_command.c); the order of the table is
 * that of NGX_HTTP_SECAUTH_SCRIPT_*.
 */


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
 * ARGV: user, jti, pwv, exp, ttl, id, prefix, users ("redis" or ""),
 * level. The index is pruned as the session index is.
 */

static char  ngx_http_secauth_lua_family_create[] =
    "redis.call('HSET', KEYS[1], 'user', ARGV[1], 'cur', ARGV[2],\n"
    "           'pwv', ARGV[3], 'exp', ARGV[4], 'level', ARGV[9])\n"
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
 * {1} reused (the family is revoked), {2} stale (revoked), {3, pwv, exp,
 * level} spent; a family of before the level was kept gives 1, a
 * password login.
 */

static char  ngx_http_secauth_lua_family_rotate[] =
    NGX_HTTP_SECAUTH_LUA_STALE
    "local f = redis.call('HMGET', KEYS[1], 'user', 'cur', 'pwv', 'exp',\n"
    "                     'users', 'level')\n"
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
    "return {3, tonumber(f[3]) or 0, tonumber(f[4]) or 0,\n"
    "        tonumber(f[6]) or 1}\n";


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


/*
 * KEYS: user record; ARGV: the new hash, the version it was read at, "1"
 * when the version moves on (a change or reset) or "" (a rehash). Written
 * only while the version is still the one read: a rehash of the old
 * password never overwrites a change that came meanwhile, and of two
 * parallel changes one wins. HMSET: Redis before 4 has no HSET of two.
 */

static char  ngx_http_secauth_lua_user_password[] =
    "local u = redis.call('HMGET', KEYS[1], 'password', 'pwv')\n"
    "local v = tonumber(u[2]) or 0\n"
    "if not u[1] or v ~= tonumber(ARGV[2]) then return 0 end\n"
    "if ARGV[3] == '1' then\n"
    "  redis.call('HMSET', KEYS[1], 'password', ARGV[1], 'pwv', v + 1)\n"
    "else\n"
    "  redis.call('HSET', KEYS[1], 'password', ARGV[1])\n"
    "end\n"
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


/* KEYS: a one-time value. Gives it and deletes it, or nil */

static char  ngx_http_secauth_lua_once_consume[] =
    "local v = redis.call('GET', KEYS[1])\n"
    "if v then redis.call('DEL', KEYS[1]) end\n"
    "return v\n";


/*
 * KEYS: a counter; ARGV: the new value, ttl. Moves it on only forward:
 * {1}, or {0, the stored value}
 */

static char  ngx_http_secauth_lua_counter_advance[] =
    "local c = redis.call('GET', KEYS[1])\n"
    "if c and tonumber(c) >= tonumber(ARGV[1]) then return {0, c} end\n"
    "redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])\n"
    "return {1}\n";


ngx_http_secauth_redis_script_t  ngx_http_secauth_store_redis_scripts[] = {
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
    { "release", ngx_string(ngx_http_secauth_lua_release), "" },
    { "once_consume", ngx_string(ngx_http_secauth_lua_once_consume), "" },
    { "counter_advance", ngx_string(ngx_http_secauth_lua_counter_advance),
      "" }
};

ngx_uint_t  ngx_http_secauth_store_redis_nscripts =
    sizeof(ngx_http_secauth_store_redis_scripts)
    / sizeof(ngx_http_secauth_redis_script_t);
