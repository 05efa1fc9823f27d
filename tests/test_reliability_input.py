"""Bad input everywhere a user or a data owner can reach: chat messages, catalog and
interaction files, dialogue scripts, CLI options. Each gets a clear message and nothing
already stored is lost. Property-based tests (hypothesis) for the title resolver, the
importers and the dialogue state.
"""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.state import DialogueState
from tools.errors import InputError, WhyRecError

pytestmark = pytest.mark.timeout(240)

WEIRD_MESSAGES = [
    "",
    "   \n\t  ",
    "\x00\x01\x02\x1b[31m\x7f",
    "x" * 100_000,
    "أحب أفلام الرعب مثل The Conjuring",  # RTL + a title
    "我喜欢 Toy Story 和 Up 🎬🍿",  # CJK + emoji
    "👩\u200d👩\u200d👧 family movies \u200b\u200c\u200d\u2060 please",  # ZWJ sequences, zero-width chars
    "\u202eevil override\u202c something like Alien",  # bidi override
    "I loved Zyxqwv Plorbnak Returns (2031), more like that",  # unknown title
    "' OR 1=1; DROP TABLE sessions; --",
    "{{7*7}} ${jndi:ldap://x} <script>alert(1)</script>",
    "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
]


def test_weird_messages_get_answers_and_lose_nothing(make_agent, store):
    agent = make_agent(chat_model=None, max_message_chars=4000)
    sid = agent.new_session()
    first = agent.turn(sid, "I loved Toy Story")
    assert first.recommendations
    kept = [(m["role"], m["content"]) for m in store.messages(sid)]
    for text in WEIRD_MESSAGES:
        res = agent.turn(sid, text)
        assert isinstance(res.reply, str) and res.reply.strip(), repr(text[:40])
        assert "Traceback" not in res.reply and "went wrong" not in res.reply
        for card in res.recommendations:  # only catalog items, titles from the catalog
            assert agent.services.catalog.get(card.item_id).title == card.title
        now = [(m["role"], m["content"]) for m in store.messages(sid)]
        assert now[: len(kept)] == kept  # earlier rows untouched
        kept = now
    contents = [c for _r, c in kept]
    assert "x" * 100_000 not in contents and not any("\x00" in c or "\x1b" in c for c in contents)
    assert store.integrity_check() == "ok"
    too_long = agent.turn(sid, "y" * 5000)
    assert "4,000" in too_long.reply and too_long.turn_index == -1


def test_unknown_session_and_bad_feedback_are_clear(make_agent, store):
    agent = make_agent(chat_model=None)
    res = agent.turn("no-such-session", "hello")
    assert "unknown session" in res.reply and "new session" in res.reply
    sid = agent.new_session()
    with pytest.raises(InputError, match="feedback must be one of"):
        agent.record_feedback(sid, "rec_x", "love")
    with pytest.raises(WhyRecError, match="unknown rec_id"):
        agent.record_feedback(sid, "rec_x", "like")
    assert store.feedback(session_id=sid) == []


# -- malformed catalog / interaction files -------------------------------------------------------
MALFORMED_ITEMS = {
    "items.csv": b"id,title\n1,\n,No id\n",
    "items.jsonl": b'{"id": "1", "title": "ok"}\n{not json}\n[1,2]\n',
    "items2.csv": b"name,year\nToy Story,1995\n",  # no id/title columns
    "items3.csv": b"\xff\xfe\x00b\x00a\x00d\x00",  # UTF-16 / binary
    "items4.jsonl": b'{"id": "1", "title": "A", "year": "nineteen"}\n{"id": "1", "title": "dup"}\n',
    "items5.csv": b"",
}


