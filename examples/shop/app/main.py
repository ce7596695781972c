"""Orders API: accepts orders and queues them for the worker."""

from contextlib import asynccontextmanager
from uuid import uuid4

import asyncpg
import redis.asyncio as redis
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    database_url: str
    redis_url: str = "redis://redis:6379/0"
    queue_name: str = "orders:pending"


settings = Settings()


class OrderIn(BaseModel):
    customer_id: str = Field(min_length=1, max_length=64)
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0, le=1000)


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.db = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=10)
    app.state.redis = redis.from_url(settings.redis_url)
    yield
    await app.state.redis.aclose()
    await app.state.db.close()


app = FastAPI(title="orders", lifespan=lifespan)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    # Liveness: the process answers. Dependencies are checked by /readyz.
    return {"status": "ok"}


@app.get("/readyz")
async def readyz() -> dict[str, str]:
    try:
        async with app.state.db.acquire() as conn:
            await conn.execute("SELECT 1")
        await app.state.redis.ping()
    except Exception as exc:  # noqa: BLE001
        raise HTTPException(status_code=503, detail=str(exc)) from exc
    return {"status": "ready"}


@app.post("/orders", status_code=202)
async def create_order(order: OrderIn) -> dict[str, str]:
    order_id = str(uuid4())
    async with app.state.db.acquire() as conn:
        await conn.execute(
            "INSERT INTO orders (id, customer_id, sku, quantity, status) "
            "VALUES ($1, $2, $3, $4, 'pending')",
            order_id, order.customer_id, order.sku, order.quantity,
        )
    await app.state.redis.lpush(settings.queue_name, order_id)
    return {"id": order_id, "status": "pending"}
