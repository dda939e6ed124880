"""The shared validation layer: argument types, resource limits, input files, JSON output."""

import argparse
import json
import os

import pytest

from labkit.cli import emit, json_safe
from labkit.lab import argtypes, inputs, limits
from labkit.lab.errors import InputError, one_line, shorten


@pytest.mark.parametrize("text, value", [("12", 12), ("1e6", 1_000_000), (" 7 ", 7),
                                         ("0x10", 16), ("1_000", 1000)])
def test_positive_int_accepts_whole_numbers_however_written(text, value):
    assert argtypes.positive_int(text) == value


@pytest.mark.parametrize("text", ["0", "-1", "1.5", "1e-3", "nan", "inf", "x", ""])
def test_positive_int_refuses_with_its_own_message(text):
    with pytest.raises(argparse.ArgumentTypeError, match="must be a positive integer"):
        argtypes.positive_int(text)


def test_argparse_shows_the_validators_message_not_invalid_value():
    parser = argtypes.Parser()
    parser.add_argument("--n", type=argtypes.positive_int)
    with pytest.raises(InputError) as info:
        parser.parse_args(["--n", "0"])
    assert "must be a positive integer, got '0'" in str(info.value)
    assert "invalid" not in str(info.value)


@pytest.mark.parametrize("text", ["-1", str(2**32), "1.5"])
def test_seed_range(text):
    with pytest.raises(argparse.ArgumentTypeError, match="seed"):
        argtypes.seed(text)
    assert argtypes.seed(str(2**32 - 1)) == 2**32 - 1


def test_int_in_range():
    parse = argtypes.int_in_range(1, 16)
    assert parse("16") == 16
    with pytest.raises(argparse.ArgumentTypeError, match="1..16"):
        parse("17")


def test_finite_number_refuses_nan_and_inf():
    assert argtypes.finite_number("-2.5") == -2.5
    for text in ("nan", "inf", "-inf", "1e999"):
        with pytest.raises(argparse.ArgumentTypeError):
            argtypes.finite_number(text)


def test_memory_check_names_size_estimate_and_limit(monkeypatch):
    monkeypatch.setenv(limits.MEMORY_ENV, str(1024**3))
    limits.check_memory("small", 1024**3)
    with pytest.raises(InputError) as info:
        limits.check_memory("--batch 10**15", 2 * 1024**3)
    message = str(info.value)
    assert "--batch 10**15" in message and "2 GB" in message and "1 GB" in message


def test_memory_limit_comes_from_the_os(monkeypatch):
    monkeypatch.delenv(limits.MEMORY_ENV, raising=False)
    with open("/proc/meminfo") as f:
        available = next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable"))
    assert abs(limits.memory_limit() - available * limits.MEMORY_FRACTION) < 0.1 * available


def test_time_budget_and_bad_environment(monkeypatch):
    monkeypatch.setenv(limits.TIME_ENV, "10")
    limits.check_time("ok", 9)
    with pytest.raises(InputError, match="about 1.67 minutes; the time budget is 10 s"):
        limits.check_time("--calls 1e15", 100)
    monkeypatch.setenv(limits.TIME_ENV, "soon")
    with pytest.raises(InputError, match="LABKIT_TIME_BUDGET"):
        limits.time_budget()


def test_check_count():
    with pytest.raises(InputError, match="--threads is 100,000,000; the limit is 2,048"):
        limits.check_count("--threads", 10**8, 2048, "threads per job")


def test_thread_limit_is_the_smallest_of_the_os_limits_and_the_cap(monkeypatch):
    import resource

    with open("/proc/sys/kernel/threads-max") as threads_max:
        kernel = int(threads_max.read())
    monkeypatch.setattr(resource, "getrlimit", lambda which: (resource.RLIM_INFINITY,) * 2)
    assert limits.thread_limit()[0] == min(kernel, limits.THREAD_CAP)
    monkeypatch.setattr(resource, "getrlimit", lambda which: (100, resource.RLIM_INFINITY))
    assert limits.thread_limit() == (100, "RLIMIT_NPROC (ulimit -u)")


def test_check_threads_refuses_one_more_than_the_limit():
    limit, _ = limits.thread_limit()
    limits.check_threads("--threads", limit)
    with pytest.raises(InputError, match=f"--threads is {limit + 1:,}; the limit is {limit:,} "
                                         r"\(the OS thread limit"):
        limits.check_threads("--threads", limit + 1)


def test_regular_file_refuses_each_kind(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("x")
    assert inputs.regular_file(good, "--trace") == good
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    zero = tmp_path / "zero"
    zero.symlink_to("/dev/zero")
    cases = {tmp_path / "missing": "not found", tmp_path: "a directory",
             fifo: "a FIFO", zero: "symlink to /dev/zero) is a character device"}
    for path, reason in cases.items():
        with pytest.raises(InputError, match=reason.replace("(", r"\(").replace(")", r"\)")):
            inputs.regular_file(path, "--trace")
    with pytest.raises(InputError, match="1 bytes; the limit"):
        inputs.regular_file(good, "--trace", max_bytes=0)


def test_parse_json_refuses_deep_nesting_and_nan():
    with pytest.raises(InputError, match="nested deeper"):
        inputs.parse_json("[" * 100_000 + "]" * 100_000, "--config")
    with pytest.raises(InputError, match="nested deeper than 3"):
        inputs.parse_json("[[[[1]]]]", "--config", max_depth=3)
    assert inputs.parse_json("[[[1]]]", "--config", max_depth=3) == [[[1]]]
    with pytest.raises(InputError, match="NaN is not a number JSON allows"):
        inputs.parse_json('{"a": NaN}', "--config")
    with pytest.raises(InputError, match="not valid JSON"):
        inputs.parse_json('{"a": ', "--config")


def test_output_folder(tmp_path):
    afile = tmp_path / "f"
    afile.write_text("")
    assert inputs.output_folder(tmp_path / "new" / "deeper").is_dir()
    with pytest.raises(InputError, match="is not a folder"):
        inputs.output_folder(afile)
    with pytest.raises(InputError, match=r"is not a folder \(.*f is a file\)"):
        inputs.output_folder(afile / "under")
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(InputError, match="cannot write"):
            inputs.output_folder(locked)


def test_output_folder_on_a_read_only_file_system():
    if not os.path.ismount("/proc"):
        pytest.skip("no /proc mount on this machine")
    with pytest.raises(InputError, match="cannot write into /proc/sys"):
        inputs.output_folder("/proc/sys")


def test_json_output_never_holds_nan(capsys):
    result = {"a": float("nan"), "b": {"c": float("inf")}, "d": [1.0, float("-inf")], "e": 2.0}
    safe = json_safe(result)
    assert safe["a"] is None and safe["b"]["c"] is None and safe["d"] == [1.0, None]
    assert set(safe["nonfinite"]) == {"a", "b.c", "d[1]"}
    emit(result, as_json=True)
    printed = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(c))
    assert printed["e"] == 2.0 and printed["a"] is None


def test_messages_are_one_short_line():
    assert one_line("a\nb\tc") == "a b c"
    assert len(one_line("x" * 10_000)) <= 400
    assert "(10000 characters)" in shorten("y" * 10_000)
