"""config.yaml ``scripts:``: strict, with the shipped files as defaults."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from scripts_lib.config import ScriptsConfig
from scripts_lib.matcher import DEFAULT_MIN_SCORE


def test_defaults():
    config = ScriptsConfig()
    assert (config.library, config.knowledge) == (None, None)
    assert (config.max_suggestions, config.min_score, config.reload_check) == (3, DEFAULT_MIN_SCORE, 2.0)


def test_durations_and_paths(tmp_path):
    library = tmp_path / "my_library.yaml"
    library.write_text("scripts: []", encoding="utf-8")
    config = ScriptsConfig(library=str(library), reload_check="1m")
    assert config.library == library and config.reload_check == 60.0


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"library": "/no/such/library.yaml"}, "library"),
        ({"reload_check": "soon"}, "reload_check"),
        ({"max_suggestions": 0}, "max_suggestions"),
        ({"min_score": 1.5}, "min_score"),
        ({"libary": "typo.yaml"}, "libary"),
    ],
)
def test_bad_values_are_refused_naming_the_key(raw, key):
    with pytest.raises(ValidationError) as caught:
        ScriptsConfig(**raw)
    assert caught.value.errors()[0]["loc"] == (key,)
