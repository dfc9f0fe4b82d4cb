"""The scheduled jobs shipped in deploy/systemd/: each timer starts a
service of the same name, runs daily and catches up after downtime; each
service runs management commands that exist."""

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


def test_clearsessions_and_the_backup_run_on_a_schedule():
    timers = {path.stem for path in SYSTEMD.glob("*.timer")}
    assert {"crest-clearsessions", "crest-backup"} <= timers


@pytest.mark.parametrize("timer", sorted(SYSTEMD.glob("*.timer")), ids=lambda p: p.name)
def test_each_timer_runs_its_service_daily_and_catches_up(timer):
    config = unit(timer)
    assert (SYSTEMD / f"{timer.stem}.service").exists()
    assert re.fullmatch(r"\*-\*-\* \d\d:\d\d:\d\d", config["Timer"]["OnCalendar"])
    assert config["Timer"]["Persistent"] == "true"
    assert config["Install"]["WantedBy"] == "timers.target"


@pytest.mark.parametrize("service", sorted(SYSTEMD.glob("*.service")), ids=lambda p: p.name)
def test_each_service_runs_commands_that_exist(service):
    config = unit(service)
    lines = [value for key, value in config["Service"].items() if key.startswith("ExecStart")]
    commands = [re.search(r"manage\.py (\S+)", line).group(1) for line in lines]
    assert commands and set(commands) <= set(get_commands()), commands
    assert config["Service"]["Type"] == "oneshot" and config["Service"]["User"] != "root"
