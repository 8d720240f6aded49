"""Table 1: the non-linear LAM on the 4x4 grid world (paper Sec. 5, claim C8).

Three declarations; each trains every (row, seed) run in one compiled, vmapped ``lax.scan``:

- :data:`AUTHORS` (the default; claim C8 rests on it): Table 1 as the authors ran it (their
  world with walls and 200-frame trajectories, their CNN + BatchNorm + MLP + VQ model and conv FDM,
  their losses, augmentation, labels and metric window; :mod:`lamsim.gridworld.authors.train`),
  stored as ``table1_authors`` (the metrics of :mod:`lamsim.gridworld.authors.evaluate`; dims
  setting, seed); other sizes under their own names (:func:`authors_name`), so that
  ``--profile faithful`` writes ``table1_authors_faithful``. Its profile is ``cpu`` (the authors' schedule at reduced width, chosen from the
  width sweep of :mod:`experiments.table1_widths`) or ``faithful`` (the authors' sizes); the sizes of
  its :class:`~lamsim.gridworld.authors.settings.AuthorsConfig` can be set, and ``--dry-run`` prints
  the plan (FLOPs, memory, time) instead of training.
- :data:`EXPERIMENT` (``table1``): our own world (a torus, i.i.d. pairs) and model,
  shown beside the authors' as a robustness row. Writes ``table1`` (controllable_loss,
  stochastic_loss and their conditional-variance versions ``*_cond``, action_purity, codes_used;
  dims setting, seed), ``table1_codes`` (what each code does to a fixed frame; dims setting, seed,
  code, row, col) and ``table1_frames`` (one sample transition per action at each noise intensity).
- :data:`NORESTART` (``table1_norestart``): ours without dead-code restarts, stored as
  ``table1_norestart``, ``table1_norestart_codes``, ...

    python -m experiments table1_authors|table1|table1_norestart [--table-seeds N] [--force] [--out DIR]
    python -m experiments table1_authors [--profile cpu|faithful] [--epochs N] [--width W] [--mlp-width M]
        [--batch B] [--trajectories N] [--frames F] [--metric-epochs N] [--table-seeds N]
    python -m experiments table1_authors --profile faithful --dry-run [--backend gpu] [--device-memory GIB]
        [--tflops T]
    python -m experiments table1_authors --profile faithful [--rows ROW,...] [--only-seeds K,...] [--budget MIN]

Any authors' table but the published cpu one is trained in resumable (row, seed) units
(:mod:`experiments.table1_units`).
"""
from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from experiments.runner import Job
from lamsim.errors import positive
from lamsim.gridworld.authors import world as authors_world
from lamsim.gridworld.authors.evaluate import METRICS as AUTHORS_METRICS, window_metrics
from lamsim.gridworld.authors.plan import plan
from lamsim.gridworld.authors.settings import AuthorsConfig, AuthorsSetting, profile as authors_profile
from lamsim.gridworld.authors import train as authors_train
from lamsim.gridworld.ours import world
from lamsim.gridworld.ours.evaluate import score_runs
from lamsim.gridworld.ours.settings import Config, GridSetting
from lamsim.gridworld.ours import train as ours_train
from lamsim.runtime.devices import to_host
from lamsim.runtime.results import Results

_LOW = world.NOISE_INTENSITY["low"]
ROWS = {
    "no_noise": GridSetting(noise_intensity=world.NOISE_INTENSITY["none"]),
    "low_noise": GridSetting(noise_intensity=_LOW),
    "high_noise": GridSetting(noise_intensity=world.NOISE_INTENSITY["high"]),
    "correlated_policy": GridSetting(noise_intensity=_LOW, correlation=world.SNAKE_CORRELATION),
    "augmentation": GridSetting(noise_intensity=_LOW, augment=True),
    "action_prediction": GridSetting(noise_intensity=_LOW, label_rate=0.01),
}
SETTINGS = tuple(ROWS)
#: The held-out set's key, shared by every setting and seed (never a training seed's root).
EVAL_SEED = 987_654_321
#: The frame whose per-code predictions are saved: agent in the top-right corner
#: (up and right wrap around), empty noise row.
PROBE_AGENT = (0, 3)
METRICS = ("controllable_loss", "stochastic_loss", "controllable_loss_cond", "stochastic_loss_cond", "action_purity",
           "codes_used")
