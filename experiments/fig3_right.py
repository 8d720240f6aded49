"""Figure 3 right: other agents' structured noise competes with the action by variance (claim C4)."""
from experiments.runner import Panel, noise_axis
from lamsim.linear.settings import Setting
from lamsim.linear.sweep import Axis

#: Adam steps per profile: ``faithful`` is the paper's released scripts (10,000 at 1e-3 for Figure 3);
#: ``fast`` and ``exact`` were measured to reach the same verdicts (docs/method.md Sec. 9.2).
STEPS = {"exact": 1500, "fast": 6000, "faithful": 10000}

EXPERIMENT = Panel(
    name="fig3_right", step_table=STEPS, claim="C4: with sigma_exo > 1 the latent fits the other agents first",
    base=Setting(d_a=8, d_b=8, latent="surrogate"),
    axes=(noise_axis("sigma", "exo", [0.5, 1.0, 2.0]), Axis.of("d_z", range(1, 17))),
    quick_axes=(noise_axis("sigma", "exo", [0.5, 2.0]), Axis.of("d_z", [4, 7, 8, 9, 12, 16])),
)
