import Glibc

/// stdout is a pipe under tests and `tee`: flush so each event line leaves at once.
func fflushStdout() { fflush(nil) }
