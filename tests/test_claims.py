"""Claims read off the ranker, their templates, the claim checker and the claim-by-claim LLM form.

Known answers come from the tiny world in tests/recsys_world.py: recommenders always answered
Alien with Aliens, so "Aliens" for an Alien fan must carry a co-suggestion claim naming Alien
with the user's polarity "liked", and never a claim about a feature that pushed its score down.
"""

from __future__ import annotations

import json

import pytest

from tests.recsys_world import world
from tools.explain.claim_check import claim_violations
from tools.explain.claim_llm import check_claim_sentences, explain_with_claims
from tools.explain.claim_text import template_from_claims
from tools.explain.claims import Claim, ClaimContext, Polarity, Relation, build_claims, contribution_table
from tools.explain.evidence import EvidenceBundle
from tools.explain.faithfulness import Sentence
from tools.explain.faithfulness_titles import TitleIndex
from tools.recsys.request import RankedItem, RecRequest


@pytest.fixture(scope="module")
def ctx():
    cat, space, stats = world()
    return ClaimContext(space, stats, cat)


def _aliens(contributions: dict[str, float]) -> RankedItem:
    return RankedItem("2", 1.0, {"cosuggest": 0.8}, {"cosuggest": 0.8, "content": 0.95, "year_gap": 7.0},
                      contributions)


def _bundle(ctx, claims) -> EvidenceBundle:
    it = ctx.catalog.get(claims[0].subject_id)
    return EvidenceBundle(it.item_id, it.title, it.year, tuple(it.genres), claims=tuple(claims))


def test_aliens_for_an_alien_fan_is_there_because_of_alien(ctx):
    req = RecRequest(liked=("1",), genres_exclude=("musical",))
    claims = build_claims(_aliens({"cosuggest": 0.9, "content": 0.3, "suggested_prior": -0.2, "_bias": 0.1}),
                          req, ctx)
    top = claims[0]
    assert top.top and top.relation is Relation.LIKED_ALSO and top.objects == ("Alien",)
    assert top.polarity is Polarity.LIKED and top.value == 4.0  # four dialogues answered Alien with Aliens
    assert top.share == pytest.approx(0.9 / 1.2)
    rels = [c.relation for c in claims]
    assert Relation.SIMILAR_TO in rels
    assert Relation.POPULAR not in rels  # popularity pushed the score down: not a reason
    avoid = [c for c in claims if c.relation is Relation.AVOIDS]
    assert avoid and avoid[0].constraint and avoid[0].polarity is Polarity.RULED_OUT and avoid[0].objects == ("musical",)
    assert sum(c.top for c in claims) == 1


def test_a_card_that_only_meets_a_constraint_says_so(ctx):
    req = RecRequest(liked=("3",), year_min=1980, year_max=1990)
    claims = build_claims(_aliens({"n_context": 0.4, "cosuggest": -0.1}), req, ctx)
    assert all(c.constraint for c in claims)
    sents = template_from_claims(claims, "Aliens")
    assert "meets what you asked" in sents[0].text and "1986" in sents[0].text
    assert "mainly" not in " ".join(s.text for s in sents)
    assert check_claim_sentences(sents, _bundle(ctx, claims), TitleIndex.coerce(ctx.catalog)).passed


def test_mainly_only_for_a_top_claim_that_carries_most_of_the_push(ctx):
    req = RecRequest(liked=("1",))
    strong = template_from_claims(build_claims(_aliens({"cosuggest": 0.9, "content": 0.1}), req, ctx), "Aliens")
    split = template_from_claims(build_claims(_aliens({"cosuggest": 0.4, "content": 0.35, "genre_liked_overlap": 0.3}), req, ctx), "Aliens")
    assert "mainly because" in strong[0].text
    assert "mainly" not in split[0].text and "because" in split[0].text


def test_claims_round_trip_through_the_stored_bundle(ctx):
    claims = build_claims(_aliens({"cosuggest": 0.9, "content": 0.3}), RecRequest(liked=("1",)), ctx)
    b = _bundle(ctx, claims)
    again = EvidenceBundle.from_dict(json.loads(json.dumps(b.to_dict())))
    assert again.claims == b.claims and again.facts() == b.facts()
    with pytest.raises(ValueError, match="Claim.to_dict"):
        Claim.from_dict({"key": "x"})


