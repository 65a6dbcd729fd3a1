"""A stand-in for CuPy with two fake CUDA devices, so that the CUDA code paths of
``device`` run in CI: arrays are NumPy data tagged with a device index. NumPy's
functions and operators work on them (results on the current device), and
``RawModule`` loads NVRTC binaries (checking their architecture) or compiles
CUDA C, running the source with the host shim of ``kernels.host_shim`` over the
launch's grid, a block's threads at once where they meet at barriers or shuffles
(so block reductions run as on a GPU); ``launches`` records each launch as
(kernel name, grid, block, device, stream), ``loaded`` each module load.
Streams capture as CUDA graphs do: work on a capturing stream is kept for the
graph's replay, work on another stream runs at once, and reading an array on
the host (``get``, ``int``, ``float``, ``bool``, ``item``, ``tolist``,
``asnumpy``) while a stream captures is an error that invalidates the capture;
``__array__`` is refused as CuPy refuses it."""
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

    def synchronize(self):
        _host_copy("Device.synchronize()")  # waits for every stream: refused while one captures


class ndarray:
    def __init__(self, data, device_id=None, memptr=None, strides=None):
        if memptr is not None:  # cupy.ndarray(shape, dtype, memptr=, strides=): a view of memptr's memory
            owner = memptr.owner
            self._data = numpy.ndarray(data, device_id, buffer=owner, offset=memptr.ptr - owner.ctypes.data,
                                       strides=strides)
            self.device = _Device(memptr.device_id)
            return
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
    data = property(lambda self: _Pointer(self._data.ctypes.data, self._data, self.device.id))

    def get(self, stream=None):
        _host_copy("get()")
        return self._data.copy()

    def set(self, value, stream=None):
        _host_copy("set()")  # a copy from pageable host memory: synchronous, so refused while capturing
        self._data[...] = value

    def fill(self, value):
        data = self._data
        _enqueue(_stream, lambda: data.fill(value))

    def item(self):
        _host_copy("item()")
        return self._data.item()

    def tolist(self):
        _host_copy("tolist()")
        return self._data.tolist()

    def __int__(self):
        _host_copy("int()")
        return int(self._data)

    def __float__(self):
        _host_copy("float()")
        return float(self._data)

    def __bool__(self):
        _host_copy("bool()")
        return bool(self._data)

    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a "
                        "NumPy array explicitly.")

    def __len__(self):
        return len(self._data)


class _Pointer:
    """A MemoryPointer: an address in the (contiguous) memory of ``owner``; ``+ n`` moves it."""

    def __init__(self, ptr, owner=None, device_id=0):
        self.ptr, self.owner, self.device_id = ptr, owner, device_id

    def __add__(self, offset):
        return _Pointer(self.ptr + offset, self.owner, self.device_id)


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
              "astype", "reshape", "transpose", "sum", "mean", "max", "min", "prod", "copy"):
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


launches = []  # (kernel name, grid, block, device, stream) of every launch
loaded = []  # (binary path, device) of every module load


class RawModule:
    """``RawModule(code=...)`` compiles the source with the host shim; ``RawModule(path=...)``
    loads a binary as CuPy 14 does, on first use on each device: an NVRTC cubin must be for
    the device's architecture (a PTX module for one no newer), and the CUDA C that
    kernels.nvrtc keeps beside it is what the host shim runs."""

    def __init__(self, *, code=None, path=None, options=()):
        if (code is None) == (path is None):
            raise TypeError("Exactly one of `code` and `path` keyword arguments must be given.")
        self.code, self.path, self.options, self._loaded, self._launchers = code, path, options, set(), {}

    def _launcher(self, name):
        """The host shim's ``launch(blocks, threads, args)`` of kernel ``name``, built on first use
        on each device (when a binary is loaded, the CUDA C kept beside it)."""
        from kernels import host_shim, nvrtc

        code = self.code
        if self.path is not None:
            if _current not in self._loaded:
                _check_binary(open(self.path, "rb").read(), self.path, name)
                loaded.append((self.path, _current))
            code = nvrtc.source_of(self.path)
        self._loaded.add(_current)
        if (_current, name) not in self._launchers:
            backend = host_shim.HostBackend(warp=_Runtime.getDeviceProperties(_current)["warpSize"])
            self._launchers[_current, name] = backend.launcher(code, name, _parameters(code, name))
        return self._launchers[_current, name]

    def get_function(self, name):
        self._launcher(name)  # CuPy loads the module (or compiles it) here, on the current device
        return _RawKernel(self, name)


def _parameters(code, name):
    """(name, C type) of each parameter of kernel ``name`` in ``code``, as the host shim's launcher
    takes them: pointers with their const, scalars without it, no ``__restrict__``."""
    import re

    found = re.search(rf"__global__\s+void\s+{re.escape(name)}\s*\(([^)]*)\)", code)
    if found is None:
        raise RuntimeError(f"CUDA_ERROR_NOT_FOUND: no kernel {name} in the module's source")
    params = []
    for declaration in filter(None, (part.strip() for part in found.group(1).split(","))):
        words = declaration.replace("*", "* ").replace("__restrict__", "").split()
        ctype = " ".join(words[:-1]).replace(" *", "*")
        params.append((words[-1], ctype if ctype.endswith("*") else ctype.removeprefix("const ")))
    return params


