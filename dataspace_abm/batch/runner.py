"""Run a batch: plan the runs of a spec, execute them locally or on Dask, keep every part.

Local by default: a process pool over the machine's cores (one worker runs in this
process). With a scheduler address the same runs go to an existing Dask cluster. Each
finished run is written at once as its own part (see ``run_store``), keyed by a hash of
its resolved parameters, seed and run settings; a run that raises is recorded with its
error and the batch goes on; ``resume`` skips finished parts. A Dask cluster left without
any worker warns, then stops the batch (:class:`NoWorkersError`) with its parts kept.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from ..regimes import effective_parameters
from .designs import Point
from .spec import MODELS, ExperimentSpec, Stop, model_factory
from .store import RunOutcome, RunStore

RETRIES = 2  # a run whose worker dies is tried this many more times
WORKER_WARNING = 30.0  # seconds without a Dask worker before a warning
WORKER_DEADLINE = 600.0  # seconds without a Dask worker before the batch gives up
SCHEDULER_ANSWER = 5.0  # seconds for the scheduler to say how many workers it has


class RunnerError(RuntimeError):
    """The batch cannot start (e.g. the scheduler cannot be reached)."""


class NoWorkersError(RunnerError):
    """The Dask cluster had no worker for ``seconds``; the finished runs are kept."""

    def __init__(self, seconds: float, kept: int = 0, total: int = 0) -> None:
        self.seconds, self.kept, self.total = seconds, kept, total
        super().__init__(
            f"no Dask worker for {seconds:g} s; {kept} of {total} runs are kept, resume continues"
        )


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run; picklable, independent of the spec file."""

    key: str
    model: str  # the model class, as experiment.model names it
    params: Mapping[str, Any]
    seed: int
    steps: int
    stop: Stop | None
    measures: tuple[str, ...]
    final_only: bool


@dataclass(frozen=True)
class PlannedRun:
    """One run of the batch: a point, a replication and its seed, with its task."""

    point: Point
    replication: int
    task: RunTask
    resolved: Mapping[str, Any]


@dataclass
class BatchResult:
    """Counts of a finished batch."""

    total: int
    skipped: int
    ran: int
    failed: int
    seconds: float


