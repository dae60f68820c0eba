"""Cluster mode's job store: jobs, progress events and worker heartbeats in
the Redis that also carries the queue, so every API node and every worker,
on any machine, reads and writes the same records.

    {prefix}:job:{id}          hash, one field per `Job` field (JSON values)
    {prefix}:status:{status}   sorted set of job ids by creation time
    {prefix}:expiry            live jobs by `expires_at`; expired ones in {prefix}:expired
    {prefix}:events:{id}       stream of progress events, entry id "{seq}-0"
    {prefix}:seq:{id}          the job's last event number (SSE polls this one key)
    {prefix}:worker:{id}       a worker's heartbeat, a key that expires on its own
    {prefix}:workers           worker ids by last beat (an index of those keys)
    {prefix}:durations:{end}   run-length histogram counts per outcome (for /metrics)

A state change is one Lua script (check the status, write the fields, move
the id between the sorted sets), so two nodes racing for one job see one
winner, as SQLite's `UPDATE ... WHERE status IN` gives on one machine. An
event takes its number and joins the stream in one script too, so numbers
never go backwards whoever writes them.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from .jobs import EXPIRED, QUEUED, RUNNING, Event, Job, JobStore

PREFIX = "musicmixer:jobs"
RETRY_PAUSE_S = 0.5
PATIENT_S = 60.0  # workers and job processes wait this long for Redis to come back
_FIELDS = ("id", "kind", "status", "prompt", "options", "folder", "result", "error",
           "created_at", "updated_at", "expires_at", "owner_hash", "attempts", "names", "worker",
           "cancel_requested")

# KEYS[1] job hash. ARGV: prefix, id, allowed statuses (JSON list, [] = any),
# fields (JSON object of JSON-encoded values), expected attempts ("" = any), "1" to count
# a start (attempts + 1).
_TRANSITION = """
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then return 0 end
local p, id = ARGV[1], ARGV[2]
local status = cjson.decode(redis.call('HGET', key, 'status'))
local allowed = cjson.decode(ARGV[3])
if #allowed > 0 then
  local ok = false
  for _, s in ipairs(allowed) do if s == status then ok = true end end
  if not ok then return 0 end
end
if ARGV[5] ~= '' then
  local attempts = cjson.decode(redis.call('HGET', key, 'attempts'))
  if attempts ~= tonumber(ARGV[5]) then return 0 end
  if ARGV[6] == '1' then redis.call('HSET', key, 'attempts', cjson.encode(attempts + 1)) end
end
for k, v in pairs(cjson.decode(ARGV[4])) do redis.call('HSET', key, k, v) end
local new = cjson.decode(redis.call('HGET', key, 'status'))
if new ~= status then
  redis.call('ZREM', p .. ':status:' .. status, id)
  redis.call('ZADD', p .. ':status:' .. new, redis.call('HGET', key, 'created_at'), id)
end
local expires = redis.call('HGET', key, 'expires_at')
if new == 'expired' then
  redis.call('ZREM', p .. ':expiry', id)
  redis.call('ZADD', p .. ':expired', expires, id)
else
  redis.call('ZREM', p .. ':expired', id)
  redis.call('ZADD', p .. ':expiry', expires, id)
end
return 1
"""

# KEYS[1] the job's event counter, KEYS[2] its stream. ARGV: step, detail, progress, at.
_ADD_EVENT = """
local seq = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], seq .. '-0', 'step', ARGV[1], 'detail', ARGV[2],
           'progress', ARGV[3], 'at', ARGV[4])
