// Whether a process id names a live process: for state files and temp dirs left by other processes.

/** True for a live process, this user's or another's (EPERM); false once it is gone (ESRCH). */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ESRCH") return false;
    // EPERM: it exists but belongs to someone else.
    if (code === "EPERM") return true;
    throw error;
  }
}