def test_contribution_table_names_the_claim_each_feature_backs():
    rows = contribution_table({"cosuggest": 0.8}, {"cosuggest": 0.9, "n_context": -0.2, "_bias": 0.1})
    assert rows[0] == {"feature": "cosuggest", "value": 0.8, "contribution": 0.9, "claim": "liked_also"}
    assert rows[1]["claim"].startswith("(context") and rows[-1]["feature"] == "(baseline)"


# -- the checker must reject what is wrong and accept what is right -----------------------------------

@pytest.fixture(scope="module")
def card(ctx):
    req = RecRequest(liked=("1",), genres_exclude=("musical",))
    claims = build_claims(_aliens({"cosuggest": 0.9, "content": 0.3}), req, ctx)
    return _bundle(ctx, claims), TitleIndex.coerce(ctx.catalog)


@pytest.mark.parametrize("text,key,why", [
    ("Conversations that brought up Alien, which you hated, went on to suggest it 4 times.", "liked_also",
     "says you disliked"),
    ("It is a musical film, as you asked.", "avoids_1", "says you asked for"),
    ("Its story is close to Up, which you liked.", "similar_to", "names catalog item 'Up'|does not name its film"),
    ("Conversations that brought up Alien, which you liked, went on to suggest it 9 times.", "liked_also",
     "number '9'"),
    ("Aliens is here mainly because its story is close to Alien, which you liked.", "similar_to",
     "largest contributor"),
    ("People who brought up Alien were pointed to it.", "similar_to", "what other people did"),
    ("Its story is close to Alien, which you liked, and it stars Tom Hanks.", "similar_to", "Tom Hanks|cast/crew"),
    ("It has comedy in common with films you liked.", "similar_to", "comedy"),
    # a refusal the evidence does not record, tacked onto a true statement (seen from SmolLM2 in a chat)
    ("Its story is close to Alien, which you liked, which you ruled out in past conversations.", "similar_to",
     "refusal"),
    ("Conversations that brought up Alien went on to suggest it 4 times, though you hated that.", "liked_also",
     "refusal"),
    # the card's own film is new to the user (seen from SmolLM2 in a chat: "... is one of your favorite films")
    ("Aliens is one of your favorite films, and people who brought up Alien were pointed to it 4 times.",
     "liked_also", "new suggestion"),
])
def test_the_checker_rejects_a_wrong_statement(card, text, key, why):
    bundle, index = card
    result = check_claim_sentences([Sentence(text, (key,))], bundle, index)
    assert not result.passed
    assert any(__import__("re").search(why, v) for v in result.violations), result.violations


@pytest.mark.parametrize("text,key", [
    ("Conversations that brought up Alien, which you liked, went on to suggest it 4 times.", "liked_also"),
    ("Since you enjoyed Alien: chats about it led to Aliens 4 times.", "liked_also"),
    ("Its story resembles Alien, which you loved.", "similar_to"),
    ("It is not a musical film, which you ruled out.", "avoids_1"),
    ("Aliens is here mainly because people who brought up Alien were pointed to it 4 times.", "liked_also"),
    ("You loved Alien, and people who brought it up were pointed to Aliens 4 times.", "liked_also"),
    ("Aliens: people who brought up Alien, which you liked, were pointed to it 4 times.", "liked_also"),
])
def test_the_checker_accepts_a_right_statement(card, text, key):
    bundle, index = card
    result = check_claim_sentences([Sentence(text, (key,))], bundle, index)
    assert result.passed, result.violations


def test_polarity_reads_the_relative_clause_even_in_a_title_with_a_colon():
    c = Claim("liked_also", Relation.LIKED_ALSO, "9", "Step Brothers", Polarity.LIKED,
              ("Talladega Nights: The Ballad of Ricky Bobby",), value=2.0, top=True, share=1.0, contribution=1.0)
    bad = "Conversations that brought up Talladega Nights: The Ballad of Ricky Bobby, which you said you hated, went on"
    assert claim_violations([Sentence(bad, ("liked_also",))], [c])
    good = bad.replace("which you said you hated", "which you liked")
    assert not claim_violations([Sentence(good, ("liked_also",))], [c])


