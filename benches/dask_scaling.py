#!/usr/bin/env python
"""gvmap.vmap over Dask arrays: throughput on 1 and 2 local worker processes against the
same batch in one process, the per-task overhead per chunk, and a batch far larger than
memory generated and reduced chunk by chunk.

    python benches/dask_scaling.py              # -> benches/results/dask-<device>-<date>.json
    python benches/dask_scaling.py --smoke      # tiny sizes, 2 rounds, JSON to a temp dir
    python benches/dask_scaling.py --models seed --n 1e6 --big 0

Throughput (per model, default seed and mlp at n = 1e7 float32 examples in chunks of 5e5):
the input is drawn with ``da.random`` once; "one process" times ``vmap(f)(x).sum()`` on it
as one NumPy array (one call, the whole batch); "k workers" times
``vmap(f)(xd).sum().compute()`` on a ``LocalCluster`` of k processes of one thread each,
the chunks already in the workers' memory (``persist``). Every method is warmed up first
(each worker traces and compiles) and must give the same sum. Scaling efficiency on 2
workers = t(1 worker) / (2 t(2 workers)).

Per-task overhead: the same tiny-chunk batch (16 examples a chunk) at two chunk counts, on
Dask's threads and on the 2-worker cluster, for gvmap and for the hand-batched NumPy
function as a plain ``map_blocks``; the slope of time against chunk count is the cost of
one more chunk (Dask's scheduling, plus gvmap's share in the gvmap rows).

Bounded memory (``--big``, default 1e8 examples of the seed model, 2 GB of float32
inputs in chunks of 1e6): a fresh process draws and reduces them with Dask's threads and
reports its peak resident memory; Dask's own ``ProgressBar`` shows progress on stderr.

The methods' runs interleave (all clusters are up at once), so a burst of other work on a
shared machine hits them alike. Each run records ``other_processes_cores``: CPU seconds
per second that processes other than this one and its workers used meanwhile (None for
runs under 0.1 s); runs where that stays under 0.25 give ``quiet_median_s``. Nothing in
the environment is changed, BLAS threads included; it is recorded. Note that
``distributed`` starts its workers with OMP/MKL/OPENBLAS_NUM_THREADS=1, so set those to 1
for a one-process baseline on one core.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path[:0] = [HERE, REPO]
import benchenv  # noqa: E402
import numpy as np  # noqa: E402

SMOKE = dict(n=2 * 10**4, chunk=5 * 10**3, repeats=2, overhead_chunks=(8, 32), big=2 * 10**5,
             big_chunk=2 * 10**4)


class OtherProcesses:
    """CPU seconds per wall second used, during a ``with`` block, by processes other than
    this one and its children (the Dask workers): how disturbed a timing is."""

    def __enter__(self) -> "OtherProcesses":
        self._busy0, self._ours0 = _busy(), _ours()
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc) -> bool:
        wall = time.perf_counter() - self._t0
        ours1 = _ours()
        mine = sum(t - self._ours0.get(pid, 0.0) for pid, t in ours1.items())
        other = max(0.0, (_busy() - self._busy0) - mine)
        # /proc/stat counts in clock ticks (10 ms): too coarse to say anything of short runs
        self.cores = other / wall if wall >= 0.1 else None
        return False


def _busy() -> float:
    import psutil

    t = psutil.cpu_times()
    return sum(getattr(t, k, 0.0) for k in ("user", "nice", "system", "irq", "softirq", "steal"))


def _ours() -> dict:
    import psutil

    me = psutil.Process()
    out = {}
    for p in [me, *me.children(recursive=True)]:
        try:
            t = p.cpu_times()
            out[p.pid] = t.user + t.system
        except psutil.Error:
            pass
    return out


QUIET = 0.25  # other processes' cores below which a run counts as undisturbed


def timed(fns: dict, repeats: int) -> dict:
    """Each function ``repeats`` times, interleaved (one run of each in turn, so a burst of
    other work on the machine hits them alike), with the other processes' load per run."""
    runs = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            with OtherProcesses() as other:
                t0 = time.perf_counter()
                value = fn()
                wall = time.perf_counter() - t0
            runs[name].append((wall, other.cores, float(value)))
    out = {}
    for name, rs in runs.items():
        times = [t for t, _, _ in rs]
        quiet = [t for t, busy, _ in rs if busy is not None and busy < QUIET]
        out[name] = {"median_s": statistics.median(times), "min_s": min(times),
                     "quiet_median_s": statistics.median(quiet) if quiet else None,
                     "quiet_runs": len(quiet), "times_s": times,
                     "other_processes_cores": [None if b is None else round(b, 2)
                                               for _, b, _ in rs],
                     "value": rs[-1][2]}
    return out


