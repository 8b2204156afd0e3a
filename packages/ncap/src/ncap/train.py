"""Rollouts, evaluation and black-box training (CMA-ES, OpenAI-ES) of swimmer policies.

Every episode is deterministic given the policy parameters and the environment seed, so fitness evaluations can
run in worker processes (``workers``) without changing the numbers.
"""

from __future__ import annotations

import copy
import functools
import multiprocessing as mp
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray
from tqdm.auto import tqdm

from ncap import envs

__all__ = [
    "ESResult",
    "Policy",
    "Rollout",
    "centred_ranks",
    "cma_es",
    "episode_returns",
    "evaluate",
    "openai_es",
    "rollout",
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


@dataclass(frozen=True)
class Rollout:
    """One episode: observations (flattened), actions and rewards per control step, and the step length ``dt``."""

    obs: NDArray[np.float64]
    actions: NDArray[np.float64]
    rewards: NDArray[np.float64]
    dt: float

    @property
    def total_return(self) -> float:
        """Sum of the rewards."""
        return float(self.rewards.sum())


def rollout(policy: Policy, env: Any) -> Rollout:
    """Run one full episode of ``policy`` in a dm_control ``env`` (reset first) and record it."""
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


def _check_workers(workers: int) -> int:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    return workers


def episode_returns(
    policy: Policy,
    seeds: Sequence[int],
    env_fn: EnvFn | None = None,
    params: Sequence[ArrayLike] | None = None,
    workers: int = 1,
) -> NDArray[np.float64]:
    """Returns of one episode per seed (and per parameter vector, when ``params`` is given), in parallel."""
    env_fn = env_fn or default_env_fn(policy)
    vecs = [None] * len(seeds) if params is None else [np.asarray(p, dtype=np.float64) for p in params]
    if len(vecs) != len(seeds):
        raise ValueError(f"params must have one entry per seed ({len(seeds)}), got {len(vecs)}")
    with _executor(_check_workers(workers)) as pool:
        return np.array(_map(pool, [(policy, v, env_fn, int(s)) for v, s in zip(vecs, seeds, strict=True)]))


def evaluate(
    policy: Policy, seed: int = 0, episodes: int = 1, workers: int = 1, env_fn: EnvFn | None = None
) -> float:
    """Mean episode return of ``policy`` on the paper's swim task, episodes seeded ``seed, seed + 1, ...``.

    The body has ``policy.n_joints + 1`` links (6 for the default 5-joint swimmer). The maximum return is 1000.
    """
    if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 1:
        raise ValueError(f"episodes must be a positive integer, got {episodes!r}")
    return float(episode_returns(policy, [seed + k for k in range(episodes)], env_fn, workers=workers).mean())


@dataclass
class ESResult:
    """Outcome of a black-box training run.

    Attributes
    ----------
    best_params : numpy.ndarray
        The best parameter vector evaluated.
    best_return : float
        Its episode return.
    history : list of dict
        Per generation: ``generation``, ``episodes`` (cumulative), ``mean``, ``best`` (this generation),
        ``best_so_far``.
    """

    best_params: NDArray[np.float64]
    best_return: float
    history: list[dict[str, float]] = field(default_factory=list)

    def episodes_to_reach(self, threshold: float) -> int | None:
        """Cumulative episodes at the first generation whose best-so-far return reached ``threshold`` (or None)."""
        for h in self.history:
            if h["best_so_far"] >= threshold:
                return int(h["episodes"])
        return None


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
) -> ESResult:
    """Train with CMA-ES (pycma) from the policy's current parameters; one episode per candidate.

    Parameters
    ----------
    policy : Policy
        Its current parameters are the starting mean; it is left holding the best parameters found.
    env_fn : callable, optional
        ``seed -> environment``; default the swim task for the policy's body.
    gens, popsize, sigma0 : int, int, float
        Generations, population size and initial step size (paper-style defaults 15, 8, 0.3).
    seed : int
        Seed of the CMA-ES sampler.
    env_seed : int, optional
        Seed of the evaluation episode (every candidate sees the same start); default ``seed``.
    workers : int
        Processes evaluating candidates in parallel.
    target : float, optional
        Stop after the first generation whose best-so-far return reaches ``target``.
    """
    import cma

    _check_positive("gens", gens)
    _check_positive("popsize", popsize)
    if not np.isfinite(sigma0) or sigma0 <= 0:
        raise ValueError(f"sigma0 must be > 0, got {sigma0}")
    env_fn = env_fn or default_env_fn(policy)
    env_seed = seed if env_seed is None else env_seed
    x0 = policy.get_params()
    if x0.size == 0:
        raise ValueError("policy has no parameters to train")
    # pycma treats seed 0 as "seed from the clock": offset by one so every seed is reproducible.
    es = cma.CMAEvolutionStrategy(x0, sigma0, {"popsize": popsize, "seed": seed + 1, "verbose": -9})
    best_x, best_f = x0.copy(), -np.inf
    history: list[dict[str, float]] = []
    episodes = 0
    with _executor(_check_workers(workers)) as pool:
        for g in tqdm(range(gens), desc="CMA-ES", disable=not progress):
            xs = es.ask()
            fits = _map(pool, [(policy, np.asarray(x), env_fn, env_seed) for x in xs])
            episodes += len(xs)
            es.tell(xs, [-f for f in fits])
            i = int(np.argmax(fits))
            if fits[i] > best_f:
                best_f, best_x = float(fits[i]), np.asarray(xs[i], dtype=np.float64).copy()
            history.append(
                {
                    "generation": g + 1,
                    "episodes": episodes,
                    "mean": float(np.mean(fits)),
                    "best": float(fits[i]),
                    "best_so_far": best_f,
                }
            )
            if target is not None and best_f >= target:
                break
    policy.set_params(best_x)
    return ESResult(best_x, best_f, history)


