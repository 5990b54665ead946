import threading
import time

import pytest

from llmops.lib.locks import job_lock, lock_holder_exists, lock_key
from tests.llmops.redis_support import redis_db  # noqa: F401  (fixture)

pytestmark = pytest.mark.redis


def test_it_gives_the_lock_to_one_holder_at_a_time(redis_db):
    with job_lock("job-a", ttl=30) as first:
        assert first is True
        with job_lock("job-a", ttl=30) as second:
            assert second is False
        # The loser leaving must not release the winner's lock.
        assert lock_holder_exists("job-a")
    assert not lock_holder_exists("job-a")


def test_it_keeps_locks_of_different_jobs_apart(redis_db):
    with job_lock("job-a", ttl=30) as a, job_lock("job-b", ttl=30) as b:
        assert a and b


def test_it_sets_an_expiry_so_a_dead_holder_cannot_block_forever(redis_db):
    with job_lock("job-a", ttl=30):
        ttl = redis_db.ttl(lock_key("job-a"))
        assert 0 < ttl <= 30


def test_it_lets_the_next_run_in_after_expiry_and_does_not_delete_its_lock(redis_db):
    with job_lock("job-a", ttl=1) as first:
        assert first
        time.sleep(1.3)  # the first holder outlived its TTL
        with job_lock("job-a", ttl=30) as second:
            assert second
        # second released its own lock; a third may take it
    with job_lock("job-a", ttl=30) as third:
        assert third


def test_it_releases_the_lock_when_the_job_raises(redis_db):
    with pytest.raises(RuntimeError):
        with job_lock("job-a", ttl=30):
            raise RuntimeError("boom")
    assert not lock_holder_exists("job-a")


def test_it_admits_exactly_one_of_many_concurrent_runs(redis_db):
    barrier = threading.Barrier(8)
    results = []
    hold = threading.Event()

    def run():
        barrier.wait()
        with job_lock("job-c", ttl=30) as acquired:
            results.append(acquired)
            if acquired:
                hold.wait(2)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    hold.set()
    for t in threads:
        t.join(5)
    assert sorted(results) == [False] * 7 + [True]
