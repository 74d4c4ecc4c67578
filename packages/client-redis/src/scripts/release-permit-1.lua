--[[
  Gives a permit back and tells every process watching its name.

  KEYS[1]  the permits: a sorted set of permit id -> lease end (Redis server time, ms)
  ARGV[1]  the permit's id
  ARGV[2]  the notification channel
  ARGV[3]  the name published on it (the permits' name as the client knows it)

  Returns the number of permits still held.
]]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local left = redis.call('ZCARD', KEYS[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return left