def test_the_cards_title_inside_a_longer_liked_title_is_that_other_film():
    """Seen in the load run: the card "Hangover" (2010) for a fan of "The Hangover" was refused because
    "you liked The Hangover" was read as liking the card's own film."""
    c = Claim("liked_also", Relation.LIKED_ALSO, "122552", "Hangover", Polarity.LIKED,
              ("The Hangover",), value=2.0, top=True, share=1.0, contribution=1.0)
    good = "You liked The Hangover, and conversations about it went on to suggest Hangover."
    assert not claim_violations([Sentence(good, ("liked_also",))], [c])
    bad = "Hangover, which you liked, came up in conversations about The Hangover."
    assert any("new suggestion" in v for v in claim_violations([Sentence(bad, ("liked_also",))], [c]))


def test_a_liked_title_inside_the_cards_longer_title_is_the_card():
    """The mirror case: the card "The Hangover Part II" for a fan of "The Hangover". The card's own name
    does not name the liked film, and an attitude next to it is about the card, not about the film liked."""
    c = Claim("liked_also", Relation.LIKED_ALSO, "200", "The Hangover Part II", Polarity.LIKED,
              ("The Hangover",), value=2.0, top=True, share=1.0, contribution=1.0)
    good = "You liked The Hangover, and The Hangover Part II brings the same wolf pack back."
    assert not claim_violations([Sentence(good, ("liked_also",))], [c])
    unnamed = "The Hangover Part II is a comedy that people recommend."
    assert any("does not name its film 'The Hangover'" in v
               for v in claim_violations([Sentence(unnamed, ("liked_also",))], [c]))
    bad = "The Hangover Part II, which you liked, is the next one to watch."
    assert any("new suggestion" in v for v in claim_violations([Sentence(bad, ("liked_also",))], [c]))


# -- the claim-by-claim LLM form --------------------------------------------------------------------

class _Reply:
    def __init__(self, content: str) -> None:
        self.content = content


class _Model:
    """A fake chat model answering with fixed JSON replies, in order (what guided decoding returns)."""

    def __init__(self, *replies: dict) -> None:
        self.replies = [json.dumps(r) for r in replies]
        self.calls = 0

    def bind(self, **kwargs: object) -> _Model:
        self.formats = [*getattr(self, "formats", []), kwargs.get("response_format")]
        return self

    def invoke(self, _messages: object) -> _Reply:
        self.calls += 1
        return _Reply(self.replies[min(self.calls, len(self.replies)) - 1])


def test_llm_sentences_are_checked_one_by_one_and_the_main_reason_is_kept(card):
    bundle, index = card
    model = _Model({"sentences": [
        {"claim": "similar_to", "text": "Its story resembles Alien, which you loved."},
        {"claim": "avoids_1", "text": "It is a musical film, as you asked."}]})
    exp = explain_with_claims(bundle, model, index)
    assert exp.path == "llm" and exp.check.passed
    keys = [s.evidence_keys[0] for s in exp.sentences]
    assert keys == ["liked_also", "similar_to"]  # the failed sentence dropped; the top reason's template first
    assert any("avoids_1" in r and "asked for" in r for r in exp.rejected)


def test_llm_text_with_json_debris_or_only_wrong_sentences_falls_back_to_the_template(card):
    bundle, index = card
    debris = _Model({"sentences": [{"claim": "liked_also", "text": "It is good'}]}]]]"}]})
    exp = explain_with_claims(bundle, debris, index)
    assert exp.path == "template" and exp.check.passed and debris.calls == 2
    wrong = _Model({"sentences": [{"claim": "liked_also", "text": "You hated Alien, which you hated."}]})
    exp = explain_with_claims(bundle, wrong, index)
    assert exp.path == "template" and len(exp.rejected) == 2


