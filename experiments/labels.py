"""Beyond the paper: how many labels are needed? Fig 4 right's setting (other agents at
sigma_exo 2, d_z 8, |kappa| 0.1, true latent, its step counts) over finer label rates, each
trained run beside the numerical optimum of its expected loss (``optimum_llo``,
lamsim/linear/optimum.py): the PCA theory is NaN with labels, so only the optimum tells a run that
has not converged from one that has.
"""
from experiments import fig4_right
from experiments.runner import Panel
from lamsim.linear.settings import Setting
from lamsim.linear.sweep import Axis

RATES = [0.0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1]

EXPERIMENT = Panel(
    name="labels", claim="beyond the paper: the label rate at which the optimum's latent moves from the noise "
                         "to the action, and how far training is from it",
    base=Setting(d_a=8, d_b=8, d_z=8, noise="exo", sigma=2.0, kappa=0.1, latent="true"),
    step_table=fig4_right.STEPS,
    axes=(Axis.of("label_rate", RATES),), quick_axes=(Axis.of("label_rate", [0.0, 0.001, 0.01, 0.1]),),
    optimum=True,
)
