"""save / load: round trips of nested structures, no pickle, clear errors on bad files."""

from __future__ import annotations

import io
import json
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import dualgrad as dg
import dualgrad.torch as torch_ns
from dualgrad import nn


def _round_trip(obj, path):
    dg.save(obj, path)
    return dg.load(path)


def test_nested_round_trip_is_exact(tmp_path, rng):
    t64 = dg.tensor(rng.normal(size=(3, 2)))
    obj = {
        "t": t64,
        "f32": dg.tensor([1.5, -2.25]),
        "ints": dg.tensor([1, 2, 3]),
        "arr": rng.normal(size=4).astype(np.float16),
        "scalar": np.float32(2.5),
        "nested": {0: [1, 2.5, "x", None, True], 1: (0.9, 0.999), "inf": float("inf")},
        "ordered": OrderedDict([("b", 1), ("a", 2)]),
        "big": 2 ** 70,
        "z": 1 + 2j,
    }
    out = _round_trip(obj, tmp_path / "obj.npz")
    np.testing.assert_array_equal(out["t"].numpy(), t64.numpy())
    assert out["t"].dtype == np.float64 and out["f32"].dtype == np.float32
    assert out["ints"].dtype == np.int64 and out["arr"].dtype == np.float16
    assert isinstance(out["arr"], np.ndarray) and isinstance(out["t"], dg.Tensor)
    assert out["scalar"] == np.float32(2.5) and isinstance(out["scalar"], np.float32)
    assert out["nested"] == {0: [1, 2.5, "x", None, True], 1: (0.9, 0.999), "inf": float("inf")}
    assert isinstance(out["ordered"], OrderedDict) and list(out["ordered"]) == ["b", "a"]
    assert out["big"] == 2 ** 70 and out["z"] == 1 + 2j


def test_parameters_and_requires_grad_survive(tmp_path):
    p = nn.Parameter(dg.ones(2))
    leaf = dg.zeros(3, requires_grad=True)
    out = _round_trip([p, leaf, p], tmp_path / "p.npz")
    assert isinstance(out[0], nn.Parameter) and out[0].requires_grad
    assert out[1].requires_grad and out[1].is_leaf
    assert out[0] is out[2]  # a tensor saved twice comes back shared


def test_file_objects_and_torch_namespace():
    buf = io.BytesIO()
    torch_ns.save({"w": torch_ns.ones(2)}, buf)
    buf.seek(0)
    assert torch_ns.load(buf, map_location="cpu", weights_only=True)["w"].tolist() == [1.0, 1.0]


def test_archive_is_plain_npz_without_pickle(tmp_path):
    dg.save({"w": dg.ones(2), "step": 3}, tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as z:
        record = json.loads(z["__structure__"].tobytes())
        assert record["format"] == "dualgrad.save"
        assert sorted(z.files) == ["__structure__", "a0"]


def test_model_and_optimizer_checkpoint(tmp_path):
    dg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    opt = dg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = dg.randn(8, 2), dg.randn(8, 1)
    for _ in range(3):
        opt.zero_grad()
        nn.MSELoss()(model(x), y).backward()
        opt.step()
    dg.save({"model": model.state_dict(), "optim": opt.state_dict()}, tmp_path / "ckpt.npz")

    model2 = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    opt2 = dg.optim.SGD(model2.parameters(), lr=0.1, momentum=0.9)
    ckpt = dg.load(tmp_path / "ckpt.npz")
    model2.load_state_dict(ckpt["model"])
    opt2.load_state_dict(ckpt["optim"])
    for m, o in ((model, opt), (model2, opt2)):
        o.zero_grad()
        nn.MSELoss()(m(x), y).backward()
        o.step()
    for p, q in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_unsupported_objects_are_refused(tmp_path):
    with pytest.raises(TypeError, match="cannot store an object of type object"):
        dg.save({"x": object()}, tmp_path / "bad.npz")
    with pytest.raises(TypeError, match="dtype object"):
        dg.save(np.array([{}], dtype=object), tmp_path / "bad.npz")
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_failed_save_keeps_the_old_file(tmp_path):
    path = tmp_path / "keep.npz"
    dg.save({"v": 1}, path)
    with pytest.raises(TypeError):
        dg.save({"v": object()}, path)
    assert dg.load(path) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["keep.npz"]


def test_truncated_and_corrupt_files(tmp_path):
    path = tmp_path / "m.npz"
    dg.save({"w": dg.ones(1000)}, path)
    raw = path.read_bytes()
    (tmp_path / "trunc.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(RuntimeError, match="trunc.npz is corrupt, truncated"):
        dg.load(tmp_path / "trunc.npz")
    flipped = bytearray(raw)
    flipped[len(raw) // 3] ^= 0xFF  # inside the array data: the zip CRC check fails
    (tmp_path / "crc.npz").write_bytes(bytes(flipped))
    with pytest.raises(RuntimeError, match="corrupt"):
        dg.load(tmp_path / "crc.npz")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(RuntimeError, match="not a file written by dualgrad.save"):
        dg.load(tmp_path / "text.npz")
    np.savez(tmp_path / "plain.npz", a=np.ones(2))
    with pytest.raises(RuntimeError, match="not a file written by dualgrad.save"):
        dg.load(tmp_path / "plain.npz")
    np.save(tmp_path / "single.npy", np.ones(2))
    with pytest.raises(RuntimeError, match="not a file written by dualgrad.save"):
        dg.load(tmp_path / "single.npy")
    with pytest.raises(FileNotFoundError):
        dg.load(tmp_path / "missing.npz")


def test_structure_pointing_at_missing_array(tmp_path):
    path = tmp_path / "forged.npz"
    record = {"format": "dualgrad.save", "version": 1, "root": {"T": "ndarray", "a": 5}}
    blob = np.frombuffer(json.dumps(record).encode(), dtype=np.uint8)
    np.savez(path, __structure__=blob)
    with pytest.raises(RuntimeError, match="missing array a5"):
        dg.load(path)
    assert zipfile.is_zipfile(path)


def test_docstring_examples():
    import doctest

    import dualgrad.serialization

    result = doctest.testmod(dualgrad.serialization, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
