"""The draws of a :class:`~bibcluster.BiClusterSampler` fit and their summaries (imported by the sampler, never the
other way round)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bibcluster.summaries import align_labels, max_pear, min_binder, similarity_matrix
from neurotypes import Partition

__all__ = ["ChainSamples", "Posterior"]


@dataclass
class ChainSamples:
    """Post-burn-in draws of one chain."""

    z: np.ndarray  # (S, N)
    xi: np.ndarray  # (S, T)
    n_clusters: np.ndarray  # (S,)
    n_states: np.ndarray  # (S,)
    log_rate: np.ndarray  # (S, N, T) float32
    latents: list[np.ndarray]  # S arrays (K_s, T, p+1)
    r: np.ndarray  # (S, N)
    log_lik: np.ndarray  # (S,)
    d: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))  # (S, N) baselines d_i (identified)
    accept_poisson: float = float("nan")
    move_stats: dict[str, int] = field(default_factory=dict)  # label split-merge moves proposed / accepted


class Posterior:
    """Post-burn-in draws of all chains, with label-switching-aware summaries.

    Attributes
    ----------
    chains : list of ChainSamples
    n_clusters_trace : numpy.ndarray
        ``(chains, draws)`` number of neuron clusters per draw.
    n_states_trace : numpy.ndarray
        ``(chains, draws)`` number of occupied states per draw.
    """

    def __init__(self, chains: list[ChainSamples], y: np.ndarray, p: int, family: str, bin_size: float = 1.0):
        self.chains = chains
        self.y = y
        self.p = p
        self.family = family
        self.bin_size = bin_size
        self.n_clusters_trace = np.stack([c.n_clusters for c in chains])
        self.n_states_trace = np.stack([c.n_states for c in chains])
        self._z = np.concatenate([c.z for c in chains])
        self._xi = np.concatenate([c.xi for c in chains])
        self._cache: dict[str, Any] = {}

    @property
    def n_draws(self) -> int:
        """Total number of kept draws over chains."""
        return int(self._z.shape[0])

    def coclustering_neurons(self) -> np.ndarray:
        """Posterior probability that neurons i and j share a cluster, ``(N, N)``."""
        if "psm_n" not in self._cache:
            self._cache["psm_n"] = similarity_matrix(self._z)
        return np.asarray(self._cache["psm_n"])

    def coclustering_states(self) -> np.ndarray:
        """Posterior probability that time bins s and t share a dynamical state, ``(T, T)``."""
        if "psm_t" not in self._cache:
            self._cache["psm_t"] = similarity_matrix(self._xi)
        return np.asarray(self._cache["psm_t"])

    def point_estimate(self, method: str = "maxpear") -> Partition:
        """Point estimate of the neuron clusters (``"maxpear"`` or ``"minbinder"``) as a Partition."""
        return Partition(labels=self._point(self._z, self.coclustering_neurons(), method))

    def state_estimate(self, method: str = "maxpear") -> np.ndarray:
        """Point estimate of the state sequence ``xi`` (labels ``(T,)``)."""
        return self._point(self._xi, self.coclustering_states(), method)

    def _point(self, samples: np.ndarray, psm: np.ndarray, method: str) -> np.ndarray:
        if method not in ("maxpear", "minbinder"):
            raise ValueError(f"method must be 'maxpear' or 'minbinder', got {method!r}")
        key = f"{method}-{id(psm)}-{psm.shape[0]}"
        if key not in self._cache:
            uniq = np.unique(samples, axis=0)
            if uniq.shape[0] > 2000:
                uniq = uniq[:: int(np.ceil(uniq.shape[0] / 2000))]
            fn = max_pear if method == "maxpear" else min_binder
            self._cache[key] = fn(psm, uniq).astype(np.int64)
        return np.asarray(self._cache[key])

    def relabeled_neuron_samples(self) -> np.ndarray:
        """Neuron labels of every draw aligned to the maxPEAR estimate (Hungarian algorithm), ``(S, N)``."""
        ref = self.point_estimate().labels
        return np.stack([align_labels(z, ref) for z in self._z])

    def relabeled_state_samples(self) -> np.ndarray:
        """State labels of every draw aligned to the maxPEAR state estimate, ``(S, T)``."""
        ref = self.state_estimate()
        return np.stack([align_labels(x, ref) for x in self._xi])

    def log_rate_samples(self) -> np.ndarray:
        """Draws of the identified linear predictor ``log lambda_it``, ``(S, N, T)``."""
        return np.concatenate([c.log_rate for c in self.chains]).astype(float)

    def trajectories(self, hpd: float = 0.95) -> dict[str, np.ndarray]:
        """Posterior means and equal-tailed credible bands.

        The latents themselves are identified only up to an invertible map per cluster, so the bands are given on
        the identified scale: the per-neuron log firing rate ``log lambda_it = d_i + mu_t + c_i'x_t``, and the
        per-cluster mean log rate (average over the maxPEAR cluster's members).

        Returns
        -------
        dict
            ``log_rate_mean/lower/upper`` ``(N, T)`` and ``cluster_mean/lower/upper`` ``(K_hat, T)``.
        """
        if not 0 < hpd < 1:
            raise ValueError(f"hpd must lie in (0, 1), got {hpd!r}")
        eta = self.log_rate_samples()
        lo, hi = (1 - hpd) / 2, 1 - (1 - hpd) / 2
        z = self.point_estimate().labels
        K = int(z.max()) + 1
        cl = np.stack([eta[:, z == k].mean(1) for k in range(K)], 1)  # (S, K, T)
        return {
            "log_rate_mean": eta.mean(0),
            "log_rate_lower": np.quantile(eta, lo, axis=0),
            "log_rate_upper": np.quantile(eta, hi, axis=0),
            "cluster_mean": cl.mean(0),
            "cluster_lower": np.quantile(cl, lo, axis=0),
            "cluster_upper": np.quantile(cl, hi, axis=0),
        }

    def to_inference_data(self) -> Any:
        """ArviZ ``InferenceData`` (``arviz`` dependency): per chain and draw the number of clusters and states, the
        log-likelihood, the baselines ``d_i``, the dispersions ``r_i`` and the labels aligned to the point estimates
        (``z``, ``xi``); ``sample_stats.lp`` is the log-likelihood too."""
        import arviz as az

        n_ch = len(self.chains)
        S = self.chains[0].z.shape[0]
        zr = self.relabeled_neuron_samples().reshape(n_ch, S, -1)
        xr = self.relabeled_state_samples().reshape(n_ch, S, -1)
        ll = np.stack([c.log_lik for c in self.chains])
        posterior = {
            "n_clusters": self.n_clusters_trace,
            "n_states": self.n_states_trace,
            "log_lik": ll,
            "d": np.stack([c.d for c in self.chains]),
            "r": np.stack([c.r for c in self.chains]),
            "z": zr,
            "xi": xr,
        }
        return az.from_dict(
            posterior=posterior,
            sample_stats={"lp": ll},
            dims={"z": ["neuron"], "xi": ["time"], "r": ["neuron"], "d": ["neuron"]},
        )

    def diagnostics(self) -> dict[str, dict[str, float]]:
        """Convergence diagnostics by ArviZ: rank-normalised split R-hat and bulk / tail effective sample sizes.

        Rows: ``n_clusters`` (K), ``n_states``, ``log_lik`` and the neurons' baselines ``d_i`` (the identified part
        of the loadings; reported as the largest R-hat and smallest ESS over neurons). Values are NaN where a
        quantity did not vary at all (e.g. K constant in every draw of every chain). R-hat needs two or more
        chains; with one chain it is the split R-hat of its two halves.
        """
        if "diagnostics" in self._cache:
            return dict(self._cache["diagnostics"])
        import arviz as az

        idata = self.to_inference_data()
        names = ["n_clusters", "n_states", "log_lik", "d"]
        with np.errstate(invalid="ignore", divide="ignore"):
            rhat = az.rhat(idata, var_names=names, method="rank")
            bulk = az.ess(idata, var_names=names, method="bulk")
            tail = az.ess(idata, var_names=names, method="tail")
        out: dict[str, dict[str, float]] = {}
        for name in names:
            r = np.asarray(rhat[name].values, dtype=float)
            b = np.asarray(bulk[name].values, dtype=float)
            t = np.asarray(tail[name].values, dtype=float)
            label = "d (max R-hat, min ESS over neurons)" if name == "d" else name
            out[label] = {
                "r_hat": float(np.nanmax(r)) if np.any(np.isfinite(r)) else float("nan"),
                "ess_bulk": float(np.nanmin(b)) if np.any(np.isfinite(b)) else float("nan"),
                "ess_tail": float(np.nanmin(t)) if np.any(np.isfinite(t)) else float("nan"),
            }
        self._cache["diagnostics"] = out
        return dict(out)

    def save_inference_data(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_inference_data` as netCDF, atomically (a temporary file in the same folder, then a
        rename; the file gets the permissions the umask allows; nothing is left behind on failure)."""
        target = Path(path)
        if target.is_dir():
            raise ValueError(f"path must be a file name, got the folder {str(target)!r}")
        if not target.parent.exists():
            raise ValueError(f"path's folder does not exist: {str(target.parent)!r}")
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            self.to_inference_data().to_netcdf(str(tmp))
            os.replace(tmp, target)
        finally:
            if tmp.exists():
                tmp.unlink()
        return target
