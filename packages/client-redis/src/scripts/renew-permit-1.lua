--[[
  Extends a permit's lease, if it has not run out.

  KEYS[1]  the permits: a sorted set of permit id -> lease end (Redis server time, ms)
  ARGV[1]  the permit's id
  ARGV[2]  the lease, in milliseconds

  Returns 1 when renewed, 0 when the permit was lost (its lease had run out).
]]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) * 2 then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2) end
return 1