def test_every_card_is_asked_with_one_schema_and_a_key_not_on_the_card_is_dropped(card, ctx):
    """A per-card enum of claim keys made the server compile a new grammar for most cards."""
    from tools.explain.claim_llm import CLAIM_KEYS

    bundle, index = card
    other = _bundle(ctx, build_claims(_aliens({"content": 0.9}), RecRequest(liked=("1",), year_min=1980), ctx))
    assert {c.key for c in bundle.claims} != {c.key for c in other.claims}
    assert {c.key for c in (*bundle.claims, *other.claims)} <= set(CLAIM_KEYS)
    model = _Model({"sentences": [
        {"claim": "causal_effect", "text": "Being suggested raised the chance it was liked."},  # not on this card
        {"claim": "similar_to", "text": "Its story resembles Alien, which you loved."}]})
    exp = explain_with_claims(bundle, model, index)
    assert exp.path == "llm" and "causal_effect" not in [s.evidence_keys[0] for s in exp.sentences]
    assert "similar_to" in [s.evidence_keys[0] for s in exp.sentences]
    explain_with_claims(other, model, index)
    assert model.formats[0] == model.formats[-1]  # the same schema for two cards with different claims
    # only keys this card lacks, twice: no LLM text, the template stands, and the reason is recorded
    off = _Model({"sentences": [{"claim": "causal_effect", "text": "Being suggested raised the chance it was liked."}]})
    exp = explain_with_claims(bundle, off, index)
    assert exp.path == "template" and off.calls == 2 and "no sentence names a reason of this card" in exp.rejected[0]


def test_the_checker_meets_its_targets_on_the_stored_test_set_of_real_cards():
    """>= 98% of the wrong explanations rejected, >= 95% of the right ones accepted (issue targets)."""
    from pathlib import Path

    from evals.explain_checkset import OUT, load
    from tools.catalog.catalog import load_catalog

    cases = load(OUT)
    wrong = [c for c in cases if c[0] == "wrong"]
    right = [c for c in cases if c[0] == "right"]
    assert len(wrong) >= 200 and len(right) >= 200
    index = TitleIndex.coerce(load_catalog(Path(__file__).resolve().parents[1] / "tools" / "data" / "demo"))
    rejected = sum(not check_claim_sentences(s, b, index).passed for _, _, b, s in wrong)
    accepted = sum(check_claim_sentences(s, b, index).passed for _, _, b, s in right)
    assert rejected / len(wrong) >= 0.98 and accepted / len(right) >= 0.95, (rejected, accepted)


def test_a_causal_claim_only_for_an_effect_whose_segment_interval_excludes_zero(ctx):
    from types import SimpleNamespace

    req = RecRequest(liked=("1",))
    ranked = _aliens({"cosuggest": 0.9})

    def effect(lo, hi, est):
        return lambda item: SimpleNamespace(low=lo, high=hi, estimate=est, label="science fiction films",
                                            segment="genre:science fiction")

    none = build_claims(ranked, req, ClaimContext(ctx.space, ctx.stats, ctx.catalog, segment_effect=effect(-0.02, 0.05,
                                                                                                           0.01)))
    assert all(c.relation is not Relation.CAUSAL_EFFECT for c in none)
    claims = build_claims(ranked, req, ClaimContext(ctx.space, ctx.stats, ctx.catalog,
                                                    segment_effect=effect(-0.09, -0.01, -0.05)))
    causal = [c for c in claims if c.relation is Relation.CAUSAL_EFFECT]
    assert causal and causal[0].objects == ("science fiction films",) and causal[0].contribution == 0.0
    bundle = _bundle(ctx, claims)
    right = template_from_claims(claims, "Aliens")[-1]
    assert "lowered" in right.text and check_claim_sentences([right], bundle, None).passed
    # an effect against the film is said as a caution, not read as one more reason for it
    assert right.text.startswith("One caution: in past conversations about science fiction films"), right.text
    wrong = Sentence(right.text.replace("lowered", "raised"), right.evidence_keys)
    assert "direction of the effect" in " ".join(check_claim_sentences([wrong], bundle, None).violations)


def test_a_bare_title_from_the_model_is_not_an_explanation(card):
    bundle, index = card
    exp = explain_with_claims(bundle, _Model({"sentences": [{"claim": "liked_also", "text": "Alien."}]}), index)
    assert exp.path == "template" and any("not a sentence" in r for r in exp.rejected)


def test_every_ranker_feature_but_the_request_size_belongs_to_a_reason():
    """A new ranker feature must say which reason its push is, or its contribution is shown as context only."""
    from tools.explain.claims import RELATION_FEATURES
    from tools.recsys.features import FEATURES

    owned = {f for feats in RELATION_FEATURES.values() for f in feats}
    assert set(FEATURES) - owned == {"n_context", "n_liked"}
    assert owned <= set(FEATURES)


