-- Peer scenarios of scripts/bench.sh (peer-lua-hs256, peer-lua-redis-session):
-- what a deployment without the module would write in Lua on Debian's
-- libnginx-mod-http-lua. Debian packages no lua-resty-hmac or -jwt, so
-- HMAC-SHA256 and SHA-256 come from OpenSSL's libcrypto through LuaJIT's
-- FFI (nginx is linked with it; its symbols are in the process).
local ffi = require "ffi"
local b64 = require "ngx.base64"
local cjson = require "cjson.safe"
local redis = require "nginx.redis"

ffi.cdef [[
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
                    const unsigned char *d, size_t n, unsigned char *md,
                    unsigned int *md_len);
unsigned char *SHA256(const unsigned char *d, size_t n, unsigned char *md);
]]

local C = ffi.C
if not pcall(function() return C.EVP_sha256 end) then
    C = ffi.load("libcrypto.so.3")
end

local md = ffi.new("unsigned char[32]")
local md_len = ffi.new("unsigned int[1]")
local sha256 = C.EVP_sha256()

local _M = {}
local key

-- init_by_lua: the HS256 secret, read once in the master
function _M.init(path)
    local f = assert(io.open(path, "rb"))
    key = f:read("*a")
    f:close()
end

local function hmac_b64url(data)
    C.HMAC(sha256, key, #key, data, #data, md, md_len)
    return b64.encode_base64url(ffi.string(md, md_len[0]))
end

-- constant time in the length of the expected value
local function equal(a, b)
    if #a ~= #b then
        return false
    end
    local d = 0
    for i = 1, #a do
        d = bit.bor(d, bit.bxor(a:byte(i), b:byte(i)))
    end
    return d == 0
end

-- access_by_lua: a valid HS256 bearer token or 401
function _M.hs256()
    local auth = ngx.var.http_authorization
    if not auth or auth:sub(1, 7) ~= "Bearer " then
        return ngx.exit(401)
    end
    local h, p, s = auth:match("^Bearer ([%w_-]+)%.([%w_-]+)%.([%w_-]+)$")
    if not h then
        return ngx.exit(401)
    end
    if not equal(hmac_b64url(h .. "." .. p), s) then
        return ngx.exit(401)
    end
    local header = cjson.decode(b64.decode_base64url(h) or "")
    if type(header) ~= "table" or header.alg ~= "HS256" then
        return ngx.exit(401)
    end
    local claims = cjson.decode(b64.decode_base64url(p) or "")
    if type(claims) ~= "table" or type(claims.exp) ~= "number"
            or claims.exp <= ngx.time() then
        return ngx.exit(401)
    end
    if type(claims.nbf) == "number" and claims.nbf > ngx.time() then
        return ngx.exit(401)
    end
end

-- lowercase hex through a table (gsub with a callback is not compiled by
-- LuaJIT: it would charge the peer for an interpreter detour)
local hexdigits = {}
for i = 0, 255 do
    hexdigits[i] = string.format("%02x", i)
end
local hexbuf = {}

local function hex(p, n)
    for i = 0, n - 1 do
        hexbuf[i + 1] = hexdigits[p[i]]
    end
    return table.concat(hexbuf, "", 1, n)
end

-- the Redis key of a session id, as the module has it (docs/sessions.md)
function _M.session_key(prefix, id)
    C.SHA256(id, #id, md)
    return prefix .. "session:" .. hex(md, 32)
end

-- access_by_lua: the cookie "sid" names a live session in Redis, or 401;
-- one GET on a keepalive connection (resty.redis, Debian's lua-nginx-redis)
function _M.session(host, port, idle, absolute)
    local id = ngx.var.cookie_sid
    if not id or #id ~= 43 then
        return ngx.exit(401)
    end
    local r = redis:new()
    r:set_timeout(1000)
    local ok, err = r:connect(host, port)
    if not ok then
        ngx.log(ngx.ERR, "redis: ", err)
        return ngx.exit(503)
    end
    local v
    v, err = r:get(_M.session_key("secauth:", id))
    if not v then
        ngx.log(ngx.ERR, "redis: ", err)
        return ngx.exit(503)
    end
    r:set_keepalive(60000, 64)
    if v == ngx.null then
        return ngx.exit(401)
    end
    local s = cjson.decode(v)
    local now = ngx.time()
    if type(s) ~= "table" or type(s.user) ~= "string"
            or type(s.created) ~= "number" or type(s.last_seen) ~= "number"
            or now - s.created >= absolute or now - s.last_seen >= idle then
        return ngx.exit(401)
    end
    ngx.var.peer_user = s.user
end

return _M
