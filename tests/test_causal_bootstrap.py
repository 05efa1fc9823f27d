"""causal/bootstrap.py, the one bootstrap behind effects, segments and off-policy evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from causal.bootstrap import bootstrap_values, percentile_interval, resample_indices


def test_cluster_resamples_keep_whole_clusters():
    clusters = np.array(["a", "a", "a", "b", "c", "c"])
    for ix in resample_indices(6, 50, seed=1, clusters=clusters):
        counts = np.bincount(ix, minlength=6)
        # rows of one cluster are drawn together, as often as their cluster
        assert counts[0] == counts[1] == counts[2] and counts[4] == counts[5]


def test_interval_covers_the_known_mean_and_narrows_with_more_rows():
    rng = np.random.default_rng(0)
    widths = []
    for n in (50, 2000):
        x = rng.normal(3.0, 1.0, n)
        lo, hi = percentile_interval(bootstrap_values(lambda ix, x=x: x[ix].mean(), resample_indices(n, 400, seed=2)))
        assert lo < 3.0 < hi
        widths.append(hi - lo)
    assert widths[1] < widths[0] / 3  # ~1/sqrt(40) as wide


def test_clustered_rows_give_a_wider_interval_than_pretending_they_are_independent():
    rng = np.random.default_rng(3)
    cluster_means = rng.normal(0, 1, 40)
    clusters = np.repeat(np.arange(40), 25)
    x = cluster_means[clusters] + rng.normal(0, 0.1, len(clusters))
    naive = percentile_interval(bootstrap_values(lambda ix: x[ix].mean(), resample_indices(len(x), 300, 4)))
    clustered = percentile_interval(bootstrap_values(lambda ix: x[ix].mean(),
                                                     resample_indices(len(x), 300, 4, clusters)))
    assert clustered[1] - clustered[0] > 2 * (naive[1] - naive[0])


def test_bad_input_says_how_to_fix_it():
    with pytest.raises(ValueError, match="one label per row"):
        list(resample_indices(3, 5, 0, clusters=["a", "b"]))
    with pytest.raises(ValueError, match="at least one row"):
        list(resample_indices(0, 5, 0))
    with pytest.raises(ValueError, match="level"):
        percentile_interval([1.0, 2.0], level=1.5)
    assert np.isnan(percentile_interval([1.0])[0])