def cluster(workers: int):
    from distributed import LocalCluster

    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                        dashboard_address=":0", worker_dashboard_address=":0", memory_limit=0)


def throughput(model, n: int, chunk: int, worker_counts: list, repeats: int,
               with_hand: bool) -> dict:
    import contextlib

    import dask.array as da
    from distributed import Client, wait

    import gvmap

    shape = model.in_shape
    xd = da.random.default_rng(model.seed).standard_normal((n, *shape), chunks=(chunk, *shape),
                                                           dtype=np.float32)
    g = gvmap.vmap(model.numpy_example)
    hand = model.hand("numpy")
    host = xd.compute(scheduler="threads")
    g(host)
    fns = {"one process": lambda: g(host).sum()}
    if with_hand:
        fns["hand, one process"] = lambda: hand(host).sum()
    with contextlib.ExitStack() as stack:
        for k in worker_counts:  # every cluster up at once, so that runs can interleave
            client = stack.enter_context(Client(stack.enter_context(cluster(k)),
                                                set_as_default=False))
            xp = client.persist(xd)
            with client.as_current():
                wait(xp)
            total = g(xp).sum()
            total.compute(scheduler=client)  # every worker traces and compiles
            fns[f"{k} workers"] = lambda total=total, client=client: total.compute(
                scheduler=client)
            if with_hand:  # the same Dask graph with the hand-batched NumPy function
                tail = hand(host[:1]).shape[1:]
                drop = list(range(1 + len(tail), xp.ndim))
                plain = xp.map_blocks(hand, chunks=(xp.chunks[0], *((d,) for d in tail)),
                                      drop_axis=drop, dtype=np.float32).sum()
                plain.compute(scheduler=client)
                fns[f"hand, {k} workers"] = lambda plain=plain, client=client: plain.compute(
                    scheduler=client)
        results = timed(fns, repeats)
    expected = results["one process"]["value"]
    for name, r in results.items():
        if not np.isclose(r["value"], expected, rtol=1e-3):
            raise AssertionError(f"{model.name}: {name} summed {r['value']}, one process "
                                 f"{expected}")
        r["throughput_per_s"] = n / r["median_s"]
        r["speedup_over_one_process"] = results["one process"]["median_s"] / r["median_s"]
    row = {"model": model.name, "description": model.description, "n": n, "chunk": chunk,
           "chunks": len(xd.chunks[0]), "methods": results}
    for prefix in ("", "hand, "):
        one, two = results.get(f"{prefix}1 workers"), results.get(f"{prefix}2 workers")
        for stat in ("median_s", "min_s", "quiet_median_s"):
            if one and two and one[stat] and two[stat]:
                key = f"{prefix.replace(', ', '_')}scaling_efficiency_2_workers_{stat[:-2]}"
                row[key] = one[stat] / (2 * two[stat])
    return row


def overhead(counts: tuple, repeats: int, per_chunk: int = 16) -> dict:
    """Seconds per extra chunk: the slope of the fastest run's time between two chunk
    counts of ``per_chunk`` examples (the fastest: the least disturbed by other work)."""
    import dask.array as da
    from distributed import Client, wait

    import gvmap
    from models import MODELS

    seed = MODELS["seed"]
    g = gvmap.vmap(seed.numpy_example)
    hand = seed.hand("numpy")
    block = seed.host_input(per_chunk)
    g(block)
    calls = {"gvmap_call_s": timed_call(lambda: g(block)),
             "hand_call_s": timed_call(lambda: hand(block))}

    def inputs(k):
        return da.random.default_rng(0).standard_normal((k * per_chunk, 5), chunks=(per_chunk, 5),
                                                        dtype=np.float32)

    def slopes(scheduler, prepare):
        times = {}
        for k in counts:
            x = prepare(inputs(k))
            totals = {"gvmap": g(x).sum(),
                      "hand": x.map_blocks(hand, drop_axis=1, dtype=np.float32).sum()}
            for total in totals.values():
                total.compute(scheduler=scheduler)
            times[k] = timed({name: lambda t=t: t.compute(scheduler=scheduler)
                              for name, t in totals.items()}, repeats)
        k0, k1 = counts
        return {name: {"per_chunk_s": (times[k1][name]["min_s"] - times[k0][name]["min_s"])
                       / (k1 - k0),
                       "times": {str(k): times[k][name] for k in counts}}
                for name in ("gvmap", "hand")}

    result = {"examples_per_chunk": per_chunk, "chunk_counts": list(counts), **calls,
              "threads": slopes("threads", lambda x: x.persist(scheduler="threads"))}
    with cluster(2) as c, Client(c) as client:
        def on_workers(x):
            x = client.persist(x)
            wait(x)
            return x

        result["2 workers"] = slopes(client, on_workers)
    return result


