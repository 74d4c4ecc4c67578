--[[
  Lists one bounded chunk of a principal's sessions (the caller repeats with the
  returned cursor until it is '0'): active records ('a', ending the expired ones on the
  way, R-EXPIRE) or retained tombstones ('t', forgetting those past retention, R-FORGET).
  Junk fields of any count are dropped on the way.

  Input:
    KEYS[1] actives (hash: id -> record)        KEYS[5] tombstones (hash: id -> record)
    KEYS[2] last-seen order (zset: id -> ms)     KEYS[6] tombstone order (zset: id -> endedAt)
    KEYS[3] creation order (zset: id -> ms)      KEYS[7] write counter (string)
    KEYS[4] devices (zset: "<device>\n<id>")     KEYS[8] the bucket's deadline index
    ARGV[1] now (ms, stored verbatim)            ARGV[5] most tombstones kept
    ARGV[2] idle timeout (ms or 'inf')           ARGV[6] the principal key
    ARGV[3] absolute timeout (ms or 'inf')       ARGV[7] bus channel ('' when off)
    ARGV[4] tombstone retention (ms)             ARGV[8] origin of the calling process
    ARGV[9]  'a' (actives) or 't' (tombstones)
    ARGV[10] the HSCAN cursor ('0' to start)
    ARGV[11] how many fields to visit (HSCAN COUNT)

  Output: { cursor, records[], expired[], junk }
    records: live actives, or retained tombstones; expired: tombstones written now
    junk: how many junk fields were dropped
]]
-- @include "includes/num.lua"
-- @include "includes/split-record.lua"
-- @include "includes/expiry-reason.lua"
-- @include "includes/end-active.lua"
-- @include "includes/lowest.lua"
-- @include "includes/trim-tombstones.lua"
-- @include "includes/keep-alive.lua"
-- @include "includes/publish.lua"

local nowRaw = ARGV[1]
local now, idle, absolute = tonumber(nowRaw), num(ARGV[2]), num(ARGV[3])
local retention, maxTombstones = tonumber(ARGV[4]), tonumber(ARGV[5])
local actives = ARGV[9] == 'a'

local page = redis.call('HSCAN', actives and KEYS[1] or KEYS[5], ARGV[10], 'COUNT', ARGV[11])
local fields = page[2]
local records, expired, junk, forgot = {}, {}, 0, 0
for i = 1, #fields, 2 do
  local id, v = fields[i], fields[i + 1]
  local st, last, created, endedRaw = splitRecord(v)
  if actives then
    local reason = st == 'a' and expiryReason(tonumber(last), tonumber(created), now, idle, absolute)
    if st ~= 'a' then
      endActive(KEYS, id, v, '', nowRaw)
      junk = junk + 1
    elseif reason then
      expired[#expired + 1] = endActive(KEYS, id, v, reason, nowRaw)
    else
      records[#records + 1] = v
    end
  elseif st == 'e' and now < tonumber(endedRaw) + retention then
    records[#records + 1] = v
  else
    redis.call('HDEL', KEYS[5], id)
    redis.call('ZREM', KEYS[6], id)
    if st == 'e' then forgot = forgot + 1 else junk = junk + 1 end
  end
end
if #expired > 0 or junk > 0 or forgot > 0 then
  redis.call('INCR', KEYS[7])
  if #expired > 0 then trimTombstones(KEYS, now, retention, maxTombstones, 500) end
  keepAlive(KEYS, retention, { 5 })
  publish(ARGV[7], ARGV[8], expired)
end
return { page[1], records, expired, junk }
