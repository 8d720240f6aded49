"""One validated description of a linear-LAM run (paper Sec. 3.2, 4; docs/method.md).

A :class:`Setting` is frozen and checked once, where it is built: every
invalid value raises :class:`~lamsim.errors.InputError` (a ``ValueError``) naming
the field, the value and what is allowed. Numbers may be Python or numpy numbers
or 0-d arrays; they are stored as plain ``int`` and ``float``. Nothing deeper in
the library re-checks.
"""
from __future__ import annotations

import dataclasses
from lamsim.errors import fail as _fail
from lamsim.linear.fields import EVALUATION_FIELDS, FIELDS, STATE_NOISE

#: Adam steps of a profile when a run does not say (the experiments set every
#: panel's count explicitly, in experiments/runner.py).
DEFAULT_STEPS = {"exact": 2000, "fast": 4000, "faithful": 10000, "faithful-exact": 10000}


def _fields(cls):
    """``cls`` as a frozen dataclass whose fields are :data:`~lamsim.linear.fields.FIELDS`, in order."""
    cls.__annotations__ = {f.name: f.annotation for f in FIELDS}
    for f in FIELDS:
        setattr(cls, f.name, f.default)
    return dataclasses.dataclass(frozen=True)(cls)


@_fields
class Setting:
    """A single linear-LAM run: data, model sizes, regularisers, optimiser profile.

    Fields follow docs/method.md. ``sigma`` is the noise scale of the chosen
    ``noise`` kind (sigma_iid for ``iid``, sigma_exo for ``exo``; must be 0 for
    ``none``). ``kappa`` is the augmentation strength |kappa| (0 = off),
    ``label_rate`` the share lambda of samples carrying their action label,
    ``chi`` the policy's determinism. ``steps=None`` takes the profile default.
    ``probe``, ``action_target``, ``obs_latent`` (the latent the o and noise
    probes read; None: ``latent``) and ``reading`` (how the probes are
    estimated) choose the evaluation protocol (they do not change training);
    ``stream`` the data stream's normal generator. ``learn_a=False`` fixes the
    FDM's A to I (the authors' Figure 3 scripts); ``noise_dist`` is the i.i.d.
    noise's distribution; ``idm`` what the IDM sees (:data:`IDMS`; it changes
    training and the parameters' shapes).
    """

    def __post_init__(self):
        for f in FIELDS:  # each value checked as its table entry says, in table order
            object.__setattr__(self, f.name, f.check(f.name, getattr(self, f.name), self))
        if self.noise == "none" and self.sigma != 0:
            _fail("sigma", self.sigma, "must be 0 when noise='none' (choose noise='iid' or 'exo')")
        if self.noise_dist == "uniform" and self.noise in ("exo", STATE_NOISE):
            _fail("noise_dist", self.noise_dist, f"'uniform' is a distribution of i.i.d. noise, not of noise={self.noise!r}")
        self._check_state()
        self._check_beyond()
        if self.stream == "hash" and (self.d_o + 1) // 2 * self.batch > 2 ** 31:
            _fail("batch", self.batch, f"batch * ceil(d_o / 2) must be <= 2**31 with stream='hash', whose draws "
                                       f"are numbered by 32-bit counters (d_o={self.d_o}; or stream='jax')")

    def _check_state(self):
        """The exogenous-state fields' relations: one-line errors naming the field (called once, by
        __post_init__, after every value was checked on its own)."""
        if self.noise != STATE_NOISE:
            for name, default in (("rho", 1.0), ("mask_weight", 1.0), ("mask_cover", None), ("mask_leak", 0)):
                if getattr(self, name) != default:
                    _fail(name, getattr(self, name), f"must stay {default} unless noise='{STATE_NOISE}'")
            return
        if self.sigma <= 0:
            _fail("sigma", self.sigma, f"must be > 0 with noise='{STATE_NOISE}' (the background's amplitude)")
        if self.d_a + self.d_b > self.d_o:
            _fail("d_b", self.d_b, f"d_a + d_b must be <= d_o={self.d_o} with noise='{STATE_NOISE}' (the "
                                   f"exogenous directions lie in the complement of the d_a={self.d_a} action ones)")
        for name, allowed in (("probe", "interventional"), ("action_target", "action"), ("reading", "exact")):
            if getattr(self, name) != allowed:
                _fail(name, getattr(self, name), f"must be '{allowed}' with noise='{STATE_NOISE}'")
        if self.latent == "unprojected" or self.obs_latent not in (None, self.latent):
            _fail("latent", self.latent, f"must be 'true' or 'surrogate', read by every probe, with "
                                         f"noise='{STATE_NOISE}'")
        if self.profile == "faithful-exact":
            _fail("profile", self.profile, f"must be exact, fast or faithful with noise='{STATE_NOISE}'")

    def _check_beyond(self):
        """The beyond-pixels fields' relations (docs/method.md Sec. 18): each applies to one choice, and
        the window trainer (lamsim/linear/window_train.py) reads the interventional, exact protocol only."""
        learned = ("target", "ema"), ("tau", 0.01), ("state_input", "grad"), ("weight_decay", 0.0)
        for name, default, needs, holds in (
                [("gamma", 1.0, "features='agent'", self.features == "agent"),
                 ("d_r", None, "features is 'random' or 'learned'", self.features in ("random", "learned")),
                 ("action_persistence", 0.0, "idm_horizon > 1", self.idm_horizon > 1),
                 ("fdm_target", "next", "idm_horizon > 1", self.idm_horizon > 1)]
                + [(n, d, "features='learned'", self.features == "learned") for n, d in learned]):
            if not holds and getattr(self, name) != default:
                _fail(name, getattr(self, name), f"must stay {default} unless {needs}")
        if self.target == "none" and self.tau != 0.01:
            _fail("tau", self.tau, "must stay 0.01 with target='none' (there is no EMA copy to move)")
        if not self.beyond:
            return
        why = "with features other than 'identity' or idm_horizon > 1 (the window trainer)"
        for name, allowed in (("chi", 0.0), ("noise_dist", "gaussian"), ("probe", "interventional"),
                              ("action_target", "action"), ("reading", "exact"), ("obs_latent", None),
                              ("mask_weight", 1.0)):
            if getattr(self, name) != allowed:
                _fail(name, getattr(self, name), f"must be {allowed!r} {why}")
        if self.latent == "unprojected":
            _fail("latent", self.latent, f"must be 'true' or 'surrogate' {why}")
        if self.profile == "faithful-exact":
            _fail("profile", self.profile, f"must be exact, fast or faithful {why}")
        if self.features == "learned" and self.kappa > 0:
            _fail("kappa", self.kappa, "must be 0 with features='learned' (augmentation of a learned feature "
                                       "space is not built)")

    @property
    def beyond(self) -> bool:
        """Whether the run reads features or a multi-step window (the window trainer, not the paper's)."""
        return self.features != "identity" or self.idm_horizon > 1

    @property
    def feature_size(self) -> int:
        """d_r: the feature size (d_o for pixels and ``agent``)."""
        return self.d_o if self.d_r is None else self.d_r

    @property
    def mask_active(self) -> bool:
        """Whether the loss is weighted (a mask that down-weights at least one direction)."""
        return self.mask_weight < 1 and (self.mask_cover != 0 or self.mask_leak > 0)

    @property
    def sigma_state(self) -> float:
        return self.sigma if self.noise == STATE_NOISE else 0.0

    @property
    def train_steps(self) -> int:
        """Adam steps: ``steps`` if given, else the profile's default."""
        return DEFAULT_STEPS[self.profile] if self.steps is None else self.steps

    @property
    def sigma_iid(self) -> float:
        return self.sigma if self.noise == "iid" else 0.0

    @property
    def sigma_exo(self) -> float:
        return self.sigma if self.noise == "exo" else 0.0

    @property
    def probe_latent(self) -> str:
        """The latent the o and noise probes read."""
        return self.latent if self.obs_latent is None else self.obs_latent

    def training(self) -> "Setting":
        """This setting with its evaluation fields at their defaults: settings
        with the same ``training()`` train identically (a sweep trains them once)."""
        return self.replace(**{f.name: f.default for f in FIELDS if f.name in EVALUATION_FIELDS})

    def replace(self, **changes) -> "Setting":
        """A copy with ``changes`` applied (and validated)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
