-- A different bearer token on each request, cycling through more tokens
-- than the verified-token cache holds: every check is a cache miss.
-- The tokens come from $BENCH_DIR/tokens.txt (a scenario's prepare()).
local tokens = {}
local f = assert(io.open(os.getenv("BENCH_DIR") .. "/tokens.txt"))
for line in f:lines() do
    tokens[#tokens + 1] = line
end
f:close()

local i = 0

request = function()
    i = i % #tokens + 1
    return wrk.format(nil, nil, { Authorization = "Bearer " .. tokens[i] })
end
