package io.makeparallel.python;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.TaskRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.graalvm.polyglot.Context;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14: a cancelled interpreters task does not leave the subprocess it started running,
 * orphaned (CPython's {@code subprocess.run} kills its child when interrupted).
 */
class WorkerSubprocessCleanupTest {
  private static final Duration BOUND = Duration.ofMinutes(5);

  private static final String SCRIPT = """
      import makeparallel as mp

      def run_sleeper(pidfile):
          import subprocess
          # The shell writes its pid and becomes the sleeper (exec): that pid is the child's.
          subprocess.run(["sh", "-c", "echo $$ > '%s.tmp' && mv '%s.tmp' '%s' && exec sleep 300"
                          % (pidfile, pidfile, pidfile)])
          return "sleeper returned"

      def start(pidfile):
          global handle
          handle = mp.parallel(backend="interpreters")(run_sleeper)(pidfile)
      """;

  @TempDir
  Path tmp;

  @Test
  void cancellingTheTaskKillsTheSubprocessItStarted() throws Exception {
    Path pidfile = tmp.resolve("sleeper.pid");
    try (Context ctx = PythonTestSupport.newContext()) {
      ctx.eval("python", SCRIPT);
      ctx.getBindings("python").getMember("start").execute(pidfile.toString());
      waitUntil(() -> Files.exists(pidfile), "the task never started its subprocess");
      long pid = Long.parseLong(Files.readString(pidfile).trim());
      assertTrue(alive(pid), "sleeper " + pid + " is not running");
      try {
        ctx.eval("python", "handle.cancel()");
        waitUntil(() -> !alive(pid), "sleeper " + pid + " still running after its task was cancelled");
      } finally {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
  }

  /**
   * At shutdown the worker contexts are closed, and with them what their tasks left running.
   * A private runtime, so closing it leaves the process-wide one to the other tests.
   */
  @Test
  void closingTheRuntimeKillsSubprocessesItsWorkersLeftRunning() throws Exception {
    TaskRuntime rt = TaskRuntime.builder().build();
    InterpreterBackend.register(rt);
    long pid;
    try (Context ctx = PythonContexts.builder(rt).allowProcesses(true).build()) {
      ctx.eval("python", """
          import makeparallel as mp

          def start_sleeper():
              import subprocess
              return subprocess.Popen(["sleep", "300"]).pid

          mp.configure(interpreters=1)
          pid = mp.parallel(backend="interpreters")(start_sleeper)().get(timeout=300)
          """);
      pid = ctx.getBindings("python").getMember("pid").asLong();
      try {
        assertTrue(alive(pid), "sleeper " + pid + " is not running");
        rt.close();
        waitUntil(() -> !alive(pid), "sleeper " + pid + " outlived the closed runtime's worker contexts");
      } finally {
        rt.close();
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
  }

  private static boolean alive(long pid) {
    Optional<ProcessHandle> h = ProcessHandle.of(pid);
    return h.isPresent() && h.get().isAlive();
  }

  private static void waitUntil(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + BOUND.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, what);
      LockSupport.parkNanos(20_000_000L);
    }
  }
}
