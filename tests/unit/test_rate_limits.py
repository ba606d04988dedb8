"""ingest's token buckets without a server: the burst, the refill, a big batch, and the share of a replica."""

from newsflow.stages.ingest.limits import TokenBuckets


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_a_burst_goes_at_once_then_the_rate_holds_with_the_wait_named():
    clock = Clock()
    buckets = TokenBuckets(clock)
    assert buckets.take("a", 10, rate_per_s=5, burst=10) is None
    assert buckets.take("a", 5, rate_per_s=5, burst=10) == 1.0  # 5 articles at 5/s
    clock.now += 1.0
    assert buckets.take("a", 5, rate_per_s=5, burst=10) is None
    assert buckets.take("b", 10, rate_per_s=5, burst=10) is None  # another key, its own bucket


def test_a_batch_bigger_than_the_burst_goes_when_the_bucket_is_full_and_the_debt_is_paid_first():
    clock = Clock()
    buckets = TokenBuckets(clock)
    assert buckets.take("a", 25, rate_per_s=5, burst=10) is None  # full: it goes, 15 in debt
    assert buckets.take("a", 1, rate_per_s=5, burst=10) == 3.2  # 16 tokens short at 5/s
    clock.now += 3.2
    assert buckets.take("a", 1, rate_per_s=5, burst=10) is None


def test_each_replica_holds_its_share_so_all_together_hold_the_limit():
    clock = Clock()
    replicas = [TokenBuckets(clock) for _ in range(4)]
    taken = sum(1 for b in replicas for _ in range(100) if b.take("a", 1, rate_per_s=8, burst=40, share=0.25) is None)
    assert taken == 40
    clock.now += 1.0
    again = sum(1 for b in replicas for _ in range(100) if b.take("a", 1, rate_per_s=8, burst=40, share=0.25) is None)
    assert again == 8