def test_a_liked_film_two_reasons_share_is_introduced_once():
    """Seen in the fast load run: "Groundhog Day, which you liked, came up together with it ... and Bill
    Murray, from Groundhog Day, which you liked, is in it" failed our own check (it repeats itself)."""
    top = Claim("genre", Relation.MATCHES_GENRE, "z", "Zombieland", Polarity.ASKED_FOR, ("comedy",), value=None,
                top=True, share=0.5, contribution=1.0)
    co = Claim("liked_also", Relation.LIKED_ALSO, "z", "Zombieland", Polarity.LIKED, ("Groundhog Day",), value=1.0,
               share=0.3, contribution=0.6, detail="comention")
    star = Claim("person", Relation.HAS_PERSON, "z", "Zombieland", Polarity.LIKED, ("Bill Murray",),
                 share=0.2, contribution=0.4, detail="cast:Groundhog Day")
    sents = template_from_claims([top, co, star], "Zombieland")
    text = " ".join(s.text for s in sents)
    assert text.count("which you liked") == 1 and "Bill Murray, from Groundhog Day, is in it" in text
    words = [w.strip(".,").lower() for w in text.split()]
    grams = [tuple(words[i:i + 5]) for i in range(len(words) - 4)]
    assert len(grams) == len(set(grams))
    assert not claim_violations(sents, [top, co, star])


def test_a_film_two_clauses_of_one_sentence_share_is_not_named_twice_in_it():
    """Seen in the fast load run: "Also, Rick Moranis, from Honey, I Shrunk the Kids, which you liked, is in
    it and its story is close to Honey, I Shrunk the Kids too." failed our own check (it repeats itself)."""
    top = Claim("genre_liked", Relation.SHARES_GENRE, "p", "Parenthood", Polarity.LIKED, ("comedy",), top=True,
                share=0.6, contribution=1.0)
    star = Claim("person", Relation.HAS_PERSON, "p", "Parenthood", Polarity.LIKED, ("Rick Moranis",),
                 share=0.2, contribution=0.3, detail="cast:Honey, I Shrunk the Kids")
    story = Claim("content", Relation.SIMILAR_TO, "p", "Parenthood", Polarity.LIKED, ("Honey, I Shrunk the Kids",),
                  share=0.1, contribution=0.2)
    sents = template_from_claims([top, star, story], "Parenthood")
    assert [s.text for s in sents[1:]] == [
        "Also, Rick Moranis, from Honey, I Shrunk the Kids, which you liked, is in it.",
        "Its story is close to Honey, I Shrunk the Kids too."]
    bundle = EvidenceBundle("p", "Parenthood", 1989, ("comedy", "drama", "family"), claims=(top, star, story))
    assert check_claim_sentences(sents, bundle, None).passed


@pytest.mark.parametrize(("lo", "hi", "said"), [(1986, None, "from 1986 on"), (None, 1986, "up to 1986"),
                                                  (1980, 1989, "1980-1989")])
def test_a_year_bound_is_named_as_inclusive_as_it_is(ctx, lo, hi, said):
    """"nothing too old" keeps 1990 itself: a card from the bound year is inside the range, so the claim
    may not say "after 1990" (seen in a chat: "It is from 2004, inside the years you asked for (after 1990)")."""
    claims = build_claims(_aliens({"cosuggest": 0.9}), RecRequest(liked=("1",), year_min=lo, year_max=hi), ctx)
    years = next(c for c in claims if c.key == "in_year_range")
    assert years.objects == (said,) and years.value == 1986


def test_a_genre_ruled_out_by_the_audience_is_not_claimed_as_the_users_refusal(ctx):
    """"For my 6-year-old" keeps horror off the slate, but the user never said "no horror": a card
    claiming "avoids horror, which you ruled out" would put words in their mouth."""
    from agent.state import DialogueState
    from agent.turn.dialogue import apply_update, request_for
    from agent.turn.state_update import StateUpdate

    state = DialogueState()
    apply_update(state, StateUpdate(act="recommend", audience="young_children", genres_disliked=("musical",)))
    req = request_for(state, ["something for my 6 year old, no musicals"])
    assert "horror" in req.genres_exclude and "horror" in req.genres_implied_out
    assert "musical" not in req.genres_implied_out
    avoided = {o for c in build_claims(_aliens({"cosuggest": 0.9}), req, ctx) if c.relation is Relation.AVOIDS
               for o in c.objects}
    assert avoided == {"musical"}


