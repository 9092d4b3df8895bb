-- ARGV[4] = cleared (1 or 0), ARGV[5] = n removed; n field names; then pairs.
if not is_live() then return 0 end
local gone = {}
if ARGV[4] == '1' then
  for _, field in ipairs(redis.call('HKEYS', key)) do
    if string.sub(field, 1, 2) == 'd:' then gone[#gone + 1] = field end
  end
end
local removed = tonumber(ARGV[5])
for i = 6, 5 + removed do gone[#gone + 1] = ARGV[i] end
each_slice('HDEL', gone)
write(6 + removed, {})
return 1
