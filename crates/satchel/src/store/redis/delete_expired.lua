if redis.call('EXISTS', key) == 0 or is_live() then return 0 end
return redis.call('DEL', key)
