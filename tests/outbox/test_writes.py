"""The outbox's write (outbox.writes): rows exactly as given, in the caller's transaction, a nudge only on commit."""

import uuid

import pytest
from django.db import transaction

from localkafka import free_port
from outbox import wakeup, writes
from outbox.models import OutboxEvent


def test_records_the_bytes_and_headers_as_text_to_send_later(db):
    event_id = uuid.uuid4()
    writes.record(
        writes.Message(
            topic="t", key="k", value=b'{"a":"\xc3\xa9"}', event_id=event_id, headers=[("h", b"1"), ("note", "text")]
        )
    )
    row = OutboxEvent.objects.get()
    assert (row.event_id, row.topic, row.key, row.value) == (event_id, "t", "k", '{"a":"é"}')
    assert row.headers == [["h", "1"], ["note", "text"]]
    assert row.sent_at is None and row.parked_at is None and row.attempts == 0


def test_several_messages_are_one_write_in_the_given_order(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        writes.record(*(writes.Message(topic="t", key=f"k{i}", value="{}") for i in range(3)))
    assert list(OutboxEvent.objects.values_list("key", flat=True)) == ["k0", "k1", "k2"]


def test_a_value_that_is_not_utf8_is_refused():
    with pytest.raises(UnicodeDecodeError):
        writes.record(writes.Message(topic="t", key="k", value=b"\xff"))


@pytest.mark.django_db(transaction=True)
def test_rolled_back_messages_leave_no_row_and_no_nudge(settings):
    settings.OUTBOX_WAKEUP_ADDR = f"127.0.0.1:{free_port()}"
    listener = wakeup.WakeupListener(settings.OUTBOX_WAKEUP_ADDR)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            writes.record(writes.Message(topic="t", key="k", value="{}"))
            raise RuntimeError("the caller's change failed")
        assert not OutboxEvent.objects.exists()
        assert not listener.wait(0.2), "no nudge for a transaction that rolled back"
        with transaction.atomic():
            writes.record(writes.Message(topic="t", key="k", value="{}"))
            assert not listener.wait(0), "no nudge before the commit"
        assert listener.wait(30), "the commit should have sent a nudge"
    finally:
        listener.close()
