"""LightGCN scorer: trained users use their embedding; chat sessions are folded in.

Cold start (a chat session has no trained embedding): the session vector is
``u = Σ_j w_j e_j / Σ_j w_j − λ · mean_k e_k`` over the session's known liked items j
(w = 1.0) and seen items (w = 0.5, as ``LABEL_WEIGHTS``) and disliked items k, where e are the
items' final (layer-mean) LightGCN embeddings. Because LightGCN scores are dot products, the
score of a candidate c then splits exactly into per-liked-item terms w_j/W · e_j·e_c, which is
the evidence we report. With nothing known the scorer falls back to popularity and says so.
Training lives in ``lightgcn_train.py``, propagation in ``lightgcn_propagation.py``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tools.catalog.catalog import Interaction
from tools.errors import ModelNotReadyError
from tools.scorers.graph import InteractionGraph, fill_unknown
from tools.scorers.lightgcn_propagation import Adjacency, propagate
from tools.scorers.lightgcn_train import LightGCNConfig, TrainResult, train_lightgcn
from tools.scoring import Scorer, ScorerEvidence, ScoringContext

SEEN_WEIGHT = 0.5


def holdout_split(graph: InteractionGraph, seed: int, min_items: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks (train, valid): one random edge per user with >= ``min_items`` edges is held out."""
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(graph.users.size), graph.users))
    users_sorted = graph.users[order]
    first = np.r_[True, users_sorted[1:] != users_sorted[:-1]]
    counts = np.bincount(graph.users, minlength=graph.n_users)
    pick = order[first & (counts[users_sorted] >= min_items)]
    valid = np.zeros(graph.users.size, dtype=bool)
    valid[pick] = True
    return ~valid, valid


