package pgserver

// PID returns the process id of the postmaster, the parent of every backend, so that a
// caller can measure the server's work (as the benchmark reads its CPU time).
func (s *Server) PID() int {
	if s.proc == nil {
		return 0
	}
	return s.proc.Pid
}
