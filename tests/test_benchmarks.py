"""The throughput benchmark still runs end to end (bench/bench_issuance.py, issue 14): each
group prints its figure beside its ceiling. Tiny sizes; the figures themselves are not judged
here (speed lives in bench/, not in tests)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_issuance_benchmark_prints_every_group_with_its_ceiling(tmp_path):
    env = {
        **os.environ,
        # Always its own SQLite file: a benchmark's test database must never meet this run's.
        "DATABASE_URL": f"sqlite:///{tmp_path}/bench.sqlite3",
        "ILP_DATA_DIR": str(tmp_path / "data"),
        "ILP_BENCH_BATCHES": "1",
        "ILP_BENCH_ORDERS": "3",
        "ILP_BENCH_SECONDS": "1",
        "ILP_BENCH_CONNECTIONS": "2",
        "ILP_BENCH_GROUPS": "batch,single,orders",
    }
    run = subprocess.run(
        [sys.executable, "-m", "bench", "bench_issuance"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.stdout
    assert re.search(r"measured\s+[\d,]+ licenses/s", out), out
    assert re.search(r"ceiling\s+[\d,]+ licenses/s", out), out
    assert re.search(r"ratio\s+\d+%\s+target ≥ 50%", out), out
    assert re.search(r"measured\s+[\d,]+ orders/s", out), out
    if shutil.which("wrk"):
        assert re.search(r"POST /ums/licenses\s+[\d,]+ req/s .* non-2xx 0", out), out
        assert re.search(r"GET jwks \(ceiling\)\s+[\d,]+ req/s", out), out
        assert re.search(r"ratio \d+% of the rate", out), out
    else:
        assert "wrk not installed" in out, out
