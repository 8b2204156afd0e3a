"""The spec's claims, one function each, measured on the embedded default data with pre-registered criteria.

Every criterion below was written before its measurement; where one changed from version 0.1, the README says
from what, to what and why. Every figure built on affinities says that they come from the ``corise`` stand-in,
not from the paper's (unconfirmed) differential affinity.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurotypes import Claim, Criterion, Partition, Report
from neurotypes.reproduction import ClaimContext, run_claims

from . import community, data, ntf, tensor
from .model import worm_concentration

__all__ = ["CLAIMS", "reproduce"]

PACKAGE = "dyn-connectome"
STAND_IN = "affinity: 'corise' stand-in (the paper's exact formula is unconfirmed)"
WINDOW = 50
EPOCHS = 3
RANK = 3
RESTARTS = 5
ARI_MIN = 0.95
WORM_SPLIT_SHARE = 0.8
#: Modularity baselines of the benchmark claim (the paper compares with Louvain, among others).
BASELINES = ("leiden", "louvain")
#: The paper's weighted-LFR benchmark (benchmark notebook): N, maxk, t1, t2 fixed; each setting is
#: (k, mu_t, mu_w, beta, first seed), 10 replicates from the first seed on.
LFR_FIXED = {"N": 125, "maxk": 100, "t1": 2.0, "t2": 1.0}
LFR_FULL = (
    (25.0, 0.5, 0.5, 0.5, 13),
    (25.0, 0.5, 0.5, 1.0, 13),
    (25.0, 0.5, 0.5, 2.0, 13),
    (25.0, 0.25, 0.5, 2.0, 13),
    (25.0, 0.5, 0.5, 2.0, 23),
    (25.0, 0.75, 0.5, 2.0, 13),
    (10.0, 0.5, 0.5, 2.0, 13),
    (25.0, 0.5, 0.25, 2.0, 13),
    (25.0, 0.5, 0.75, 2.0, 13),
)
LFR_QUICK = (LFR_FULL[1],)


def _version() -> str:
    from . import __version__

    return __version__


def _n(ctx: ClaimContext, quick: int, full: int) -> int:
    return quick if ctx.quick else full


# ------------------------------------------------------------------------------------------ shared measurements


@functools.lru_cache(maxsize=4)
def _planted(drive_rate: float = 0.15, window: int = WINDOW) -> tuple[Any, list[Partition], Any]:
    traces, parts = data.planted_epochs(drive_rate=drive_rate, seed=100)
    x, pairs = tensor.build_affinity_tensor(traces, window=window)
    return x, parts, pairs


@functools.lru_cache(maxsize=8)
def _fits(
    seeds: tuple[int, ...], drive_rate: float = 0.15, window: int = WINDOW
) -> tuple[ntf.NTFResult, ...]:
    x, _, _ = _planted(drive_rate, window)
    return tuple(ntf.fit_ntf(x, rank=RANK, n_restarts=RESTARTS, seed=s) for s in seeds)


def _epoch_of_windows(n_windows: int, epochs: int) -> NDArray[np.intp]:
    centres = (np.arange(n_windows) + 0.5) / n_windows
    return np.minimum((centres * epochs).astype(np.intp), epochs - 1)


def _epoch_stats(res: ntf.NTFResult) -> tuple[list[int], list[float]]:
    ep = _epoch_of_windows(res.f_time.shape[0], EPOCHS)
    peak = [int(ep[int(np.argmax(res.f_time[:, r]))]) for r in range(res.rank)]
    inside = [float(res.f_time[ep == peak[r], r].sum() / res.f_time[:, r].sum()) for r in range(res.rank)]
    return peak, inside


def _has_leiden() -> bool:
    try:
        import igraph  # noqa: F401
        import leidenalg  # noqa: F401
    except ImportError:
        return False
    return True


def _component_scores(
    res: ntf.NTFResult, pairs: Any, parts: list[Partition], backends: tuple[str, ...]
) -> dict[str, dict[str, list[float]]]:
    """ARI and NMI of each backend's communities on each component, against its epoch's planted partition."""
    peak, _ = _epoch_stats(res)
    out: dict[str, dict[str, list[float]]] = {b: {"ari": [], "nmi": []} for b in backends}
    for r in range(res.rank):
        adj = pairs.to_matrix(res.f_pairs[:, r])
        truth = parts[peak[r]]
        for b in backends:
            p = community.detect(adj, backend=b, seed=0)
            out[b]["ari"].append(p.adjusted_rand_index(truth))
            out[b]["nmi"].append(community.normalized_mutual_information(truth.labels, p.labels))
    return out


# --------------------------------------------------------------------------------------------------- claims


def claim_components_isolate_epochs(ctx: ClaimContext) -> Claim:
    """NTF components isolate the experimental intervals in which communities form."""
    seeds = ctx.seeds(_n(ctx, 5, 10))
    criteria = [
        Criterion("one-to-one epoch map", "==", 1.0, seeds=len(seeds)),
        Criterion(
            "smallest share of a temporal loading inside its epoch", ">", 1.0 / EPOCHS, seeds=len(seeds)
        ),
    ]
    fits = _fits(tuple(seeds))
    one_to_one, inside_min, worm_ratio = [], [], []
    for res in ctx.track(fits, desc="epochs"):
        peak, inside = _epoch_stats(res)
        one_to_one.append(float(sorted(peak) == list(range(EPOCHS))))
        inside_min.append(min(inside))
        worm_ratio.append(
            min(float(res.f_worm[:, r].min() / res.f_worm[:, r].max()) for r in range(res.rank))
        )
    from .plots import plot_loadings

    fig = ctx.figure(
        plot_loadings(
            fits[0],
            epochs=EPOCHS,
            title=f"planted 3 epochs, 4 animals, rank 3 (NTF seed {seeds[0]})\n{STAND_IN}",
        ),
        "loadings.png",
    )
    return Claim(
        "NTF components isolate the intervals in which communities form",
        "method/figures (C. elegans); prototype: 5/5 seeds one-to-one, 66-78% of each temporal loading inside its epoch",
        {
            "one-to-one epoch map": one_to_one,
            "smallest share of a temporal loading inside its epoch": inside_min,
            "smallest animal loading min/max per seed": worm_ratio,
            "ntf seeds": seeds,
        },
        criteria,
        figures=[fig],
        notes=f"planted_epochs (30 neurons, worm seeds 100-103, 1200 samples), window {WINDOW}, rank {RANK}, "
        f"{RESTARTS} restarts per NTF seed; 1/3 = a loading spread evenly over the epochs; {STAND_IN}",
    )


def claim_communities_recovered(ctx: ClaimContext) -> Claim:
    """Community detection on each component's affinity pattern recovers the active communities."""
    seeds = ctx.seeds(_n(ctx, 5, 10))
    criteria = [Criterion("smallest ARI wsbm", ">=", ARI_MIN, seeds=len(seeds))]
    _x, parts, pairs = _planted()
    backends = ("wsbm", "louvain", *(("leiden",) if _has_leiden() else ()))
    per_backend: dict[str, list[float]] = {b: [] for b in backends}
    every: dict[str, list[list[float]]] = {b: [] for b in backends}
    fits = _fits(tuple(seeds))
    for res in ctx.track(fits, desc="communities"):
        scores = _component_scores(res, pairs, parts, backends)
        for b in backends:
            per_backend[b].append(min(scores[b]["ari"]))
            every[b].append([round(v, 3) for v in scores[b]["ari"]])
    res = fits[0]
    adjs = [pairs.to_matrix(res.f_pairs[:, r]) for r in range(res.rank)]
    wparts = [community.detect(a, backend="wsbm", seed=0) for a in adjs]
    from .plots import plot_communities, plot_community_graphs

    f1 = ctx.figure(
        plot_communities(adjs, wparts, title=f"component affinities sorted by wsbm communities\n{STAND_IN}"),
        "communities.png",
    )
    f2 = ctx.figure(
        plot_community_graphs(
            adjs, wparts, title=f"community graphs (strongest 25% of edges, colour = wsbm block)\n{STAND_IN}"
        ),
        "community_graphs.png",
    )
    return Claim(
        "Community detection on each component's affinity pattern recovers the active communities",
        "method; prototype: ARI = 1.000 for every component with Louvain",
        {
            **{f"smallest ARI {b}": v for b, v in per_backend.items()},
            "ARI per component (seed x component)": every,
            "ntf seeds": seeds,
        },
        criteria,
        figures=[f1, f2],
        notes="the default backend (wsbm) is judged; Louvain/Leiden are reported. wsbm is the flat, "
        "non-degree-corrected stand-in for graph-tool's nested SBM; " + STAND_IN,
    )


