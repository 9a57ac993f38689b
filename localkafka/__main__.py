"""`python -m localkafka fetch|run|stop-broker|start-broker|console-consumer|consumer-groups`: the broker commands
behind `make kafka`, and Kafka's own console tools from the fetched jars."""

import argparse
import json
import os
import signal
import sys
from pathlib import Path

from localkafka.broker import DEFAULT_HOME, LOG4J_CONFIG, BrokerError, env_path, fetch_jars, lib_dir, run_foreground


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localkafka")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("fetch", help="download the broker jars from Maven Central (cached)")
    run = commands.add_parser("run", help="format storage once and run the broker in the foreground")
    run.add_argument("--data-dir", type=Path, default=env_path("KAFKA_DATA_DIR", DEFAULT_HOME / "data"))
    run.add_argument("--port", type=int, default=int(os.environ.get("KAFKA_PORT", 9092)))
    run.add_argument("--controller-port", type=int, default=int(os.environ.get("KAFKA_CONTROLLER_PORT", 9093)))
    control_file = env_path("LOCAL_KAFKA_PIDFILE", DEFAULT_HOME / "run.json")
    run.add_argument("--control-file", type=Path, default=control_file,
                     help="where to write pid, address and state (SIGUSR1 stops the broker, SIGUSR2 starts it)")
    for name, what in (("stop-broker", "stop"), ("start-broker", "start")):
        commands.add_parser(name, help=f"{what} the broker of a running `make run` / `make kafka`; the runner keeps going")
    for name, tool in TOOLS.items():
        commands.add_parser(name, help=f"the stock {tool.rsplit('.', 1)[1]}; arguments are passed through",
                            add_help=False)
    # The tools' own options (--bootstrap-server, ...) are theirs: passed through untouched.
    options, passed = parser.parse_known_args(argv)
    if passed and options.command not in TOOLS:
        parser.error(f"unrecognized arguments: {' '.join(passed)}")
    try:
        if options.command == "fetch":
            print(f"Kafka jars in {fetch_jars()}")
            return 0
        if options.command == "run":
            return run_foreground(options.data_dir, options.port, options.controller_port, options.control_file)
        if options.command in ("stop-broker", "start-broker"):
            return _signal_runner(control_file, signal.SIGUSR1 if options.command == "stop-broker" else signal.SIGUSR2)
        fetch_jars()
        java = ["java", f"-Dlog4j2.configurationFile={LOG4J_CONFIG}", "-cp", f"{lib_dir()}/*",
                TOOLS[options.command], *passed]
        os.execvp("java", java)
    except BrokerError as exc:
        print(exc, file=sys.stderr)
        return 1


TOOLS = {
    "console-consumer": "org.apache.kafka.tools.consumer.ConsoleConsumer",
    "consumer-groups": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
}


def _signal_runner(control_file: Path, signum: int) -> int:
    try:
        pid = json.loads(control_file.read_text())["pid"]
        os.kill(pid, signum)
    except (OSError, ValueError, KeyError) as exc:
        print(f"no running `python -m localkafka run` found through {control_file}: {exc}", file=sys.stderr)
        return 1
    return 0

if __name__ == "__main__":
    sys.exit(main())
