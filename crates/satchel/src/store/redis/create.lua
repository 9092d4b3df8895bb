-- ARGV[4] = created; then field, value pairs.
if is_live() then return 0 end
redis.call('DEL', key)
redis.call('HSET', key, 'm:created', ARGV[4])
set_fields(5)
set_expiry()
return 1
