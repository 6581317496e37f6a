"""Lua scripts of the Redis limiter; each runs atomically.

They compute what local.LocalLimiter and policy.py compute; keep the two in step.
Times are integer microseconds, from redis.call('TIME') so that hosts with skewed clocks
agree (or from ARGV where a test passes its own clock). Keys of one shop:
  state    HASH tat, bulk_tat, live_seen (the even pace; short-lived)
  log      ZSET token -> start (the starts within the span)
  leases   ZSET token -> expiry (the concurrency slots in use)
  waiting  ZSET live waiter -> expiry (bulk stays behind while one is there)
  pause    STRING pause end
  aimd     HASH base, cut_at (the rate after the last 429 and when recovery began)
  ceiling  HASH value ('none' or a rate), since, pressed (when it first held requests
           back, 0: not yet); seeded from the database
Writing after TIME needs effects replication: Redis 5 or newer.
"""

COMMON = """
local function clock(arg)
  if arg ~= '' then
    return tonumber(arg)
  end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

-- Lua hands numbers to redis.call with 14 digits; microsecond times need all 16.
local function us(x)
  return string.format('%d', x)
end

-- Returns seeded, ceiling (nil: none), since, pressed.
local function read_ceiling(key)
  local c = redis.call('HMGET', key, 'value', 'since', 'pressed')
  if not c[2] then
    return false, nil, 0, 0
  end
  local value = nil
  if c[1] ~= 'none' then
    value = tonumber(c[1])
  end
  return true, value, tonumber(c[2]), tonumber(c[3] or '0')
end

local function write_ceiling(key, value, since, ttl)
  redis.call('HSET', key, 'value', value and us(value) or 'none', 'since', us(since), 'pressed', 0)
  redis.call('PEXPIRE', key, ttl)
end

local function cap_of(rate, ceiling)
  if ceiling and ceiling < rate then
    return math.max(1, ceiling)
  end
  return rate
end

-- Like policy.effective_rate().
local function effective(aimd_key, cap, step, window, now)
  local state = redis.call('HMGET', aimd_key, 'base', 'cut_at')
  if not state[1] then
    return cap
  end
  local steps = math.floor((now - tonumber(state[2])) / window)
  if steps < 0 then
    steps = 0
  end
  return math.max(1, math.min(cap, tonumber(state[1]) + steps * step))
end

local function reply(status, wait, changed, ceiling, since)
  return {status, wait, changed, ceiling and us(ceiling) or 'none', us(since)}
end
"""

