"""The paper's reference numbers and orderings, in one place (claims and figures read them).

Table 1 (paper Sec. 5): mean and standard error over 5 seeds of the
controllable loss (rows 0-2 of o') and the stochastic loss (row 3), each
"normalised by the variance of the signal"; None where undefined. The judge
(reports/table1_stats.py) reads each of the paper's orderings as a paired
difference over seeds.
"""
from __future__ import annotations

TABLE1 = {
    "no_noise": {"controllable_loss": (0.624, 0.087), "stochastic_loss": None},
    "low_noise": {"controllable_loss": (0.781, 0.079), "stochastic_loss": (0.739, 0.047)},
    "high_noise": {"controllable_loss": (1.046, 0.017), "stochastic_loss": (0.607, 0.021)},
    "correlated_policy": {"controllable_loss": (1.997, 0.022), "stochastic_loss": (0.599, 0.036)},
    "augmentation": {"controllable_loss": (0.415, 0.020), "stochastic_loss": (0.898, 0.049)},
    "action_prediction": {"controllable_loss": (0.295, 0.011), "stochastic_loss": (0.986, 0.002)},
}
TABLE1_LABELS = {
    "no_noise": "No noise", "low_noise": "Low noise (default)", "high_noise": "High noise",
    "correlated_policy": "Correlated policy", "augmentation": "Augmentation",
    "action_prediction": "1% action prediction",
}

#: The orderings Table 1 shows (claim C8), each (metric, setting expected
#: lower, setting expected higher, why): lower controllable loss = more action
#: in the latent, higher stochastic loss = less noise in it.
TABLE1_ORDERINGS = (
    ("controllable_loss", "no_noise", "low_noise", "more noise, less action"),
    ("controllable_loss", "low_noise", "high_noise", "more noise, less action"),
    ("stochastic_loss", "high_noise", "low_noise", "more noise, more noise captured"),
    ("controllable_loss", "low_noise", "correlated_policy", "correlated policy worse"),
    ("stochastic_loss", "correlated_policy", "low_noise", "correlated policy worse"),
    ("controllable_loss", "augmentation", "low_noise", "augmentation better"),
    ("stochastic_loss", "low_noise", "augmentation", "augmentation better"),
    ("controllable_loss", "action_prediction", "low_noise", "1% labels better"),
    ("stochastic_loss", "low_noise", "action_prediction", "1% labels better"),
)


def table1_ordering(metric: str, lower: str, higher: str) -> str:
    """An ordering in words, e.g. "controllable: no noise < low noise"."""
    return f"{metric.split('_')[0]}: {lower.replace('_', ' ')} < {higher.replace('_', ' ')}"


#: The claims `make check` reports (our IDs), with the paper's statement and where it is made.
CLAIMS = {
    "C1": "Linear LAM is PCA (Prop. 4.1, 4.2): the best loss is the PCA floor and B spans the top principal subspace",
    "C2": "Case 1, no noise (Sec. 4.1): z captures all action information iff d_z >= d_a; else d_z of the d_a "
          "directions",
    "C3": "Case 2 (Sec. 4.1): i.i.d. noise leaves the learned subspace unchanged and only raises the loss",
    "C4": "Case 3 (Sec. 4.1), other agents: the latent fits q and eps by variance; sigma_exo 0.5 best at d_z = d_a, "
          "sigma_exo 2 noise first",
    "C5": "Sec. 4.2: the more deterministic the policy, the less action information z holds",
    "C6": "Prop. 4.3: augmentation drives A to I and C + D to 0; |kappa| 0.1 gets the true latent near ideal",
    "C7": "Prop. 4.4: a linear action head on 1% labels makes the latent capture the action, not the noise (D Y -> 0)",
    "C8": "Table 1 (Sec. 5): the same orderings hold for a CNN + VQ LAM on a 4x4 grid world, run as the authors ran it",
}
