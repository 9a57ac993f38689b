"""A throwaway redis-server (Debian's `redis-server`) on a free port, nothing saved to disk."""

import shutil
import socket
import subprocess
import time

from localkafka import free_port


class RedisServer:
    """Started on construction; `command_calls` reads its per-command counters."""

    def __init__(self) -> None:
        server = shutil.which("redis-server")
        assert server, "redis-server is needed (apt-get install redis-server; .ci/run installs it)"
        self.port = free_port()
        self.process = subprocess.Popen([server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no"], stdout=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                assert self.process.poll() is None and time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def command_calls(self) -> dict[str, int]:
        """How many times each command ran, from INFO commandstats."""
        stats = subprocess.run(["redis-cli", "-p", str(self.port), "INFO", "commandstats"], capture_output=True,
                               text=True, check=True).stdout
        return {line.split(":")[0].removeprefix("cmdstat_"): int(line.split("calls=")[1].split(",")[0])
                for line in stats.splitlines() if line.startswith("cmdstat_")}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