def claim_rank_from_error_curve(ctx: ClaimContext) -> Claim:
    """Rank can be chosen from the error curve (elbow at the planted rank 3)."""
    (seed,) = ctx.seeds(1)
    criteria = [Criterion("elbow rank", "==", 3.0)]
    x, _, _ = _planted()
    sweep = ntf.rank_sweep(x, ranks=range(1, 7), n_restarts=RESTARTS, seed=seed, progress=ctx.progress)
    from .plots import plot_rank_sweep

    fig = ctx.figure(
        plot_rank_sweep(sweep, title=f"rank sweep (planted 3 epochs)\n{STAND_IN}"), "rank_sweep.png"
    )
    return Claim(
        "Rank can be chosen from the error curve",
        "method; prototype: errors 42.1, 30.0, 26.5, 24.2, 22.2, 20.3 % for ranks 1-6 (elbow at 3)",
        {
            "elbow rank": float(sweep.elbow()),
            "errors percent": [round(100 * e, 2) for e in sweep.errors],
            "restart similarity": [round(s, 3) for s in sweep.similarity],
            "stable rank (similarity >= 0.9)": sweep.stable_rank(0.9),
        },
        criteria,
        figures=[fig],
        notes="elbow = largest centred second difference e(R-1) - 2e(R) + e(R+1); with this definition the "
        "prototype's own numbers also peak at R = 2 (8.6 vs 1.2 percentage points); " + STAND_IN,
    )


