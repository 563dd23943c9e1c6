"""Security headers on every response, and the write token of a shared deployment
(``dashboard/security.py``, ``dashboard/components/write_access.py``), through the Flask test client.

The writes are driven as the browser drives them: requests to ``/_dash-update-component`` built from
the app's callback map (``callback_payloads``). With ``ATLAS_WRITE_TOKEN`` (here: the app's settings
replaced for one test), every write is refused with a French message and nothing changes on disk
until the browser has been given the code; without it, writes are open.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re

import pytest

import callback_payloads as cp

pytestmark = pytest.mark.integration

TOKEN = "correct horse battery staple"


@pytest.fixture(scope="module")
def app_client(dash_app):
    c = dash_app.server.test_client()
    assert c.get("/").status_code == 200          # Dash copies the callbacks into its map at the first request
    return c


@pytest.fixture
def shared(dash_app, monkeypatch):
    """The app as a shared server: ``ATLAS_WRITE_TOKEN`` set, for this test only."""
    config = dash_app.server.config
    monkeypatch.setitem(config, "ATLAS_SETTINGS", dataclasses.replace(config["ATLAS_SETTINGS"], write_token=TOKEN))
    return config


@pytest.fixture
def client(dash_app, app_client, user_dir):
    """A fresh client (no cookie) over an empty user directory."""
    return dash_app.server.test_client()


def _key(dash_app, output: str, trigger: str) -> tuple[str, dict]:
    """The callback whose outputs include ``output`` and whose inputs include ``trigger`` (substrings)."""
    found = [(k, cb) for k, cb in cp.server_callbacks(dash_app).items()
             if output in k and any(trigger in (d["id"] + "." + d["property"]) for d in cb["inputs"])]
    assert len(found) == 1, (output, trigger, [k for k, _ in found])
    return found[0]


def _call(client, dash_app, output, trigger, values: dict, wildcard: str = "item"):
    """Post a request for that callback: ``values`` by ``id.property`` substring, 1 click for the
    trigger, None elsewhere."""
    key, cb = _key(dash_app, output, trigger)
    deps = list(cb["inputs"]) + list(cb.get("state") or [])
    vals = []
    for d in deps:
        name = d["id"] + "." + d["property"]
        vals.append(next((v for k, v in values.items() if k in name), 1 if trigger in name else None))
    trig = next(i for i, d in enumerate(cb["inputs"]) if trigger in d["id"] + "." + d["property"])
    body = cp.body(key, cb, vals, trigger=trig, wildcard_values=[wildcard] * len(deps))
    r = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert r.status_code < 500, r.data[:300]
    return r


def _save(client, dash_app, atlas, name="Mon territoire"):
    codes = sorted(atlas.territory("aunis-sud").codes)[:3]
    return _call(client, dash_app, "editor-save-result.children", "editor-save.n_clicks",
                 {"editor-name.value": name, "editor-codes.data": codes})


def _grant(client, dash_app, typed):
    return _call(client, dash_app, "write-token-status", "write-token-submit", {"write-token-field": typed},
                 wildcard="editor")


def _said(r) -> str:
    """What a callback answered, as readable text."""
    return json.dumps(r.get_json(), ensure_ascii=False)


def _saved_files(user_dir):
    d = user_dir / "territories"
    return sorted(p.name for p in d.glob("*.yaml")) if d.exists() else []


# -- headers -----------------------------------------------------------------------------------------------
def test_headers_on_every_kind_of_response(app_client, dash_app):
    key, cb = _key(dash_app, "explorer-commune-panel", "explorer-state")
    answers = [app_client.get(p) for p in ("/", "/portrait", "/_dash-layout", "/_dash-dependencies",
                                           "/assets/atlas_map.js", "/nope")]
    answers.append(app_client.post("/_dash-update-component", data="{", content_type="application/json"))
    for r in answers:
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "img-src 'self' data: blob:" in csp and "object-src 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["Referrer-Policy"] == "same-origin"


def test_every_inline_script_of_a_page_is_allowed_by_hash(app_client):
    """The scripts Dash writes inline into the page are exactly those the policy allows (no more:
    a hash too many would allow a script nobody reviewed)."""
    r = app_client.get("/editeur")
    html = re.sub(r"<!--.*?-->", "", r.get_data(as_text=True), flags=re.S)     # Dash's IE-only alert: a comment
    inline = [body for attrs, body in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", html, flags=re.S)
              if "application/json" not in attrs]                               # data, not run: no hash needed
    assert inline, "Dash writes inline scripts: the test must see them"
    hashes = {"'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'" for s in inline}
    script_src = next(d for d in r.headers["Content-Security-Policy"].split("; ") if d.startswith("script-src"))
    allowed = set(script_src.split()[2:])
    assert allowed == hashes


def test_style_hashes_were_taken_from_the_installed_dash():
    """Dash's bundled CSS changes with its version: run ``scripts/csp_style_hashes.py`` after an upgrade."""
    import dash

    from dashboard.security import DASH_STYLE_VERSION
    assert dash.__version__ == DASH_STYLE_VERSION, "re-run scripts/csp_style_hashes.py and update dashboard/security.py"


