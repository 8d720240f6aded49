"""Table 1's numbers as the authors computed them (paper Sec. 5; their released grid-world code),
from the sums that training keeps over its metrics window (:class:`~lamsim.gridworld.authors.train.Window`).

Both losses are per-pixel MSEs of o'_hat, averaged over the updates of the last
``metric_epochs`` epochs, on un-augmented batches of held-out uniform-policy pairs, with the
model in training mode (BatchNorm normalises each batch with its own statistics, as the authors'
code does when it logs them):

- controllable_loss: MSE on rows 0-2 divided by ``controllable_normaliser`` (the authors'
  0.060); controllable_loss_exact divides the same MSE by the exact error of the best
  action-blind prediction E[o' | o] on this data (:func:`~lamsim.gridworld.authors.world.action_blind_error`),
  so that a latent without action information scores 1.0 there;
- stochastic_loss: MSE on row 3 divided by the noise variance intensity^2 / 4 (0.25 low, 1.0
  high; 1.0 = the latent holds none of the noise); NaN without noise.

The same numbers on the training batches themselves (``*_train``; augmented where the row
augments) are what the authors' code logs for a data set whose path lacks "0.". The held-out
batches also give the share of pairs whose code's most frequent action is their own
(action_purity) and the codes chosen at least once (codes_used).
"""
from __future__ import annotations

import numpy as np

from lamsim.gridworld.authors import world
from lamsim.gridworld.authors.settings import AuthorsConfig, AuthorsKnobs

METRICS = ("controllable_loss", "stochastic_loss", "controllable_loss_exact", "controllable_loss_train",
           "stochastic_loss_train", "controllable_mse", "stochastic_mse", "action_purity", "codes_used")


def window_metrics(window, knobs: AuthorsKnobs, config: AuthorsConfig) -> dict:
    """Table 1's numbers of every run (see the module docstring): metric -> float64 [R]; and
    ``code_action_counts`` [R, codes, actions] of the held-out batches."""
    n = np.asarray(window.updates, np.float64)
    # A noise cell is Bernoulli(0.5) x intensity.
    variance = np.asarray(knobs.noise_intensity, np.float64) ** 2 / 4

    def noise_normalised(mse):
        return np.where(variance > 0, mse / np.where(variance > 0, variance, 1.0), np.nan)

    mse = {name: np.asarray(getattr(window, name), np.float64) / n
           for name in ("controllable", "stochastic", "controllable_train", "stochastic_train")}
    counts = np.asarray(window.counts, np.float64)
    return {
        "controllable_loss": mse["controllable"] / config.controllable_normaliser,
        "stochastic_loss": noise_normalised(mse["stochastic"]),
        "controllable_loss_exact": mse["controllable"] / world.action_blind_error(config.frames),
        "controllable_loss_train": mse["controllable_train"] / config.controllable_normaliser,
        "stochastic_loss_train": noise_normalised(mse["stochastic_train"]),
        "controllable_mse": mse["controllable"],
        "stochastic_mse": mse["stochastic"],
        "action_purity": counts.max(axis=2).sum(axis=1) / counts.sum(axis=(1, 2)),
        "codes_used": (counts.sum(axis=2) > 0).sum(axis=1).astype(np.float64),
        "code_action_counts": counts,
    }
