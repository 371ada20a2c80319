-- counter_step: recall, start, finish or no-show of the counter's current ticket.
-- recall:  called or serving -> called (counted; the display announces it again; a start
--          pressed before the visitor sat down is undone)
-- start:   called -> serving (the visitor sat down)
-- finish:  serving -> done (from called: the start is taken as the call)
-- no_show: called -> no_show (restorable for a while, see restore)
-- finish of a visit to several fields: the ticket then joins the next field's line (move_on)
-- KEYS: counters tickets events evseq calls service_times noshow finished layout...
-- ARGV: now day counter actor actor_is_admin step recent_calls layout...
-- KEYS[1] = counters (hash)  KEYS[2] = tickets:{day} (hash)  KEYS[3] = events  KEYS[4] = evseq
-- KEYS[5] = calls:{day} (list)  KEYS[6] = service times (hash)  KEYS[7] = noshow:{day} (zset)
-- KEYS[8] = fin:{day}:{counter} (zset)  KEYS[9..] = the day's layout (every field, this counter)
-- ARGV[1] = now (ms)  ARGV[2] = day  ARGV[3] = counter id  ARGV[4] = actor  ARGV[5] = actor is admin
-- ARGV[6] = step ('recall' | 'start' | 'finish' | 'no_show')  ARGV[7] = recent calls kept
-- ARGV[8..] = layout
local now, day, cid, actor, step = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4], ARGV[6]
local allowed = {recall = {called = true, serving = true}, start = {called = true},
                 finish = {called = true, serving = true}, no_show = {called = true}}
if not allowed[step] then return fail('unknown_step') end
local L = layout(9, 8)

local c = counter_record(KEYS[1], cid)
local refused = operable(c, actor, ARGV[5])
if refused then return fail(refused) end
local t = current_ticket(c, KEYS[2], day)
if not t or TERMINAL[t.state] then return fail('no_current_ticket') end
if not allowed[step][t.state] then return fail('wrong_state', {state = t.state, ticket = t}) end

local extra = {counter = tonumber(cid), actor = actor}
if step == 'recall' then
  t.recalls = (t.recalls or 0) + 1
  t.recalled_at = now
  t.state = 'called'
  t.started_at = nil
  remember_call(KEYS[5], tonumber(ARGV[7]), t, cid, now)
elseif step == 'start' then
  t.state = 'serving'
  t.started_at = now
elseif step == 'finish' then
  extra.service_ms = finish_service(t, c, KEYS[6], KEYS[8], now)
else
  t.state = 'no_show'
  t.noshow_at = now
  c.current = nil
  c.free_since = now
  redis.call('ZADD', KEYS[7], now, t.id)
end
put_record(KEYS[2], t.id, t)
local etype = ({recall = 'ticket.recalled', start = 'ticket.started',
                finish = 'ticket.finished', no_show = 'ticket.no_show'})[step]
extra.ticket = t
extra.counter_state = counter_view(c)
local seq = emit(KEYS[3], KEYS[4], etype, now, extra)
if step == 'finish' then
  local from = move_on(L, t, now)
  if from then
    put_record(KEYS[2], t.id, t)
    seq = emit(KEYS[3], KEYS[4], 'ticket.moved_on', now, {ticket = t, from_field = from, counter = tonumber(cid),
                                                          waiting = waiting_of(L, {from, t.field})})
  end
end
settle_pause(c, KEYS[3], KEYS[4], now)
put_record(KEYS[1], cid, c)
return reply_ok({ticket = t, seq = seq})
