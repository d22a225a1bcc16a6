"""HDF5 demonstrations: round trip, files written by h5py, and malformed files named clearly."""
import os

import h5py
import numpy as np
import pytest

import amf
from conftest import integrator_demos


def test_round_trip_is_exact(tmp_path):
    demos = integrator_demos([0.0, 1.0, 2.0])
    path = str(tmp_path / "d.h5")
    amf.save_demonstrations(path, demos)
    back = amf.load_demonstrations(path)
    assert len(back) == 3
    for a, b in zip(demos, back):
        for key in ("task", "states", "actions"):
            np.testing.assert_array_equal(a[key], b[key])
    with h5py.File(path) as f:  # the robomimic layout, readable by anyone
        assert f["data"].attrs["total"] == 24
        assert f["data/demo_1/obs/state"].shape == (8, 2)
        assert f["data/demo_1"].attrs["num_samples"] == 8


def write_robomimic(path, n=3, steps=5, mutate=None):
    with h5py.File(path, "w") as f:
        data = f.create_group("data")
        for i in range(n):
            g = data.create_group(f"demo_{i}")
            g.create_dataset("obs/eef_pos", data=np.full((steps, 3), i, dtype=np.float32))
            g.create_dataset("obs/gripper", data=np.arange(steps, dtype=np.float32))
            g.create_dataset("actions", data=np.ones((steps, 2)))
            g.attrs["task"] = np.array([float(i), 1.0])
            g.attrs["num_samples"] = steps
        if mutate:
            mutate(f)


def test_reads_float32_obs_keys_and_task_attributes(tmp_path):
    path = str(tmp_path / "r.h5")
    write_robomimic(path)
    demos = amf.load_demonstrations(path)
    assert demos[2]["states"].shape == (5, 4)  # eef_pos (3) + gripper (1), keys sorted
    np.testing.assert_array_equal(demos[2]["task"], [2.0, 1.0])
    only = amf.load_demonstrations(path, obs_keys=["gripper"])
    assert only[0]["states"].shape == (5, 1)


@pytest.mark.parametrize("mutate, fragment", [
    (lambda f: f["data/demo_1"].__delitem__("actions"), "/data/demo_1/actions is missing"),
    (lambda f: f["data/demo_0/actions"].__setitem__((2, 1), np.nan), "/data/demo_0/actions [2][1] is nan"),
    (lambda f: (f["data/demo_2"].__delitem__("actions"), f["data/demo_2"].create_dataset("actions", data=np.ones((4, 2)))),
     "/data/demo_2/obs/eef_pos has 5 steps but /data/demo_2/actions has 4"),
    (lambda f: f["data/demo_1"].attrs.__setitem__("num_samples", 7), "num_samples = 7"),
    (lambda f: f["data/demo_0"].attrs.__delitem__("task"), "/data/demo_0/task is missing"),
    (lambda f: f["data/demo_0/obs"].create_dataset("img", data=np.zeros((5, 2, 2, 3))), "has rank 4"),
    (lambda f: f["data/demo_1/obs"].create_dataset("extra", data=np.zeros((5, 1))), "gives states of size 5"),
    (lambda f: f["data"].create_group("demo_x"), "demo_x is not named demo_<non-negative integer>"),
    (lambda f: f["data/demo_0/actions"].attrs.__setitem__("x", 1) or f["data/demo_0"].__delitem__("obs"), "/data/demo_0/obs is missing"),
])
def test_malformed_files_name_file_and_field(tmp_path, mutate, fragment):
    path = str(tmp_path / "bad.h5")
    write_robomimic(path, mutate=mutate)
    with pytest.raises(ValueError) as e:
        amf.load_demonstrations(path)
    assert path in str(e.value) and fragment in str(e.value), str(e.value)


def test_not_hdf5_truncated_empty_and_missing(tmp_path):
    good = tmp_path / "good.h5"
    write_robomimic(str(good))
    cases = {"text.h5": b"not an hdf5 file", "empty.h5": b"", "truncated.h5": good.read_bytes()[:1500]}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ValueError, match=name):
            amf.load_demonstrations(str(tmp_path / name))
    with pytest.raises(ValueError, match="no such file"):
        amf.load_demonstrations(str(tmp_path / "absent.h5"))
    with h5py.File(tmp_path / "nodata.h5", "w") as f:
        f.create_group("other")
    with pytest.raises(ValueError, match="/data is missing"):
        amf.load_demonstrations(str(tmp_path / "nodata.h5"))


def test_declared_sizes_are_checked_before_allocating(tmp_path):
    # A small file whose header declares 2^28 x 2 actions (4 GiB) with no data stored: refused by
    # name with the sizes, not a std::bad_alloc after a 4 GiB allocation.
    path = str(tmp_path / "huge.h5")

    def declare_huge(f):
        del f["data/demo_0/actions"]
        f["data/demo_0"].create_dataset("actions", shape=(2**28, 2), dtype="f8", chunks=(1024, 2))

    write_robomimic(path, mutate=declare_huge)
    assert os.path.getsize(path) < 1 << 20
    with pytest.raises(ValueError) as e:
        amf.load_demonstrations(path)
    message = str(e.value)
    assert path in message and "/data/demo_0/actions declares 268435456 x 2 values (4096.0 MiB)" in message, message
