"""The API process's ingestion state: the ingestion keys, the admission checks (each key's rate, the items' time
bounds), the spool (orphaned slots replayed first) and the flusher thread that moves spooled rows into the store every
SRE_INGEST_FLUSH_S or SRE_INGEST_FLUSH_ROWS rows (and reports what admission refused)."""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import timedelta

from services.config import Settings
from services.ingest.admission import Admission
from services.ingest.spool import Spool, drain_process, drain_ready, replay_orphans

log = logging.getLogger("sre_backoffice.ingest")
TICK_S = 0.2


def _drainer() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=drain_process
    )


class IngestRuntime:
    """Made once per process, on the first track call."""

    def __init__(self, settings: Settings) -> None:
        cfg = settings.ingest
        self.keys = cfg.key_environments()
        self.max_bytes = cfg.max_decompressed_mb << 20
        self.flush_s, self.flush_rows = cfg.flush_s, cfg.flush_rows
        self.admission = Admission(rate_per_key=cfg.rate_per_key, max_future=timedelta(minutes=cfg.max_future_min))
        store = settings.telemetry.dir
        replayed = replay_orphans(cfg.spool_dir, store)
        if replayed:
            log.warning("ingest: replayed %d spooled rows a stopped process had not yet written to the store", replayed)
        # the segments are written to Parquet by a process of its own (the stdlib's pool supervises it; a new one
        # replaces it if it dies): on 2 cores that keeps the answers to senders off the drain's CPU and GIL
        self._drainer = _drainer()
        # start it now: a spawned process imports the store's code (a second or more on a busy machine), which would
        # otherwise delay the first flush; the first rows are then on Live metrics within SRE_INGEST_FLUSH_S
        self._drainer.submit(drain_ready)
        self.spool = Spool(
            cfg.spool_dir, store, max_rows=cfg.flush_rows, max_backlog_rows=cfg.max_backlog_rows, drainer=self._drainer
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ingest-flusher", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def _run(self) -> None:
        while not self._stop.wait(TICK_S):
            try:
                if self.spool.due(max_age_s=self.flush_s, max_rows=self.flush_rows):
                    self.spool.flush()
            except BrokenProcessPool:  # the drain process died: the rows stay spooled, a new process takes them
                log.warning("ingest: the process writing the spool to the store stopped; starting another")
                self._drainer = _drainer()
                self.spool.drainer = self._drainer
            except Exception:  # the rows stay spooled; the next tick (or the next start) writes them
                log.exception("ingest: flushing the spool failed; the rows stay spooled")
            self.admission.log_due()

    def close(self) -> None:
        """Stop the flusher and write what is spooled (at exit; a crash leaves it for the next start to replay)."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join(timeout=10)
        self.spool.drainer = None  # the last segments in this process: the pool may be gone at interpreter exit
        self.spool.close()
        self._drainer.shutdown(wait=True, cancel_futures=True)


_lock = threading.Lock()
_runtime: IngestRuntime | None = None


def runtime(settings: Settings) -> IngestRuntime:
    """The process's runtime, made on first use."""
    global _runtime
    with _lock:
        if _runtime is None:
            _runtime = IngestRuntime(settings)
        return _runtime


def reset() -> None:
    """Close and forget the process's runtime (tests)."""
    global _runtime
    with _lock:
        if _runtime is not None:
            _runtime.close()
        _runtime = None
