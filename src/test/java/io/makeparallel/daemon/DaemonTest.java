package io.makeparallel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.python.PythonTestSupport;
import io.makeparallel.testing.ProcessRun;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warm daemon end to end through the real {@code ./makeparallel} launcher (issue 10): one
 * daemon shared by the tests of this class (its start costs seconds), each test checking
 * through the daemon's run counter that its runs were warm and not the cold fallback.
 */
class DaemonTest {
  @TempDir static Path tmp;
  private static DaemonHarness h;

  @BeforeAll
  static void startDaemon() throws Exception {
    h = new DaemonHarness(PythonTestSupport.repo().resolve("makeparallel"), tmp, Map.of());
    h.startDaemon();
  }

  @AfterAll
  static void stopDaemon() {
    if (h != null) {
      h.stopAll();
      for (long pid : h.pids()) {
        assertTrue(ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true), "daemon " + pid + " still alive");
      }
    }
  }

  private static Path write(String name, String text) throws Exception {
    Path f = h.work().resolve(name);
    Files.createDirectories(f.getParent());
    Files.writeString(f, text);
    return f;
  }

  @Test
  void argvCwdEnvironmentAndStdinAreTheClients() throws Exception {
    Path script = write("sub/show.py", String.join("\n",
        "import os, sys",
        "print(sys.argv[1:])",
        "print(os.path.basename(sys.argv[0]), __name__, os.path.basename(__file__))",
        "print(os.getcwd())",
        "print(os.environ.get('MP_DAEMON_PROBE'), 'MP_ONLY_DAEMON' in os.environ)",
        "print(sys.stdin.read().split())",
        ""));
    long before = h.runsServed();
    ProcessRun r = h.run(Map.of("MP_DAEMON_PROBE", "from-client"), "line one\nline two\n",
        "sub/show.py", "a b", "--flag");
    assertEquals(0, r.status(), r::err);
    assertEquals(String.join("\n", "['a b', '--flag']", "show.py __main__ show.py",
        h.work().toRealPath().toString(), "from-client False", "['line', 'one', 'line', 'two']", ""), r.out());
    assertEquals(before + 1, h.runsServed(), "the run was not served by the daemon");
    assertTrue(Files.exists(script));
  }

  @Test
  void theDaemonsYoungGenerationIsAQuarterOfItsHeapCap() throws Exception {
    long before = h.runsServed();
    ProcessRun r = h.run("-c", "print(sorted(a.decode() for a in open('/proc/self/cmdline', 'rb').read()"
        + ".split(b'\\0') if a.startswith((b'-Xmn', b'-Xmx'))))");
    assertEquals(0, r.status(), r::err);
    assertEquals("['-Xmn256m', '-Xmx1g']\n", r.out()); // MAKEPARALLEL_DAEMON_HEAP=1g (DaemonHarness)
    assertEquals(before + 1, h.runsServed(), "the run was not served by the daemon");
  }

  @Test
  void stdoutAndStderrArriveInTheOrderWritten() throws Exception {
    ProcessBuilder pb = h.command(Map.of(), "-c", String.join("\n",
        "import sys",
        "for i in range(3):",
        "    print('out', i, flush=True)",
        "    print('err', i, file=sys.stderr, flush=True)",
        "")).redirectErrorStream(true);
    Path both = h.work().resolve("both.txt");
    pb.redirectOutput(both.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Process p = pb.start();
    assertTrue(p.waitFor(300, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue());
    assertEquals("out 0\nerr 0\nout 1\nerr 1\nout 2\nerr 2\n", Files.readString(both));
  }

  /**
   * makeparallel's own warnings of a warm run reach that run's stderr, at the level the run's
   * environment asks for, as in a cold run (they went to the daemon's log file).
   */
  @Test
  void aWarmRunsLogLinesGoToItsStderrAtItsOwnLevel() throws Exception {
    String script = String.join("\n",
        "import makeparallel as mp",
        "def bad(_): raise RuntimeError('boom in callback')",
        "h = mp.parallel(abs)(-3)",
        "h.on_complete(bad)",
        "print(h.get())",
        "");
    long before = h.runsServed();
    ProcessRun loud = h.run("-c", script);
    assertEquals(0, loud.status(), loud::err);
    assertEquals("3\n", loud.out());
    assertTrue(loud.err().contains("WARN  makeparallel - on_complete callback of task_")
        && loud.err().contains("raised and was ignored: RuntimeError: boom in callback"), loud::err);
    ProcessRun quiet = h.run(Map.of("MAKEPARALLEL_LOG", "off"), "", "-c", script);
    assertEquals("3\n", quiet.out());
    assertEquals("", quiet.err());
    assertEquals(before + 2, h.runsServed(), "the runs were not the daemon's");
  }

  @Test
  void exitStatusesAreTheColdLaunchers() throws Exception {
    long before = h.runsServed();
    assertEquals(0, h.run("-c", "print('fine')").status());
    assertEquals(5, h.run("-c", "raise SystemExit(5)").status());
    ProcessRun msg = h.run("-c", "import sys; sys.exit('bad thing')");
    assertEquals(1, msg.status());
    assertEquals("bad thing\n", msg.err());
    ProcessRun boom = h.run("-c", "def f():\n    raise ValueError('boom')\nf()\n");
    assertEquals(1, boom.status());
    assertTrue(boom.err().startsWith("Traceback (most recent call last):"), boom.err());
    assertTrue(boom.err().contains("line 2, in f") && boom.err().endsWith("ValueError: boom\n"), boom.err());
    // os._exit from another thread ends this run with its status at once, not the daemon.
    ProcessRun exit = h.run("-c", String.join("\n",
        "import os, threading",
        "print('before', flush=True)",
        "threading.Thread(target=lambda: os._exit(7)).start()",
        "threading.Event().wait(600)",
        "print('never')",
        ""));
    assertEquals(7, exit.status(), exit::err);
    assertEquals("before\n", exit.out());
    assertEquals(before + 5, h.runsServed(), "runs were not served by the daemon");
  }

  /**
   * A script runs as a cached polyglot Source in {@code __main__} (its compiled code is reused
   * by the next run) with the cold launcher's semantics: {@code __name__}, {@code __file__},
   * tracebacks from the script's own lines, and {@code sys.exit} as an exit status after the
   * tasks still running have finished.
   */
  @Test
  void aScriptRunsAsMainAndSysExitStillWaitsForItsTasks() throws Exception {
    write("main/ends.py", String.join("\n",
        "import sys, threading, makeparallel as mp",
        "gate = threading.Event()",
        "h = mp.parallel(lambda: (gate.wait(60), print('task finished', flush=True)))()",
        "if __name__ == '__main__':",
        "    print('main', __file__.endswith('ends.py'), flush=True)",
        "    gate.set()",
        "    sys.exit(4)",
        ""));
    for (int i = 0; i < 2; i++) {
      ProcessRun r = h.run("main/ends.py");
      assertEquals(4, r.status(), r::err);
      assertEquals("main True\ntask finished\n", r.out());
    }
    write("main/fails.py", "def f():\n    raise KeyError('k')\nf()\n");
    ProcessRun r = h.run("main/fails.py");
    assertEquals(1, r.status());
    assertEquals(String.join("\n", "Traceback (most recent call last):",
        "  File \"" + h.work().resolve("main/fails.py") + "\", line 3, in <module>", "    f()",
        "  File \"" + h.work().resolve("main/fails.py") + "\", line 2, in f", "    raise KeyError('k')",
        "KeyError: 'k'", ""), r.err());
  }

  @Test
  void aModuleEditedBetweenRunsIsNeverStale() throws Exception {
    String main = String.join("\n",
        "import makeparallel as mp, helper",
        "print(helper.VALUE, mp.parallel_map(helper.value, [0], backend='interpreters'))",
        "");
    write("stale/main.py", main);
    // The worker interpreter's print reaches this run's client too.
    write("stale/helper.py", "VALUE = 1\ndef value(_):\n    print('in worker', flush=True)\n    return VALUE\n");
    assertEquals("in worker\n1 [1]\n", h.run("stale/main.py").out());
    write("stale/helper.py", "VALUE = 222\ndef value(_):\n    return VALUE\n");
    ProcessRun r = h.run("stale/main.py");
    assertEquals("222 [222]\n", r.out(), r::err);
  }

  @Test
  void theNextRunFindsItsWorkerInterpretersBuiltWhenTheLastOneUsedThem() throws Exception {
    write("ready/use.py", "import makeparallel as mp\nprint(mp.parallel_map(abs, [-1], backend='interpreters'))\n");
    // Worker threads of this run's interpreters pool alive when its script starts.
    write("ready/probe.py", "from makeparallel._bridge import control\nprint(control.liveThreads('interpreters'))\n");
    assertEquals("[1]\n", h.run("ready/use.py").out());
    ProcessRun r = h.run("ready/probe.py");
    assertTrue(Integer.parseInt(r.out().trim()) >= 1, () -> "workers prepared while idle: " + r.out() + r.err());
    // That run used none: the run after it starts without any.
    assertEquals("0\n", h.run("ready/probe.py").out());
  }

  @Test
  void twoClientsAtOnceRunSideBySide() throws Exception {
    // Each run waits (bounded) until the other has started: both must be in the daemon at once.
    String code = String.join("\n",
        "import os, sys, time",
        "me, other = sys.argv[1], sys.argv[2]",
        "open(me, 'w').close()",
        "deadline = time.time() + 240",
        "while not os.path.exists(other):",
        "    if time.time() > deadline:",
        "        sys.exit('the other run never started')",
        "    time.sleep(0.02)",
        "print('met', me)",
        "");
    long before = h.runsServed();
    ProcessBuilder a = h.command(Map.of(), "-c", code, "a.mark", "b.mark");
    ProcessBuilder b = h.command(Map.of(), "-c", code, "b.mark", "a.mark");
    Path outA = h.work().resolve("a.out");
    Path outB = h.work().resolve("b.out");
    Process pa = a.redirectOutput(outA.toFile()).redirectErrorStream(true).start();
    Process pb = b.redirectOutput(outB.toFile()).redirectErrorStream(true).start();
    try {
      assertTrue(pa.waitFor(300, TimeUnit.SECONDS) && pb.waitFor(300, TimeUnit.SECONDS));
      assertEquals(0, pa.exitValue(), () -> read(outA));
      assertEquals(0, pb.exitValue(), () -> read(outB));
      assertEquals("met a.mark\n", read(outA));
      assertEquals("met b.mark\n", read(outB));
    } finally {
      pa.destroyForcibly();
      pb.destroyForcibly();
    }
    assertEquals(before + 2, h.runsServed(), "both runs must be the daemon's");
  }

  @Test
  void ctrlCCancelsAWarmRunWith130AndTheDaemonServesOn() throws Exception {
    Path out = h.work().resolve("spin.out");
    Path err = h.work().resolve("spin.err");
    // perl puts SIGINT back to its default before it execs the launcher (same pid), which
    // execs the client: a background build would otherwise pass on SIGINT ignored.
    ProcessBuilder pb = h.command(Map.of(), "-c", String.join("\n",
        "import makeparallel as mp, threading",
        "h = mp.parallel(lambda: threading.Event().wait(600))()",
        "print('started', flush=True)",
        "h.get()",
        ""));
    List<String> cmd = new java.util.ArrayList<>(List.of("perl", "-e",
        "$SIG{INT} = 'DEFAULT'; exec @ARGV or die \"exec: $!\""));
    cmd.addAll(pb.command());
    pb.command(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
    long before = h.runsServed();
    Process p = pb.start();
    try {
      DaemonHarness.waitFor(180, () -> read(out).contains("started") || !p.isAlive(), "the run to start");
      assertTrue(p.isAlive(), () -> "ended early: " + read(err));
      new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), () -> "no exit within 30 s of Ctrl-C: " + read(err));
      assertEquals(130, p.exitValue(), () -> read(err));
    } finally {
      p.destroyForcibly();
    }
    assertEquals(before + 1, h.runsServed(), "the run was not the daemon's");
    assertEquals("after\n", h.run("-c", "print('after')").out());
  }

  /** A client killed (its terminal closed, kill -9) must not leave its run going in the daemon. */
  @Test
  void aKilledClientsRunIsCancelled() throws Exception {
    Path out = h.work().resolve("orphan.out");
    ProcessBuilder pb = h.command(Map.of(), "-c", String.join("\n",
        "import threading",
        "print('started', flush=True)",
        "threading.Event().wait(600)",
        ""));
    pb.redirectOutput(out.toFile()).redirectErrorStream(true);
    Process p = pb.start();
    try {
      DaemonHarness.waitFor(180, () -> read(out).contains("started") || !p.isAlive(), "the run to start");
      assertTrue(p.isAlive(), () -> "ended early: " + read(out));
      assertTrue(h.status().contains("busy (1 running)"), "the run must be the daemon's");
      p.destroyForcibly(); // SIGKILL: the client cannot say goodbye
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      DaemonHarness.waitFor(60, () -> {
        try {
          return h.status().contains("idle since");
        } catch (Exception e) {
          return false;
        }
      }, "the daemon to end the orphaned run");
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void aKeyMismatchIsRefusedAndRunsCold() throws Exception {
    Path sock = h.sockets().get(0);
    long before = h.runsServed();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-Dmakeparallel.launcher="
        + PythonTestSupport.repo().resolve("makeparallel"), "-cp",
        PythonTestSupport.repo().resolve("target/dist/lib/makeparallel.jar").toString(),
        "io.makeparallel.daemon.Client", sock.toString(), "not-the-key", "-c", "print(6 * 7)")
        .directory(h.work().toFile());
    pb.environment().put("MAKEPARALLEL_DAEMON", "0"); // the cold fallback starts no daemon
    pb.environment().put("MAKEPARALLEL_QUIET", "1");
    pb.environment().put("MAKEPARALLEL_JIT", "0");
    pb.environment().put("MAKEPARALLEL_CDS", "0");
    pb.environment().put("MAKEPARALLEL_CACHE", h.daemonDir().getParent().toString());
    Path out = h.work().resolve("key.out");
    pb.redirectOutput(out.toFile()).redirectErrorStream(true);
    Process p = pb.start();
    assertTrue(p.waitFor(300, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), () -> read(out));
    assertEquals("42\n", read(out));
    assertEquals(before, h.runsServed(), "a run with another key must not be served");
  }

  @Test
  void theSocketLivesInADirectoryOnlyThisUserCanOpen() throws Exception {
    Path dir = h.daemonDir();
    assertEquals("rwx------", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS)));
    assertEquals(SocketDirs.ownUid(), (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS));
    assertEquals(1, h.sockets().size(), () -> h.sockets().toString());
  }

  private static String read(Path f) {
    try {
      return Files.readString(f);
    } catch (java.io.IOException e) {
      return "(" + e + ")";
    }
  }
}