class LightGCNScorer(Scorer):
    name = "lightgcn"

    def __init__(
        self,
        config: LightGCNConfig | None = None,
        device: str = "cpu",
        dislike_weight: float = 0.5,
        validate: bool = True,
        progress: bool = False,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.config = config or LightGCNConfig()
        self.device = device
        self.dislike_weight = dislike_weight
        self.validate = validate
        self.progress = progress
        self.meta: dict[str, Any] = dict(meta or {})
        self.graph: InteractionGraph | None = None
        self.ego: torch.Tensor | None = None
        self.user_emb = np.zeros((0, self.config.dim), np.float32)
        self.item_emb = np.zeros((0, self.config.dim), np.float32)
        self.popularity = np.zeros(0)
        self.train_info: dict[str, Any] = {}

    # -- training -------------------------------------------------------------
    def fit(self, interactions: Sequence[Interaction], item_ids: Sequence[str] | None = None) -> LightGCNScorer:
        return self.fit_graph(InteractionGraph.from_interactions(interactions, item_ids))

    def config_hash(self, graph: InteractionGraph) -> str:
        return self.config.config_hash(data=graph.fingerprint(), dislike_weight=self.dislike_weight,
                                       validate=self.validate)

    def fit_graph(self, graph: InteractionGraph) -> LightGCNScorer:
        """Train with early stopping on one held-out edge per user, then embed with all edges."""
        train_mask = np.ones(graph.users.size, dtype=bool)
        valid = None
        if self.validate:
            train_mask, valid_mask = holdout_split(graph, self.config.seed)
            if valid_mask.any():
                valid = (graph.users[valid_mask], graph.items[valid_mask])
        result: TrainResult = train_lightgcn(
            graph.users[train_mask], graph.items[train_mask], graph.n_users, graph.n_items,
            self.config, valid=valid, device=self.device, progress=self.progress,
        )
        self.train_info = {
            "best_epoch": result.best_epoch,
            "best_valid_recall": result.best_metric if valid is not None else None,
            "stopped": result.stopped,
            "seconds": round(result.seconds, 3),
            "epochs_run": len(result.history),
            "history": result.history,
            "validation": "one held-out positive per user with >=3 positives" if valid is not None else "none",
        }
        self._set(graph, result.ego)
        self.meta["config_hash"] = self.config_hash(graph)
        return self

    def _set(self, graph: InteractionGraph, ego: torch.Tensor) -> None:
        self.graph = graph
        self.ego = ego.float().cpu()
        with torch.no_grad():
            adj = Adjacency(graph.users, graph.items, graph.n_users, graph.n_items)
            final = propagate(adj, self.ego, self.config.layers).numpy()
        self.user_emb = np.ascontiguousarray(final[: graph.n_users])
        self.item_emb = np.ascontiguousarray(final[graph.n_users :])
        self.popularity = np.log1p(graph.item_counts())

    def _need(self) -> InteractionGraph:
        if self.graph is None:
            raise ModelNotReadyError("LightGCN scorer is not trained; run `whyrec train gcn` or call fit()")
        return self.graph

    @property
    def version(self) -> str:
        return f"{self.name}-{self.meta.get('config_hash', 'untrained')[:8]}"

    # -- scoring ---------------------------------------------------------------
    def _session_terms(self, context: ScoringContext) -> list[tuple[str, int, float]]:
        """(item_id, row, coefficient) of the session items the graph knows."""
        g = self._need()
        pos: dict[str, float] = {}
        for ids, w in ((context.liked_ids, 1.0), (context.seen_ids, SEEN_WEIGHT)):
            for it in ids:
                if str(it) in g.item_index and str(it) not in pos:
                    pos[str(it)] = w
        neg = [str(it) for it in dict.fromkeys(context.disliked_ids) if str(it) in g.item_index]
        neg = [it for it in neg if it not in pos]
        total = sum(pos.values())
        terms = [(it, g.item_index[it], w / total) for it, w in pos.items()]
        terms += [(it, g.item_index[it], -self.dislike_weight / len(neg)) for it in neg]
        return terms

    def user_vector(self, context: ScoringContext) -> tuple[np.ndarray | None, str]:
        """The vector candidates are dotted with, and how it was obtained."""
        g = self._need()
        if context.user_id is not None and str(context.user_id) in g.user_index:
            return self.user_emb[g.user_index[str(context.user_id)]], "trained_user"
        terms = self._session_terms(context)
        if not terms:
            return None, "popularity_fallback"
        rows = np.array([r for _, r, _ in terms])
        coef = np.array([c for _, _, c in terms], dtype=np.float32)
        return coef @ self.item_emb[rows], "session_fold_in"

    def score(self, context: ScoringContext, candidate_ids: Sequence[str]) -> np.ndarray:
        g = self._need()
        idx = np.array([g.item_index.get(str(c), -1) for c in candidate_ids], dtype=np.int64)
        known = idx >= 0
        vec, _ = self.user_vector(context)
        raw = np.zeros(len(idx))
        if known.any():
            raw[known] = self.popularity[idx[known]] if vec is None else self.item_emb[idx[known]] @ vec
        return fill_unknown(raw, known)

    # -- evidence ----------------------------------------------------------------
    def evidence(self, context: ScoringContext, item_id: str) -> ScorerEvidence:
        g = self._need()
        score = float(self.score(context, [item_id])[0])
        i = g.item_index.get(str(item_id))
        if i is None:
            return ScorerEvidence(self.name, str(item_id), score,
                                  details={"known": False, "basis": "item not in the training graph"})
        _, mode = self.user_vector(context)
        details: dict[str, Any] = {"known": True, "mode": mode, "version": self.version}
        target = self.item_emb[i]
        contributions: dict[str, float] = {}
        if mode == "session_fold_in":
            terms = self._session_terms(context)
            raw = {it: float(c * (self.item_emb[r] @ target)) for it, r, c in terms}
            denom = sum(abs(v) for v in raw.values()) or 1.0
            liked = {it for it, _, c in terms if c > 0}
            contributions = {it: max(v, 0.0) / denom for it, v in raw.items() if it in liked}
            details["basis"] = "score = Σ coef_j · e_j·e_item over session items (exact decomposition)"
            details["raw_terms"] = raw
        elif mode == "trained_user":
            basis = [str(x) for x in context.liked_ids if str(x) in g.item_index]
            source = "session liked items"
            if not basis:
                basis = [g.item_ids[j] for j in g.user_items(g.user_index[str(context.user_id)])]
                source = "the user's training items"
            sims = {it: float(self.item_emb[g.item_index[it]] @ target) for it in basis if it != str(item_id)}
            denom = sum(abs(v) for v in sims.values()) or 1.0
            top = sorted(sims.items(), key=lambda kv: -kv[1])[:10]
            contributions = {it: max(v, 0.0) / denom for it, v in top if v > 0}
            details["basis"] = (f"item-item embedding similarity to {source} (the learned user vector is "
                                "not a sum of items, so these are shares of similarity, not of the score)")
        else:
            details["basis"] = "no known session items: popularity fallback log(1 + users)"
        co = g.co_interacted(i, 5)
        if co:
            neighbours = tuple(g.item_ids[j] for j, _ in co)
            details["neighbours_by"] = "co-interaction (users who positively interacted with both)"
        else:
            sims = self.item_emb @ target
            sims[i] = -np.inf
            neighbours = tuple(g.item_ids[j] for j in np.argsort(-sims)[:5])
            details["neighbours_by"] = "nearest items by LightGCN embedding dot product (no co-interactions)"
        return ScorerEvidence(self.name, str(item_id), score, contributions, neighbours, details)

    # -- persistence ------------------------------------------------------------
    def save(self, path: Path) -> Path:
        g = self._need()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        g.save(path / "graph.npz")
        torch.save({"ego": self.ego}, path / "model.pt")
        meta = {
            "scorer": self.name,
            "config": self.config.to_dict(),
            "dislike_weight": self.dislike_weight,
            "validate": self.validate,
            "train": {k: v for k, v in self.train_info.items() if k != "history"},
            **self.meta,
        }
        (path / "meta.json").write_text(json.dumps(meta, indent=2, default=str))
        (path / "history.json").write_text(json.dumps(self.train_info.get("history", []), indent=1))
        return path

    @classmethod
    def load(cls, path: Path, device: str = "cpu") -> LightGCNScorer:
        path = Path(path)
        if not (path / "model.pt").is_file() or not (path / "meta.json").is_file():
            raise ModelNotReadyError(f"no LightGCN model at {path}; run `whyrec train gcn` first")
        meta = json.loads((path / "meta.json").read_text())
        s = cls(LightGCNConfig(**meta["config"]), device=device, dislike_weight=meta.get("dislike_weight", 0.5),
                validate=meta.get("validate", True))
        s.meta = {k: v for k, v in meta.items()
                  if k not in ("scorer", "config", "dislike_weight", "validate", "train")}
        s.train_info = dict(meta.get("train", {}))
        state = torch.load(path / "model.pt", map_location="cpu", weights_only=True)
        s._set(InteractionGraph.load(path / "graph.npz"), state["ego"])
        return s
