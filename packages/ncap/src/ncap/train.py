"""Rollouts, evaluation and black-box training (CMA-ES, OpenAI-ES) of swimmer policies.

Every episode is deterministic given the policy parameters and the environment seed, so fitness evaluations can
run in worker processes (``workers``) without changing the numbers.
"""

from __future__ import annotations

import copy
import functools
import json
import multiprocessing as mp
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray
from tqdm.auto import tqdm

from ncap import envs
from ncap.baselines import MLPPolicy
from ncap.circuit import SwimmerNCAP
from ncap.data import Rollout
from neurotypes.validation import check_array, check_bool, check_float, check_int, check_path

__all__ = [
    "ESResult",
    "Policy",
    "Rollout",
    "centred_ranks",
    "cma_es",
    "episode_returns",
    "evaluate",
    "load_policy",
    "openai_es",
    "rollout",
    "save_policy",
]


class Policy(Protocol):
    """What the trainers need of a policy: an action from an observation and a flat parameter vector."""

    @property
    def n_params(self) -> int: ...

    def __call__(self, observation: Mapping[str, Any], step: int) -> NDArray[np.float64]: ...

    def get_params(self) -> NDArray[np.float64]: ...

    def set_params(self, params: ArrayLike) -> Any: ...

    def reset(self) -> None: ...


EnvFn = Callable[[int], Any]


def _check_policy(policy: object) -> None:
    for attr in ("reset", "get_params", "set_params"):
        if not callable(getattr(policy, attr, None)) or not callable(policy):
            raise TypeError(
                f"policy must be a swimmer policy (callable, with reset/get_params/set_params), got {type(policy).__name__}"
            )


def _check_env(env: object) -> None:
    if not all(callable(getattr(env, a, None)) for a in ("reset", "step", "control_timestep")):
        raise TypeError(
            f"env must be a dm_control Environment (reset/step/control_timestep), got {type(env).__name__}"
        )


def rollout(policy: Policy, env: Any) -> Rollout:
    """Run one full episode of ``policy`` in a dm_control ``env`` (reset first) and record it.

    Parameters
    ----------
    policy : Policy
        ``policy(observation, step) -> torques``.
    env : dm_control.rl.control.Environment
        E.g. :func:`ncap.envs.make_swim`.

    Returns
    -------
    Rollout
    """
    _check_policy(policy)
    _check_env(env)
    policy.reset()
    ts = env.reset()
    obs, acts, rews = [], [], []
    step = 0
    while not ts.last():
        action = np.asarray(policy(ts.observation, step), dtype=np.float64)
        obs.append(np.concatenate([np.ravel(v) for v in ts.observation.values()]))
        acts.append(action)
        ts = env.step(action)
        rews.append(float(ts.reward))
        step += 1
    return Rollout(np.array(obs), np.array(acts), np.array(rews), float(env.control_timestep()))


def _episode_return(policy: Policy, env: Any) -> float:
    policy.reset()
    ts = env.reset()
    total, step = 0.0, 0
    while not ts.last():
        ts = env.step(policy(ts.observation, step))
        total += float(ts.reward)
        step += 1
    return total


def default_env_fn(policy: Any) -> EnvFn:
    """``seed -> make_swim(n_links=policy.n_joints + 1, seed=seed)``."""
    n_joints = int(getattr(policy, "n_joints", 5))
    return functools.partial(_make_swim_seeded, n_links=n_joints + 1)


def _make_swim_seeded(seed: int, n_links: int) -> Any:
    return envs.make_swim(n_links=n_links, seed=seed)


def _job(policy: Policy, params: NDArray[np.float64] | None, env_fn: EnvFn, seed: int) -> float:
    pol = copy.deepcopy(policy)
    if params is not None:
        pol.set_params(params)
    return _episode_return(pol, env_fn(seed))


@contextmanager
def _executor(workers: int) -> Iterator[ProcessPoolExecutor | None]:
    if workers <= 1:
        yield None
        return
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(method)) as pool:
        yield pool


def _map(pool: ProcessPoolExecutor | None, jobs: Sequence[tuple[Any, ...]]) -> list[float]:
    if pool is None:
        return [_job(*j) for j in jobs]
    return list(pool.map(_job, *zip(*jobs, strict=True)))


def _check_workers(workers: object) -> int:
    return check_int("workers", workers, minimum=1)


