-- ARGV[4] = created; then field, value pairs.
if is_live() then return 0 end
redis.call('DEL', key)
write(5, {'m:created', ARGV[4]})
return 1
