"""Figure 3 left: no noise; LLO = 2 iff d_z >= d_a (claim C2)."""
from experiments.runner import Experiment
from lamsim.settings import Setting
from lamsim.sweep import Axis

EXPERIMENT = Experiment(
    name="fig3_left", figure=3, claim="C2: without noise the latent captures the action iff d_z >= d_a",
    base=Setting(latent="surrogate"),
    axes=lambda quick: (Axis.of("d_a", [2, 8] if quick else range(2, 17, 2)),
                        Axis.of("d_z", [1, 4, 8] if quick else range(1, 17))),
)
