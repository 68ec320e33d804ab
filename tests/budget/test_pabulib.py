"""The Pabulib parser and writer: every shared file, hand-made files, malformed files, and a
round trip of generated instances."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budget.pabulib.format import Instance, PabulibError, Project, Vote, dump, load, parse
from tests.budget.pabulib_data import real_files, shared_dir

REAL_FILES = real_files()


def test_the_shared_files_are_there() -> None:
    assert REAL_FILES, f"no .pb files in {shared_dir()}"


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_shared_file_parses_and_round_trips(path: Path) -> None:
    instance = load(path)
    assert len(instance.projects) == int(instance.meta["num_projects"])
    assert len(instance.votes) == int(instance.meta["num_votes"])
    assert instance.budget > 0
    assert instance.official_winners, "every shared file records its winners"
    ids = {p.project_id for p in instance.projects}
    assert all(set(v.projects) <= ids for v in instance.votes)
    assert parse(dump(instance)) == instance


def test_a_shared_file_in_detail() -> None:
    instance = load(shared_dir() / "Poland_Krakow_2022_Pradnik_Czerwony.pb")
    assert instance.vote_type == "ordinal"
    assert instance.rule == "greedy"
    assert instance.budget == Decimal("1545319")
    first = instance.projects[0]
    assert (first.project_id, first.cost, first.votes, first.score, first.selected) == (
        "26", Decimal(120000), 537, Decimal(1027), 1)
    assert first.name == "100 drzew dla Dzielnicy III Prądnik Czerwony!"
    quoted = next(p for p in instance.projects if p.project_id == "52")
    assert quoted.name == '800 darmowych biletów dla seniorów do Kina "Paradox"'
    vote = instance.votes[0]
    assert (vote.voter_id, vote.projects) == ("E1189906", ("4", "10", "7"))
    assert vote.points == (Decimal(3), Decimal(2), Decimal(1))
    assert vote.extra == {"voting_method": "internet"}


HAND_MADE = (
    "\ufeffMETA\r\n"
    "key;value\r\n"
    "description;A \"quoted\" test\r\n"
    "budget;1000.50\r\n"
    "vote_type;cumulative\r\n"
    "rule;greedy\r\n"
    "\r\n"
    "PROJECTS\r\n"
    "project_id;cost;name;category;selected;description\r\n"
    'p1;600;"Park; phase ""2""";green,sport;1;first\r\n'
    "p2;400,25;Library;None;0;\r\n"
    "VOTES\r\n"
    "voter_id;vote;points;age\r\n"
    "a;p1,p2;3,2;34\r\n"
    "b;;;\r\n"
)


def test_hand_made_file_fields() -> None:
    instance = parse(HAND_MADE)
    assert instance.meta == {
        "description": 'A "quoted" test', "budget": "1000.50",
        "vote_type": "cumulative", "rule": "greedy",
    }
    assert instance.budget == Decimal("1000.50")
    p1, p2 = instance.projects
    assert p1 == Project("p1", Decimal(600), name='Park; phase "2"', categories=("green", "sport"),
                         selected=1, extra={"description": "first"})
    assert p2.cost == Decimal("400.25")
    assert p2.categories == ()
    assert instance.votes == (
        Vote("a", ("p1", "p2"), (Decimal(3), Decimal(2)), {"age": "34"}),
        Vote("b", (), (), {"age": ""}),
    )
    assert instance.project_columns == (
        "project_id", "cost", "name", "category", "selected", "description")
    assert parse(dump(instance)) == instance


def test_dump_refuses_data_its_columns_cannot_hold() -> None:
    instance = parse(HAND_MADE)
    broken = Instance(instance.meta, instance.projects, instance.votes,
                      instance.project_columns, ("voter_id", "vote"))
    with pytest.raises(ValueError, match="points"):
        dump(broken)


def test_load_reports_invalid_utf8_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.pb"
    path.write_bytes(HAND_MADE.encode().replace(b"Library", b"Libr\xffary"))
    with pytest.raises(PabulibError) as caught:
        load(path)
    assert caught.value.line == 11
    assert "UTF-8" in str(caught.value)


