--[[
  Ends one active session (R19; an expired one ends with its expiry reason instead,
  R7), keeps the tombstones bounded (R14) and publishes the end.

  Input: the principal's six keys KEYS[1..6] and the common arguments ARGV[1..8], as
  scripts/README.md lists them, then:
    ARGV[9]  the session id
    ARGV[10] the end reason

  Output: { ended[], expired[], junk } (at most one record in all; junk 1 when the
          value under the id was not a record and was dropped)
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
local id, reason = ARGV[9], ARGV[10]

local v = redis.call('HGET', KEYS[1], id)
if not v then return { {}, {}, 0 } end
local st, last, created = splitRecord(v)
-- Already ended: nothing to do (R12: its tombstone stays as it is).
if st == 'e' then return { {}, {}, 0 } end
local expiry = st and expiryReason(tonumber(last), tonumber(created), now, idle, absolute)
local tomb = endActive(KEYS, id, v, expiry or reason, nowRaw)
if not tomb then return { {}, {}, 1 } end
bump(KEYS)
trimTombstones(KEYS, now, retention, maxTombstones, 500)
keepAlive(KEYS, retention, { 5 })
publish(ARGV[7], ARGV[8], { tomb })
if expiry then return { {}, { tomb }, 0 } end
return { { tomb }, {}, 0 }
