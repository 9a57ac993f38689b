"""`python -m localkafka fetch|run|console-consumer`: the broker commands behind `make kafka`."""

import argparse
import os
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
    console = commands.add_parser(
        "console-consumer", help="the stock kafka-console-consumer; arguments are passed through",
    )
    console.add_argument("args", nargs=argparse.REMAINDER)
    options = parser.parse_args(argv)
    try:
        if options.command == "fetch":
            print(f"Kafka jars in {fetch_jars()}")
            return 0
        if options.command == "run":
            return run_foreground(options.data_dir, options.port, options.controller_port)
        fetch_jars()
        java = ["java", f"-Dlog4j2.configurationFile={LOG4J_CONFIG}", "-cp", f"{lib_dir()}/*",
                "org.apache.kafka.tools.consumer.ConsoleConsumer", *options.args]
        os.execvp("java", java)
    except BrokerError as exc:
        print(exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
