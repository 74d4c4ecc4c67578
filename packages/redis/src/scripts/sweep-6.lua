--[[
  Sweeps one principal its bucket's deadline index names as due (R20): ends up to a
  chunk of its expired sessions (R7), then sets its index entry to its exact next
  deadline (now, when more are due; removed when it has nothing that can expire).

  Input: the principal's six keys KEYS[1..6] and the common arguments ARGV[1..8], as
  scripts/README.md lists them, then:
    ARGV[9] the most sessions to end in this call

  Output: { expired[], head }
    head: the bucket's earliest deadline after this call ('' when the index is empty)
]]
-- @include "includes/num.lua"
-- @include "includes/split-record.lua"
-- @include "includes/expiry-reason.lua"
-- @include "includes/end-active.lua"
-- @include "includes/expire-due.lua"
-- @include "includes/trim-tombstones.lua"
-- @include "includes/keep-alive.lua"
-- @include "includes/bump.lua"
-- @include "includes/publish.lua"

local nowRaw = ARGV[1]
local now, idle, absolute = tonumber(nowRaw), num(ARGV[2]), num(ARGV[3])
local retention, maxTombstones = tonumber(ARGV[4]), tonumber(ARGV[5])
local member = ARGV[6]

local expired, more = expireDue(KEYS, now, nowRaw, idle, absolute, tonumber(ARGV[9]))
if #expired > 0 then
  bump(KEYS)
  trimTombstones(KEYS, now, retention, maxTombstones, 500)
  keepAlive(KEYS, retention, { 5 })
  publish(ARGV[7], ARGV[8], expired)
end
local deadline = math.huge
if more then
  deadline = now
else
  local l = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  local c = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  if #l > 0 then deadline = math.min(deadline, tonumber(l[2]) + idle) end
  if #c > 0 then deadline = math.min(deadline, tonumber(c[2]) + absolute) end
end
-- The metadata's ' d' follows the entry (writes skip the index while it bounds them).
local live = redis.call('EXISTS', KEYS[1]) == 1
if deadline == math.huge then
  redis.call('ZREM', KEYS[6], member)
  if live then redis.call('HDEL', KEYS[1], ' d') end
else
  redis.call('ZADD', KEYS[6], deadline, member)
  if live then redis.call('HSET', KEYS[1], ' d', string.format('%.17g', deadline)) end
end
local head = redis.call('ZRANGE', KEYS[6], 0, 0, 'WITHSCORES')
return { expired, head[2] or '' }