def centred_ranks(x: ArrayLike) -> NDArray[np.float64]:
    """Centred-rank fitness shaping: ranks mapped linearly to ``[-0.5, 0.5]`` (ties broken by order)."""
    v = np.asarray(x, dtype=np.float64).ravel()
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
) -> ESResult:
    """OpenAI-ES (Salimans et al. 2017) as the NCAP reference trains: mirrored sampling, centred ranks, Adam.

    Each generation evaluates the current parameters (1 episode) and ``pop`` mirrored perturbations
    ``theta +- sigma eps``; the gradient estimate ``sum_i rank_i eps_i / (pop sigma)`` is ascended with Adam
    (``lr``; ``weight_decay`` as L2 added to the descent direction, as torch's Adam does). After the last
    generation the final parameters are evaluated once more: ``gens (pop + 1) + 1`` episodes in all (271 for the
    defaults).
    """
    _check_positive("gens", gens)
    _check_positive("pop", pop)
    if pop % 2:
        raise ValueError(f"pop must be even for mirrored sampling, got {pop}")
    for name, value in (("sigma", sigma), ("lr", lr)):
        if not np.isfinite(value) or value <= 0:
            raise ValueError(f"{name} must be > 0, got {value}")
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
    env_fn = env_fn or default_env_fn(policy)
    env_seed = seed if env_seed is None else env_seed
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
        for g in tqdm(range(gens + 1), desc="OpenAI-ES", disable=not progress):
            if g == gens:  # final evaluation of the trained parameters
                (f_theta,) = _map(pool, [(policy, theta, env_fn, env_seed)])
                episodes += 1
                if f_theta > best_f:
                    best_f, best_x = float(f_theta), theta.copy()
                history.append(
                    {
                        "generation": g,
                        "episodes": episodes,
                        "mean": f_theta,
                        "best": f_theta,
                        "best_so_far": best_f,
                    }
                )
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
            history.append(
                {
                    "generation": g + 1,
                    "episodes": episodes,
                    "mean": float(np.mean(fits)),
                    "best": float(np.max(fits)),
                    "best_so_far": best_f,
                }
            )
    policy.set_params(theta)
    return ESResult(best_x, best_f, history)


def _check_positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