def file_with(meta: str = "budget;100\n", projects: str = "1;60\n2;50\n",
              votes: str = "a;1,2\nb;2\n", project_header: str = "project_id;cost",
              vote_header: str = "voter_id;vote") -> str:
    """A small valid file (line 1 META, 2 header, then META entries) with parts replaced."""
    return (f"META\nkey;value\n{meta}PROJECTS\n{project_header}\n{projects}"
            f"VOTES\n{vote_header}\n{votes}")


def test_the_builder_makes_a_valid_file() -> None:
    instance = parse(file_with())
    assert [p.project_id for p in instance.projects] == ["1", "2"]
    assert [v.projects for v in instance.votes] == [("1", "2"), ("2",)]


# Line numbers: 1 META, 2 key;value, 3 budget, 4 PROJECTS, 5 header, 6-7 projects,
# 8 VOTES, 9 header, 10-11 votes (for the default parts).
MALFORMED = [
    ("unknown section", file_with(projects="1;60\nCATEGORIES\n"), 7,
     "unknown section 'CATEGORIES'"),
    ("short project row", file_with(projects="1;60\n2\n"), 7, "expected 2 fields"),
    ("long vote row", file_with(votes="a;1;x\n"), 10, "expected 2 fields"),
    ("non-numeric cost", file_with(projects="1;60\n2;fifty\n"), 7, "cost 'fifty' is not a number"),
    ("negative cost", file_with(projects="1;-60\n2;50\n"), 6, "negative"),
    ("unknown project", file_with(votes="a;1,2\nb;3\n"), 11, "unknown project '3'"),
    ("empty id in a vote", file_with(votes="a;1,,2\n"), 10, "empty project id"),
    ("duplicate project", file_with(projects="1;60\n1;50\n"), 7, "appears twice"),
    ("duplicate voter", file_with(votes="a;1\na;2\n"), 11, "appears twice"),
    ("missing budget", file_with(meta="rule;greedy\n"), 1, "no 'budget'"),
    ("non-numeric budget", file_with(meta="budget;lots\n"), 3, "budget 'lots' is not a number"),
    ("bad vote type", file_with(meta="budget;100\nvote_type;ranked\n"), 4, "unknown vote_type"),
    ("wrong num_votes", file_with(meta="budget;100\nnum_votes;3\n"), 4, "num_votes is 3"),
    ("repeated META key", file_with(meta="budget;100\nbudget;200\n"), 4, "given twice"),
    ("points do not match", file_with(vote_header="voter_id;vote;points",
                                      votes="a;1,2;3\n"), 10, "2 projects in vote but 1"),
    ("non-numeric points", file_with(vote_header="voter_id;vote;points",
                                     votes="a;1;x\n"), 10, "points 'x' is not a number"),
    ("header without cost", file_with(project_header="project_id;price"), 5,
     "lacks the column 'cost'"),
    ("repeated column", file_with(project_header="project_id;cost;cost",
                                  projects="1;6;6\n"), 5, "repeats the column 'cost'"),
    ("bad selected", file_with(project_header="project_id;cost;selected",
                               projects="1;60;yes\n"), 6, "selected 'yes' is not a whole number"),
    ("data before META", "budget;100\n" + file_with(), 1, "expected the META section first"),
    ("sections out of order", "META\nkey;value\nbudget;1\nVOTES\n", 4,
     "expected the PROJECTS section here, found VOTES"),
    ("second META", file_with() + "META\n", 12, "second META section"),
    ("no VOTES section", "META\nkey;value\nbudget;1\nPROJECTS\nproject_id;cost\n1;1\n", 6,
     "without a VOTES section"),
    ("section without header", file_with(votes="").replace("voter_id;vote\n", ""), 8,
     "VOTES section has no header"),
    ("empty file", "", 1, "empty"),
    ("unterminated quote", file_with(projects='1;60\n2;"50\n'), 7, "unreadable CSV"),
    ("no PROJECTS section", "META\nkey;value\nbudget;1\n", 3,
     "ends without a PROJECTS section"),
    ("cost with a currency", file_with(projects="1;60\n2;50 PLN\n"), 7,
     "cost '50 PLN' is not a number"),
]


