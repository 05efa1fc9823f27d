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


def test_bootstrapped_edges_are_drawn_by_frequency(tmp_path):
    from causal.render import edge_width

    strong, weak = CausalEdge("age", "suggested", frequency=1.0, orientation=0.9), CausalEdge("genre", "seen", "undirected", 0.3, 0.3)
    g = CausalGraph(("age", "genre", "suggested", "seen"), (strong, weak), method="pc",
                    params={"bootstrap": {"used": 20, "n_boot": 20}})
    assert edge_width(1.0) > edge_width(0.3) > edge_width(0.0) > 0 and edge_width(None) == 1.8
    p = render_png(g, tmp_path / "boot.png")
    assert p.read_bytes()[:4] == b"\x89PNG"
    lines = to_mermaid(g).splitlines()
    assert "    n_age -->|1.00| n_suggested" in lines and "    n_genre ---|0.30| n_seen" in lines
