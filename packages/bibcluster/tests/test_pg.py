"""Polya-Gamma draws against the closed-form mean (spec test 2)."""

import numpy as np
import pytest

from bibcluster import pg_mean, sample_pg


def _pg_var(b: float, c: float) -> float:
    # Var PG(b, c) = b / (4 c^3) (sinh c - c) / cosh^2(c / 2)
    return b / (4 * c**3) * (np.sinh(c) - c) / np.cosh(c / 2) ** 2


@pytest.mark.parametrize(("b", "c"), [(1.0, 0.5), (11.0, -2.0), (3.5, 4.0), (100.0, 0.1)])
def test_pg_mean_and_variance(b, c):
    rng = np.random.default_rng(0)
    n = 20000
    x = sample_pg(np.full(n, b), np.full(n, c), rng)
    se = np.sqrt(_pg_var(b, abs(c)) / n)
    assert abs(x.mean() - float(pg_mean(b, c))) < 4 * se
    assert x.var() == pytest.approx(_pg_var(b, abs(c)), rel=0.1)


def test_pg_mean_limit_at_zero():
    assert float(pg_mean(2.0, 0.0)) == pytest.approx(0.5)
    assert float(pg_mean(2.0, 1e-9)) == pytest.approx(0.5)
