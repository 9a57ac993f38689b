"""The header's Kafka badge: short, with its reason in the tooltip, and red about a second after the broker goes."""

import re

from playwright.sync_api import expect

from tests.conftest import open_dashboard


def test_the_kafka_badge_turns_red_soon_after_the_broker_stops_and_back(make_stack, own_broker, browser):
    stack = make_stack(own_broker.bootstrap_servers, services=("web",))
    with open_dashboard(browser, stack.base_url) as page:
        badge = page.locator("#kafka-state")
        expect(badge).to_have_text("Kafka: live", timeout=20_000)
        own_broker.kill()
        # /health is polled every second and asks the broker itself (cached for a second, 0.8 s timeout): the relay
        # alone would notice only at its next idle check.
        expect(badge).to_have_text("Kafka: unreachable", timeout=5_000)
        expect(badge).to_have_attribute("data-state", "down")
        reason = badge.get_attribute("title")
        assert reason and "\n" not in reason and len(reason) <= 80, reason
        assert not re.search(r"(\w+Error): \1", reason), f"a doubled exception name: {reason}"
        own_broker.start()
        expect(badge).to_have_text(re.compile(r"^Kafka: (live|replaying…|connected)$"), timeout=60_000)
