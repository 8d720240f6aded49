"""Training dynamics (beyond the paper): how fast the LLO and the loss reach their optimum.

Without noise the population optimum does not move with chi (< 1) or |kappa|:
the LLO's end point is 2 (surrogate latent for chi; true latent for |kappa|).
What the policy and the augmentation change is the way there. Trained with
the paper's stated optimiser (Adam at 1e-3, 4,000 steps: the ``faithful``
profile at the paper's text's step count), evaluated exactly at 40 points.
"""
import dataclasses

from experiments.runner import Panel
from lamsim.linear.settings import Setting
from lamsim.linear.sweep import Axis

#: The paper's stated optimiser and step count (Adam 1e-3, 4,000 steps): training curves.
STEPS = {"faithful": 4000}

CHI = Panel(
    name="dynamics_chi", claim="beyond the paper: a deterministic policy slows the latent's learning of the action",
    base=Setting(d_a=8, d_z=8, latent="surrogate"),
    axes=(Axis.of("chi", [0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95]),),
    quick_axes=(Axis.of("chi", [0.0, 0.7]),),
    curve=40, fixed_profile="faithful", step_table=STEPS,
)
KAPPA = dataclasses.replace(
    CHI, name="dynamics_kappa", claim="beyond the paper: stronger augmentation reaches A = I, C + D = 0 sooner",
    base=Setting(d_a=8, d_z=8, latent="true"),
    axes=(Axis.of("kappa", [0.01, 0.02, 0.05, 0.1, 0.2, 0.5]),), quick_axes=(Axis.of("kappa", [0.05, 0.5]),),
)
