"""An error shown on a page or in a log names its class once, whether kafka-python's message starts with it or not."""

from kafka.errors import KafkaTimeoutError

from messaging.clients import error_text


def test_a_kafka_message_that_names_its_class_is_kept_as_it_is():
    assert str(KafkaTimeoutError("Unable to bootstrap")).startswith("KafkaTimeoutError: ")
    assert error_text(KafkaTimeoutError("Unable to bootstrap")) == "KafkaTimeoutError: Unable to bootstrap"


def test_any_other_message_gets_its_class_name_in_front():
    assert error_text(OSError("Connection refused")) == "OSError: Connection refused"
    other = ValueError("KafkaTimeoutError: not this class")
    assert error_text(other) == "ValueError: KafkaTimeoutError: not this class"


def test_an_empty_message_is_the_class_name():
    assert error_text(TimeoutError()) == "TimeoutError"
