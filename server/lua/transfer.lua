-- transfer: send the counter's current visitor to another field or to a named counter.
-- The ticket keeps its number and its original place in line (its first-come order), so the
-- visitor does not start again at the back. Its state returns to waiting.
-- KEYS: counters tickets events evseq layout...
-- ARGV: now day counter actor actor_is_admin kind target even_if_closed layout...
-- KEYS[1] = counters (hash)  KEYS[2] = tickets:{day} (hash)  KEYS[3] = events  KEYS[4] = evseq
-- KEYS[5..] = the day's layout
-- ARGV[1] = now (ms)  ARGV[2] = day  ARGV[3] = counter id  ARGV[4] = actor  ARGV[5] = actor is admin
-- ARGV[6] = 'field' | 'counter'  ARGV[7] = target field code or counter id
-- ARGV[8] = '1': transfer even to a counter that is closed or paused (the officer confirmed)
-- ARGV[9..] = layout
local now, day, cid, actor = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
local kind, target = ARGV[6], ARGV[7]
local L = layout(5, 9)

local c = counter_record(KEYS[1], cid)
local refused = operable(c, actor, ARGV[5])
if refused then return fail(refused) end
local t = current_ticket(c, KEYS[2], day)
if not t or TERMINAL[t.state] then return fail('no_current_ticket') end
if t.state ~= 'called' and t.state ~= 'serving' then return fail('wrong_state', {state = t.state}) end

local event = {counter = tonumber(cid), actor = actor, from_field = t.field, from_state = t.state}
if t.state == 'serving' then event.service_ms = now - t.started_at end
if kind == 'field' then
  if not L.fields[target] then return fail('unknown_field') end
  if target == t.field then return fail('same_field') end
  t.field = target
  event.to_field = target
elseif kind == 'counter' then
  if not L.counters[target] then return fail('unknown_counter') end
  if target == cid then return fail('same_counter') end
  -- Nobody would call the visitor there: the officer is told first, and decides.
  local tc = counter_record(KEYS[1], target)
  if tc.status ~= 'open' and ARGV[8] ~= '1' then
    return fail('target_counter_closed', {counter = tonumber(target), status = tc.status})
  end
  t.target_counter = tonumber(target)
  count_transferred(L, t.field, 1)
  event.to_counter = tonumber(target)
else
  return fail('bad_transfer')
end
t.state = 'waiting'
t.transfers = (t.transfers or 0) + 1
t.transferred_at = now
t.called_at, t.started_at, t.counter, t.officer = nil, nil, nil, nil
c.current = nil
c.free_since = now
local line = line_of(L, t)
local score = queue_score(t)
if t.target_counter then score = t.order end
redis.call('ZADD', line, score, t.id)
count_extra(L, t, 1)
put_record(KEYS[2], t.id, t)
event.ticket = t
event.counter_state = counter_view(c)
event.waiting = waiting_of(L, {event.from_field, t.field}, {event.to_counter})
local seq = emit(KEYS[3], KEYS[4], 'ticket.transferred', now, event)
settle_pause(c, KEYS[3], KEYS[4], now)
put_record(KEYS[1], cid, c)
return reply_ok({ticket = t, seq = seq, ahead = people_ahead(L, t)})
