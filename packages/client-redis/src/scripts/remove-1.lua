--[[
  Drops the material of a logged-out shared session, keeping its generation number.

  KEYS[1]  the session hash: { generation, data }
  ARGV[1]  the generation logged out

  Returns 1 when it was still the stored generation (material dropped), else 0.
]]
if redis.call('HGET', KEYS[1], 'generation') ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], 'data')
return 1
