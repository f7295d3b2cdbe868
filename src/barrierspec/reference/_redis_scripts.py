"""The Lua scripts that make every transition of a Redis named barrier atomic on the server.

State of one barrier name (see :mod:`._redis_keys` for the key names):

* ``meta.epoch``: a random token written when the state is first created. Each member remembers
  the epoch it joined under; every script first compares it with the stored one and answers
  ``lost`` on a mismatch (the server restarted without the data, was flushed, evicted the key).
  A lost state is therefore an error for every member, never a release.
* ``meta.round``: the number of rounds released so far.
* ``lease``: member id -> lease deadline (server clock, ms). Its cardinality is N.
* ``wait``: the waiting member ids. Its cardinality is W. Invariant after every script:
  ``wait`` is a subset of ``lease`` and ``0 <= W < N`` or ``W == N == 0`` (Grinder's group
  invariant).
* ``arr``: member id -> nonce of the wait it is in, so a retried ARRIVE is recognised.
* ``rel:<id>``: the wake-up list of one member. Tokens: ``r<k>`` released in round k, ``c``
  cancelled while waiting, ``x`` withdrawn because its lease expired while waiting, ``t`` its
  wait timed out (withdrawn), ``l`` (pushed by the client) the state was lost. The waiter reads
  the head with ``BLMOVE rel rel LEFT LEFT``, which blocks on the server and does not consume
  the token, so a reply lost to a broken connection is read again after reconnecting. ARRIVE
  clears the list; removing a member gives its list an expiry (``retention``) so that tokens of
  dead processes do not accumulate.

Every script starts with ``enter()``: check the epoch, read the server clock (``TIME``; the
leases use the server's clock so hosts' clocks may disagree), withdraw every member whose lease
deadline has passed (waking it with ``x`` if it was waiting), and release the round if the
withdrawals made ``W == N``. Transitions then:

* JOIN: create the state if absent (new epoch), add the member with a fresh lease (N + 1).
* ARRIVE: renew the lease, add the member to ``wait`` (W + 1); if now ``W == N`` release the
  round: ``round += 1``, push ``r<round>`` to every waiter, clear ``wait``.
* STATUS: report the head token, or whether the member still waits; with ``give_up`` (the
  wait's deadline passed) withdraw the still-waiting member (N - 1, W - 1, token ``t``) and
  re-check the release: Grinder's "a timeout cancels the instance".
* CANCEL: withdraw the member (N - 1, and W - 1 with token ``c`` if it waits); re-check release.
* RENEW: extend the leases of the given live members; report those already withdrawn.
* COUNTS: N and W after sweeping expired leases.

All scripts are idempotent under retry (a reply lost to a broken connection is safe to repeat):
JOIN re-adds the same id, ARRIVE is keyed by the wait's nonce, a repeated give-up finds its
``t`` token, CANCEL of a withdrawn member answers ``gone``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Scripts"]

_PRELUDE = r"""
local meta, lease, waitset, arrivals = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local epoch, relp, retention = ARGV[1], ARGV[2], tonumber(ARGV[3])

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Remove a member (N - 1); if it was waiting (W - 1) wake it with `token`.
local function withdraw(id, token)
  redis.call('ZREM', lease, id)
  redis.call('HDEL', arrivals, id)
  local rel = relp .. id
  if redis.call('SREM', waitset, id) == 1 and token then
    redis.call('RPUSH', rel, token)
  end
  redis.call('PEXPIRE', rel, retention)
end

-- Release the round if every member waits (W == N > 0). Returns the round number or false.
local function trip()
  local n = redis.call('ZCARD', lease)
  if n == 0 or redis.call('SCARD', waitset) ~= n then return false end
  local r = redis.call('HINCRBY', meta, 'round', 1)
  local token = 'r' .. r
  for _, id in ipairs(redis.call('SMEMBERS', waitset)) do
    redis.call('RPUSH', relp .. id, token)
  end
  redis.call('DEL', waitset)
  return r
end

-- Withdraw every member whose lease deadline has passed, then re-check the release.
local function sweep(now)
  local dead = redis.call('ZRANGEBYSCORE', lease, '-inf', '(' .. now)
  for _, id in ipairs(dead) do withdraw(id, 'x') end
  if #dead > 0 then trip() end
