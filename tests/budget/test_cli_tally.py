"""The ``tally`` command: output of real files, the --rule option and errors (exit code 2)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from budget.cli import app, format_amount
from budget.pabulib.format import load
from tests.budget.pabulib_data import shared_dir

runner = CliRunner()


def test_tally_prints_the_winners_then_a_summary() -> None:
    path = shared_dir() / "Poland_Krakow_2024_Lagiewniki-Borek_Falecki.pb"
    result = runner.invoke(app, ["tally", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "BO.D9.6/24",
        "BO.D9.4/24",
        "BO.D9.9/24",
        "BO.D9.26/24",
        "selected 4 projects, cost 1603005 of budget 1607513.56, rule greedy",
    ]
    assert result.stderr == ""


def test_tally_equal_shares_file() -> None:
    path = shared_dir() / "Netherlands_Assen_2024.pb"
    result = runner.invoke(app, ["tally", str(path)])
    assert result.exit_code == 0, result.output
    *ids, summary = result.stdout.splitlines()
    assert sorted(ids) == sorted(load(path).official_winners)
    assert summary == "selected 9 projects, cost 76700 of budget 100000, rule equal-shares"


def test_rule_option_overrides_the_file() -> None:
    path = shared_dir() / "Netherlands_Assen_2024.pb"
    result = runner.invoke(app, ["tally", str(path), "--rule", "greedy"])
    assert result.exit_code == 0, result.output
    # By votes: 3 (43), 9 (42), 8 (25), then 2 and 11 tie at 24 and the cheaper 2 goes first.
    assert result.stdout.splitlines() == [
        "3", "9", "8", "2", "11", "13", "14",
        "selected 7 projects, cost 99200 of budget 100000, rule greedy",
    ]


def test_unknown_rule_is_a_usage_error() -> None:
    path = shared_dir() / "Netherlands_Assen_2024.pb"
    result = runner.invoke(app, ["tally", str(path), "--rule", "phragmen"])
    assert result.exit_code == 2
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("META\nkey;value\nbudget;10\nPROJECTS\nproject_id;cost\n1;x\nVOTES\nvoter_id;vote\n",
         "line 6: cost 'x' is not a number"),
        ("META\nkey;value\nbudget;10\nPROJECTS\nproject_id;cost\n1;5\nVOTES\nvoter_id;vote\n"
         "a;1\nb;7\n", "line 10: vote for unknown project '7'"),
        ("META\nkey;value\nvote_type;approval\nPROJECTS\nproject_id;cost\n1;5\nVOTES\n"
         "voter_id;vote\n", "line 1: META has no 'budget' entry"),
        ("META\nkey;value\nbudget;10\n", "line 3: the file ends without a PROJECTS section"),
    ],
)
def test_malformed_file_exits_2_with_the_message(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "broken.pb"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["tally", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip() == f"{path}: {message}"


def test_a_rule_the_file_cannot_use_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "no_threshold.pb"
    path.write_text("META\nkey;value\nbudget;10\nrule;greedy\nPROJECTS\nproject_id;cost\n1;5\n"
                    "VOTES\nvoter_id;vote\na;1\n", encoding="utf-8")
    assert runner.invoke(app, ["tally", str(path)]).stdout.splitlines() == [
        "1", "selected 1 project, cost 5 of budget 10, rule greedy"]
    result = runner.invoke(app, ["tally", str(path), "--rule", "greedy-threshold"])
    assert result.exit_code == 2
    assert "greedy-threshold needs a minimum project score" in result.stderr


def test_a_project_listed_twice_is_a_warning_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "twice.pb"
    path.write_text("META\nkey;value\nbudget;10\nrule;greedy\nPROJECTS\nproject_id;cost\n"
                    "1;5\n2;6\nVOTES\nvoter_id;vote\na;1\nb;2,2\nc;2\n", encoding="utf-8")
    result = runner.invoke(app, ["tally", str(path)])
    assert result.exit_code == 0, result.output
    # Project 2 has two votes (b counted once), project 1 one: 2 is funded, 1 no longer fits.
    assert result.stdout.splitlines() == [
        "2", "selected 1 project, cost 6 of budget 10, rule greedy"]
    assert result.stderr.splitlines() == [
        f"{path}: warning: line 12: voter 'b' lists project '2' more than once; counted once"]


@pytest.mark.parametrize("rule", ["greedy-custom", "unknown"])
def test_a_rule_counted_approximately_is_a_warning(tmp_path: Path, rule: str) -> None:
    path = tmp_path / "custom.pb"
    path.write_text(f"META\nkey;value\nbudget;10\nrule;{rule}\nPROJECTS\nproject_id;cost\n"
                    "1;5\nVOTES\nvoter_id;vote\na;1\n", encoding="utf-8")
    result = runner.invoke(app, ["tally", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "selected 1 project, cost 5 of budget 10, rule greedy"
    assert result.stderr.startswith(f"{path}: warning: ")
    assert "greedy" in result.stderr
    # Asking for a rule explicitly counts with that rule, and nothing is approximated.
    explicit = runner.invoke(app, ["tally", str(path), "--rule", "greedy"])
    assert explicit.stderr == ""


def test_the_comparison_step_reports_its_counts() -> None:
    path = shared_dir() / "Netherlands_Assen_2024.pb"
    result = runner.invoke(app, ["tally", str(path), "--rule", "equal-shares-comparison"])
    assert result.exit_code == 0, result.output
    *ids, summary, comparison = result.stdout.splitlines()
    assert sorted(ids) == sorted(load(path).official_winners)
    assert summary.endswith("rule equal-shares-comparison")
    assert comparison.startswith("comparison step: ")
    assert comparison.endswith("; equal shares kept")


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["tally", str(tmp_path / "nope.pb")])
    assert result.exit_code == 2
    assert "cannot read the file" in result.stderr


@pytest.mark.parametrize(
    ("amount", "text"),
    [(Fraction(1234567), "1234567"), (Fraction("1607513.56"), "1607513.56"),
     (Fraction("361677.8"), "361677.8"), (Fraction(1, 3), "0.33"), (Fraction(-5, 2), "-2.5")],
)
def test_format_amount(amount: Fraction, text: str) -> None:
    assert format_amount(amount) == text