#: Seeds per setting: enough for the paired differences of the nine orderings to be read at 2 s.e.
DEFAULT_SEEDS = 20


def probe_frame() -> np.ndarray:
    """The fixed frame [4, 4] the per-code pictures start from."""
    frame = np.zeros((world.SIZE, world.SIZE), np.float32)
    frame[PROBE_AGENT] = 1.0
    return frame


def sample_frames() -> dict:
    """One transition per action from PROBE_AGENT at each noise intensity:
    name -> [actions, 2 (o, o'), 4, 4]; the noise bits are shared across intensities."""
    import jax
    import jax.numpy as jnp

    agent = jnp.tile(jnp.asarray(PROBE_AGENT, jnp.int32), (world.N_ACTIONS, 1))
    action = jnp.arange(world.N_ACTIONS)
    bits = jax.random.bernoulli(jax.random.key(EVAL_SEED), 0.5, (2, world.N_ACTIONS, world.SIZE))
    out = {}
    for level, intensity in world.NOISE_INTENSITY.items():
        noise = intensity * bits.astype(jnp.float32)
        o = world.render(agent, noise[0])
        o_next = world.render(world.move(agent, action), noise[1])
        out["no_noise" if level == "none" else f"{level}_noise"] = np.stack([np.asarray(o), np.asarray(o_next)], axis=1)
    return out


def _code_actions(counts: np.ndarray) -> list:
    """[setting][seed][code] -> {"action": most frequent true action or None
    if the code is unused, "share": its share of the code's transitions}."""
    table = []
    for per_setting in counts:
        rows = []
        for per_seed in per_setting:
            row = []
            for code in per_seed:
                total = code.sum()
                row.append({"action": world.ACTIONS[int(code.argmax())] if total else None,
                            "share": float(code.max() / total) if total else None})
            rows.append(row)
        table.append(rows)
    return table


