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


def test_an_empty_fetch_answered_at_once_is_held_for_the_rest_of_the_max_wait_and_no_other(monkeypatch):
    assert inspect.iscoroutinefunction(Fetcher._proc_fetch_request)
    assert list(inspect.signature(Fetcher._proc_fetch_request).parameters) == [
        "self",
        "assignment",
        "node_id",
        "request",
    ]
    answers: list[tuple[bool, float]] = []

    async def original(self, assignment, node_id, request):
        got, takes = answers.pop(0)
        await asyncio.sleep(takes)  # the broker's answer, at once or after holding the fetch
        return got

    monkeypatch.setattr(Fetcher, "_proc_fetch_request", original)
    framework.hold_empty_fetches()
    wrapped = Fetcher._proc_fetch_request
    assert wrapped is not original and wrapped._newsflow_hold
    framework.hold_empty_fetches()
    assert Fetcher._proc_fetch_request is wrapped  # installed once

    class Fetching:
        _fetch_max_wait_ms = 200  # aiokafka's attribute, read by the hold

    def timed(got: bool, takes: float) -> float:
        async def run() -> float:
            answers.append((got, takes))
            loop = asyncio.get_running_loop()
            began = loop.time()
            assert await wrapped(Fetching(), None, 0, None) is got
            return loop.time() - began

        return asyncio.run(run())

    assert 0.19 <= timed(False, 0.0) < 0.4  # empty at once: held as the broker would have held it
    assert timed(True, 0.0) < 0.1  # records came: no wait
    assert timed(False, 0.2) < 0.35  # empty after the broker held it: nothing left to wait


def test_faust_keeps_its_data_directory_out_of_the_working_directory(tmp_path, monkeypatch):
    from pathlib import Path

    from newsflow.stages.enrich.app import build
    from newsflow.stages.enrich.settings import EnrichSettings

    monkeypatch.chdir(tmp_path)
    app, _ = build(EnrichSettings(), None)
    assert not Path(app.conf.appdir).is_relative_to(tmp_path) and Path(app.conf.datadir).is_absolute()
    assert list(tmp_path.iterdir()) == []
    # faust makes the data directory on start with mkdir(exist_ok=True), no parents: the parent must be there.
    assert Path(app.conf.datadir).parent.is_dir()
