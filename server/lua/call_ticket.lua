-- call_ticket: the counter calls one chosen waiting ticket (from the list on its screen).
-- The ticket must wait in one of the counter's fields or have been transferred to this counter.
-- KEYS: counters tickets events evseq calls layout...
-- ARGV: now day counter actor actor_is_admin ticket recent_calls layout_then_fields...
-- KEYS[1] = counters (hash)  KEYS[2] = tickets:{day} (hash)  KEYS[3] = events  KEYS[4] = evseq
-- KEYS[5] = calls:{day} (list)  KEYS[6..] = the day's layout
-- ARGV[1] = now (ms)  ARGV[2] = day  ARGV[3] = counter id  ARGV[4] = actor  ARGV[5] = actor is admin
-- ARGV[6] = ticket id  ARGV[7] = recent calls kept  ARGV[8..] = layout, then the count and codes of the fields served
local now, day, cid, actor = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
local L = layout(6, 8)
local serves = {}
for i = 1, tonumber(ARGV[L.next_arg]) do serves[ARGV[L.next_arg + i]] = true end

local c = counter_record(KEYS[1], cid)
local refused = operable(c, actor, ARGV[5])
if refused then return fail(refused) end
if c.status == 'paused' then return fail('counter_paused') end
local cur = current_ticket(c, KEYS[2], day)
if cur and (cur.state == 'called' or cur.state == 'serving') then return fail('counter_busy', {ticket = cur}) end

local t = get_record(KEYS[2], ARGV[6])
if not t then return fail('ticket_not_found') end
if t.state ~= 'waiting' then return fail('wrong_state', {state = t.state}) end
if t.target_counter then
  if tostring(t.target_counter) ~= cid then return fail('not_served_here') end
elseif not serves[t.field] then
  return fail('not_served_here')
end
redis.call('ZREM', line_of(L, t), t.id)
if t.target_counter then count_transferred(L, t.field, -1) end
count_extra(L, t, -1)
local free = mark_called(t, c, cid, actor, now)
put_record(KEYS[2], t.id, t)
put_record(KEYS[1], cid, c)
remember_call(KEYS[5], tonumber(ARGV[7]), t, cid, now)
local seq = emit(KEYS[3], KEYS[4], 'ticket.called', now,
                 {ticket = t, counter = tonumber(cid), actor = actor, chosen = true,
                  counter_state = counter_view(c), free = free, waiting = waiting_of(L, {t.field}, {cid})})
return reply_ok({ticket = t, seq = seq})