@dataclasses.dataclass(frozen=True)
class Table:
    """Table 1 as a declaration: its rows, the model, the default seed count.

    Profiles do not apply (the grid world has one optimiser set-up), and
    ``quick`` keeps every row (the orderings need all six).
    """

    name: str
    claim: str
    rows: dict
    model: Config
    default_seeds: int

    def plan(self, seeds: Optional[int] = None, steps: Optional[int] = None, **_) -> dict:
        """The run's plan without training: every run in one compiled scan."""
        seeds = self.default_seeds if seeds is None else seeds
        steps = self.model.steps if steps is None else steps
        runs = len(self.rows) * seeds
        return {"runs": runs, "seeds": seeds, "compiled_programs": 1, "chunks": 1, "config_steps": runs * steps}

    @property
    def outputs(self) -> tuple:
        """The result names it writes, the main one first."""
        return (self.name, f"{self.name}_codes", f"{self.name}_frames")

    def job(self, seeds: Optional[int] = None, steps: Optional[int] = None, quick: bool = False, **_) -> Job:
        seeds = self.default_seeds if seeds is None else seeds
        if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
            raise ValueError(f"seeds={seeds!r} is invalid: must be an integer >= 1")
        model = self.model if steps is None else dataclasses.replace(self.model, steps=steps)
        config = {"seeds": seeds, "steps": model.steps, "quick": quick, "model": model.to_dict(),
                  "settings": {name: row.to_dict() for name, row in self.rows.items()},
                  "eval_seed": EVAL_SEED, "probe_agent": list(PROBE_AGENT)}

        def execute(stream):
            return self._execute(model, seeds, stream)

        return Job(config, self.outputs, execute)

    def _execute(self, model: Config, seeds: int, stream) -> dict:
        import jax

        state, knobs, terms = ours_train.train_runs(model, list(self.rows.values()), list(range(seeds)), self.name, stream)
        metrics, effects = score_runs(state.params, knobs, model, jax.random.key(EVAL_SEED), probe_frame())
        shape = (len(self.rows), seeds)
        names = np.asarray(list(self.rows), dtype=str)
        seed_coord = np.arange(seeds)
        size = np.arange(world.SIZE)
        counts = np.asarray(metrics["code_action_counts"]).reshape(shape + (model.codes, world.N_ACTIONS))
        effect = np.asarray(effects).reshape(shape + effects.shape[1:])
        table = Results({m: np.asarray(metrics[m], np.float64).reshape(shape) for m in METRICS}, ("setting", "seed"),
                        {"setting": names, "seed": seed_coord},
                        {"claim": self.claim,
                         "final_train_terms": {k: np.asarray(v).reshape(shape) for k, v in terms.items()}})
        codes = Results({"effect": effect, "prediction": effect + probe_frame()},
                        ("setting", "seed", "code", "row", "col"),
                        {"setting": names, "seed": seed_coord, "code": np.arange(model.codes), "row": size,
                         "col": size},
                        {"probe_frame": probe_frame(), "code_action": _code_actions(counts)})
        frames = Results(sample_frames(), ("action", "frame", "row", "col"),
                         {"action": np.asarray(world.ACTIONS, dtype=str), "frame": np.asarray(["o", "o_next"]),
                          "row": size, "col": size},
                         {"probe_agent": list(PROBE_AGENT), "noise_intensity": world.NOISE_INTENSITY,
                          "snake_cells": world.SNAKE_CELLS})
        return dict(zip(self.outputs, (table, codes, frames)))

EXPERIMENT = Table(name="table1", claim="C8 (ours): the orderings of the linear analysis hold for our CNN + VQ LAM",
                   rows=ROWS, model=Config(steps=16000), default_seeds=DEFAULT_SEEDS)
#: The same table without dead-code restarts, to show what they change.
NORESTART = Table(name="table1_norestart", claim="C8 without dead-code restarts (a variant of ours, not the paper's)",
                  rows=ROWS, model=Config(steps=16000, restarts=False), default_seeds=DEFAULT_SEEDS)

_AUTHORS_LOW = authors_world.NOISE_INTENSITY["low"]
#: The rows of the authors' protocol; both augmentations are rows ("augmentation" as their code does it).
AUTHORS_ROWS = {
    "no_noise": AuthorsSetting(noise_intensity=authors_world.NOISE_INTENSITY["none"]),
    "low_noise": AuthorsSetting(noise_intensity=_AUTHORS_LOW),
    "high_noise": AuthorsSetting(noise_intensity=authors_world.NOISE_INTENSITY["high"]),
    "correlated_policy": AuthorsSetting(noise_intensity=_AUTHORS_LOW, correlation=authors_world.SNAKE_CORRELATION),
    "augmentation": AuthorsSetting(noise_intensity=_AUTHORS_LOW, augmentation="copy"),
    "augmentation_fresh": AuthorsSetting(noise_intensity=_AUTHORS_LOW, augmentation="fresh"),
    "action_prediction": AuthorsSetting(noise_intensity=_AUTHORS_LOW, label_rate=0.01),
}
#: Seeds per setting under the authors' protocol (the paper reports 5).
AUTHORS_DEFAULT_SEEDS = 5
#: Seeds per setting at the authors' size: 20, declared before seeds 5-19 ran (docs/method.md
#: Sec. 17.1), so that the two stochastic orderings unresolved at 5 seeds can resolve.
FAITHFUL_SEEDS = 20
#: The candidate protocols of the paper's augmentation row (docs/method.md Sec. 17.2), declared
#: before they ran: each the authors' low-noise row under one augmentation recipe.
AUGMENTATION_CANDIDATES = ("copy_half", "idm_copy", "idm_fresh", "fresh_both")


