"""The Lua scripts: each decision the nodes share is one script, so Redis makes it atomically.

Keys all start with ``chatd:``.  Scripts use Redis's own clock (``TIME``), so nodes whose clocks
disagree still agree on whose lease has run out.  Some keys are built inside the scripts (a dead
node's set of users), which a Redis Cluster would refuse: chatd speaks to one Redis server.
"""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import sha1

PREFIX = "chatd:"
#: The channels every node listens on: room lines, and presence facts.
LINES, FACTS = PREFIX + "lines", PREFIX + "facts"
NAMES, NODES, USERS, ROOMS, TOPICS, EPOCH = (
    PREFIX + part for part in ("names", "nodes", "users", "rooms", "topics", "epoch")
)


def node_channel(node: str) -> str:
    """The channel of private messages for the users of ``node``."""
    return f"{PREFIX}node:{node}"


def node_users(node: str) -> str:
    """The set of the keys of ``node``'s users."""
    return f"{PREFIX}node-users:{node}"


def sequence(room: str) -> str:
    return f"{PREFIX}seq:{room}"


def stream(room: str) -> str:
    """The capped stream of room ``room``'s lines; a line's id is ``SEQ-0``."""
    return f"{PREFIX}stream:{room}"


@dataclass(frozen=True)
class Script:
    """A Lua script, run by its SHA1 once Redis knows it."""

    name: str
    source: str

    @property
    def sha(self) -> str:
        return sha1(self.source.encode()).hexdigest()


_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

#: Number a room's line, keep it in the room's capped stream, and publish it to every node.
#: KEYS: sequence, stream, lines channel.  ARGV: room key, line (JSON), most lines kept.
#: Returns the line's sequence number.
PUBLISH = Script(
    "publish",
    """
local seq = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], seq .. '-0', 'd', ARGV[2])
redis.call('PUBLISH', KEYS[3], ARGV[1] .. '\\n' .. seq .. '\\n' .. ARGV[2])
return seq
""",
)

#: Claim a name for a node: free, already the node's, or held by a node whose lease ran out.
#: KEYS: names, nodes.  ARGV: look-alike key of the name, node.  Returns 1 if claimed, else 0.
CLAIM = Script(
    "claim",
    _NOW
    + """
local holder = redis.call('HGET', KEYS[1], ARGV[1])
if holder and holder ~= ARGV[2] then
  local lease = redis.call('ZSCORE', KEYS[2], holder)
  if lease and tonumber(lease) > now then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
""",
)

#: Give a name back, if the node holds it.  KEYS: names.  ARGV: look-alike key, node.
RELEASE = Script(
    "release",
    """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 1
""",
)

#: Keep a user's presence record (or delete it), and publish what happened.
#: KEYS: users, the node's set of users, facts channel.
#: ARGV: user key, record (JSON; empty: the user is gone), fact (JSON), older key to drop or ''.
PRESENCE = Script(
    "presence",
    """
if ARGV[4] ~= '' then
  redis.call('HDEL', KEYS[1], ARGV[4])
  redis.call('SREM', KEYS[2], ARGV[4])
end
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('SREM', KEYS[2], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('SADD', KEYS[2], ARGV[1])
end
redis.call('PUBLISH', KEYS[3], ARGV[3])
return 1
""",
)

#: Renew a node's lease, and bury the nodes whose lease ran out: their users are gone (each
#: announced on the facts channel) and their names free.
#: KEYS: nodes, users, facts channel.  ARGV: node, lease in milliseconds, key prefix.
#: Returns 1 if the node's lease was still running (0: it had run out, or is new).
RENEW = Script(
    "renew",
    _NOW
    + """
local lease = redis.call('ZSCORE', KEYS[1], ARGV[1])
local alive = (lease and tonumber(lease) > now) and 1 or 0
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
for _, node in ipairs(dead) do
  redis.call('ZREM', KEYS[1], node)
  local members = ARGV[3] .. 'node-users:' .. node
  for _, key in ipairs(redis.call('SMEMBERS', members)) do
    redis.call('HDEL', KEYS[2], key)
    redis.call('PUBLISH', KEYS[3], cjson.encode({t = 'departed', node = node, key = key}))
  end
  redis.call('DEL', members)
end
return alive
""",
)

#: Raise a room's sequence to at least a number a node has shown: after Redis lost lines, the
#: numbering goes on from the highest seq any node showed, so that no seq means two lines.
#: KEYS: the room's sequence.  ARGV: the lowest it may be.  Returns the sequence.
RESEQUENCE = Script(
    "resequence",
    """
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
if seq < tonumber(ARGV[1]) then
  seq = tonumber(ARGV[1])
  redis.call('SET', KEYS[1], seq)
end
return seq
""",
)

ALL = (PUBLISH, CLAIM, RELEASE, PRESENCE, RENEW, RESEQUENCE)
