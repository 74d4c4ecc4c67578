--[[
  Compare-and-set of a principal's shared session (one login per principal cluster-wide).

  KEYS[1]  the session hash: { generation, data }
  ARGV[1]  the generation the caller expects to be stored (0: none)
  ARGV[2]  the sealed material of the new session

  Returns { stored (1|0), generation stored after the call, data stored after the call (or false) }
  The new generation is ARGV[1] + 1 when stored. The number never goes back.
]]
local current = tonumber(redis.call('HGET', KEYS[1], 'generation') or '0')
if current ~= tonumber(ARGV[1]) then
  return { 0, current, redis.call('HGET', KEYS[1], 'data') }
end
local generation = current + 1
redis.call('HSET', KEYS[1], 'generation', generation, 'data', ARGV[2])
return { 1, generation, ARGV[2] }
