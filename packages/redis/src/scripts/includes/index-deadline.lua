--[[
  indexDeadline: keeps a lower bound of the principal's next deadline in its bucket's
  deadline index (R20): an entry at or before `deadline` already bounds it (nothing to
  write); otherwise ZADD LT (an entry only moves earlier here; the sweep sets it exactly).
  Then prunes entries no sweep visited within an hour past retention, and keeps the
  index alive as long as the principal. `indexed` is what the principal's metadata says
  its entry is (field ' d' of the records hash, written by this and by the sweep): when
  it already bounds the deadline, is too recent to be pruned, and the TTL did not move,
  nothing is read.
  Input:  due (the bucket index key), member (the principal key), deadline (ms, math.huge
          for none), now, retention, ttl (the principal's TTL, -1 for none), extended
          (whether the caller just extended that TTL), indexed (number or nil)
  Output: the deadline (string) when it is now the bucket's earliest (the caller then
          lowers the sweep summary), else false; and the entry as it now is (a number,
          for the metadata), or nil when unchanged or unknown
]]
local function indexDeadline(due, member, deadline, now, retention, ttl, extended, indexed)
  if deadline == math.huge then return false, nil end
  local grace = math.max(retention, 3600000)
  if indexed and indexed <= deadline and indexed >= now - grace and not extended then return false, nil end
  local has = tonumber(redis.call('ZSCORE', due, member))
  if has and has <= deadline then
    if extended and redis.call('PTTL', due) < ttl then redis.call('PEXPIRE', due, ttl) end
    return false, has
  end
  local head = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')
  redis.call('ZADD', due, 'LT', deadline, member)
  if #head == 0 then
    if ttl > 0 then redis.call('PEXPIRE', due, ttl) end
    return string.format('%.17g', deadline), deadline
  end
  if tonumber(head[2]) < now - grace then
    redis.call('ZREMRANGEBYSCORE', due, '-inf', '(' .. string.format('%.17g', now - grace))
  end
  if ttl > 0 and redis.call('PTTL', due) < ttl then redis.call('PEXPIRE', due, ttl) end
  if deadline < tonumber(head[2]) then return string.format('%.17g', deadline), deadline end
  return false, deadline
end
