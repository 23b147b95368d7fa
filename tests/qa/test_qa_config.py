"""QAConfig: the fixed keys of config-v1, this project's additions, strict validation."""

import pytest
from pydantic import ValidationError

from handlers.qa_config import QAConfig


def test_defaults_run_every_check_and_block():
    config = QAConfig()
    assert (config.on_violation, config.check_pii, config.check_repeat) == ("block", True, True)
    assert config.banned_words == [] and config.allowed_pii == []
    assert config.repeat_min_chars == 8


def test_fixed_keys_from_config_v1():
    config = QAConfig.model_validate({"banned_words": [" 亲爱的 "], "on_violation": "mask"})
    assert (config.banned_words, config.on_violation) == (["亲爱的"], "mask")


@pytest.mark.parametrize(
    "data, key",
    [
        ({"on_violation": "drop"}, "on_violation"),
        ({"banned_word": ["x"]}, "banned_word"),
        ({"banned_words": ["加微信", " ，。 "]}, "banned_words.1"),
        ({"banned_words": "加微信"}, "banned_words"),
        ({"repeat_min_chars": 0}, "repeat_min_chars"),
    ],
)
def test_bad_values_are_refused_naming_the_key(data, key):
    with pytest.raises(ValidationError) as error:
        QAConfig.model_validate(data)
    assert key in {".".join(str(part) for part in e["loc"]) for e in error.value.errors()}
