/*
 * pause: the process that holds a pod sandbox's namespaces open. It sleeps until SIGINT or
 * SIGTERM (then exits 0) and, as PID 1 of a shared PID namespace, reaps every orphan that is
 * reparented to it. `pause -v` prints its version.
 *
 * Built by tools/images/system.sh with `gcc -static`; the project's own program, standing in
 * for registry.k8s.io/pause.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#ifndef PAUSE_VERSION
#define PAUSE_VERSION "sparkplat"
#endif

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig) { stop_signal = sig; }

/* SIGCHLD only has to interrupt sigsuspend; the reaping happens in main. */
static void on_child(int sig) { (void)sig; }

static int handle(int sig, void (*fn)(int)) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = sig == SIGCHLD ? SA_NOCLDSTOP : 0;
    return sigaction(sig, &sa, NULL);
}

int main(int argc, char **argv) {
    sigset_t watched, none;

    if (argc > 1 && strcmp(argv[1], "-v") == 0) {
        printf("pause version %s\n", PAUSE_VERSION);
        return 0;
    }
    /* Block the signals first: they are only delivered inside sigsuspend, so none is lost
     * between checking the flags and sleeping again. */
    sigemptyset(&watched);
    sigaddset(&watched, SIGINT);
    sigaddset(&watched, SIGTERM);
    sigaddset(&watched, SIGCHLD);
    sigemptyset(&none);
    if (sigprocmask(SIG_BLOCK, &watched, NULL) != 0 || handle(SIGINT, on_stop) != 0 ||
        handle(SIGTERM, on_stop) != 0 || handle(SIGCHLD, on_child) != 0) {
        perror("pause: installing signal handlers");
        return 1;
    }
    for (;;) {
        sigsuspend(&none);
        while (waitpid(-1, NULL, WNOHANG) > 0) {
        }
        if (stop_signal) {
            fprintf(stderr, "pause: shutting down, got signal %d\n", (int)stop_signal);
            return 0;
        }
    }
}
