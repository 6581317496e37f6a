"""Lua scripts of the Redis limiter; each runs atomically on Redis's own clock.

Times are integer microseconds from redis.call('TIME'), so hosts with skewed clocks agree.
Keys (one shop): KEYS[1] log of request starts (ZSET token -> start), KEYS[2] leases of the
slots in use (ZSET token -> expiry), KEYS[3] pause end (string), KEYS[4] AIMD state (HASH
base, cut_at). Writing after TIME needs effects replication: Redis 5 or newer.
"""

# effective(rate, step, window, now): like policy.effective_rate(); keep the two in step.
EFFECTIVE = """
local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

-- Lua hands numbers to redis.call with 14 digits; microsecond times need all 16.
local function us(x)
  return string.format('%d', x)
end

local function effective(aimd_key, rate, step, window, now)
  local state = redis.call('HMGET', aimd_key, 'base', 'cut_at')
  if not state[1] then
    return rate
  end
  local steps = math.floor((now - tonumber(state[2])) / window)
  if steps < 0 then
    steps = 0
  end
  return math.max(1, math.min(rate, tonumber(state[1]) + steps * step))
end
"""

# ARGV: rate, concurrent, step, window_us, span_us, lease_us, poll_us, token
# Returns {1, 0} when granted, else {0, microseconds to wait}.
ACQUIRE = (
    EFFECTIVE
    + """
local rate, concurrent, step = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local window, span = tonumber(ARGV[4]), tonumber(ARGV[5])
local lease, poll, token = tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8]
local now = now_us()

local paused_until = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused_until > now then
  return {0, paused_until - now}
end

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. us(now - span))
local started = redis.call('ZCARD', KEYS[1])
local allowed = effective(KEYS[4], rate, step, window, now)
if started >= allowed then
  -- Free once enough of the oldest starts have left the span.
  local oldest = redis.call('ZRANGE', KEYS[1], started - allowed, started - allowed, 'WITHSCORES')
  return {0, math.max(1, tonumber(oldest[2]) + span - now + 1)}
end

redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', us(now))
if redis.call('ZCARD', KEYS[2]) >= concurrent then
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {0, math.max(1, math.min(poll, tonumber(first[2]) - now + 1))}
end

redis.call('ZADD', KEYS[1], us(now), token)
redis.call('PEXPIRE', KEYS[1], math.ceil(span / 1000) + 1000)
redis.call('ZADD', KEYS[2], us(now + lease), token)
redis.call('PEXPIRE', KEYS[2], math.ceil(lease / 1000) + 1000)
return {1, 0}
"""
)

# ARGV: rate, step, window_us, pause_us, floor, decrease, aimd_ttl_ms
# Pauses every holder and cuts the effective rate; returns the rate now in force.
BACKOFF = (
    EFFECTIVE
    + """
local rate, step, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local pause, floor, decrease = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local ttl = tonumber(ARGV[7])
local now = now_us()

local paused_until = tonumber(redis.call('GET', KEYS[1]) or '0')
local until_us = now + pause
if until_us > paused_until then
  redis.call('SET', KEYS[1], us(until_us), 'PX', math.ceil(pause / 1000) + 1000)
end
if paused_until > now then
  -- A 429 during a pause answers a request sent before it: the rate is cut already.
  return effective(KEYS[2], rate, step, window, now)
end

local cut = math.max(floor, math.floor(effective(KEYS[2], rate, step, window, now) * decrease))
redis.call('HSET', KEYS[2], 'base', cut, 'cut_at', us(until_us))
redis.call('PEXPIRE', KEYS[2], ttl)
return cut
"""
)

# ARGV: rate, step, window_us. Returns the effective rate now.
EFFECTIVE_LIMIT = (
    EFFECTIVE
    + """
return effective(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), now_us())
"""
)
