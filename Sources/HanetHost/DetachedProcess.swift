import Glibc

/// A copy of this process that outlives it, without exec: the guard and
/// the background announcer.
///
/// Pacemaker's executor waits until an agent's pipes close; a child that
/// kept them would hold up the whole transition. So the child forks twice
/// (the first child exits at once, the grandchild is adopted by init), starts
/// a new session, points stdio at /dev/null and closes every other
/// descriptor it was not told to keep. No exec: no other program runs, and
/// the child keeps the code it needs. Forking without exec is only safe in a
/// single-threaded process (an agent), never behind a library caller's back.
enum DetachedProcess {
    /// Runs `body` in a detached grandchild; returns once the intermediate
    /// child has exited (immediately). False if a fork failed.
    static func spawn(keeping keep: [Int32] = [], _ body: () -> Never) -> Bool {
        let first = fork()
        if first < 0 { return false }
        if first == 0 {
            _ = setsid()
            let second = fork()
            if second != 0 { _exit(second < 0 ? 1 : 0) }
            detach(keeping: keep)
            body()
        }
        var status: Int32 = 0
        _ = waitpid(first, &status, 0)
        return status == 0
    }

    /// Stdio to /dev/null, every other descriptor but `keep` closed.
    static func detach(keeping keep: [Int32]) {
        let null = open("/dev/null", O_RDWR)
        if null >= 0 {
            dup2(null, 0); dup2(null, 1); dup2(null, 2)
            if null > 2 { close(null) }
        }
        var fd: Int32 = 3
        while fd < 1024 {
            if !keep.contains(fd) { close(fd) }
            fd += 1
        }
        umask(0o022)
        _ = chdir("/")
    }
}