def _check_binary(data, path, name):
    """What cuModuleLoad and cuModuleGetFunction would refuse."""
    properties = _Runtime.getDeviceProperties(_current)
    capability = properties["major"] * 10 + properties["minor"]
    if data[:4] == b"\x7fELF":
        flags = int.from_bytes(data[0x30:0x34], "little")
        arch = (flags >> 8) & 0xFF if data[8] >= 8 else flags & 0xFF  # EF_CUDA_SM: moved in ELF ABI version 8
        if arch != capability:
            raise RuntimeError(f"CUDA_ERROR_NO_BINARY_FOR_GPU: {path} is for sm_{arch}, device {_current} is "
                               f"sm_{capability}")
    else:
        text = data.decode()
        target = int(text.split(".target sm_", 1)[1][:3].rstrip("\n ,a"))
        if target > capability:
            raise RuntimeError(f"CUDA_ERROR_INVALID_PTX: {path} targets sm_{target}, device is sm_{capability}")
    if name.encode() not in data:
        raise RuntimeError(f"CUDA_ERROR_NOT_FOUND: no kernel {name} in {path}")


class _RawKernel:
    def __init__(self, module, name):
        self.module, self.name = module, name

    def compile(self, log_stream=None):
        self.module._launcher(self.name)

    def __call__(self, grid, block, args, *, shared_mem=0, stream=None):
        name = self.name
        launch = self.module._launcher(name)
        launches.append((name, grid, block, _current, stream if stream is not None else _stream))
        for value in args:
            if isinstance(value, ndarray) and value.device.id != _current:
                raise RuntimeError(f"{name}: an array on device {value.device.id} launched on {_current}")
        converted = [a._data if isinstance(a, ndarray) else a for a in args]

        def run():
            launch(grid[0], block[0], converted)
        _enqueue(stream if stream is not None else _stream, run)


def _enqueue(stream, work):
    """Work on ``stream``: kept for the graph while the stream captures, else done now."""
    if stream._captured is not None:
        stream._captured.append(work)
    else:
        work()


def _host_copy(what):
    """A read or write of device memory from the host, or a wait for the device: it
    synchronizes, which a capture forbids."""
    capturing = [s for s in _capturing if s._captured is not None]
    if capturing:
        for stream in capturing:
            stream._invalidated = True
        raise RuntimeError(f"cudaErrorStreamCaptureUnsupported: {what} (a synchronous copy) while "
                           f"{capturing[0]!r} is capturing")


_capturing = []  # streams that began a capture and have not ended it


class _Stream:
    """A stream: ``with stream:`` makes it current, as in CuPy."""

    def __init__(self, non_blocking=False, name="stream"):
        self.name, self._captured, self._invalidated = name, None, False

    def __enter__(self):
        global _stream
        self._previous, _stream = _stream, self
        return self

    def __exit__(self, *exc):
        global _stream
        _stream = self._previous

    def synchronize(self):
        if self._captured is not None:
            self._invalidated = True
            raise RuntimeError("cudaErrorStreamCaptureUnsupported: synchronize() on a capturing stream")

    def begin_capture(self, mode=None):
        if self is _Stream.null:
            raise RuntimeError("cannot capture on the default (legacy) stream")
        if self._captured is not None:
            raise RuntimeError("cudaErrorIllegalState: the stream is capturing already")
        self._captured, self._invalidated = [], False
        _capturing.append(self)

    def end_capture(self):
        work, invalidated = self._captured, self._invalidated
        if work is None:
            raise RuntimeError("cudaErrorIllegalState: the stream is not capturing")
        self._captured, self._invalidated = None, False
        _capturing.remove(self)
        if invalidated:
            raise RuntimeError("cudaErrorStreamCaptureInvalidated: the capture was invalidated")
        return _Graph(work)

    def __repr__(self):
        return f"<fake stream {self.name}>"


class _Graph:
    """A captured graph: ``launch`` replays its work on a stream."""

    def __init__(self, work):
        self._work = work

    def launch(self, stream=None):
        for work in self._work:
            _enqueue(stream if stream is not None else _stream, work)


_Stream.null = _Stream(name="null")
_stream = _Stream.null


def asarray(a):
    if isinstance(a, ndarray):
        return a
    return ndarray(a, _current)


def asnumpy(a, stream=None):
    return a.get() if isinstance(a, ndarray) else numpy.asarray(a)


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
        # warps of 4 lanes (whole warps in a block of 8 threads, which the shim needs): a block reduction
        # then combines two warps through shared memory, as on a GPU
        return {"name": b"fake", "multiProcessorCount": 2, "maxThreadsPerBlock": 8, "maxThreadsPerMultiProcessor": 16,
                "warpSize": 4, "major": 9, "minor": 0}

    @staticmethod
    def driverGetVersion():
        return 13000

    streamCaptureModeGlobal, streamCaptureModeThreadLocal, streamCaptureModeRelaxed = 0, 1, 2


class cuda:
    Device = _Device
    runtime = _Runtime
    Stream = _Stream

    @staticmethod
    def get_current_stream():
        return _stream
