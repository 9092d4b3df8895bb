-- Every script takes KEYS[1] and ARGV[1] = now; writers add ARGV[2] = expiry and
-- ARGV[3] = when Redis may drop the key (both empty for none). A hash without
-- m:created is no record, and an unreadable m:expires counts as expired, so a damaged
-- record is never live. Each redis.call costs about as much as the command itself, so
-- the scripts make as few as they can: one read, one HSET, and an EXPIREAT only when
-- the drop time (kept in m:ttl, in steps of minutes) moves.
local key, now = KEYS[1], tonumber(ARGV[1])
-- m:created, m:expires and m:ttl of the stored hash, as is_live read them.
local meta = {}
local function is_live()
  meta = redis.call('HMGET', key, 'm:created', 'm:expires', 'm:ttl')
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
    if meta[2] or meta[3] then
      redis.call('HDEL', key, 'm:expires', 'm:ttl')
      redis.call('PERSIST', key)
    end
  else
    pairs[#pairs + 1] = 'm:expires'
    pairs[#pairs + 1] = ARGV[2]
    pairs[#pairs + 1] = 'm:ttl'
    pairs[#pairs + 1] = ARGV[3]
    each_slice('HSET', pairs)
    if meta[3] ~= ARGV[3] then redis.call('EXPIREAT', key, ARGV[3]) end
  end
end
