"""Fixtures of the UI suite: the real service (uvicorn on a loopback port, with a token)
over a seeded graph, and the system Chromium driven by Playwright. Every page records its
console messages and requests; a request to any other host is refused and fails the test."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, Route, sync_playwright

from tests.sdk.service import Service, running

from .seed import TOKEN, Corrupt, Diamond, Hub, Seeder, corrupt, diamond, fan, fillers, hub, markup

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FILLERS = 26  # 4 seeded models + 26 = 30: two pages of 25
FAN = 110  # runs that used one dataset: a column wider than the UI draws at once
HUB = 50  # runs that used another: more neighbours than one page of HUB_PAGE
HUB_PAGE = 20


@dataclass(frozen=True)
class Seeded:
    service: Service
    diamond: Diamond
    corrupt: Corrupt
    markup: str
    fillers: list[str]
    fan: str
    hub: Hub


@dataclass
class UI:
    """A browser page on the service, and what it did."""

    page: Page
    base: str
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def open(self, fragment: str = "") -> None:
        self.page.goto(f"{self.base}/ui/{fragment}")

    def node(self, node_id: str, **options: str | int) -> None:
        """Open a node's page and wait for its lineage graph."""
        query = "&".join(f"{k}={v}" for k, v in options.items())
        self.open(f"#/node/{node_id}" + (f"?{query}" if query else ""))
        self.page.wait_for_function("id => window.provgraph?.snapshot().root === id"
                                    " && document.querySelector('#graph').dataset.state === 'ready'", arg=node_id)

    def snapshot(self) -> dict[str, list[dict[str, object]]]:
        snap: dict[str, list[dict[str, object]]] = self.page.evaluate("window.provgraph.snapshot()")
        return snap


@pytest.fixture(scope="package")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    with running(tmp_path_factory.mktemp("ui-service"), tokens=TOKEN) as service:
        seed = Seeder(service)
        yield Seeded(service, diamond(seed), corrupt(seed), markup(seed), fillers(seed, FILLERS), fan(seed, FAN),
                     hub(seed, HUB))


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists() or shutil.which("chromium"), (
        "no /usr/bin/chromium: run `bash scripts/chromium.sh` (make test does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def _open_page(browser: Browser, base: str, token: str | None) -> tuple[UI, BrowserContext]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    if token is not None:
        context.add_init_script(f"sessionStorage.setItem('provgraph.token', {json.dumps(token)})")
    ui = UI(context.new_page(), base)
    origin = urlsplit(base)

    def guard(route: Route) -> None:
        target = urlsplit(route.request.url)
        if (target.scheme, target.netloc) in {(origin.scheme, origin.netloc)} or target.scheme in ("data", "blob"):
            route.continue_()
        else:
            ui.refused.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    ui.page.on("console", lambda m: ui.console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    ui.page.on("pageerror", lambda e: ui.errors.append(str(e)))
    ui.page.on("request", lambda r: ui.requests.append(r))
    return ui, context


MakeUI = Callable[..., UI]


@pytest.fixture
def make_ui(browser: Browser, seeded: Seeded) -> Iterator[MakeUI]:
    """``make_ui(token=…)``: a fresh page (own sessionStorage); the test fails if any page
    logged a console error or warning, threw, or asked another host for anything."""
    opened: list[tuple[UI, BrowserContext]] = []

    def make(token: str | None = TOKEN) -> UI:
        opened.append(_open_page(browser, seeded.service.url, token))
        return opened[-1][0]

    yield make
    for ui, context in opened:
        context.close()
        assert not ui.refused, f"requests to other hosts: {ui.refused}"
        assert not ui.errors, f"uncaught page errors: {ui.errors}"
        assert not ui.console, f"console errors or warnings: {ui.console}"


@pytest.fixture
def ui(make_ui: MakeUI) -> UI:
    return make_ui()
