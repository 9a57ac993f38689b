"""Content-Security-Policy (django-csp): 'self' only and no inline script; only the docs and the browsable API
loosen styles (and Swagger UI its data: icons) for themselves."""

from html.parser import HTMLParser

import pytest

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, list[str]]:
    directives = (part.strip().split() for part in response["Content-Security-Policy"].split(";") if part.strip())
    return {name: values for name, *values in directives}


class InlineCode(HTMLParser):
    """Inline scripts (not JSON data), inline styles, style attributes and on* handlers of a page."""

    def __init__(self):
        super().__init__()
        self.found, self._in_script = [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and not attrs.get("src") and attrs.get("type") != "application/json":
            self._in_script = True
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"{tag} {name}=" for name in attrs if name == "style" or name.startswith("on")]

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"<script>{data.strip()[:40]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def test_the_dashboard_has_a_strict_policy_and_no_inline_code(client):
    response = client.get("/")
    assert policy(response)["default-src"] == ["'self'"]
    assert not {"script-src", "style-src", "img-src", "connect-src"} & set(policy(response)), "all from 'self'"
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert policy(response)["frame-ancestors"] == ["'none'"] and policy(response)["object-src"] == ["'none'"]
    html = response.content.decode()
    assert '<script id="dashboard-config" type="application/json">' in html, "the config is data, not code"
    assert inline_code(html) == []


def test_every_page_gets_the_policy(client):
    for url in ("/health", "/api/orders/computers", "/admin/login/"):
        assert policy(client.get(url))["default-src"] == ["'self'"], url


def test_swagger_ui_runs_no_inline_script_and_loosens_only_styles_and_images(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    directives = policy(response)
    assert directives["default-src"] == ["'self'"] and "script-src" not in directives
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"] and directives["img-src"] == ["'self'", "data:"]
    assert inline_code(response.content.decode()) == ["<style>"]
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript") and b"SwaggerUIBundle" in script.content


def test_the_browsable_api_loosens_only_styles_and_only_in_html(client):
    html = client.get("/api/orders/computers", HTTP_ACCEPT="text/html")
    assert policy(html)["style-src"] == ["'self'", "'unsafe-inline'"] and "script-src" not in policy(html)
    assert not [found for found in inline_code(html.content.decode()) if "script" in found]
    as_json = client.get("/api/orders/computers")
    assert "style-src" not in policy(as_json)
