"""Pictures of causal graphs: PNG (matplotlib) and Mermaid text.

Why both: a PNG is what people look at in the CLI/UI; Mermaid text renders in Markdown
(GitHub, Gradio) and in chat replies without a file. Edge kinds must stay visibly distinct:
directed = solid arrow, undirected = plain grey line, bidirected = dashed double arrow,
partially oriented (o->, o-o) = circle marks at the uncertain ends. When the graph was
bootstrapped, line width (and a small label) shows each edge's frequency over resamples, so
the eye lands on the edges that survive resampling, not on the ones that merely exist.
"""

from __future__ import annotations

from pathlib import Path

from causal.graph import (
    BIDIRECTED,
    DIRECTED,
    NONDIRECTED,
    PARTIALLY_DIRECTED,
    PARTIALLY_UNDIRECTED,
    UNDIRECTED,
    CausalGraph,
)

#: line width at bootstrap frequency 0 and 1 (no bootstrap: ``_PLAIN_WIDTH``)
_MIN_WIDTH, _MAX_WIDTH, _PLAIN_WIDTH = 0.5, 4.0, 1.8


def edge_width(frequency: float | None) -> float:
    """Line width for an edge: proportional to its bootstrap frequency, fixed without one."""
    if frequency is None:
        return _PLAIN_WIDTH
    return _MIN_WIDTH + (_MAX_WIDTH - _MIN_WIDTH) * float(frequency)


_STYLE = {
    DIRECTED: {"color": "#1f4e9c", "style": "solid", "label": "A --> B  directed (A causes B)"},
    UNDIRECTED: {"color": "#7a7a7a", "style": "solid", "label": "A --- B  undirected (orientation unknown)"},
    BIDIRECTED: {"color": "#c0392b", "style": "dashed", "label": "A <-> B  bidirected (latent confounder)"},
    PARTIALLY_DIRECTED: {"color": "#8e44ad", "style": "solid", "label": "A o-> B  partially oriented"},
    NONDIRECTED: {"color": "#d68910", "style": "solid", "label": "A o-o B  nondirected (PAG)"},
    PARTIALLY_UNDIRECTED: {"color": "#d68910", "style": "dotted", "label": "A o-- B  partially undirected"},
}


def _layout(graph: CausalGraph, layers: list[list[str]] | None):
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(graph.variables)
    g.add_edges_from((e.src, e.dst) for e in graph.edges)
    if layers:
        placed = {v for layer in layers for v in layer}
        rest = [v for v in graph.variables if v not in placed]
        layers = [list(layer) for layer in layers if layer] + ([rest] if rest else [])
        pos = {}
        for x, layer in enumerate(layers):
            zig = 0.22 if len(layer) > 2 else 0.0  # zig-zag so edges inside a tier do not overlap
            for k, v in enumerate(layer):
                pos[v] = (float(x) + (zig if k % 2 else -zig), (len(layer) - 1) / 2.0 - k)
        return pos
    if len(graph.variables) <= 12:
        return nx.circular_layout(g)
    return nx.spring_layout(g, seed=0, k=1.8 / max(1, len(graph.variables)) ** 0.5)


