"""benches/gpu_check.py: the JSON survives a run cut short, every phase counts, --quick fits.

The phases run through a fake ``_run`` (no suite, no benchmarks), except for the process
handling itself and one end-to-end run on a two-test file: together under ten seconds.
"""
from __future__ import annotations

import importlib.util
import json
import os
import sys
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location(
    "gpu_check", os.path.join(REPO, "benches", "gpu_check.py"))
gpu_check = importlib.util.module_from_spec(_spec)
sys.modules["gpu_check"] = gpu_check  # dataclasses look their module up by name
_spec.loader.exec_module(gpu_check)
Result = gpu_check.Result

DEVICE = ('{"cupy": "14.0.0", "device": "NVIDIA H200", "compute_capability": "9.0", '
          '"device_memory_gib": 139.8, "device_count": 1, "driver": 13000, '
          '"cuda_runtime": 13000}')
TESTS_OK = "....s.\n6000 passed, 12 skipped in 212.34s (0:03:32)\n"
SEED_OK = "model(v):  2.0699806\nbackend: cupy\nplan for cupy: 2 launches\n"
BENCH_OK = "results: /x/nvidia-h200-2026-12-01.json\n27 passed, 13 skipped in 95.00s\n"


def phase_of(cmd: list[str]) -> str:
    if cmd[1] == "-c":
        return "env"
    if cmd[1:3] == ["-m", "pytest"]:
        return "tests"
    if cmd[1:3] == ["-m", "gvmap"]:
        return "seed"
    assert cmd[1].endswith("run.py"), cmd
    return "bench"


class FakeRunner:
    """Stands in for gpu_check._run: canned results, and what the JSON said at each start."""

    def __init__(self, out: str, **results):
        self.out = out
        self.results = {"env": Result(0, DEVICE + "\n", False), "tests": Result(0, TESTS_OK, False),
                        "seed": Result(0, SEED_OK, False), "bench": Result(0, BENCH_OK, False),
                        **results}
        self.calls: dict[str, tuple] = {}
        self.json_at_start: dict[str, dict] = {}

    def __call__(self, cmd, env, timeout, log_path):
        name = phase_of(cmd)
        with open(os.path.join(self.out, "gpu_check.json")) as f:
            self.json_at_start[name] = json.load(f)
        self.calls[name] = (cmd, env, timeout)
        result = self.results[name]
        if isinstance(result, BaseException):
            raise result
        with open(log_path, "w") as f:
            f.write(result.output)
        return result


@pytest.fixture
def fake(tmp_path, monkeypatch):
    def install(**results):
        runner = FakeRunner(str(tmp_path), **results)
        monkeypatch.setattr(gpu_check, "_run", runner)
        monkeypatch.setattr(gpu_check, "_xdist_installed", lambda: True)
        monkeypatch.setattr(gpu_check.os, "cpu_count", lambda: 16)
        return runner
    return install


def report(tmp_path) -> dict:
    with open(tmp_path / "gpu_check.json") as f:
        return json.load(f)


