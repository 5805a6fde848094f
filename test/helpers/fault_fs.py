#!/usr/bin/env python3
"""A FUSE passthrough file system that fails on demand, for storage fault tests.

    fault_fs.py BACKING MOUNTPOINT CONTROL

Mirrors the folder BACKING at MOUNTPOINT (in the foreground, until unmounted).
While the file CONTROL holds "fail", every write, fsync, create and rename
fails with EIO; reads and everything else go on. CONTROL is read at every
such operation: a switch holds from the next one on.
"""
import errno
import os
import sys

try:
    from fuse import FUSE, FuseOSError, Operations
except ImportError:  # Debian's python3-fusepy names the module fusepy
    from fusepy import FUSE, FuseOSError, Operations


class FaultFs(Operations):
    def __init__(self, root, control):
        self.root = root
        self.control = control

    def _path(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def _fault(self):
        try:
            with open(self.control) as f:
                failing = f.read().strip() == "fail"
        except OSError:
            failing = False
        if failing:
            raise FuseOSError(errno.EIO)

    # What may fail.
    def write(self, path, data, offset, fh):
        self._fault()
        return os.pwrite(fh, data, offset)

    def fsync(self, path, datasync, fh):
        self._fault()
        if datasync:
            os.fdatasync(fh)
        else:
            os.fsync(fh)
        return 0

    def create(self, path, mode, fi=None):
        self._fault()
        return os.open(self._path(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)

    def rename(self, old, new):
        self._fault()
        return os.rename(self._path(old), self._path(new))

    # Passed through.
    def getattr(self, path, fh=None):
        st = os.lstat(self._path(path))
        keys = ("st_atime", "st_ctime", "st_gid", "st_mode", "st_mtime", "st_nlink", "st_size", "st_uid")
        return {key: getattr(st, key) for key in keys}

    def readdir(self, path, fh):
        return [".", ".."] + os.listdir(self._path(path))

    def open(self, path, flags):
        return os.open(self._path(path), flags)

    def read(self, path, size, offset, fh):
        return os.pread(fh, size, offset)

    def truncate(self, path, length, fh=None):
        if fh is not None:
            os.ftruncate(fh, length)
        else:
            os.truncate(self._path(path), length)

    def flush(self, path, fh):
        return 0

    def release(self, path, fh):
        os.close(fh)
        return 0

    def fsyncdir(self, path, datasync, fh):
        return 0

    def opendir(self, path):
        return 0

    def link(self, target, source):
        return os.link(self._path(source), self._path(target))

    def symlink(self, target, source):
        return os.symlink(source, self._path(target))

    def readlink(self, path):
        return os.readlink(self._path(path))

    def unlink(self, path):
        return os.unlink(self._path(path))

    def mkdir(self, path, mode):
        return os.mkdir(self._path(path), mode)

    def rmdir(self, path):
        return os.rmdir(self._path(path))

    def chmod(self, path, mode):
        return os.chmod(self._path(path), mode)

    def utimens(self, path, times=None):
        return os.utime(self._path(path), times)

    def access(self, path, amode):
        if not os.access(self._path(path), amode):
            raise FuseOSError(errno.EACCES)
        return 0

    def statfs(self, path):
        st = os.statvfs(self._path(path))
        keys = ("f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree", "f_files", "f_flag", "f_frsize", "f_namemax")
        return {key: getattr(st, key) for key in keys}


if __name__ == "__main__":
    backing, mountpoint, control = sys.argv[1:4]
    FUSE(FaultFs(os.path.realpath(backing), control), mountpoint, foreground=True, nothreads=True)
