"""astrosnn: astrocyte-modulated spiking units and the AstroSNN language model (Shen et al., arXiv:2312.07625).

The AM-SU equations are a reconstruction (the paper's method section could not be read); every unconfirmed part
is a named option of :class:`AMSUCell`.
"""

from importlib.metadata import PackageNotFoundError, version

from astrosnn import data
from astrosnn.baselines import TransformerLM, gpt2_n_params, lif_baseline, transformer_baseline
from astrosnn.model import (
    AMSU,
    LIF,
    MODS,
    AMSUCell,
    AMSUState,
    AstroBlock,
    AstroSNNLM,
    LIFState,
    LMConfig,
    count_params,
    to_spike_trains,
)
from astrosnn.surrogate import SURROGATES, spike, surrogate_grad

try:
    __version__ = version("astrosnn")
except PackageNotFoundError:  # pragma: no cover
    __version__ = "0.0.0"

__all__ = [
    "AMSU",
    "LIF",
    "MODS",
    "SURROGATES",
    "AMSUCell",
    "AMSUState",
    "AstroBlock",
    "AstroSNNLM",
    "LIFState",
    "LMConfig",
    "TransformerLM",
    "__version__",
    "count_params",
    "data",
    "gpt2_n_params",
    "lif_baseline",
    "spike",
    "surrogate_grad",
    "to_spike_trains",
    "transformer_baseline",
]
