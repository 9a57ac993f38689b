"""TreeCpuMeter, which the feed bench prints to say who had the cores: each process under the bench by kind, a
process that ended during the window included, under the kind it had before it ended."""

import subprocess
import sys
import time

from bench.ws import TreeCpuMeter, process_kind
from tests.support.waiting import wait_until


def state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0]


BURN = "import time\nend = time.process_time() + {seconds}\nwhile time.process_time() < end: pass"


def test_a_child_that_burns_a_core_and_ends_is_counted_under_its_kind():
    meter = TreeCpuMeter(every=0.1)
    # "multiprocessing" in its command line, as the bench's spawned Kafka clients have.
    child = subprocess.Popen([sys.executable, "-c", BURN.format(seconds=0.6), "multiprocessing"])
    # Ended and not reaped, a zombie has an empty command line: the readings of it then must keep its kind.
    wait_until(lambda: state(child.pid) == "Z", timeout=30, message="the child never ended")
    time.sleep(0.3)
    child.wait(timeout=30)
    time.sleep(0.3)  # gone for longer than a reading's interval: only the readings taken while it was there know it
    shares = meter.shares()
    burned = shares.get("the bench's Kafka clients", 0.0) * (time.monotonic() - meter.wall)
    assert 0.4 < burned < 1.5, shares


def test_kinds_are_named_from_the_command_line():
    assert process_kind(["/usr/lib/chromium/chromium", "--type=renderer", "--lang=en"]) == "Chromium renderer"
    assert process_kind(["/usr/lib/chromium/chromium", "--type=gpu-process"]) == "Chromium, its other processes"
    assert process_kind(["java", "-Xmx512m", "kafka.Kafka", "server.properties"]) == "Kafka broker"
    assert process_kind(["/venv/bin/python", "manage.py", "runserver", "127.0.0.1:8000"]) == "manage.py runserver"
    assert process_kind(["/usr/bin/sleep", "5"]) == "sleep"
    assert process_kind([""]) == "?"  # a zombie's
