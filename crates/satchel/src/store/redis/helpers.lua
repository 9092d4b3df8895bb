-- Every script takes KEYS[1] and ARGV[1] = now; writers add ARGV[2] = expiry and
-- ARGV[3] = when Redis may drop the key (both empty for none). A hash without
-- m:created is no record, and an unreadable m:expires counts as expired, so a damaged
-- record is never live. Each redis.call costs about as much as the command itself, so
-- the scripts make as few as they can: one read, one HSET, one expiry.
local key, now = KEYS[1], tonumber(ARGV[1])
local function is_live()
  local meta = redis.call('HMGET', key, 'm:created', 'm:expires')
  if not meta[1] then return false end
  return not meta[2] or (tonumber(meta[2]) or now) > now
end
-- unpack() is bounded by Lua's C stack: a big session goes in slices.
local function each_slice(command, args)
  for first = 1, #args, 4000 do
    redis.call(command, key, unpack(args, first, math.min(first + 3999, #args)))
  end
end
-- Sets `pairs` and the ARGV field, value pairs from `first` on, then the expiry.
local function write(first, pairs)
  for i = first, #ARGV do pairs[#pairs + 1] = ARGV[i] end
  if ARGV[2] == '' then
    each_slice('HSET', pairs)
    redis.call('HDEL', key, 'm:expires')
    redis.call('PERSIST', key)
  else
    pairs[#pairs + 1] = 'm:expires'
    pairs[#pairs + 1] = ARGV[2]
    each_slice('HSET', pairs)
    redis.call('EXPIREAT', key, ARGV[3])
  end
end
