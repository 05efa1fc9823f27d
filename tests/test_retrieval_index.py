"""Index lifecycle: incremental builds, persistence, refusal of stale/missing/corrupt indexes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tests.fixtures_retrieval import small_catalog, small_items
from tools.catalog.catalog import Catalog
from tools.errors import DataError, IndexMismatchError, InputError, ModelNotReadyError
from tools.resolve.lexical import LexicalIndex, tokenize
from tools.retrieval.retriever import open_retriever
from tools.retrieval.vector_index import (
    META_MODEL,
    build_index,
    index_status,
    open_chroma_client,
    open_collection,
)


def _catalog(items, name="tiny") -> Catalog:
    return Catalog(items=tuple(items), name=name)


def test_incremental_build_and_persistence(tmp_path, embedder):
    items = small_items()[:12]
    cat = _catalog(items)
    client = open_chroma_client("embedded", tmp_path / "chroma")
    first = build_index(cat, client, "col", embedder, progress=False)
    assert (first.embedded, first.unchanged, first.deleted, first.total) == (12, 0, 0, 12)
    assert build_index(cat, client, "col", embedder, progress=False).embedded == 0

    # change one item, drop one, add one: exactly two embeddings and one delete
    changed = dataclasses.replace(items[0], description="A story about toys that come alive.")
    new_items = [changed, *items[1:11], small_items()[20]]
    cat2 = _catalog(new_items)
    report = build_index(cat2, client, "col", embedder, progress=False)
    assert (report.embedded, report.deleted, report.unchanged) == (2, 1, 10)
    assert report.catalog_version == cat2.version

    # a brand-new client on the same path sees the same data
    reopened = open_chroma_client("embedded", tmp_path / "chroma")
    r = open_retriever(cat2, client=reopened, collection_name="col", embedder=embedder)
    assert r.collection.count() == 12
    assert r.search("Groundhog Day", k=1)[0].item_id == "21"
    assert r.search("Toy Story", k=1)[0].item_id == "1"
    # the collection remembers our embedding function by name (no ONNX default)
    cfg = reopened.get_collection("col").configuration
    assert cfg["embedding_function"].name() == "whyrec_minilm_l6_v2"
    assert cfg["hnsw"]["space"] == "cosine"


def test_a_rebuilt_vectors_file_reaches_the_index(tmp_path, embedder):
    """The demo catalog's plot vectors were recomputed (without the films' own titles) and `whyrec index build`
    said "6924 unchanged": it compared content hashes only, so the index kept the old vectors."""
    from tools.retrieval.item_vectors import VECTORS_FILE, item_vectors_bytes, quantise

    items = small_items()[:3]
    folder = tmp_path / "catalog"
    folder.mkdir()

    def ship(matrix: np.ndarray, fp: str) -> Catalog:
        q, scale = quantise(matrix.astype(np.float32))
        (folder / VECTORS_FILE).write_bytes(item_vectors_bytes([it.item_id for it in items], q, scale,
                                                               [it.content_hash() for it in items], fp))
        return Catalog(tuple(items), name="shipped", source_dir=folder)

    client = open_chroma_client("embedded", tmp_path / "chroma")
    assert build_index(ship(np.eye(3, 384), "one"), client, "col", embedder, progress=False).embedded == 3
    assert build_index(ship(np.eye(3, 384), "one"), client, "col", embedder, progress=False).embedded == 0
    report = build_index(ship(np.eye(3, 384)[::-1], "two"), client, "col", embedder, progress=False)
    assert (report.embedded, report.unchanged) == (3, 0)
    stored = client.get_collection("col").get(ids=[items[0].item_id], include=["embeddings"])["embeddings"][0]
    assert int(np.argmax(stored)) == 2  # the new file's vector, not the old one


def test_rebuild_embeds_everything(tmp_path, embedder):
    cat = _catalog(small_items()[:3])
    client = open_chroma_client("embedded", tmp_path)
    build_index(cat, client, "col", embedder, progress=False)
    report = build_index(cat, client, "col", embedder, rebuild=True, progress=False)
    assert report.embedded == 3 and report.rebuilt


def test_mismatched_catalog_is_refused(tmp_path, embedder):
    client = open_chroma_client("embedded", tmp_path)
    build_index(_catalog(small_items()[:3]), client, "col", embedder, progress=False)
    other = _catalog(small_items()[:4])
    with pytest.raises(IndexMismatchError, match=r"whyrec index build --rebuild"):
        open_retriever(other, client=client, collection_name="col", embedder=embedder)
    status = index_status(client, "col", embedder, other)
    assert status["exists"] and not status["ready"] and "catalog version" in status["problem"]


def test_mismatched_model_is_refused(tmp_path, embedder):
    cat = _catalog(small_items()[:3])
    client = open_chroma_client("embedded", tmp_path)
    build_index(cat, client, "col", embedder, progress=False)
    col = client.get_collection("col", embedding_function=embedder)
    col.modify(metadata={**col.metadata, META_MODEL: "some-other-model"})
    with pytest.raises(IndexMismatchError, match="embedding model 'some-other-model'.*--rebuild"):
        open_collection(client, "col", embedder, cat)
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        build_index(cat, client, "col", embedder, progress=False)
    assert build_index(cat, client, "col", embedder, rebuild=True, progress=False).embedded == 3
    open_collection(client, "col", embedder, cat)


def test_missing_index_message(tmp_path, embedder):
    client = open_chroma_client("embedded", tmp_path)
    with pytest.raises(ModelNotReadyError, match=r"run `whyrec index build`"):
        open_retriever(small_catalog(), client=client, collection_name="nothing", embedder=embedder)
    assert index_status(client, "nothing", embedder)["exists"] is False


def test_interrupted_build_is_not_ready(tmp_path, embedder):
    cat = _catalog(small_items()[:2])
    client = open_chroma_client("embedded", tmp_path)
    vectors = np.zeros((2, 384), dtype=np.float32)
    with pytest.raises(InputError):
        build_index(cat, client, "col", embedder, vectors=vectors[:1], progress=False)
    client.create_collection("half", embedding_function=embedder, metadata={"whyrec_state": "building"})
    with pytest.raises(ModelNotReadyError, match="not finished"):
        open_collection(client, "half", embedder, cat)


def test_corrupted_index_gives_data_error(tmp_path, embedder):
    path = tmp_path / "chroma"
    client = open_chroma_client("embedded", path)
    build_index(_catalog(small_items()[:2]), client, "col", embedder, progress=False)
    del client
    sqlite = path / "chroma.sqlite3"
    assert sqlite.exists()
    sqlite.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DataError, match="--rebuild") as info:
        c = open_chroma_client("embedded", path)
        open_collection(c, "col", embedder, _catalog(small_items()[:2]))
    assert not isinstance(info.value, ModelNotReadyError)


def test_server_mode_unreachable_is_clear():
    with pytest.raises(DataError, match="unreachable.*chroma run"):
        open_chroma_client("server", host="127.0.0.1", port=1)
    with pytest.raises(InputError, match="embedded' or 'server"):
        open_chroma_client("cloud")


def test_precomputed_vectors(tmp_path, embedder):
    items = small_items()[:5]
    cat = _catalog(items)
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(5, 384)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    client = open_chroma_client("embedded", tmp_path)
    build_index(cat, client, "vec", embedder, vectors=vecs, progress=False)
    col = open_collection(client, "vec", embedder, cat)
    res = col.query(query_embeddings=[vecs[3].tolist()], n_results=1, include=["distances"])
    assert res["ids"][0] == [items[3].item_id] and res["distances"][0][0] == pytest.approx(0.0, abs=1e-4)


def test_lexical_index_known_answers():
    idx = LexicalIndex(small_items())
    assert tokenize("Amélie's Café!") == ["amelies", "cafe"]
    top = idx.top("toy story", 3)
    assert [r for r, _, _ in top[:2]] == [0, 1]
    assert top[0][2] == pytest.approx(1.0)  # the whole query matched
    bm25, cover = idx.scores("adventure with a purple unicorn")
    assert 0 < cover[2] < 0.5 and bm25[2] > 0  # Finding Nemo shares one word of three
    assert idx.title_matches("Toy Story") == {0: "exact"}
    found = idx.title_matches("something like a nightmare on elm street please")
    assert found == {3: "phrase"}
    assert idx.title_matches("I want to watch it") == {}  # one-word titles only match exactly
    assert idx.title_matches("It") == {6: "exact"}
    mask = np.ones(len(small_items()), dtype=bool)
    mask[0] = False
    assert 0 not in {r for r, _, _ in idx.top("toy story", 5, mask)}
    assert idx.matched_fields(3, "scary slasher dreams") == ("tags",)


def test_title_phrases_need_to_look_like_titles():
    from tools.catalog.catalog import Item

    idx = LexicalIndex([Item("a", "Scary Movie"), Item("b", "A Nightmare on Elm Street"), Item("c", "Toy Story")])
    assert idx.title_matches("scary movie like A Nightmare on Elm Street") == {1: "phrase"}
    assert idx.title_matches("something like Scary Movie please") == {0: "phrase"}
    assert idx.title_matches("scary movie") == {0: "exact"}
    assert idx.title_matches("more like toy story") == {2: "phrase"}


def test_index_uses_the_shipped_plot_vectors(tmp_path, embedder):
    """The demo catalog's precomputed vectors go into Chroma as they are; an edited item is embedded."""
    from tools.catalog.catalog import DEMO_CATALOG_DIR, load_catalog
    from tools.retrieval.item_vectors import load_item_vectors
    from tools.retrieval.retriever import ChromaRetriever

    demo = load_catalog()
    ids, matrix = load_item_vectors(DEMO_CATALOG_DIR)
    jaws = next(it for it in demo.items if it.title == "Jaws" and it.year == 1975)
    items = [it for it in demo.items if it.genres and it.popularity >= 20][:40]
    items = [jaws, *(it for it in items if it.item_id != jaws.item_id)]
    edited = dataclasses.replace(items[1], description="An edited description.")
    cat = Catalog(items=(items[0], edited, *items[2:]), name="demo-subset", source_dir=DEMO_CATALOG_DIR)
    client = open_chroma_client("embedded", tmp_path)
    build_index(cat, client, "demo", embedder, progress=False)
    col = open_collection(client, "demo", embedder, cat)
    got = col.get(ids=[jaws.item_id, edited.item_id], include=["embeddings", "documents"])
    stored = dict(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32), strict=True))
    np.testing.assert_allclose(stored[jaws.item_id], matrix[ids.index(jaws.item_id)], atol=1e-6)
    np.testing.assert_allclose(stored[edited.item_id], embedder.embed_one(edited.content_text()), atol=1e-5)
    doc = got["documents"][got["ids"].index(jaws.item_id)]
    assert "shark" in doc and "Steven Spielberg" in doc
    hits = ChromaRetriever(cat, col, embedder, hybrid=False).search("a shark terrorises a beach town", k=5)
    assert hits[0].item_id == jaws.item_id, [h.title for h in hits]
