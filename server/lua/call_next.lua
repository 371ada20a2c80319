-- call_next: the counter calls the next visitor; the queue rules live here and nowhere else.
-- Order: tickets transferred to this counter first; then the lane chosen by the priority
-- ratio (P priority calls, then N normal calls when normal visitors wait); within the lane,
-- the counter's fields by its policy: 'oldest' (lowest score across fields) or 'in_order'.
-- KEYS: counters tickets events evseq calls service_times finished held layout...
-- ARGV: now day counter actor actor_is_admin policy ratio_priority ratio_normal finish_current recent_calls layout_then_fields...
-- KEYS[1] = counters (hash)  KEYS[2] = tickets:{day} (hash)  KEYS[3] = events  KEYS[4] = evseq
-- KEYS[5] = calls:{day} (list)  KEYS[6] = service times (hash)  KEYS[7] = fin:{day}:{counter} (zset)
-- KEYS[8] = held:{day} (appointments checked in early: ticket -> when it joins its line)
-- KEYS[9..] = the day's layout
-- ARGV[1] = now (ms)  ARGV[2] = day  ARGV[3] = counter id  ARGV[4] = actor  ARGV[5] = actor is admin ('1'/'0')
-- ARGV[6] = policy  ARGV[7] = ratio P  ARGV[8] = ratio N  ARGV[9] = finish a serving ticket first ('1'/'0')
-- ARGV[10] = recent calls kept  ARGV[11..] = layout, then the count and codes of the fields served
local now, day, cid, actor = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
local L = layout(9, 11)
local served = {}
local nserved = tonumber(ARGV[L.next_arg])
for i = 1, nserved do served[i] = ARGV[L.next_arg + i] end

local c = counter_record(KEYS[1], cid)
local refused = operable(c, actor, ARGV[5])
if refused then return fail(refused) end
if c.status == 'paused' then return fail('counter_paused') end

-- A ticket held aside (an appointment checked in before its time) joins its field's line.
local function join_line(h)
  redis.call('ZREM', KEYS[8], h.id)
  redis.call('ZADD', L.fields[h.field][h.lane], queue_score(h), h.id)
  count_extra(L, h, 1)
  return L.fields[h.field][h.lane]
end

-- Appointments checked in before their time join their lines when it comes (looked at here, when
-- the next visitor is chosen: that is when the order matters).
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[8], '-inf', now, 'LIMIT', 0, 200)) do
  local h = get_record(KEYS[2], id)
  if not (h and h.state == 'waiting' and L.fields[h.field]) then
    redis.call('ZREM', KEYS[8], id)   -- called, cancelled or its field removed meanwhile
  else
    join_line(h)
    emit(KEYS[3], KEYS[4], 'ticket.queued', now, {ticket = h, waiting = waiting_of(L, {h.field})})
  end
end

local finished
local cur = current_ticket(c, KEYS[2], day)
if cur and (cur.state == 'called' or cur.state == 'serving') then
  if ARGV[9] == '1' and cur.state == 'serving' then
    local service_ms = finish_service(cur, c, KEYS[6], KEYS[7], now)
    put_record(KEYS[2], cur.id, cur)
    emit(KEYS[3], KEYS[4], 'ticket.finished', now,
         {ticket = cur, counter = tonumber(cid), actor = actor, service_ms = service_ms,
          counter_state = counter_view(c)})
    local from = move_on(L, cur, now)
    if from then
      put_record(KEYS[2], cur.id, cur)
      emit(KEYS[3], KEYS[4], 'ticket.moved_on', now, {ticket = cur, from_field = from, counter = tonumber(cid),
                                                      waiting = waiting_of(L, {from, cur.field})})
    end
    finished = cur
    -- A pause asked for during this visit begins now, instead of the next call.
    if settle_pause(c, KEYS[3], KEYS[4], now) then
      put_record(KEYS[1], cid, c)
      return fail('counter_paused', {paused_after_visitor = true})
    end
  else
    return fail('counter_busy', {ticket = cur})
  end
end

