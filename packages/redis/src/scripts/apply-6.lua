--[[
  Writes an admission planned in JavaScript by a custom eviction policy (the optimistic
  path), if and only if nobody wrote the principal since it was read (compare-and-set on
  the write counter, R1): ends the planned sessions with their planned reasons and
  writes the candidate. On a conflict nothing is written; the caller re-reads and re-plans.

  Input: the principal's six keys KEYS[1..6] and the common arguments ARGV[1..8], as
  scripts/README.md lists them, then:
    ARGV[9]  the write counter read before planning ('' when there was none)
    ARGV[10] candidate session id ('' when the plan admits nobody)
    ARGV[11] candidate record ('' when none)
    ARGV[12] candidate device (URI-encoded, '' when none)
    ARGV[13], ARGV[14], ...  pairs: session id to end, its reason

  Output: { 'ok', ended[], lowered } or { 'conflict' }
]]
-- @include "includes/num.lua"
-- @include "includes/split-record.lua"
-- @include "includes/end-active.lua"
-- @include "includes/trim-tombstones.lua"
-- @include "includes/keep-alive.lua"
-- @include "includes/index-deadline.lua"
-- @include "includes/bump.lua"
-- @include "includes/publish.lua"

local nowRaw = ARGV[1]
local now, idle, absolute = tonumber(nowRaw), num(ARGV[2]), num(ARGV[3])
local retention, maxTombstones = tonumber(ARGV[4]), tonumber(ARGV[5])
local id, record, device = ARGV[10], ARGV[11], ARGV[12]

local meta = redis.call('HMGET', KEYS[1], ' w', ' d')
if (meta[1] or '') ~= ARGV[9] then return { 'conflict' } end
local ended = {}
for i = 13, #ARGV, 2 do
  local t = endActive(KEYS, ARGV[i], redis.call('HGET', KEYS[1], ARGV[i]), ARGV[i + 1], nowRaw)
  if t then ended[#ended + 1] = t end
end
local need, deadline = retention, math.huge
if record ~= '' then
  redis.call('ZREM', KEYS[5], id)
  local _, last, created = splitRecord(record)
  redis.call('HSET', KEYS[1], id, record)
  redis.call('ZADD', KEYS[2], last, id)
  redis.call('ZADD', KEYS[3], created, id)
  if device ~= '' then redis.call('ZADD', KEYS[4], 0, device .. '\n' .. id) end
  deadline = math.min(tonumber(last) + idle, tonumber(created) + absolute)
  need = math.max(need, deadline + retention - now)
end
bump(KEYS)
if #ended > 0 then trimTombstones(KEYS, now, retention, maxTombstones, 500) end
local extra = {}
if record ~= '' then extra[#extra + 1] = 2 end
if record ~= '' and device ~= '' then extra[#extra + 1] = 4 end
if #ended > 0 then extra[#extra + 1] = 5 end
local ttl, extended = keepAlive(KEYS, need, extra)
local lowered, entry = indexDeadline(KEYS[6], ARGV[6], deadline, now, retention, ttl, extended, tonumber(meta[2]))
if entry and entry ~= tonumber(meta[2]) then redis.call('HSET', KEYS[1], ' d', string.format('%.17g', entry)) end
lowered = lowered or ''
publish(ARGV[7], ARGV[8], ended)
return { 'ok', ended, lowered }
