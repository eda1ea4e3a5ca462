"""The GraphiQL page loads from files the service ships: nothing it names is on another host."""

from __future__ import annotations

import hashlib
import base64
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from .conftest import ClientFactory
from .support import TestClient

PAGE_URL = "http://testserver/graphql"


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str | None]] = []  # url, tag, integrity

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href"):
            if values.get(name):
                self.refs.append((str(values[name]), tag, values.get("integrity")))


def page(client: TestClient) -> str:
    response = client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    return response.text


def test_the_page_references_no_external_host(client: TestClient) -> None:
    html = page(client)
    parser = _Refs()
    parser.feed(html)
    scripts = [url for url, tag, _ in parser.refs if tag == "script"]
    assert len(scripts) == 5 and len(parser.refs) == 8, parser.refs
    for url, _, _ in parser.refs:
        if url.startswith("data:"):
            continue
        resolved = urlsplit(urljoin(PAGE_URL, url))
        assert (resolved.scheme, resolved.netloc) == ("http", "testserver"), url
    # no absolute URL anywhere the browser would fetch at load (the favicon's SVG namespace aside)
    assert not re.findall(r"(?:https?:)?//(?!www\.w3\.org/2000/svg)[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE)
    assert "unpkg" not in html and "cdn" not in html.lower()


def test_every_asset_is_served_and_matches_its_integrity_hash(make_client: ClientFactory) -> None:
    client = make_client(auth_tokens={"t": None})  # the page and its files need no token
    parser = _Refs()
    parser.feed(page(client))
    checked = 0
    for url, _, integrity in parser.refs:
        if url.startswith("data:"):
            continue
        response = client.get(urlsplit(urljoin(PAGE_URL, url)).path)
        assert response.status_code == 200 and len(response.content) > 500, url
        assert integrity and integrity.startswith("sha384-"), url
        digest = base64.b64encode(hashlib.sha384(response.content).digest()).decode()
        assert integrity == f"sha384-{digest}", url
        checked += 1
    assert checked == 7


def test_assets_reference_no_external_stylesheet_or_font(client: TestClient) -> None:
    for name in ("graphiql.min.css", "plugin-explorer.css"):
        css = client.get(f"/static/graphiql/{name}").text
        assert not re.findall(r"url\(\s*['\"]?(?:https?:)?//", css) and "@import" not in css, name
    assert client.get("/static/graphiql/../app.py").status_code == 404
