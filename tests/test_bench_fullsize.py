"""bench/fullsize.py: the pipeline runs end to end on tiny models (--quick), and its CUDA branches (timing syncs, peak
memory, sync counting) work, exercised on the CPU with torch.cuda's functions stubbed."""

import json
import warnings

import pytest
import torch


@pytest.fixture(scope="module")
def fullsize():
    import fullsize  # bench/ (tests/pytest.ini)

    return fullsize


def test_quick_run_writes_results(fullsize, tmp_path):
    out = fullsize.main(["--quick", "--device", "auto", "--models", "sd15", "--scale", "none", "--out", str(tmp_path)])
    device = out["meta"]["device_type"]
    assert device == ("cuda" if torch.cuda.is_available() else "cpu")
    text = (tmp_path / f"fullsize_{device}_quick.md").read_text()
    for heading in ("## 1. End to end", "## 2. Per model call", "## 3. Device→host", "## 4. Scale"):
        assert heading in text
    raw = json.loads((tmp_path / f"fullsize_{device}_quick.json").read_text())
    e2e = raw["results"]["sd15"]["e2e"]
    for comparison in ("ksampler", "samplercustom"):
        e = e2e[comparison]
        assert e["calls"] == {"ours": 3, "host": 3}  # 2 Heun steps, the last one Euler, on both sides
        assert e["time_ratio"] > 0 and e["peak_ratio"] > 0
        assert e["syncs_ours"]["syncs_per_call"] == 0  # no device read between model calls (the README's claim)
    per_call = next(iter(raw["results"]["sd15"]["per_call"].values()))
    assert per_call["model"] > 0 and per_call["cads"] > 0 and per_call["rescale"] > 0


def test_cuda_branches_on_stubs(fullsize, monkeypatch):
    modes = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda *a: None)
    monkeypatch.setattr(torch.cuda, "memory_allocated", lambda *a: 100)
    monkeypatch.setattr(torch.cuda, "reset_peak_memory_stats", lambda *a: None)
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda *a: 350)
    monkeypatch.setattr(torch.cuda, "set_sync_debug_mode", modes.append)
    dev = fullsize.Device(torch.device("cpu"))
    dev.cuda = True
    net = torch.nn.Linear(2, 2)
    with fullsize.Probe(dev, net, memory=True, syncs=True) as probe:
        warnings.warn("called a synchronizing CUDA operation")  # setup
        net(torch.zeros(1, 2))
        warnings.warn("called a synchronizing CUDA operation")  # between the calls
        warnings.warn("unrelated")
        net(torch.zeros(1, 2))
        warnings.warn("called a synchronizing CUDA operation")  # tail
    rec = probe.record()
    assert modes == ["warn", 0]
    assert rec["peak_bytes"] == 250 and rec["model_calls"] == 2 and rec["in_model_s"] is None
    assert (rec["syncs_setup"], rec["syncs_loop"], rec["syncs_tail"], rec["syncs_per_call"]) == (1, 1, 1, 1.0)


def test_device_and_dtype_from_the_run(fullsize):
    parse = lambda *a: fullsize.resolve(type("A", (), {"device": a[0], "dtype": a[1]}))
    assert parse("cpu", "auto") == (torch.device("cpu"), torch.float32)
    if torch.cuda.is_available():
        assert parse("auto", "auto") == (torch.device("cuda"), torch.float16)
    else:
        assert parse("auto", "auto") == (torch.device("cpu"), torch.float32)
        with pytest.raises(SystemExit):
            parse("cuda", "auto")