end

-- Common entry: the epoch must match; returns the server time or nil when the state is lost.
local function enter()
  if redis.call('HGET', meta, 'epoch') ~= epoch then return nil end
  local now = now_ms()
  sweep(now)
  return now
end
"""

# ARGV[4] = lease ms, ARGV[5] = member id. ARGV[1] is the candidate epoch for a new state.
_JOIN = r"""
if not redis.call('HGET', meta, 'epoch') then
  redis.call('HSET', meta, 'epoch', epoch, 'round', 0)
end
epoch = redis.call('HGET', meta, 'epoch')
local now = enter()
local id = ARGV[5]
redis.call('ZADD', lease, now + tonumber(ARGV[4]), id)
redis.call('DEL', relp .. id)
return {epoch, tonumber(redis.call('HGET', meta, 'round'))}
"""

# ARGV[4] = lease ms, ARGV[5] = member id, ARGV[6] = nonce of this wait.
_ARRIVE = r"""
local now = enter()
if not now then return {'lost'} end
local id, nonce = ARGV[5], ARGV[6]
local rel = relp .. id
if redis.call('HGET', arrivals, id) == nonce then
  -- A retry of an arrival already applied: report where it stands.
  local tok = redis.call('LINDEX', rel, 0)
  if tok then return {'token', tok} end
  if redis.call('SISMEMBER', waitset, id) == 1 then
    return {'waiting', tonumber(redis.call('HGET', meta, 'round')) + 1}
  end
end
if not redis.call('ZSCORE', lease, id) then return {'expired'} end
if redis.call('SISMEMBER', waitset, id) == 1 then return {'busy'} end
redis.call('ZADD', lease, 'XX', now + tonumber(ARGV[4]), id)
redis.call('HSET', arrivals, id, nonce)
redis.call('DEL', rel)
redis.call('SADD', waitset, id)
local r = trip()
if r then return {'token', 'r' .. r} end
return {'waiting', tonumber(redis.call('HGET', meta, 'round')) + 1}
"""

# ARGV[4] = member id, ARGV[5] = '1' to give up (the wait's deadline passed).
_STATUS = r"""
local now = enter()
if not now then return {'lost'} end
local id = ARGV[4]
local tok = redis.call('LINDEX', relp .. id, 0)
if tok then return {'token', tok} end
if not redis.call('ZSCORE', lease, id) then return {'expired'} end
if redis.call('SISMEMBER', waitset, id) == 0 then return {'idle'} end
if ARGV[5] == '1' then
  withdraw(id, 't')
  trip()
  return {'token', 't'}
end
return {'waiting'}
"""

# ARGV[4] = member id.
_CANCEL = r"""
local now = enter()
if not now then return {'lost'} end
local id = ARGV[4]
if not redis.call('ZSCORE', lease, id) then return {'gone'} end
withdraw(id, 'c')
trip()
return {'cancelled'}
"""

# ARGV[4] = lease ms, ARGV[5..] = member ids.
_RENEW = r"""
local now = enter()
if not now then return {'lost'} end
local deadline = now + tonumber(ARGV[4])
local gone = {}
for i = 5, #ARGV do
  if redis.call('ZSCORE', lease, ARGV[i]) then
    redis.call('ZADD', lease, 'XX', deadline, ARGV[i])
  else
    table.insert(gone, ARGV[i])
  end
end
return {'ok', gone}
"""

# No epoch: counts are readable by anyone. A missing epoch means no state: (0, 0).
_COUNTS = r"""
if not redis.call('HGET', meta, 'epoch') then return {0, 0} end
sweep(now_ms())
return {redis.call('ZCARD', lease), redis.call('SCARD', waitset)}
"""


class Scripts:
    """The registered scripts of one client (EVALSHA, reloaded after a server restart)."""

    def __init__(self, client: Any) -> None:
        self.join = client.register_script(_PRELUDE + _JOIN)
        self.arrive = client.register_script(_PRELUDE + _ARRIVE)
        self.status = client.register_script(_PRELUDE + _STATUS)
        self.cancel = client.register_script(_PRELUDE + _CANCEL)
        self.renew = client.register_script(_PRELUDE + _RENEW)
        self.counts = client.register_script(_PRELUDE + _COUNTS)
