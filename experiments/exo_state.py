"""Beyond the paper: exogenous state with its own dynamics (lamsim/linear/state.py).

The background's amplitude sigma_e against its persistence rho, with A learned and A fixed to I
(a residual FDM), d_a = d_b = d_z = 8, surrogate latent, interventional probes. The theory puts the
two thresholds at sigma_e^2 (1 - rho^2) = 1 (A learned: A absorbs the drift, the latent sees the
innovation) and 2 sigma_e^2 (1 - rho) = 1 (A = I: the latent must explain the whole change); beside
the LLO, nMSE(e | l) says how much of the current exogenous state the latent holds.
"""
from experiments.runner import Panel
from lamsim.linear.settings import Setting
from lamsim.linear.sweep import Axis

#: Adam steps on the expected loss (the exact profile); every point of the panel is converged by then.
STEPS = {"exact": 2000, "fast": 8000, "faithful": 40000}
SIGMA = [0.5, 1.0, 1.5, 2.0]
RHO = [-0.5, -0.25, 0.0, 0.25, 0.5, 0.7, 0.8, 0.9, 0.95]

EXPERIMENT = Panel(
    name="exo_state", step_table=STEPS,
    claim="beyond the paper: the latent holds the action iff sigma_e^2 (1 - rho^2) < 1 with A learned, "
          "2 sigma_e^2 (1 - rho) < 1 with A fixed to I",
    base=Setting(d_a=8, d_b=8, d_z=8, noise="exo-state", sigma=1.0, latent="surrogate"),
    axes=(Axis.of("learn_a", [True, False]), Axis.of("sigma", SIGMA), Axis.of("rho", RHO)),
    quick_axes=(Axis.of("learn_a", [True, False]), Axis.of("sigma", [1.0, 2.0]), Axis.of("rho", [-0.5, 0.5, 0.95])),
)
