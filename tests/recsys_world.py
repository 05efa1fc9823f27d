"""A tiny, fully known movie world for the recommender's contract and known-answer tests.

Six films with genres, years, people and 2-d "plot vectors"; dialogues in which
recommenders always answered Alien with Aliens and Toy Story with Up.
"""

from __future__ import annotations

import numpy as np

from tools.catalog.catalog import Catalog, Item
from tools.recsys.cooccurrence import CoSuggestionStats, Episode
from tools.recsys.item_space import ItemSpace
from tools.recsys.talk import TalkMemory

ITEMS = [
    Item("1", "Alien", 1979, ("science fiction", "horror"), (), 50.0, "",
         {"directors": ["Ridley Scott"], "cast": ["Sigourney Weaver"]}),
    Item("2", "Aliens", 1986, ("science fiction", "action"), (), 40.0, "",
         {"directors": ["James Cameron"], "cast": ["Sigourney Weaver"]}),
    Item("3", "Toy Story", 1995, ("animation", "family"), (), 60.0, "", {"cast": ["Tom Hanks"]}),
    Item("4", "Up", 2009, ("animation", "family"), (), 30.0, "", {"directors": ["Pete Docter"]}),
    Item("5", "The Sound of Music", 1965, ("musical", "family"), (), 20.0, "", {}),
    Item("6", "Untitled ReDial movie 6", None, (), (), 1.0, "", {}),
]
VECTORS = np.array([[1.0, 0.0], [0.95, 0.31], [0.0, 1.0], [0.1, 0.99], [0.3, 0.95], [0.7, 0.7]], dtype=np.float32)
EPISODES = [Episode(f"d{n}", ("1",), ("2",)) for n in range(4)] + [
    Episode(f"e{n}", ("3",), ("4",)) for n in range(3)] + [Episode("f", ("3",), ("5",))]


def world() -> tuple[Catalog, ItemSpace, CoSuggestionStats]:
    cat = Catalog(items=tuple(ITEMS), interactions=(), name="recsys-world")
    space = ItemSpace.from_catalog(cat, ([i.item_id for i in ITEMS], VECTORS))
    return cat, space, CoSuggestionStats.fit(EPISODES, space)


def query_embedder(text: str) -> np.ndarray:
    """'space monster' points at Alien's plot vector, anything else at Toy Story's."""
    return np.array([1.0, 0.0] if "space" in text else [0.0, 1.0], dtype=np.float32)


#: past requests' words and what the recommender suggested after them (the talk source's memory):
#: space-monster talk was answered with Aliens, everything else with Up or The Sound of Music
TALK = [("a space monster film please", ("2",), "t1"), ("scary space monster", ("2",), "t2"),
        ("something for my kids", ("4",), "t3"), ("a film for the family", ("4", "5"), "t4")]


def talk_memory(space: ItemSpace) -> TalkMemory:
    return TalkMemory.build([t for t, _, _ in TALK], [space.rows(list(ids)).tolist() for _, ids, _ in TALK],
                            [d for _, _, d in TALK], query_embedder, len(space))
