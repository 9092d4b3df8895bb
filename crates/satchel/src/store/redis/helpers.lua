-- Every script takes KEYS[1] and ARGV[1] = now; writers add ARGV[2] = expiry and
-- ARGV[3] = when Redis may drop the key (both empty for none). An unreadable
-- m:expires counts as expired, so a damaged record is never live.
local key, now = KEYS[1], tonumber(ARGV[1])
local function is_expired()
  local at = redis.call('HGET', key, 'm:expires')
  return at ~= false and (tonumber(at) or now) <= now
end
local function is_live()
  return redis.call('EXISTS', key) == 1 and not is_expired()
end
local function set_expiry()
  if ARGV[2] == '' then
    redis.call('HDEL', key, 'm:expires')
    redis.call('PERSIST', key)
  else
    redis.call('HSET', key, 'm:expires', ARGV[2])
    redis.call('EXPIREAT', key, ARGV[3])
  end
end
local function set_fields(first)
  for i = first, #ARGV, 2 do
    redis.call('HSET', key, ARGV[i], ARGV[i + 1])
  end
end
