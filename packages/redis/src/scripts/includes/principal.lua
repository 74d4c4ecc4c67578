--[[
  Shared by every script that works on one principal: parsing, expiring and writing
  back its records, keeping its TTL and its entry in the bucket's deadline index, and
  publishing ended sessions on the revocation bus.

  Callers pass the same two keys and the same first eight arguments:
    KEYS[1] the principal's sessions hash (field = session id, value = record)
    KEYS[2] the bucket's deadline index (sorted set: member = principal key,
            score = earliest expiry of its active sessions)
    ARGV[1] now (ms, as written by the caller; stored verbatim)
    ARGV[2] idle timeout (ms, or 'inf')
    ARGV[3] absolute timeout (ms, or 'inf')
    ARGV[4] tombstone retention (ms)
    ARGV[5] most tombstones kept per principal
    ARGV[6] the principal key (member of the deadline index)
    ARGV[7] the revocation bus channel ('' when the bus is off)
    ARGV[8] the origin id of the calling process (so it can ignore its own messages)

  A record is "<a|e>|<lastSeenAt>|<createdAt>|<endedAt>|<endReason>|<json>", where the
  JSON holds the fields that never change (sessionId, principalKey, device data,
  attributes). Times are kept as the caller wrote them, so no precision is lost in Lua.
  The hash field " v" (a space cannot start a session id) is a write counter used by the
  optimistic path of custom eviction policies.
]]
local function num(s)
  if s == 'inf' then return math.huge end
  return tonumber(s)
end

local S = {
  key = KEYS[1],
  due = KEYS[2],
  nowRaw = ARGV[1],
  now = tonumber(ARGV[1]),
  idle = num(ARGV[2]),
  absolute = num(ARGV[3]),
  retention = tonumber(ARGV[4]),
  maxTombstones = tonumber(ARGV[5]),
  member = ARGV[6],
  channel = ARGV[7],
  origin = ARGV[8],
  drop = {},
  wrongType = false,
}

-- Longest TTL ever set (about 3000 years): PEXPIRE refuses values that overflow.
local MAX_TTL = 1e14
-- Deadline index entries older than this (beyond retention) belong to principals no
-- sweep has visited; they are pruned so the index stays bounded when sweeps are off.
local PRUNE_GRACE = 3600000

local function parse(id, v)
  if type(v) ~= 'string' then return nil end
  local st, ls, cr, ea, er, json = string.match(v, '^([ae])|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.+)$')
  if not st then return nil end
  local r = { id = id, state = st, lastRaw = ls, createdRaw = cr, endedRaw = ea, reason = er, json = json,
    last = tonumber(ls), created = tonumber(cr) }
  if not r.last or not r.created then return nil end
  if st == 'e' then
    r.ended = tonumber(ea)
    if not r.ended or er == '' then return nil end
  end
  return r
end

local function encode(r)
  return r.state .. '|' .. r.lastRaw .. '|' .. r.createdRaw .. '|' .. r.endedRaw .. '|' .. r.reason .. '|' .. r.json
end

local function encodeAll(list)
  local out = {}
  for i, r in ipairs(list) do out[i] = encode(r) end
  return out
end

local function expiresAt(r)
  return math.min(r.last + S.idle, r.created + S.absolute)
end

local function forgetAt(r)
  if r.state == 'e' then return r.ended + S.retention end
  return expiresAt(r) + S.retention
end

local function expiryReason(r)
  if S.now >= r.created + S.absolute then return 'absolute' end
  if S.now >= r.last + S.idle then return 'idle' end
  return nil
end

local function endRecord(r, reason)
  r.state = 'e'
  r.endedRaw = S.nowRaw
  r.ended = S.now
  r.reason = reason
  r.dirty = true
end

local function deviceOf(r)
  if r.device == nil then
    local ok, decoded = pcall(cjson.decode, r.json)
    r.device = ok and type(decoded) == 'table' and type(decoded.deviceId) == 'string' and decoded.deviceId or false
  end
  return r.device
end

