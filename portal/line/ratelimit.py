"""LINE's per-channel rate limits as token buckets shared by every process.

With Redis configured (``CACHE_URL`` or ``CELERY_BROKER_URL`` on redis://) a bucket is a
Redis hash updated by one Lua script (Redis' own clock, atomic); otherwise it is a
``RateLimitBucket`` row locked with ``select_for_update``. Rates come from
``settings.LINE_RATE_LIMITS``: ``{"multicast": {"rate": 180, "per": 1.0, "burst": 10}, ...}``,
chosen so that ``burst + rate`` stays below LINE's ceiling in any window.

``acquire`` reserves a token and sleeps until its turn (first come, first served), unless
that turn is further away than ``timeout``: then it takes nothing and returns False.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local data = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(data[1])
local ts = tonumber(data[2])
if tokens == nil then tokens = burst; ts = now end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens < 1 then wait = (1 - tokens) / rate end
if max_wait >= 0 and wait > max_wait then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
  return {0, tostring(wait)}
end
tokens = tokens - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], 7200)
return {1, tostring(wait)}
"""


@dataclass(frozen=True)
class Rate:
    rate: float  # tokens per second
    burst: float


def rate_for(bucket: str) -> Rate:
    config = settings.LINE_RATE_LIMITS[bucket]
    per = float(config.get("per", 1.0))
    return Rate(rate=float(config["rate"]) / per, burst=max(1.0, float(config.get("burst", 1))))


def redis_url() -> str | None:
    """The Redis URL buckets live in, or None (database buckets)."""
    cache = settings.CACHES.get("default", {})
    if "redis" in cache.get("BACKEND", "").lower():
        location = cache.get("LOCATION")
        if isinstance(location, list | tuple):
            location = location[0]
        if location:
            return str(location)
    broker = str(getattr(settings, "CELERY_BROKER_URL", "") or "")
    if broker.startswith(("redis://", "rediss://")):
        return broker
    return None


_redis: dict[tuple, object] = {}
_redis_lock = threading.Lock()


def _redis_script(url: str):
    key = (os.getpid(), url)
    script = _redis.get(key)
    if script is None:
        import redis

        with _redis_lock:
            connection = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
            script = connection.register_script(_LUA)
            _redis[key] = script
    return script


def _reserve_redis(url: str, bucket: str, rate: Rate, max_wait: float) -> tuple[bool, float]:
    script = _redis_script(url)
    prefix = getattr(settings, "LINE_RATE_LIMIT_PREFIX", "line-rate")
    granted, wait = script(keys=[f"{prefix}:{bucket}"], args=[rate.rate, rate.burst, max_wait])
    return bool(int(granted)), float(wait)


def _reserve_db(bucket: str, rate: Rate, max_wait: float) -> tuple[bool, float]:
    from .models import RateLimitBucket

    now = time.time()
    with transaction.atomic():
        # Write first: SQLite takes its write lock here instead of failing to upgrade a
        # read lock later; PostgreSQL locks the row (select_for_update below is then free).
        if not RateLimitBucket.objects.filter(name=bucket).update(name=bucket):
            RateLimitBucket.objects.get_or_create(name=bucket, defaults={"tokens": rate.burst, "updated": now})
        row = RateLimitBucket.objects.select_for_update().get(name=bucket)
        now = time.time()
        tokens = min(rate.burst, row.tokens + max(0.0, now - row.updated) * rate.rate)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / rate.rate
        granted = max_wait < 0 or wait <= max_wait
        if granted:
            tokens -= 1
        RateLimitBucket.objects.filter(pk=row.pk).update(tokens=tokens, updated=now)
    return granted, wait


def reserve(bucket: str, *, max_wait: float = -1) -> tuple[bool, float]:
    """Reserve one token: ``(granted, seconds to wait before using it)``. With
    ``max_wait >= 0`` nothing is taken when the wait would be longer."""
    rate = rate_for(bucket)
    url = redis_url()
    if url:
        return _reserve_redis(url, bucket, rate, max_wait)
    return _reserve_db(bucket, rate, max_wait)


def acquire(bucket: str, *, timeout: float | None = None) -> bool:
    """Take one token from the shared ``bucket``, sleeping until it is ours. Returns False
    (and takes nothing) when that would take longer than ``timeout`` seconds."""
    granted, wait = reserve(bucket, max_wait=-1 if timeout is None else float(timeout))
    if not granted:
        return False
    if wait > 0:
        time.sleep(wait)
    return True


def reset(bucket: str) -> None:
    """Forget a bucket's state (tests)."""
    url = redis_url()
    if url:
        import redis

        prefix = getattr(settings, "LINE_RATE_LIMIT_PREFIX", "line-rate")
        redis.Redis.from_url(url).delete(f"{prefix}:{bucket}")
    from .models import RateLimitBucket

    RateLimitBucket.objects.filter(name=bucket).delete()
