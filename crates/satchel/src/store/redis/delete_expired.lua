if redis.call('EXISTS', key) == 0 or not is_expired() then return 0 end
return redis.call('DEL', key)