def test_a_clause_about_a_disliked_film_never_shares_a_sentence_with_one_about_liked_ones(ctx):
    """"Also, it is far from Die Hard, which you did not like, and it has comedy in common with films you
    liked" failed our own check (comedy read as disliked), and the template was cut to its first sentence."""
    req = RecRequest(liked=("1",), disliked=("3",))
    claims = build_claims(_aliens({"cosuggest": 0.5, "content_disliked": 0.3, "genre_liked_overlap": 0.25}), req, ctx)
    rels = [c.relation for c in claims if not c.constraint]
    assert Relation.UNLIKE in rels and Relation.SHARES_GENRE in rels
    sents = template_from_claims(claims, "Aliens")
    for s in sents:
        assert not ("did not like" in s.text and "you liked" in s.text), s.text
    assert any("did not like" in s.text for s in sents) and any("in common with films you liked" in s.text for s in sents)
    assert check_claim_sentences(sents, _bundle(ctx, claims), TitleIndex.coerce(ctx.catalog)).passed


def test_the_pronoun_it_is_no_mention_of_the_film_it():
    """Seen in the fast load run: a card for someone who had mentioned It (2017) was refused with
    "sentence 2 says you asked for 'It'": "Also, it is a well-known pick ... what you asked for"."""
    c = Claim("liked_also", Relation.LIKED_ALSO, "9", "Annabelle", Polarity.MENTIONED, ("It",), value=7.0,
              top=True, share=1.0, contribution=1.0)
    q = Claim("matches_words", Relation.MATCHES_WORDS, "9", "Annabelle", Polarity.ASKED_FOR, ("haunted",), value=0.4)
    first = Sentence("Annabelle is here because It, which you mentioned, came up together with it in 7 past "
                     "conversations.", ("liked_also",))
    sim = Claim("similar_to", Relation.SIMILAR_TO, "9", "Annabelle", Polarity.MENTIONED, ("It",), value=0.6)
    second = Sentence("Its story is close to It; also, it fits what you asked for.",
                      ("similar_to", "matches_words"))
    assert not claim_violations([first, second], [c, q, sim])
    # written as the film, the title is still read: a wrong attitude to It is caught
    bad = Sentence("Annabelle is here because It, which you hated, came up with it in 7 conversations.",
                   ("liked_also",))
    assert claim_violations([bad], [c])


def test_a_film_suggested_after_words_like_the_users_says_so_only_when_that_pushed(ctx):
    req = RecRequest(query_text="a scary space film", said="a scary space film")
    card = RankedItem("2", 1.0, {"talk": 0.5}, {"talk": 0.5, "rank_talk": 0.0}, {"talk": 0.7, "rank_talk": 0.2})
    claims = build_claims(card, req, ctx)
    top = claims[0]
    assert top.relation is Relation.ASKED_ALIKE and top.top and top.share == pytest.approx(1.0)
    sents = template_from_claims(claims, "Aliens")
    assert "people who asked for something like this in past conversations were pointed to it" in sents[0].text
    assert check_claim_sentences(sents, _bundle(ctx, claims), TitleIndex.coerce(ctx.catalog)).passed
    # the same card whose talk features pulled it down, or that no past request was answered with, claims nothing
    down = RankedItem("2", 1.0, {}, {"talk": 0.5}, {"talk": -0.3, "cosuggest": 0.2})
    assert Relation.ASKED_ALIKE not in [c.relation for c in build_claims(down, req, ctx)]
    never = RankedItem("2", 1.0, {}, {"talk": 0.0}, {"talk": 0.4})
    assert Relation.ASKED_ALIKE not in [c.relation for c in build_claims(never, req, ctx)]


def test_a_film_named_again_says_one_conversation_in_the_singular(ctx):
    """Found by chatting: "Toy Story came up together with it in 1 past conversations too"."""
    from tools.explain.claim_text import clause

    once = Claim("liked_also", Relation.LIKED_ALSO, "4", "Up", Polarity.LIKED, ("Toy Story",), value=1.0,
                 detail="comention")
    assert clause(once, again=True) == "Toy Story came up together with it in 1 past conversation too"
    assert clause(_replace_value(once, 3.0), again=True).endswith("in 3 past conversations too")


