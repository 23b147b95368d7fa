"""config.yaml v1: the shipped example validates; errors name the key and the line; secrets from the env."""

import subprocess
import sys
from pathlib import Path

import pytest

from gateway.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_example_config_is_valid():
    config = load_config(ROOT / "config.yaml")
    assert config.server.port == 8080 and config.state.backend == "memory"
    assert [s.after for s in config.watchdog.first_response] == [30, 60, 180, 270]
    assert config.routing.owner_ttl == 7 * 86400 and config.survey.answer_window == 600
    assert config.teams[0].ack_sla == 7200


def test_unknown_key_is_refused_with_its_name_and_line():
    text = "server:\n  host: 127.0.0.1\n  prot: 8080\n"
    with pytest.raises(ConfigError) as error:
        parse_config(text, env={})
    assert "line 3" in str(error.value) and "server.prot" in str(error.value)


def test_bad_duration_names_the_key():
    text = "routing:\n  owner_ttl: 7 days\n"
    with pytest.raises(ConfigError) as error:
        parse_config(text, env={})
    assert "routing.owner_ttl" in str(error.value) and "line 2" in str(error.value)


def test_wrong_type_in_a_list_item_names_the_item():
    text = "agents:\n  - {id: a1, name: x, token: t1}\n  - {id: a2, name: y, token: t2, max_concurrent: lots}\n"
    with pytest.raises(ConfigError) as error:
        parse_config(text, env={})
    assert "agents[1].max_concurrent" in str(error.value) and "line 3" in str(error.value)


def test_secrets_come_from_the_environment_with_defaults():
    text = 'storefronts:\n  - {id: s, token: "${SF_TOKEN}", secret: "${SF_SECRET:-fallback}"}\n'
    config = parse_config(text, env={"SF_TOKEN": "from-env"})
    assert config.storefronts[0].token == "from-env" and config.storefronts[0].secret == "fallback"
    with pytest.raises(ConfigError) as error:
        parse_config(text, env={})
    assert "SF_TOKEN" in str(error.value) and "storefronts[0].token" in str(error.value)


def test_durations_accept_every_documented_form():
    text = "survey: {answer_window: 90, min_interval: 2h}\nwatchdog: {idle_close: 1.5m}\n"
    config = parse_config(text, env={})
    assert (config.survey.answer_window, config.survey.min_interval, config.watchdog.idle_close) == (90, 7200, 90)


def test_shared_tokens_are_refused():
    text = "agents:\n  - {id: a1, name: x, token: same}\nstorefronts:\n  - {id: s, token: same}\n"
    with pytest.raises(ConfigError, match="own token"):
        parse_config(text, env={})


def test_check_config_exits_non_zero_without_a_stack_trace(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("state:\n  backend: zookeeper\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "gateway", "check-config", "--config", str(bad)],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 2
    assert "state.backend" in result.stderr and "line 2" in result.stderr
    assert "Traceback" not in result.stderr
    good = subprocess.run([sys.executable, "-m", "gateway", "check-config", "--config", str(ROOT / "config.yaml")],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert good.returncode == 0 and "OK" in good.stdout
