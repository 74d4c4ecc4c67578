--[[
  Admits a login under a built-in eviction policy, in one atomic step (R1): ends the
  expired sessions it meets (R7, R8), refuses an ended id (R3, R12), replaces the same
  device's sessions (R5, R15), evicts exactly as many as needed in the policy's order or
  refuses (R6, R9, R10), writes the candidate. Never reads the tombstones beyond the
  candidate's own: O(log n) in the principal's active sessions (plus what it ends).

  The common login (no expiry due, no device, a small limit) is one ZRANGE (the lowest
  limit + 1 of the order, with scores: the count, whether one has expired, the victims
  and their tie edge), one HMGET (the candidate's record or tombstone, the write counter,
  the indexed deadline, the victims' records), one HSET (the victims' tombstones, the
  candidate and the counter), the order updates, the tombstone trim's range read and the
  TTL check.

  Input: the principal's six keys KEYS[1..6] and the common arguments ARGV[1..8], as
  scripts/README.md lists them, then:
    ARGV[9]  candidate session id
    ARGV[10] candidate record (active)
    ARGV[11] candidate device (URI-encoded, '' when none: R15)
    ARGV[12] the limit (integer or 'inf')
    ARGV[13] 'evict' or 'reject'
    ARGV[14] order: 'last-seen' or 'created'
    ARGV[15] '1' when a login replaces the same device's sessions
    ARGV[16] only sessions idle at least this many ms may be evicted (0: any)

  Output: { status, session, evicted[], replaced[], expired[], holders[], lowered }
    status: 'admitted', 'already' (the id is active: nothing changed), 'ended'
            (ERR_SESSION_ENDED) or 'limit' (ERR_SESSION_LIMIT)
    session: the active record when 'already' ('' otherwise: the caller has the candidate)
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
-- @include "includes/bump.lua"
-- @include "includes/publish.lua"

local CHUNK = 500
local nowRaw = ARGV[1]
local now, idle, absolute = tonumber(nowRaw), num(ARGV[2]), num(ARGV[3])
local retention, maxTombstones = tonumber(ARGV[4]), tonumber(ARGV[5])
local id, record, device = ARGV[9], ARGV[10], ARGV[11]
local limit, onLimit, order = num(ARGV[12]), ARGV[13], ARGV[14]
local replaceSameDevice, minIdle = ARGV[15] == '1', tonumber(ARGV[16])

local ended, expired = {}, {}
-- Whether the actives' orders existed before this call (else they get the TTL).
local hadActives = false
-- The order's lowest limit + 1 (a small limit), read first: the count, whether one has
-- expired, and the likely victims, whose records then come with the candidate's.
local key, other = KEYS[2], KEYS[3]
if order == 'created' then key, other = KEYS[3], KEYS[2] end
local bound = { [KEYS[2]] = now - idle, [KEYS[3]] = now - absolute }
local small = limit ~= math.huge and limit <= 64
local head = nil
if small then head = redis.call('ZRANGE', key, 0, limit, 'WITHSCORES') end
local function second(m) return tonumber(redis.call('ZSCORE', other, m)) or 0 end
local likely = {}
if head and onLimit == 'evict' and #head / 2 <= limit and not (replaceSameDevice and device ~= '') then
  local excess = #head / 2 + 1 - limit
  if excess > 0 and tonumber(head[2]) > bound[key] then likely = lowest(key, excess, second, head) end
end
local got = redis.call('HMGET', KEYS[1], id, ' w', ' d', unpack(likely))
local current, version, indexed = got[1], tonumber(got[2]) or 0, tonumber(got[3])
-- Records read ahead (valid while nothing has ended before the victims are chosen).
local ahead = {}
for i, m in ipairs(likely) do ahead[m] = got[3 + i] end

local function finish(status, session, evicted, replaced, holders, candidate)
  if #ended == 0 and not candidate then return { status, session, evicted, replaced, expired, holders, '' } end
  if not candidate then bump(KEYS) end
  local tombs = nil
  if #ended > 0 then
    -- R14 only: forgetting past retention (R13) is left to list, end and sweep.
    local _, count = trimTombstones(KEYS, now, retention, maxTombstones, 0)
    tombs = count
  end
  local need, deadline = retention, math.huge
  if candidate then
    local _, last, created = splitRecord(record)
    deadline = math.min(tonumber(last) + idle, tonumber(created) + absolute)
    need = math.max(need, deadline + retention - now)
  end
  local extra = {}
  if candidate and not hadActives then extra[#extra + 1] = 2 end
  if candidate and device ~= '' then extra[#extra + 1] = 4 end
  -- The tombstone order may be new unless it holds more than this call added.
  if #ended > 0 and not (tombs and tombs > #ended) then extra[#extra + 1] = 5 end
  local ttl, extended = keepAlive(KEYS, need, extra)
  local lowered, entry = indexDeadline(KEYS[6], ARGV[6], deadline, now, retention, ttl, extended, indexed)
  if entry and entry ~= indexed then redis.call('HSET', KEYS[1], ' d', string.format('%.17g', entry)) end
  publish(ARGV[7], ARGV[8], ended)
  return { status, session, evicted, replaced, expired, holders, lowered or '' }
end

local function activeRecords(ids)
  local out = {}
  for i = 1, #ids, 1000 do
    for _, v in ipairs(redis.call('HMGET', KEYS[1], unpack(ids, i, math.min(i + 999, #ids)))) do
      if splitRecord(v) == 'a' then out[#out + 1] = v end
    end
  end
  return out
end

local function expireAll(all)
  repeat
    local found, more = expireDue(KEYS, now, nowRaw, idle, absolute, CHUNK)
    for _, e in ipairs(found) do
      ended[#ended + 1] = e
      expired[#expired + 1] = e
    end
  until not more or not all
end

-- The candidate itself: active (nothing to do unless it has expired), ended, or free.
if current then
  local st, last, created, endedRaw = splitRecord(current)
  if st == 'a' then
    local reason = expiryReason(tonumber(last), tonumber(created), now, idle, absolute)
    if not reason then return { 'already', current, {}, {}, {}, {}, '' } end
    -- R8: it ends now; its tombstone refuses it below (R3) while retained.
    local tomb = endActive(KEYS, id, current, reason, nowRaw)
    ended[1] = tomb
    expired[1] = tomb
    st, endedRaw = 'e', nowRaw
  end
  if st == 'e' then
    if now < tonumber(endedRaw) + retention then
      -- R3: the holders are the live sessions, so the expired ones end first (R8).
      expireAll(true)
      return finish('ended', '', {}, {}, activeRecords(redis.call('ZRANGE', KEYS[2], 0, -1)), false)
    end
    -- Forgotten (past retention, R13): the id is free again.
    redis.call('HDEL', KEYS[1], id)
    redis.call('ZREM', KEYS[5], id)
  elseif not st then
    -- R18: junk under the id is dropped.
    endActive(KEYS, id, current, '', nowRaw)
  end
end

-- The candidate's own end (or junk) changed the orders: read them again.
if current and #ended + (splitRecord(current) and 0 or 1) > 0 then
  head = small and redis.call('ZRANGE', key, 0, limit, 'WITHSCORES') or nil
  ahead = {}
end

-- R8: expired sessions never hold a slot; with a limit, all of them end now.
local due = false
if head then
  due = #head > 0 and tonumber(head[2]) <= bound[key]
elseif bound[key] > -math.huge then
  local h = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  due = #h > 0 and tonumber(h[2]) <= bound[key]
end
if not due and bound[other] > -math.huge then
  local h = redis.call('ZRANGE', other, 0, 0, 'WITHSCORES')
  due = #h > 0 and tonumber(h[2]) <= bound[other]
end
if due then
  expireAll(limit ~= math.huge)
  head = nil
  ahead = {}
end

-- R5, R15: the same device's sessions are replaced and do not count against the limit.
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
  local count
  if head and #head / 2 <= limit then count = #head / 2 else count = redis.call('ZCARD', KEYS[2]) end
  hadActives = count > 0
  local excess = count - #replacing + 1 - limit
  if excess > 0 and onLimit == 'evict' then
    -- R9; records missing from the actives (junk in an order) are dropped and skipped.
    local want = excess + #replacing
    if head and #head / 2 <= want and #head / 2 < count then head = nil end
    while #victims < excess do
      victims = {}
      local dropped = false
      for _, m in ipairs(lowest(key, want, second, head)) do
        if not isReplaced[m] and #victims < excess then
          local v = ahead[m]
          if v == nil then v = redis.call('HGET', KEYS[1], m) end
          if splitRecord(v) == 'a' then
            victims[#victims + 1] = m
            values[m] = v
          else
            endActive(KEYS, m, v, '', nowRaw)
            dropped = true
          end
        end
      end
      if not dropped then break end
      head = nil
      ahead = {}
      excess = redis.call('ZCARD', KEYS[2]) - #replacing + 1 - limit
    end
    if minIdle > 0 then
      -- R10: the victims are the least recently seen, so all must be idle enough.
      for _, m in ipairs(victims) do
        if now - tonumber(redis.call('ZSCORE', KEYS[2], m)) < minIdle then victims = {} break end
      end
    end
  end
  if excess > 0 and #victims < excess then
    return finish('limit', '', {}, {}, activeRecords(redis.call('ZRANGE', KEYS[2], 0, -1)), false)
  end
end

-- The writes: every record of the hash in one HSET (in chunks for a big eviction).
local batch = {}
local replaced, evicted = {}, {}
for _, m in ipairs(replacing) do
  local t = endActive(KEYS, m, redis.call('HGET', KEYS[1], m), 'replaced', nowRaw, batch)
  if t then replaced[#replaced + 1] = t else redis.call('ZREM', KEYS[4], device .. '\n' .. m) end
end
for _, m in ipairs(victims) do
  local t = endActive(KEYS, m, values[m], 'evicted', nowRaw, batch)
  if t then evicted[#evicted + 1] = t end
end
for _, t in ipairs(replaced) do ended[#ended + 1] = t end
for _, t in ipairs(evicted) do ended[#ended + 1] = t end
local _, last, created = splitRecord(record)
batch[#batch + 1] = id
batch[#batch + 1] = record
batch[#batch + 1] = ' w'
batch[#batch + 1] = version + 1
for i = 1, #batch, 1000 do
  redis.call('HSET', KEYS[1], unpack(batch, i, math.min(i + 999, #batch)))
end
redis.call('ZADD', KEYS[2], last, id)
redis.call('ZADD', KEYS[3], created, id)
if device ~= '' then redis.call('ZADD', KEYS[4], 0, device .. '\n' .. id) end
return finish('admitted', '', evicted, replaced, {}, true)