# KEYS: state, log, leases, waiting, pause, aimd, ceiling
# ARGV: rate, concurrent, lane, token, waiter, now, span, window, burst, live_share,
#       live_window, lease, poll, step, probe_interval, probe_share, ceiling_ttl_ms,
#       max_sleep, waiter_grace
# Returns {status, wait_us, ceiling_changed, ceiling, since}: status 1 granted, 0 wait,
# -1 the ceiling is not seeded (load it from the database, seed, call again).
ACQUIRE = (
    COMMON
    + """
local rate, concurrent = tonumber(ARGV[1]), tonumber(ARGV[2])
local lane, token, waiter, now = ARGV[3], ARGV[4], ARGV[5], clock(ARGV[6])
local span, window, burst = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local live_share, live_window = tonumber(ARGV[10]), tonumber(ARGV[11])
local lease, poll, step = tonumber(ARGV[12]), tonumber(ARGV[13]), tonumber(ARGV[14])
local probe_interval, probe_share = tonumber(ARGV[15]), tonumber(ARGV[16])
local ceiling_ttl, max_sleep, grace = tonumber(ARGV[17]), tonumber(ARGV[18]), tonumber(ARGV[19])

local seeded, ceiling, since, pressed = read_ceiling(KEYS[7])
if not seeded then
  return reply(-1, 0, 0, nil, 0)
end
local changed = 0
if ceiling and pressed > 0 and now - pressed >= probe_interval then
  ceiling = ceiling + math.max(1, math.ceil(ceiling * probe_share))
  if ceiling >= rate then
    ceiling = nil
  end
  since, pressed, changed = now, 0, 1
  write_ceiling(KEYS[7], ceiling, since, ceiling_ttl)
else
  redis.call('PEXPIRE', KEYS[7], ceiling_ttl)
end

local function refuse(wait)
  if lane == 'live' then
    redis.call('ZADD', KEYS[4], us(now + math.min(wait, max_sleep) + grace), waiter)
    redis.call('PEXPIRE', KEYS[4], math.ceil((max_sleep + grace) / 1000) + 1000)
  end
  return reply(0, math.max(1, math.ceil(wait)), changed, ceiling, since)
end

local state_ttl = math.ceil((span + live_window) / 1000) + 1000
if lane == 'live' then
  redis.call('HSET', KEYS[1], 'live_seen', us(now))
  redis.call('PEXPIRE', KEYS[1], state_ttl)
end
local paused_until = tonumber(redis.call('GET', KEYS[5]) or '0')
if paused_until > now then
  return refuse(paused_until - now)
end

local cap = cap_of(rate, ceiling)
local r = effective(KEYS[6], cap, step, window, now)
local b = math.max(1, math.min(burst, r))
-- Whole microseconds, rounded up: the pace may only err on the slow side.
local interval = math.ceil(span / (r - b + 1))
local tolerance = (b - 1) * interval
local bulk_interval = math.ceil(interval / (1 - live_share))
local st = redis.call('HMGET', KEYS[1], 'tat', 'bulk_tat', 'live_seen')
local tat = math.min(tonumber(st[1] or '0'), now + tolerance + interval)
local bulk_tat = math.min(tonumber(st[2] or '0'), now + tolerance + bulk_interval)
local live_present = now - tonumber(st[3] or '-1e18') < live_window

local paced = math.max(0, tat - tolerance - now)
if paced > 0 and ceiling and ceiling < rate and r >= ceiling and pressed == 0 then
  redis.call('HSET', KEYS[7], 'pressed', us(now))
end
local wait = paced

redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. us(now - span))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '(' .. us(now), '+inf')  -- a clock set back
local started = redis.call('ZCARD', KEYS[2])
if started >= rate then
  local oldest = redis.call('ZRANGE', KEYS[2], started - rate, started - rate, 'WITHSCORES')
  wait = math.max(wait, tonumber(oldest[2]) + span - now + 1)
end

redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', us(now))
if redis.call('ZCARD', KEYS[3]) >= concurrent then
  -- Look again soon, or when the first lease runs out if that comes sooner.
  local first = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  wait = math.max(wait, math.min(poll, tonumber(first[2]) - now + 1))
end

if lane == 'bulk' then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', us(now))
  if redis.call('ZCARD', KEYS[4]) > 0 then
    wait = math.max(wait, paced + interval)
  elseif live_present then
    wait = math.max(wait, bulk_tat - tolerance - now)
  end
end
if wait > 0 then
  return refuse(wait)
end

tat = math.max(tat, now) + interval
if lane == 'bulk' then
  local bulk_step = interval
  if live_present then
    bulk_step = bulk_interval
  end
  bulk_tat = math.max(bulk_tat, now) + bulk_step
  redis.call('HSET', KEYS[1], 'tat', us(tat), 'bulk_tat', us(bulk_tat))
else
  redis.call('HSET', KEYS[1], 'tat', us(tat))
  redis.call('ZREM', KEYS[4], waiter)
end
redis.call('PEXPIRE', KEYS[1], state_ttl)
redis.call('ZADD', KEYS[2], us(now), token)
redis.call('PEXPIRE', KEYS[2], math.ceil(span / 1000) + 1000)
redis.call('ZADD', KEYS[3], us(now + lease), token)
redis.call('PEXPIRE', KEYS[3], math.ceil(lease / 1000) + 1000)
return reply(1, 0, changed, ceiling, since)
"""
)

