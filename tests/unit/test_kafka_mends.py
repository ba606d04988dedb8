"""The mends of runtime/kafka_mends.py that decide on kafka-python's state, with that state faked: when a member
holding nothing asks for a new join."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from newsflow.runtime.kafka_mends import _GIVEN, _MEMBERS, rejoin_if_assigned_blind


class Coordinator:
    def __init__(self, leader: bool, members: int, given: int):
        self._is_leader = leader
        setattr(self, _MEMBERS, members)
        setattr(self, _GIVEN, given)
        self.rejoins = 0

    def request_rejoin(self) -> None:
        self.rejoins += 1


@pytest.mark.parametrize(
    ("leader", "members", "given", "known", "rejoin"),
    [
        (True, 1, 0, 3, True),  # alone, gave itself nothing: blind
        (True, 2, 0, 3, True),  # the stopped member not gone yet, and nobody given anything: blind too
        (True, 2, 3, 3, False),  # gave the other member every partition: nothing to mend
        (False, 2, 1, 3, False),  # not the leader: the leader decides
        (True, 1, 0, 0, False),  # the topic has no partitions known yet either: a rejoin would assign nothing
    ],
)
def test_a_member_holding_nothing_rejoins_only_when_its_join_gave_out_nothing_blind(
    leader, members, given, known, rejoin
):
    coordinator = Coordinator(leader, members, given)
    consumer = SimpleNamespace(
        _coordinator=coordinator, _cluster=SimpleNamespace(partitions_for_topic=lambda t: set(range(known)))
    )
    assert rejoin_if_assigned_blind(consumer, "t") is rejoin
    assert coordinator.rejoins == int(rejoin)
