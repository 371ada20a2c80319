-- snapshot: everything a screen shows, read at one instant, with the event sequence number
-- it is current to (a client applies only events after it).
-- reads only: it never writes, so it can run while Redis refuses writes.
-- KEYS: counters tickets calls evseq service_times noshow numbers layout...
-- ARGV: day recent_calls layout_then_lists...
-- KEYS[1] = counters (hash)  KEYS[2] = tickets:{day} (hash)  KEYS[3] = calls:{day} (list)
-- KEYS[4] = evseq  KEYS[5] = service times (hash)  KEYS[6] = noshow:{day} (zset)
-- KEYS[7] = numbers:{day} (hash)  KEYS[8..] = layout
-- ARGV[1] = day  ARGV[2] = recent calls to return  ARGV[3..] = layout, then what to list:
--   lists ('1': the waiting lists, '0': none), n, the count of fields named, the fields: the
--   first n of each named field's line, the priority lane first (what a counter screen shows);
--   then the rest: ticket ids whose places to tell (the tickets of connected phones). A long
--   line costs a push what is shown of it and the places asked for, not its length.
local day = ARGV[1]
local L = layout(8, 3)
local with_lists = ARGV[L.next_arg] == '1'
local limit = tonumber(ARGV[L.next_arg + 1] or '0') or 0
local named = tonumber(ARGV[L.next_arg + 2] or '0') or 0
local listed = {}
for i = 1, named do listed[ARGV[L.next_arg + 2 + i]] = true end
local place_ids = {}
for i = L.next_arg + 3 + named, #ARGV do table.insert(place_ids, ARGV[i]) end

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
    if listed[code] then last = math.max(room, 1) - 1 end
    local ids = redis.call('ZRANGE', f[lane], 0, last)
    if listed[code] then
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

-- Places: people before each ticket asked for (O(log n) each), and the dossiers they declared
-- beyond one each, summed once per field that has any (bulk submitters): the ticket's own view's
-- figures (ticket_view), for every phone connected, in one read.
local places = {}
local extra_before = {}
local function extras_before(code)
  if extra_before[code] then return extra_before[code] end
  local line = redis.call('ZRANGE', L.fields[code].p, 0, -1)    -- the priority lane, then the normal
  for _, id in ipairs(redis.call('ZRANGE', L.fields[code].n, 0, -1)) do table.insert(line, id) end
  local before = {}
  extra_dossiers(KEYS[2], line, function(id, extra) before[id] = extra end)
  extra_before[code] = before
  return before
end
for _, id in ipairs(place_ids) do
  local t = get_record(KEYS[2], id)
  if t and t.state == 'waiting' and line_of(L, t) then
    local place = {ahead = people_ahead(L, t), field = t.field, counter = t.target_counter or false, extra = 0}
    if not t.target_counter and tonumber(redis.call('HGET', L.extra, t.field) or '0') > 0 then
      place.extra = extras_before(t.field)[id] or 0
    end
    places[id] = place
  end
end

local calls = {}
for _, raw in ipairs(redis.call('LRANGE', KEYS[3], 0, tonumber(ARGV[2]) - 1)) do
  table.insert(calls, cjson.decode(raw))
end
return reply_ok({seq = tonumber(redis.call('GET', KEYS[4]) or '0'), counters = counters, waiting = waiting,
                 direct = direct, tickets = tickets, calls = calls, places = places,
                 service_times = redis.call('HGETALL', KEYS[5]), numbers = redis.call('HGETALL', KEYS[7]),
                 noshow = with_lists and redis.call('ZRANGE', KEYS[6], 0, -1, 'WITHSCORES') or false})
