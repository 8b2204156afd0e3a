"""PPO for the paper's RL comparison (extra ``ncap[torch]``): NCAP or MLP actors with fixed Gaussian noise.

The paper trains its PPO actor as the NCAP circuit plus fixed Gaussian noise (sigma = 0.1) with an MLP(64, 64, tanh)
critic, against an MLP(64, 64, tanh) actor baseline, through the tonic library. This is a compact implementation of
the same algorithm (clipped surrogate objective, generalised advantage estimation, running observation
normalisation) so that no unmaintained RL framework is needed. It is the slow path: the paper's runs take 1e5-1e6
environment steps per seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn
from tqdm.auto import tqdm

from ncap.circuit import joint_limit
from ncap.envs import EPISODE_STEPS, make_swim, observation_size
from ncap.torch import SwimmerModule
from neurotypes.validation import check_array, check_bool, check_float, check_int, check_probability

__all__ = ["MLPActor", "NCAPActor", "PPOResult", "RunningNorm", "gae", "ppo"]


class RunningNorm:
    """Running mean and variance of observations (parallel-batch update of Chan et al.), for normalising."""

    def __init__(self, size: int, eps: float = 1e-8) -> None:
        size = check_int("size", size, minimum=1)
        eps = check_float("eps", eps, positive=True)
        self.mean = np.zeros(size)
        self.var = np.ones(size)
        self.count = eps

    def update(self, batch: NDArray[np.float64]) -> None:
        """Add a batch [n, size] (or one observation [size]) to the running statistics."""
        b = np.atleast_2d(check_array("batch", batch, ndim=(1, 2), min_size=1))
        if b.shape[1] != self.mean.size:
            raise ValueError(f"batch must have {self.mean.size} columns, got shape {b.shape}")
        b_mean, b_var, n = b.mean(axis=0), b.var(axis=0), b.shape[0]
        delta, total = b_mean - self.mean, self.count + n
        self.mean = self.mean + delta * n / total
        self.var = (self.var * self.count + b_var * n + delta**2 * self.count * n / total) / total
        self.count = total

    def __call__(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.clip((x - self.mean) / np.sqrt(self.var + 1e-8), -10.0, 10.0)


class NCAPActor(nn.Module):
    """Mean action = the NCAP circuit on the raw joint angles (the first ``n_joints`` observation entries)."""

    def __init__(self, circuit: SwimmerModule | None = None) -> None:
        super().__init__()
        self.circuit = circuit if circuit is not None else SwimmerModule()
        self.n_joints = self.circuit.circuit.n_joints
        self.uses_normalised_obs = False

    def forward(self, obs: torch.Tensor, step: torch.Tensor) -> torch.Tensor:
        joints = obs[..., : self.n_joints] / joint_limit(self.n_joints)
        return self.circuit(joints, step)


class MLPActor(nn.Module):
    """Mean action = ``tanh`` of an MLP(64, 64, tanh) on the normalised observation (the paper's PPO baseline)."""

    def __init__(self, n_obs: int = 23, n_act: int = 5, hidden: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_obs, hidden),
            nn.Tanh(),
            nn.Linear(hidden, hidden),
            nn.Tanh(),
            nn.Linear(hidden, n_act),
        ).double()
        self.uses_normalised_obs = True

    def forward(self, obs: torch.Tensor, step: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.net(obs))


