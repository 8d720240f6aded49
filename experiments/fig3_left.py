"""Figure 3 left: no noise; LLO = 2 iff d_z >= d_a (claim C2)."""
from experiments.runner import Panel
from lamsim.linear.settings import Setting
from lamsim.linear.sweep import Axis

#: Adam steps per profile: ``faithful`` is the paper's released scripts (10,000 at 1e-3 for Figure 3);
#: ``fast`` and ``exact`` were measured to reach the same verdicts (docs/method.md Sec. 9.2).
STEPS = {"exact": 400, "fast": 4000, "faithful": 10000}

EXPERIMENT = Panel(
    name="fig3_left", step_table=STEPS, claim="C2: without noise the latent captures the action iff d_z >= d_a",
    base=Setting(latent="surrogate"),
    axes=(Axis.of("d_a", range(2, 17, 2)), Axis.of("d_z", range(1, 17))),
    quick_axes=(Axis.of("d_a", [4, 8]), Axis.of("d_z", [2, 4, 8, 12])),
)
