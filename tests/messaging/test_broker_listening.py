"""messaging.clients.broker_listening, the TCP probe behind the live socket's ``broker`` frame, and
listening_servers, which leaves the servers that refuse a connection out of a short-lived client's bootstrap."""

import socket

from messaging.clients import STATUS_REASON_MAX_CHARS, broker_listening, listening_servers


def test_a_listening_port_is_listening_and_a_closed_one_is_refused_at_once_with_a_short_reason():
    server = socket.create_server(("127.0.0.1", 0))
    address = f"127.0.0.1:{server.getsockname()[1]}"
    assert broker_listening(address).listening is True
    server.close()
    refused = broker_listening(address)
    assert refused.listening is False
    assert refused.error.startswith(f"cannot connect to {address}: ") and "refused" in refused.error
    assert len(refused.error) <= STATUS_REASON_MAX_CHARS


def test_one_listening_server_of_several_is_enough():
    server = socket.create_server(("127.0.0.1", 0))
    closed = socket.create_server(("127.0.0.1", 0))
    gone = f"127.0.0.1:{closed.getsockname()[1]}"
    closed.close()
    with server:
        assert broker_listening(f"{gone}, 127.0.0.1:{server.getsockname()[1]}").listening is True
    assert broker_listening(f"{gone},{gone}").error.endswith("(+1 more)")


def closed_address() -> str:
    with socket.create_server(("127.0.0.1", 0)) as closed:
        return f"127.0.0.1:{closed.getsockname()[1]}"


def test_the_servers_that_refuse_are_left_out_of_a_bootstrap_unless_all_of_them_refuse():
    first, second = closed_address(), closed_address()
    with socket.create_server(("127.0.0.1", 0)) as one, socket.create_server(("127.0.0.1", 0)) as other:
        up = [f"127.0.0.1:{server.getsockname()[1]}" for server in (one, other)]
        assert listening_servers(f"{first}, {up[0]},{second},{up[1]}") == ",".join(up)
    assert listening_servers(f"{first},{second}") == f"{first},{second}", "every one refused: the error names all"