return seq
"""


class RedisJobStore(JobStore):
    """`JobStore` on Redis. `heartbeat_ttl_s`: a worker key outlives its last
    beat by this much (the queue's heartbeat timeout: then it counts as dead).
    `patient_s`: how long a call waits for a Redis that is down or restarting
    before it raises. Workers and job processes wait (a restart of Redis in
    the middle of a job costs the job a pause, not its run); the API does not
    (a request gets its 503 at once)."""

    def __init__(self, url: str, *, prefix: str = PREFIX, heartbeat_ttl_s: float = 60.0,
                 patient_s: float = 0.0, client: Any = None):
        import redis
        from redis.backoff import ConstantBackoff, NoBackoff
        from redis.retry import Retry

        self.url, self.prefix, self.locator = url, prefix, url
        self.heartbeat_ttl_s = heartbeat_ttl_s
        retry = (Retry(ConstantBackoff(RETRY_PAUSE_S), math.ceil(patient_s / RETRY_PAUSE_S))
                 if patient_s > 0 else Retry(NoBackoff(), 0))
        # Any: redis-py's stubs type every reply as a union of sync and async forms
        self.db: Any = client or redis.Redis.from_url(
            url, socket_timeout=5, socket_connect_timeout=2, decode_responses=True, retry=retry,
            retry_on_error=[redis.ConnectionError, redis.TimeoutError])
        self._transition = self.db.register_script(_TRANSITION)
        self._add_event = self.db.register_script(_ADD_EVENT)

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    # --- jobs -------------------------------------------------------------
    def create(self, job_id: str, prompt: str, options: dict, folder: Path, ttl_s: float, *,
               owner_hash: str | None = None, names: dict | None = None) -> Job:
        now = time.time()
        job = Job(id=job_id, kind="mix", status=QUEUED, prompt=prompt, options=options,
                  folder=Path(folder), result={}, error=None, created_at=now, updated_at=now,
                  expires_at=now + ttl_s, owner_hash=owner_hash, names=names or {})
        with self.db.pipeline(transaction=True) as tx:
            tx.hset(self._key("job", job_id), mapping=_encode(vars(job)))
            tx.zadd(self._key("status", QUEUED), {job_id: now})
            tx.zadd(self._key("expiry"), {job_id: job.expires_at})
            tx.execute()
        return job

    def get(self, job_id: str) -> Job | None:
        return _decode(self.db.hgetall(self._key("job", job_id)))

    def _many(self, ids: list[str]) -> list[Job]:
        with self.db.pipeline(transaction=False) as p:
            for job_id in ids:
                p.hgetall(self._key("job", job_id))
            rows = p.execute()
        return [job for job in map(_decode, rows) if job is not None]

    def _write(self, job_id: str, allowed: tuple[str, ...], fields: dict,
               attempts: int | None = None, count_start: bool = False) -> bool:
        fields["updated_at"] = time.time()
        done = self._transition(keys=[self._key("job", job_id)],
                                args=[self.prefix, job_id, json.dumps(list(allowed)),
                                      json.dumps(_encode(fields)),
                                      "" if attempts is None else str(attempts),
                                      "1" if count_start else "0"])
        return bool(done)

    def update(self, job_id: str, **fields) -> None:
        self._write(job_id, (), fields)

    def transition(self, job_id: str, from_status: tuple[str, ...], *,
                   run: int | None = None, **fields) -> bool:
        return self._write(job_id, tuple(from_status), fields, run)

    def claim(self, job: Job, worker: str) -> bool:
        return self._write(job.id, (job.status,), {"status": RUNNING, "worker": worker,
                                                   "cancel_requested": False}, job.attempts,
                           count_start=True)

    def release(self, job: Job) -> bool:
        return self._write(job.id, (RUNNING,), {"status": QUEUED}, job.attempts)

    def with_status(self, *statuses: str) -> list[Job]:
        ids = [i for s in statuses for i in self.db.zrange(self._key("status", s), 0, -1)]
        return sorted(self._many(ids), key=lambda j: j.created_at)

    def count(self, *statuses: str) -> int:
        with self.db.pipeline(transaction=False) as p:
            for s in statuses:
                p.zcard(self._key("status", s))
            return sum(p.execute())

    def due_for_expiry(self, now: float) -> list[Job]:
        ids = self.db.zrangebyscore(self._key("expiry"), "-inf", now)
        return [j for j in self._many(ids) if j.status not in (RUNNING, EXPIRED)]

    def forget(self, before: float) -> int:
        ids = self.db.zrangebyscore(self._key("expired"), "-inf", f"({before}")
        gone = 0
        for job in self._many(ids):
            if job.status != EXPIRED:
                continue
            with self.db.pipeline(transaction=True) as tx:
                tx.delete(self._key("job", job.id), self._key("events", job.id),
                          self._key("seq", job.id))
                tx.zrem(self._key("status", EXPIRED), job.id)
                tx.zrem(self._key("expired"), job.id)
                tx.execute()
            gone += 1
        return gone

    # --- workers ----------------------------------------------------------
    def heartbeat(self, worker: str, info: dict) -> None:
        now = time.time()
        with self.db.pipeline(transaction=True) as tx:
            tx.set(self._key("worker", worker), json.dumps({"info": info, "at": now}),
                   ex=max(1, math.ceil(self.heartbeat_ttl_s)))
            tx.zadd(self._key("workers"), {worker: now})  # an index: no SCAN of the keyspace
            tx.zremrangebyscore(self._key("workers"), "-inf", now - 10 * self.heartbeat_ttl_s)
            tx.execute()

    def workers(self, seen_since: float = 0.0) -> dict[str, tuple[dict, float]]:
        ids = self.db.zrangebyscore(self._key("workers"), seen_since, "+inf")
        values = self.db.mget([self._key("worker", w) for w in ids]) if ids else []
        out = {}
        for worker, value in zip(ids, values, strict=True):
            if value is None:  # its key expired: silent for its whole TTL
                continue
            beat = json.loads(value)
            if beat["at"] >= seen_since:
                out[worker] = (beat["info"], beat["at"])
        return out

    # --- run lengths ------------------------------------------------------
    def _add_counts(self, outcome: str, counts: dict[str, float]) -> None:
        with self.db.pipeline(transaction=True) as tx:
            for le, value in counts.items():
                tx.hincrbyfloat(self._key("durations", outcome), le, value)
            tx.sadd(self._key("outcomes"), outcome)
            tx.execute()

    def duration_counts(self) -> dict[str, dict[str, float]]:
        return {o: {k: float(v) for k, v in self.db.hgetall(self._key("durations", o)).items()}
                for o in self.db.smembers(self._key("outcomes"))}

    # --- the cluster's shared folder -------------------------------------
    def claim_folder_token(self, mine: str) -> str:
        """The shared folder's token (`storage.SharedFolder.join`): `mine` if none
        was stored yet."""
        key = self._key("shared-folder")
        self.db.set(key, mine, nx=True)
        return self.db.get(key)

    # --- events -----------------------------------------------------------
    def add_event(self, job_id: str, step: str, detail: str, progress: float) -> Event:
        now = time.time()
        seq = self._add_event(keys=[self._key("seq", job_id), self._key("events", job_id)],
                              args=[step, detail, repr(float(progress)), repr(now)])
        return Event(int(seq), step, detail, float(progress), now)

    def events_after(self, job_id: str, seq: int) -> list[Event]:
        return [_event(i, f) for i, f in self.db.xrange(self._key("events", job_id),
                                                        min=f"{seq + 1}-0")]

    def last_event(self, job_id: str) -> Event | None:
        found = self.db.xrevrange(self._key("events", job_id), count=1)
        return _event(*found[0]) if found else None

    def latest_seq(self, job_id: str) -> int | None:
        value = self.db.get(self._key("seq", job_id))
        return int(value) if value is not None else None


def _encode(fields: dict) -> dict[str, str]:
    return {k: json.dumps(str(v) if isinstance(v, Path) else v) for k, v in fields.items()}


def _decode(row: dict) -> Job | None:
    if not row:
        return None
    values = {k: json.loads(v) for k, v in row.items() if k in _FIELDS}
    values["folder"] = Path(values["folder"])
    values["cancel_requested"] = bool(values.get("cancel_requested"))
    return Job(**values)


def _event(entry_id: str, fields: dict) -> Event:
    return Event(int(entry_id.split("-")[0]), fields["step"], fields["detail"],
                 float(fields["progress"]), float(fields["at"]))
