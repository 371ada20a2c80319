-- sign_in_guard: count a sign-in try before its password is checked, in one step, so that
-- concurrent guesses cannot all pass one check of the count. Each key counts the tries of
-- one client: KEYS[1] for one name from one address, KEYS[2] for every name from that
-- address. After `free` tries a key makes its client wait, twice as long after each further
-- try (1 s, 2 s, 4 s ... up to `longest`). A client is never slowed by another's failures.
-- A right password forgets the tries of its name and address (mode 'passed').
-- KEYS: client address
-- ARGV: step now free_client free_address longest_wait memory
-- KEYS[1] = signin:{name, address} (hash)  KEYS[2] = signin:{address} (hash)
-- ARGV[1] = 'try' or 'passed'  ARGV[2] = now (ms)  ARGV[3] = free tries of KEYS[1]
-- ARGV[4] = free tries of KEYS[2]  ARGV[5] = longest wait (ms)  ARGV[6] = memory (ms)
local mode, now, longest, memory = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[5]), tonumber(ARGV[6])
if mode == 'passed' then
  redis.call('DEL', KEYS[1])
  if tonumber(redis.call('HGET', KEYS[2], 'n') or '0') > 0 then redis.call('HINCRBY', KEYS[2], 'n', -1) end
  return reply_ok({})
end
local wait = 0
for i = 1, 2 do
  local until_ms = tonumber(redis.call('HGET', KEYS[i], 'until') or '0')
  if until_ms - now > wait then wait = until_ms - now end
end
if wait > 0 then return fail('sign_in_delayed', {retry_after_ms = wait}) end
for i = 1, 2 do
  local free = tonumber(ARGV[2 + i])
  local n = redis.call('HINCRBY', KEYS[i], 'n', 1)
  if n > free then
    redis.call('HSET', KEYS[i], 'until', now + math.min(longest, 1000 * 2 ^ (n - free - 1)))
  end
  redis.call('PEXPIRE', KEYS[i], memory)
end
return reply_ok({})
