"""booktools.execute: saved widget state keeps only the models that outputs show."""

from booktools.execute import prune_widget_state

STATE_KEY = "application/vnd.jupyter.widget-state+json"


def _notebook(shown: str) -> dict:
    view = {"application/vnd.jupyter.widget-view+json": {"model_id": shown, "version_major": 2}}
    state = {
        "aa01": {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_bb02"]}},
        "bb02": {"model_name": "FloatProgressModel", "state": {"style": "IPY_MODEL_cc03"}},
        "cc03": {"model_name": "ProgressStyleModel", "state": {}},
        "dd04": {"model_name": "FloatSliderModel", "state": {}},  # shown by no output
    }
    return {"cells": [{"cell_type": "code", "outputs": [{"output_type": "display_data",
                                                         "data": view}]}],
            "metadata": {"widgets": {STATE_KEY: {"state": state}}}}


def test_prune_keeps_shown_models_and_what_they_refer_to():
    notebook = _notebook("aa01")
    assert prune_widget_state(notebook) == 1
    assert set(notebook["metadata"]["widgets"][STATE_KEY]["state"]) == {"aa01", "bb02", "cc03"}


def test_prune_drops_everything_when_no_output_shows_a_widget():
    notebook = _notebook("ffff")
    assert prune_widget_state(notebook) == 4
    assert notebook["metadata"]["widgets"][STATE_KEY]["state"] == {}


def test_prune_leaves_notebooks_without_widgets_alone():
    assert prune_widget_state({"cells": [], "metadata": {}}) == 0
