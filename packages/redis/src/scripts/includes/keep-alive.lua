--[[
  keepAlive: the keys' TTL is the retention backstop (R-TTL): every key of the principal
  outlives `need` ms from now. The write counter (KEYS[7]) carries the principal's TTL;
  it is only ever extended (with slack, so most writes set nothing), and keys created by
  this call (`fresh`, KEYS indexes) get the same TTL. need = math.huge: no expiry.
  Input:  keys (KEYS), need (ms), fresh (array of KEYS indexes written for the first time)
  Output: the principal's TTL in ms (-1 for none), and whether this call extended it
  (A counter without a TTL is one this call created, or one of a principal kept while its
  timeouts were off: either way it gets the TTL now.)
]]
local function keepAlive(keys, need, fresh)
  local cur = redis.call('PTTL', keys[7])
  if need == math.huge then
    if cur ~= -1 then
      for i = 1, 7 do redis.call('PERSIST', keys[i]) end
    end
    return -1, false
  end
  if cur < need then
    cur = math.floor(need + math.min(need / 2, 3600000))
    for i = 1, 7 do redis.call('PEXPIRE', keys[i], cur) end
    return cur, true
  end
  for _, i in ipairs(fresh) do
    if redis.call('PTTL', keys[i]) == -1 then redis.call('PEXPIRE', keys[i], cur) end
  end
  return cur, false
end
