"""Every use enrich makes of faust-streaming's and aiokafka's private API, in one place, each with its reason.

The pinned versions are faust-streaming 0.15.3 and aiokafka 0.14.0 (pyproject.toml).
tests/unit/test_enrich_framework.py fails as soon as an upgrade changes what these rely on, so each can be
re-checked, and dropped where the upgrade made it unneeded.

1. ``commit(app, offsets)``: faust's public commit commits the offsets of *acked* events, and in 0.15.3 a
   partition with no committed offset yet (or one unfinished message just after it) is committed past
   messages still in flight, and a batch whose processing raised or was cancelled is acked anyway (found by
   the fault suite; see newsflow/runtime/offsets.py). So enrich keeps its own commit points and hands them to
   the consumer's internal ``_commit_offsets``, which is faust's own commit path (it leaves out partitions
   revoked meanwhile). Upstream: faust-streaming/faust#606 (a commit past a message still in flight, under
   concurrency; the fix proposed in #707 was not merged in 0.15.3) and #604 / #315 (an event whose processing
   raised is acked). Needed until faust commits only what the application says is done.
2. ``hold_empty_fetches()``: a broker that answers an empty fetch at once instead of holding it for
   fetch.max.wait.ms (noida-db, the embedded stack) makes aiokafka's fetcher spin: measured at 0.8 of a core
   per idle consumer. Around aiokafka's ``Fetcher._proc_fetch_request``, an empty answer that came sooner than
   ``fetch_max_wait_ms`` is held for the rest of it, as the broker would have held the request; on a broker that
   holds fetches nothing is left to hold, so it is on everywhere, with no setting. Needed while a supported
   broker does not hold fetches. Upstream: none in aiokafka, which is right to trust fetch.max.wait.ms; it is
   noida-db 0.2.3's gap (README, "What the emulators do differently").
"""

from __future__ import annotations

import asyncio


async def commit(app, offsets: dict) -> bool:
    """Commit exactly ``offsets`` ({TP: next offset}) through faust's consumer; whether it was committed."""
    return bool(await app.consumer._commit_offsets(offsets))


def hold_empty_fetches() -> None:
    """After an empty fetch answered sooner than ``fetch_max_wait_ms``, wait out the rest before the next (the second
    use above; runtime/kafka_mends.py does the same for kafka-python). Installed once per process."""
    from aiokafka.consumer.fetcher import Fetcher

    original = Fetcher._proc_fetch_request
    if getattr(original, "_newsflow_hold", False):
        return

    async def fetch_then_hold_if_empty(self, assignment, node_id, request):
        loop = asyncio.get_running_loop()
        sent = loop.time()
        got_records = await original(self, assignment, node_id, request)
        left = self._fetch_max_wait_ms / 1000 - (loop.time() - sent)
        if not got_records and left > 0:
            try:
                await asyncio.sleep(left)
            except asyncio.CancelledError:
                # As the original does: the fetcher cancels and awaits its fetch tasks when it closes,
                # and a cancellation escaping here would crash the consumer's thread instead of stopping it.
                return got_records
        return got_records

    fetch_then_hold_if_empty._newsflow_hold = True  # type: ignore[attr-defined]
    Fetcher._proc_fetch_request = fetch_then_hold_if_empty
