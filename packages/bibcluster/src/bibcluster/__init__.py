"""bibcluster: Bayesian bi-clustering of neural spiking activity with latent structures (Wei, arXiv:2309.02213)."""

from importlib.metadata import PackageNotFoundError, version

from bibcluster import simulate
from bibcluster.ffbs import ffbs
from bibcluster.glm import laplace_log_marginal, loglik_counts
from bibcluster.hmm import StickyHDPHMM
from bibcluster.pg import pg_mean, sample_pg
from bibcluster.posterior import Posterior
from bibcluster.priors import DPPrior, MFMPrior, log_v_coefficients
from bibcluster.sampler import BiClusterSampler
from bibcluster.summaries import max_pear, min_binder, pear, similarity_matrix

try:
    __version__ = version("bibcluster")
except PackageNotFoundError:  # pragma: no cover
    __version__ = "0.0.0"

from bibcluster.reproduce import reproduce

__all__ = [
    "BiClusterSampler",
    "DPPrior",
    "MFMPrior",
    "Posterior",
    "StickyHDPHMM",
    "__version__",
    "ffbs",
    "laplace_log_marginal",
    "log_v_coefficients",
    "loglik_counts",
    "max_pear",
    "min_binder",
    "pear",
    "pg_mean",
    "reproduce",
    "sample_pg",
    "similarity_matrix",
    "simulate",
]
