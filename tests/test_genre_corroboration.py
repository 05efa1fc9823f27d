"""CMU's format and audience genres need Wikipedia's support (tools/catalog/genre_corroboration.py)."""

from __future__ import annotations

import pytest

from tools.catalog.genre_corroboration import corroborated_genres, kind_phrase, opening_sentence


def row(genres: list[str], extract: str) -> dict:
    return {"genres_wikipedia": genres, "extract": extract}


def test_stop_motion_effects_do_not_make_a_live_action_film_animation() -> None:
    kept, dropped = corroborated_genres(
        ("action", "adventure", "animation", "horror", "science fiction", "thriller"),
        row(["Science Fiction", "Action"], "Aliens is a 1986 science fiction action film written and directed by "
            "James Cameron. It is the sequel to the 1979 film Alien."), ["Stop motion", "Horror"])
    assert dropped == ("animation",)
    assert kept == ("action", "adventure", "horror", "science fiction", "thriller")  # story genres stay


def test_a_family_drama_is_not_a_family_film_but_a_family_film_is() -> None:
    godfather = row(["Crime", "Drama"], "The Godfather is a 1972 American crime film directed by Francis Ford "
                    "Coppola. It is the first installment in The Godfather trilogy.")
    assert corroborated_genres(("crime", "drama", "family"), godfather, ["Crime Drama", "Family Drama"]) == (
        ("crime", "drama"), ("family",))
    # CMU files Star Wars for families: kept though Wikipedia says "space opera"
    star_wars = row(["Science Fiction"], "Star Wars is a 1977 American epic space opera film written and directed "
                    "by George Lucas.")
    kept, dropped = corroborated_genres(("action", "family", "science fiction", "western"), star_wars,
                                        ["Family Film", "Space western"])
    assert kept == ("action", "family", "science fiction") and dropped == ("western",)
    # an animated film is a family film even when neither source says "family"
    toy = row(["Animated", "Comedy"], "Toy Story is a 1995 American computer-animated comedy film.")
    assert corroborated_genres(("animation", "comedy", "family"), toy, ["Family Drama"])[1] == ()


@pytest.mark.parametrize(("genre", "opening"), [
    ("musical", "Little Shop of Horrors is a 1986 American rock musical horror comedy film."),
    ("documentary", "Bowling for Columbine is a 2002 American documentary film."),
    ("western", "Unforgiven is a 1992 American western film."),
    ("family", "Paddington is a 2014 family comedy film."),
])
def test_the_opening_sentence_supports_a_genre(genre: str, opening: str) -> None:
    assert corroborated_genres(("comedy", genre), row([], opening)) == (("comedy", genre), ())


def test_only_the_first_sentence_counts() -> None:
    r = row(["Drama"], "Oliver Twist is a 2005 drama film. It was later adapted into a stage musical.")
    assert corroborated_genres(("drama", "musical"), r) == (("drama",), ("musical",))
    assert opening_sentence("A film by J. R. Smith. Later text.") == "A film by J. R. Smith"


def test_without_anything_to_check_against_cmu_stands() -> None:
    assert corroborated_genres(("animation", "documentary"), None) == (("animation", "documentary"), ())
    assert corroborated_genres(("western",), row([], "")) == (("western",), ())


def test_what_the_film_is_called_not_what_it_is_based_on() -> None:
    hacksaw = row(["Documentary", "War", "Biography"], "Hacksaw Ridge is a 2016 biographical war film directed by "
                  "Mel Gibson, based on the 2004 documentary The Conscientious Objector. It stars Andrew Garfield.")
    assert kind_phrase(hacksaw["extract"]) == " 2016 biographical war film"
    # Wikipedia's own list is the only source here, so the opening sentence must say it
    assert corroborated_genres(("documentary", "war", "biography"), hacksaw, source="wikipedia") == (
        ("war", "biography"), ("documentary",))
    # as a second source for CMU's genres, the list itself counts
    assert corroborated_genres(("documentary", "war"), hacksaw)[1] == ()
    with pytest.raises(ValueError, match="source"):
        corroborated_genres(("war",), hacksaw, source="imdb")
    # Wikipedia's own "Family" is the audience: Home Alone stays a family film
    home_alone = row(["Comedy", "Family"], "Home Alone is a 1990 American Christmas comedy film.")
    assert corroborated_genres(("comedy", "family"), home_alone, source="wikipedia") == (("comedy", "family"), ())


def test_a_genre_wikipedia_states_twice_is_added() -> None:
    from tools.catalog.genre_corroboration import confirmed_wikipedia_genres

    tdkr = row(["Superhero"], "The Dark Knight Rises is a 2012 superhero film directed by Christopher Nolan.")
    assert confirmed_wikipedia_genres(tdkr) == ("superhero",)
    # said once only (the list, or the sentence) is not enough; no row, nothing
    assert confirmed_wikipedia_genres(row(["Superhero"], "Unbreakable is a 2000 thriller film.")) == ()
    assert confirmed_wikipedia_genres(row(["Drama"], "Joker is a 2019 psychological thriller film.")) == ()
    assert confirmed_wikipedia_genres(None) == ()