@pytest.mark.parametrize(("text", "line", "message"), [m[1:] for m in MALFORMED],
                         ids=[m[0] for m in MALFORMED])
def test_malformed_file_names_line_and_defect(text: str, line: int, message: str) -> None:
    with pytest.raises(PabulibError) as caught:
        parse(text)
    assert caught.value.line == line, str(caught.value)
    assert message in caught.value.reason
    assert str(caught.value).startswith(f"line {line}: ")


def test_a_project_listed_twice_in_a_vote_counts_once_with_a_warning() -> None:
    text = file_with(projects="1;60\n2;50\n3;10\n", vote_header="voter_id;vote;points",
                     votes="a;1,2;3,2\nb;2,1,2;5,4,3\nc;3,1,3,1;1,2,3,4\n")
    instance = parse(text)
    # The first place and the first points stand.
    assert [(v.projects, v.points) for v in instance.votes] == [
        (("1", "2"), (Decimal(3), Decimal(2))),
        (("2", "1"), (Decimal(5), Decimal(4))),
        (("3", "1"), (Decimal(1), Decimal(2))),
    ]
    assert [(w.line, w.reason) for w in instance.warnings] == [
        (12, "voter 'b' lists project '2' more than once; counted once"),
        (13, "voter 'c' lists projects '3', '1' more than once; counted once"),
    ]
    assert str(instance.warnings[0]) == ("line 12: voter 'b' lists project '2' more than "
                                         "once; counted once")
    # Written back, the file has each project once and nothing to warn about.
    again = parse(dump(instance))
    assert again == instance and again.warnings == ()


def test_a_clean_file_has_no_warnings() -> None:
    assert parse(file_with()).warnings == ()


# --- round trip of generated instances ---------------------------------------------------------

SAFE_ID = st.text(alphabet="abcXYZ0123456789/._-", min_size=1, max_size=6)
WORDS = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=12,
).map(str.strip)
MONEY = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False,
                    allow_infinity=False)
POINTS = st.decimals(min_value=-10, max_value=100, places=1, allow_nan=False,
                     allow_infinity=False)
CATEGORY = st.text(alphabet="abc xyz", min_size=1, max_size=6).map(str.strip).filter(
    lambda c: c not in ("", "None"))


@st.composite
def instances(draw: st.DrawFn) -> Instance:
    ids = draw(st.lists(SAFE_ID, min_size=1, max_size=6, unique=True))
    project_extra = draw(st.sets(st.sampled_from(["description", "latitude"])))
    has = {name: draw(st.booleans()) for name in ("votes", "score", "selected", "points")}
    projects = [
        Project(
            project_id=pid,
            cost=draw(MONEY),
            name=draw(WORDS),
            categories=tuple(draw(st.lists(CATEGORY, max_size=2))),
            votes=draw(st.integers(0, 999)) if has["votes"] else None,
            score=draw(POINTS) if has["score"] else None,
            selected=draw(st.integers(0, 2)) if has["selected"] else None,
            extra={key: draw(WORDS) for key in sorted(project_extra)},
        )
        for pid in ids
    ]
    voters = draw(st.lists(SAFE_ID, max_size=6, unique=True))
    votes = []
    for voter in voters:
        chosen = tuple(draw(st.permutations(ids))[: draw(st.integers(0, len(ids)))])
        points = tuple(draw(POINTS) for _ in chosen) if has["points"] else None
        votes.append(Vote(voter, chosen, points, {"age": draw(WORDS)}))
    meta = {"budget": format(draw(MONEY), "f"), "vote_type": draw(st.sampled_from(
        ["approval", "cumulative", "ordinal"]))}
    meta.update(draw(st.dictionaries(st.text(alphabet="abcdefgh_", min_size=1, max_size=8)
                                     .filter(lambda k: k not in meta), WORDS, max_size=3)))
    return Instance.create(meta, projects, votes)


@settings(max_examples=200, deadline=None)
@given(instances())
def test_generated_instances_round_trip(instance: Instance) -> None:
    text = dump(instance)
    assert parse(text) == instance
    assert dump(parse(text)) == text
