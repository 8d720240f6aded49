"""Figure 3 middle: i.i.d. noise leaves the learned subspace unchanged (claim C3)."""
import numpy as np

from experiments.runner import Experiment, noise_axis
from lamsim.settings import Setting
from lamsim.sweep import Axis

EXPERIMENT = Experiment(
    name="fig3_middle", figure=3, claim="C3: i.i.d. noise only raises the loss; span(B) keeps the action subspace",
    base=Setting(d_a=8, latent="surrogate"),
    axes=lambda quick: (noise_axis("sigma", "iid", [0.0, 0.5, 1.0] if quick else np.round(np.arange(16) * 0.1, 1)),
                        Axis.of("d_z", [4, 8] if quick else range(2, 17, 2))),
)
