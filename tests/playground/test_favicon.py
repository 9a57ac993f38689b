"""/favicon.ico answers with the site's icon, which is the static file the pages name."""

from django.contrib.staticfiles import finders


def test_favicon_ico_is_the_sites_svg_icon(client):
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    with open(finders.find("playground/favicon.svg"), "rb") as file:
        assert response.content == file.read()
    assert response.content.startswith(b"<svg")


def test_the_browsable_api_and_swagger_ui_name_the_icon(client, db):
    for path in ("/api/orders/computers", "/api/docs/"):
        html = client.get(path, HTTP_ACCEPT="text/html").content.decode()
        assert '<link rel="icon" href="/static/playground/favicon.svg"' in html, path