def gae(
    rewards: NDArray[np.float64],
    values: NDArray[np.float64],
    next_values: NDArray[np.float64],
    ends: NDArray[np.bool_],
    gamma: float = 0.99,
    lam: float = 0.95,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Generalised advantage estimation (Schulman et al. 2016) over one batch of steps.

    ``next_values[t]`` is the critic's value of the state after step ``t`` (at an episode's time limit, the value
    of its final state: the episode is truncated, not terminated, so it is bootstrapped). ``ends[t]`` marks the
    last step of an episode, where the advantage recursion restarts.

    Returns
    -------
    advantages, returns : numpy.ndarray
        ``A_t = delta_t + gamma lam A_{t+1}`` (cut at episode ends), with ``delta_t = r_t + gamma V'_t - V_t``,
        and the critic targets ``A_t + V_t``.
    """
    r = check_array("rewards", rewards, ndim=1)
    v = check_array("values", values, ndim=1)
    nv = check_array("next_values", next_values, ndim=1)
    e = check_array("ends", ends, ndim=1, dtype="bool")
    if not len(r) == len(v) == len(nv) == len(e):
        raise ValueError(
            f"rewards, values, next_values and ends must have the same length, got {len(r)}, {len(v)}, {len(nv)}, {len(e)}"
        )
    gamma = check_probability("gamma", gamma)
    lam = check_probability("lam", lam)
    rewards, values, next_values, ends = r, v, nv, e
    deltas = rewards + gamma * next_values - values
    adv = np.zeros_like(deltas)
    running = 0.0
    for t in range(deltas.size - 1, -1, -1):  # a linear recurrence, inherently sequential
        running = deltas[t] + gamma * lam * (0.0 if ends[t] else running)
        adv[t] = running
    return adv, adv + values


@dataclass
class PPOResult:
    """Episode returns seen during training (in order) and the environment steps used."""

    episode_returns: list[float] = field(default_factory=list)
    steps: int = 0
    losses: list[float] = field(default_factory=list)


def ppo(
    actor: NCAPActor | MLPActor,
    env_fn: Callable[[int], Any] | None = None,
    total_steps: int = 100_000,
    steps_per_update: int = 2000,
    epochs: int = 10,
    minibatch: int = 64,
    lr: float = 3e-4,
    clip: float = 0.2,
    gamma: float = 0.99,
    lam: float = 0.95,
    action_std: float = 0.1,
    seed: int = 0,
    progress: bool = False,
) -> PPOResult:
    """Train ``actor`` (an :class:`NCAPActor` or :class:`MLPActor`) with PPO on the swim task.

    The policy is Gaussian with the actor's output as mean and a fixed ``action_std`` (0.1, as in the paper);
    the critic is an MLP(64, 64, tanh) on the normalised observation plus the episode's time feature. Episodes use
    environment seeds ``seed, seed + 1, ...``.
    """
    if not isinstance(actor, NCAPActor | MLPActor):
        raise TypeError(f"actor must be an NCAPActor or an MLPActor, got {type(actor).__name__}")
    for name, value in (
        ("total_steps", total_steps),
        ("steps_per_update", steps_per_update),
        ("epochs", epochs),
        ("minibatch", minibatch),
    ):
        check_int(name, value, minimum=1)
    lr = check_float("lr", lr, positive=True)
    clip = check_float("clip", clip, positive=True)
    gamma = check_probability("gamma", gamma)
    lam = check_probability("lam", lam)
    action_std = check_float("action_std", action_std, positive=True)
    seed = check_int("seed", seed, minimum=0)
    progress = check_bool("progress", progress)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    env_fn = env_fn or (lambda s: make_swim(seed=s))
    n_obs = observation_size(6)
    norm = RunningNorm(n_obs)
    critic = nn.Sequential(
        nn.Linear(n_obs + 1, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1)
    ).double()
    optimiser = torch.optim.Adam([*actor.parameters(), *critic.parameters()], lr=lr)
    result = PPOResult()
    episode = 0
    env = env_fn(seed)
    ts = env.reset()
    step_in_episode, episode_return = 0, 0.0

    def flat(observation: Any) -> NDArray[np.float64]:
        return np.concatenate([np.ravel(v) for v in observation.values()])

    def critic_input(obs_n: NDArray[np.float64], steps: NDArray[np.int64]) -> torch.Tensor:
        time_feature = 2.0 * steps / EPISODE_STEPS - 1.0
        return torch.as_tensor(np.column_stack([obs_n, time_feature]))

    bar = tqdm(total=total_steps, desc="PPO", disable=not progress)
    while result.steps < total_steps:
        n = min(steps_per_update, total_steps - result.steps)
        raw, steps, actions, rewards, ends, final_obs = [], [], [], [], [], {}
        for k in range(n):
            obs = flat(ts.observation)
            norm.update(obs)
            x = norm(obs) if actor.uses_normalised_obs else obs
            with torch.no_grad():
                mean = actor(torch.as_tensor(x[None]), torch.tensor([step_in_episode]))[0].numpy()
            action = mean + action_std * rng.standard_normal(mean.shape)
            raw.append(obs)
            steps.append(step_in_episode)
            actions.append(action)
            ts = env.step(np.clip(action, -1.0, 1.0))
            rewards.append(float(ts.reward))
            episode_return += float(ts.reward)
            step_in_episode += 1
            ends.append(ts.last())
            if ts.last():
                final_obs[k] = (flat(ts.observation), step_in_episode)
                result.episode_returns.append(episode_return)
                episode += 1
                env = env_fn(seed + episode)
                ts = env.reset()
                step_in_episode, episode_return = 0, 0.0
        result.steps += n
        bar.update(n)
        obs_arr, step_arr = np.array(raw), np.array(steps, dtype=np.int64)
        obs_n = np.array([norm(o) for o in obs_arr])
        with torch.no_grad():
            values = critic(critic_input(obs_n, step_arr)).squeeze(-1).numpy()
            nxt = np.append(values[1:], 0.0)
            last = flat(ts.observation)  # bootstrap the unfinished episode at the batch boundary
            nxt[-1] = critic(critic_input(norm(last)[None], np.array([step_in_episode]))).item()
            for k, (o, s) in final_obs.items():
                nxt[k] = critic(critic_input(norm(o)[None], np.array([min(s, EPISODE_STEPS)]))).item()
        adv, ret = gae(np.array(rewards), values, nxt, np.array(ends), gamma, lam)
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        x_actor = torch.as_tensor(obs_n if actor.uses_normalised_obs else obs_arr)
        t_actor = torch.as_tensor(step_arr)
        x_critic = critic_input(obs_n, step_arr)
        act_t = torch.as_tensor(np.array(actions))
        with torch.no_grad():
            old_logp = torch.distributions.Normal(actor(x_actor, t_actor), action_std).log_prob(act_t).sum(-1)
        adv_t, ret_t = torch.as_tensor(adv), torch.as_tensor(ret)
        for _ in range(epochs):
            for idx in np.array_split(rng.permutation(n), max(1, n // minibatch)):
                i = torch.as_tensor(idx)
                dist = torch.distributions.Normal(actor(x_actor[i], t_actor[i]), action_std)
                ratio = torch.exp(dist.log_prob(act_t[i]).sum(-1) - old_logp[i])
                surrogate = torch.min(ratio * adv_t[i], ratio.clamp(1 - clip, 1 + clip) * adv_t[i])
                value_loss = (critic(x_critic[i]).squeeze(-1) - ret_t[i]).pow(2).mean()
                loss = -surrogate.mean() + 0.5 * value_loss
                optimiser.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_([*actor.parameters(), *critic.parameters()], 0.5)
                optimiser.step()
                result.losses.append(float(loss.item()))
    bar.close()
    return result
