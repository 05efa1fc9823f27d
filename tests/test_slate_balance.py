""""I loved Toy Story and The Godfather" showed five Toy Story neighbours: the better known film's
co-suggestions outscored the other's, and one genre list for both put every animated film first."""

from __future__ import annotations

from agent.turn.genre_fit import fit_to_each
from agent.turn.slate import balanced_by_liked
from tools.catalog.catalog import Catalog, Item
from tools.recsys.request import RankedItem, RecRequest

CAT = Catalog((Item("ts", "Toy Story", 1995, genres=("animation", "comedy", "family")),
               Item("gf", "The Godfather", 1972, genres=("crime", "drama")),
               Item("up", "Up", 2009, genres=("animation", "comedy", "family")),
               Item("coco", "Coco", 2017, genres=("animation", "family")),
               Item("moana", "Moana", 2016, genres=("animation", "family")),
               Item("gf2", "The Godfather Part II", 1974, genres=("crime", "drama")),
               Item("scar", "Scarface", 1983, genres=("crime", "drama")),
               Item("heat", "Heat", 1995, genres=("action", "crime", "thriller"))))


class TableRecommender:
    """A recommender whose rankings are fixed tables: the joint request's, and each liked film's own.
    It scores ``only`` films by their place in the joint table, as the real one scores them for the request."""

    def __init__(self, joint: list[str], own: dict[str, list[str]]) -> None:
        self.joint, self.own, self.calls = joint, own, []

    def recommend(self, req: RecRequest, k: int = 10, only: frozenset[str] | None = None, **_: object) -> list[RankedItem]:
        self.calls.append((req.liked, only))
        table = self.own[req.liked[0]] if len(req.liked) == 1 else self.joint + sorted(only or ())
        ids = [i for i in table if only is None or i in only][:k]
        return [RankedItem(i, float(-n), {}, {"joint": float(len(req.liked) > 1)}) for n, i in enumerate(ids)]


def test_two_liked_films_take_turns_with_their_own_best_films():
    rec = TableRecommender(["coco", "up", "moana", "heat"], {"ts": ["coco", "up", "moana"], "gf": ["gf2", "scar", "coco"]})
    req = RecRequest(liked=("ts", "gf"))
    ranked = rec.recommend(req, k=4)
    out = balanced_by_liked(rec, req, ranked, ["ts", "gf"])
    assert [r.item_id for r in out] == ["coco", "gf2", "up", "scar", "moana", "heat"]
    # the films the joint ranking had not reached are scored for the joint request, not the single one
    assert all(r.features == {"joint": 1.0} for r in out)
    # one liked film, or none: nothing moves and nothing more is asked
    rec.calls.clear()
    assert balanced_by_liked(rec, req, ranked, ["ts"]) == ranked and balanced_by_liked(rec, req, ranked, []) == ranked
    assert rec.calls == []


def test_a_liked_films_turn_goes_to_its_best_film_not_taken():
    rec = TableRecommender(["coco", "up"], {"ts": ["coco", "up"], "gf": ["coco", "gf2"]})
    req = RecRequest(liked=("ts", "gf"))
    out = balanced_by_liked(rec, req, rec.recommend(req, k=2), ["ts", "gf"])
    assert [r.item_id for r in out] == ["coco", "gf2", "up"]


def test_each_liked_film_fits_its_own_films():
    req = RecRequest(liked=("ts", "gf"))
    fit = fit_to_each(req, (), CAT, ["ts", "gf"])
    # one genre list for both gave Up 3 and The Godfather Part II 1: now each fits its own film fully
    assert fit("up") == fit("gf2") == 3 and fit("heat") < 3
    single = fit_to_each(req, (), CAT, ["ts"])
    assert single("up") > single("gf2")
    assert fit_to_each(req, (), CAT, []) is None