# -- write token -----------------------------------------------------------------------------------------
def test_without_a_token_writes_are_open_and_no_field_is_shown(client, dash_app, atlas, user_dir):
    r = _save(client, dash_app, atlas)
    assert "Enregistré" in _said(r)
    assert _saved_files(user_dir) == ["mon-territoire.yaml"]
    assert "write-token-field" not in client.get("/_dash-layout").get_data(as_text=True)


def test_with_a_token_every_write_is_refused_until_the_code_is_given(client, dash_app, atlas, user_dir, shared):
    from atlas.userdata.territories import UserTerritory, save_user_territory

    codes = sorted(atlas.territory("aunis-sud").codes)[:3]
    save_user_territory(UserTerritory("deja-la", "Déjà là", codes), atlas.valid_codes)
    before = {p: p.read_bytes() for p in user_dir.rglob("*") if p.is_file()}

    r = _save(client, dash_app, atlas)
    assert "Modification refusée" in _said(r)
    r = _call(client, dash_app, "editor-saved.children", "editor-delete-yes", {}, wildcard="deja-la")
    assert "Modification refusée" in _said(r)
    r = _call(client, dash_app, "editor-saved.children", "editor-rename-yes",
              {"editor-rename-name": ["Nouveau nom"]}, wildcard="deja-la")
    assert "Modification refusée" in _said(r)
    csv = "code_commune;indicateur;annee;numerateur;denominateur;valeur;source\n" \
          f"{codes[0]};sans_mt_17;2024;80;800;10,0;CPAM\n"
    upload = "data:text/csv;base64," + base64.b64encode(csv.encode()).decode()
    r = _call(client, dash_app, "import-report.children", "import-upload.contents",
              {"import-upload.contents": upload, "import-upload.filename": "cpam.csv"})
    assert "Modification refusée" in _said(r)
    after = {p: p.read_bytes() for p in user_dir.rglob("*") if p.is_file()}
    assert after == before                                           # nothing written, nothing removed

    r = _grant(client, dash_app, "wrong code")
    assert "Code incorrect" in _said(r) and "Set-Cookie" not in r.headers
    assert "Modification refusée" in _said(_save(client, dash_app, atlas))

    r = _grant(client, dash_app, TOKEN)
    cookie = r.headers["Set-Cookie"]
    assert "Code accepté" in _said(r)
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN not in cookie
    assert "Enregistré" in _said(_save(client, dash_app, atlas))
    assert _saved_files(user_dir) == ["deja-la.yaml", "mon-territoire.yaml"]
    r = _call(client, dash_app, "editor-saved.children", "editor-delete-yes", {}, wildcard="deja-la")
    assert "supprimé" in _said(r) and _saved_files(user_dir) == ["mon-territoire.yaml"]


def test_a_changed_token_invalidates_the_codes_given(client, dash_app, atlas, user_dir, shared):
    _grant(client, dash_app, TOKEN)
    shared["ATLAS_SETTINGS"] = dataclasses.replace(shared["ATLAS_SETTINGS"], write_token="another one")
    assert "Modification refusée" in _said(_save(client, dash_app, atlas))
    assert _saved_files(user_dir) == []


def test_the_field_shows_on_the_writing_pages_of_a_shared_server(client, dash_app, shared):
    from dashboard.components.write_access import write_access

    with dash_app.server.test_request_context("/import"):
        assert "write-token-field" in json.dumps(write_access("import").to_plotly_json(), default=str)
