"""The Channels layer that REDIS_URL configures keeps an idle websocket's channel open.

channels-redis waits for a channel's next message with a 5 s blocking pop (BZPOPMIN) and then waits again. redis-py 8
reads every reply within `socket_timeout`, which it defaults to 5 s: the read then races the server's 5 s, and an
idle websocket's consumer dies with `redis.exceptions.TimeoutError` (daphne closes it with 1011) every few seconds
(django/channels_redis#422, redis/redis-py#4091). The settings give the layer a longer read timeout.
"""

import asyncio
import runpy
from pathlib import Path

import pytest
from channels_redis.core import RedisChannelLayer

from tests.support.live_socket import run_in_own_loop

SETTINGS = Path(__file__).resolve().parents[2] / "playground" / "settings.py"


def test_an_idle_channel_waits_past_the_blocking_pop_and_still_receives(redis, monkeypatch):
    monkeypatch.setenv("REDIS_URL", redis.url)
    config = runpy.run_path(str(SETTINGS))["CHANNEL_LAYERS"]["default"]
    assert config["BACKEND"] == "channels_redis.core.RedisChannelLayer"

    async def scenario():
        layer = RedisChannelLayer(**config["CONFIG"])
        try:
            channel = await layer.new_channel()
            # Two blocking pops' worth of silence: a read that times out raises redis' TimeoutError instead.
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(layer.receive(channel), timeout=11)
            await layer.send(channel, {"type": "hello"})
            assert await asyncio.wait_for(layer.receive(channel), timeout=5) == {"type": "hello"}
        finally:
            await layer.close_pools()

    # In a thread of its own: a browser test earlier in the run leaves Playwright's loop running in this one.
    run_in_own_loop(scenario, timeout=60)
