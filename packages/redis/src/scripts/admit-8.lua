--[[
  Admits a login under a built-in eviction policy, in one atomic step (R-ADMIT): ends the
  expired sessions it meets (R-EXPIRE), refuses an ended id (R-NOREVIVE), replaces the
  same device's sessions (R-DEVICE), evicts exactly as many as needed in the policy's
  order or refuses (R-LIMIT, R-ORDER), writes the candidate. Never reads the tombstones
  beyond the candidate's own: O(log n) in the principal's active sessions (plus what it
  ends).

  Input:
    KEYS[1] actives (hash: id -> record)        KEYS[5] tombstones (hash: id -> record)
    KEYS[2] last-seen order (zset: id -> ms)     KEYS[6] tombstone order (zset: id -> endedAt)
    KEYS[3] creation order (zset: id -> ms)      KEYS[7] write counter (string)
    KEYS[4] devices (zset: "<device>\n<id>")     KEYS[8] the bucket's deadline index
    ARGV[1] now (ms, stored verbatim)            ARGV[5] most tombstones kept
    ARGV[2] idle timeout (ms or 'inf')           ARGV[6] the principal key
    ARGV[3] absolute timeout (ms or 'inf')       ARGV[7] bus channel ('' when off)
    ARGV[4] tombstone retention (ms)             ARGV[8] origin of the calling process
    ARGV[9]  candidate session id
    ARGV[10] candidate record (active)
    ARGV[11] candidate device (URI-encoded, '' when none: R-DEVICE)
    ARGV[12] the limit (integer or 'inf')
    ARGV[13] 'evict' or 'reject'
    ARGV[14] order: 'last-seen' or 'created'
    ARGV[15] '1' when a login replaces the same device's sessions
    ARGV[16] only sessions idle at least this many ms may be evicted (0: any)

  Output: { status, session, evicted[], replaced[], expired[], holders[], lowered }
    status: 'admitted', 'already' (the id is active: nothing changed), 'ended'
            (ERR_SESSION_ENDED) or 'limit' (ERR_SESSION_LIMIT)
    session: the active record ('' when refused)
    holders: the active records holding the slots (when refused)
    lowered: the deadline when it became its bucket's earliest, else ''
]]
-- @include "includes/num.lua"
-- @include "includes/split-record.lua"
-- @include "includes/expiry-reason.lua"
-- @include "includes/end-active.lua"
-- @include "includes/lowest.lua"
-- @include "includes/expire-due.lua"
-- @include "includes/trim-tombstones.lua"
-- @include "includes/keep-alive.lua"
-- @include "includes/index-deadline.lua"
-- @include "includes/publish.lua"

local CHUNK = 500
local nowRaw = ARGV[1]
local now, idle, absolute = tonumber(nowRaw), num(ARGV[2]), num(ARGV[3])
local retention, maxTombstones = tonumber(ARGV[4]), tonumber(ARGV[5])
local id, record, device = ARGV[9], ARGV[10], ARGV[11]
local limit, onLimit, order = num(ARGV[12]), ARGV[13], ARGV[14]
local replaceSameDevice, minIdle = ARGV[15] == '1', tonumber(ARGV[16])

