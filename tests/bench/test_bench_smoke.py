"""A tiny run of the benchmark harness, so that `make test` proves the bench code works.

Real server processes and the separate load generator, a few hundred requests in all: the
figures are meaningless at this size, only their presence and the integrity checks matter.
"""

from __future__ import annotations

import json

from sqlalchemy import text

from bench import bench_bare, bench_floor, bench_page, bench_sign, data, run
from bench.harness import stage


def test_harness_reports_every_figure_and_catches_a_lost_write(backend, isolated_database,
                                                               tmp_path):
    from bench import bench_ballot

    ballots = bench_ballot.available() is None
    budget = {"budget": {"cycles": 1, "projects": 10}} if ballots else {}
    with stage(backend, tmp_path, url=isolated_database, workers=1, connections=4,
               log=lambda _: None, users=150, sign_petitions=2, big_signatures=2_000,
               **budget) as st:
        per: dict = {"floor": bench_floor.median_of([bench_floor.run(st, 0.4, 0.1)]),
                     "bare": bench_bare.run(st, 0.4, 0.1),
                     "page": bench_page.run(st, 0.4, 0.1),
                     "sign": bench_sign.run(st, 0.8, 0.1, keep_acks=True)}
        if ballots:
            assert "budget_error" not in st.population.extra, st.population.extra
            per["ballot"] = bench_ballot.run(st, 0.6, 0.1)
        acknowledged = per["sign"].pop("acknowledged")

        results = run.compose({backend: per}, {"dashboard_ms": 1.0},
                              {"mes_speedup_vs_pabutools": 100.0}, {"config": {}})
        assert set(run.REQUIRED_KEYS) <= set(results)
        json.dumps(results)  # the results file must be plain JSON
        prefix = "" if backend == "sqlite" else "_pg"
        for key in (f"sign{prefix}_per_s", f"sign{prefix}_p99_ms", f"page{prefix}_per_s_10",
                    f"page{prefix}_per_s_1m", f"page{prefix}_p99_ms_1m", f"bare{prefix}_per_s",
                    f"floor{prefix}_per_s", f"bare{prefix}_vs_floor", f"sign{prefix}_vs_floor",
                    f"page_anon{prefix}_vs_floor", f"page_user{prefix}_vs_floor"):
            assert results[key], key
        assert per["page"]["big"]["count_shown"] and per["page"]["small"]["status"] == 200
        # The logged-in page: the session cookie is accepted and the signer sees the signature.
        assert per["page"]["user"]["logged_in"] and per["page"]["user"]["shows_signed"]
        assert per["page"]["user"]["statuses_in_window"].keys() == {"200"}
        # Sealing: every audit entry of the run is accounted for, sealed or not; the delay is
        # null exactly when audit_entry has no sealed_at column.
        seal = per["sign"]["seal"]
        assert seal["rows"] >= per["sign"]["check"]["rows"] > 0
        assert results[f"seal{prefix}_unsealed_rows"] == seal["unsealed_rows"]
        assert (results[f"seal{prefix}_delay_max_ms"] is None) == (not seal["sealed_at_column"])
        assert results["cpu_cores"][f"sign_{backend}"]["loadgen"] is not None
        assert results["cpu_cores"][f"sign_{backend}"]["server"] > 0
        assert per["sign"]["statuses"].keys() == {"201"}, per["sign"]["statuses"]
        if ballots:
            assert results[f"ballot{prefix}_per_s"]
            assert per["ballot"]["check"]["counters_match"], per["ballot"]["check"]
        assert results["lost_writes"] == 0 and results["counters_exact"]
        check = per["sign"]["check"]
        assert check["acknowledged"] == check["rows"] == check["counter_total"] > 0

        # Delete one acknowledged signature behind the application's back: the check sees it.
        petition_id, user_id = sorted(acknowledged)[0]
        engine = data.engine_for(st.population.url)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM petition_signature WHERE petition_id = :p AND "
                              "user_id = :u"), {"p": petition_id, "u": user_id})
        engine.dispose()
        check = data.check_signatures(st.population.url, st.population.sign_petitions,
                                      acknowledged)
        assert check["lost_writes"] == 1
        assert not check["counters_match"] and check["counter_mismatches"] == 1
