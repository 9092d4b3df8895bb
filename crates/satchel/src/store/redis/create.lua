-- ARGV[4] = created; then field, value pairs. A new id's key does not exist: one EXISTS
-- instead of reading and deleting what is not there.
if redis.call('EXISTS', key) == 1 then
  if is_live() then return 0 end
  redis.call('DEL', key)
  meta = {}
end
write(5, {'m:created', ARGV[4]})
return 1
