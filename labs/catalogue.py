"""The labs as the page shows them: a goal, steps (a sentence, and a command ready to copy, built from the addresses
this server knows), what to watch and how long a lab takes. Names come from labs.learners, the same the Checks use.
"""

from __future__ import annotations

import json
import shlex

from django.conf import settings

from labs import compare, durable, evolve, semantics
from labs.checks import KAFKA_KEYS, KAFKA_PARTITIONS
from labs.learners import created_by, group_name, topic_name
from topics import changes


def step(text: str, command: str = "", link: str = "") -> dict:
    return {"text": text, "command": command, "link": link}


def grpc_target() -> str:
    return settings.GRPC_TARGET if settings.PLAYGROUND_LOCAL else "<rungrpc address>"


def rest_lab(learner: str, base_url: str) -> dict:
    name = created_by("rest", learner)
    orders = f"{base_url}/api/orders/computers"
    body = json.dumps({"created_by": name, "equipment": ["KEYBOARD", "MOUSE"]})
    bad = json.dumps({"created_by": name, "equipment": ["TOASTER"]})
    curl = "curl -i -H 'Content-Type: application/json' -d "
    return {
        "id": "rest",
        "title": "REST: call the API and read a 400",
        "goal": f"Place orders as `{name}` over REST three ways, read the 400 a bad body gets, and take the API "
        "into Postman.",
        "minutes": 8,
        "steps": [
            step(f"In the browsable API, POST this body from the form at the bottom of the page: {body}", link=orders),
            step("With curl:", f"{curl}{shlex.quote(body)} {orders}"),
            step(
                "With the course's requests client (examples/client.py):",
                f"BASE_URL={base_url} .venv/bin/python examples/client.py --created-by {name} --equipment MONITOR",
            ),
            step(
                "Send a bad body, marked with ?lab= so the Check can find its answer, and read the 400's field errors:",
                f"{curl}{shlex.quote(bad)} {shlex.quote(orders + '?lab=' + learner)}",
            ),
            step("Download the OpenAPI file, for Postman's Import:", link=f"{base_url}/api/schema/?format=json"),
            step("Or export a Postman collection of your calls from the REST workbench.", link="/rest"),
        ],
        "watch": {"text": "your orders arrive in the Live view", "link": "/"},
        "check_reads": "orders by the lab's name and the transport their event names; the web server's HTTP spans "
        "for the 400",
    }


def grpc_lab(learner: str) -> dict:
    name = created_by("grpc", learner)
    target = grpc_target()
    python = ".venv/bin/python"

    def grpcurl(body: dict) -> str:
        return f".tools/grpcurl -plaintext -d {shlex.quote(json.dumps(body))} {target} OrderService/Create"

    wrong_type = (
        f'{python} -c "from grpc_bridge.generated import orders_pb2 as pb; '
        f"pb.OrderMessage(created_by='{name}', status='DONE')\""
    )
    return {
        "id": "grpc",
        "title": "gRPC: generated code, clients, types and defaults",
        "goal": f"Generate the client code from the proto, create an order as `{name}` with the writer, list with "
        "the getter, and see where a wrong type is caught.",
        "minutes": 8,
        "steps": [
            step(
                "Generate Python code from the lesson's proto with grpcio-tools (it writes orders_pb2.py and "
                "orders_pb2_grpc.py):",
                f"mkdir -p /tmp/lab-grpc && {python} -m grpc_tools.protoc -Iproto --python_out=/tmp/lab-grpc "
                "--grpc_python_out=/tmp/lab-grpc proto/orders.proto && ls /tmp/lab-grpc",
            ),
            step(
                "Run the writer client:",
                f"{python} -m grpc_bridge.clients.writer --target {target} --created-by {name} KEYBOARD MOUSE",
            ),
            step("Run the getter client:", f"{python} -m grpc_bridge.clients.getter --target {target}"),
            step(
                "A wrong type: the generated class refuses a string for the enum before anything is sent (REST "
                "answers the same mistake with a 400 from the server):",
                wrong_type,
            ),
            step(
                "An enum number the proto does not name travels (proto3 enums are open): the server refuses it "
                "with INVALID_ARGUMENT and a BadRequest detail:",
                grpcurl({"created_by": name, "equipment": [9]}),
            ),
            step(
                "proto3's defaults: QUEUED is 0, so grpcurl prints no status field at all:",
                grpcurl({"created_by": name, "equipment": ["MONITOR"]}),
            ),
        ],
        "watch": {"text": "call the same methods from the gRPC workbench", "link": "/grpc"},
        "check_reads": "orders by the lab's name and the transport their event names",
    }


