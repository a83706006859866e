"""Times the benchmark calls through Python's ctypes on the same fixture
library, reads rctypes' criterion results from the same run, and prints one
table (ns per call, medians) with the ratios. Run by benches/compare.sh."""

import ctypes
import datetime
import glob
import json
import os
import platform
import statistics
import subprocess
import sys
import timeit

LIB = sys.argv[1]
RUNS_DIR = sys.argv[2] if len(sys.argv) > 2 else "target/compare"
RUNS = int(sys.argv[3]) if len(sys.argv) > 3 else 1
lib = ctypes.CDLL(LIB)


def per_call(stmt, calls_per_stmt=1, repeat=5, target=0.2):
    """ns per call: the median over RUNS runs of the median of `repeat`
    timings of about `target` seconds each."""
    timer = timeit.Timer(stmt)
    n, _ = timer.autorange()
    n = max(1, int(n * target / 0.2))
    medians = [statistics.median(timer.repeat(repeat=repeat, number=n)) for _ in range(RUNS)]
    return statistics.median(medians) / n / calls_per_stmt * 1e9


def declare(name, argtypes, restype):
    f = getattr(lib, name)
    f.argtypes = argtypes
    f.restype = restype
    return f


class Point(ctypes.Structure):
    _fields_ = [("x", ctypes.c_int), ("y", ctypes.c_int)]


class Native(ctypes.Structure):
    _fields_ = [("a", ctypes.c_ubyte), ("x", ctypes.c_int), ("d", ctypes.c_double)]


c_int, c_double = ctypes.c_int, ctypes.c_double
noop = declare("noop", [], None)
add = declare("add", [c_int, c_int], c_int)
add_d = declare("add_d", [c_double, c_double], c_double)
sum6 = declare("sum6_d", [c_double] * 6, c_double)
mixed12 = declare(
    "mixed12",
    [c_int, c_double, ctypes.c_long, ctypes.c_float, ctypes.c_short, c_double,
     ctypes.c_longlong, ctypes.c_float, ctypes.c_ubyte, c_double, c_int, c_double],
    c_double,
)
point_add = declare("point_add", [Point, Point], Point)
strlen = declare("my_strlen", [ctypes.c_char_p], ctypes.c_size_t)
BINOP = ctypes.CFUNCTYPE(c_int, c_int, c_int)
call_loop = declare("call_loop", [BINOP, c_int], ctypes.c_longlong)
cb = BINOP(lambda a, b: a * 2 + b)
p, q = Point(1, 2), Point(3, 4)
s = Native()
values = [float(i) for i in range(1000)]
Doubles = c_double * 1000


def field_get_set():
    x = s.x
    s.x = (x + 1) % 1000


py = {
    "noop": per_call(noop),
    "add_int": per_call(lambda: add(5, 3)),
    "add_double": per_call(lambda: add_d(1.5, 2.0)),
    "sum6_double": per_call(lambda: sum6(1.0, 2.0, 3.0, 4.0, 5.0, 6.0)),
    "mixed12": per_call(lambda: mixed12(1, 2.0, 3, 4.0, 5, 6.0, 7, 8.0, 9, 10.0, 11, 12.0)),
    "struct_by_value": per_call(lambda: point_add(p, q)),
    "char_p_arg": per_call(lambda: strlen(b"hello, world")),
    "callback_from_c": per_call(lambda: call_loop(cb, 1000), calls_per_stmt=1000),
    "field_get_set": per_call(field_get_set),
    "array_1000_doubles": per_call(lambda: Doubles(*values)),
}

# criterion's medians from the same runs; the median across runs
samples = {}
for path in glob.glob(os.path.join(RUNS_DIR, "*", "*", "*", "new", "estimates.json")):
    group, name = path.split(os.sep)[-4:-2]
    with open(path) as fh:
        samples.setdefault((group, name), []).append(json.load(fh)["median"]["point_estimate"])
rust = {}
for (group, name), values in samples.items():
    rust.setdefault(group, {})[name] = statistics.median(values)

ROWS = [
    # group, what, rctypes' entry, baseline entries, per-call divisor
    ("noop", "noop()", "rctypes", 1),
    ("add_int", "add(int, int)", "rctypes", 1),
    ("add_double", "add(double, double)", "rctypes", 1),
    ("sum6_double", "6 doubles", "rctypes", 1),
    ("mixed12", "12 mixed arguments", "rctypes", 1),
    ("struct_by_value", "Point point_add(Point, Point)", "rctypes", 1),
    ("char_p_arg", "my_strlen(b\"hello, world\")", "rctypes_bytes", 1),
    ("callback_from_c", "callback called from C", "rctypes", 1000),
    ("field_get_set", "structure field get + set", "rctypes", 1),
    ("array_1000_doubles", "1,000-double array from a list", "rctypes_from_values", 1),
]


def fmt(x):
    return "—" if x is None else (f"{x:.1f}" if x < 100 else f"{x:,.0f}")


def ratio(a, b):
    return "—" if a is None or b is None else f"{a / b:.2f}×"


cpu = "unknown CPU"
try:
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
except OSError:
    pass
rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
print(f"Machine: {cpu}, {os.cpu_count()} cores; {platform.system()} {platform.release()}; "
      f"{rustc}; Python {platform.python_version()}; {datetime.date.today().isoformat()}")
print()
print("| call | direct | raw libffi | rctypes | typed | Python ctypes "
      "| rctypes/libffi | rctypes/direct | typed/direct | ctypes/rctypes | ctypes/typed |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for group, what, entry, per in ROWS:
    r = rust.get(group, {})
    get = lambda k: None if r.get(k) is None else r[k] / per
    direct = get("direct") if "direct" in r else get("native") if "native" in r else get("vec_copy")
    libffi, mine = get("libffi"), get(entry)
    typed = get("typed") if "typed" in r else get("rctypes_from_slice")
    ct = py[group]
    print(f"| {what} | {fmt(direct)} | {fmt(libffi)} | {fmt(mine)} | {fmt(typed)} | {fmt(ct)} "
          f"| {ratio(mine, libffi)} | {ratio(mine, direct)} | {ratio(typed, direct)} | {ratio(ct, mine)} "
          f"| {ratio(ct, typed)} |")
print()
print(f"ns per call; each figure is the median of {RUNS} runs (criterion's median per run; "
      "for ctypes the median of 5 timings per run). direct: a typed extern \"C\" fn pointer "
      "(for fields: a #[repr(C)] struct; for the array: Vec::to_vec). typed: Function::typed / "
      "Callback::typed. The callback row is per call from C's loop. rctypes for the array row: "
      "CData::from_values; CData::from_slice is listed as typed.")
