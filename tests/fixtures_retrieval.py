"""Retrieval fixtures: a small known-answer catalog, the real embedder (loaded once), indexes.

The catalog is hand-written so the right answers are known: five horror films, three Pixar
films, a couple of romances, war films, sci-fi, etc., with genres, tags and years chosen so
every filter has something to include and something to exclude.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tools.catalog.catalog import Catalog, Item

_RAW = [
    # id, title, year, genres, tags, popularity, description
    ("1", "Toy Story", 1995, ("Animation", "Comedy", "Family"), ("pixar", "toys", "friendship"), 0.95,
     "A cowboy doll feels threatened when a new space ranger action figure becomes the boy's favourite toy."),
    ("2", "Toy Story 2", 1999, ("Animation", "Comedy", "Family"), ("pixar", "toys", "sequel"), 0.80,
     "Woody is stolen by a toy collector and his friends set out to rescue him."),
    ("3", "Finding Nemo", 2003, ("Animation", "Family", "Adventure"), ("pixar", "ocean", "father and son"), 0.90,
     "A clownfish crosses the ocean to find his son who was captured by a diver."),
    ("4", "A Nightmare on Elm Street", 1984, ("Horror",), ("slasher", "dreams", "scary"), 0.70,
     "Freddy Krueger, a burned killer with a bladed glove, murders teenagers in their dreams."),
    ("5", "Halloween", 1978, ("Horror", "Thriller"), ("slasher", "scary", "masked killer"), 0.75,
     "Michael Myers escapes a sanitarium and stalks a babysitter on Halloween night."),
    ("6", "The Conjuring", 2013, ("Horror", "Supernatural"), ("haunted house", "scary", "demons"), 0.85,
     "Paranormal investigators help a family terrorized by a dark presence in their farmhouse."),
    ("7", "It", 2017, ("Horror",), ("clown", "scary", "coming of age"), 0.88,
     "A group of bullied kids band together to fight a shape-shifting clown that feeds on fear."),
    ("8", "The Shining", 1980, ("Horror", "Drama"), ("haunted hotel", "scary", "stephen king"), 0.86,
     "A writer becomes winter caretaker of an isolated hotel and is driven to madness and violence."),
    ("9", "Hereditary", 2018, ("Horror", "Drama"), ("grief", "cult", "scary"), 0.55,
     "After the death of her secretive mother, a grieving family is haunted by terrifying occurrences."),
    ("10", "The Notebook", 2004, ("Romance", "Drama"), ("love story", "tearjerker"), 0.78,
     "A poor young man and a rich young woman fall in love in the 1940s, told from a nursing home."),
    ("11", "Pride & Prejudice", 2005, ("Romance", "Drama"), ("period piece", "love story", "jane austen"), 0.60,
     "Elizabeth Bennet spars with the proud Mr. Darcy in Regency England."),
    ("12", "Titanic", 1997, ("Romance", "Drama"), ("love story", "ship", "disaster"), 0.97,
     "A young aristocrat falls in love with a poor artist aboard the doomed ocean liner."),
    ("13", "Saving Private Ryan", 1998, ("War", "Drama"), ("world war ii", "soldiers", "violent"), 0.83,
     "After the D-Day landings a squad of soldiers goes behind enemy lines to bring a paratrooper home."),
    ("14", "Dunkirk", 2017, ("War", "Thriller"), ("world war ii", "evacuation", "soldiers"), 0.65,
     "Allied soldiers are surrounded on a French beach and evacuated across the Channel."),
    ("15", "The Matrix", 1999, ("Science Fiction", "Action"), ("virtual reality", "mind-bending", "kung fu"), 0.92,
     "A hacker learns that reality is a simulation run by machines and joins the rebellion."),
    ("16", "Inception", 2010, ("Science Fiction", "Thriller"), ("dreams", "heist", "mind-bending"), 0.91,
     "A thief who steals secrets through dream-sharing is asked to plant an idea instead."),
    ("17", "Interstellar", 2014, ("Science Fiction", "Drama"), ("space", "time travel", "father and daughter"), 0.87,
     "Astronauts travel through a wormhole in search of a new home for humanity."),
    ("18", "Alien", 1979, ("Science Fiction", "Horror"), ("space", "monster", "scary"), 0.80,
     "The crew of a commercial spaceship is hunted by a deadly extraterrestrial creature."),
    ("19", "The Hangover", 2009, ("Comedy",), ("bachelor party", "las vegas", "raunchy"), 0.79,
     "Three friends wake up in Las Vegas with no memory of the bachelor party and a missing groom."),
    ("20", "Superbad", 2007, ("Comedy",), ("teen", "high school", "raunchy"), 0.70,
     "Two co-dependent high school seniors try to score alcohol for a party before graduation."),
    ("21", "Groundhog Day", 1993, ("Comedy", "Fantasy"), ("time loop", "feel good"), 0.72,
     "A cynical weatherman relives the same day over and over in a small town."),
    ("22", "The Godfather", 1972, ("Crime", "Drama"), ("mafia", "family", "classic"), 0.96,
     "The aging patriarch of a crime dynasty transfers control of his empire to his reluctant son."),
    ("23", "Goodfellas", 1990, ("Crime", "Drama"), ("mafia", "true story", "violent"), 0.82,
     "The story of Henry Hill and his life in the mob."),
    ("24", "Pulp Fiction", 1994, ("Crime",), ("nonlinear", "violent", "dark comedy"), 0.93,
     "The lives of two mob hitmen, a boxer and a pair of diner bandits intertwine."),
    ("25", "Jurassic Park", 1993, ("Adventure", "Science Fiction"), ("dinosaurs", "theme park"), 0.94,
     "Cloned dinosaurs escape in a theme park on a remote island."),
    ("26", "Jaws", 1975, ("Thriller", "Adventure"), ("shark", "ocean", "scary"), 0.84,
     "A police chief, a marine biologist and a fisherman hunt a great white shark."),
    ("27", "The Lion King", 1994, ("Animation", "Family", "Musical"), ("disney", "animals", "father and son"), 0.93,
     "A young lion prince flees his kingdom after his father's murder and must return to reclaim it."),
    ("28", "Frozen", 2013, ("Animation", "Family", "Musical"), ("disney", "sisters", "snow"), 0.89,
     "A princess sets off to find her sister, whose icy powers have trapped the kingdom in winter."),
    ("29", "Mad Max: Fury Road", 2015, ("Action", "Science Fiction"), ("post-apocalyptic", "car chase"), 0.81,
     "In a desert wasteland, a drifter and a rebel warrior flee a tyrant across the desert."),
    ("30", "Die Hard", 1988, ("Action", "Thriller"), ("christmas", "terrorists", "one-man army"), 0.85,
     "A New York cop battles terrorists who have taken over a Los Angeles skyscraper."),
    ("31", "Up", 2009, ("Animation", "Adventure"), ("pixar", "old age", "balloons"), 0.83,
     "An old widower ties thousands of balloons to his house and flies to South America."),
    ("32", "Get Out", 2017, ("Horror", "Thriller"), ("social satire", "hypnosis"), 0.77,
     "A young Black man visits his white girlfriend's family estate and uncovers a disturbing secret."),
    ("33", "Amélie", 2001, ("Romance", "Comedy"), ("paris", "whimsical", "feel good"), 0.62,
     "A shy waitress in Paris decides to change the lives of those around her for the better."),
    ("34", "The Silence of the Lambs", 1991, ("Thriller", "Crime", "Horror"), ("serial killer", "fbi"), 0.88,
     "An FBI trainee seeks the help of an imprisoned cannibal psychiatrist to catch another serial killer."),
    ("35", "Home Alone", 1990, ("Comedy", "Family"), ("christmas", "kids", "burglars"), 0.86,
     "An eight-year-old left home alone at Christmas defends the house against two burglars."),
    ("36", "Forrest Gump", 1994, ("Drama", "Romance"), ("feel good", "history", "classic"), 0.95,
     "A slow-witted but kind man witnesses and influences decades of American history."),
    ("37", "Rocky", 1976, ("Drama", "Sport"), ("boxing", "underdog"), 0.76,
     "A small-time boxer gets a supremely rare chance to fight the heavyweight champion."),
    ("38", "The Exorcist", 1973, ("Horror",), ("possession", "demons", "scary", "classic"), 0.79,
     "When a young girl is possessed by a demon, her mother seeks the help of two priests."),
    ("39", "Paddington", 2014, ("Family", "Comedy"), ("bear", "london", "feel good"), 0.58,
     "A young Peruvian bear travels to London in search of a home."),
    ("40", "Gravity", 2013, ("Science Fiction", "Thriller"), ("space", "survival"), 0.74,
     "Two astronauts work together to survive after an accident leaves them stranded in space."),
]

HORROR_IDS = frozenset(r[0] for r in _RAW if "Horror" in r[3])


def small_items() -> list[Item]:
    return [Item(i, t, y, g, tg, p, d) for i, t, y, g, tg, p, d in _RAW]


def small_catalog(name: str = "tiny") -> Catalog:
    return Catalog(items=tuple(small_items()), name=name)


@pytest.fixture(scope="session")
def retrieval_catalog() -> Catalog:
    return small_catalog()


@pytest.fixture(scope="session")
def embedder():
    """The real all-MiniLM-L6-v2 (bundled, offline), one thread, loaded once per test run."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from tools.retrieval.embeddings import MiniLMEmbedder

    emb = MiniLMEmbedder(threads=1, batch_size=32)
    emb.warm_up()
    return emb


