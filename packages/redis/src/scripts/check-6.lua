--[[
  Checks one session when the fast path (a plain HGET of its record, decided in
  JavaScript) cannot answer: ends it if it has expired (R7), otherwise answers from
  its record or its tombstone (R13: forgotten after retention). Never revives
  (R12), never touches (touches are written by touch-6.lua).

  Input: the principal's six keys KEYS[1..6] and the common arguments ARGV[1..8], as
  scripts/README.md lists them, then:
    ARGV[9] the session id

  Output: { status, record, junk }
    status: 'active', 'ended' (a retained tombstone), 'expired' (ended by this call),
            'unknown' (absent or forgotten; record is '')
    junk:   1 when a value under the id was not a record (dropped), else 0
]]
-- @include "includes/num.lua"
-- @include "includes/split-record.lua"
-- @include "includes/expiry-reason.lua"
-- @include "includes/end-active.lua"
-- @include "includes/trim-tombstones.lua"
-- @include "includes/keep-alive.lua"
-- @include "includes/bump.lua"
-- @include "includes/publish.lua"

local nowRaw = ARGV[1]
local now, idle, absolute = tonumber(nowRaw), num(ARGV[2]), num(ARGV[3])
local retention, maxTombstones = tonumber(ARGV[4]), tonumber(ARGV[5])
local id = ARGV[9]

local v = redis.call('HGET', KEYS[1], id)
if not v then return { 'unknown', '', 0 } end
local st, last, created, endedRaw = splitRecord(v)
if not st then
  -- R18: junk under the id is dropped.
  endActive(KEYS, id, v, '', nowRaw)
  redis.call('ZREM', KEYS[5], id)
  return { 'unknown', '', 1 }
end
if st == 'e' then
  -- R13: a tombstone answers while retained, then the session is forgotten.
  if now >= tonumber(endedRaw) + retention then return { 'unknown', '', 0 } end
  return { 'ended', v, 0 }
end
local reason = expiryReason(tonumber(last), tonumber(created), now, idle, absolute)
if not reason then return { 'active', v, 0 } end
-- R7, R8: it has expired: it ends now, reported once.
local tomb = endActive(KEYS, id, v, reason, nowRaw)
bump(KEYS)
trimTombstones(KEYS, now, retention, maxTombstones, 500)
keepAlive(KEYS, retention, { 5 })
publish(ARGV[7], ARGV[8], { tomb })
return { 'expired', tomb, 0 }
