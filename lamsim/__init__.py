"""lamsim: the simulations of "What Do Latent Action Models Actually Learn?" in JAX.

A linear latent action model (IDM z = C o + D o', FDM o'_hat = A o + B z) trained
with Adam on fresh Gaussian batches, vmapped over seeds and settings, and
evaluated in closed form (float64) with the paper's linear LAM objective (LLO).

    from lamsim import Setting, Sweep, Axis, run_sweep
    sweep = Sweep("mine", Setting(noise="iid", sigma=0.5), axes=(Axis.of("d_z", [4, 8]),), seeds=3)
    result = run_sweep(sweep)
    result.arrays["llo"]          # [d_z, seed]
    result.arrays["theory_llo"]   # the PCA-optimal latent's LLO
"""
from lamsim.evaluate import DEFAULT_RIDGE, Noise, Terms, evaluate, latent_terms, probe_nmse
from lamsim.results import ResultsError, load, save
from lamsim.settings import Setting
from lamsim.sweep import METRICS, Axis, Sweep, SweepResult, run_sweep
from lamsim.theory import optimal_latent_terms, pca_floor

__all__ = [
    "Axis", "DEFAULT_RIDGE", "METRICS", "Noise", "ResultsError", "Setting", "Sweep", "SweepResult", "Terms",
    "evaluate", "latent_terms", "load", "optimal_latent_terms", "pca_floor", "probe_nmse", "run_sweep", "save",
]
