"""`python -m localkafka fetch|run|stop-broker|start-broker|cluster|kill-broker|restart-brokers|console-consumer|
console-producer|consumer-groups|topics`: the broker commands behind `make kafka` and `make cluster`, and Kafka's
own console tools from the fetched jars."""

import argparse
import json
import os
import signal
import sys
from pathlib import Path

from localkafka.broker import DEFAULT_HOME, LOG4J_CONFIG, BrokerError, env_path, fetch_jars, lib_dir, run_foreground
from localkafka.cluster import (
    DEFAULT_CONTROLLER_PORTS,
    DEFAULT_PORTS,
    ClusterControlError,
    parse_ports,
    restart_dead_nodes,
    run_cluster_foreground,
    signal_node,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localkafka")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("fetch", help="download the broker jars from Maven Central (cached)")
    run = commands.add_parser("run", help="format storage once and run the broker in the foreground")
    run.add_argument("--data-dir", type=Path, default=env_path("KAFKA_DATA_DIR", DEFAULT_HOME / "data"))
    run.add_argument("--port", type=int, default=int(os.environ.get("KAFKA_PORT", 9092)))
    run.add_argument("--controller-port", type=int, default=int(os.environ.get("KAFKA_CONTROLLER_PORT", 9093)))
    control_file = env_path("LOCAL_KAFKA_PIDFILE", DEFAULT_HOME / "run.json")
    run.add_argument(
        "--control-file",
        type=Path,
        default=control_file,
        help="where to write pid, address and state (SIGUSR1 stops the broker, SIGUSR2 starts it)",
    )
    for name, what in (("stop-broker", "stop"), ("start-broker", "start")):
        commands.add_parser(
            name, help=f"{what} the broker of a running `make run` / `make kafka`; the runner keeps going"
        )
    cluster = commands.add_parser("cluster", help="run three nodes (replication 3, min in-sync 2) in the foreground")
    cluster.add_argument("--data-dir", type=Path, default=env_path("KAFKA_CLUSTER_DATA_DIR", DEFAULT_HOME / "cluster"))
    cluster.add_argument(
        "--ports",
        type=parse_ports,
        help="broker ports, one per node (default 9092,9094,9096)",
        default=parse_ports(os.environ.get("KAFKA_CLUSTER_PORTS", "")) or list(DEFAULT_PORTS),
    )
    cluster.add_argument(
        "--controller-ports",
        type=parse_ports,
        help="controller ports (default 9093,9095,9097)",
        default=parse_ports(os.environ.get("KAFKA_CLUSTER_CONTROLLER_PORTS", "")) or list(DEFAULT_CONTROLLER_PORTS),
    )
    cluster_file = env_path("LOCAL_KAFKA_CLUSTER_FILE", DEFAULT_HOME / "cluster.json")
    cluster.add_argument(
        "--control-file",
        type=Path,
        default=cluster_file,
        help="where to write the nodes' pids and addresses (for kill-broker)",
    )
    kill = commands.add_parser("kill-broker", help="SIGKILL node N of a running `make cluster`, as a crash")
    kill.add_argument("node", type=int, help="1, 2 or 3")
    kill.add_argument(
        "--controlled",
        action="store_true",
        help="SIGTERM instead: a controlled shutdown, the node hands its leaderships over and leaves the ISR first",
    )
    commands.add_parser("restart-brokers", help="start again the nodes of a running `make cluster` that died")
    for name, tool in TOOLS.items():
        commands.add_parser(
            name, help=f"the stock {tool.rsplit('.', 1)[1]}; arguments are passed through", add_help=False
        )
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
        if options.command == "cluster":
            return run_cluster_foreground(
                options.data_dir, options.ports, options.controller_ports, options.control_file
            )
        if options.command == "kill-broker":
            return _kill_node(cluster_file, options.node, options.controlled)
        if options.command == "restart-brokers":
            return _restart_nodes(cluster_file)
        if options.command in ("stop-broker", "start-broker"):
            return _signal_runner(control_file, signal.SIGUSR1 if options.command == "stop-broker" else signal.SIGUSR2)
        fetch_jars()
        java = [
            "java",
            f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
            "-cp",
            f"{lib_dir()}/*",
            TOOLS[options.command],
            *passed,
        ]
        os.execvp("java", java)
    except BrokerError as exc:
        print(exc, file=sys.stderr)
        return 1


TOOLS = {
    "console-consumer": "org.apache.kafka.tools.consumer.ConsoleConsumer",
    "console-producer": "org.apache.kafka.tools.ConsoleProducer",
    "consumer-groups": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
    "topics": "org.apache.kafka.tools.TopicCommand",
}


def _signal_runner(control_file: Path, signum: int) -> int:
    try:
        os.kill(json.loads(control_file.read_text())["pid"], signum)
    except (OSError, ValueError, KeyError) as exc:
        print(f"no running `python -m localkafka run` found through {control_file}: {exc}", file=sys.stderr)
        return 1
    return 0


def _restart_nodes(control_file: Path) -> int:
    try:
        restart_dead_nodes(control_file)
    except ClusterControlError as exc:
        print(exc, file=sys.stderr)
        return exc.code
    return 0


def _kill_node(control_file: Path, number: int, controlled: bool) -> int:
    try:
        node = signal_node(control_file, number, signal.SIGTERM if controlled else signal.SIGKILL)
    except ClusterControlError as exc:
        print(exc, file=sys.stderr)
        return exc.code
    how = "Stopping (controlled shutdown)" if controlled else "SIGKILLed"
    print(f"{how} Kafka node {number} (pid {node['pid']}, {node['bootstrap_server']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
