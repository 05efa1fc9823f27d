"""A film the user turned down takes its franchise out of the next slates (``franchise.without_turned_down``)."""

from __future__ import annotations

import pytest

from agent.turn.franchise import TURNED_DOWN_DEPTH, franchise_tokens, without_turned_down

TITLES = {
    "a1": "Aliens", "a2": "Alien 3", "a3": "Alien: Resurrection", "p1": "Predator", "p2": "Predator 2",
    "t": "The Thing", "c": "Event Horizon", "x": "Cube", "y": "Pitch Black", "z": "Critters",
}


def kin(item_id: str) -> frozenset[str]:
    return franchise_tokens(TITLES[item_id])


def test_the_franchise_of_a_turned_down_film_leaves_the_ranking():
    ranked = ["a3", "p2", "t", "c", "x", "y", "z"]
    kept = without_turned_down(ranked, ["a1", "a2"], kin, size=2)
    assert kept == ["p2", "t", "c", "x", "y", "z"]
    assert without_turned_down(ranked, ["a1", "p1"], kin, size=1) == ["t", "c", "x", "y", "z"]


def test_nothing_turned_down_keeps_the_ranking():
    ranked = ["a3", "p2", "t"]
    assert without_turned_down(ranked, [], kin, size=1) == ranked
    assert without_turned_down(ranked, ["c"], kin, size=1) == ranked


def test_too_few_films_left_keeps_the_franchise():
    """A short ranked list keeps the turned-down franchise rather than an empty or one-card slate."""
    ranked = ["a3", "t", "c"]
    assert len(ranked) - 1 < TURNED_DOWN_DEPTH * 2
    assert without_turned_down(ranked, ["a1"], kin, size=2) == ranked


@pytest.mark.parametrize("size", [1, 5])
def test_order_is_kept(size):
    ranked = ["z", "a3", "y", "x", "t", "c", "p2"] * 3
    kept = without_turned_down(ranked, ["a2"], kin, size=size)
    assert kept == [i for i in ranked if i != "a3"]


def test_build_slate_leaves_a_turned_down_franchise_out():
    """The slate stage owns the rule: the runner passes the films turned down, never filters before it."""
    from agent.turn.slate import build_slate

    titles = {"a2": "Aliens", "a3": "Alien 3", "a4": "Alien: Resurrection", **{f"f{n}": f"Film {n}" for n in range(20)}}
    ranked = ["a4", *[f"f{n}" for n in range(20)]]
    got = build_slate(ranked, titles.__getitem__, size=5, turned_down=["a2", "a3"])
    assert "a4" not in got and len(got) == 5
    assert build_slate(ranked, titles.__getitem__, size=5)[0] == "a4"  # nothing turned down: ranked order
