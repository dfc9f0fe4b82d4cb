"""The scheduled jobs shipped in deploy/systemd/ (installed together by
docs/operations.md): each timer starts a service of the same name; the
daily ones catch up after downtime, the reminders run every minute; each
service runs management commands that exist, with the environment file the
docs name."""

import configparser
import re
from pathlib import Path

import pytest
from django.core.management import get_commands

SYSTEMD = Path(__file__).resolve().parents[2] / "deploy" / "systemd"


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(path)
    return parser


EVERY_MINUTE = "crest-reminders"  # sends what a missed minute left while still useful


def test_clearsessions_the_backup_and_the_reminders_run_on_a_schedule():
    """The reminders' units once sat outside deploy/systemd/ and read
    another environment file than the docs name: an install that followed
    docs/operations.md never sent a reminder."""
    timers = {path.stem for path in SYSTEMD.glob("*.timer")}
    assert {"crest-clearsessions", "crest-backup", EVERY_MINUTE} <= timers


@pytest.mark.parametrize("timer", sorted(SYSTEMD.glob("*.timer")), ids=lambda p: p.name)
def test_each_timer_runs_its_service_on_time(timer):
    config = unit(timer)
    assert (SYSTEMD / f"{timer.stem}.service").exists()
    assert config["Install"]["WantedBy"] == "timers.target"
    if timer.stem == EVERY_MINUTE:
        assert config["Timer"]["OnCalendar"] == "*-*-* *:*:00"
        return
    assert re.fullmatch(r"\*-\*-\* \d\d:\d\d:\d\d", config["Timer"]["OnCalendar"])
    assert config["Timer"]["Persistent"] == "true"


@pytest.mark.parametrize("service", sorted(SYSTEMD.glob("*.service")), ids=lambda p: p.name)
def test_each_service_runs_commands_that_exist(service):
    config = unit(service)
    lines = [value for key, value in config["Service"].items() if key.startswith("ExecStart")]
    commands = [re.search(r"manage\.py (\S+)", line).group(1) for line in lines]
    assert commands and set(commands) <= set(get_commands()), commands
    assert config["Service"]["Type"] == "oneshot" and config["Service"]["User"] != "root"
    operations = (SYSTEMD.parents[1] / "docs" / "operations.md").read_text()
    assert f"`{config['Service']['EnvironmentFile']}`" in operations
