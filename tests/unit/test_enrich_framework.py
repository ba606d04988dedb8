"""What newsflow/stages/enrich/framework.py relies on in the pinned faust-streaming and aiokafka. When an upgrade
changes any of it, this fails first: re-check the reason given there, and drop the workaround if it is gone."""

import asyncio
import inspect

import aiokafka
import faust
from aiokafka.consumer.fetcher import Fetcher
from faust.transport.consumer import Consumer

from newsflow.stages.enrich import framework


def test_the_pinned_versions_are_the_ones_the_workarounds_were_written_for():
    assert faust.__version__ == "0.15.3" and aiokafka.__version__ == "0.14.0"


def test_fausts_internal_commit_takes_exact_offsets_and_says_whether_it_committed():
    assert inspect.iscoroutinefunction(Consumer._commit_offsets)
    params = list(inspect.signature(Consumer._commit_offsets).parameters)
    assert params[:2] == ["self", "offsets"]
    assert inspect.signature(Consumer._commit_offsets).return_annotation in (bool, "bool")


def test_commit_hands_the_offsets_to_that_path():
    seen = {}

    class FakeConsumer:
        async def _commit_offsets(self, offsets):
            seen.update(offsets)
            return True

    class FakeApp:
        consumer = FakeConsumer()

    assert asyncio.run(framework.commit(FakeApp(), {"tp": 7})) is True and seen == {"tp": 7}


def test_the_fetch_backoff_wraps_aiokafkas_fetch_request_and_waits_only_after_an_empty_fetch(monkeypatch):
    assert inspect.iscoroutinefunction(Fetcher._proc_fetch_request)
    assert list(inspect.signature(Fetcher._proc_fetch_request).parameters) == [
        "self",
        "assignment",
        "node_id",
        "request",
    ]
    answers = []

    async def original(self, assignment, node_id, request):
        return answers.pop(0)

    monkeypatch.setattr(Fetcher, "_proc_fetch_request", original)
    framework.install_fetch_backoff(50)
    wrapped = Fetcher._proc_fetch_request
    assert wrapped is not original and wrapped._newsflow_backoff
    framework.install_fetch_backoff(50)
    assert Fetcher._proc_fetch_request is wrapped  # installed once

    async def timed(result) -> float:
        answers.append(result)
        loop = asyncio.get_running_loop()
        began = loop.time()
        assert await wrapped(None, None, 0, None) is result
        return loop.time() - began

    assert asyncio.run(timed(False)) >= 0.05  # nothing came: it waits
    assert asyncio.run(timed(True)) < 0.05  # records came: it does not
