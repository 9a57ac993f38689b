"""Group commit without a database: who writes, what shares a batch, and whose error is whose."""

import threading

import pytest

from orders.group_commit import GroupCommit

TIMEOUT = 10


class Recorder:
    """A write that records its batches; the first batch can be held open to let others queue behind it."""

    def __init__(self, *, bad=(), hold_first=False):
        self.batches: list[list] = []
        self.threads: list[threading.Thread] = []
        self.bad = set(bad)
        self.first_started = threading.Event()
        self.release_first = threading.Event()
        if not hold_first:
            self.release_first.set()

    def __call__(self, items):
        if not self.batches and not self.first_started.is_set():
            self.first_started.set()
            assert self.release_first.wait(TIMEOUT)
        if self.bad.intersection(items):
            raise ValueError(f"refused {sorted(self.bad.intersection(items))}")
        self.batches.append(list(items))
        self.threads.append(threading.current_thread())


def submit_in_threads(group, items):
    """Submit each item on a thread of its own; return {item: None or the error it raised}."""
    outcomes = {}

    def submit(item):
        try:
            group.submit(item)
            outcomes[item] = None
        except Exception as error:  # noqa: BLE001 - the outcome is what the test checks
            outcomes[item] = error

    threads = [threading.Thread(target=submit, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    return threads, outcomes


def wait_queued(group, count):
    for _ in range(1000):
        with group._lock:
            if len(group._queue) >= count:
                return
        threading.Event().wait(0.01)
    raise AssertionError(f"{count} submissions never queued")


def queued_behind_a_held_write(group, write, items):
    """Submit "first" and hold its write open, queue `items` behind it, then let all finish.

    Returns the threads of `items`, their outcomes and the outcome of "first"."""
    first, first_outcome = submit_in_threads(group, ["first"])
    assert write.first_started.wait(TIMEOUT)
    threads, outcomes = submit_in_threads(group, items)
    wait_queued(group, len(items))
    write.release_first.set()
    for thread in first + threads:
        thread.join(TIMEOUT)
    return threads, outcomes, first_outcome


def test_one_caller_alone_is_written_at_once_on_its_own_thread():
    write = Recorder()
    GroupCommit(write).submit("a")
    assert write.batches == [["a"]]
    assert write.threads == [threading.current_thread()]


def test_callers_arriving_during_a_write_share_the_next_batch():
    write = Recorder(hold_first=True)
    threads, outcomes, first_outcome = queued_behind_a_held_write(GroupCommit(write), write, ["b", "c", "d"])
    assert write.batches[0] == ["first"]
    assert sorted(write.batches[1]) == ["b", "c", "d"]
    assert len(write.batches) == 2
    assert first_outcome == {"first": None}
    assert outcomes == {"b": None, "c": None, "d": None}
    # The second batch was written by one of its own callers, not by the first caller.
    assert write.threads[1] in threads


def test_batches_are_at_most_max_batch_long():
    write = Recorder(hold_first=True)
    _, outcomes, _ = queued_behind_a_held_write(GroupCommit(write, max_batch=2), write, ["b", "c", "d", "e", "f"])
    assert [len(batch) for batch in write.batches] == [1, 2, 2, 1]
    assert sorted(item for batch in write.batches for item in batch) == ["b", "c", "d", "e", "f", "first"]
    assert set(outcomes.values()) == {None}


def test_a_bad_item_fails_its_own_caller_only():
    write = Recorder(bad={"bad"}, hold_first=True)
    _, outcomes, _ = queued_behind_a_held_write(GroupCommit(write), write, ["b", "bad", "c"])
    assert outcomes["b"] is None and outcomes["c"] is None
    assert isinstance(outcomes["bad"], ValueError) and "bad" in str(outcomes["bad"])
    # The shared batch failed as a whole, so each of its items was written again alone.
    assert sorted(batch[0] for batch in write.batches[1:]) == ["b", "c"]


def test_an_error_reaches_a_caller_alone_too():
    with pytest.raises(ValueError, match="refused"):
        GroupCommit(Recorder(bad={"bad"})).submit("bad")


def test_an_interrupted_write_fails_the_batch_and_the_next_caller_writes_again():
    def interrupted(items):
        raise KeyboardInterrupt

    group = GroupCommit(interrupted)
    with pytest.raises(KeyboardInterrupt):
        group.submit("a")
    group._write = Recorder()
    group.submit("b")
    assert group._write.batches == [["b"]]
