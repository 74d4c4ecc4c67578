--[[
  Ends the active sessions of a principal but one, one bounded chunk per call (R19;
  expired ones end with their expiry reason, R7): the caller repeats with the
  returned cursor until it is '0'. Walks the actives hash itself (HSCAN), so junk fields
  of any count are dropped on the way.

  Input: the principal's six keys KEYS[1..6] and the common arguments ARGV[1..8], as
  scripts/README.md lists them, then:
    ARGV[9]  the session to keep ('' for none: a session id is never empty)
    ARGV[10] the end reason
    ARGV[11] the HSCAN cursor ('0' to start)
    ARGV[12] how many fields to visit (HSCAN COUNT)

  Output: { cursor, ended[], expired[], junk } (junk: how many junk fields were dropped)
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
local except, reason = ARGV[9], ARGV[10]

local page = redis.call('HSCAN', KEYS[1], ARGV[11], 'COUNT', ARGV[12])
local fields = page[2]
local ended, expired, all, junk = {}, {}, {}, 0
for i = 1, #fields, 2 do
  local id, v = fields[i], fields[i + 1]
  -- Tombstones stay as they are; metadata fields start with a space.
  local st, last, created = splitRecord(v)
  if id ~= except and st ~= 'e' and string.sub(id, 1, 1) ~= ' ' then
    local expiry = st and expiryReason(tonumber(last), tonumber(created), now, idle, absolute)
    local tomb = endActive(KEYS, id, v, expiry or reason, nowRaw)
    if not tomb then
      junk = junk + 1
    else
      all[#all + 1] = tomb
      if expiry then expired[#expired + 1] = tomb else ended[#ended + 1] = tomb end
    end
  end
end
if #all > 0 or junk > 0 then
  bump(KEYS)
  if #all > 0 then trimTombstones(KEYS, now, retention, maxTombstones, 500) end
  keepAlive(KEYS, retention, { 5 })
  publish(ARGV[7], ARGV[8], all)
end
return { page[1], ended, expired, junk }
