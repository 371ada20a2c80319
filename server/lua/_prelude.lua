-- Helpers shared by every queue script. server/scripts.py puts this file in front of
-- each script when it registers them; it reads no KEYS or ARGV by itself.
--
-- Records are JSON in hashes: a ticket in tickets:{day}, a counter in counters.
-- Every script answers with one JSON string: {"ok": true, ...} or {"error": code, ...}.

local PRIORITY_STEP = 1e10   -- lane-p score = order - weight * PRIORITY_STEP
local FIRST_WEIGHT = 1000    -- an appointment at its time, called before any walk-in (call_next)
local TERMINAL = {done = true, cancelled = true}

local function fail(code, extra)
  local reply = extra or {}
  reply.error = code
  return cjson.encode(reply)
end

local function reply_ok(t)
  t.ok = true
  return cjson.encode(t)
end

local function get_record(hash, id)
  local raw = redis.call('HGET', hash, id)
  if raw then return cjson.decode(raw) end
  return nil
end

local function put_record(hash, id, record)
  redis.call('HSET', hash, id, cjson.encode(record))
end

-- A stuck button or a script at a kiosk cannot flood the queue or the appointment slots: its
-- slips this minute, numbers and bookings together, are counted in ``key``; past ``per_minute``
-- (0: not a kiosk) the refusal to return, else nil.
local function kiosk_flood(key, per_minute)
  if per_minute <= 0 then return nil end
  local used = redis.call('INCR', key)
  if used == 1 then redis.call('EXPIRE', key, 120) end
  if used > per_minute then return fail('kiosk_rate_limited', {first_refusal = (used == per_minute + 1)}) end
  return nil
end

-- Append one event to the site's stream; the sequence number is what clients use to spot gaps.
local function emit(stream, evseq, etype, now, payload)
  local seq = redis.call('INCR', evseq)
  redis.call('XADD', stream, '*', 'seq', seq, 'type', etype, 'ts', now, 'data', cjson.encode(payload))
  return seq
end

-- The day's waiting lines: KEYS from kstart (per field p, n; then per counter) described by
-- ARGV from astart (field count, counter count, field codes, counter ids); then the count of
-- each field's tickets waiting at named counters, and of its waiting visitors' extra dossiers.
local function layout(kstart, astart)
  local nf, nc = tonumber(ARGV[astart]), tonumber(ARGV[astart + 1])
  local L = {fields = {}, counters = {}, field_order = {}, counter_order = {}, all = {}}
  for i = 1, nf do
    local code = ARGV[astart + 1 + i]
    L.fields[code] = {p = KEYS[kstart + 2 * (i - 1)], n = KEYS[kstart + 2 * (i - 1) + 1]}
    L.field_order[i] = code
    table.insert(L.all, L.fields[code].p)
    table.insert(L.all, L.fields[code].n)
  end
  for j = 1, nc do
    local cid = ARGV[astart + 1 + nf + j]
    L.counters[cid] = KEYS[kstart + 2 * nf + j - 1]
    L.counter_order[j] = cid
    table.insert(L.all, L.counters[cid])
  end
  -- Per field, its tickets waiting in named counters' lines (transferred there): they still wait.
  L.xfer = KEYS[kstart + 2 * nf + nc]
  table.insert(L.all, L.xfer)
  -- Per field, the dossiers its waiting visitors declared beyond one each (bulk submitters).
  L.extra = KEYS[kstart + 2 * nf + nc + 1]
  table.insert(L.all, L.extra)
  L.next_arg = astart + 2 + nf + nc
  return L
end

-- The waiting line a waiting ticket sits in.
local function line_of(L, t)
  if t.target_counter then return L.counters[tostring(t.target_counter)] end
  local f = L.fields[t.field]
  if not f then return nil end
  return f[t.lane]
end

local function queue_score(t)
  if t.lane == 'p' then return t.order - t.weight * PRIORITY_STEP end
  return t.order
end

