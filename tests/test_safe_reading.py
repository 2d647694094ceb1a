"""`safe_yaml.read_text_and_sha256`: the one reader of user files (inventories, rule packs, registers, waivers)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from residency_scan.errors import InputError
from residency_scan.safe_yaml import read_text, read_text_and_sha256


def test_the_hash_is_of_the_bytes_on_disk_bom_included(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    data = "\ufeffclé: valeur\n".encode()
    path.write_bytes(data)
    text, digest = read_text_and_sha256(path)
    assert text == "clé: valeur\n"
    assert digest == hashlib.sha256(data).hexdigest() != hashlib.sha256(text.encode()).hexdigest()
    assert read_text(path) == text


def test_over_the_limit_not_utf8_and_missing_are_input_errors(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"x" * 11)
    with pytest.raises(InputError, match="11 bytes, over the limit of 10"):
        read_text_and_sha256(big, max_bytes=10, what="register")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(InputError) as caught:
        read_text_and_sha256(latin, utf8_hint="save it as UTF-8, please")
    (problem,) = caught.value.problems
    assert problem.line == 2 and problem.hint == "save it as UTF-8, please"
    with pytest.raises(InputError, match="waiver file not found"):
        read_text_and_sha256(tmp_path / "absent.yaml", what="waiver file")
