"""The CADS seed (0 to 2⁶⁴−1) as the web UIs hand it over, host-free: the accordion's text box sends digits, API
callers an int (or a whole float up to 2⁵³), a pasted infotext a string; every form exact, anything else refused
naming the input. The booted UIs' side (typed into the real text box, pasted, sent through the API):
tests/webui_boot/test_ui.py and test_booted.py."""

import pytest

import loader

SEED_MAX = 2**64 - 1


@pytest.fixture(scope="module")
def params():
    loader.webui()
    from sampler_lab_webui import params

    return params


@pytest.fixture(scope="module")
def script():
    loader.webui()
    from sampler_lab_webui import script

    return script


@pytest.mark.parametrize(
    "value, seed",
    [
        (0, 0),
        ("0", 0),
        (2**53 + 1, 2**53 + 1),  # the first integer a float (and a JavaScript number) cannot hold
        (str(2**53 + 1), 2**53 + 1),
        (SEED_MAX, SEED_MAX),
        (str(SEED_MAX), SEED_MAX),
        (" 42 ", 42),  # spaces around typed digits
        ("007", 7),
        (5.0, 5),  # a whole float a float holds exactly (JSON callers)
        (float(2**53), 2**53),
    ],
)
def test_seeds_are_exact_in_every_form(params, value, seed):
    got = params.Settings.from_args([{"cads_seed": value}]).cads_seed
    assert got == seed and type(got) is int


@pytest.mark.parametrize(
    "value, why",
    [
        (-1, "out of range"),
        (2**64, "out of range"),
        (str(2**64), "out of range"),
        ("-1", "digits 0-9"),
        ("+5", "digits 0-9"),
        ("1.5", "digits 0-9"),
        ("5.0", "digits 0-9"),
        ("1e3", "digits 0-9"),
        ("1_000", "digits 0-9"),
        ("0x10", "digits 0-9"),
        ("١٢", "digits 0-9"),  # other scripts' digits, which int() would take
        ("", "digits 0-9"),
        ("abc", "digits 0-9"),
        (1.5, "not a float"),
        (2.0**60, "not a float"),  # a whole float beyond 2⁵³ may already be rounded
        (True, "not a float"),
        (None, "not a float"),
    ],
)
def test_anything_else_is_refused_naming_the_input(params, value, why):
    with pytest.raises(ValueError, match="'CADS seed'") as error:
        params.Settings.from_args([{"cads_seed": value}])
    assert why in str(error.value) and f"from 0 to {SEED_MAX}" in str(error.value)


def test_positional_arguments_from_the_accordion_carry_the_text(params):
    """The accordion sends its 16 values in order, the seed as the text box's string."""
    args = [p.default for p in params.PARAMS]
    args[[p.name for p in params.PARAMS].index("cads_seed")] = str(SEED_MAX)
    assert params.Settings.from_args(args).cads_seed == SEED_MAX


def test_a_pasted_seed_reaches_the_text_box_exactly(params, script):
    seed = params.PARAM_BY_NAME["cads_seed"]
    fields = params.infotext(params.Settings(cads_enabled=True, cads_seed=SEED_MAX - 1), heun=False, karras=False)
    assert fields == {"Sampler Lab CADS": True, "Sampler Lab CADS seed": SEED_MAX - 1}
    line = ", ".join(f"{k}: {v}" for k, v in fields.items())  # as the host writes and parses it
    parsed = dict(part.split(": ", 1) for part in line.split(", "))
    assert script.paste_function(seed)(parsed) == str(SEED_MAX - 1)
    assert script.paste_function(seed)({}) == "0", "an infotext without it resets the box to the default"