-- All records of the principal, and the fields holding values we did not write.
local function load()
  local records, corrupt = {}, {}
  local raw = redis.pcall('HGETALL', S.key)
  if type(raw) == 'table' and raw.err then
    S.wrongType = true
    corrupt[1] = '*'
    return records, corrupt
  end
  for i = 1, #raw, 2 do
    local id = raw[i]
    if string.sub(id, 1, 1) ~= ' ' then
      local r = parse(id, raw[i + 1])
      if r then records[#records + 1] = r else corrupt[#corrupt + 1] = id end
    else
      S.version = raw[i + 1]
    end
  end
  return records, corrupt
end

-- Ends expired sessions, forgets tombstones past retention and beyond maxTombstones.
local function refresh(records)
  local kept, expired = {}, {}
  for _, r in ipairs(records) do
    if r.state == 'a' then
      local reason = expiryReason(r)
      if reason then
        endRecord(r, reason)
        expired[#expired + 1] = r
      end
    end
    if r.state == 'e' and S.now >= forgetAt(r) then
      S.drop[#S.drop + 1] = r.id
    else
      kept[#kept + 1] = r
    end
  end
  local tombstones = {}
  for _, r in ipairs(kept) do
    if r.state == 'e' then tombstones[#tombstones + 1] = r end
  end
  if #tombstones > S.maxTombstones then
    table.sort(tombstones, function(a, b)
      if a.ended ~= b.ended then return a.ended < b.ended end
      if a.created ~= b.created then return a.created < b.created end
      return a.id < b.id
    end)
    local gone = {}
    for i = 1, #tombstones - S.maxTombstones do
      gone[tombstones[i].id] = true
      S.drop[#S.drop + 1] = tombstones[i].id
    end
    local rest = {}
    for _, r in ipairs(kept) do
      if not gone[r.id] then rest[#rest + 1] = r end
    end
    kept = rest
  end
  return kept, expired
end

local function ttl(at)
  return string.format('%d', math.min(MAX_TTL, math.max(1, math.ceil(at - S.now))))
end

local function publish(ended)
  if S.channel == '' or #ended == 0 then return end
  local parts = { S.origin }
  for _, r in ipairs(ended) do parts[#parts + 1] = encode(r) end
  redis.call('PUBLISH', S.channel, table.concat(parts, '\n'))
end

-- Writes back the kept records (changed ones only), deletes dropped and corrupt fields,
-- sets the TTL to outlive the last record, re-indexes the principal's next deadline and
-- publishes what ended.
local function persist(kept, ended, corrupt)
  if S.wrongType then redis.call('DEL', S.key) end
  for _, id in ipairs(corrupt) do
    if id ~= '*' then S.drop[#S.drop + 1] = id end
  end
  if #S.drop > 0 then redis.call('HDEL', S.key, unpack(S.drop)) end
  local set = {}
  for _, r in ipairs(kept) do
    if r.dirty then
      set[#set + 1] = r.id
      set[#set + 1] = encode(r)
    end
  end
  if #set > 0 then redis.call('HSET', S.key, unpack(set)) end
  local last, deadline = -math.huge, math.huge
  for _, r in ipairs(kept) do
    local f = forgetAt(r)
    if f > last then last = f end
    if r.state == 'a' then
      local e = expiresAt(r)
      if e < deadline then deadline = e end
    end
  end
  if #kept == 0 then
    redis.call('DEL', S.key)
  else
    redis.call('HINCRBY', S.key, ' v', 1)
    if last == math.huge then redis.call('PERSIST', S.key) else redis.call('PEXPIRE', S.key, ttl(last)) end
  end
  local dueType = redis.call('TYPE', S.due).ok
  if dueType ~= 'zset' and dueType ~= 'none' then redis.call('DEL', S.due) end
  if deadline < math.huge then
    redis.call('ZADD', S.due, string.format('%.17g', deadline), S.member)
    local want = tonumber(ttl(last))
    local has = redis.call('PTTL', S.due)
    if has >= 0 and has < want or has == -1 then redis.call('PEXPIRE', S.due, want) end
  else
    redis.call('ZREM', S.due, S.member)
  end
  publish(ended)
end

local function findIn(list, id)
  for _, r in ipairs(list) do
    if r.id == id then return r end
  end
  return nil
end

local function concat(a, b)
  local out = {}
  for _, r in ipairs(a) do out[#out + 1] = r end
  for _, r in ipairs(b) do out[#out + 1] = r end
  return out
end