local ended = {}
-- Whether the actives (and their orders) existed before this call (else they get the TTL).
local hadActives = false
local function finish(status, session, evicted, replaced, expired, holders, candidate)
  local wrote = #ended > 0 or candidate
  if not wrote then return { status, session, evicted, replaced, expired, holders, '' } end
  redis.call('INCR', KEYS[7])
  -- Tombstones left beyond those ended now: the tombstone keys existed (and have the TTL).
  local tombsBefore = 1
  if #ended > 0 then tombsBefore = trimTombstones(KEYS, now, retention, maxTombstones, CHUNK) - #ended end
  local need, deadline = retention, math.huge
  if candidate then
    local _, last, created = splitRecord(record)
    deadline = math.min(tonumber(last) + idle, tonumber(created) + absolute)
    need = math.max(need, deadline + retention - now)
  end
  local extra = {}
  if candidate and not hadActives then extra[#extra + 1] = 1 end
  if candidate and device ~= '' then extra[#extra + 1] = 4 end
  if #ended > 0 and tombsBefore <= 0 then extra[#extra + 1] = 5 end
  local ttl, extended = keepAlive(KEYS, need, extra)
  local lowered = indexDeadline(KEYS[8], ARGV[6], deadline, now, retention, ttl, extended) or ''
  publish(ARGV[7], ARGV[8], ended)
  return { status, session, evicted, replaced, expired, holders, lowered }
end

local function activeRecords(ids)
  local out = {}
  for i = 1, #ids, 1000 do
    for _, v in ipairs(redis.call('HMGET', KEYS[1], unpack(ids, i, math.min(i + 999, #ids)))) do
      if splitRecord(v) then out[#out + 1] = v end
    end
  end
  return out
end

-- The candidate itself: active (nothing to do unless it has expired), or ended.
local current = redis.call('HGET', KEYS[1], id)
local expired = {}
if current then
  local st, last, created = splitRecord(current)
  local reason = st and expiryReason(tonumber(last), tonumber(created), now, idle, absolute)
  if st and not reason then return { 'already', current, {}, {}, {}, {}, '' } end
  local tomb = endActive(KEYS, id, current, reason or 'idle', nowRaw)
  if tomb then
    ended[1] = tomb
    expired[1] = tomb
  end
end
local tomb = redis.call('HGET', KEYS[5], id)
if tomb then
  local st, _, _, endedRaw = splitRecord(tomb)
  if st and now < tonumber(endedRaw) + retention then
    -- R3: the holders are the live sessions, so the expired ones end first (R8).
    repeat
      local found, more = expireDue(KEYS, now, nowRaw, idle, absolute, CHUNK)
      for _, e in ipairs(found) do
        ended[#ended + 1] = e
        expired[#expired + 1] = e
      end
    until not more
    return finish('ended', '', {}, {}, expired, activeRecords(redis.call('ZRANGE', KEYS[2], 0, -1)), false)
  end
  -- Forgotten (past retention) or junk: the id is free again (R-FORGET).
  redis.call('HDEL', KEYS[5], id)
  redis.call('ZREM', KEYS[6], id)
end

-- Expired sessions never hold a slot (R-EXPIRE): with a limit, all of them end now.
repeat
  local found, more = expireDue(KEYS, now, nowRaw, idle, absolute, CHUNK)
  for _, e in ipairs(found) do
    ended[#ended + 1] = e
    expired[#expired + 1] = e
  end
until not more or limit == math.huge

-- R-DEVICE: the same device's sessions are replaced and do not count against the limit.
local replacing, isReplaced = {}, {}
if replaceSameDevice and device ~= '' then
  local prefix = device .. '\n'
  for _, m in ipairs(redis.call('ZRANGE', KEYS[4], '[' .. prefix, '(' .. device .. '\11', 'BYLEX')) do
    local rid = string.sub(m, #prefix + 1)
    replacing[#replacing + 1] = rid
    isReplaced[rid] = true
  end
end

local victims, values = {}, {}
if limit ~= math.huge then
  local count = redis.call('ZCARD', KEYS[2])
  hadActives = count > 0
  local excess = count - #replacing + 1 - limit
  if excess > 0 and onLimit == 'evict' then
    local key, other = KEYS[2], KEYS[3]
    if order == 'created' then key, other = KEYS[3], KEYS[2] end
    local function second(m) return tonumber(redis.call('ZSCORE', other, m)) or 0 end
    -- R-ORDER; records missing from the actives (junk in an order) are dropped and skipped.
    local want = excess + #replacing
    while #victims < excess do
      victims = {}
      local dropped = false
      for _, m in ipairs(lowest(key, want, second)) do
        if not isReplaced[m] and #victims < excess then
          local v = redis.call('HGET', KEYS[1], m)
          if splitRecord(v) then
            victims[#victims + 1] = m
            values[m] = v
          else
            endActive(KEYS, m, false, '', nowRaw)
            dropped = true
          end
        end
      end
      if not dropped then break end
      excess = redis.call('ZCARD', KEYS[2]) - #replacing + 1 - limit
    end
    if minIdle > 0 then
      -- idle-first: the victims are the least recently seen, so all must be idle enough.
      for _, m in ipairs(victims) do
        if now - tonumber(redis.call('ZSCORE', KEYS[2], m)) < minIdle then victims = {} break end
      end
    end
  end
  if excess > 0 and #victims < excess then
    return finish('limit', '', {}, {}, expired, activeRecords(redis.call('ZRANGE', KEYS[2], 0, -1)), false)
  end
end

local replaced, evicted = {}, {}
for _, m in ipairs(replacing) do
  local t = endActive(KEYS, m, redis.call('HGET', KEYS[1], m), 'replaced', nowRaw)
  if t then replaced[#replaced + 1] = t else redis.call('ZREM', KEYS[4], device .. '\n' .. m) end
end
for _, m in ipairs(victims) do
  local t = endActive(KEYS, m, values[m], 'evicted', nowRaw)
  if t then evicted[#evicted + 1] = t end
end
for _, t in ipairs(replaced) do ended[#ended + 1] = t end
for _, t in ipairs(evicted) do ended[#ended + 1] = t end
local _, last, created = splitRecord(record)
redis.call('HSET', KEYS[1], id, record)
redis.call('ZADD', KEYS[2], last, id)
redis.call('ZADD', KEYS[3], created, id)
if device ~= '' then redis.call('ZADD', KEYS[4], 0, device .. '\n' .. id) end
return finish('admitted', record, evicted, replaced, expired, {}, true)