@dataclasses.dataclass(frozen=True)
class AuthorsTable:
    """Table 1 under the authors' protocol, as a declaration: its rows, the profile and the model
    configuration built from it, the default seed count. Writes one result, ``name``
    (the metrics of :mod:`lamsim.gridworld.authors.evaluate`; dims setting, seed)."""

    name: str
    claim: str
    rows: dict
    profile: str
    model: AuthorsConfig
    default_seeds: int
    #: The name at the cpu profile, which :func:`authors_name` extends for other sizes.
    stem: str = "table1_authors"
    #: Seeds per setting at a profile's own sizes, where they differ from ``default_seeds``.
    profile_seeds: tuple = ()

    def with_profile(self, profile: str, **overrides) -> "AuthorsTable":
        """This table at profile ``profile`` with the config's fields replaced by ``overrides``,
        named by :func:`authors_name` (only the cpu profile writes the published ``stem``), with
        the profile's own seed count (:attr:`profile_seeds`) when no field is overridden."""
        model = authors_profile(profile, **overrides)
        seeds = dict(self.profile_seeds).get(profile, self.default_seeds) if not overrides else self.default_seeds
        return dataclasses.replace(self, profile=profile, model=model, name=authors_name(model, self.stem),
                                   default_seeds=seeds)

    @property
    def outputs(self) -> tuple:
        return (self.name,)

    def plan(self, seeds: Optional[int] = None, backend: Optional[str] = "gpu",
             device_memory_gib: Optional[float] = None, tflops: Optional[float] = None,
             memory_limit: Optional[float] = None, n_devices: Optional[int] = None, **_) -> dict:
        """The dry-run plan of every run in one program (:func:`lamsim.gridworld.authors.plan.plan`);
        ``backend`` None: this host's; ``device_memory_gib`` (GiB of the one device the program
        runs on) or, from ``python -m experiments --dry-run``, ``memory_limit`` (bytes over
        ``n_devices``). Also the keys every plan of ``python -m experiments --dry-run`` has
        (config_steps: runs x updates; one compiled program, one chunk)."""
        import jax

        seeds = self.default_seeds if seeds is None else seeds
        backend = jax.default_backend() if backend is None else backend
        for field, value in (("device_memory", device_memory_gib), ("tflops", tflops)):
            if value is not None:
                positive(field, value)
        if device_memory_gib is None and memory_limit is not None:
            device_memory_gib = memory_limit / (n_devices or jax.device_count()) / 2 ** 30
        memory = None if device_memory_gib is None else device_memory_gib * 2 ** 30
        out = plan(self.model, len(self.rows) * seeds, backend, memory, None if tflops is None else tflops * 1e12)
        return {"name": self.name, "profile": self.profile, "backend": backend, "seeds": seeds,
                "settings": len(self.rows), "model": self.model.to_dict(), **out,
                "config_steps": out["runs"] * out["updates_per_run"], "compiled_programs": 1, "chunks": 1}

    def job(self, seeds: Optional[int] = None, steps: Optional[int] = None, quick: bool = False, **_) -> Job:
        seeds = self.default_seeds if seeds is None else seeds
        if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
            raise ValueError(f"seeds={seeds!r} is invalid: must be an integer >= 1")
        if steps is not None:
            raise ValueError(f"steps={steps!r} is invalid: the authors' protocol counts epochs (set the config's "
                             f"epochs, --epochs)")
        config = {"protocol": "authors", "profile": self.profile, "seeds": seeds, "quick": quick,
                  "model": self.model.to_dict(), "settings": {name: row.to_dict() for name, row in self.rows.items()}}
        return Job(config, self.outputs, lambda stream: self._execute(seeds, stream))

    def _execute(self, seeds: int, stream) -> dict:
        state, knobs = authors_train.train_runs(self.model, list(self.rows.values()), list(range(seeds)), self.name, stream)
        return {self.name: self.assemble(seeds, to_host(state.window), to_host(knobs), to_host(state.resets))}

    def assemble(self, seeds: int, window, knobs, resets) -> Results:
        """The table (dims setting, seed) from the runs' host arrays in setting-major order
        (R = rows x seeds): ``window`` a :class:`~lamsim.gridworld.authors.train.Window` of [R] sums
        ([R, codes, actions] counts), ``knobs`` their AuthorsKnobs [R], ``resets`` [R, codes].
        Both the one vmapped program and the units of :mod:`experiments.table1_units` build it here."""

        metrics = window_metrics(window, knobs, self.model)
        shape = (len(self.rows), seeds)
        counts = metrics["code_action_counts"].reshape(shape + metrics["code_action_counts"].shape[1:])
        meta = {"claim": self.claim, "profile": self.profile,
                "controllable_normaliser": self.model.controllable_normaliser,
                "action_blind_error": authors_world.action_blind_error(self.model.frames),
                "metric": "per-pixel MSE averaged over the updates of the last metric_epochs epochs, on un-augmented "
                          "held-out uniform-policy batches, model in training mode (BatchNorm on batch statistics)",
                "code_action": _code_actions(counts),
                "dead_code_resets": np.asarray(resets).reshape(shape + (self.model.codes,))}
        return Results({m: np.asarray(metrics[m], np.float64).reshape(shape) for m in AUTHORS_METRICS},
                       ("setting", "seed"), {"setting": np.asarray(list(self.rows), dtype=str),
                                             "seed": np.arange(seeds)}, meta)


