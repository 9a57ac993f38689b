"""`python -m localkafka run` as `make run` starts it, with its data and control file where a test wants them."""

import sys
from pathlib import Path

from localkafka import free_port


def runner_command(data_dir: Path, port: int, control: Path) -> list[str]:
    """The command line of a foreground broker on `port` (and a free controller port); run it from the repo root."""
    return [
        sys.executable,
        "-m",
        "localkafka",
        "run",
        "--data-dir",
        str(data_dir),
        "--port",
        str(port),
        "--controller-port",
        str(free_port()),
        "--control-file",
        str(control),
    ]
