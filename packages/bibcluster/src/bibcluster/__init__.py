"""bibcluster: Bayesian bi-clustering of neural spiking activity with latent structures (Wei, arXiv:2309.02213)."""

from bibcluster import simulate
from bibcluster.data import load_counts, save_result
from bibcluster.ffbs import ffbs
from bibcluster.glm import laplace_log_marginal, loglik_counts
from bibcluster.hmm import StickyHDPHMM
from bibcluster.pg import pg_mean, sample_pg
from bibcluster.posterior import Posterior
from bibcluster.priors import DPPrior, MFMPrior, log_v_coefficients
from bibcluster.sampler import BiClusterSampler
from bibcluster.summaries import max_pear, min_binder, pear, similarity_matrix
from neurotypes import package_version

__version__ = package_version("bibcluster")

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
    "load_counts",
    "log_v_coefficients",
    "loglik_counts",
    "max_pear",
    "min_binder",
    "pear",
    "pg_mean",
    "reproduce",
    "sample_pg",
    "save_result",
    "similarity_matrix",
    "simulate",
]
