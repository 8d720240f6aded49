"""lamsim: the simulations of "What Do Latent Action Models Actually Learn?" in JAX.

A linear latent action model (IDM z = C o + D o', FDM o'_hat = A o + B z) trained
with Adam, vmapped over seeds and settings, and evaluated in closed form (float64)
with the paper's linear LAM objective (LLO, eq. 6).

    from lamsim import Setting, Sweep, Axis, run_sweep
    sweep = Sweep("mine", Setting(noise="iid", sigma=0.5), axes=(Axis.of("d_z", [4, 8]),), seeds=3)
    result = run_sweep(sweep)
    result.arrays["llo"]          # [d_z, seed]
    result.arrays["theory_llo"]   # the PCA-optimal latent's LLO
    result.to_xarray().llo.sel(d_z=8).mean("seed")   # labelled arrays (xarray)

Beyond pixels (frozen feature maps, a learned encoder with a slow target, a multi-step IDM):
``run_window([Setting(features="agent", gamma=0.5, noise="exo", sigma=1.5)], seeds=[0, 1])`` returns
every run's LLO, its reduced-rank theory and the encoder's diagnostics; ``maps=`` takes a frozen map
of one's own (:func:`lamsim.linear.window_eval.run_settings`).

Sub-packages: :mod:`lamsim.linear` (the linear LAM), :mod:`lamsim.gridworld`
(Table 1's non-linear LAM), :mod:`lamsim.runtime` (devices, results, progress: no model).
Bad input anywhere raises :class:`InputError` (a ``ValueError``) naming the
field, the value and what is allowed.
"""
from lamsim.errors import InputError
from lamsim.linear.evaluate import METRICS, evaluate
from lamsim.linear.probes import DEFAULT_RIDGE, Noise, Terms, latent_terms, probe_nmse
from lamsim.linear.settings import Setting
from lamsim.linear.theory import optimal_latent_terms, pca_floor
from lamsim.runtime.results import Results, ResultsError, load, save
from lamsim.linear.sweep import Axis, Sweep, run_sweep
from lamsim.linear.window_eval import run_settings as run_window

__all__ = [
    "Axis", "DEFAULT_RIDGE", "InputError", "METRICS", "Noise", "Results", "ResultsError", "Setting", "Sweep", "Terms",
    "evaluate", "latent_terms", "load", "optimal_latent_terms", "pca_floor", "probe_nmse", "run_sweep", "run_window", "save",
]