def render_png(
    graph: CausalGraph,
    path: str | Path,
    *,
    title: str | None = None,
    layers: list[list[str]] | None = None,
    dpi: int = 130,
) -> Path:
    """Write a PNG; ``layers`` (e.g. background tiers) lays variables out left to right."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch

    pos = _layout(graph, layers)
    tier_of = {v: i for i, layer in enumerate(layers or []) for v in layer}
    n = len(graph.variables)
    if layers:
        size = (min(3.0 + 2.6 * len(layers), 18), min(3.5 + 0.5 * max(len(x) for x in layers), 11))
    else:
        size = (min(5.5 + 0.25 * n, 14), min(5.0 + 0.25 * n, 13))
    fig, ax = plt.subplots(figsize=size)
    node_r = 0.0
    labels: list[tuple] = []  # bootstrap frequencies, drawn once the axes limits are final
    for e in graph.edges:
        st = _STYLE[e.kind]
        a, b = pos[e.src], pos[e.dst]
        same_tier = e.src in tier_of and tier_of.get(e.src) == tier_of.get(e.dst)
        head = {DIRECTED: "-|>", UNDIRECTED: "-", BIDIRECTED: "<|-|>", PARTIALLY_DIRECTED: "-|>",
                NONDIRECTED: "-", PARTIALLY_UNDIRECTED: "-"}[e.kind]
        arrow = FancyArrowPatch(
            a, b, arrowstyle=head, mutation_scale=18, color=st["color"], linestyle=st["style"],
            linewidth=edge_width(e.frequency), shrinkA=26, shrinkB=26, zorder=1,
            connectionstyle=f"arc3,rad={0.45 if same_tier else 0.06}",
        )
        ax.add_patch(arrow)
        if e.frequency is not None:
            labels.append((a, b, 0.45 if same_tier else 0.06, f"{e.frequency:.2f}", st["color"]))
        circles = []
        if e.kind in (PARTIALLY_DIRECTED, PARTIALLY_UNDIRECTED, NONDIRECTED):
            circles.append((a, b))
        if e.kind == NONDIRECTED:
            circles.append((b, a))
        for p, q in circles:  # circle mark near p on the segment p -> q
            dx, dy = q[0] - p[0], q[1] - p[1]
            length = max((dx * dx + dy * dy) ** 0.5, 1e-9)
            off = min(0.16, 0.3 * length)
            ax.plot([p[0] + dx / length * off], [p[1] + dy / length * off], marker="o", markersize=7,
                    markerfacecolor="white", markeredgecolor=st["color"], markeredgewidth=1.6, zorder=3)
    for v, (x, y) in pos.items():
        ax.text(x, y, v, ha="center", va="center", fontsize=11, zorder=4,
                bbox={"boxstyle": "round,pad=0.35", "fc": "#fdfdf3", "ec": "#333333", "lw": 1.0})
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    pad = 0.45 + node_r
    ax.set_xlim(min(xs) - pad, max(xs) + pad)
    ax.set_ylim(min(ys) - pad, max(ys) + pad)
    ax.axis("off")
    for a, b, rad, text, color in labels:
        ax.text(*_arc_middle(ax, a, b, rad), text, ha="center", va="center", fontsize=7, color=color, zorder=2,
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85})
    used = [k for k in _STYLE if any(e.kind == k for e in graph.edges)] or [DIRECTED]
    handles = [
        Line2D([0], [0], color=_STYLE[k]["color"], linestyle=_STYLE[k]["style"], lw=2,
               marker="o" if k in (PARTIALLY_DIRECTED, NONDIRECTED, PARTIALLY_UNDIRECTED) else None,
               markerfacecolor="white", label=_STYLE[k]["label"])
        for k in used
    ]
    boot = graph.params.get("bootstrap") if isinstance(graph.params, dict) else None
    if any(e.frequency is not None for e in graph.edges):
        n_boot = f"{boot['used']} " if isinstance(boot, dict) and "used" in boot else ""
        handles += [Line2D([0], [0], color="#555555", lw=edge_width(f), label=f"in {f:.0%} of {n_boot}resamples")
                    for f in (1.0, 0.5)]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=min(2, len(handles)),
              frameon=False, fontsize=9)
    heading = title or f"{graph.method.upper() or 'graph'}: {len(graph.variables)} variables, {len(graph.edges)} edges"
    ax.set_title(heading, fontsize=12)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return path


def _arc_middle(ax, a, b, rad: float) -> tuple[float, float]:
    """Midpoint of matplotlib's ``arc3`` curve from a to b: it bends in display space, so compute there."""
    (x1, y1), (x2, y2) = ax.transData.transform([a, b])
    mid = ((x1 + x2) / 2 + rad / 2 * (y2 - y1), (y1 + y2) / 2 - rad / 2 * (x2 - x1))
    x, y = ax.transData.inverted().transform(mid)
    return float(x), float(y)


_MERMAID_ARROW = {
    DIRECTED: "-->",
    UNDIRECTED: "---",
    BIDIRECTED: "<-.->",
    PARTIALLY_DIRECTED: "o-->",
    NONDIRECTED: "o--o",
    PARTIALLY_UNDIRECTED: "o---",
}


def _mid(v: str) -> str:
    return "n_" + "".join(c if c.isalnum() else "_" for c in v)


def to_mermaid(graph: CausalGraph, direction: str = "LR") -> str:
    """Mermaid flowchart text (``graph LR``); o-> uses Mermaid's circle-edge syntax; a
    bootstrapped edge carries its frequency as the edge label (``A -->|0.95| B``)."""
    lines = [f"graph {direction}"]
    for v in graph.variables:
        label = v.replace('"', "'")
        lines.append(f'    {_mid(v)}["{label}"]')
    for e in sorted(graph.edges, key=lambda e: (e.src, e.dst)):
        label = "" if e.frequency is None else f"|{e.frequency:.2f}|"
        lines.append(f"    {_mid(e.src)} {_MERMAID_ARROW[e.kind]}{label} {_mid(e.dst)}")
    return "\n".join(lines) + "\n"