def _replace_value(c: Claim, value: float) -> Claim:
    from dataclasses import replace

    return replace(c, value=value)


def test_a_talk_reason_standing_alone_after_another_names_the_film_and_passes(ctx):
    """"Also, people who asked ... were pointed to it." named nothing its fact holds: our own check
    rejected the template at run time (You've Got Mail under "Tom Hanks")."""
    req = RecRequest(query_text="a scary space film", said="a scary space film")
    card = RankedItem("2", 1.0, {"talk": 0.5}, {"talk": 0.5, "rank_talk": 0.0, "mentioned_prior": 1.6},
                      {"mentioned_prior": 0.7, "talk": 0.3})
    claims = build_claims(card, req, ctx)
    sents = template_from_claims(claims, "Aliens")
    alone = [s for s in sents if s.evidence_keys == ("asked_alike",)]
    assert alone and alone[0].text.endswith("were pointed to Aliens."), [s.text for s in sents]
    assert check_claim_sentences(sents, _bundle(ctx, claims), TitleIndex.coerce(ctx.catalog)).passed
    # the unnamed form is what the check must keep rejecting
    unnamed = Sentence("Also, people who asked for something like this in past conversations were pointed to it.",
                       ("asked_alike",))
    assert not check_claim_sentences([sents[0], unnamed], _bundle(ctx, claims), TitleIndex.coerce(ctx.catalog)).passed


def test_the_cards_own_title_is_a_name_not_a_claim_about_its_story():
    """A card without claims said "Toy Story is here on the overall pattern ...", and its title's
    "Story" was read as a claim about the plot."""
    plain = Sentence("Toy Story is here on the overall pattern of what you said; no single reason stood out for it.",
                     ("item.title",))
    assert claim_violations([plain], [], title="Toy Story") == []
    assert claim_violations([plain], [])  # without the title it reads as a story claim
    story = Sentence("Toy Story is here because its story is close to Alien.", ("item.title",))
    assert any("talks about" in v for v in claim_violations([story], [], title="Toy Story"))


def test_a_story_is_close_only_when_more_alike_than_most_pairs_of_the_catalogs_films():
    """Once the films' own titles left the vector texts, random pairs of films grew more alike (median cosine
    .21 -> .25) and the fixed 0.3 let "its story is close to Amélie" onto Friday the 13th: "close" is now
    the catalog's own 90th percentile of random pairs."""
    import numpy as np

    from tools.catalog.catalog import Catalog, Item
    from tools.recsys.cooccurrence import CoSuggestionStats
    from tools.recsys.item_space import CLOSE_STORY_DEFAULT, ItemSpace

    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(400, 16))
    vectors[:, 0] += 3.5  # every plot shares a common part: random pairs are alike
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    items = [Item(str(n), f"Film {n}", 2000, ("drama",)) for n in range(400)]
    cat = Catalog(items=tuple(items), name="alike")
    space = ItemSpace.from_catalog(cat, ([it.item_id for it in items], vectors.astype(np.float32)))
    sims = vectors @ vectors.T
    every_pair = sims[np.triu_indices(400, 1)]
    assert space.close_story == pytest.approx(np.percentile(every_pair, 90), abs=0.02)
    assert space.close_story > CLOSE_STORY_DEFAULT
    # a liked film as alike as a typical pair: no "its story is close to" claim, though the feature pushed
    typical = int(np.argmin(np.abs(sims[0, 1:] - np.median(every_pair)))) + 1
    closest = int(np.argmax(sims[0, 1:])) + 1
    ctx = ClaimContext(space, CoSuggestionStats.fit([], space), cat)

    def claims_for(row: int) -> list:
        ranked = RankedItem(str(row), 1.0, {"content": 1.0}, {"content": float(sims[0, row])},
                            {"content": 0.5, "suggested_prior": 0.1})
        return [c.relation for c in build_claims(ranked, RecRequest(liked=("0",)), ctx)]

    assert Relation.SIMILAR_TO not in claims_for(typical)
    assert Relation.SIMILAR_TO in claims_for(closest)
    # a tiny catalog's random pairs say little: the fixed floor
    assert world()[1].close_story == CLOSE_STORY_DEFAULT
