"""Strom's asyncio client: the classes the sync Producer, Consumer and AdminClient wrap.

async with-free use:  p = AIOProducer({"bootstrap.servers": ...}); await p.start()
fut = await p.send("topic", b"value");  md = await fut
c = AIOConsumer({...}); await c.subscribe(["topic"]);  async for msg in c: ...
Transactions (with "transactional.id"): await p.init_transactions(); p.begin_transaction(); ...;
await p.send_offsets_to_transaction(positions, c.consumer_group_metadata()); await p.commit_transaction()
"""

from strom.client.admin import AsyncAdmin as AIOAdminClient
from strom.client.consumer import AsyncConsumer as AIOConsumer
from strom.client.producer import AsyncProducer as AIOProducer

AsyncAdmin = AIOAdminClient
AsyncConsumer = AIOConsumer
AsyncProducer = AIOProducer

__all__ = ["AIOAdminClient", "AIOConsumer", "AIOProducer", "AsyncAdmin", "AsyncConsumer", "AsyncProducer"]
