"""The one field table (lamsim/linear/fields.py): Setting, its checks, the trainer's grouping and the
command line's flags all come from it."""
import dataclasses

import pytest

from lamsim.__main__ import _parser
from lamsim.errors import InputError
from lamsim.linear import train
from lamsim.linear.fields import BY_NAME, EVALUATION, FIELDS, KNOB, PADDED, ROLES, SHAPE
from lamsim.linear.model import Knobs
from lamsim.linear.settings import Setting


def test_setting_has_the_table_fields_in_order_with_their_defaults():
    assert [(f.name, f.default) for f in dataclasses.fields(Setting)] == [(f.name, f.default) for f in FIELDS]
    assert all(f.role in ROLES and f.flag.startswith("--") and f.help for f in FIELDS)
    assert len({f.flag for f in FIELDS}) == len(FIELDS)


def test_every_flag_sets_its_field():
    """Each field's flag, given a valid non-default value, reaches the Setting the command line builds."""
    values = {"d_o": 64, "d_a": 4, "d_z": 6, "d_b": 2, "noise": "exo-state", "sigma": 1.5, "chi": 0.25, "kappa": 0.1,
              "label_rate": 0.5, "latent": "true", "profile": "fast", "steps": 7, "batch": 32, "seed": 3,
              "probe": "interventional", "action_target": "action", "stream": "jax", "learn_a": False,
              "noise_dist": "gaussian", "obs_latent": "true", "reading": "exact", "idm": "difference", "rho": 0.5,
              "mask_weight": 0.3, "mask_cover": 1, "mask_leak": 1}
    beyond = [{"features": "learned", "d_r": 16, "tau": 0.5, "state_input": "stop",
               "weight_decay": 0.1, "idm_horizon": 3, "action_persistence": 0.5, "fdm_target": "last"},
              {"features": "agent", "gamma": 0.5}, {"features": "learned", "target": "none"}]
    assert set(values).union(*beyond) == set(BY_NAME)
    paper_only = {"chi": 0.0, "mask_weight": 1.0, "obs_latent": None, "kappa": 0.0}
    for chosen in [values] + [{**values, **paper_only, **b} for b in beyond]:
        argv = ["run"]
        for name, value in chosen.items():
            f = BY_NAME[name]
            if value is not None:
                argv += [f.flag] if f.kind is bool else [f.flag, str(value)]
        args = _parser().parse_args(argv)
        built = Setting(**{f.name: getattr(args, f.name) for f in FIELDS})
        assert built.to_dict() == Setting(**chosen).to_dict()


def test_the_checks_name_the_field():
    for name, bad in (("d_z", 0), ("chi", 2.0), ("latent", "pixel"), ("learn_a", 1), ("mask_leak", 99)):
        with pytest.raises(InputError, match=f"^{name}="):
            Setting(**{name: bad})


def test_grouping_and_knobs_follow_the_roles():
    """Settings that differ only in a knob or evaluation field share a program; a shape field splits
    them; every knob and padded field reaches Knobs."""
    base = Setting()
    knob_or_read = {"chi": 0.5, "kappa": 0.2, "label_rate": 0.1, "latent": "true", "probe": "policy-fit",
                    "d_z": 4, "d_a": 4}
    assert all(BY_NAME[k].role in (KNOB, EVALUATION, PADDED) for k in knob_or_read)
    assert all(train.group_key(base.replace(**{k: v})) == train.group_key(base) for k, v in knob_or_read.items())
    for name, value in (("d_o", 64), ("batch", 64), ("profile", "fast"), ("steps", 10), ("learn_a", False),
                        ("idm", "difference"), ("stream", "jax")):
        assert BY_NAME[name].role == SHAPE
        assert train.group_key(base.replace(**{name: value})) != train.group_key(base), name
    knobs = train.knobs_of([base, base.replace(noise="iid", sigma=0.5, d_z=4)])
    assert set(knobs._fields) == set(Knobs._fields)
    assert knobs.sigma_iid.tolist() == [0.0, 0.5] and knobs.d_z.tolist() == [8, 4]
    assert str(knobs.d_z.dtype) == "int32" and str(knobs.chi.dtype) == "float32"
    shape = train.group_shape([base, base.replace(d_z=12, noise="iid", sigma=0.1)])
    assert (shape.d_z, shape.iid, shape.steps) == (12, True, base.train_steps)
