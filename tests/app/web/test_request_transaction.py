"""The request transaction on sessions of its own (the other tests lend theirs): a 2xx means
committed, an error rolls back unless the route kept its work, pages and batched forms only
read, a busy database is a 503, and on SQLite a writing request waits for the writer turn
without holding up the event loop. A small app of its own on a database of its own (the run's
backend; a SQLite file for the writer turn), with real commits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from sqlalchemy import Column, Integer, String, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import registry

from app.db import GROUP_COMMIT, READS_ONLY, WriterTurn, build_engine
from app.exceptions import Conflict, DomainError
from app.web import deps
from app.web.deps import DbSession, keep_on_error, make_router, writes
from app.web.errors import install_error_handlers
from tests.conftest import create_database, drop_database

probes = registry()


@probes.mapped
class Probe:
    __tablename__ = "tx_probe"
    id = Column(Integer, primary_key=True)
    name = Column(String(40), nullable=False)


class Refused(DomainError):
    status_code = 409
    code = "refused"


router = make_router(prefix="/api")


@router.post("/probes/{name}")
def add_and_fail(request: Request, session: DbSession, name: str, keep: bool = False,
                 fail: str = "domain", status: int = 201) -> JSONResponse:
    session.add(Probe(name=name))
    session.flush()
    if keep:
        keep_on_error(request)
    if fail == "domain":
        raise Conflict("no")
    if fail == "crash":
        raise RuntimeError("crash")
    return JSONResponse({}, status_code=status)


@router.get("/sessions")
def page(session: DbSession) -> dict:
    return {"reads_only": session.info[READS_ONLY], "group": session.info[GROUP_COMMIT]}


@router.get("/confirm")
@writes()
def confirm(session: DbSession) -> dict:
    return {"reads_only": session.info[READS_ONLY], "group": session.info[GROUP_COMMIT]}


@router.post("/batched")
@writes(False)
def batched(session: DbSession) -> dict:
    return {"reads_only": session.info[READS_ONLY], "group": session.info[GROUP_COMMIT]}


@router.post("/as/{name}")
def as_someone(request: Request, session: DbSession, name: str) -> dict:
    request.state.user = session.scalars(select(Probe).where(Probe.name == name)).one()
    raise Refused("no")


@router.post("/busy")
def busy(message: str) -> dict:
    raise OperationalError("UPDATE x", {}, Exception(message))


@router.get("/ping")
async def ping() -> dict:
    return {}


def make_app() -> FastAPI:
    app = FastAPI()
    app.include_router(router)
    install_error_handlers(app)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> JSONResponse:
        # An error page after the rollback: the person it shows is still readable.
        return JSONResponse({"user": request.state.user.name}, status_code=409)

    return app


@pytest.fixture(scope="module")
def database(pytestconfig) -> Iterator[str]:
    url = create_database(pytestconfig.getoption("--db"), "tx")
    yield url
    drop_database(url)


@pytest.fixture
def engine(database, monkeypatch):
    engine = build_engine(database)
    probes.metadata.drop_all(engine)
    probes.metadata.create_all(engine)
    monkeypatch.setattr(deps, "get_engine", lambda: engine)
    yield engine
    engine.dispose()


@pytest.fixture
def client(engine) -> Iterator[TestClient]:
    with TestClient(make_app(), raise_server_exceptions=False) as client:
        yield client


def names(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT name FROM tx_probe")).scalars())


def test_a_2xx_commits_and_an_error_rolls_back_unless_the_route_keeps_its_work(client, engine):
    assert client.post("/api/probes/ok?fail=").status_code == 201
    assert client.post("/api/probes/redirected?fail=&status=303",
                       follow_redirects=False).status_code == 303
    assert client.post("/api/probes/refused").status_code == 409
    assert client.post("/api/probes/crashed?fail=crash").status_code == 500
    assert client.post("/api/probes/answered-400?fail=&status=400").status_code == 400
    # keep_on_error: a DomainError or an error answer keeps the work, a crash does not.
    assert client.post("/api/probes/kept?keep=true").status_code == 409
    assert client.post("/api/probes/kept-400?keep=true&fail=&status=400").status_code == 400
    assert client.post("/api/probes/kept-crash?keep=true&fail=crash").status_code == 500
    assert names(engine) == {"ok", "redirected", "kept", "kept-400"}


def test_pages_and_batched_forms_only_read(client):
    assert client.get("/api/sessions").json() == {"reads_only": True, "group": False}
    assert client.get("/api/confirm").json() == {"reads_only": False, "group": False}
    assert client.post("/api/batched").json() == {"reads_only": True, "group": True}


def test_the_error_page_still_shows_the_person_after_the_rollback(client, engine):
    assert client.post("/api/probes/olena?fail=").status_code == 201
    answer = client.post("/api/as/olena")
    assert answer.status_code == 409 and answer.json() == {"user": "olena"}


@pytest.mark.parametrize(("message", "status"), [
    ("database is locked", 503), ("could not serialize access", 503), ("disk I/O error", 500)])
def test_a_busy_database_is_a_503(client, message, status):
    answer = client.post("/api/busy", params={"message": message})
    assert answer.status_code == status
    if status == 503:
        assert answer.json()["error"] == "busy"


@pytest.fixture
def sqlite_file(tmp_path, monkeypatch):
    engine = build_engine(f"sqlite:///{tmp_path / 'turn.db'}")
    probes.metadata.create_all(engine)
    monkeypatch.setattr(deps, "get_engine", lambda: engine)
    yield engine
    engine.dispose()


def test_a_writing_request_waits_for_the_writer_turn_and_gives_it_back(sqlite_file):
    held = WriterTurn(sqlite_file)
    held.take()
    answers: dict[str, int] = {}
    with TestClient(make_app(), raise_server_exceptions=False) as client:
        def write(name: str, fail: str) -> None:
            answers[name] = client.post(f"/api/probes/{name}?fail={fail}").status_code

        writers = [threading.Thread(target=write, args=("waits", "")),
                   threading.Thread(target=write, args=("fails", "crash"))]
        for writer in writers:
            writer.start()
        time.sleep(0.5)
        try:
            assert answers == {}, "a writer went past the turn"
            started = time.perf_counter()
            assert client.get("/api/ping").status_code == 200  # the event loop is free
            assert client.get("/api/sessions").status_code == 200  # and so are readers
            assert time.perf_counter() - started < 2
        finally:
            held.give_back()
        for writer in writers:
            writer.join(10)
    assert answers == {"waits": 201, "fails": 500}
    assert names(sqlite_file) == {"waits"}
    again = WriterTurn(sqlite_file)  # both requests gave the turn back
    taken = threading.Thread(target=again.take)
    taken.start()
    taken.join(2)
    assert not taken.is_alive(), "the writer turn stayed taken"
    again.give_back()
