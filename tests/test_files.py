"""ganbook.files.atomic_write: a file is either completely written or not there at all."""

import pytest

from ganbook.files import atomic_write


def test_writes_the_file_and_creates_its_folder(tmp_path):
    path = tmp_path / "a" / "b" / "out.bin"
    assert atomic_write(path, lambda handle: handle.write(b"hello")) == path
    assert path.read_bytes() == b"hello"
    assert sorted(p.name for p in path.parent.iterdir()) == ["out.bin"]


def test_failing_writer_leaves_no_file_and_no_partial(tmp_path):
    path = tmp_path / "out.bin"

    def write(handle):
        handle.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(str(path), write)
    assert list(tmp_path.iterdir()) == []


def test_failing_writer_keeps_the_previous_file(tmp_path):
    path = tmp_path / "out.bin"
    atomic_write(path, lambda handle: handle.write(b"old"))
    with pytest.raises(ZeroDivisionError):
        atomic_write(path, lambda handle: handle.write(b"new") + 1 / 0)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_replaces_an_existing_file(tmp_path):
    path = tmp_path / "out.bin"
    atomic_write(path, lambda handle: handle.write(b"first, longer"))
    atomic_write(path, lambda handle: handle.write(b"second"))
    assert path.read_bytes() == b"second"


def _hold_lock(lock, log, seconds):
    import time

    from ganbook.files import exclusive

    with exclusive(lock):
        with open(log, "a") as handle:
            handle.write("start ")
        time.sleep(seconds)
        with open(log, "a") as handle:
            handle.write("end ")


def test_exclusive_lets_one_process_in_at_a_time(tmp_path):
    import multiprocessing

    lock, log = tmp_path / "cache" / "x.lock", tmp_path / "log.txt"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_hold_lock, args=(lock, log, 0.5)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert all(worker.exitcode == 0 for worker in workers)
    assert log.read_text() == "start end start end "  # never two "start" in a row
