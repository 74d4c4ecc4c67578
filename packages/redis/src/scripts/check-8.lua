--[[
  Checks one session when the fast path (a plain HGET of its record, decided in
  JavaScript) cannot answer: ends it if it has expired (R-EXPIRE), otherwise answers from
  its record or its tombstone (R-FORGET: forgotten after retention). Never revives
  (R-NOREVIVE), never touches (touches are written by touch-8.lua).

  Input:
    KEYS[1] actives (hash: id -> record)        KEYS[5] tombstones (hash: id -> record)
    KEYS[2] last-seen order (zset: id -> ms)     KEYS[6] tombstone order (zset: id -> endedAt)
    KEYS[3] creation order (zset: id -> ms)      KEYS[7] write counter (string)
    KEYS[4] devices (zset: "<device>\n<id>")     KEYS[8] the bucket's deadline index
    ARGV[1] now (ms, stored verbatim)            ARGV[5] most tombstones kept
    ARGV[2] idle timeout (ms or 'inf')           ARGV[6] the principal key
    ARGV[3] absolute timeout (ms or 'inf')       ARGV[7] bus channel ('' when off)
    ARGV[4] tombstone retention (ms)             ARGV[8] origin of the calling process
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
-- @include "includes/lowest.lua"
-- @include "includes/trim-tombstones.lua"
-- @include "includes/keep-alive.lua"
-- @include "includes/publish.lua"

local nowRaw = ARGV[1]
local now, idle, absolute = tonumber(nowRaw), num(ARGV[2]), num(ARGV[3])
local retention, maxTombstones = tonumber(ARGV[4]), tonumber(ARGV[5])
local id = ARGV[9]

local v = redis.call('HGET', KEYS[1], id)
if v then
  local st, last, created = splitRecord(v)
  if not st or st ~= 'a' then
    endActive(KEYS, id, v, '', nowRaw)
    return { 'unknown', '', 1 }
  end
  local reason = expiryReason(tonumber(last), tonumber(created), now, idle, absolute)
  if not reason then return { 'active', v, 0 } end
  local tomb = endActive(KEYS, id, v, reason, nowRaw)
  redis.call('INCR', KEYS[7])
  trimTombstones(KEYS, now, retention, maxTombstones, 500)
  keepAlive(KEYS, retention, { 5 })
  publish(ARGV[7], ARGV[8], { tomb })
  return { 'expired', tomb, 0 }
end
local tomb = redis.call('HGET', KEYS[5], id)
if not tomb then return { 'unknown', '', 0 } end
local st, _, _, endedRaw = splitRecord(tomb)
if not st or st ~= 'e' then
  redis.call('HDEL', KEYS[5], id)
  redis.call('ZREM', KEYS[6], id)
  return { 'unknown', '', 1 }
end
if now >= tonumber(endedRaw) + retention then return { 'unknown', '', 0 } end
return { 'ended', tomb, 0 }