-- The next ticket by the rules: this counter's own line, else the lane the ratio chooses.
local function choose()
  local direct = redis.call('ZRANGE', L.counters[cid], 0, 0)
  if direct[1] then return direct[1], L.counters[cid], nil end
  local best = {}
  for _, code in ipairs(served) do
    for _, lane in ipairs({'p', 'n'}) do
      local key = L.fields[code][lane]
      local head = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
      if head[1] then
        local score = tonumber(head[2])
        if best[lane] == nil or (ARGV[6] == 'oldest' and score < best[lane].score) then
          best[lane] = {id = head[1], score = score, key = key}
        end
      end
    end
  end
  local P, N = tonumber(ARGV[7]), tonumber(ARGV[8])
  local lane
  if best.p and best.p.score < -(FIRST_WEIGHT - 1) * PRIORITY_STEP then
    return best.p.id, best.p.key, 'first'   -- an appointment at its time: before walk-ins, outside the ratio
  end
  if best.p and best.n then
    if (c.pr or 0) < P or N == 0 then lane = 'p' else lane = 'n' end
  elseif best.p then lane = 'p'
  elseif best.n then lane = 'n' end
  if lane then return best[lane].id, best[lane].key, lane end
  return nil, nil, nil
end

-- A number taken away from the hall and not confirmed at a kiosk by its time lapses here, when
-- its turn comes: it leaves the line (told to its phone) and the next one is called instead.
local pick, line, lane
for _ = 1, 100 do
  pick, line, lane = choose()
  local candidate = pick and get_record(KEYS[2], pick)
  if not (candidate and candidate.arrive_by and not candidate.checked_in_at and now > candidate.arrive_by) then
    break
  end
  redis.call('ZREM', line, pick)
  if line == L.counters[cid] then count_transferred(L, candidate.field, -1) end
  count_extra(L, candidate, -1)
  candidate.previous_state = candidate.state
  candidate.state = 'cancelled'
  candidate.cancelled_at = now
  candidate.reason = 'remote_lapsed'
  put_record(KEYS[2], candidate.id, candidate)
  emit(KEYS[3], KEYS[4], 'ticket.cancelled', now, {ticket = candidate, actor = actor, reason = 'remote_lapsed',
                                                    waiting = waiting_of(L, {candidate.field}, {cid})})
  pick = nil
end
-- Nobody else waits for this counter: a visitor checked in early for a later time is served now
-- rather than left sitting in front of an idle counter.
if not pick then
  local is_served = {}
  for _, code in ipairs(served) do is_served[code] = true end
  for _, id in ipairs(redis.call('ZRANGE', KEYS[8], 0, 199)) do
    local h = get_record(KEYS[2], id)
    if h and h.state == 'waiting' and is_served[h.field] and L.fields[h.field] then
      pick, line, lane = id, join_line(h), 'early'
      break
    end
  end
end
local P, N = tonumber(ARGV[7]), tonumber(ARGV[8])
if lane == 'p' then
  c.pr = (c.pr or 0) + 1
elseif lane == 'n' and (c.pr or 0) >= P then
  c.nr = (c.nr or 0) + 1
  if c.nr >= N then c.pr, c.nr = 0, 0 end
end

if not pick then
  put_record(KEYS[1], cid, c)
  return reply_ok({empty = true, finished = finished or false})
end

redis.call('ZREM', line, pick)
local t = get_record(KEYS[2], pick)
if not t then
  put_record(KEYS[1], cid, c)
  return fail('corrupt_queue', {id = pick})
end
if line == L.counters[cid] then count_transferred(L, t.field, -1) end
count_extra(L, t, -1)
local free = mark_called(t, c, cid, actor, now)
put_record(KEYS[2], t.id, t)
put_record(KEYS[1], cid, c)
remember_call(KEYS[5], tonumber(ARGV[10]), t, cid, now)
local seq = emit(KEYS[3], KEYS[4], 'ticket.called', now,
                 {ticket = t, counter = tonumber(cid), actor = actor, counter_state = counter_view(c), free = free,
                  waiting = waiting_of(L, {t.field}, {cid})})
return reply_ok({ticket = t, seq = seq, finished = finished or false})