def _check_seeds(name: str, seeds: object) -> list[int]:
    if isinstance(seeds, str | bytes) or not isinstance(seeds, Sequence | np.ndarray):
        raise TypeError(f"{name} must be a sequence of integer seeds, got {type(seeds).__name__}")
    out = [check_int(f"{name}[{i}]", s, minimum=0) for i, s in enumerate(seeds)]
    if not out:
        raise ValueError(f"{name} must hold at least one seed")
    return out


def episode_returns(
    policy: Policy,
    seeds: Sequence[int],
    env_fn: EnvFn | None = None,
    params: Sequence[ArrayLike] | None = None,
    workers: int = 1,
) -> NDArray[np.float64]:
    """Returns of one episode per seed (and per parameter vector, when ``params`` is given), in parallel.

    Parameters
    ----------
    policy : Policy
    seeds : sequence of int
        Episode seeds (>= 0), one episode each.
    env_fn : callable, optional
        ``seed -> environment``; default the swim task for the policy's body.
    params : sequence of array_like, optional
        One parameter vector per seed (the policy itself is not changed).
    workers : int
        Processes evaluating episodes in parallel.

    Returns
    -------
    numpy.ndarray
        float64 [len(seeds)].
    """
    _check_policy(policy)
    seeds = _check_seeds("seeds", seeds)
    env_fn = env_fn or default_env_fn(policy)
    vecs = (
        [None] * len(seeds)
        if params is None
        else [check_array(f"params[{i}]", p, shape=(policy.n_params,)) for i, p in enumerate(params)]
    )
    if len(vecs) != len(seeds):
        raise ValueError(f"params must have one entry per seed ({len(seeds)}), got {len(vecs)}")
    with _executor(_check_workers(workers)) as pool:
        return np.array(_map(pool, [(policy, v, env_fn, int(s)) for v, s in zip(vecs, seeds, strict=True)]))


def evaluate(
    policy: Policy, seed: int = 0, episodes: int = 1, workers: int = 1, env_fn: EnvFn | None = None
) -> float:
    """Mean episode return of ``policy`` on the paper's swim task, episodes seeded ``seed, seed + 1, ...``.

    The body has ``policy.n_joints + 1`` links (6 for the default 5-joint swimmer). The maximum return is 1000.

    Examples
    --------
    >>> from ncap import SwimmerNCAP
    >>> round(evaluate(SwimmerNCAP(), seed=0) / 1000, 1)
    0.8
    """
    seed = check_int("seed", seed, minimum=0)
    episodes = check_int("episodes", episodes, minimum=1)
    return float(episode_returns(policy, [seed + k for k in range(episodes)], env_fn, workers=workers).mean())


@dataclass
class ESResult:
    """Outcome of a black-box training run.

    Attributes
    ----------
    best_params : numpy.ndarray
        The parameter vector with the best return on the training episode.
    best_return : float
        Its return on the training episode (what the optimiser saw).
    history : list of dict
        Per generation: ``generation``, ``episodes`` (cumulative training episodes), ``mean``, ``best`` (this
        generation), ``best_so_far`` and, when held-out seeds were given, ``heldout`` (mean return of the
        best-so-far parameters on the held-out episodes).
    heldout_return : float or None
        Mean return of ``best_params`` on the held-out episodes (``None`` without ``eval_seeds``).
    eval_seeds : tuple of int
        The held-out episode seeds.
    """

    best_params: NDArray[np.float64]
    best_return: float
    history: list[dict[str, float]] = field(default_factory=list)
    heldout_return: float | None = None
    eval_seeds: tuple[int, ...] = ()

    def episodes_to_reach(self, threshold: float, *, heldout: bool = False) -> int | None:
        """Training episodes spent when the best-so-far return first reached ``threshold`` (or ``None``).

        ``heldout=True`` asks when the best-so-far parameters first reached it on the held-out episodes.
        """
        threshold = check_float("threshold", threshold)
        key = "heldout" if heldout else "best_so_far"
        if heldout and not self.eval_seeds:
            raise ValueError("this run had no held-out episodes (pass eval_seeds to the trainer)")
        for h in self.history:
            if h[key] >= threshold:
                return int(h["episodes"])
        return None


class _HeldOut:
    """Mean return of parameter vectors on held-out episodes, cached per vector."""

    def __init__(
        self, policy: Policy, env_fn: EnvFn, seeds: list[int], pool: ProcessPoolExecutor | None
    ) -> None:
        self.policy, self.env_fn, self.seeds, self.pool = policy, env_fn, seeds, pool
        self._last: tuple[bytes, float] | None = None

    def __call__(self, params: NDArray[np.float64]) -> float:
        key = np.asarray(params, dtype=np.float64).tobytes()
        if self._last is None or self._last[0] != key:
            fits = _map(self.pool, [(self.policy, params, self.env_fn, s) for s in self.seeds])
            self._last = (key, float(np.mean(fits)))
        return self._last[1]


