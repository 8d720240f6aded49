"""Figure 4 middle: data augmentation keeps o out of the true latent (claim C6)."""
from experiments.runner import Experiment, noise_axis
from lamsim.settings import Setting
from lamsim.sweep import Axis

EXPERIMENT = Experiment(
    name="fig4_middle", figure=4, claim="C6: augmentation drives A to I and C + D to 0; LLO near 2 by |kappa| = 0.1",
    base=Setting(d_a=8, d_z=8, latent="true"),
    axes=lambda quick: (Axis.of("kappa", [0.0, 0.1] if quick else [0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5]),
                        noise_axis("sigma", "iid", [0.0] if quick else [0.0, 0.1, 0.2, 0.5])),
)