# KEYS: pause, aimd, log, ceiling
# ARGV: rate, step, window, pause, floor, decrease, now, retry_after_known (1/0),
#       ceiling_margin, ceiling_ttl_ms, aimd_ttl_ms, max_pause, least_share, measured_margin,
#       pace_sample
# Pauses every holder, cuts the rate and lowers the ceiling (unless a pause is running, or
# the 429 without Retry-After follows a cut within a window with nothing granted since its
# pause: then the pause doubles).
# Returns {status, 0, ceiling_changed, ceiling, since}; status -1: not seeded.
BACKOFF = (
    COMMON
    + """
local rate, step, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local pause, floor, decrease = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local now, known, margin = clock(ARGV[7]), ARGV[8] == '1', tonumber(ARGV[9])
local ceiling_ttl, aimd_ttl, max_pause = tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local least_share, measured_margin = tonumber(ARGV[13]), tonumber(ARGV[14])
local pace_sample = tonumber(ARGV[15])

local seeded, ceiling, since = read_ceiling(KEYS[4])
if not seeded then
  return reply(-1, 0, 0, nil, 0)
end
local function pause_until(until_us)
  redis.call('SET', KEYS[1], us(until_us), 'PX', math.ceil((until_us - now) / 1000) + 1000)
end
local paused_until = tonumber(redis.call('GET', KEYS[1]) or '0')
if paused_until > now then
  -- A 429 during a pause answers a request sent before it: the cut is made already.
  if now + pause > paused_until then
    pause_until(now + pause)
  end
  return reply(1, 0, 0, ceiling, since)
end
local aimd = redis.call('HMGET', KEYS[2], 'cut_at', 'pause', 'last')
local cut_at = tonumber(aimd[1] or '0')
if not known and aimd[1] and now < cut_at + window
    and redis.call('ZCOUNT', KEYS[3], us(cut_at), '+inf') == 0 then
  -- Like local.LocalLimiter.backoff(): nothing went through since the pause, the same
  -- congestion; wait longer.
  local longer = math.min(max_pause, math.max(pause, 2 * tonumber(aimd[2] or '0')))
  redis.call('HSET', KEYS[2], 'pause', us(longer), 'last', us(now))
  pause_until(now + longer)
  return reply(1, 0, 0, ceiling, since)
end

-- Like policy.pace_between(): the pace the shop let through since its previous 429.
local pace = nil
if not known and aimd[3] then
  local from = math.max(tonumber(aimd[3]), cut_at)
  local seconds = now - from
  local n = redis.call('ZCOUNT', KEYS[3], '(' .. us(from), '+inf') - 1
  if seconds > 0 and seconds <= window and n >= pace_sample then
    pace = n * window / seconds
  end
end

-- Like policy.after_429().
local current = effective(KEYS[2], cap_of(rate, ceiling), step, window, now)
local started = redis.call('ZCOUNT', KEYS[3], us(now - window), '+inf')
local least = math.ceil(current * least_share)
local measured = nil
if known and started < current then
  measured = math.max(started, least)
elseif not known and pace then
  measured = math.max(math.min(pace, current), least)
end
local learned, cut
if measured then
  learned = math.max(floor, math.floor(measured * measured_margin))
  cut = math.max(floor, math.min(math.floor(current * decrease), learned))
  if pace then
    cut = learned
  end
else
  learned = math.max(floor, math.floor(current * margin))
  cut = math.max(floor, math.min(math.floor(current * decrease), learned))
end
pause_until(now + pause)
redis.call('HSET', KEYS[2], 'base', cut, 'cut_at', us(now + pause), 'pause', us(pause),
  'last', us(now))
redis.call('PEXPIRE', KEYS[2], aimd_ttl)
write_ceiling(KEYS[4], learned, now, ceiling_ttl)
return reply(1, 0, 1, learned, now)
"""
)

# KEYS: ceiling. ARGV: value ('none' or a rate), since, ceiling_ttl_ms.
# Seeds the ceiling from the database unless another worker did so first.
SEED = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'value', ARGV[1], 'since', ARGV[2], 'pressed', 0)
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
end
return 1
"""

# KEYS: pause, aimd, ceiling. ARGV: rate, step, window, now.
# Returns {status, paused_for_us, rate, ceiling, since}; status -1: not seeded.
STATUS = (
    COMMON
    + """
local rate, step, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local now = clock(ARGV[4])
local seeded, ceiling, since = read_ceiling(KEYS[3])
if not seeded then
  return reply(-1, 0, 0, nil, 0)
end
local paused = math.max(0, tonumber(redis.call('GET', KEYS[1]) or '0') - now)
local r = effective(KEYS[2], cap_of(rate, ceiling), step, window, now)
return {1, paused, r, ceiling and us(ceiling) or 'none', us(since)}
"""
)
