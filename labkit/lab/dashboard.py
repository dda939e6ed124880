"""``labkit dashboard [AREA]``: an area's what-if notebook served by Voilà on localhost.

Voilà runs the notebook in a kernel and shows only its outputs and widgets, so a reader
drags sliders and the charts redraw without re-running the notebook. Without an area,
every notebook is listed. The server stops cleanly on Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from labkit.lab import notebooks
from labkit.lab.charts import PNG_ENV
from labkit.lab.claims import AREAS
from labkit.lab.errors import InputError


def whatif_notebook(area: str) -> Path:
    """The area's what-if notebook: its name holds ``whatif`` (metadata area or prefix)."""
    if area not in AREAS:
        raise InputError(f"unknown area {area!r}: choose one of {', '.join(AREAS)}")
    for path in notebooks.list_notebooks():
        nb = notebooks.read(path)
        nb_area = nb.get("metadata", {}).get("labkit", {}).get("area")
        if "whatif" in path.stem and (nb_area == area or f"_{area}_" in path.stem):
            return path
    raise InputError(f"area {area!r} has no what-if notebook (notebooks/NN_{area}_whatif*.ipynb)")


def free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_port(port: int) -> int:
    if port == 0:
        return free_port()
    if not 1 <= port <= 65535:
        raise InputError(f"--port must be between 1 and 65535, got {port}")
    with contextlib.closing(socket.socket()) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            raise InputError(f"port {port} is already in use; pick another with --port") from None
    return port


class Dashboard:
    """A Voilà server for one notebook (or the notebook folder) on 127.0.0.1."""

    def __init__(self, target: Path, port: int = 0):
        self.target = Path(target).resolve()
        self.port = check_port(port)
        self.url = f"http://127.0.0.1:{self.port}/"
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return [sys.executable, "-m", "voila", str(self.target), f"--port={self.port}",
                "--no-browser", "--Voila.ip=127.0.0.1", "--show_tracebacks=False",
                "--VoilaConfiguration.file_allowlist=['.*\\.(png|jpg|gif|svg|html|json)']"]

    def start(self, timeout_s: float = 90) -> "Dashboard":
        cwd = self.target if self.target.is_dir() else self.target.parent
        env = {**os.environ, PNG_ENV: "0"}
        self.process = subprocess.Popen(self.command(), cwd=cwd, env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace").strip().splitlines()
                raise InputError(f"the dashboard server exited: {err[-1] if err else 'no message'}")
            try:  # a TCP connect: a page request would start a kernel for nothing
                socket.create_connection(("127.0.0.1", self.port), timeout=2).close()
                return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise InputError(f"the dashboard server did not answer on {self.url} within {timeout_s:.0f} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def serve(area: str | None, port: int = 8866) -> None:
    """Start the dashboard, print its URL, block until Ctrl-C, then stop the server."""
    target = whatif_notebook(area) if area else notebooks.notebook_dir()
    with Dashboard(target, port) as board:
        print(f"labkit: dashboard {area or 'notebooks'} at {board.url} (Ctrl-C to stop)",
              flush=True)
        try:
            while board.process.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            print("labkit: stopping the dashboard", flush=True)
