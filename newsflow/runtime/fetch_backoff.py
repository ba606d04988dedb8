"""A pause after an empty fetch, for brokers that answer fetches at once instead of waiting.

A Kafka broker holds an empty fetch for up to fetch.max.wait.ms, so an idle consumer costs
nothing. noida-db (the local stack) answers at once, and aiokafka's fetcher then spins: we
measured 0.8 of a core per idle consumer, half the machine on two cores. `newsflow up` turns
this on for its local stack only (NEWSFLOW_KAFKA_EMPTY_FETCH_BACKOFF_MS); on a real cluster it
stays off.
"""

from __future__ import annotations

import asyncio


def install(backoff_ms: int) -> None:
    if backoff_ms <= 0:
        return
    from aiokafka.consumer.fetcher import Fetcher

    original = Fetcher._proc_fetch_request
    if getattr(original, "_newsflow_backoff", False):
        return

    async def fetch_then_pause_if_empty(self, assignment, node_id, request):
        got_records = await original(self, assignment, node_id, request)
        if not got_records:
            try:
                await asyncio.sleep(backoff_ms / 1000)
            except asyncio.CancelledError:
                # As the original does: the fetcher cancels and awaits its fetch tasks when it closes,
                # and a cancellation escaping here would crash the consumer's thread instead of stopping it.
                return got_records
        return got_records

    fetch_then_pause_if_empty._newsflow_backoff = True
    Fetcher._proc_fetch_request = fetch_then_pause_if_empty
