"""What `make run` starts: Redis, a worker and the web app, all stopped by one Ctrl-C."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(os.environ.get("BACKOFFICE_SKIP_DEVSERVER") == "1", reason="asked to skip")
def test_make_run_starts_redis_worker_and_web_and_ctrl_c_stops_them(tmp_path, request):
    if request.config.getoption("--db") != "sqlite":
        pytest.skip("the development server's default database is SQLite; checked once")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "APP_ENV")}
    env.update(INSTANCE_PATH=str(tmp_path), PORT=str(port), FLASK_APP="wsgi")
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "demo", "seed", "--if-empty"], cwd=ROOT, env=env, check=True, capture_output=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "backoffice.devserver"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            lines.append(line)
            if "patient2@demo.test" in line or server.poll() is not None:
                break
        output = "".join(lines)
        assert f"http://127.0.0.1:{port}" in output and "admin@demo.test" in output, output
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
            assert json.load(response) == {"status": "ok", "database": "ok", "redis": "ok"}
        assert (tmp_path / "redis.sock").exists()
        os.killpg(server.pid, signal.SIGINT)  # what Ctrl-C in the terminal does: the whole process group
        assert server.wait(timeout=30) == 0
        rest = server.stdout.read()
        assert "Traceback" not in rest and "Stopping web, worker and Redis" in rest, rest
        time.sleep(0.5)
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
        leftovers = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True).stdout.strip()
        assert leftovers == "", "processes still running after Ctrl-C"
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
