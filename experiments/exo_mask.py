"""Beyond the paper: a reconstruction mask (MaskLAM, arXiv 2602.02259) against exogenous state.

The loss weight W = I - (1 - beta) M M^T down-weights the masked directions M. A loud, fast
background (sigma_e 2, rho 0: sigma_e^2 (1 - rho^2) = 4) wins the latent without a mask; a perfect
mask (M = the 8 exogenous directions) scales its eigenvalue by beta, so the theory's threshold is
beta = 1/4. Imperfect masks: one that misses half the exogenous directions (4 of 8 stay loud), and
one that also cuts into 2 of the agent's 8 directions. A learned, d_a = d_b = d_z = 8, surrogate
latent. beta stays > 0: at beta = 0 the FDM's rows in the masked directions get no gradient, so what
the surrogate reads through them is the initialisation's (the theory is NaN there).
"""
from experiments.exo_state import STEPS
from experiments.runner import Panel
from lamsim.linear.settings import Setting
from lamsim.linear.sweep import Axis

BETA = [1.0, 0.5, 0.35, 0.2, 0.15, 0.1, 0.05]
#: Mask quality: (name, the Setting fields it sets).
QUALITY = Axis("mask", ("perfect", "half", "leaky"),
               ({"mask_cover": None, "mask_leak": 0}, {"mask_cover": 4, "mask_leak": 0},
                {"mask_cover": None, "mask_leak": 2}))

EXPERIMENT = Panel(
    name="exo_mask", step_table=STEPS,
    claim="beyond the paper: a perfect mask of weight beta puts the action first iff beta sigma_e^2 (1 - rho^2) < 1",
    base=Setting(d_a=8, d_b=8, d_z=8, noise="exo-state", sigma=2.0, rho=0.0, latent="surrogate"),
    axes=(QUALITY, Axis.of("mask_weight", BETA)),
    quick_axes=(QUALITY, Axis.of("mask_weight", [1.0, 0.35, 0.2, 0.05])),
)
