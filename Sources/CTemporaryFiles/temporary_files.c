#include "temporary_files.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

enum { slot_count = 16, path_capacity = 4096 };

/// A slot's path is written completely before `in_use` is set, and `in_use` is cleared before
/// the slot is reused, so the handler never reads a half-written path.
static char paths[slot_count][path_capacity];
static volatile sig_atomic_t in_use[slot_count];
static volatile sig_atomic_t handlers_installed;

static const int fatal_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static void remove_temporaries_and_die(int signal_number) {
    for (int slot = 0; slot < slot_count; slot++) {
        if (in_use[slot]) unlink(paths[slot]);
    }
    // Die of the same signal, so the parent shell sees what happened (exit status 128 + n).
    signal(signal_number, SIG_DFL);
    raise(signal_number);
}

static void install_handlers(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = remove_temporaries_and_die;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++) {
        struct sigaction previous;
        // A signal the caller chose to ignore (nohup, a shell's background job) stays ignored.
        if (sigaction(fatal_signals[i], NULL, &previous) == 0 && previous.sa_handler == SIG_IGN) continue;
        sigaddset(&action.sa_mask, fatal_signals[i]);
    }
    for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++) {
        struct sigaction previous;
        if (sigaction(fatal_signals[i], NULL, &previous) == 0 && previous.sa_handler == SIG_IGN) continue;
        sigaction(fatal_signals[i], &action, NULL);
    }
    // Past a file-size limit (ulimit -f) write() then fails with EFBIG, which the writer
    // reports and cleans up after, instead of the process being killed mid-file.
    signal(SIGXFSZ, SIG_IGN);
    handlers_installed = 1;
}

static int track_temporary(const char *path) {
    size_t length = strlen(path);
    if (length >= path_capacity) return -1;
    if (!handlers_installed) install_handlers();
    for (int slot = 0; slot < slot_count; slot++) {
        if (in_use[slot]) continue;
        memcpy(paths[slot], path, length + 1);
        in_use[slot] = 1;
        return slot;
    }
    return -1;
}

void flatmin_forget_temporary(int slot) {
    if (slot >= 0 && slot < slot_count) in_use[slot] = 0;
}

int flatmin_create_temporary(const char *path, unsigned int mode, int *slot) {
    if (!handlers_installed) install_handlers();
    sigset_t fatal, previous;
    sigemptyset(&fatal);
    for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++) sigaddset(&fatal, fatal_signals[i]);
    sigprocmask(SIG_BLOCK, &fatal, &previous);
    int descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);
    int saved = errno;
    *slot = descriptor >= 0 ? track_temporary(path) : -1;
    sigprocmask(SIG_SETMASK, &previous, NULL);
    errno = saved;
    return descriptor;
}
