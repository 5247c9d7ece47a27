"""Agreement and disparity between audiences: Jensen-Shannon divergence with a
permutation test, and weighted log-odds with an informative Dirichlet prior."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon
from scipy.stats import entropy
from statsmodels.stats.contingency_tables import Table2x2

from cxgap.analysis.voice.disparity import js_divergence, log_odds_dirichlet, theme_divergence
from cxgap.errors import AnalysisError


def _labels(counts: dict[str, list[int]]) -> tuple[list[int], list[str]]:
    themes, groups = [], []
    for group, per_theme in counts.items():
        for theme, c in enumerate(per_theme):
            themes += [theme] * c
            groups += [group] * c
    return themes, groups


def test_two_group_divergence_is_scipys_jensen_shannon_distance_squared() -> None:
    p, q = [0.5, 0.3, 0.2], [0.1, 0.2, 0.7]
    assert js_divergence([p, q]) == pytest.approx(jensenshannon(p, q, base=2) ** 2)


def test_three_group_divergence_is_entropy_of_mean_minus_mean_entropy() -> None:
    d = np.array([[10, 5, 5], [2, 8, 10], [7, 7, 6]], dtype=float)
    p = d / d.sum(axis=1, keepdims=True)
    # Lin (1991), generalised JSD with equal weights, via SciPy's entropy
    expected = entropy(p.mean(axis=0), base=2) - np.mean([entropy(r, base=2) for r in p])
    assert js_divergence(d) == pytest.approx(expected)


@given(
    st.lists(st.integers(0, 50), min_size=2, max_size=6).filter(lambda v: sum(v) > 0),
    st.lists(st.integers(0, 50), min_size=2, max_size=6).filter(lambda v: sum(v) > 0),
)
def test_divergence_is_symmetric_and_between_zero_and_one(a: list[int], b: list[int]) -> None:
    k = min(len(a), len(b))
    a, b = a[:k], b[:k]
    if sum(a) == 0 or sum(b) == 0:
        return
    d = js_divergence([a, b])
    assert 0.0 <= d <= 1.0 + 1e-12
    assert d == pytest.approx(js_divergence([b, a]))


def test_divergence_needs_two_non_empty_distributions() -> None:
    with pytest.raises(AnalysisError, match="at least two"):
        js_divergence([[1, 2]])
    with pytest.raises(AnalysisError, match="positive total"):
        js_divergence([[0, 0], [1, 2]])


def test_log_odds_without_prior_is_the_sample_log_odds_ratio() -> None:
    # theme 0: 40 of 100 customer answers vs 10 of 100 leadership answers.
    # With alpha_0 -> 0 Monroe et al.'s delta is the 2x2 log odds ratio,
    # here from statsmodels' Table2x2.
    delta, se, _ = log_odds_dirichlet([40, 60], [10, 90], prior_strength=1e-12)
    table = Table2x2(np.array([[40, 60], [10, 90]]))
    assert delta[0] == pytest.approx(table.log_oddsratio, rel=1e-9)
    # eq. 22: var ~= 1/y_iw + 1/y_jw (Woolf's variance without the other two cells)
    assert se[0] == pytest.approx(math.sqrt(1 / 40 + 1 / 10), rel=1e-9)


def test_informative_prior_shrinks_towards_no_difference() -> None:
    weak, _, _ = log_odds_dirichlet([8, 2], [2, 8], prior_strength=1)
    strong, _, _ = log_odds_dirichlet([8, 2], [2, 8], prior_strength=1000)
    assert 0 < strong[0] < weak[0]


@settings(max_examples=50)
@given(st.lists(st.integers(0, 40), min_size=3, max_size=5), st.integers(1, 40))
def test_swapping_the_groups_flips_the_sign_of_every_z(counts: list[int], extra: int) -> None:
    a = [c + 1 for c in counts]
    b = list(reversed(a))
    b[0] += extra
    _, _, z_ab = log_odds_dirichlet(a, b)
    _, _, z_ba = log_odds_dirichlet(b, a)
    assert np.allclose(z_ab, -z_ba)


def test_constructed_four_to_one_difference_reads_as_a_sentence() -> None:
    themes, groups = _labels({"customer": [40, 60], "leadership": [10, 90]})
    d = theme_divergence(
        themes,
        groups,
        theme_keys=["slow", "price"],
        theme_labels=["slow issue resolution", "pricing"],
        permutations=499,
    )
    assert d.disparities[0] == (
        "Customers raise slow issue resolution 4.0× more often than leadership does "
        "(40% of 100 answers vs 10% of 100)"
    )
    row = next(r for r in d.log_odds if r.theme == "slow")
    assert row.ratio == pytest.approx(4.0)
    assert row.z > 1.96
    assert d.p_value == pytest.approx(1 / 500)  # no shuffle is as extreme


def test_identical_distributions_are_not_flagged() -> None:
    themes, groups = _labels({"customer": [30, 30, 40], "staff": [30, 30, 40]})
    d = theme_divergence(themes, groups, theme_keys=["a", "b", "c"], permutations=499)
    assert d.jsd == pytest.approx(0.0, abs=1e-12)
    assert d.p_value == pytest.approx(1.0)
    assert d.disparities == []
    assert len(d.similarities) == 3


def test_permutation_p_value_is_uniform_enough_under_the_null() -> None:
    rng = np.random.default_rng(0)
    ps = []
    for _ in range(40):
        themes = rng.integers(0, 3, size=120).tolist()
        groups = rng.choice(["customer", "staff"], size=120).tolist()
        d = theme_divergence(themes, groups, theme_keys=["a", "b", "c"], permutations=99, seed=1)
        ps.append(d.p_value)
    # under no difference about 5% of p-values fall below 0.05
    assert np.mean(np.array(ps) < 0.05) <= 0.15
    assert 0.3 < np.mean(ps) < 0.7


def test_pairs_cover_every_pair_of_three_audiences() -> None:
    themes, groups = _labels(
        {"customer": [40, 10, 10], "leadership": [10, 40, 10], "staff": [10, 10, 40]}
    )
    d = theme_divergence(themes, groups, theme_keys=["a", "b", "c"], permutations=99)
    assert {(p.a, p.b) for p in d.pairs} == {
        ("customer", "leadership"),
        ("customer", "staff"),
        ("leadership", "staff"),
    }
    assert d.n_by_group == {"customer": 60, "leadership": 60, "staff": 60}
    assert all(p.p_value is not None and p.p_value < 0.05 for p in d.pairs)


def test_theme_never_raised_by_one_group_says_never() -> None:
    themes, groups = _labels({"customer": [30, 70], "staff": [0, 100]})
    d = theme_divergence(themes, groups, theme_keys=["a", "b"], permutations=0)
    assert d.disparities[0].startswith("Customers raise a; staff never do")
    assert d.p_value is None


def test_answers_without_theme_or_group_are_left_out_and_one_group_is_an_error() -> None:
    d = theme_divergence(
        [0, 1, None, 0, 1, -1],
        ["customer", "customer", "staff", "staff", None, "staff"],
        theme_keys=["a", "b"],
        permutations=0,
    )
    assert d.n_by_group == {"customer": 2, "staff": 1}
    with pytest.raises(AnalysisError, match="at least two groups"):
        theme_divergence([0, 1], ["customer", "customer"], theme_keys=["a", "b"])
    with pytest.raises(AnalysisError, match="beyond the list"):
        theme_divergence([0, 5], ["customer", "staff"], theme_keys=["a", "b"])


def test_a_theme_holding_every_answer_gives_no_nan_in_json() -> None:
    import json

    from cxgap.analysis.voice.disparity import theme_divergence

    # Only theme 0 is used by either group: its log-odds ratio is undefined.
    result = theme_divergence(
        [0] * 8, ["customer"] * 5 + ["staff"] * 3, theme_keys=["t0", "t1"], permutations=99
    )
    text = json.dumps(result.to_json_dict(), allow_nan=False)
    rows = [r for r in result.to_json_dict()["log_odds"] if r["theme"] == "t0"]
    assert rows and all(r["delta"] is None or isinstance(r["delta"], float) for r in rows)
    assert "NaN" not in text
