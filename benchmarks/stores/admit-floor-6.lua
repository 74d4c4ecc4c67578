--[[
  The floor of an evicting login on Redis, for benchmarks/stores/redis-layout.ts only
  (the store never runs it): the least any layout must do to admit into a principal at
  its limit, with no rule but the limit and the tombstone cap — no expiry, no device, no
  ties, no junk, no deadline index, no bus, a TTL set once. It keeps the actives'
  last-seen order and the tombstones' order in one sorted set (two score bands, member
  prefixes 'l' and 't'), the records and a tombstone count in one hash, and makes seven
  commands: the order's head (ZRANGE), the candidate's and victim's records and the
  metadata (HMGET), the oldest tombstone at the cap (ZRANGE), the order's moves (ZREM,
  ZADD), the records (HSET) and the dropped tombstone (HDEL). It takes the same keys and
  arguments as admit-6.lua (so their cost is the same) and uses KEYS[1], KEYS[2] and
  ARGV[1], ARGV[5], ARGV[9], ARGV[10], ARGV[12].

  Output: the same shape as admit-6.lua's ({ status, '', evicted[], {}, {}, {}, '' })
]]
local ENDED = 4503599627370496
local now, cap = tonumber(ARGV[1]), tonumber(ARGV[5])
local id, record, limit = ARGV[9], ARGV[10], tonumber(ARGV[12])
local head = redis.call('ZRANGE', KEYS[2], 0, limit - 1)
local victim = nil
if #head >= limit and string.sub(head[limit], 1, 1) == 'l' then victim = string.sub(head[1], 2) end
local got = redis.call('HMGET', KEYS[1], ' w', ' t', victim or ' w')
local count = tonumber(got[2]) or 0
local rem, add, set, evicted = {}, { ARGV[1], 'l' .. id }, { id, record }, {}
local dropped = nil
if victim then
  local tomb = 'e' .. string.sub(got[3], 2, -1)
  rem[1] = 'l' .. victim
  add[3], add[4] = string.format('%.17g', now + ENDED), 't' .. victim
  set[3], set[4] = victim, tomb
  evicted[1] = tomb
  count = count + 1
  if count > cap then
    dropped = redis.call('ZRANGE', KEYS[2], ENDED, '+inf', 'BYSCORE', 'LIMIT', 0, 1)[1]
    rem[2] = dropped
    count = count - 1
  end
end
if #rem > 0 then redis.call('ZREM', KEYS[2], unpack(rem)) end
redis.call('ZADD', KEYS[2], unpack(add))
set[#set + 1], set[#set + 2] = ' w', (tonumber(got[1]) or 0) + 1
set[#set + 1], set[#set + 2] = ' t', count
redis.call('HSET', KEYS[1], unpack(set))
if dropped then redis.call('HDEL', KEYS[1], string.sub(dropped, 2)) end
if not got[1] then
  redis.call('PEXPIRE', KEYS[1], 86400000)
  redis.call('PEXPIRE', KEYS[2], 86400000)
end
return { 'admitted', '', evicted, {}, {}, {}, '' }
