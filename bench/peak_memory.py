"""The CPU peak-memory tracker of the benchmarks: peak bytes of tensor storages created inside a block and still
alive, seen op by op through a TorchDispatchMode (there is no max_memory_allocated on the CPU)."""

from __future__ import annotations

import weakref

import torch
from torch.utils._python_dispatch import TorchDispatchMode


class PeakTensorMemory(TorchDispatchMode):
    """Peak bytes of the storages created in the block; `devices`: the device types counted (None = all)."""

    def __init__(self, devices: tuple[str, ...] | None = None):
        super().__init__()
        self.devices = devices

    def __enter__(self):
        self.live, self.peak, self.seen = 0, 0, set()
        return super().__enter__()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        self.track(out)
        return out

    def track(self, out) -> None:
        for t in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(t, torch.Tensor) and (self.devices is None or t.device.type in self.devices):
                storage = t.untyped_storage()
                key = storage.data_ptr()
                if key and key not in self.seen:
                    self.seen.add(key)
                    self.live += storage.nbytes()
                    self.peak = max(self.peak, self.live)
                    weakref.finalize(storage, self._free, key, storage.nbytes())

    def _free(self, key: int, nbytes: int) -> None:
        self.seen.discard(key)
        self.live -= nbytes
