"""Background worker: takes order ids off the Redis queue and fulfils them."""

import asyncio
import logging
import signal
import time
from pathlib import Path

import asyncpg
import redis.asyncio as redis

from app.main import settings

log = logging.getLogger("orders.worker")

# Touched on every loop; the container health check reads its age.
HEARTBEAT = Path("/tmp/worker-heartbeat")


async def fulfil(db: asyncpg.Pool, order_id: str) -> None:
    async with db.acquire() as conn:
        await conn.execute(
            "UPDATE orders SET status = 'fulfilled', updated_at = now() WHERE id = $1",
            order_id,
        )
    log.info("fulfilled order %s", order_id)


async def run() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)

    db = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=4)
    queue = redis.from_url(settings.redis_url)
    while not stop.is_set():
        HEARTBEAT.write_text(str(time.time()))
        item = await queue.brpop(settings.queue_name, timeout=5)
        if item is not None:
            await fulfil(db, item[1].decode())
    await queue.aclose()
    await db.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(run())