def _lfr_graphs(ctx: ClaimContext, n: int) -> tuple[list[tuple[Any, Partition]], list[int]]:
    """``n`` LFR-like graphs per setting from the setting's first seed on; a graph whose planted partition has one
    community is skipped, as the notebook does, and the next seed is drawn (the skipped seeds are recorded)."""
    graphs, skipped = [], []
    for k, mu_t, mu_w, beta, first in LFR_QUICK if ctx.quick else LFR_FULL:
        offset, made = first, 0
        while made < n:
            (s,) = ctx.seeds(1, offset=offset)
            offset += 1
            a, truth = data.weighted_lfr(k=k, mu_t=mu_t, mu_w=mu_w, beta=beta, seed=s, **LFR_FIXED)  # type: ignore[arg-type]
            if truth.n_clusters < 2:
                skipped.append(s)
                continue
            graphs.append((a, truth))
            made += 1
    return graphs, skipped


def claim_wsbm_beats_modularity(ctx: ClaimContext) -> Claim:
    """A generative weighted SBM outperforms modularity methods: on the SBM's own graphs, on LFR-like weighted
    benchmarks (not an SBM), and on the package's own pipeline data."""
    name = "A generative weighted SBM outperforms modularity-type methods on weighted benchmarks"
    paper = (
        "benchmark figure on weighted LFR graphs (N=125, k=25, maxk=100, t1=2, t2=1; beta, mu_t, mu_w varied; "
        "NMI; graph-tool's nested weighted SBM vs Louvain, surprise, Combo, NNSED, GNNS; values not retrievable)"
    )
    if not _has_leiden():
        return Claim(
            name,
            paper,
            {},
            missing="leidenalg and igraph for the Leiden baseline: pip install 'dyn-connectome[leiden]'",
        )
    n_planted = _n(ctx, 5, 20)
    n_lfr = _n(ctx, 5, 10)
    ntf_seeds = ctx.seeds(_n(ctx, 5, 10))
    families = {
        "weighted SBM graphs": n_planted,
        "LFR-like graphs": n_lfr * (len(LFR_QUICK) if ctx.quick else len(LFR_FULL)),
        "pipeline components": len(ntf_seeds),
    }
    criteria = [
        Criterion(f"NMI wsbm, {fam}", ">", baseline=f"NMI {b}, {fam}", seeds=n, spread="mean-2se")
        for fam, n in families.items()
        for b in BASELINES
    ]
    methods = ("wsbm", *BASELINES)
    scores: dict[str, dict[str, list[float]]] = {fam: {m: [] for m in methods} for fam in families}

    planted_seeds = ctx.seeds(n_planted, offset=1000)
    for s in ctx.track(planted_seeds, desc="weighted SBM graphs"):
        a, truth = data.weighted_planted_partition(seed=s)
        for m in methods:
            p = community.detect(a, backend=m, seed=0)
            scores["weighted SBM graphs"][m].append(
                community.normalized_mutual_information(truth.labels, p.labels)
            )

    graphs, skipped = _lfr_graphs(ctx, n_lfr)
    mixing = []
    for a, truth in ctx.track(graphs, desc="LFR-like graphs"):
        same = truth.labels[:, None] == truth.labels[None, :]
        mixing.append(float(((a > 0) & ~same).sum() / max((a > 0).sum(), 1)))
        for m in methods:
            p = community.detect(a, backend=m, seed=0)
            scores["LFR-like graphs"][m].append(
                community.normalized_mutual_information(truth.labels, p.labels)
            )

    _, parts, pairs = _planted()
    for res in ctx.track(_fits(tuple(ntf_seeds)), desc="pipeline components"):
        comp = _component_scores(res, pairs, parts, methods)
        for m in methods:
            scores["pipeline components"][m].append(float(np.mean(comp[m]["nmi"])))

    from .plots import plot_benchmark

    fig = ctx.figure(
        plot_benchmark(scores, title="NMI against the planted communities (mean ± sd, dots: replicates)"),
        "community_benchmark.png",
    )
    measured: dict[str, Any] = {f"NMI {m}, {fam}": v for fam, d in scores.items() for m, v in d.items()}
    measured["LFR realised topological mixing"] = [round(v, 3) for v in mixing]
    measured["LFR settings (k, mu_t, mu_w, beta, first seed)"] = [
        list(s) for s in (LFR_QUICK if ctx.quick else LFR_FULL)
    ]
    measured["LFR seeds skipped (one planted community)"] = skipped
    measured["ntf seeds (pipeline)"] = ntf_seeds
    return Claim(
        name,
        paper,
        measured,
        criteria,
        figures=[fig],
        notes="Every leg must hold: wsbm's NMI above Leiden's and Louvain's (paired, mean beyond 2 standard errors) "
        "on (1) weighted planted partitions (N=120, B=4, p_in 0.3, p_out 0.05, Exp means 2/1: the SBM's own "
        "model), (2) LFR-like weighted graphs at the notebook's settings (dyn_connectome.data.weighted_lfr, a "
        "numpy re-statement of the LFR recipe, not the C++ generator), (3) the pipeline's own component "
        "affinities (planted 3-epoch data, NMI averaged over the 3 components per NTF seed). wsbm is the flat "
        "stand-in for graph-tool's nested SBM (graph-tool is not installable here). " + STAND_IN,
    )


