-- record_rating: a citizen pressed a satisfaction button at a counter. The press belongs to
--   1. the ticket being served at that counter when the button was pressed, else
--   2. the ticket the counter finished last, at most `window` before the press.
-- One rating per service (a visit to several fields rates each): the first press counts; a
-- later one for the same service is kept as 'repeat_ignored'.
-- A press that matches no ticket is kept as 'unattributed' with its counter: never dropped.
-- A press id seen before (an agent re-sending after a lost answer) changes nothing.
-- KEYS: counters tickets finished ratings press events evseq panel_minute
-- ARGV: now day counter level category score pressed_at window press_id device press_memory per_minute count_life
-- KEYS[1] = counters (hash)  KEYS[2] = tickets:{day} (hash)  KEYS[3] = fin:{day}:{counter} (zset)
-- KEYS[4] = ratings:{day} (hash)  KEYS[5] = press:{press id} (string)  KEYS[6] = events  KEYS[7] = evseq
-- ARGV[1] = now (ms)  ARGV[2] = day of the press  ARGV[3] = counter id  ARGV[4] = level
-- ARGV[5] = category  ARGV[6] = score  ARGV[7] = pressed at (ms)  ARGV[8] = window (ms)
-- KEYS[8] = this panel's presses dated in the press's minute (string)
-- ARGV[9] = press id  ARGV[10] = device id  ARGV[11] = press id memory (s)
-- ARGV[12] = presses one panel may make in a minute (0 = no limit)  ARGV[13] = life of that count (s)
local now, day, cid = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local pressed, window = tonumber(ARGV[7]), tonumber(ARGV[8])
local earlier = redis.call('GET', KEYS[5])
if earlier then return reply_ok({duplicate = true, press = cjson.decode(earlier)}) end

-- More presses dated in one minute than a hand makes: a stuck key, or presses forged with a
-- stolen agent token. Counted by the minute of the press, not of its arrival, so an agent's
-- backlog delivered at once after an outage is not refused (a resend above did not count).
local per_minute = tonumber(ARGV[12])
if per_minute > 0 then
  local used = redis.call('INCR', KEYS[8])
  if used == 1 then redis.call('EXPIRE', KEYS[8], tonumber(ARGV[13])) end
  if used > per_minute then
    return fail('press_rate_limited', {first_refusal = (used == per_minute + 1), limit = per_minute})
  end
end

-- The service of a visit a finished ticket was in when it finished at ``at`` (a visit to several
-- fields moves on in the same step as it finishes: its step has advanced since).
local function finished_step(t, at)
  local step = t.step or 1
  if t.moved_at and t.moved_at >= at then step = step - 1 end
  return step
end

local t, step
local after = redis.call('ZRANGEBYSCORE', KEYS[3], pressed, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
if after[1] then
  local candidate = get_record(KEYS[2], after[1])
  if candidate and candidate.started_at and candidate.started_at <= pressed then
    t, step = candidate, finished_step(candidate, tonumber(after[2]))
  end
  -- (a ticket moved on has no start of that service any more: the press is read as after it)
end
if not t then
  local c = get_record(KEYS[1], cid)
  local cur = c and current_ticket(c, KEYS[2], day)
  if cur and cur.state == 'serving' and cur.started_at <= pressed then t, step = cur, cur.step or 1 end
end
if not t then
  local before = redis.call('ZREVRANGEBYSCORE', KEYS[3], pressed, pressed - window, 'WITHSCORES', 'LIMIT', 0, 1)
  if before[1] then
    t = get_record(KEYS[2], before[1])
    if t then step = finished_step(t, tonumber(before[2])) end
  end
end
local service = cid .. ':' .. tostring(step)
local rated = (t and t.rated) or {}
if t and t.rating and not t.rated then rated[cid .. ':1'] = true end   -- rated before visits had steps

local press = {id = ARGV[9], counter = tonumber(cid), level = tonumber(ARGV[4]), category = ARGV[5],
               score = tonumber(ARGV[6]), pressed_at = pressed, received_at = now, device = ARGV[10]}
local etype
if not t then
  press.outcome = 'unattributed'
  etype = 'rating.unattributed'
elseif rated[service] then
  press.outcome = 'repeat_ignored'
  press.ticket, press.officer = t.id, t.officer
  etype = 'rating.repeat_ignored'
else
  press.outcome = 'recorded'
  press.ticket, press.officer = t.id, t.officer
  -- The field of the service rated: a visit to several may have moved on since.
  local path = {}
  if type(t.visited) == 'table' then for _, f in ipairs(t.visited) do table.insert(path, f) end end
  table.insert(path, t.field)
  press.field = path[step] or t.field
  t.rating = {level = press.level, category = press.category, score = press.score, at = pressed, press = press.id}
  rated[service] = press.id
  t.rated = rated
  put_record(KEYS[2], t.id, t)
  etype = 'rating.recorded'
end
redis.call('HSET', KEYS[4], press.id, cjson.encode(press))
redis.call('SET', KEYS[5], cjson.encode(press), 'EX', tonumber(ARGV[11]))
local seq = emit(KEYS[6], KEYS[7], etype, now, {press = press, counter = press.counter, ticket = t})
return reply_ok({press = press, seq = seq})