def kafka_lab(learner: str) -> dict:
    topic = topic_name(learner)
    servers = changes.shown_bootstrap_servers()
    lines = "\\n".join(f"{key}|{key}-{n}" for n in (1, 2) for key in KAFKA_KEYS[:2])
    where = f"--bootstrap-server {servers} --topic {topic}"
    producer = f".venv/bin/python -m localkafka console-producer {where}"
    consumer = f".venv/bin/python -m localkafka console-consumer {where}"
    kafka_python = (
        f".venv/bin/python -c \"from kafka import KafkaProducer; p = KafkaProducer(bootstrap_servers='{servers}'); "
        f"[p.send('{topic}', key=b'{KAFKA_KEYS[2]}', value=b'from kafka-python %d' % n) for n in (1, 2)]; p.flush()\""
    )
    return {
        "id": "kafka",
        "title": "Kafka basics: a topic, producers, consumers, keys",
        "goal": f"Create the topic `{topic}` with {KAFKA_PARTITIONS} partitions, write keyed records with Kafka's "
        "console producer and with kafka-python, read them back, and see each key keep to one partition.",
        "minutes": 6,
        "steps": [
            step(
                "Create the topic:",
                changes.create_command(changes.NewTopic(topic, KAFKA_PARTITIONS, 1)),
            ),
            step(
                f"Write records keyed {KAFKA_KEYS[0]} and {KAFKA_KEYS[1]} with Kafka's console producer:",
                f"printf '{lines}\\n' | {producer} --reader-property parse.key=true "
                "--reader-property key.separator='|'",
            ),
            step(f"Write records keyed {KAFKA_KEYS[2]} with kafka-python:", kafka_python),
            step(
                "Read them back with Kafka's console consumer: one key's records come in the order written, always "
                "from one partition.",
                f"{consumer} --from-beginning --max-messages 6 --formatter-property print.key=true "
                "--formatter-property print.partition=true",
            ),
        ],
        "watch": {
            "text": "the topic's partitions and records, and which partition a key goes to",
            "link": f"/topics/{topic}",
        },
        "check_reads": "the topic on the broker, its partitions, and its newest records' keys and partitions",
    }


def groups_lab(learner: str) -> dict:
    topic, group = topic_name(learner), group_name(learner)
    servers = changes.shown_bootstrap_servers()
    consumer = f".venv/bin/python -m localkafka console-consumer --bootstrap-server {servers} --topic {topic}"
    groups_tool = f".venv/bin/python -m localkafka consumer-groups --bootstrap-server {servers} --group {group}"
    return {
        "id": "groups",
        "title": "Consumer groups: commits, lag, members, reset",
        "goal": f"Read the Kafka lab's topic `{topic}` in a group of your own, `{group}`: commit part of it, see "
        "the lag, add members and watch them share the partitions, then reset the offsets.",
        "minutes": 6,
        "steps": [
            step("Do the Kafka basics lab first: this lab reads its topic."),
            step(
                "Read 3 records in your group; on exit the consumer commits how far it got:",
                f"{consumer} --group {group} --from-beginning --max-messages 3",
            ),
            step("Describe the group: committed offset, log end and lag per partition:", f"{groups_tool} --describe"),
            step(
                "Start this in two terminals (Ctrl-C to stop), describe again and see the partitions shared between "
                "the members, then stop both:",
                f"{consumer} --group {group}",
            ),
            step(
                "Reset the group's offsets with the Reset button (the group must be empty), or with Kafka's tool:",
                f"{groups_tool} --topic {topic} --reset-offsets --to-earliest --execute",
            ),
        ],
        "watch": {"text": "the topic's partitions and log ends", "link": f"/topics/{topic}"},
        "check_reads": "the group's committed offsets, lag and members on the topic, as the groups panel reads them",
    }


def labs_for(learner: str, base_url: str) -> list[dict]:
    return [
        rest_lab(learner, base_url),
        grpc_lab(learner),
        kafka_lab(learner),
        groups_lab(learner),
        semantics.lab(learner, base_url),
        durable.lab(learner, base_url),
        evolve.lab(learner, base_url),
        compare.lab(learner, base_url),
    ]
