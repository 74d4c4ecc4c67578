--[[
  Checks a session on a request. Reads one hash field when the session is live and not
  due for a touch (the common case, no write); otherwise, in the same atomic step, ends
  it if expired, or touches it (lastSeenAt = now) and refreshes the whole principal
  (expiring its other due sessions, re-indexing its deadline). Never revives an ended
  session.

  Input:
    KEYS[1], KEYS[2], ARGV[1..8]: see includes/principal.lua
    ARGV[9]  session id
    ARGV[10] touch interval (ms): touch only when lastSeenAt is at least this old

  Output: { status, record, corrupt[], others[] }
    status: 'active' (record is the live, possibly touched record),
            'ended' (a retained tombstone), 'expired' (ended by this call),
            'unknown' (absent or forgotten; record is '')
    others: the principal's other sessions this call found expired and ended (encoded)
]]
-- @include "includes/principal.lua"

local id = ARGV[9]
local touchInterval = tonumber(ARGV[10])

local value = redis.pcall('HGET', S.key, id)
if type(value) == 'table' and value.err then return { 'unknown', '', { '*' }, {} } end
if not value then return { 'unknown', '', {}, {} } end
local current = parse(id, value)
if not current then return { 'unknown', '', { id }, {} } end
if current.state == 'e' then
  if S.now >= forgetAt(current) then return { 'unknown', '', {}, {} } end
  return { 'ended', value, {}, {} }
end
if S.now - current.last < touchInterval and not expiryReason(current) then
  return { 'active', value, {}, {} }
end

local records, corrupt = load()
local kept, expired = refresh(records)
local r = findIn(kept, id)
local status = 'unknown'
if r and r.state == 'a' then
  r.lastRaw = S.nowRaw
  r.last = S.now
  r.dirty = true
  status = 'active'
elseif r then
  status = 'expired'
end
persist(kept, expired, corrupt)
local others = {}
for _, e in ipairs(expired) do
  if e.id ~= id then others[#others + 1] = encode(e) end
end
if not r then return { status, '', corrupt, others } end
return { status, encode(r), corrupt, others }
