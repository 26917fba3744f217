"""The MPI world, found lazily, and waits that never hang.

mpi4py is imported on first use and only under an MPI launcher. Every
collective is non-blocking and waited for by polling; while polling, a rank
reads the "leaving" notes that ranks send from ``atexit``. A note from a rank
that has not joined the current collective, or the timeout, aborts the job
with a message naming the ranks.
"""
import atexit
import os
import sys
import time

import numpy as np

_LAUNCHER_VARS = ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK",
                  "MPI_LOCALNRANKS")
_LEAVE_TAG = 30517          # tag of the "leaving" notes on COMM_WORLD
_LOCAL_RANK_VARS = ("MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK", "PMIX_LOCAL_RANK")
_RANK_VARS = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK")
DEFAULT_TIMEOUT = 60.0
_timeout = DEFAULT_TIMEOUT     # set_timeout before the world connects applies to start-up too

# A separate process watches MPI start-up: MPI_Init blocks (holding the GIL) until
# every rank starts MPI, so a rank that raised before its first mtf.distribute call
# would leave the others waiting forever. Closing the pipe (or dying) stops it.
_WATCHDOG = """
import os, select, signal, sys
pid, seconds, rank = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
if not select.select([sys.stdin], [], [], seconds)[0]:
    print(f"mtf.distribute: rank {rank} waited {seconds:g} s for the other ranks to start MPI "
          f"and gave up: a rank probably raised or exited before its first mtf.distribute "
          f"call (its error is above).", file=sys.stderr, flush=True)
    os.kill(pid, signal.SIGTERM)
"""


class World:
    """This process's place in the job: a single process unless MPI launched it."""

    def __init__(self):
        self.MPI = None
        self.world = None          # COMM_WORLD: carries only the leaving notes
        self.comm = None           # private duplicate for the collectives (made lazily)
        self._dup = None           # (comm, request) while the duplicate is pending
        self.rank, self.size = 0, 1
        self.started = 0           # collectives this rank has entered
        self.left = {}             # rank -> collectives it had entered when it exited
        self.timeout = DEFAULT_TIMEOUT

    @property
    def distributed(self):
        return self.size > 1


_world = None


def world():
    """The World, connected on first call."""
    global _world
    if _world is None:
        _world = _connect()
    return _world


def set_timeout(seconds):
    """Seconds a collective waits before aborting the job (default 60)."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds > 0:
        raise ValueError(f"set_timeout: seconds must be a positive number. "
                         f"Received: {seconds!r}")
    global _timeout
    _timeout = float(seconds)
    if _world is not None:
        _world.timeout = _timeout


def _connect():
    w = World()
    if not any(name in os.environ for name in _LAUNCHER_VARS):
        return w
    try:
        with _startup_watchdog():
            from mpi4py import MPI
    except ImportError:
        return w
    w.timeout = _timeout
    if MPI.COMM_WORLD.Get_size() < 2:
        return w
    w.MPI, w.world = MPI, MPI.COMM_WORLD
    w.rank, w.size = w.world.Get_rank(), w.world.Get_size()
    w._dup = w.world.Idup()
    atexit.register(_leave, w)
    return w


class _startup_watchdog:
    """While MPI starts, a child process ends this one if start-up outlasts the timeout."""

    def __enter__(self):
        import subprocess              # only under an MPI launcher: not at import minitf
        rank = next((os.environ[v] for v in _RANK_VARS if v in os.environ), "?")
        self.child = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _WATCHDOG, str(os.getpid()), str(_timeout),
             rank], stdin=subprocess.PIPE)

    def __exit__(self, *exc):
        self.child.stdin.close()
        self.child.wait()


def local_rank(w):
    """This process's rank among the ranks on its host (from the launcher)."""
    for name in _LOCAL_RANK_VARS:
        if name in os.environ:
            return int(os.environ[name])
    return 0 if not w.distributed else w.rank


def enter(w, what):
    """Start collective number ``w.started``; returns the private communicator."""
    w.started += 1
    _check_peers(w, what)
    if w.comm is None:
        comm, request = w._dup
        wait(w, request, what)
        w.comm, w._dup = comm, None
    return w.comm


def wait(w, request, what):
    """Wait for ``request`` by polling; abort the job if a peer left or time runs out."""
    deadline = time.monotonic() + w.timeout
    spins = 0
    while not request.Test():
        spins += 1
        if spins % 16 == 0:
            _check_peers(w, what)
            if time.monotonic() > deadline:
                _abort(w, f"mtf.distribute: rank {w.rank} waited {w.timeout:g} s in {what} "
                          f"(collective #{w.started}) and gave up; ranks that exited: "
                          f"{sorted(w.left) or 'none known'}. A rank may be stuck or may "
                          f"call the collectives in another order.")
        if spins > 200:
            time.sleep(1e-4)


def _check_peers(w, what):
    """Read the leaving notes; abort if a rank left before joining this collective."""
    MPI = w.MPI
    status = MPI.Status()
    while w.world.Iprobe(source=MPI.ANY_SOURCE, tag=_LEAVE_TAG, status=status):
        note = np.empty(1, np.int64)
        w.world.Recv([note, MPI.INT64_T], source=status.Get_source(), tag=_LEAVE_TAG)
        w.left[status.Get_source()] = int(note[0])
    gone = sorted(r for r, joined in w.left.items() if joined < w.started)
    if gone:
        ranks = ", ".join(map(str, gone))
        noun = "rank" if len(gone) == 1 else "ranks"
        _abort(w, f"mtf.distribute: {noun} {ranks} exited (it raised or returned) while "
                  f"rank {w.rank} waited in {what} (collective #{w.started}); aborting "
                  f"the job.")


def _abort(w, message):
    """Print ``message``, give the launcher a moment to forward it, end the whole job."""
    print(message, file=sys.stderr, flush=True)
    time.sleep(0.5)
    w.world.Abort(1)


def _leave(w):
    """At exit: tell every other rank how many collectives this rank entered."""
    note = np.array([w.started], np.int64)
    requests = [w.world.Isend([note, w.MPI.INT64_T], dest=r, tag=_LEAVE_TAG)
                for r in range(w.size) if r != w.rank]
    deadline = time.monotonic() + 2.0
    while not w.MPI.Request.Testall(requests) and time.monotonic() < deadline:
        time.sleep(1e-3)