def _check_es(
    policy: object, gens: object, seed: object, env_seed: object, eval_seeds: object
) -> tuple[int, int, int, list[int]]:
    _check_policy(policy)
    gens = check_int("gens", gens, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    env_seed = seed if env_seed is None else check_int("env_seed", env_seed, minimum=0)
    held = [] if eval_seeds is None else _check_seeds("eval_seeds", eval_seeds)
    if env_seed in held:
        raise ValueError(f"eval_seeds must be held out: they include the training episode seed {env_seed}")
    return gens, seed, env_seed, held


def cma_es(
    policy: Policy,
    env_fn: EnvFn | None = None,
    gens: int = 15,
    popsize: int = 8,
    sigma0: float = 0.3,
    seed: int = 0,
    env_seed: int | None = None,
    workers: int = 1,
    target: float | None = None,
    progress: bool = False,
    eval_seeds: Sequence[int] | None = None,
) -> ESResult:
    """Train with CMA-ES (pycma) from the policy's current parameters; one training episode per candidate.

    Parameters
    ----------
    policy : Policy
        Its current parameters are the starting mean; it is left holding the best parameters found.
    env_fn : callable, optional
        ``seed -> environment``; default the swim task for the policy's body.
    gens, popsize : int
        Generations and population size (paper-style defaults 15 and 8).
    sigma0 : float
        Initial step size (> 0; default 0.3).
    seed : int
        Seed of the CMA-ES sampler.
    env_seed : int, optional
        Seed of the training episode (every candidate sees the same start); default ``seed``.
    workers : int
        Processes evaluating candidates in parallel.
    target : float, optional
        Stop after the first generation whose best-so-far training return reaches ``target``.
    progress : bool
        Show a progress bar.
    eval_seeds : sequence of int, optional
        Held-out episode seeds (not the training seed): after each generation the best-so-far parameters are
        evaluated on them (``history[g]["heldout"]``, ``ESResult.heldout_return``). These episodes are not
        counted in ``episodes`` and never steer the search.

    Returns
    -------
    ESResult
    """
    import cma

    gens, seed, env_seed, held = _check_es(policy, gens, seed, env_seed, eval_seeds)
    popsize = check_int("popsize", popsize, minimum=2)
    sigma0 = check_float("sigma0", sigma0, positive=True)
    if target is not None:
        target = check_float("target", target)
    progress = check_bool("progress", progress)
    env_fn = env_fn or default_env_fn(policy)
    x0 = policy.get_params()
    if x0.size == 0:
        raise ValueError("policy has no parameters to train")
    # pycma treats seed 0 as "seed from the clock": offset by one so every seed is reproducible.
    es = cma.CMAEvolutionStrategy(x0, sigma0, {"popsize": popsize, "seed": seed + 1, "verbose": -9})
    best_x, best_f = x0.copy(), -np.inf
    history: list[dict[str, float]] = []
    episodes = 0
    with _executor(_check_workers(workers)) as pool:
        heldout = _HeldOut(policy, env_fn, held, pool)
        for g in tqdm(range(gens), desc="CMA-ES", disable=not progress):
            xs = es.ask()
            fits = _map(pool, [(policy, np.asarray(x), env_fn, env_seed) for x in xs])
            episodes += len(xs)
            es.tell(xs, [-f for f in fits])
            i = int(np.argmax(fits))
            if fits[i] > best_f:
                best_f, best_x = float(fits[i]), np.asarray(xs[i], dtype=np.float64).copy()
            row = {
                "generation": g + 1,
                "episodes": episodes,
                "mean": float(np.mean(fits)),
                "best": float(fits[i]),
                "best_so_far": best_f,
            }
            if held:
                row["heldout"] = heldout(best_x)
            history.append(row)
            if target is not None and best_f >= target:
                break
        final_heldout = heldout(best_x) if held else None
    policy.set_params(best_x)
    return ESResult(best_x, best_f, history, final_heldout, tuple(held))


def centred_ranks(x: ArrayLike) -> NDArray[np.float64]:
    """Centred-rank fitness shaping: ranks mapped linearly to ``[-0.5, 0.5]`` (ties broken by order).

    Examples
    --------
    >>> centred_ranks([3.0, 1.0, 2.0]).tolist()
    [0.5, -0.5, 0.0]
    """
    v = check_array("x", x, ndim=1)
    if v.size < 2:
        return np.zeros(v.size)
    ranks = np.empty(v.size)
    ranks[np.argsort(v, kind="stable")] = np.arange(v.size)
    return ranks / (v.size - 1) - 0.5


def openai_es(
    policy: Policy,
    env_fn: EnvFn | None = None,
    gens: int = 30,
    pop: int = 8,
    sigma: float = 0.02,
    lr: float = 0.01,
    weight_decay: float = 0.005,
    seed: int = 0,
    env_seed: int | None = None,
    workers: int = 1,
    progress: bool = False,
    eval_seeds: Sequence[int] | None = None,
) -> ESResult:
    """OpenAI-ES (Salimans et al. 2017) as the NCAP reference trains: mirrored sampling, centred ranks, Adam.

    Each generation evaluates the current parameters (1 episode) and ``pop`` mirrored perturbations
    ``theta +- sigma eps``; the gradient estimate ``sum_i rank_i eps_i / (pop sigma)`` is ascended with Adam
    (``lr``; ``weight_decay`` as L2 added to the descent direction, as torch's Adam does). After the last
    generation the final parameters are evaluated once more: ``gens (pop + 1) + 1`` episodes in all (271 for the
    defaults).

    Parameters
    ----------
    policy : Policy
        Its current parameters are the start; it is left holding the final parameters.
    env_fn : callable, optional
    gens : int
    pop : int
        Perturbations per generation (even, for mirrored sampling).
    sigma, lr : float
        Perturbation scale and Adam step (> 0).
    weight_decay : float
        L2 weight decay (>= 0).
    seed : int
        Seed of the perturbations.
    env_seed : int, optional
        Seed of the training episode; default ``seed``.
    workers : int
    progress : bool
    eval_seeds : sequence of int, optional
        Held-out episode seeds, as in :func:`cma_es`.

    Returns
    -------
    ESResult
    """
    gens, seed, env_seed, held = _check_es(policy, gens, seed, env_seed, eval_seeds)
    pop = check_int("pop", pop, minimum=2)
    if pop % 2:
        raise ValueError(f"pop must be even for mirrored sampling, got {pop}")
    sigma = check_float("sigma", sigma, positive=True)
    lr = check_float("lr", lr, positive=True)
    weight_decay = check_float("weight_decay", weight_decay, minimum=0.0)
    progress = check_bool("progress", progress)
    env_fn = env_fn or default_env_fn(policy)
    rng = np.random.default_rng(seed)
    theta = policy.get_params()
    if theta.size == 0:
        raise ValueError("policy has no parameters to train")
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    beta1, beta2, eps_adam = 0.9, 0.999, 1e-8
    best_x, best_f = theta.copy(), -np.inf
    history: list[dict[str, float]] = []
    episodes = 0
    with _executor(_check_workers(workers)) as pool:
        heldout = _HeldOut(policy, env_fn, held, pool)
        for g in tqdm(range(gens + 1), desc="OpenAI-ES", disable=not progress):
            if g == gens:  # final evaluation of the trained parameters
                (f_theta,) = _map(pool, [(policy, theta, env_fn, env_seed)])
                episodes += 1
                if f_theta > best_f:
                    best_f, best_x = float(f_theta), theta.copy()
                row = {
                    "generation": g,
                    "episodes": episodes,
                    "mean": f_theta,
                    "best": f_theta,
                    "best_so_far": best_f,
                }
                if held:
                    row["heldout"] = heldout(best_x)
                history.append(row)
                break
            half = rng.standard_normal((pop // 2, theta.size))
            noise = np.concatenate([half, -half])
            candidates = [theta] + [theta + sigma * e for e in noise]
            fits = _map(pool, [(policy, c, env_fn, env_seed) for c in candidates])
            episodes += len(candidates)
            for c, f in zip(candidates, fits, strict=True):
                if f > best_f:
                    best_f, best_x = float(f), np.array(c)
            grad = centred_ranks(fits[1:]) @ noise / (pop * sigma)
            # torch.optim.Adam minimising -F with L2 weight decay: d = -grad + wd * theta
            d = -grad + weight_decay * theta
            m = beta1 * m + (1 - beta1) * d
            v = beta2 * v + (1 - beta2) * d * d
            m_hat, v_hat = m / (1 - beta1 ** (g + 1)), v / (1 - beta2 ** (g + 1))
            theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps_adam)
            row = {
                "generation": g + 1,
                "episodes": episodes,
                "mean": float(np.mean(fits)),
                "best": float(np.max(fits)),
                "best_so_far": best_f,
            }
            if held:
                row["heldout"] = heldout(best_x)
            history.append(row)
        final_heldout = heldout(best_x) if held else None
    policy.set_params(theta)
    return ESResult(best_x, best_f, history, final_heldout, tuple(held))


# ------------------------------------------------------------------------------------------- policy files

_FORMAT = "ncap.policy"
_FORMAT_VERSION = 1


def save_policy(policy: SwimmerNCAP | MLPPolicy, path: str | os.PathLike[str], **extra: Any) -> Path:
    """Save a policy (its settings and parameter vector) to an ``.npz`` file: arrays plus JSON metadata, no pickle.

    The file is a ``neurotypes.io.save_arrays`` archive of format ``ncap.policy``, version 1 (the parameter vector
    ``params``; the policy's kind, settings and ``extra`` as JSON), written atomically.

    Parameters
    ----------
    policy : SwimmerNCAP or MLPPolicy
        The policy to save.
    path : str or path-like
        Ends in ``.npz``; written atomically.
    **extra
        JSON-serialisable facts to keep with it (e.g. the training return and its seeds).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    TypeError
        ``policy`` is not an NCAP or MLP policy, or ``extra`` is not JSON-serialisable.
    ValueError
        ``path`` does not end in ``.npz``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from ncap import SwimmerNCAP, load_policy, save_policy
    >>> path = save_policy(SwimmerNCAP(period=80), pathlib.Path(tempfile.mkdtemp()) / "policy.npz", note="slow")
    >>> load_policy(path)[1]["note"]
    'slow'
    """
    from neurotypes.io import save_arrays

    p = check_path("path", path, must_exist=False, suffixes=(".npz",))
    if isinstance(policy, SwimmerNCAP):
        config: dict[str, Any] = {
            "n_joints": policy.n_joints,
            "period": policy.period,
            "weight_sharing": policy.weight_sharing,
            "sign_constraints": policy.sign_constraints,
            "init": policy.init,
            "proprioception": policy.proprioception,
            "oscillator": policy.oscillator,
        }
    elif isinstance(policy, MLPPolicy):
        config = {"sizes": list(policy.sizes), "activation": policy.activation}
    else:
        raise TypeError(f"policy must be a SwimmerNCAP or an MLPPolicy, got {type(policy).__name__}")
    reserved = {"kind", "config", "format", "version"} & set(extra)
    if reserved:
        raise ValueError(f"extra must not use the reserved names {sorted(reserved)}")
    meta = {"kind": type(policy).__name__, "config": config, **extra}
    try:
        json.dumps(meta, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"extra must be JSON-serialisable (finite numbers): {exc}") from None
    return save_arrays(p, {"params": policy.get_params()}, meta, format=_FORMAT, version=_FORMAT_VERSION)


def load_policy(path: str | os.PathLike[str]) -> tuple[SwimmerNCAP | MLPPolicy, dict[str, Any]]:
    """Read a policy written by :func:`save_policy` (``neurotypes.io.load_arrays``: no pickle).

    Parameters
    ----------
    path : str or path-like
        A policy file.

    Returns
    -------
    (policy, metadata)
        The policy with its parameters, and the file's metadata (``kind``, ``config``, ``format``, ``version`` and
        the ``extra`` facts).

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Not a policy file of a version this package reads, or a damaged one (the message names the file).

    Examples
    --------
    >>> from ncap import load_policy
    >>> policy, meta = load_policy("policy.npz")  # doctest: +SKIP
    """
    from neurotypes.io import load_arrays

    p = check_path("path", path, kind="file")
    arrays, meta, version = load_arrays(p, format=_FORMAT, max_version=_FORMAT_VERSION)
    try:
        params = arrays["params"]
        config = meta["config"]
        policy: SwimmerNCAP | MLPPolicy
        if meta.get("kind") == "SwimmerNCAP":
            policy = SwimmerNCAP(**config)
        elif meta.get("kind") == "MLPPolicy":
            policy = MLPPolicy(tuple(config["sizes"]), config["activation"])
        else:
            raise ValueError(f"unknown policy kind {meta.get('kind')!r}")
        policy.set_params(params)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"policy file {str(p)!r} cannot be read: {exc}") from None
    return policy, {**meta, "format": _FORMAT, "version": version}
