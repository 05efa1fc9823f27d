"""The simulated seeker: deterministic, grounded in dialogues/interactions, behaves as documented."""

from __future__ import annotations

import pytest

from tests.rl_world import SIM, tiny_catalog
from tools.catalog.catalog import Interaction
from tools.datasets.redial import Dialogue, MovieLabel, Turn
from tools.errors import InputError
from tools.rl.features import ItemSpace
from tools.rl.simulator import (
    SeekerEpisode,
    SimulatedSeeker,
    SimulatorConfig,
    episodes_from_interactions,
    episodes_from_redial,
    split_users,
)
from tools.rl.types import Action


@pytest.fixture(scope="module")
def space() -> ItemSpace:
    return ItemSpace.from_catalog(tiny_catalog())


def _play(space: ItemSpace, seed: int, noise: float) -> list:
    ep = SeekerEpisode("e1", ("ac0",), ("ac9",), ("action",), ("tag0", "tag2"))
    s = SimulatedSeeker(ep, space, config=SimulatorConfig(noise=noise), seed=seed)
    out = [s.opening()]
    for action in (Action.recommend(["co1", "ac2", "dr3"]), Action.ask(), Action.recommend(["ho1", "ac4", "ro2"]),
                   Action.recommend(["ac5", "ac9"])):
        out.append(s.respond(action))
    return out


def test_seeker_is_deterministic_under_a_seed(space):
    assert _play(space, 7, 0.0) == _play(space, 7, 0.0)
    assert _play(space, 7, 0.5) == _play(space, 7, 0.5)  # even with seeded answer noise


def test_seeker_reacts_by_similarity_reveals_tags_and_accepts_targets(space):
    ep = SeekerEpisode("e1", ("ac0",), ("ac9",), ("action",), ("tag0",))
    s = SimulatedSeeker(ep, space, titles={"ac0": "Action 0"}, config=SIM)
    assert "Action 0" in s.opening() and "action" in s.opening()
    r1 = s.respond(Action.recommend(["ac2", "co1"]))
    assert r1.reactions == {"ac2": "like", "co1": "dislike"} and not r1.done
    r2 = s.respond(Action.ask())
    assert r2.revealed == ("tag0",) and "tag0" in r2.text
    assert s.respond(Action.ask()).revealed == ()  # nothing left to reveal
    r4 = s.respond(Action.recommend(["co2", "ac9"]))
    assert r4.accepted == "ac9" and r4.done
    with pytest.raises(InputError):
        s.respond(Action.ask())


def test_seeker_gives_up_after_its_patience(space):
    s = SimulatedSeeker(SeekerEpisode("e", (), ("ac9",)), space, config=SimulatorConfig(max_turns=2))
    assert not s.respond(Action.recommend(["co1"])).done
    assert s.respond(Action.recommend(["co2"])).done


def test_episodes_from_redial_use_suggested_and_liked_as_targets(space):
    d = Dialogue(
        "42", 1, 2,
        (Turn("I loved @ac0", 1, True, ("ac0",), 0, 0), Turn("try @ac9 or @co1", 2, False, ("ac9", "co1"), 1, 1)),
        {"ac0": "Action 0", "ac9": "Action 9", "co1": "Comedy 1"},
        {"ac0": MovieLabel(False, True, True), "ac9": MovieLabel(True, False, True), "co1": MovieLabel(True, False, False)},
        {},
    )
    (ep,) = episodes_from_redial([d], space, SimulatorConfig(n_opening_tags=1, n_hint_tags=2))
    assert ep.seed_ids == ("ac0",) and ep.target_ids == ("ac9",)
    assert ep.opening_tags == ("action",) and ep.hint_tags == ("tag0",)


def test_episodes_from_interactions_hold_out_one_liked_item(space):
    inter = [Interaction("u1", "ac1", "liked", 1.0), Interaction("u1", "ac2", "liked", 2.0),
             Interaction("u1", "ac3", "liked", 3.0), Interaction("u2", "co1", "liked", 1.0)]
    (ep,) = episodes_from_interactions(inter, space)  # u2 has one like only: no episode
    assert ep.target_ids == ("ac3",) and ep.seed_ids == ("ac2", "ac1")
    again = episodes_from_interactions(inter, space)
    assert again == [ep]
    train, held = split_users([f"u{i}" for i in range(100)], 0.2, seed=1)
    assert not set(train) & set(held) and 5 < len(held) < 40
    assert (train, held) == split_users([f"u{i}" for i in range(100)], 0.2, seed=1)
