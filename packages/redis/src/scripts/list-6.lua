--[[
  Lists one bounded chunk of a principal's sessions (the caller repeats with the
  returned cursor until it is '0'): active records (ending the expired ones on the way,
  R7, R8) and retained tombstones (forgetting those past retention, R13), both in the
  records hash. Junk fields of any count are dropped on the way (R18).

  Input: the principal's six keys KEYS[1..6] and the common arguments ARGV[1..8], as
  scripts/README.md lists them, then:
    ARGV[9]  the HSCAN cursor ('0' to start)
    ARGV[10] how many fields to visit (HSCAN COUNT)

  Output: { cursor, records[], expired[], junk, trimmed[] }
    records: live actives and retained tombstones (those written now included, unless
             the cap dropped them at once); expired: tombstones written now
    junk: how many junk fields were dropped
    trimmed: ids whose tombstones the cap (R14) dropped now (an earlier chunk may have
             listed them: the caller leaves them out)
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
local page = redis.call('HSCAN', KEYS[1], ARGV[9], 'COUNT', ARGV[10])
local fields = page[2]
local records, expired, expiredIds, trimmed, junk, forgot = {}, {}, {}, {}, 0, 0
for i = 1, #fields, 2 do
  local id, v = fields[i], fields[i + 1]
  local st, last, created, endedRaw = splitRecord(v)
  if string.sub(id, 1, 1) == ' ' then
    -- Metadata (the write counter, the indexed deadline): not a session.
  elseif st == 'a' then
    local reason = expiryReason(tonumber(last), tonumber(created), now, idle, absolute)
    if reason then
      -- R8: it ends now (listed below as a tombstone if the cap keeps it).
      expired[#expired + 1] = endActive(KEYS, id, v, reason, nowRaw)
      expiredIds[#expiredIds + 1] = id
    else
      records[#records + 1] = v
    end
  elseif st == 'e' and now < tonumber(endedRaw) + retention then
    records[#records + 1] = v
  elseif st == 'e' then
    -- R13: forgotten.
    redis.call('HDEL', KEYS[1], id)
    redis.call('ZREM', KEYS[5], id)
    forgot = forgot + 1
  else
    -- R18: junk is dropped.
    endActive(KEYS, id, v, '', nowRaw)
    redis.call('ZREM', KEYS[5], id)
    junk = junk + 1
  end
end
if #expired > 0 or junk > 0 or forgot > 0 then
  bump(KEYS)
  if #expired > 0 then
    local dropped = trimTombstones(KEYS, now, retention, maxTombstones, 500)
    for i, id in ipairs(expiredIds) do
      if not dropped[id] then records[#records + 1] = expired[i] end
    end
    for id in pairs(dropped) do trimmed[#trimmed + 1] = id end
  end
  keepAlive(KEYS, retention, { 5 })
  publish(ARGV[7], ARGV[8], expired)
end
return { page[1], records, expired, junk, trimmed }
