"""Figure 3 right: other agents' structured noise competes with the action by variance (claim C4)."""
from experiments.runner import Experiment, noise_axis
from lamsim.settings import Setting
from lamsim.sweep import Axis

EXPERIMENT = Experiment(
    name="fig3_right", figure=3, claim="C4: with sigma_exo > 1 the latent fits the other agents first",
    base=Setting(d_a=8, d_b=8, latent="surrogate"),
    axes=lambda quick: (noise_axis("sigma", "exo", [0.5, 2.0] if quick else [0.5, 1.0, 2.0]),
                        Axis.of("d_z", [8, 16] if quick else range(1, 17))),
)
