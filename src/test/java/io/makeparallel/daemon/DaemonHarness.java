package io.makeparallel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.makeparallel.testing.ProcessRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs a real {@code makeparallel} launcher with the daemon on, in its own cache folder (so its
 * daemon is its own), and stops every daemon it saw at the end. Not thread-safe: one per test
 * class, used from the test thread (processes it starts run concurrently).
 */
final class DaemonHarness {
  /** Interpreter-only and no class-data archive: no background linking or recording to wait for. */
  private final Map<String, String> env = new HashMap<>();
  private final Path launcher;
  private final Path cache;
  private final Path work;
  private final List<Long> pids = new ArrayList<>();

  DaemonHarness(Path launcher, Path tmp, Map<String, String> extraEnv) throws IOException {
    this.launcher = launcher;
    this.cache = tmp.resolve("cache");
    this.work = tmp.resolve("work");
    Files.createDirectories(work);
    env.put("MAKEPARALLEL_CACHE", cache.toString());
    env.put("MAKEPARALLEL_JIT", "0");
    env.put("MAKEPARALLEL_CDS", "0");
    env.put("MAKEPARALLEL_QUIET", "1");
    env.put("MAKEPARALLEL_DAEMON_HEAP", "1g");
    // The daemon and its client on the JDK running the tests (17 as well as 25).
    env.put("MAKEPARALLEL_JAVA_HOME", System.getProperty("java.home"));
    env.remove("MAKEPARALLEL_DAEMON");
    env.putAll(extraEnv);
  }

  Path work() {
    return work;
  }

  Path daemonDir() {
    return cache.resolve("daemon");
  }

  ProcessBuilder command(Map<String, String> extraEnv, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(launcher.toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile());
    pb.environment().remove("MAKEPARALLEL_DAEMON");
    pb.environment().putAll(env);
    pb.environment().putAll(extraEnv);
    return pb;
  }

  /** Runs to the end (bounded), with {@code stdin} as input; stdout and stderr apart. */
  ProcessRun run(Map<String, String> extraEnv, String stdin, String... args) throws Exception {
    return ProcessRun.of(command(extraEnv, args), stdin, Files.createTempFile(work, "out", ".txt"),
        Files.createTempFile(work, "err", ".txt"), Duration.ofSeconds(300));
  }

  ProcessRun run(String... args) throws Exception {
    return run(Map.of(), "", args);
  }

  /** The daemon sockets in this harness's cache. */
  List<Path> sockets() {
    if (!Files.isDirectory(daemonDir())) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(daemonDir())) {
      return s.filter(p -> p.getFileName().toString().endsWith(".sock")).toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  /** A cold run that starts the daemon, then waits (bounded) until its socket is there. */
  void startDaemon() throws Exception {
    // A variable only the daemon's own environment has: runs must never see it.
    ProcessRun r = run(Map.of("MP_ONLY_DAEMON", "1"), "", "-c", "pass");
    assertEquals(0, r.status(), r::err);
    waitFor(600, () -> !sockets().isEmpty(), "the daemon's socket in " + daemonDir());
    status(); // remember its pid for the clean-up
  }

  /** {@code --daemon status}; remembers the pids it lists. */
  String status() throws Exception {
    ProcessRun r = run("--daemon", "status");
    Matcher m = Pattern.compile("pid (\\d+)").matcher(r.out());
    while (m.find()) {
      long pid = Long.parseLong(m.group(1));
      if (!pids.contains(pid)) {
        pids.add(pid);
      }
    }
    return r.out();
  }

  /** Runs the daemon has served, from the status line (exactly one daemon expected). */
  long runsServed() throws Exception {
    String s = status();
    Matcher m = Pattern.compile("runs (\\d+)").matcher(s);
    if (!m.find()) {
      fail("no daemon in status: " + s);
    }
    return Long.parseLong(m.group(1));
  }

  List<Long> pids() {
    return List.copyOf(pids);
  }

  /** Stops the daemons (status, stop, then kill what is still alive). Never throws. */
  void stopAll() {
    try {
      status();
      run("--daemon", "stop");
    } catch (Exception e) {
      // fall through to the kill
    }
    for (long pid : pids) {
      Optional<ProcessHandle> h = ProcessHandle.of(pid);
      if (h.isEmpty()) {
        continue;
      }
      try {
        h.get().onExit().get(20, TimeUnit.SECONDS);
      } catch (Exception e) {
        h.get().destroyForcibly();
      }
    }
  }

  /** True when a daemon accepts connections on {@code socket} (not a stale file). */
  static boolean listening(Path socket) {
    java.nio.channels.SocketChannel ch = Client.connect(socket);
    if (ch == null) {
      return false;
    }
    try {
      ch.close();
    } catch (IOException e) {
      // closed anyway
    }
    return true;
  }

  static void waitFor(int seconds, BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("not reached within " + seconds + " s: " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // bounded poll of another process
    }
  }
}
