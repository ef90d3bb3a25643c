"""booktools.figure_labels: Korean figure labels from the label tables (i18n/ko/figures)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from booktools import figure_labels as fl
from booktools import i18n

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))


def test_translate_exact_and_templates():
    table = {"step": "단계", "step {}": "{} 단계", "{} of {}": "{1}의 {0}"}
    assert fl.translate("step", table) == "단계"
    assert fl.translate("step 500", table) == "500 단계"
    assert fl.translate("a of b", table) == "b의 a"
    assert fl.translate("epoch", table) is None


@pytest.mark.parametrize("text", ["0.5", "$\\alpha = 0$", "KL(p||q) = 0.3", "p_data", "-log 4",
                                  "JSD", "h(p)", "D(G(z))"])
def test_neutral(text):
    assert fl.is_neutral(text)


@pytest.mark.parametrize("text", ["density", "step 5", "generator loss $L_G$", "heads"])
def test_not_neutral(text):
    assert not fl.is_neutral(text)


def test_tables_are_valid(tmp_path):
    for path in sorted((ROOT / "i18n" / "ko" / "figures").glob("*.json")):
        assert fl.read_table(path), path
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"step {}": "단계"}))
    with pytest.raises(ValueError, match="placeholders"):
        fl.read_table(bad)
    bad.write_text("[]")
    with pytest.raises(ValueError, match="JSON object"):
        fl.read_table(bad)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_figure_text_in_the_code_has_a_korean_entry(notebook):
    """Each word-bearing literal text of a plotting call has an entry (or is neutral)."""
    cells = json.loads(notebook.read_text())["cells"]
    source = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert fl.untranslated_in_code(source, fl.load_table(notebook.stem)) == []


def test_shared_plotting_texts_have_entries():
    source = (ROOT / "src" / "ganbook" / "plotting.py").read_text()
    assert fl.untranslated_in_code(source, fl.load_table("common")) == []


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_executed_figures_have_no_untranslated_text(notebook):
    """What `make execute` recorded: every text drawn in a figure had an entry."""
    missing = [fl.missing_texts(output, "ko")
               for output in fl.notebook_outputs(json.loads(notebook.read_text()))
               if fl.missing_texts(output, "ko")]
    assert missing == []


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_figure_has_a_korean_rendering(notebook):
    """The notebook was executed by `make execute`: each figure carries its Korean drawing."""
    outputs = [output for output in fl.notebook_outputs(json.loads(notebook.read_text()))
               if "image/png" in output.get("data", {})]
    assert all(fl.translated_png(output, "ko") for output in outputs), (
        f"{notebook.name}: a figure has no Korean rendering; re-run it with "
        f"`python -m booktools.execute book/{notebook.name}`")


def test_static_inventory():
    code = ('ax.set_title("Losses"); ax.plot(x, label=f"step {n}")\n'
            'ax.set_xlabel("p_data"); plt.legend(["real", "fake"]); ax.text(0, 1, "5 " + "nats")')
    assert fl.texts_in_code(code) == ["5 nats", "Losses", "fake", "real", "step {}"]


@pytest.fixture(scope="module")
def font_dir():
    folder = ROOT / "_vendor" / "fonts" / "nanum-gothic" / "ttf"
    try:
        fl.font_files()
    except (RuntimeError, OSError) as error:  # no npm and no vendored font
        pytest.skip(f"no TrueType Hangul font: {error}")
    return folder


def test_render_translates_and_restores(font_dir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.bar(["heads", "tails"], [0.3, 0.7], label="coin")
    ax.set_title("generator loss $L_G$")
    ax.set_ylabel("probability")
    ax.legend()
    table = {"heads": "앞면", "tails": "뒷면", "generator loss $L_G$": "생성자 손실 $L_G$",
             "probability": "확률"}
    png, missing = fl.render(fig, table)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert missing == ["coin"]
    # the English figure is unchanged
    assert ax.get_title() == "generator loss $L_G$"
    assert ax.get_ylabel() == "probability"
    fig.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["heads", "tails"]
    # the Korean figure draws Hangul (differs from a render without translations)
    english, _ = fl.render(fig, {})
    assert english != png
    plt.close(fig)


def test_generate_swaps_in_the_korean_figure():
    png = base64.b64encode(b"korean").decode()
    notebook = {"cells": [{"cell_type": "code", "source": "", "outputs": [
        {"output_type": "display_data", "data": {"image/png": "english", "text/plain": "F"},
         "metadata": {"image/png": {fl.METADATA_KEY: {"ko": {"png": png, "missing": []}},
                                    "width": 3}}}]}]}
    widget_output = json.loads(json.dumps(notebook["cells"][0]["outputs"][0]))
    notebook["metadata"] = {"widgets": {"application/vnd.jupyter.widget-state+json": {
        "state": {"m1": {"state": {"outputs": [widget_output]}}}}}}
    assert i18n.translate_figures(notebook, "ko") == 2
    for output in fl.notebook_outputs(notebook):
        assert output["data"]["image/png"] == png
        assert output["metadata"] == {"image/png": {"width": 3}}