def test_quick_runs_every_phase_and_passes(fake, tmp_path, capsys):
    fake()
    assert gpu_check.main(["--out", str(tmp_path), "--quick"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split(":")[0] for ln in lines] == ["env", "tests", "seed", "bench", "gpu_check"]
    assert lines[0].startswith("env: NVIDIA H200 (cc 9.0, 139.8 GiB), driver 13000")
    assert lines[1] == "tests: 6000 passed, 12 skipped in 0 s (12 workers)"
    assert lines[3] == "bench: 27 passed, 13 skipped in 0 s -> nvidia-h200-2026-12-01.json"
    assert lines[4].startswith("gpu_check: all 4 phases passed")
    r = report(tmp_path)
    assert r["status"] == "passed" and r["failed_phases"] == [] and r["budget_s"] == 330
    assert r["phases"]["tests"]["passed"] == 6000 and r["phases"]["tests"]["workers"] == 12


def test_quick_runs_the_suite_on_cupy_under_xdist_and_one_bench_size(fake, tmp_path):
    runner = fake()
    gpu_check.main(["--out", str(tmp_path), "--quick"])
    tests_cmd, tests_env, _ = runner.calls["tests"]
    assert tests_cmd[tests_cmd.index("-n") + 1] == "12"
    # the whole suite, file by file, the files reaching CuPy-only code first
    files = [a for a in tests_cmd if a.startswith("tests/")]
    every = sorted(n for n in os.listdir(os.path.join(REPO, "tests"))
                   if n.startswith("test_") and n.endswith(".py"))
    assert sorted(os.path.basename(f) for f in files) == every
    assert files[:2] == ["tests/test_cupy_launcher.py", "tests/test_backend_semantics.py"]
    assert files.index("tests/test_primitives.py") < files.index("tests/test_api.py")
    assert tests_env["GVMAP_BACKEND"] == "cupy"
    assert runner.calls["seed"][1]["GVMAP_BACKEND"] == "cupy"
    bench_cmd = runner.calls["bench"][0]
    assert bench_cmd[bench_cmd.index("--out") + 1] == str(tmp_path)
    assert bench_cmd[bench_cmd.index("--sizes") + 1] == "1e6"  # every model, every method, once
    assert "--models" not in bench_cmd and "--methods" not in bench_cmd  # JAX, PyTorch kept
    assert bench_cmd[bench_cmd.index("--") + 1:] == ["--benchmark-max-time=0.25"]


def test_json_is_written_before_and_after_each_phase(fake, tmp_path):
    runner = fake()
    gpu_check.main(["--out", str(tmp_path), "--quick"])
    done = []
    for name in gpu_check.PHASES:
        seen = runner.json_at_start[name]["phases"]
        assert list(seen) == done + [name] and seen[name]["status"] == "running"
        assert all(seen[p]["status"] == "passed" and "duration_s" in seen[p] for p in done)
        done.append(name)


def test_timed_out_tests_and_failed_bench_fail_the_check_and_keep_every_phase(fake, tmp_path,
                                                                             capsys):
    cut = ("..F.\nFAILED tests/test_x.py::test_a - assert 0\n"
           "!!!!!!! KeyboardInterrupt !!!!!!!\n= 1 failed, 500 passed in 190.00s =\n")
    fake(tests=Result(2, cut, True), bench=Result(1, "FAILED benches/bench_models.py::t\n"
                                                     "1 failed, 26 passed in 90.00s\n", False))
    assert gpu_check.main(["--out", str(tmp_path), "--quick"]) == 1
    out = capsys.readouterr().out
    assert "tests: TIMED OUT after 0 s (12 workers): 500 passed, 1 failed before the cut" in out
    assert "bench: FAILED (exit 1): 26 passed, 1 failed in 0 s (no results file)" in out
    assert "gpu_check: FAILED (tests, bench)" in out
    r = report(tmp_path)
    assert r["failed_phases"] == ["tests", "bench"] and r["phases"]["seed"]["status"] == "passed"
    tests = r["phases"]["tests"]
    assert tests["status"] == "timed out" and tests["timed_out"] and tests["exit_code"] == 2
    assert tests["failed_tests"] == ["tests/test_x.py::test_a"]  # no junit: from the output
    assert r["phases"]["bench"]["failed_benchmarks"] == ["benches/bench_models.py::t"]


def test_no_device_fails_the_env_phase(fake, tmp_path):
    fake(env=Result(0, '{"cupy": "14.0.0", "no_device": "CUDARuntimeError: no driver"}\n', False))
    assert gpu_check.main(["--out", str(tmp_path)]) == 1
    env = report(tmp_path)["phases"]["env"]
    assert env["status"] == "failed" and "no usable CUDA device" in env["summary"]


def test_a_run_cut_short_keeps_the_phases_before_the_cut(fake, tmp_path):
    fake(bench=gpu_check.Terminated())
    with pytest.raises(gpu_check.Terminated):
        gpu_check.main(["--out", str(tmp_path), "--quick"])
    r = report(tmp_path)
    assert [r["phases"][p]["status"] for p in gpu_check.PHASES] == [
        "passed", "passed", "passed", "interrupted"]
    assert r["status"] == "failed" and r["failed_phases"] == ["bench"]


def test_without_quick_no_budget_and_bench_only_when_asked(fake, tmp_path):
    runner = fake()
    assert gpu_check.main(["--out", str(tmp_path)]) == 0
    assert list(report(tmp_path)["phases"]) == ["env", "tests", "seed"]
    assert runner.calls["tests"][2] == gpu_check.CAP_S["tests"]
    gpu_check.main(["--out", str(tmp_path), "--bench", "--tests", "tests/test_api.py -k seed"])
    assert runner.calls["bench"][0][-2:] == ["--sizes", "4,1e4,1e6,1e7,1e8"]
    assert runner.calls["tests"][0][-3:] == ["tests/test_api.py", "-k", "seed"]


def test_budget_keeps_time_for_later_phases(tmp_path):
    check = gpu_check.Check(str(tmp_path), 330, [], list(gpu_check.PHASES))
    reserve = gpu_check.RESERVE_S["seed"] + gpu_check.RESERVE_S["bench"]
    assert abs(check.timeout_for("tests", 420) - (330 - reserve)) < 1
    assert abs(check.timeout_for("bench", 3600) - 330) < 1  # the last phase gets all that is left
    check.started -= 330 - reserve - 10  # a slow start leaves tests 10 s: they get the minimum
    assert abs(check.timeout_for("tests", 420) - gpu_check.MIN_PHASE_S) < 1
    check.started -= 1000
    assert check.timeout_for("seed", 120) == 0


def test_a_phase_with_no_time_left_is_skipped_and_fails_the_check(fake, tmp_path, capsys):
    runner = fake()
    assert gpu_check.main(["--out", str(tmp_path), "--quick", "--budget", "0.5"]) == 1
    assert runner.calls == {}
    assert "tests: SKIPPED: the 0 s budget was spent" in capsys.readouterr().out
    assert report(tmp_path)["phases"]["bench"]["status"] == "skipped"


@pytest.mark.parametrize("line, counts", [
    ("==== 3 failed, 6000 passed, 2 skipped, 1 error in 212.34s (0:03:32) ====",
     {"failed": 3, "passed": 6000, "skipped": 2, "errors": 1}),
    ("12 passed, 1 xfailed in 0.50s", {"passed": 12, "xfailed": 1}),
    ("collected 40 items / 3 deselected", {}),  # not a summary: no duration
])
def test_pytest_counts_reads_the_summary_line(line, counts):
    assert gpu_check.pytest_counts("....\n" + line + "\n")[0] == counts


def test_run_interrupts_at_the_timeout_and_keeps_the_output(tmp_path):
    # A timeout of 8 s leaves the child 2 s (timeout / 4) between the interrupt and the
    # kill to print its KeyboardInterrupt: 0.5 s (a 2 s timeout) was too little on a
    # loaded machine, where the child was killed before it printed.
    log = str(tmp_path / "x.log")
    t0 = time.monotonic()
    res = gpu_check._run([sys.executable, "-c", "print('so far', flush=True); "
                          "import time; time.sleep(60)"], dict(os.environ), 8, log)
    assert time.monotonic() - t0 < 20
    assert res.timed_out and "so far" in res.output and "KeyboardInterrupt" in res.output


def test_run_interrupts_a_child_started_with_sigint_ignored(tmp_path):
    """Started from a background shell job (``cmd &`` without job control) a process
    inherits SIGINT ignored; the phase's child gets it back at its default, so the
    interrupt still stops it with its output (CI started that way failed the test above:
    rc -9, no KeyboardInterrupt)."""
    import signal
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        test_run_interrupts_at_the_timeout_and_keeps_the_output(tmp_path)
    finally:
        signal.signal(signal.SIGINT, previous)


def test_run_kills_what_ignores_the_interrupt(tmp_path):
    res = gpu_check._run([sys.executable, "-c", "import signal, time; "
                          "signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(30)"],
                         dict(os.environ), 2, str(tmp_path / "x.log"))
    assert res.timed_out and res.rc == -9


def test_end_to_end_on_a_two_test_file(tmp_path):
    suite = tmp_path / "test_two.py"
    suite.write_text("def test_ok():\n    pass\n\ndef test_bad():\n    assert 1 == 2\n")
    out = tmp_path / "out"
    gpu_check.main(["--out", str(out), "--tests", str(suite), "--workers", "1"])
    r = report(out)
    tests = r["phases"]["tests"]
    assert (tests["passed"], tests["failed"], tests["exit_code"]) == (1, 1, 1)
    # junit's class name is the file's path from pytest's rootdir: the checkout's location
    (failed,) = tests["failed_tests"]
    assert failed.endswith("test_two::test_bad") and tests["junit"] == "junit.xml", failed
    env = r["phases"]["env"]
    assert (env["status"] == "passed") == ("no_device" not in env)
    assert os.path.exists(out / "tests.log") and "tests" in r["failed_phases"]
