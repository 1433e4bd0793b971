"""Stopping the helper processes a test started (a Dask scheduler, its workers)."""

import subprocess


def stop(*procs: subprocess.Popen) -> None:
    """Terminate every process, wait up to 20 s each, kill those still running."""
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
