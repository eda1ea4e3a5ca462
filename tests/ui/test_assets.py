"""The UI's files as the service serves them: pinned vendored libraries byte-identical to
what scripts/vendor-ui.sh recorded, a page that may reach this service only, and nothing
outside the UI's folder."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx

from .conftest import Seeded

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "service" / "static" / "ui"


def test_the_page_is_served_under_ui_with_a_policy_that_allows_only_this_service(seeded: Seeded) -> None:
    base = seeded.service.url
    moved = httpx.get(f"{base}/ui", follow_redirects=False)
    assert moved.status_code == 308 and moved.headers["location"] == f"{base}/ui/"
    page = httpx.get(f"{base}/ui/")  # no token: the page holds no data
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = dict(part.strip().split(" ", 1) for part in page.headers["content-security-policy"].split(";"))
    assert csp["default-src"] == "'none'" and csp["connect-src"] == "'self'" and csp["script-src"] == "'self'"
    assert csp["form-action"] == "'none'" and page.headers["referrer-policy"] == "no-referrer"
    assert '<script type="module" src="assets/app.js">' in page.text


def test_vendored_libraries_are_served_byte_identical_to_their_pinned_checksums(seeded: Seeded) -> None:
    sums = (UI / "vendor" / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == 4, sums
    for line in sums:
        digest, name = line.split("  ")
        served = httpx.get(f"{seeded.service.url}/ui/assets/vendor/{name}")
        assert served.status_code == 200 and hashlib.sha256(served.content).hexdigest() == digest, name
        if name.endswith(("js", "mjs")):
            assert served.headers["content-type"].startswith("text/javascript"), name  # module scripts need it
    pins = (UI / "vendor" / "VERSIONS").read_text().split()
    script = (ROOT / "scripts" / "vendor-ui.sh").read_text()
    assert pins == ["cytoscape@3.34.4", "cytoscape-dagre@4.0.1", "uplot@1.6.32"] and all(p in script for p in pins)
    assert {p.name for p in (UI / "vendor" / "licenses").iterdir()} == {
        "cytoscape.LICENSE", "cytoscape-dagre.LICENSE", "uplot.LICENSE"}


def test_the_ui_code_names_no_other_host_and_no_file_outside_it_is_served(seeded: Seeded) -> None:
    for module in UI.glob("*.js"):
        text = module.read_text()
        hosts = re.findall(r"(?:https?:)?//(?!www\.w3\.org/2000/svg)[a-z0-9.-]+\.[a-z]{2,}", text, re.IGNORECASE)
        assert not hosts, (module.name, hosts)
        assert "localStorage" not in text and "document.cookie" not in text, module.name
    for path in ("/ui/assets/../../app.py", "/ui/assets/%2e%2e/%2e%2e/app.py", "/ui/assets/missing.js"):
        assert httpx.get(f"{seeded.service.url}{path}").status_code == 404, path
