--[[
  keepAlive: the keys' TTL is the retention backstop (R13): every key of the principal
  outlives `need` ms from now. All its keys share one TTL, carried by the write counter
  (KEYS[7], bumped by every write but touches), only ever extended, with slack so most
  writes set nothing. A counter without a TTL was just created: every key gets one. Keys
  this call may have created get the shared TTL (`extra`, KEYS indexes: 1 stands for the
  actives and their two orders, 5 for the tombstones and their order, 4 for the devices).
  need = math.huge: no expiry.
  Input:  keys (KEYS), need (ms), extra (array of KEYS indexes)
  Output: the principal's TTL in ms (-1 for none), and whether this call extended it
]]
local function keepAlive(keys, need, extra)
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
  local groups = { [1] = { 1, 2, 3 }, [4] = { 4 }, [5] = { 5, 6 } }
  for _, i in ipairs(extra) do
    if redis.call('PTTL', keys[i]) == -1 then
      for _, k in ipairs(groups[i]) do redis.call('PEXPIRE', keys[k], cur) end
    end
  end
  return cur, false
end