@pytest.mark.parametrize("name", sorted(MALFORMED_ITEMS))
def test_malformed_catalog_files_are_refused_and_change_nothing(tmp_path, name):
    from tools.catalog.importers import import_catalog

    good = tmp_path / "good.csv"
    good.write_text("id,title,year\n1,Toy Story,1995\n2,Up,2009\n", encoding="utf-8")
    out = tmp_path / "catalog"
    import_catalog(good, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = tmp_path / name.replace("2", "").replace("3", "").replace("4", "").replace("5", "")
    bad.write_bytes(MALFORMED_ITEMS[name])
    with pytest.raises(InputError) as info:
        import_catalog(bad, out)
    msg = str(info.value)
    assert bad.name in msg and len(msg) < 5000
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_malformed_interactions_name_the_line(tmp_path):
    from tools.catalog.importers import import_catalog

    items = tmp_path / "items.csv"
    items.write_text("id,title\n1,Toy Story\n", encoding="utf-8")
    inter = tmp_path / "inter.csv"
    inter.write_text("user,item,label\nu1,1,liked\nu2,999,liked\nu3,1,adored\n,1,liked\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        import_catalog(items, tmp_path / "out", inter)
    msg = str(info.value)
    assert "inter.csv:3" in msg and "inter.csv:4" in msg and not (tmp_path / "out").exists()


def test_corrupt_catalog_directory_is_a_clear_data_error(tmp_path):
    from tools.catalog.catalog import load_catalog

    (tmp_path / "cat").mkdir()
    with pytest.raises(WhyRecError, match="whyrec data prepare"):
        load_catalog(tmp_path / "cat")
    with pytest.raises(WhyRecError, match="does not exist"):
        load_catalog(tmp_path / "nowhere")


def test_malformed_dialogue_scripts(tmp_path):
    schema = pytest.importorskip("evals.dialogue_schema", reason="the scripted-dialogue schema is not there yet")
    cases = {"bad.yaml": "name: [unclosed\n", "list.yaml": "- 1\n- 2\n", "empty.yaml": "",
             "fields.yaml": "name: x\ncategory: y\nturns: [{say: 3, bogus: true}]\n"}
    for fname, text in cases.items():
        p = tmp_path / fname
        p.write_text(text, encoding="utf-8")
        with pytest.raises(InputError) as info:
            schema.load_script(p)
        assert fname in str(info.value), str(info.value)
    with pytest.raises(InputError, match="no such"):
        schema.discover([tmp_path / "missing"])


# -- out-of-range CLI options --------------------------------------------------------------------
@pytest.mark.parametrize("args, words", [
    (["search", "x", "--k", "0"], "--k"),
    (["search", "x", "--k", "100000"], "--k"),
    (["eval", "redial", "--limit", "-1"], "--limit"),
    (["train", "gcn", "--epochs", "-5"], "--epochs"),
    (["ui", "--port", "70000"], "--port"),
])
def test_cli_out_of_range_options(tmp_path, monkeypatch, args, words):
    from typer.testing import CliRunner

    from ui.cli import app

    monkeypatch.setenv("WHYREC_DATA_DIR", str(tmp_path / "var"))
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    err = result.stderr
    assert words in err and ("range" in err or "Invalid value" in err) and "Traceback" not in err
    assert not (tmp_path / "var" / "whyrec.db").exists()  # nothing opened, nothing written


# -- property-based ------------------------------------------------------------------------------
_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)


@pytest.fixture(scope="module")
def resolver_and_catalog(agent_catalog):
    from tools.resolve.titles import TitleResolver

    return TitleResolver(agent_catalog.items), agent_catalog


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=_TEXT, pick=st.integers(0, 10_000), suffix=_TEXT, mangle=st.booleans())
def test_title_resolver_properties(resolver_and_catalog, prefix, pick, suffix, mangle):
    resolver, catalog = resolver_and_catalog
    title = catalog.items[pick % len(catalog.items)].title
    text = prefix + " " + (title.upper() if mangle else title) + " " + suffix
    found = resolver.find(text)
    assert found == resolver.find(text)  # deterministic / idempotent
    for m in found:
        assert 0 <= m.span[0] < m.span[1] <= len(text)
        assert m.item_id in catalog.by_id and 0 <= m.score <= 100
    spans = sorted(m.span for m in found)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))  # no overlaps
    hit = resolver.lookup(title)
    assert hit is not None and hit.item_id in catalog.by_id and resolver.lookup(hit.title).item_id == hit.item_id


@settings(max_examples=100, deadline=None)
@given(text=_TEXT)
def test_title_resolver_never_crashes_on_any_text(resolver_and_catalog, text):
    resolver, catalog = resolver_and_catalog
    for m in resolver.find(text):
        assert m.item_id in catalog.by_id and 0 <= m.span[0] < m.span[1] <= len(text)
    resolver.lookup(text)


_OPS = st.lists(st.tuples(st.sampled_from(["like", "dislike", "mark_seen", "mention", "reject"]),
                          st.sampled_from(list("abcdef"))), max_size=40)


@settings(max_examples=200, deadline=None)
@given(ops=_OPS, shown=st.lists(st.sampled_from(list("abcdefgh")), max_size=6))
def test_dialogue_state_invariants(ops, shown):
    s = DialogueState()
    last: dict[str, str] = {}
    for op, item in ops:
        getattr(s, op)(item)
        if op in ("like", "dislike", "reject"):
            last[item] = op
    s.record_shown(shown)
    assert not set(s.liked) & set(s.disliked)
    for name in ("liked", "disliked", "seen", "mentioned", "shown", "rejected"):
        lst = getattr(s, name)
        assert len(lst) == len(set(lst)), name
    assert set(s.liked) | set(s.disliked) | set(s.seen) <= set(s.mentioned)
    assert set(s.rejected) <= {i for _op, i in ops}
    for item, op in last.items():
        assert item in (s.liked if op == "like" else s.disliked)
    assert s.excluded_ids() >= set(s.liked) | set(s.disliked) | set(s.seen) | set(s.shown) | set(s.rejected)
    again = DialogueState.from_dict(json.loads(json.dumps(s.to_dict())))
    assert again == s and again.to_dict() == s.to_dict()


_CELL = st.text(alphabet=string.ascii_letters + string.digits + ' ,"|;\n\r\x00é', max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(_CELL, _CELL, _CELL), min_size=0, max_size=6))
def test_importer_random_rows_never_half_write(tmp_path_factory, rows):
    """Any rows at all: either a full, faithful import or an InputError with the old catalog untouched."""
    import csv
    import io

    from tools.catalog.catalog import load_catalog
    from tools.catalog.importers import import_catalog

    d: Path = tmp_path_factory.mktemp("hw")
    (d / "seed.csv").write_text("id,title\nseed,Seed Movie\n", encoding="utf-8")
    out = d / "catalog"
    import_catalog(d / "seed.csv", out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["id", "title", "year"])
    w.writerows(rows)
    (d / "items.csv").write_text(buf.getvalue(), encoding="utf-8")
    try:
        report = import_catalog(d / "items.csv", out)
    except InputError as exc:
        assert str(exc).strip()
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
        return
    cat = load_catalog(out)
    assert report.items == len(cat.items) >= 1 and "seed" not in cat.by_id
