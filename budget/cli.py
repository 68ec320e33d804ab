"""Command line of the budget module: count a Pabulib file.

Mounted by the project CLI as ``hromada budget``::

    hromada budget tally FILE.pb [--rule greedy|greedy-no-skip|greedy-threshold|
                                         greedy-exclusive|equal-shares|
                                         equal-shares-comparison|equal-shares-basic|
                                         equal-shares-basic-comparison]

prints the funded project ids one per line, in the order the rule funded them, then a summary
line (and, for a rule with the comparison step, a line with its counts). Every `rule` value
of Pabulib files is understood (budget.tally). What reading the file let pass (a voter's line
listing a project twice, counted once) and a rule that can only be approximated
(greedy-custom, unknown) are reported on stderr as warnings naming the line, and the count
goes on. A malformed file or an election the rule cannot count is reported on stderr with
exit code 2.
"""

from __future__ import annotations

from enum import StrEnum
from fractions import Fraction
from pathlib import Path

import typer

from budget.pabulib.format import PabulibError, load
from budget.tally import APPROXIMATED, RULES, TallyError, tally

app = typer.Typer(help="Participatory budgets: count Pabulib files.", no_args_is_help=True)


# The rules the tally command offers (see budget.tally), as typer's choices.
Rule = StrEnum("Rule", {rule.replace("-", "_"): rule for rule in RULES})
FILE_HELP = "A Pabulib .pb file."


def unreadable(file: Path, exc: OSError) -> str:
    return f"{file}: cannot read the file: {exc.strerror or exc}"


@app.callback()
def main() -> None:
    """Participatory budgets: count Pabulib files."""


@app.command("tally")
def tally_command(
    file: Path = typer.Argument(..., help=FILE_HELP, dir_okay=False),
    rule: Rule | None = typer.Option(
        None, "--rule", help="Counting rule; by default the one named in the file's META."
    ),
) -> None:
    """Count FILE with its own rule (or --rule) and print the funded projects."""
    try:
        instance = load(file)
        result = tally(instance, rule.value if rule is not None else None)
    except OSError as exc:
        typer.echo(unreadable(file, exc), err=True)
        raise typer.Exit(2) from None
    except (PabulibError, TallyError) as exc:
        typer.echo(f"{file}: {exc}", err=True)
        raise typer.Exit(2) from None
    for warning in instance.warnings:
        typer.echo(f"{file}: warning: {warning}", err=True)
    note = APPROXIMATED.get((instance.rule or "").strip().lower()) if rule is None else None
    if note:
        typer.echo(f"{file}: warning: {note}", err=True)
    for project_id in result.selected:
        typer.echo(project_id)
    count = len(result.selected)
    typer.echo(
        f"selected {count} project{'' if count == 1 else 's'}, "
        f"cost {format_amount(result.total_cost)} of budget {format_amount(result.budget)}, "
        f"rule {result.rule}"
    )
    if result.comparison is not None:
        c = result.comparison
        kept = "greedy by votes" if c.greedy_kept else "equal shares"
        typer.echo(f"comparison step: {c.prefer_equal_shares} voters prefer equal shares, "
                   f"{c.prefer_greedy} greedy by votes, {c.indifferent} neither; "
                   f"{kept} kept")


def format_amount(value: Fraction) -> str:
    """Money as written in Pabulib files: ``1234567``, ``1607513.56`` (exact when the amount
    is a finite decimal, otherwise rounded to 1/100)."""
    if value.denominator == 1:
        return str(value.numerator)
    for places in range(1, 7):
        scaled = value * 10**places
        if scaled.denominator == 1:
            whole, fraction = divmod(abs(scaled.numerator), 10**places)
            sign = "-" if value < 0 else ""
            return f"{sign}{whole}.{fraction:0{places}d}"
    return f"{float(value):.2f}"
