--[[
  Updates one bucket's entry in the sweep summary (R20): 'lower' moves it earlier only
  (ZADD LT, after a write made the bucket's earliest deadline earlier), 'set' sets it to
  the bucket's head as a sweep just read it ('' removes it). Keeps the summary alive at
  least `ttl` ms.

  Input:
    KEYS[1] the sweep summary (zset: bucket -> lower bound of its earliest deadline)
    ARGV[1] 'lower' or 'set'
    ARGV[2] the bucket
    ARGV[3] the deadline (ms; '' with 'set': remove)
    ARGV[4] keep the summary at least this long (ms; '' for no change)

  Output: 1
]]
if redis.call('TYPE', KEYS[1]).ok ~= 'zset' and redis.call('EXISTS', KEYS[1]) == 1 then redis.call('DEL', KEYS[1]) end
if ARGV[1] == 'lower' then
  redis.call('ZADD', KEYS[1], 'LT', ARGV[3], ARGV[2])
elseif ARGV[3] == '' then
  redis.call('ZREM', KEYS[1], ARGV[2])
else
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
end
if ARGV[4] ~= '' then
  local has = redis.call('PTTL', KEYS[1])
  if has < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
end
return 1
