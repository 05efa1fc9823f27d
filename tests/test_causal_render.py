"""Pictures: a PNG is written for every edge kind, Mermaid text is well-formed."""

from __future__ import annotations

from causal import CausalEdge, CausalGraph
from causal.render import render_png, to_mermaid

G = CausalGraph(
    ("age", "genre", "suggested", "seen", "liked", "mood"),
    (
        CausalEdge("age", "suggested"),
        CausalEdge("genre", "suggested", "undirected"),
        CausalEdge("suggested", "seen", "partially_directed"),
        CausalEdge("seen", "liked", "bidirected"),
        CausalEdge("mood", "liked", "nondirected"),
    ),
    method="fci",
)


def test_png_is_written(tmp_path):
    p = render_png(G, tmp_path / "sub" / "g.png")
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5000
    q = render_png(G, tmp_path / "tiers.png", layers=[["age", "genre"], ["suggested"], ["seen"], ["liked"]])
    assert q.stat().st_size > 5000


def test_mermaid_text():
    text = to_mermaid(G)
    lines = text.splitlines()
    assert lines[0] == "graph LR"
    assert "    n_age --> n_suggested" in lines
    assert "    n_genre --- n_suggested" in lines
    assert "    n_seen <-.-> n_liked" in lines
    assert "    n_suggested o--> n_seen" in lines
    assert "    n_mood o--o n_liked" in lines
    assert sum(1 for x in lines if '["' in x) == 6
