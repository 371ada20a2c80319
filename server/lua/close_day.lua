-- close_day: end a business day that is over. Tickets still waiting, called or serving are
-- closed as cancelled with reason 'day_closed' (their record stays: history is never deleted);
-- the day's waiting lines are removed; counters let go of that day's tickets and close.
-- Safe to run from several servers at once: a day already closed is left alone.
-- KEYS: tickets noshow counters events evseq open_days layout_then_records...
-- ARGV: now day layout_then_keep_seconds...
-- KEYS[1] = tickets:{day} (hash)  KEYS[2] = noshow:{day} (zset)  KEYS[3] = counters (hash)
-- KEYS[4] = events  KEYS[5] = evseq  KEYS[6] = open days (set)  KEYS[7..] = that day's layout,
-- then the day's record keys (tickets, numbers, calls, ratings, finished lists) to expire
-- ARGV[1] = now (ms)  ARGV[2] = the day to close  ARGV[3..] = layout, then the seconds those
-- records stay in Redis (0 = for ever; the SQL archive keeps the history in any case)
local now, day = tonumber(ARGV[1]), ARGV[2]
local L = layout(7, 3)
local keep = tonumber(ARGV[L.next_arg])
local first_record = 7 + #L.all
if redis.call('SISMEMBER', KEYS[6], day) == 0 then return reply_ok({closed = 0, already = true}) end

local closed = 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local t = cjson.decode(all[i + 1])
  if not TERMINAL[t.state] then
    t.previous_state = t.state
    t.state = 'cancelled'
    t.cancelled_at = now
    t.reason = 'day_closed'
    put_record(KEYS[1], t.id, t)
    emit(KEYS[4], KEYS[5], 'ticket.expired', now, {ticket = t, reason = 'day_closed'})
    closed = closed + 1
  end
end
for _, key in ipairs(L.all) do redis.call('DEL', key) end
redis.call('DEL', KEYS[2])

for _, raw in ipairs(redis.call('HVALS', KEYS[3])) do
  local c = cjson.decode(raw)
  local held = c.current and string.sub(c.current, 1, #day + 1) == day .. '-'
  if held or c.status ~= 'closed' then
    -- Left open overnight: free until the hall closed (the reports cut it at the day's last session).
    local free = (not held) and end_free(c, now) or nil
    c.current = nil
    c.pr, c.nr = 0, 0
    if c.status ~= 'closed' then
      local officer = c.officer
      c.status = 'closed'
      c.officer = nil
      c.pause_reason, c.paused_at = nil, nil
      emit(KEYS[4], KEYS[5], 'counter.closed', now, {counter = tonumber(c.id), reason = 'day_closed',
                                                      counter_state = counter_view(c), free = free,
                                                      officer = officer})
    end
    put_record(KEYS[3], c.id, c)
  end
end
redis.call('SREM', KEYS[6], day)
if keep > 0 then
  for i = first_record, #KEYS do redis.call('EXPIRE', KEYS[i], keep) end
end
emit(KEYS[4], KEYS[5], 'day.closed', now, {day = day, closed_tickets = closed})
return reply_ok({closed = closed})
