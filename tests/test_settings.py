import pytest

from lamsim.linear.settings import DEFAULT_STEPS, Setting


def test_steps_follow_the_profile_unless_given():
    for profile, steps in DEFAULT_STEPS.items():
        assert Setting(profile=profile).train_steps == steps
        assert Setting(profile=profile, steps=7).train_steps == 7


def test_replace_validates_and_a_setting_round_trips_through_its_dict():
    s = Setting(noise="exo", sigma=2.0, d_z=12, kappa=0.1, probe="policy-fit", stream="jax")
    assert Setting(**s.to_dict()) == s
    with pytest.raises(ValueError, match="d_z=200 is invalid"):
        s.replace(d_z=200)
    with pytest.raises(ValueError, match="sigma=0.5 is invalid"):
        s.replace(noise="none", sigma=0.5)


def test_noise_scales_by_kind():
    assert Setting(noise="iid", sigma=0.5).sigma_iid == 0.5
    assert Setting(noise="iid", sigma=0.5).sigma_exo == 0.0
    assert Setting(noise="exo", sigma=2.0).sigma_exo == 2.0


@pytest.mark.parametrize("field, value, words", [
    ("d_z", 129, "d_z=129 is invalid: must be <= d_o=128"),
    ("d_z", 0, "d_z=0 is invalid: must be an integer >= 1"),
    ("d_a", 1.5, "d_a=1.5 is invalid"),
    ("sigma", -0.1, "sigma=-0.1 is invalid: must be >= 0"),
    ("chi", 1.5, "chi=1.5 is invalid: must lie in [0, 1]"),
    ("label_rate", -0.01, "label_rate=-0.01 is invalid: must lie in [0, 1]"),
    ("kappa", -0.1, "kappa=-0.1 is invalid"),
    ("noise", "gauss", "noise='gauss' is invalid: must be one of none, iid, exo"),
    ("latent", "z", "latent='z' is invalid"),
    ("profile", "slow", "profile='slow' is invalid: must be one of exact, fast, faithful"),
    ("probe", "fitted", "probe='fitted' is invalid: must be one of interventional, policy-fit"),
    ("action_target", "q", "action_target='q' is invalid: must be one of action, subspace"),
    ("stream", "mt", "stream='mt' is invalid: must be one of hash, jax"),
    ("steps", 0, "steps=0 is invalid"),
    ("seed", -1, "seed=-1 is invalid"),
    ("chi", float("nan"), "chi=nan is invalid: must be a finite number"),
])
def test_invalid_values_name_field_value_and_rule(field, value, words):
    fields = {field: value}
    if field == "sigma":
        fields["noise"] = "iid"
    with pytest.raises(ValueError) as err:
        Setting(**fields)
    assert words in str(err.value)


def test_sigma_without_noise_is_refused():
    with pytest.raises(ValueError, match="sigma=0.5 is invalid: must be 0 when noise='none'"):
        Setting(sigma=0.5)
