"""The header's Kafka badge: short, with its reason in the tooltip, red within a second of the broker dying, and
green again once it is back."""

import re
import time

from playwright.sync_api import expect

from tests.conftest import open_dashboard

# Wall-clock ms (comparable with the test's time.time()) when the badge first turned red.
WATCH_BADGE = """() => {
  const badge = document.getElementById("kafka-state");
  window.__badgeDownAt = null;
  new MutationObserver(() => {
    if (badge.dataset.state === "down" && window.__badgeDownAt === null) window.__badgeDownAt = Date.now();
  }).observe(badge, { attributes: true, attributeFilter: ["data-state"] });
}"""


def test_the_kafka_badge_turns_red_within_a_second_of_the_broker_dying_and_green_once_it_is_back(
    make_stack, own_broker, browser
):
    stack = make_stack(own_broker.bootstrap_servers, services=("web",))
    with open_dashboard(browser, stack.base_url) as page:
        badge = page.locator("#kafka-state")
        expect(badge).to_have_text("Kafka: live", timeout=20_000)
        page.evaluate(WATCH_BADGE)
        killed_at = time.time() * 1000
        own_broker.kill()
        # The web process's broker watch finds the port closed (live.relay.BROKER_WATCH_SECONDS) and the socket's
        # broker frame says so; the relay's own check and /health would take seconds.
        expect(badge).to_have_text("Kafka: unreachable", timeout=10_000)
        expect(badge).to_have_attribute("data-state", "down")
        red_after_ms = page.evaluate("() => window.__badgeDownAt") - killed_at
        assert red_after_ms < 1000, f"the badge turned red {red_after_ms:.0f} ms after the kill"
        reason = badge.get_attribute("title")
        assert reason and "\n" not in reason and len(reason) <= 80, reason
        assert not re.search(r"(\w+Error): \1", reason), f"a doubled exception name: {reason}"
        own_broker.start()
        expect(badge).to_have_text("Kafka: live", timeout=60_000)
        expect(badge).to_have_attribute("data-state", "ok")
