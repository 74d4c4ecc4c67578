--[[
  Takes one of ARGV[1] permits with a lease: a distributed semaphore whose holders that
  stop renewing (their process died) free their permit when the lease runs out.

  KEYS[1]  the permits: a sorted set of permit id -> lease end (Redis server time, ms)
  ARGV[1]  the most permits
  ARGV[2]  the lease, in milliseconds
  ARGV[3]  the new permit's id

  Returns 1 when the permit was taken, 0 when all are held.
]]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
return 1