def run_key(task_fields: Mapping[str, Any]) -> str:
    """A stable hash of a run's resolved parameters, seed and run settings."""
    text = json.dumps(task_fields, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def plan(spec: ExperimentSpec) -> list[PlannedRun]:
    """Every run of the batch, in order: points, then replications (seed shared by all)."""
    runs = []
    for point in spec.points:
        resolved = point.resolve(spec.fixed, spec.keep_every)
        # a parameter the run's regime never reads does not make a new run: it is run once
        keyed = effective_parameters(resolved) if spec.model in MODELS else resolved
        for replication, seed in enumerate(spec.seeds):
            fields = {
                "scenario": spec.model,  # the old name of the key keeps run keys stable
                "params": keyed,
                "seed": seed,
                "steps": spec.steps,
                "stop": asdict(spec.stop) if spec.stop else None,
                "measures": list(spec.measures),
                "final_only": spec.final_only,
            }
            task = RunTask(
                key=run_key(fields),
                model=spec.model,
                params=point.overrides(spec.fixed, spec.keep_every),
                seed=seed,
                steps=spec.steps,
                stop=spec.stop,
                measures=spec.measures,
                final_only=spec.final_only,
            )
            runs.append(PlannedRun(point, replication, task, resolved))
    return runs


def simulate(model: Any, task: RunTask) -> pd.DataFrame:
    """Step a model, stopping early if the stop condition holds; return the kept steps."""
    stop, every = task.stop, int(task.params["collect_every"])
    streak: int | None = None
    for step in range(1, task.steps + 1):
        model.step()
        if stop is None or step % every:
            continue
        value = model.metrics[stop.measure]
        holds = value < stop.value if stop.below else value > stop.value
        streak = (step if streak is None else streak) if holds else None
        if holds and step >= stop.after and step - streak >= stop.hold:
            break
    table = model.table[["step", *task.measures]]
    return (table.tail(1) if task.final_only else table).reset_index(drop=True)


def execute_run(task: RunTask) -> RunOutcome:
    """Run one task; an exception becomes a failure record, never a crash of the batch."""
    started = time.perf_counter()
    try:
        model = model_factory(task.model)(rng=task.seed, **task.params)
        table = simulate(model, task)
    except Exception as exc:  # recorded with its traceback; the batch goes on
        error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        return RunOutcome(task.key, error=error, traceback=traceback.format_exc())
    return RunOutcome(task.key, table=table, seconds=time.perf_counter() - started)


def _died(task: RunTask, why: str) -> RunOutcome:
    return RunOutcome(task.key, error=f"worker died: {why}".splitlines()[0], traceback=why)


def _in_process(tasks: Sequence[RunTask]) -> Iterator[RunOutcome]:
    for task in tasks:
        yield execute_run(task)


def _start_worker(parent: int, threads: int) -> None:
    """Pool initializer: a worker whose batch process died (kill -9 included) exits too,
    and its compiled kernels use ``threads`` threads: the workers share the cores (two
    workers of two threads on two cores wait for each other at every parallel region: a
    10^5-cell run in blocks beside another busy process took 124 ms a step against 12 ms
    on one thread, measured)."""
    import numba

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _process_pool(tasks: Sequence[RunTask], workers: int) -> Iterator[RunOutcome]:
    """A pool of spawned processes; if one dies, the pool is rebuilt and its runs retried."""
    pending, attempts = list(tasks), dict.fromkeys((t.key for t in tasks), 0)
    context = multiprocessing.get_context("spawn")
    while pending:
        threads = max(1, (os.cpu_count() or 1) // workers)
        pool = ProcessPoolExecutor(
            workers, context, initializer=_start_worker, initargs=(os.getpid(), threads)
        )
        try:
            futures = {pool.submit(execute_run, task): task for task in pending}
            pending = []
            for future in as_completed(futures):
                task = futures[future]
                try:
                    yield future.result()
                except BrokenProcessPool as exc:
                    attempts[task.key] += 1
                    if attempts[task.key] > RETRIES:
                        yield _died(task, str(exc))
                    else:
                        pending.append(task)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


def connect(address: str, timeout: float = 10.0) -> Any:
    """A Dask client on ``address`` with at least one worker, or a one-line RunnerError."""
    from distributed import Client
    from distributed.comm import resolve_address

    try:  # a malformed address, refused before a Client exists (a half-built one warns)
        resolve_address(address)
    except ValueError as exc:
        raise RunnerError(
            f"--scheduler {address}: not an address ({exc}); allowed e.g. tcp://host:8786"
        ) from None
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise RunnerError(f"--scheduler {address}: cannot connect: {exc}") from None
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        client.close()
        raise RunnerError(f"--scheduler {address}: no worker joined ({exc})") from None
    return client


def _running_workers(client: Any) -> int:
    """Workers the scheduler counts as running (closing or retiring ones are gone); a
    scheduler that is unreachable or does not answer in time counts as none."""
    if client.status != "running":
        return 0
    try:
        running = client.sync(client.scheduler.ncores_running, callback_timeout=SCHEDULER_ANSWER)
        return len(running)
    except (OSError, TimeoutError):
        return 0


class _WorkerWatch:
    """Notices a cluster without workers: warns after ``warning`` s, gives up after
    ``deadline`` s (both counted from the moment the last worker was seen)."""

    def __init__(
        self, client: Any, warning: float, deadline: float, warn: Callable[[str], None]
    ) -> None:
        self.client, self.warning, self.deadline, self.warn = client, warning, deadline, warn
        self.every = min(1.0, max(0.05, min(warning, deadline) / 10))  # scheduler queries
        self.checked = time.monotonic()
        self.gone: float | None = None  # when no worker was first seen
        self.warned = False

    def check(self) -> None:
        now = time.monotonic()
        if now - self.checked < self.every:
            return
        self.checked = now
        if _running_workers(self.client):
            self.gone, self.warned = None, False
            return
        self.gone = now if self.gone is None else self.gone
        if now - self.gone >= self.deadline:
            raise NoWorkersError(self.deadline)
        if now - self.gone >= self.warning and not self.warned:
            self.warned = True
            self.warn(
                f"no Dask worker for {self.warning:g} s; waiting up to {self.deadline:g} s "
                "for one to join (finished runs are kept)"
            )


def _dask(
    tasks: Sequence[RunTask],
    client: Any,
    warning: float = WORKER_WARNING,
    deadline: float = WORKER_DEADLINE,
    warn: Callable[[str], None] | None = None,
) -> Iterator[RunOutcome]:
    """Submit every run to the cluster; a dead worker costs its runs a retry.

    While no worker is left the runs wait on the scheduler; after ``warning`` seconds
    ``warn`` is called once, after ``deadline`` seconds :class:`NoWorkersError` is raised.
    """
    from distributed import as_completed as dask_completed

    watch = _WorkerWatch(client, warning, deadline, warn or _warn)
    futures = {client.submit(execute_run, t, key=f"run-{t.key}", retries=RETRIES): t for t in tasks}
    try:
        pending = dask_completed(list(futures), loop=client.loop)
        while not pending.is_empty():
            ready = pending.next_batch(block=False)
            if not ready:
                watch.check()
                time.sleep(0.02)
                continue
            for future in ready:
                yield _fetch(future, futures[future], watch)
                future.release()
    finally:
        client.cancel(list(futures))


def _fetch(future: Any, task: RunTask, watch: _WorkerWatch) -> RunOutcome:
    """A finished run's outcome. Its result lives on the worker that ran it: if that worker
    left before the result was fetched, the run is computed again, so wait for it as for
    any run, with the same warning and deadline."""
    while True:
        try:
            return future.result(timeout=0.5)
        except TimeoutError:
            watch.check()
        except Exception as exc:  # e.g. KilledWorker after repeated worker deaths
            return _died(task, f"{type(exc).__name__}: {exc}")


def _warn(message: str) -> None:
    tqdm.write(f"warning: {message}", file=sys.stderr)


def run_batch(
    spec: ExperimentSpec,
    out: Path,
    *,
    workers: int | None = None,
    client: Any = None,
    resume: bool = False,
    progress: bool = True,
    worker_warning: float = WORKER_WARNING,
    worker_deadline: float = WORKER_DEADLINE,
    warn: Callable[[str], None] | None = None,
) -> BatchResult:
    """Run every planned run that has no part yet and write each part as it finishes.

    Args:
        spec: the validated experiment.
        out: the output folder (parts in ``out/parts``).
        workers: local processes (default: the machine's cores); 1 runs in this process.
        client: a ``distributed.Client``; when given, the runs go to its cluster.
        resume: keep the parts already in ``out`` and run only the missing runs.
        progress: show a progress bar (runs done, failures, time left).
        worker_warning: on Dask, seconds without any worker before ``warn`` is called.
        worker_deadline: on Dask, seconds without any worker before the batch stops with
            :class:`NoWorkersError` (its finished runs are kept; ``resume`` continues).
        warn: where the warning goes (default: a line on stderr above the progress bar).
    """
    started = time.perf_counter()
    store = RunStore(out)
    store.prepare(resume)
    unique = {run.task.key: run.task for run in plan(spec)}
    done = store.done()
    todo = [task for key, task in unique.items() if key not in done]
    if client is not None:
        results = _dask(todo, client, worker_warning, worker_deadline, warn)
    elif (workers or os.cpu_count() or 1) == 1 or len(todo) <= 1:
        results = _in_process(todo)
    else:
        results = _process_pool(todo, min(workers or os.cpu_count() or 1, len(todo)))
    failed = 0
    bar = tqdm(total=len(unique), initial=len(unique) - len(todo), unit="run", disable=not progress)
    try:
        with bar:
            bar.set_postfix(failed=0)
            for outcome in results:
                store.write(outcome)
                failed += outcome.error is not None
                bar.set_postfix(failed=failed)
                bar.update(1)
    except NoWorkersError as exc:
        kept = len(store.done() & unique.keys())
        raise NoWorkersError(exc.seconds, kept, len(unique)) from None
    elapsed = time.perf_counter() - started
    return BatchResult(len(unique), len(unique) - len(todo), len(todo), failed, elapsed)
