"""The files a backup is written through: made exclusively (O_EXCL: a file
or symlink someone put in the way is never written through), readable by
their owner only, in a folder nobody else can list or enter."""

import os
import stat

import pytest

from ops.backup import database_backup

pytestmark = pytest.mark.django_db


@pytest.mark.only_on("sqlite")  # the SQLite copy is made by this process
def test_every_file_a_backup_makes_is_made_exclusively_in_a_private_folder(tmp_path, monkeypatch):
    made = []
    real_open = os.open

    def recording_open(path, flags, mode=0o777, *args, **kwargs):
        if flags & os.O_CREAT:
            folder = os.path.dirname(os.path.abspath(path))
            made.append((str(path), flags, mode, stat.S_IMODE(os.stat(folder).st_mode)))
        return real_open(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", recording_open)
    output = tmp_path / "shared" / "crest.sqlite3"
    database_backup(output=output, unencrypted=True)
    assert made, "the backup made its files with os.open"
    for path, flags, mode, folder_mode in made:
        assert flags & os.O_EXCL, path
        assert mode == 0o600, path
        assert folder_mode & 0o077 == 0 or os.path.dirname(path) == str(output.parent), path
    assert stat.S_IMODE(output.stat().st_mode) == 0o600


@pytest.mark.only_on("sqlite")  # the SQLite copy is made by this process
def test_a_symlink_in_the_way_of_the_backup_is_never_written_through(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    output = tmp_path / "crest.sqlite3"
    (tmp_path / "crest.sqlite3.partial").symlink_to(victim)
    database_backup(output=output, unencrypted=True)
    assert victim.read_text() == "keep me"
    assert output.read_bytes().startswith(b"SQLite format 3")
