-- counter_status: open (an officer signs in), close (signs out), pause (with a reason), resume.
-- A counter holding a called or serving visitor cannot close; a pause asked for then waits for
-- that visitor to leave ("pause after this visitor"), and a resume takes it back.
-- A counter that closes gives the visitors transferred to it back to their fields, each in the
-- place its ticket number gives it (nobody would call them at a closed counter).
-- KEYS: counters tickets events evseq layout...
-- ARGV: now day counter actor actor_is_admin action detail layout...
-- KEYS[1] = counters (hash)  KEYS[2] = tickets:{day} (hash)  KEYS[3] = events  KEYS[4] = evseq
-- KEYS[5..] = the day's layout (the fields, this counter's line)
-- ARGV[1] = now (ms)  ARGV[2] = day  ARGV[3] = counter id  ARGV[4] = actor  ARGV[5] = actor is admin
-- ARGV[6] = 'open' | 'close' | 'pause' | 'resume'  ARGV[7] = pause reason / '1' to take over on open
-- ARGV[8..] = layout
local now, day, cid, actor, action = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4], ARGV[6]
local L = layout(5, 8)
local c = counter_record(KEYS[1], cid)
local cur = current_ticket(c, KEYS[2], day)
local busy = cur and (cur.state == 'called' or cur.state == 'serving')
local event = {counter = tonumber(cid), actor = actor}

if action == 'open' then
  if c.status ~= 'closed' and c.officer and c.officer ~= actor and ARGV[7] ~= '1' then
    return fail('counter_in_use', {officer = c.officer})
  end
  event.previous_officer = c.officer
  c.officer = actor
  if c.status == 'closed' then
    c.status = 'open'
    c.opened_at = now
    c.free_since = now
    c.pause_reason, c.paused_at = nil, nil
  end
elseif action == 'close' then
  local refused = operable(c, actor, ARGV[5])
  if refused then return fail(refused) end
  if busy then return fail('counter_busy', {ticket = cur}) end
  event.free = end_free(c, now)
  event.officer = c.officer
  c.status = 'closed'
  c.officer = nil
  c.pause_reason, c.paused_at, c.pause_pending = nil, nil, nil
  for _, id in ipairs(redis.call('ZRANGE', L.counters[cid], 0, -1)) do
    local t = get_record(KEYS[2], id)
    redis.call('ZREM', L.counters[cid], id)
    if t and t.state == 'waiting' then
      t.target_counter = nil
      t.returned_from = tonumber(cid)
      count_transferred(L, t.field, -1)
      redis.call('ZADD', line_of(L, t), queue_score(t), t.id)
      put_record(KEYS[2], t.id, t)
      emit(KEYS[3], KEYS[4], 'ticket.returned', now, {ticket = t, counter = tonumber(cid), actor = actor,
                                                      reason = 'counter_closed', waiting = waiting_of(L, {t.field})})
    end
  end
elseif action == 'pause' then
  local refused = operable(c, actor, ARGV[5])
  if refused then return fail(refused) end
  if c.status == 'paused' then return fail('counter_paused') end
  if busy then
    c.pause_pending = ARGV[7]
    put_record(KEYS[1], cid, c)
    event.reason = ARGV[7]
    event.counter_state = counter_view(c)
    local seq = emit(KEYS[3], KEYS[4], 'counter.pause_pending', now, event)
    return reply_ok({counter = c, seq = seq})
  end
  event.free = end_free(c, now)
  c.status = 'paused'
  c.pause_reason = ARGV[7]
  c.paused_at = now
  c.pause_pending = nil
  event.reason = ARGV[7]
elseif action == 'resume' then
  local refused = operable(c, actor, ARGV[5])
  if refused then return fail(refused) end
  if c.pause_pending and c.status == 'open' then
    c.pause_pending = nil  -- the pause after this visitor is taken back
    put_record(KEYS[1], cid, c)
    event.counter_state = counter_view(c)
    local seq = emit(KEYS[3], KEYS[4], 'counter.pause_cancelled', now, event)
    return reply_ok({counter = c, seq = seq})
  end
  if c.status ~= 'paused' then return fail('counter_not_paused') end
  event.paused_ms = now - c.paused_at
  event.reason = c.pause_reason
  c.status = 'open'
  c.pause_reason, c.paused_at = nil, nil
  if not c.current then c.free_since = now end
else
  return fail('unknown_action')
end
put_record(KEYS[1], cid, c)
event.counter_state = counter_view(c)
local seq = emit(KEYS[3], KEYS[4], 'counter.' .. ({open = 'opened', close = 'closed', pause = 'paused',
                                                  resume = 'resumed'})[action], now, event)
return reply_ok({counter = c, seq = seq, previous_officer = event.previous_officer})