def timed_call(fn, calls: int = 2000) -> float:
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - t0) / calls)
    return best


def big(n: int, chunk: int) -> dict:
    """The bounded-memory run, in a fresh process (its peak RSS is then this run's)."""
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--big-child", str(n),
                          str(chunk)], stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(out.stdout)


def _memory_status(field: str) -> int:
    """VmRSS / VmHWM of this process in bytes. VmHWM (the peak) belongs to this process's
    own address space; ``getrusage``'s maxrss would also count the parent it was forked
    from (Linux carries it across exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def big_child(n: int, chunk: int) -> None:
    import dask.array as da
    from dask.diagnostics import ProgressBar

    import gvmap
    from models import MODELS

    seed = MODELS["seed"]
    x = da.random.default_rng(1).standard_normal((n, 5), chunks=(chunk, 5), dtype=np.float32)
    total = gvmap.vmap(seed.numpy_example)(x).sum()
    rss_before = _memory_status("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:  # the peak from here on: VmHWM = VmRSS
        f.write("5")
    with ProgressBar(out=sys.stderr, dt=1.0):
        t0 = time.perf_counter()
        value = float(total.compute(scheduler="threads"))
        wall = time.perf_counter() - t0
    peak = _memory_status("VmHWM")
    hand = x.map_blocks(seed.hand("numpy"), drop_axis=1, dtype=np.float32).sum(dtype=np.float64)
    expected = float(hand.compute(scheduler="threads"))
    print(json.dumps({
        "n": n, "chunk": chunk, "chunks": len(x.chunks[0]), "input_bytes": n * 5 * 4,
        "chunk_input_bytes": chunk * 5 * 4, "wall_s": wall, "throughput_per_s": n / wall,
        "rss_before_compute_bytes": rss_before, "peak_rss_bytes": peak,
        "peak_minus_before_in_chunks": (peak - rss_before) / (chunk * 5 * 4),
        "value": value, "hand_batched_value": expected,
        "agrees": bool(np.isclose(value, expected, rtol=1e-3))}))


def table(rows: list, over: dict | None, bigrun: dict | None) -> str:
    lines = ["| model | n | chunks | one process | 1 worker | 2 workers | scaling efficiency, "
             "2 workers | other processes (cores) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        m = r["methods"]

        def cell(name):
            if name not in m:
                return "-"
            t = m[name]
            return (f"{t['median_s']:.3g} s ({t['throughput_per_s'] / 1e6:.3g} M/s; "
                    f"min {t['min_s']:.3g} s)")

        busy = [b for t in m.values() for b in t["other_processes_cores"] if b is not None]
        load = f"{min(busy):.2f} to {max(busy):.2f}" if busy else "runs too short"
        for prefix, label in (("", "gvmap.vmap"), ("hand, ", "hand-batched NumPy")):
            if f"{prefix}one process" not in m:
                continue
            key = f"{prefix.replace(', ', '_')}scaling_efficiency_2_workers_"
            eff = [f"{r[key + stat]:.0%} ({what})" for stat, what in
                   (("median", "medians"), ("min", "mins"), ("quiet_median", "quiet runs"))
                   if key + stat in r]
            lines.append(f"| {r['model']}, {label} | {benchenv.fmt_size(r['n'])} | {r['chunks']} "
                         f"| {cell(prefix + 'one process')} | {cell(prefix + '1 workers')} "
                         f"| {cell(prefix + '2 workers')} | {', '.join(eff) or '-'} | {load} |")
    if over:
        lines += ["", f"Per-task overhead ({over['examples_per_chunk']} examples a chunk; "
                      f"slope of the fastest run between {over['chunk_counts'][0]} and "
                      f"{over['chunk_counts'][1]} chunks):", "",
                  "| scheduler | gvmap, per chunk | hand-batched map_blocks, per chunk |",
                  "| --- | --- | --- |"]
        for sched in ("threads", "2 workers"):
            s = over[sched]
            lines.append(f"| {sched} | {s['gvmap']['per_chunk_s'] * 1e6:.0f} us "
                         f"| {s['hand']['per_chunk_s'] * 1e6:.0f} us |")
        lines.append(f"\nOne call on a {over['examples_per_chunk']}-example block in-process: "
                     f"gvmap {over['gvmap_call_s'] * 1e6:.0f} us, hand-batched NumPy "
                     f"{over['hand_call_s'] * 1e6:.0f} us.")
    if bigrun:
        lines.append(
            f"\nBounded memory: {benchenv.fmt_size(bigrun['n'])} seed examples "
            f"({bigrun['input_bytes'] / 1e9:.3g} GB of float32 inputs) in {bigrun['chunks']} "
            f"chunks of {bigrun['chunk_input_bytes'] / 1e6:.3g} MB, drawn and summed by Dask's "
            f"threads in {bigrun['wall_s']:.1f} s: peak RSS "
            f"{bigrun['peak_rss_bytes'] / 1e6:.0f} MB "
            f"({bigrun['rss_before_compute_bytes'] / 1e6:.0f} MB before computing; the difference "
            f"is {bigrun['peak_minus_before_in_chunks']:.1f} chunks of input); "
            f"sum agrees with hand-batched NumPy: {bigrun['agrees']}.")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default="seed,mlp", help="comma list of benches/models.py names")
    p.add_argument("--n", default="1e7", help="batch size of the throughput runs")
    p.add_argument("--chunk", default="5e5", help="examples per chunk of the throughput runs")
    p.add_argument("--workers", default="1,2", help="cluster sizes (worker processes)")
    p.add_argument("--repeats", type=int, default=5, help="timed runs per measurement (median)")
    p.add_argument("--no-hand", action="store_true",
                   help="skip the hand-batched NumPy reference runs (one process and workers)")
    p.add_argument("--overhead-chunks", default="64,512",
                   help="the two chunk counts of the overhead slope ('' skips it)")
    p.add_argument("--big", default="1e8", help="examples of the bounded-memory run (0 skips)")
    p.add_argument("--big-chunk", default="1e6")
    p.add_argument("--smoke", action="store_true", help="tiny sizes, 2 rounds, temp dir")
    p.add_argument("--out", metavar="DIR", help="folder of the JSON (default benches/results)")
    p.add_argument("--name", help="file name stem (default dask-<device>-<date>[-smoke])")
    p.add_argument("--big-child", nargs=2, metavar=("N", "CHUNK"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.big_child:
        big_child(*map(benchenv.parse_size, args.big_child))
        return 0

    from models import MODELS

    size = benchenv.parse_size
    settings = {"models": benchenv.parse_list(args.models), "n": size(args.n),
                "chunk": size(args.chunk), "workers": [int(k) for k in args.workers.split(",")],
                "repeats": args.repeats,
                "overhead_chunks": tuple(int(k) for k in benchenv.parse_list(args.overhead_chunks)
                                         or ()),
                "big": int(float(args.big)), "big_chunk": size(args.big_chunk),
                "hand": not args.no_hand}
    if args.smoke:
        settings.update(SMOKE)
    out_dir = args.out or (tempfile.mkdtemp(prefix="gvmap-dask-smoke-") if args.smoke
                           else os.path.join(HERE, "results"))
    os.makedirs(out_dir, exist_ok=True)
    stem = args.name or "dask-{}-{}{}".format(benchenv.device_slug(), datetime.date.today(),
                                              "-smoke" if args.smoke else "")
    path = os.path.join(out_dir, stem + ".json")
    k = 2
    while os.path.exists(path):  # never overwrite a measured run
        path = os.path.join(out_dir, f"{stem}-{k}.json")
        k += 1

    rows = []
    for name in settings["models"]:
        print(f"throughput: {name} n={benchenv.fmt_size(settings['n'])}", flush=True)
        rows.append(throughput(MODELS[name], settings["n"], settings["chunk"],
                               settings["workers"], settings["repeats"], settings["hand"]))
    over = None
    if settings["overhead_chunks"]:
        print("per-task overhead", flush=True)
        over = overhead(settings["overhead_chunks"], settings["repeats"])
    bigrun = None
    if settings["big"]:
        print(f"bounded memory: n={benchenv.fmt_size(settings['big'])}", flush=True)
        bigrun = big(settings["big"], settings["big_chunk"])

    meta = benchenv.metadata({k: list(v) if isinstance(v, tuple) else v
                              for k, v in settings.items()})
    for dist in ("dask", "distributed", "cloudpickle", "psutil"):
        meta["versions"][dist] = benchenv._dist_version(dist)
    text = table(rows, over, bigrun)
    with open(path, "w") as f:
        json.dump({"gvmap_dask_bench": meta, "throughput": rows, "overhead": over,
                   "bounded_memory": bigrun, "table": text}, f, indent=1)
    print(f"\n{text}\n\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