-- People before a waiting ticket: in its own line, plus, for the normal lane, the priority lane.
local function people_ahead(L, t)
  if t.state ~= 'waiting' then return 0 end
  local line = line_of(L, t)
  if not line then return 0 end
  local score = redis.call('ZSCORE', line, t.id)
  if not score then return 0 end
  local ahead = redis.call('ZCOUNT', line, '-inf', '(' .. score)
  if not t.target_counter and t.lane == 'n' then
    ahead = ahead + redis.call('ZCARD', L.fields[t.field].p)
  end
  return ahead
end

-- A waiting visitor with several dossiers (t.dossiers_declared > 1) counts for more of the wait:
-- its extra dossiers enter (+1) or leave (-1) its field's count as it joins or leaves a line.
local function count_extra(L, t, sign)
  local n = tonumber(t.dossiers_declared or 1)
  if n > 1 then redis.call('HINCRBY', L.extra, t.field, sign * (n - 1)) end
end

-- Each of ``ids`` (in order) with the dossiers declared beyond one by those before it in the
-- list, read from ``tickets`` 200 records at a time: ``each(id, extra_before)``; the total.
local function extra_dossiers(tickets, ids, each)
  local extra = 0
  for i = 1, #ids, 200 do
    local batch = {}
    for j = i, math.min(i + 199, #ids) do table.insert(batch, ids[j]) end
    for j, raw in ipairs(redis.call('HMGET', tickets, unpack(batch))) do
      if each then each(batch[j], extra) end
      if raw then extra = extra + math.max(0, tonumber(cjson.decode(raw).dossiers_declared or 1) - 1) end
    end
  end
  return extra
end

-- The extra dossiers of the visitors before a waiting ticket (read only when its field has any).
local function dossiers_ahead(L, tickets, t)
  if t.state ~= 'waiting' or tonumber(redis.call('HGET', L.extra, t.field) or '0') <= 0 then return 0 end
  local line = line_of(L, t)
  local score = line and redis.call('ZSCORE', line, t.id)
  if not score then return 0 end
  local ids = redis.call('ZRANGEBYSCORE', line, '-inf', '(' .. score)
  if not t.target_counter and t.lane == 'n' then
    for _, id in ipairs(redis.call('ZRANGE', L.fields[t.field].p, 0, -1)) do table.insert(ids, id) end
  end
  return extra_dossiers(tickets, ids)
end

local function counter_record(counters, cid)
  return get_record(counters, cid) or {id = cid, status = 'closed', pr = 0, nr = 0}
end

-- The counter must be open and operated by the actor (or an admin acting for it).
local function operable(c, actor, is_admin)
  if c.status == 'closed' then return 'counter_closed' end
  if c.officer and c.officer ~= actor and is_admin ~= '1' then return 'not_counter_officer' end
  return nil
end

-- The counter's current ticket when it belongs to today; tickets left from an earlier day are
-- closed by close_day, so the counter simply lets go of them.
local function current_ticket(c, tickets, day)
  if not c.current then return nil end
  if string.sub(c.current, 1, #day + 1) ~= day .. '-' then
    c.current = nil
    return nil
  end
  return get_record(tickets, c.current)
end

local function remember_call(calls, keep, t, cid, now)
  redis.call('LPUSH', calls, cjson.encode({id = t.id, label = t.label, field = t.field,
                                           counter = cid, at = now, recall = t.recalls or 0}))
  redis.call('LTRIM', calls, 0, keep - 1)
end

-- Close the service of ticket t at counter c; returns the service time in ms. `finished` is
-- the counter's zset of finished tickets of the day (a later rating press is matched to it).
local function finish_service(t, c, svc, finished, now)
  if t.state == 'called' then t.started_at = t.called_at end
  local service_ms = now - t.started_at
  t.state = 'done'
  t.finished_at = now
  c.current = nil
  c.free_since = now
  c.last_finished = t.id
  c.last_finished_at = now
  c.last_officer = t.officer
  local samples = get_record(svc, t.field) or {}
  if samples[1] == nil then samples = {} end
  -- Per dossier: a visitor with 10 dossiers does not make the next single one's wait look long.
  table.insert(samples, math.floor(service_ms / 1000 / tonumber(t.dossiers_declared or 1)))
  while #samples > 20 do table.remove(samples, 1) end
  put_record(svc, t.field, samples)
  redis.call('ZADD', finished, now, t.id)
  return service_ms
end

-- The counter stops being free (a call, a pause, a close): the span it was open with nobody at
-- it, for the reports' idle time (only its part while visitors waited for it counts there).
local function end_free(c, now)
  local span
  if c.free_since and c.status == 'open' and not c.current and now > c.free_since then
    span = {from = c.free_since, to = now, officer = c.officer}
  end
  c.free_since = nil
  return span
end

-- A visit to several fields: a service done, the ticket joins the next field's line in the place
-- its first number gave it (it keeps its order, ahead of those who came later) and carries the
-- rest of its visit. Returns the field it left (nil: the visit is over, the ticket stays done).
local function move_on(L, t, now)
  local rest = t.next_fields
  if type(rest) ~= 'table' or rest[1] == nil then return nil end
  local to = table.remove(rest, 1)
  if not L.fields[to] then return nil end   -- a field since removed: the visit ends here
  local visited = t.visited
  if type(visited) ~= 'table' or visited[1] == nil then visited = {} end
  table.insert(visited, t.field)
  local from = t.field
  t.visited, t.next_fields, t.field = visited, rest, to
  if rest[1] == nil then t.next_fields = nil end
  t.state = 'waiting'
  t.step = (t.step or 1) + 1
  t.moved_at = now
  t.called_at, t.started_at, t.finished_at, t.counter, t.officer = nil, nil, nil, nil, nil
  t.recalls = 0
  redis.call('ZADD', L.fields[to][t.lane], queue_score(t), t.id)
  count_extra(L, t, 1)
  return from
end

-- Hand ticket t to counter c as called; returns the span the counter was free before (or nil).
local function mark_called(t, c, cid, actor, now)
  local free = end_free(c, now)
  t.state = 'called'
  t.called_at = now
  t.counter = tonumber(cid)
  t.officer = c.officer or actor
  t.target_counter = nil
  t.recalls = 0
  c.current = t.id
  return free
end

-- A ticket of `field` enters (+1) or leaves (-1) a named counter's line.
local function count_transferred(L, field, delta)
  redis.call('HINCRBY', L.xfer, field, delta)
end

-- Waiting counts of some fields (and counters' transfer lines), put into events so a screen
-- can apply an update without recounting. x: the field's tickets waiting at a named counter.
local function waiting_of(L, codes, cids)
  local out = {fields = {}, counters = {}}
  for _, code in ipairs(codes) do
    local f = L.fields[code]
    if f then
      out.fields[code] = {p = redis.call('ZCARD', f.p), n = redis.call('ZCARD', f.n),
                          x = tonumber(redis.call('HGET', L.xfer, code) or '0'),
                          e = tonumber(redis.call('HGET', L.extra, code) or '0')}
    end
  end
  for _, cid in ipairs(cids or {}) do
    local key = L.counters[tostring(cid)]
    if key then out.counters[tostring(cid)] = redis.call('ZCARD', key) end
  end
  return out
end

-- The records of the counters named in ARGV from `first` on (those never opened are left out).
local function serving_counters(counters, first)
  local ids = {}
  for i = first, #ARGV do table.insert(ids, ARGV[i]) end
  if #ids == 0 then return {} end
  local out = {}
  for _, raw in ipairs(redis.call('HMGET', counters, unpack(ids))) do
    if raw then table.insert(out, raw) end
  end
  return out
end

local function counter_view(c)
  return {id = c.id, status = c.status, current = c.current, officer = c.officer,
          pause_reason = c.pause_reason, paused_at = c.paused_at, pause_pending = c.pause_pending}
end

-- "Pause after this visitor": once the counter has no visitor, the pause asked for begins
-- (with its own event, so reports count the pause). Returns true when it did.
local function settle_pause(c, events, evseq, now)
  if not c.pause_pending or c.current or c.status ~= 'open' then return false end
  c.status = 'paused'
  c.pause_reason = c.pause_pending
  c.paused_at = now
  c.pause_pending = nil
  emit(events, evseq, 'counter.paused', now, {counter = tonumber(c.id), reason = c.pause_reason,
                                                after_visitor = true, counter_state = counter_view(c)})
  return true
end