@pytest.fixture(scope="session")
def embedded_index(tmp_path_factory, retrieval_catalog, embedder):
    """An embedded Chroma index of the small catalog (built once); returns (path, collection_name)."""
    from tools.retrieval.vector_index import build_index, open_chroma_client

    path = tmp_path_factory.mktemp("chroma")
    client = open_chroma_client("embedded", path)
    build_index(retrieval_catalog, client, "items", embedder, progress=False)
    return path, "items"


@pytest.fixture(scope="session")
def retriever(embedded_index, retrieval_catalog, embedder):
    from tools.retrieval.retriever import open_retriever

    path, name = embedded_index
    return open_retriever(retrieval_catalog, chroma_path=path, collection_name=name, embedder=embedder)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real local Chroma server on loopback (``chroma run``); yields (host, port)."""
    import httpx

    chroma_bin = Path(sys.executable).parent / "chroma"
    if not chroma_bin.exists():
        pytest.fail(f"{chroma_bin} is missing; reinstall chromadb in the venv")
    path = tmp_path_factory.mktemp("chroma_server")
    port = _free_port()
    log = open(path / "server.log", "wb")  # noqa: SIM115 - closed in teardown
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    proc = subprocess.Popen(
        [str(chroma_bin), "run", "--path", str(path / "data"), "--port", str(port), "--host", "127.0.0.1"],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"chroma server exited early: {(path / 'server.log').read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("chroma server did not answer within 60 s")
            time.sleep(0.3)
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()
