--[[
  Records when sessions of one principal were last seen (R11): for each session that
  is active, lastSeenAt = max(lastSeenAt, seenAt), in its record and in the last-seen
  order, and the keys' TTL outlives its new expiry. A session unknown, ended, or already
  expired at seenAt is left alone (never revived, R12). In chunks of 500 sessions: one
  HMGET reads a chunk's records, one HSET and one ZADD write what moved.

  Input: the principal's six keys KEYS[1..6] and the common arguments ARGV[1..8], as
  scripts/README.md lists them, then:
    (ARGV[1] is the latest seenAt of the batch; ARGV[5..8] are unused)
    ARGV[9], ARGV[10], ...  pairs: session id, seenAt (ms); the ids distinct (a chunk is read
                            once, so a repeated id's last pair would win, not its latest)

  Output: the ids whose owner key (see key-layout.ts) is due a TTL refresh: those whose
          seenAt entered a new quarter of (idle + retention) since their last touch
]]
-- @include "includes/num.lua"
-- @include "includes/split-record.lua"
-- @include "includes/keep-alive.lua"

local now, idle, absolute = tonumber(ARGV[1]), num(ARGV[2]), num(ARGV[3])
local retention = tonumber(ARGV[4])
local quarter = (idle + retention) / 4
local need, refresh = 0, {}
-- The records in chunks of 500 (one HMGET each); what moved in one HSET and one ZADD a chunk.
for from = 9, #ARGV, 1000 do
  local to = math.min(from + 998, #ARGV - 1)
  local ids = {}
  for i = from, to, 2 do ids[#ids + 1] = ARGV[i] end
  local values = redis.call('HMGET', KEYS[1], unpack(ids))
  local fields, order = {}, {}
  for j, v in ipairs(values) do
    local id, seenRaw = ids[j], ARGV[from + 2 * j - 1]
    local seen = tonumber(seenRaw)
    local st, last, created = splitRecord(v)
    if st == 'a' then
      local l, c = tonumber(last), tonumber(created)
      if seen > l and seen < l + idle and seen < c + absolute then
        fields[#fields + 1] = id
        fields[#fields + 1] = 'a|' .. seenRaw .. string.match(v, '^a|[^|]*(|.+)$')
        order[#order + 1] = seenRaw
        order[#order + 1] = id
        need = math.max(need, math.min(seen + idle, c + absolute) + retention - now)
        if quarter < math.huge and math.floor(seen / quarter) ~= math.floor(l / quarter) then refresh[#refresh + 1] = id end
      end
    end
  end
  if #fields > 0 then
    redis.call('HSET', KEYS[1], unpack(fields))
    redis.call('ZADD', KEYS[2], unpack(order))
  end
end
if need > 0 then keepAlive(KEYS, need, {}) end
return refresh
