"""The commit point of enrich's partitions: never past a message still in flight."""

from newsflow.runtime.offsets import OffsetTracker

P, Q = ("raw", 0), ("raw", 1)


def taken(tracker, partition, offsets):
    for offset in offsets:
        tracker.taken(partition, offset)


def test_nothing_is_committed_while_the_first_message_is_in_flight():
    t = OffsetTracker()
    taken(t, P, range(0, 10))
    t.finished((P, o) for o in range(1, 10))  # everything but offset 0: faust 0.15.3 would commit 10 here
    assert t.to_commit() == {}
    t.finished([(P, 0)])
    assert t.to_commit() == {P: 10}


def test_a_later_batch_finishing_first_waits_for_the_earlier_one():
    t = OffsetTracker()
    taken(t, P, range(100, 164))
    taken(t, P, range(164, 228))
    t.finished((P, o) for o in range(164, 228))
    assert t.to_commit() == {}
    t.finished((P, o) for o in range(100, 130))
    assert t.to_commit() == {P: 130}
    t.committed({P: 130})
    assert t.to_commit() == {}
    t.finished((P, o) for o in range(130, 164))
    assert t.to_commit() == {P: 228} and t.in_flight() == 0


def test_one_unfinished_message_just_after_the_commit_point_holds_it():
    t = OffsetTracker()
    taken(t, P, [10, 11, 12])
    t.finished([(P, 11), (P, 12)])
    assert t.to_commit() == {}


def test_partitions_are_independent():
    t = OffsetTracker()
    taken(t, P, [0, 1])
    taken(t, Q, [5, 6])
    t.finished([(Q, 5), (Q, 6), (P, 1)])
    assert t.to_commit() == {Q: 7}


def test_a_forgotten_partition_ignores_work_that_finishes_late():
    t = OffsetTracker()
    taken(t, P, [0, 1, 2])
    t.forget([P])
    t.finished([(P, 0), (P, 1), (P, 2)])
    assert t.to_commit() == {} and t.in_flight() == 0
    taken(t, P, [0, 1])  # assigned back: counted afresh from what the group committed
    t.finished([(P, 0)])
    assert t.to_commit() == {P: 1}


def test_an_offset_taken_twice_is_done_when_both_copies_are():
    t = OffsetTracker()
    taken(t, P, [3, 4, 3, 4])  # a re-seek delivered them again
    t.finished([(P, 3), (P, 4)])
    assert t.to_commit() == {P: 5} and t.in_flight() == 0
