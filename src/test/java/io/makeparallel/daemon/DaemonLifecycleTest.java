package io.makeparallel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.python.PythonTestSupport;
import io.makeparallel.testing.ProcessRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A daemon's life (issue 10) in a copied distribution whose makeparallel jar the test may
 * touch: a daemon whose jars changed refuses the run (the client runs it cold) and exits; a
 * daemon killed leaves a stale socket that makes the next run cold and start a new daemon; an
 * idle daemon exits by itself. One flow, since each step needs the daemon the previous started.
 */
class DaemonLifecycleTest {
  @TempDir static Path tmp;
  private static DaemonHarness h;

  @AfterAll
  static void stopDaemons() {
    if (h != null) {
      h.stopAll();
    }
  }

  /** The built distribution, with its own copy of makeparallel.jar and links to the rest. */
  private static Path copyDist() throws Exception {
    Path from = PythonTestSupport.repo().resolve("target/dist");
    if (!Files.isRegularFile(from.resolve("makeparallel"))) {
      // A clean clone under `mvn test` has no distribution yet (package comes after test): the
      // launcher builds it on first use, as for a user.
      ProcessBuilder pb = new ProcessBuilder(PythonTestSupport.repo().resolve("makeparallel").toString(),
          "-c", "pass").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
      pb.environment().put("MAKEPARALLEL_DAEMON", "0");
      Process p = pb.start();
      if (!p.waitFor(600, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor();
      }
      assertEquals(0, p.exitValue(), "the launcher's first-use build of target/dist");
    }
    Path to = tmp.resolve("dist");
    Files.createDirectories(to.resolve("lib"));
    Files.copy(from.resolve("makeparallel"), to.resolve("makeparallel"));
    Files.createSymbolicLink(to.resolve("jit"), from.resolve("jit"));
    try (Stream<Path> jars = Files.list(from.resolve("lib"))) {
      for (Path jar : jars.toList()) {
        Path dest = to.resolve("lib").resolve(jar.getFileName());
        if (jar.getFileName().toString().equals("makeparallel.jar")) {
          Files.copy(jar, dest);
        } else {
          Files.createSymbolicLink(dest, jar);
        }
      }
    }
    return to;
  }

  private static long onlyPid() throws Exception {
    h.status();
    List<Long> live = h.pids().stream().filter(p -> ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false)).toList();
    assertEquals(1, live.size(), () -> "live daemons: " + live);
    return live.get(0);
  }

  private static void awaitGone(long pid, int seconds) {
    DaemonHarness.waitFor(seconds, () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true),
        "daemon " + pid + " to exit");
  }

  /**
   * A daemon that cannot start (here: a heap size the JVM rejects) leaves the first run cold:
   * its client sees the daemon's process end and runs the script itself, with its output and
   * status, and no daemon is left.
   */
  @Test
  void aFirstRunWhoseDaemonCannotStartRunsCold() throws Exception {
    DaemonHarness bad = new DaemonHarness(PythonTestSupport.repo().resolve("makeparallel"),
        tmp.resolve("bad"), Map.of("MAKEPARALLEL_DAEMON_HEAP", "lots"));
    try {
      ProcessRun r = bad.run("-c", "import sys; print('cold anyway'); sys.exit(4)");
      assertEquals(4, r.status(), r::err);
      assertEquals("cold anyway\n", r.out());
      assertTrue(bad.sockets().stream().noneMatch(DaemonHarness::listening), () -> "a daemon: " + bad.sockets());
      try (Stream<Path> files = Files.list(bad.daemonDir())) {
        Path log = files.filter(f -> f.toString().endsWith(".log")).findFirst().orElseThrow();
        assertTrue(Files.readString(log).contains("Xmxlots"), "the daemon's log says why it did not start");
      }
    } finally {
      bad.stopAll();
    }
  }

  @Test
  void changedJarsAreRefusedAStaleSocketRunsColdAndAnIdleDaemonExits() throws Exception {
    Path dist = copyDist();
    h = new DaemonHarness(dist.resolve("makeparallel"), tmp, Map.of());
    // The first run starts the daemon and runs in it, so its compiled code stays.
    ProcessRun firstRun = h.run("-c", "import os; print(os.getpid())");
    assertEquals(0, firstRun.status(), firstRun::err);
    long first = onlyPid();
    assertEquals(first + "\n", firstRun.out(), "the first run must run in the daemon it started");
    assertEquals(1, h.runsServed());
    Path oldSocket = h.sockets().get(0);
    String oldKey = oldSocket.getFileName().toString().replaceAll("^d-|\\.sock$", "");
    assertEquals("warm\n", h.run("-c", "print('warm')").out());
    assertEquals(2, h.runsServed());

    // A rebuilt jar: the old daemon must refuse a client still holding its key, and exit.
    Path jar = dist.resolve("lib/makeparallel.jar");
    Files.setLastModifiedTime(jar, FileTime.from(Instant.now().plusSeconds(5)));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-Dmakeparallel.launcher=" + dist.resolve("makeparallel"),
        "-cp", jar.toString(), "io.makeparallel.daemon.Client", oldSocket.toString(), oldKey,
        "-c", "print('cold after refusal')");
    pb.environment().putAll(h.command(Map.of()).environment());
    pb.environment().put("MAKEPARALLEL_DAEMON", "0"); // this fallback starts no daemon
    Path out = h.work().resolve("refused.out");
    Process p = pb.directory(h.work().toFile()).redirectOutput(out.toFile()).redirectErrorStream(true).start();
    assertTrue(p.waitFor(300, TimeUnit.SECONDS));
    assertEquals("cold after refusal\n", Files.readString(out));
    assertEquals(0, p.exitValue());
    awaitGone(first, 60);
    assertFalse(Files.exists(oldSocket), "the refusing daemon must remove its socket");

    // A cold run on the new jars starts a daemon for them; killed, it leaves a stale socket.
    h.startDaemon();
    long second = onlyPid();
    Path socket = h.sockets().get(0);
    assertFalse(socket.equals(oldSocket), "a daemon of the changed jars must have another key");
    ProcessHandle.of(second).ifPresent(ProcessHandle::destroyForcibly);
    awaitGone(second, 60);
    assertTrue(Files.exists(socket), "a killed daemon leaves its socket behind");

    // The next run finds nobody there: it runs cold (right output and status), and starts a
    // daemon that exits by itself after ten idle seconds.
    ProcessRun r = h.run(Map.of("MAKEPARALLEL_DAEMON_IDLE", "10"), "", "-c", "import sys; print('cold'); sys.exit(3)");
    assertEquals(3, r.status(), r::err);
    assertEquals("cold\n", r.out());
    DaemonHarness.waitFor(600, () -> Files.exists(socket) && DaemonHarness.listening(socket), "a new daemon on " + socket);
    long third = onlyPid();
    awaitGone(third, 120);
    assertFalse(Files.exists(socket), "an idle daemon must remove its socket");
  }
}