def claim_no_hallucination(ctx: ClaimContext) -> Claim:
    """The weighted SBM finds one block in a structureless weighted graph."""
    seeds = ctx.seeds(_n(ctx, 5, 20), offset=2000)
    criteria = [Criterion("blocks found by wsbm", "==", 1.0, seeds=len(seeds))]
    methods = ("wsbm", "louvain", *(("leiden",) if _has_leiden() else ()))
    blocks: dict[str, list[float]] = {m: [] for m in methods}
    for s in ctx.track(seeds, desc="Erdős–Rényi graphs"):
        a = data.weighted_er(120, 0.1, 1.0, seed=s)
        for m in methods:
            blocks[m].append(float(community.detect(a, backend=m, seed=0).n_clusters))
    return Claim(
        "The weighted SBM does not hallucinate communities",
        "implied by the generative model",
        {f"blocks found by {m}": v for m, v in blocks.items()},
        criteria,
        notes="Erdős–Rényi graphs (N=120, p=0.1) with i.i.d. Exp(1) weights; modularity methods are reported "
        "for contrast (they maximise modularity, which finds communities in any graph)",
    )


def claim_biological_findings(ctx: ClaimContext) -> Claim:
    """Stimulus-specific communities in C. elegans and the AWB-silencing validation (data not offline)."""
    return Claim(
        "Biological findings: stimulus-specific neuron communities in C. elegans; AWB-silencing validation",
        "paper (NeuroPAL whole-brain imaging, Yemini lab)",
        {},
        missing="the C. elegans NeuroPAL whole-brain recordings of the Yemini lab (not public with the paper); "
        "run `dyn-connectome fit` on one trace file per worm",
    )


