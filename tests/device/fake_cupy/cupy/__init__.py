"""A stand-in for CuPy with two fake CUDA devices, so that the CUDA code paths of
``device`` run in CI: arrays are NumPy data tagged with a device index."""
import numpy

_current = 0


class _Device:
    def __init__(self, id=0):
        self.id = id

    def __enter__(self):
        global _current
        self._previous, _current = _current, self.id
        return self

    def __exit__(self, *exc):
        global _current
        _current = self._previous


class ndarray:
    def __init__(self, data, device_id):
        self._data = numpy.array(data, copy=True)
        self.device = _Device(device_id)

    dtype = property(lambda self: self._data.dtype)
    shape = property(lambda self: self._data.shape)

    def get(self):
        return self._data.copy()


def asarray(a):
    if isinstance(a, ndarray):
        return a
    return ndarray(a, _current)


def array(a, copy=True):
    return ndarray(a._data if isinstance(a, ndarray) else a, _current)


class _Runtime:
    @staticmethod
    def getDeviceCount():
        return 2

    @staticmethod
    def getDevice():
        return _current


class cuda:
    Device = _Device
    runtime = _Runtime
