--[[
  keepAlive: the keys' TTL is the retention backstop (R13): every key of the principal
  outlives `need` ms from now. All its keys share one TTL, carried by the records hash
  (KEYS[1], which always exists once anything was written: it holds the write counter),
  only ever extended, with slack so most writes set nothing. A records hash without a
  TTL was just created: every key gets one. Keys this call may have created get the
  shared TTL (`extra`, KEYS indexes: 2 stands for the last-seen and creation orders,
  4 for the devices, 5 for the tombstone order). need = math.huge: no expiry.
  Input:  keys (KEYS), need (ms), extra (array of KEYS indexes)
  Output: the principal's TTL in ms (-1 for none), and whether this call extended it
]]
local function keepAlive(keys, need, extra)
  local cur = redis.call('PTTL', keys[1])
  if need == math.huge then
    if cur ~= -1 then
      for i = 1, 5 do redis.call('PERSIST', keys[i]) end
    end
    return -1, false
  end
  if cur < need then
    cur = math.floor(need + math.min(need / 2, 3600000))
    for i = 1, 5 do redis.call('PEXPIRE', keys[i], cur) end
    return cur, true
  end
  for _, i in ipairs(extra) do
    if redis.call('PTTL', keys[i]) == -1 then
      redis.call('PEXPIRE', keys[i], cur)
      if i == 2 then redis.call('PEXPIRE', keys[3], cur) end
    end
  end
  return cur, false
end