def authors_name(model: AuthorsConfig, stem: str = "table1_authors") -> str:
    """The result name of an authors' table at ``model``: ``stem`` at the cpu profile (the
    published ``table1_authors``, which claim C8 reads), ``{stem}_faithful`` at the authors' sizes,
    ``{stem}_w{W}`` at the cpu profile with W filters and an MLP of MLP_RATIO x W (the width
    sweep), ``{stem}_custom`` otherwise: no other size overwrites the published table."""
    cpu = authors_profile("cpu")
    if model == cpu:
        return stem
    if model == authors_profile("faithful"):
        return f"{stem}_faithful"
    if model == dataclasses.replace(cpu, width=model.width, mlp_width=MLP_RATIO * model.width):
        return f"{stem}_w{model.width}"
    return f"{stem}_custom"

#: The MLP before the VQ is this many times as wide as the convolutions (the authors' 512 and 64).
MLP_RATIO = 8
AUTHORS = AuthorsTable(name="table1_authors",
                       claim="C8 under the authors' protocol (their released grid-world code)",
                       rows=AUTHORS_ROWS, profile="cpu", model=authors_profile("cpu"),
                       default_seeds=AUTHORS_DEFAULT_SEEDS, profile_seeds=(("faithful", FAITHFUL_SEEDS),))
#: The augmentation candidates under the authors' protocol (cpu profile; ``--profile faithful`` at
#: their size), trained in resumable units like every authors' table but the published one.
AUGMENTATION = AuthorsTable(
    name="table1_augmentation", claim="Table 1's augmentation row: which candidate protocol gives the paper's row",
    rows={c: AuthorsSetting(noise_intensity=_AUTHORS_LOW, augmentation=c) for c in AUGMENTATION_CANDIDATES},
    profile="cpu", model=authors_profile("cpu"), default_seeds=AUTHORS_DEFAULT_SEEDS, stem="table1_augmentation")
#: The fields of the authors' config that the command line can set (--epochs, --mlp-width, ...).
AUTHORS_FIELDS = ("epochs", "width", "mlp_width", "batch", "trajectories", "frames", "metric_epochs")
