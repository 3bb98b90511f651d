#ifndef FLATMIN_TEMPORARY_FILES_H
#define FLATMIN_TEMPORARY_FILES_H

/// Temporary files that must not outlive the process: a tool writes its output beside the
/// target and renames it into place at the end, so an interrupted run (SIGINT, SIGTERM, SIGHUP,
/// a file-size limit) must remove the temporary file before the process dies. Removing it is
/// done from the signal handler itself, which is why this lives in C: the handler may only
/// call async-signal-safe functions and read memory that is never reallocated.

/// Creates `path` (O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, `mode` less the umask), registers
/// it for removal on a fatal signal and installs the handlers (once), with the fatal signals held
/// back in between: a signal cannot come after the file exists and before it is registered.
/// Returns the descriptor (or -1 with errno set) and in `*slot` the slot to pass to
/// `flatmin_forget_temporary`, or -1 when the path is too long or every slot is taken (the file
/// is then still removed on a normal exit, just not on a signal).
int flatmin_create_temporary(const char *path, unsigned int mode, int *slot);

/// The file was renamed into place or removed: a signal must no longer touch it.
void flatmin_forget_temporary(int slot);

#endif
