"""A stand-in for CuPy with two fake CUDA devices, so that the CUDA code paths of
``device`` run in CI: arrays are NumPy data tagged with a device index. NumPy's
functions and operators work on them (results on the current device), and
``RawModule`` compiles CUDA C with the host shim of ``kernels.host_shim`` and
runs it over the launch's grid, one thread at a time; ``launches`` records
each launch as (kernel name, grid, block, device)."""
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

    __array_ufunc__ = None  # NumPy defers to the reflected operators below

    ndim = property(lambda self: self._data.ndim)
    size = property(lambda self: self._data.size)
    nbytes = property(lambda self: self._data.nbytes)
    strides = property(lambda self: self._data.strides)
    flags = property(lambda self: self._data.flags)
    data = property(lambda self: _Pointer(self._data.ctypes.data))

    def get(self):
        return self._data.copy()

    def __len__(self):
        return len(self._data)


class _Pointer:
    def __init__(self, ptr):
        self.ptr = ptr


def _unwrap(value):
    if isinstance(value, ndarray):
        return value._data
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v) for v in value)
    return value


def _wrap(value):
    if isinstance(value, (numpy.ndarray, numpy.generic)):
        result = ndarray.__new__(ndarray)
        result._data, result.device = numpy.asarray(value), _Device(_current)
        return result
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    return value


def _method(name):
    def method(self, *args, **kwargs):
        return _wrap(getattr(self._data, name)(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()}))
    method.__name__ = name
    return method


for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
              "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__pow__", "__rpow__", "__matmul__",
              "__rmatmul__", "__neg__", "__pos__", "__abs__", "__invert__", "__and__", "__rand__", "__or__", "__ror__",
              "__xor__", "__rxor__", "__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__", "__getitem__",
              "astype", "reshape", "transpose", "sum", "mean", "copy"):
    setattr(ndarray, _name, _method(_name))
ndarray.T = property(lambda self: _wrap(self._data.T))
ndarray.__hash__ = None


def __getattr__(name):
    """NumPy's functions on fake arrays, and its dtypes and constants."""
    target = getattr(numpy, name)
    if not callable(target) or isinstance(target, type):
        return target

    def function(*args, **kwargs):
        return _wrap(target(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()}))
    return function


def empty(shape, dtype=float):
    return _wrap(numpy.empty(shape, dtype))


launches = []


class RawModule:
    def __init__(self, code, options=()):
        from kernels import host_shim

        self.library = host_shim.HostBackend().library(code)

    def get_function(self, name):
        import ctypes

        function = getattr(self.library, name)
        function.restype = None
        set_thread = self.library.arrayscript_set_thread
        set_thread.argtypes = [ctypes.c_uint] * 4
        types = {numpy.dtype(numpy.uint32): ctypes.c_uint32, numpy.dtype(numpy.uint64): ctypes.c_uint64,
                 numpy.dtype(numpy.int32): ctypes.c_int32, numpy.dtype(numpy.int64): ctypes.c_int64,
                 numpy.dtype(numpy.float64): ctypes.c_double, numpy.dtype(numpy.bool_): ctypes.c_bool}

        def launch(grid, block, args):
            launches.append((name, grid, block, _current))
            for value in args:
                if isinstance(value, ndarray) and value.device.id != _current:
                    raise RuntimeError(f"{name}: an array on device {value.device.id} launched on {_current}")
            converted = [ctypes.c_void_p(a._data.ctypes.data) if isinstance(a, ndarray) else types[a.dtype](a.item())
                         for a in args]
            for b in range(grid[0]):
                for t in range(block[0]):
                    set_thread(b, t, grid[0], block[0])
                    function(*converted)
        return launch


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

    @staticmethod
    def getDeviceProperties(index):
        return {"name": b"fake", "multiProcessorCount": 2, "maxThreadsPerBlock": 8, "maxThreadsPerMultiProcessor": 16}


class cuda:
    Device = _Device
    runtime = _Runtime
