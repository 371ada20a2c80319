-- snapshot: everything a screen shows, read at one instant, with the event sequence number
-- it is current to (a client applies only events after it).
-- reads only: it never writes, so it can run while Redis refuses writes.
-- KEYS: counters tickets calls evseq service_times noshow numbers layout...
-- ARGV: day recent_calls layout_then_lists...
-- KEYS[1] = counters (hash)  KEYS[2] = tickets:{day} (hash)  KEYS[3] = calls:{day} (list)
-- KEYS[4] = evseq  KEYS[5] = service times (hash)  KEYS[6] = noshow:{day} (zset)
-- KEYS[7] = numbers:{day} (hash)  KEYS[8..] = layout
-- ARGV[1] = day  ARGV[2] = recent calls to return  ARGV[3..] = layout, then what to list:
--   '0': no waiting tickets; 'all': every waiting ticket of every field (the places of all of
--   them); 'head' n [field ...]: the first n of each named field's line (every field if none
--   is named), the priority lane first: what counter screens show. A long line then costs a
--   push what is shown of it, not its length.
local day = ARGV[1]
local L = layout(8, 3)
local lists = ARGV[L.next_arg] or '0'
local with_lists = lists ~= '0'
local limit = tonumber(ARGV[L.next_arg + 1] or '0') or 0
local listed = {}
if lists == 'head' then
  for i = L.next_arg + 2, #ARGV do listed[ARGV[i]] = true end
  if next(listed) == nil then
    for _, code in ipairs(L.field_order) do listed[code] = true end
  end
end

local counters = {}
for _, raw in ipairs(redis.call('HVALS', KEYS[1])) do
  local c = cjson.decode(raw)
  local t = current_ticket(c, KEYS[2], day)
  if t then c.ticket = t end
  table.insert(counters, c)
end

local waiting = {}
for _, code in ipairs(L.field_order) do
  local f = L.fields[code]
  local entry = {p = redis.call('ZCARD', f.p), n = redis.call('ZCARD', f.n),
                 x = tonumber(redis.call('HGET', L.xfer, code) or '0'),
                 e = tonumber(redis.call('HGET', L.extra, code) or '0')}
  local oldest = {}
  local room = limit   -- what is left of a listed field's head for the lane read next
  for _, lane in ipairs({'p', 'n'}) do
    local last = 0     -- the line's first ticket only: its wait is the field's longest
    if lists == 'all' then
      last = -1
    elseif listed[code] then
      last = math.max(room, 1) - 1
    end
    local ids = redis.call('ZRANGE', f[lane], 0, last)
    if lists == 'all' then
      entry[lane .. '_ids'] = ids
    elseif listed[code] then
      local shown = {}
      for i = 1, math.min(room, #ids) do shown[i] = ids[i] end
      entry[lane .. '_ids'] = shown
      room = room - #shown
    end
    if ids[1] then table.insert(oldest, ids[1]) end
  end
  entry.heads = oldest
  waiting[code] = entry
end
local direct = {}
for _, cid in ipairs(L.counter_order) do
  local ids = redis.call('ZRANGE', L.counters[cid], 0, -1)
  if ids[1] then direct[cid] = ids end
end

-- The tickets a screen needs by id: the heads of each line (for the longest wait) and the lists.
local wanted, tickets = {}, {}
for _, entry in pairs(waiting) do
  for _, id in ipairs(entry.heads) do wanted[id] = true end
  for _, lane in ipairs({'p_ids', 'n_ids'}) do
    for _, id in ipairs(entry[lane] or {}) do wanted[id] = true end
  end
end
for _, ids in pairs(direct) do for _, id in ipairs(ids) do wanted[id] = true end end
if with_lists then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[6], 0, -1)) do wanted[id] = true end
end
for id in pairs(wanted) do
  local raw = redis.call('HGET', KEYS[2], id)
  if raw then tickets[id] = cjson.decode(raw) end
end

local calls = {}
for _, raw in ipairs(redis.call('LRANGE', KEYS[3], 0, tonumber(ARGV[2]) - 1)) do
  table.insert(calls, cjson.decode(raw))
end
return reply_ok({seq = tonumber(redis.call('GET', KEYS[4]) or '0'), counters = counters, waiting = waiting,
                 direct = direct, tickets = tickets, calls = calls,
                 service_times = redis.call('HGETALL', KEYS[5]), numbers = redis.call('HGETALL', KEYS[7]),
                 noshow = with_lists and redis.call('ZRANGE', KEYS[6], 0, -1, 'WITHSCORES') or false})
