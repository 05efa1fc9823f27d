"""Importers: good CSV/JSONL files load; every kind of bad file is rejected with line numbers
and leaves the previously stored catalog byte-for-byte unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools.catalog.catalog import load_catalog
from tools.catalog.importers import import_catalog, iter_error_lines, parse_interactions, parse_items
from tools.errors import InputError

ITEMS_CSV = """id,title,year,description,tags,genres,runtime,country
m1,Alien,1979,A crew meets a creature.,scary|space,horror;science fiction,117,US
m2,Toy Story,1995,,animated|funny,animation,81,US
m3,Amélie,2001,Whimsical Paris.,quirky,,122,FR
"""
INTER_CSV = """user,item,label,timestamp,context
u1,m1,liked,1700000000,web
u1,m2,dislike,2024-05-01T12:00:00,
u2,m2,seen,,
u2,m3,4.5,,
"""


def _write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@pytest.fixture()
def stored(tmp_path: Path) -> Path:
    """A valid catalog already imported into tmp_path/catalog."""
    out = tmp_path / "catalog"
    import_catalog(_write(tmp_path / "items.csv", ITEMS_CSV), out, _write(tmp_path / "inter.csv", INTER_CSV))
    return out


def test_good_csv_import_round_trips(tmp_path: Path, stored: Path) -> None:
    cat = load_catalog(stored)
    assert [it.item_id for it in cat.items] == ["m1", "m2", "m3"]
    alien = cat.get("m1")
    assert alien.year == 1979 and alien.tags == ("scary", "space") and alien.genres == ("horror", "science fiction")
    assert alien.attributes == {"runtime": 117, "country": "US"}
    assert cat.get("m3").title == "Amélie" and cat.get("m2").description == ""
    labels = [(i.user_id, i.item_id, i.label) for i in cat.interactions]
    assert labels == [("u1", "m1", "liked"), ("u1", "m2", "disliked"), ("u2", "m2", "seen"), ("u2", "m3", "4.5")]
    # ISO time without zone is read as UTC
    assert cat.interactions[1].timestamp == 1714564800.0
    # no popularity column -> interaction counts
    assert [it.popularity for it in cat.items] == [1.0, 2.0, 1.0]
    assert cat.meta["name"] == "imported"


def test_good_jsonl_import(tmp_path: Path) -> None:
    items = tmp_path / "items.jsonl"
    rows = [
        {"item_id": 1, "title": "Heat", "year": 1995, "tags": ["Heist", "crime "], "popularity": 7,
         "overview": "Cops and robbers.", "attributes": {"rating": "R"}, "budget": 60.5},
        {"item_id": 2, "title": "Up", "genres": ["animation"]},
    ]
    _write(items, "\n".join(json.dumps(r) for r in rows) + "\n\n")
    inter = _write(tmp_path / "i.jsonl", json.dumps({"user_id": "a", "item_id": "1", "rating": 5,
                                                     "context": {"device": "tv"}}) + "\n")
    report = import_catalog(items, tmp_path / "out", inter, name="mine")
    assert report.items == 2 and report.interactions == 1 and report.users == 1
    assert report.attribute_columns == ("budget", "rating")
    cat = load_catalog(tmp_path / "out")
    heat = cat.get("1")
    assert heat.tags == ("heist", "crime") and heat.popularity == 7.0 and heat.description == "Cops and robbers."
    assert heat.attributes == {"rating": "R", "budget": 60.5}
    assert cat.interactions[0].label == "5" and cat.interactions[0].weight == 5.0
    assert json.loads(cat.interactions[0].context) == {"device": "tv"}
    assert cat.name == "mine"


@pytest.mark.parametrize(
    ("items_text", "expected"),
    [
        ("id,year\nm1,1999\n", ["items.csv:1: missing column 'title'"]),
        ("id,title,year\nm1,A,1999\nm2,B,19x9\nm3,C,1200\n",
         ["items.csv:3: column year: '19x9' is not a year", "items.csv:4: column year: '1200' is not a year"]),
        ("id,title\nm1,A\nm2,B\nm1,C\n", ["items.csv:4: column id: duplicate item id 'm1' (first on line 2)"]),
        ("id,title\nm1,\n", ["items.csv:2: column title: the title is missing or empty"]),
        ("id,title\nm1,A,extra\n", ["items.csv:2: has 3 fields but the header has 2"]),
        ("", ["items.csv: the file is empty"]),
        ("id,title\n", ["items.csv: only a header, no data rows"]),
    ],
)
def test_bad_items_are_reported_and_nothing_changes(tmp_path: Path, stored: Path, items_text: str,
                                                    expected: list[str]) -> None:
    before = _snapshot(stored)
    bad = _write(tmp_path / "items.csv", items_text)
    with pytest.raises(InputError) as info:
        import_catalog(bad, stored)
    message = str(info.value)
    for fragment in expected:
        assert fragment in message, message
    assert _snapshot(stored) == before
    assert not [p for p in stored.parent.iterdir() if p.name.startswith(".catalog-")]


def test_non_utf8_file_names_the_line(tmp_path: Path, stored: Path) -> None:
    before = _snapshot(stored)
    bad = _write(tmp_path / "items.csv", "id,title\nm1,Ok\nm2,Caf\xe9 latin-1\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"items.csv:3: not valid UTF-8 \(byte 0xe9\); save the file as UTF-8"):
        import_catalog(bad, stored)
    assert _snapshot(stored) == before


def test_unknown_items_and_bad_labels_in_interactions(tmp_path: Path, stored: Path) -> None:
    before = _snapshot(stored)
    items = _write(tmp_path / "items.csv", ITEMS_CSV)
    inter = _write(tmp_path / "inter.csv", "user_id,item_id,label,timestamp\nu1,m1,liked,\nu1,zz9,liked,\n"
                                           "u2,m2,meh,\n,m3,liked,\nu3,m3,liked,yesterday\n")
    with pytest.raises(InputError) as info:
        import_catalog(items, stored, inter)
    lines = list(iter_error_lines(info.value))
    assert lines == [
        "inter.csv:3: column item_id: unknown item 'zz9' (not in the items file); add the item to the items file "
        "or remove this row",
        "inter.csv:4: column label: 'meh' is not a known label or a number; use one of liked, accepted, seen, "
        "suggested, disliked or a numeric rating",
        "inter.csv:5: column user_id: the user id is missing or empty; every row needs a user",
        "inter.csv:6: column timestamp: 'yesterday' is not a time; use seconds since 1970 or ISO 8601 like "
        "2024-05-01T12:00:00",
    ]
    assert "nothing was written" in str(info.value)
    assert _snapshot(stored) == before


def test_jsonl_errors_and_missing_label_column(tmp_path: Path) -> None:
    bad = _write(tmp_path / "items.jsonl", '{"id": "a", "title": "A"}\nnot json\n[1, 2]\n'
                                           '{"id": "b", "title": "B", "tags": [1]}\n{"title": "C"}\n')
    with pytest.raises(InputError) as info:
        parse_items(bad)
    msg = str(info.value)
    assert "items.jsonl:2: not valid JSON" in msg and "items.jsonl:3: expected a JSON object" in msg
    assert "items.jsonl:4: column tags: must be a list of text values" in msg
    assert "items.jsonl:5: column item_id: the item id is missing or empty" in msg
    inter = _write(tmp_path / "i.csv", "user,item\nu,a\n")
    with pytest.raises(InputError, match=r"i.csv:1: missing column 'label' or 'rating'"):
        parse_interactions(inter, {"a"})


def test_error_list_is_capped(tmp_path: Path) -> None:
    rows = "".join(f"m{i},T,bad\n" for i in range(45))
    with pytest.raises(InputError) as info:
        parse_items(_write(tmp_path / "items.csv", "id,title,year\n" + rows))
    msg = str(info.value)
    assert "45 error(s)" in msg and "... and 25 more" in msg
    assert len(list(iter_error_lines(info.value))) == 20


def test_unsupported_extension(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"use a \.csv or \.jsonl file"):
        parse_items(_write(tmp_path / "items.xlsx", "x"))


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
_TITLE = st.text(alphabet='abcXYZ é,"|;\'-:0123456789', min_size=1, max_size=30).filter(lambda t: t.strip())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(_TITLE, st.one_of(st.none(), st.integers(1870, 2100)), st.lists(_WORD, max_size=4)),
        min_size=1, max_size=8,
    ),
    fmt=st.sampled_from(["csv", "jsonl"]),
)
def test_round_trip_property(tmp_path_factory: pytest.TempPathFactory, rows, fmt: str) -> None:
    """Whatever valid items go in (quotes, commas, separators, accents), the same come back out."""
    import csv
    import io

    d = tmp_path_factory.mktemp("rt")
    path = d / f"items.{fmt}"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["id", "title", "year", "tags"])
        for k, (title, year, tags) in enumerate(rows):
            w.writerow([f"i{k}", title, "" if year is None else year, "|".join(tags)])
        _write(path, buf.getvalue())
    else:
        _write(path, "".join(json.dumps({"id": f"i{k}", "title": t, "year": y, "tags": g}) + "\n"
                             for k, (t, y, g) in enumerate(rows)))
    import_catalog(path, d / "out")
    got = load_catalog(d / "out").items
    assert [(it.item_id, it.title, it.year, it.tags) for it in got] == [
        (f"i{k}", " ".join(t.split()), y, tuple(dict.fromkeys(g))) for k, (t, y, g) in enumerate(rows)
    ]
