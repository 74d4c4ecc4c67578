--[[
  Admits a login: counts the principal's live sessions, ends expired ones (idle or
  absolute), applies a built-in eviction policy (replace same device, evict exactly as
  many as needed in the policy's order, or refuse) and writes the candidate, all in one
  atomic step.

  Input:
    KEYS[1], KEYS[2], ARGV[1..8]: see includes/principal.lua
    ARGV[9]  candidate session id
    ARGV[10] candidate record (encoded, state active)
    ARGV[11] candidate device id ('' when none)
    ARGV[12] the principal's limit (integer, or 'inf')
    ARGV[13] 'evict' or 'reject'
    ARGV[14] eviction order: 'last-seen' or 'created'
    ARGV[15] '1' when a login replaces the sessions of the same device, else '0'
    ARGV[16] only sessions idle at least this many ms may be evicted

  Output: { status, session, evicted[], replaced[], expired[], holders[], corrupt[] }
    status: 'admitted', 'already' (the id is active: nothing changed),
            'ended' (ERR_SESSION_ENDED) or 'limit' (ERR_SESSION_LIMIT)
    session: the active record ('' when refused)
    holders: the live active sessions other than the candidate (when refused)
    corrupt: fields (or '*' for the whole key) holding values we did not write
]]
-- @include "includes/principal.lua"

local candidateId = ARGV[9]
local candidate = parse(candidateId, ARGV[10])
local device = ARGV[11]
local limit = num(ARGV[12])
local onLimit = ARGV[13]
local order = ARGV[14]
local replaceSameDevice = ARGV[15] == '1'
local minIdle = tonumber(ARGV[16])

local records, corrupt = load()
local kept, expired = refresh(records)
redis.pcall('ZREMRANGEBYSCORE', S.due, '-inf', '(' .. string.format('%.17g', S.now - math.max(S.retention, PRUNE_GRACE)))

local existing = findIn(kept, candidateId)
local active = {}
for _, r in ipairs(kept) do
  if r.state == 'a' and r.id ~= candidateId then active[#active + 1] = r end
end

local function changed()
  return #expired > 0 or #S.drop > 0 or #corrupt > 0
end

if existing and existing.state == 'a' then
  if changed() then persist(kept, expired, corrupt) end
  return { 'already', encode(existing), {}, {}, encodeAll(expired), {}, corrupt }
end
if existing then
  if changed() then persist(kept, expired, corrupt) end
  return { 'ended', '', {}, {}, encodeAll(expired), encodeAll(active), corrupt }
end

local replaced, remaining = {}, {}
for _, r in ipairs(active) do
  if replaceSameDevice and device ~= '' and deviceOf(r) == device then
    replaced[#replaced + 1] = r
  else
    remaining[#remaining + 1] = r
  end
end

local victims = {}
local excess = #remaining + 1 - limit
if excess > 0 then
  if onLimit == 'evict' then
    local eligible = {}
    for _, r in ipairs(remaining) do
      -- minIdle 0 means any holder, even one touched by a clock a little ahead of ours.
      if minIdle <= 0 or S.now - r.last >= minIdle then eligible[#eligible + 1] = r end
    end
    local byLastSeen = order ~= 'created'
    table.sort(eligible, function(a, b)
      local a1, b1, a2, b2 = a.last, b.last, a.created, b.created
      if not byLastSeen then a1, b1, a2, b2 = a.created, b.created, a.last, b.last end
      if a1 ~= b1 then return a1 < b1 end
      if a2 ~= b2 then return a2 < b2 end
      return a.id < b.id
    end)
    for i = 1, math.min(excess, #eligible) do victims[i] = eligible[i] end
  end
  if #victims < excess then
    if changed() then persist(kept, expired, corrupt) end
    return { 'limit', '', {}, {}, encodeAll(expired), encodeAll(active), corrupt }
  end
end

for _, r in ipairs(replaced) do endRecord(r, 'replaced') end
for _, r in ipairs(victims) do endRecord(r, 'evicted') end
candidate.dirty = true
kept[#kept + 1] = candidate
persist(kept, concat(concat(replaced, victims), expired), corrupt)
return { 'admitted', encode(candidate), encodeAll(victims), encodeAll(replaced), encodeAll(expired), {}, corrupt }
