--[[
  indexDeadline: keeps a lower bound of the principal's next deadline in its bucket's
  deadline index (R20): an entry at or before `deadline` already bounds it (nothing to
  write); otherwise ZADD LT (an entry only moves earlier here; the sweep sets it exactly).
  Then prunes entries no sweep visited within an hour past retention, and keeps the
  index alive as long as the principal.
  Input:  due (the bucket index key), member (the principal key), deadline (ms, math.huge
          for none), now, retention, ttl (the principal's TTL, -1 for none), extended
          (whether the caller just extended that TTL)
  Output: the deadline (string) when it is now the bucket's earliest (the caller then
          lowers the sweep summary), else false
]]
local function indexDeadline(due, member, deadline, now, retention, ttl, extended)
  if deadline == math.huge then return false end
  local has = tonumber(redis.call('ZSCORE', due, member))
  if has and has <= deadline then
    if extended and redis.call('PTTL', due) < ttl then redis.call('PEXPIRE', due, ttl) end
    return false
  end
  local head = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')
  local score = string.format('%.17g', deadline)
  redis.call('ZADD', due, 'LT', score, member)
  if #head == 0 then
    if ttl > 0 then redis.call('PEXPIRE', due, ttl) end
    return score
  end
  local grace = math.max(retention, 3600000)
  if tonumber(head[2]) < now - grace then
    redis.call('ZREMRANGEBYSCORE', due, '-inf', '(' .. string.format('%.17g', now - grace))
  end
  if ttl > 0 and redis.call('PTTL', due) < ttl then redis.call('PEXPIRE', due, ttl) end
  if deadline < tonumber(head[2]) then return score end
  return false
end
