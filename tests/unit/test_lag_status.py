"""A group's status over a window of lag readings (OK, WARN, STALL, STOP) and its lag in seconds; pure."""

from newsflow.exporter.collector import GROUP_STATUS, GROUP_STATUS_CODE, LAG_SECONDS, status_metrics
from newsflow.exporter.lag import PartitionLag, Reading
from newsflow.exporter.status import Status, Window, evaluate


def reading(at, *parts, members=1, group="g"):
    """``parts``: (committed, end) or (committed, end, oldest_at), for partitions 0, 1, ..."""
    rows = tuple(PartitionLag(group, "t", n, *p) for n, p in enumerate(parts))
    return Reading(at, rows, {group: members})


def status(*readings):
    (verdict,) = evaluate(list(readings))
    return verdict


def test_a_caught_up_group_is_ok_whatever_its_members():
    v = status(reading(0, (10, 10), members=0), reading(30, (10, 10), members=0))
    assert v.status is Status.OK and v.lag_seconds == 0.0


def test_consuming_with_steady_or_falling_lag_is_ok():
    assert status(reading(0, (10, 20)), reading(10, (20, 30)), reading(20, (30, 40))).status is Status.OK
    assert status(reading(0, (10, 40)), reading(10, (30, 45)), reading(20, (45, 50))).status is Status.OK


def test_consuming_while_the_lag_grows_at_every_reading_is_warn():
    v = status(reading(0, (10, 20)), reading(10, (15, 30)), reading(20, (20, 45)))
    assert v.status is Status.WARN and "grew from 10 to 25" in v.reason
    # One reading where it fell: not a trend.
    assert status(reading(0, (10, 20)), reading(10, (25, 30)), reading(20, (30, 45))).status is Status.OK


def test_offsets_unmoved_with_lag_and_members_is_stall():
    v = status(reading(0, (10, 20), members=2), reading(30, (10, 25), members=2))
    assert v.status is Status.STALL and "members present" in v.reason


def test_offsets_unmoved_with_lag_and_no_member_through_the_window_is_stop():
    v = status(reading(0, (10, 20), members=0), reading(30, (10, 25), members=0))
    assert v.status is Status.STOP and "no member" in v.reason and v.members == 0
    # A member seen in the window: it could have committed, so the group stalled rather than stopped.
    assert status(reading(0, (10, 20), members=1), reading(30, (10, 25), members=0)).status is Status.STALL


def test_a_group_is_as_bad_as_its_worst_partition():
    v = status(reading(0, (10, 10), (5, 9), members=0), reading(30, (10, 10), (5, 12), members=0))
    assert [p.status for p in v.partitions] == [Status.OK, Status.STOP] and v.status is Status.STOP


def test_one_reading_gives_no_status():
    v = status(reading(0, (10, 20), members=0))
    assert v.status is None and "two" in v.reason
    assert v.as_dict()["status"] is None


def test_lag_in_seconds_is_the_age_of_the_oldest_unconsumed_message_and_grows_while_stopped():
    first = status(reading(100, (10, 20, 40.0), members=0), reading(130, (10, 25, 40.0), members=0))
    later = status(reading(100, (10, 20, 40.0), members=0), reading(190, (10, 30, 40.0), members=0))
    assert first.lag_seconds == 90.0 and later.lag_seconds == 150.0


def test_lag_in_seconds_is_extrapolated_from_the_consume_rate_where_the_oldest_message_is_not_known():
    v = status(reading(0, (100, 200)), reading(10, (150, 250)))  # 5 messages/s consumed, 100 behind
    assert v.lag_seconds == 20.0
    # Neither known nor consuming: unknown, never a made-up figure.
    assert status(reading(0, (100, 200)), reading(10, (100, 250))).lag_seconds is None


def test_the_window_keeps_what_covers_it_and_drops_older_readings():
    window = Window(60)
    for at in (0, 20, 40, 70, 90, 130):
        window.add(reading(at, (at, at + 5)))
    # 130 - 60 = 70: the reading at 70 starts the window; older ones are gone.
    assert [r.at for r in window.readings] == [70, 90, 130]
    (v,) = window.evaluate()
    assert v.span_s == 60


def test_status_series_carry_a_state_set_a_code_and_the_lag_in_seconds():
    verdicts = evaluate([reading(0, (10, 20, 1.0), members=0), reading(30, (10, 25, 1.0), members=0)])
    families = {f.name: f for f in status_metrics(verdicts, 300.0)}
    state = {s.labels["status"]: s.value for s in families[GROUP_STATUS].samples}
    assert state == {"OK": 0, "WARN": 0, "STALL": 0, "STOP": 1}
    assert [s.value for s in families[GROUP_STATUS_CODE].samples] == [3]
    assert [s.value for s in families[LAG_SECONDS].samples] == [29.0]
