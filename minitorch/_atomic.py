"""Replacing a file atomically: readers see the old file or the whole new one, never a part, and a process killed
while writing leaves nothing behind.

The new content goes to a temporary file in the target's directory, is flushed to disk, and is renamed over the
target; the directory is then flushed too, so that the rename itself survives a crash. On Linux the temporary has
no name while it is written (O_TMPFILE): a killed writer's data is freed by the kernel. It gets a name only for
the instant between linking it into the directory and the rename. Where O_TMPFILE is missing (other systems,
some filesystems) the temporary is named `.<target>.<pid>.<random>.tmp` from the start; a later write to the same
target removes such files whose process is gone."""
import errno
import os
import re
import stat
import uuid

_PROC_FD = "/proc/self/fd"


def atomic_write(path, write):
    """Replace the file at `path` (a real path, not a symlink) by one that `write(file)` fills."""
    directory, name = os.path.split(path)
    directory = directory or "."
    remove_stale_temporaries(directory, name)
    fd, tmp = _open_unnamed(directory)
    if fd is None:
        tmp = _temporary_name(directory, name)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
            if os.path.exists(path):  # keep the mode of the file being replaced
                os.chmod(f.fileno() if tmp is None else tmp, stat.S_IMODE(os.stat(path).st_mode))
            if tmp is None:  # give the unnamed file a name for the rename
                tmp = _temporary_name(directory, name)
                _link(f.fileno(), directory, os.path.basename(tmp))
        os.replace(tmp, path)
    except BaseException:
        if tmp is not None and os.path.lexists(tmp):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def _open_unnamed(directory):
    """(fd, None) for an unnamed file in `directory` (Linux O_TMPFILE, linkable through /proc), else (None, None)."""
    if not hasattr(os, "O_TMPFILE") or not os.path.isdir(_PROC_FD):
        return None, None
    try:
        return os.open(directory, os.O_TMPFILE | os.O_WRONLY, 0o666), None
    except OSError as e:
        if e.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT):  # not on this filesystem
            return None, None
        raise


def _link(fd, directory, name):
    """linkat(/proc/self/fd/N, directory/name, AT_SYMLINK_FOLLOW). os.link calls plain link(), which does not
    follow the /proc link, unless a dir_fd is given: so the directory goes in as one."""
    dir_fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.link(f"{_PROC_FD}/{fd}", name, dst_dir_fd=dir_fd, follow_symlinks=True)
    finally:
        os.close(dir_fd)


def _temporary_name(directory, name):
    return os.path.join(directory, f".{name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")


def remove_stale_temporaries(directory, name):
    """Delete temporaries of `name` left by writers that were killed (their process no longer exists)."""
    pattern = re.compile(rf"\.{re.escape(name)}\.(\d+)\.[0-9a-f]{{12}}\.tmp")
    try:
        entries = os.listdir(directory)
    except OSError:
        return
    for entry in entries:
        match = pattern.fullmatch(entry)
        if match and not _process_exists(int(match.group(1))):
            try:
                os.unlink(os.path.join(directory, entry))
            except FileNotFoundError:  # another writer removed it first
                pass


def _process_exists(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):  # alive but not ours, or not checkable: keep the file
        return True
    return True


def _fsync_directory(directory):
    """Flush the directory entry of the rename to disk (POSIX; a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as e:
        if e.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)
