"""Client libraries that lean on Lua: redis-py's Lock and an RQ burst worker, on a live
ember server."""

import threading
import time

import pytest

redis = pytest.importorskip("redis")


@pytest.fixture
def client(ember_shared):
    c = redis.Redis(port=ember_shared.port)
    yield c
    c.close()


def test_redis_py_lock_contention(client, ember_shared):
    client.delete("wl:lock", "wl:counter")
    errors = []

    def worker():
        c = redis.Redis(port=ember_shared.port)
        try:
            for _ in range(10):
                lock = c.lock("wl:lock", timeout=5, blocking_timeout=10, sleep=0.001)
                assert lock.acquire()
                try:
                    v = int(c.get("wl:counter") or 0)
                    assert lock.extend(2)
                    assert lock.owned()
                    c.set("wl:counter", v + 1)
                finally:
                    lock.release()
        except Exception as e:  # reported below
            errors.append(e)
        finally:
            c.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert int(client.get("wl:counter")) == 40
    assert client.exists("wl:lock") == 0
    # releasing a lock that is not held / was taken over raises LockError
    lock = client.lock("wl:lock", timeout=1)
    assert lock.acquire()
    client.set("wl:lock", "someone-else")
    with pytest.raises(redis.exceptions.LockNotOwnedError):
        lock.release()
    client.delete("wl:lock")


def test_rq_burst_worker_20_jobs(ember_shared):
    rq = pytest.importorskip("rq")
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import rq_jobs
    conn = redis.Redis(port=ember_shared.port)
    q = rq.Queue("wl-%d" % time.time_ns(), connection=conn)
    jobs = [q.enqueue(rq_jobs.add, i, i) for i in range(18)]
    jobs.append(q.enqueue(rq_jobs.shout, "abc"))
    jobs.append(q.enqueue("rq_jobs.add", 100, 1))
    w = rq.SimpleWorker([q], connection=conn)
    assert w.work(burst=True)
    results = [j.latest_result() for j in jobs]
    assert all(r is not None and r.type == r.Type.SUCCESSFUL for r in results), results
    assert [j.return_value() for j in jobs[:18]] == [2 * i for i in range(18)]
    assert jobs[18].return_value() == "ABC"
    assert jobs[19].return_value() == 101
    assert q.count == 0
    conn.close()