def claim_worm_split_limitation(ctx: ClaimContext) -> Claim:
    """Limitation (not in the paper): low-rate drives and short windows split components by animal."""
    seeds = ctx.seeds(_n(ctx, 5, 10))
    criteria = [Criterion("largest single-animal share", ">=", WORM_SPLIT_SHARE, seeds=len(seeds))]
    fits = _fits(tuple(seeds), drive_rate=0.05, window=20)
    default = _fits(tuple(seeds))
    shares = [max(worm_concentration(res.f_worm[:, r]) for r in range(res.rank)) for res in fits]
    default_shares = [max(worm_concentration(res.f_worm[:, r]) for r in range(res.rank)) for res in default]
    from .plots import plot_loadings

    fig = ctx.figure(
        plot_loadings(
            fits[0],
            epochs=EPOCHS,
            title=f"low-rate drives (0.05), 20-sample windows: split by animal?\n{STAND_IN}",
        ),
        "worm_split.png",
    )
    return Claim(
        "Limitation: with low-rate independent drives and short windows NTF splits components by animal",
        "not in the paper (found by the independent prototype)",
        {
            "largest single-animal share": shares,
            "largest single-animal share, default setting": default_shares,
            "ntf seeds": seeds,
        },
        criteria,
        figures=[fig],
        notes="planted_epochs(drive_rate=0.05), 20-sample windows; 'reproduced' means the limitation shows "
        "(a component with >= 0.8 of its animal loading in one animal); 1/4 = even over the 4 animals. "
        + STAND_IN,
    )


CLAIMS = (
    claim_components_isolate_epochs,
    claim_communities_recovered,
    claim_rank_from_error_curve,
    claim_wsbm_beats_modularity,
    claim_no_hallucination,
    claim_biological_findings,
    claim_worm_split_limitation,
)


def reproduce(
    out_dir: str | os.PathLike[str] = "reports/dyn-connectome",
    quick: bool = True,
    *,
    seed: int = 0,
    progress: bool = False,
    threads: int | None = None,
) -> Report:
    """Measure every claim of the spec on the embedded default data; write figures, report.json and report.md.

    Parameters
    ----------
    out_dir : str or path-like
        Report folder (created if needed).
    quick : bool
        Quick mode (5 NTF seeds, 5 graphs per benchmark family, one LFR setting; about a minute on 2 cores) or
        the full run (10 NTF seeds, 20 planted-partition graphs, the notebook's 9 LFR settings x 10 graphs).
    seed : int
        Base seed (>= 0); every claim's seeds derive from it and are recorded in the report.
    progress : bool
        Show progress bars.
    threads : int, optional
        Recorded in the report (the command line applies it).

    Returns
    -------
    neurotypes.Report
    """
    _planted.cache_clear()
    _fits.cache_clear()
    try:
        return run_claims(
            PACKAGE,
            _version(),
            out_dir,
            CLAIMS,
            quick=quick,
            seed=seed,
            progress=progress,
            threads=threads,
            params={
                "window": WINDOW,
                "rank": RANK,
                "ntf_restarts": RESTARTS,
                "lfr_fixed": LFR_FIXED,
                "lfr_settings": [list(s) for s in (LFR_QUICK if quick else LFR_FULL)],
            },
            libraries=("numpy", "scipy", "tensorly", "networkx", "leidenalg", "igraph"),
        )
    finally:
        _planted.cache_clear()
        _fits.cache_clear()
