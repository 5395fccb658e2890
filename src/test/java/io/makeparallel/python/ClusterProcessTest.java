package io.makeparallel.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.TaskRuntime;
import io.makeparallel.WorkerLostException;
import io.makeparallel.cluster.ClusterSettings;
import io.makeparallel.cluster.Loopback;
import io.makeparallel.cluster.TestCerts;
import io.makeparallel.internal.RuntimeAccess;
import io.makeparallel.task.Task;
import io.makeparallel.task.TaskSpec;
import io.makeparallel.task.TaskState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.graalvm.polyglot.Context;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Member processes started with {@code ./makeparallel member}, as a user starts them on other
 * machines, serving a caller in this JVM (which runs no calls itself): a rogue process is kept
 * out (no TLS; a certificate of another CA), a frozen member's call fails over as lost and is cancelled when it comes back, a member
 * killed with -9 fails its call within the failure-detection time, and SIGTERM leaves cleanly
 * with exit status 0. In a loopback-only network namespace; every process is stopped at the end.
 */
@Tag("cluster-processes")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ClusterProcessTest {
  private static final String SCRIPT = """
      import time, makeparallel._remote as r
      def spin(seconds):
          end = time.time() + seconds
          while time.time() < end:
              pass
          return seconds
      def payload(fn, *args):
          return r.encode_call(fn, args, {}, (), 0)[0]
      """;
  private static final String PEERS = "127.0.0.1:18100,127.0.0.1:18101,127.0.0.1:18102,127.0.0.1:18104";

  @TempDir
  static Path dir;
  static TestCerts certs;
  static final List<Process> processes = new ArrayList<>();
  static Process m1;
  static Process m2;
  static Process rogue;
  static Process untrusted;
  static TaskRuntime caller;
  static Context ctx;

  @BeforeAll
  static void start() throws Exception {
    Loopback.requireNamespace();
    certs = TestCerts.shared();
    // One after the other, as a cluster is usually brought up: each joins the running one.
    m1 = member("m1", 18101, "--keystore", certs.keystore("m1").toString(), "--truststore", certs.truststore().toString());
    Loopback.waitFor("m1 to start", 180, () -> log("m1").contains("worker interpreters"));
    m2 = member("m2", 18102, "--keystore", certs.keystore("m2").toString(), "--truststore", certs.truststore().toString());
    Loopback.waitFor("m2 to start", 180, () -> log("m2").contains("worker interpreters"));
    rogue = member("rogue", 18103, "--plaintext");
    // r1 is signed by another CA; it trusts ours, so only its own certificate is foreign
    untrusted = member("untrusted", 18104, "--keystore", certs.keystore("r1").toString(), "--truststore",
        certs.truststore().toString());
    caller = TaskRuntime.builder().build();
    ClusterBackend.join(caller, ClusterSettings.builder().name("proc").bind("127.0.0.1:18100").peers(PEERS)
        .keystore(certs.keystore("caller")).truststore(certs.truststore()).password(TestCerts.PASSWORD)
        .failureTimeout(Duration.ofSeconds(FAILURE_TIMEOUT)).runsCalls(false).build());
    ctx = PythonContexts.builder(caller).build();
    ctx.eval("python", SCRIPT);
    for (String m : List.of("rogue", "untrusted")) {
      Loopback.waitFor(m + " to start", 180, () -> log(m).contains("worker interpreters"));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (backend().capacities().size() != 2) {
      assertTrue(System.nanoTime() < deadline, () -> "timed out waiting for both members' capacity: "
          + backend().capacities() + ", caller's view " + backend().node().members() + "\n--- m1:\n" + log("m1")
          + "\n--- m2:\n" + log("m2"));
      Thread.sleep(100);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (ctx != null) {
      ctx.close(true);
    }
    if (caller != null) {
      caller.close();
    }
    for (Process p : processes) {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
    // The members' logs, for a failure to be read (surefire-reports/*-output.txt).
    for (String m : List.of("m1", "m2", "rogue", "untrusted")) {
      System.out.println("--- " + m + ":\n" + log(m));
    }
  }

  /**
   * Seconds without a heartbeat before a member is suspected: the default. Shorter (2 s was
   * tried) makes members that a loaded machine starves for a moment leave and come back.
   */
  private static final int FAILURE_TIMEOUT = 5;

  private static Process member(String name, int port, String... tls) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(PythonTestSupport.repo().resolve("makeparallel").toString(), "member",
        "--cluster", "proc", "--bind", "127.0.0.1:" + port, "--peers", PEERS, "--workers", "1",
        "--failure-timeout", Integer.toString(FAILURE_TIMEOUT)));
    cmd.addAll(List.of(tls));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
        .redirectOutput(dir.resolve(name + ".out").toFile()).redirectError(dir.resolve(name + ".err").toFile());
    // The tests' own JDK: the launcher would pick the newest, and surefire's JAVA_HOME may name
    // the namespace wrapper (src/test/netns).
    pb.environment().putAll(Map.of("MAKEPARALLEL_JAVA_HOME", System.getProperty("java.home"),
        "MAKEPARALLEL_CLUSTER_PASSWORD", TestCerts.PASSWORD, "MAKEPARALLEL_DAEMON", "0",
        "MAKEPARALLEL_QUIET", "1", "MAKEPARALLEL_LOG", "info"));
    Process p = pb.start();
    processes.add(p);
    // The launcher execs java in the same process: it must be in this test's namespace, where
    // the other members are, and not in one of its own (where it would reach nobody).
    Path ns = Path.of("/proc", String.valueOf(p.pid()), "ns", "net");
    Loopback.waitFor(name + " to exec java", 60, () -> ProcessHandle.of(p.pid())
        .flatMap(h -> h.info().command()).map(c -> c.endsWith("/java")).orElse(false));
    assertEquals(Files.readSymbolicLink(Path.of("/proc/self/ns/net")), Files.readSymbolicLink(ns),
        name + " runs in the tests' network namespace");
    return p;
  }

  static String log(String name) {
    try {
      return Files.readString(dir.resolve(name + ".err"));
    } catch (IOException e) {
      return "";
    }
  }

  private static ClusterBackend backend() {
    return (ClusterBackend) RuntimeAccess.get().backend(caller, ClusterBackend.NAME);
  }

  private static Task spin(double seconds) throws Exception {
    return spin(seconds, 0);
  }

  private static Task spin(double seconds, int retriesOnLoss) throws Exception {
    String payload = ctx.getBindings("python").getMember("payload")
        .execute(ctx.getBindings("python").getMember("spin"), seconds).asString();
    return caller.submit(TaskSpec.of("spin", ClusterBackend.NAME,
        new RemoteBody(payload, null, ContextPolicy.NARROWEST, retriesOnLoss)));
  }

  private static String memberOf(int port) {
    return "127.0.0.1:" + port;
  }

  @Test
  @Order(1)
  void membersServeCallsAndARoguePeerIsKeptOut() throws Exception {
    assertEquals(Map.of(memberOf(18101), 1, memberOf(18102), 1), backend().capacities());
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      tasks.add(spin(0.05));
    }
    for (Task t : tasks) {
      assertTrue(t.await(Duration.ofSeconds(120)));
      assertEquals(TaskState.SUCCEEDED, t.state(), String.valueOf(t.error()));
    }
    assertFalse(backend().node().members().contains(memberOf(18103)), "the plaintext process is not a member");
    assertFalse(backend().node().members().contains(memberOf(18104)), "nor the one with a foreign certificate");
    assertFalse(log("m1").contains(memberOf(18103)) || log("m1").contains(memberOf(18104)), log("m1"));
    assertTrue(log("untrusted").contains("members [" + memberOf(18104) + "]"), log("untrusted"));
    assertTrue(log("rogue").contains("PLAINTEXT"), log("rogue"));
    Loopback.assertNoSocketOutsideLoopback();
  }

  @Test
  @Order(2)
  void aFrozenMembersCallIsLostAndCancelledWhenItComesBack() throws Exception {
    List<Task> running = List.of(spin(600), spin(600));
    Loopback.waitFor("both members to run one each", 60,
        () -> backend().inFlight().equals(Map.of(memberOf(18101), 1, memberOf(18102), 1)));
    new ProcessBuilder("kill", "-STOP", Long.toString(m2.pid())).start().waitFor();
    long t0 = System.nanoTime();
    Loopback.waitFor("a call to fail as lost", 60, () -> running.stream().anyMatch(Task::isDone));
    Task lost = running.stream().filter(Task::isDone).findFirst().orElseThrow();
    assertInstanceOf(WorkerLostException.class, lost.error());
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(30), "within the failure detection and a bound");
    new ProcessBuilder("kill", "-CONT", Long.toString(m2.pid())).start().waitFor();
    Loopback.waitFor("the member to be back", 120, () -> backend().capacities().containsKey(memberOf(18102)));
    // Its abandoned call ended there: its one worker takes a new call at once. Which way it
    // ended depends on how m2 came back: rejoining (its watchdog stops its old membership, which
    // ends the calls it ran) or through a merge (the caller cancels the abandoned call). This
    // checks the outcome, not the path; a run with the caller's cancel disabled still passed
    // by the rejoin path. Two calls of 2 s go out together, one to each member (one worker each): were m2's worker
    // still in its 600 s call, the one sent there would wait. (Retries: a member falsely
    // suspected on a loaded machine costs a rerun, not the test.)
    running.forEach(Task::cancel);
    Loopback.waitFor("both members free", 60, () -> backend().inFlight().isEmpty());
    List<Task> next = List.of(spin(2, 2), spin(2, 2));
    Loopback.waitFor("one call on each member", 60,
        () -> backend().inFlight().equals(Map.of(memberOf(18101), 1, memberOf(18102), 1)));
    for (Task t : next) {
      assertTrue(t.await(Duration.ofSeconds(60)), "both members' workers are free again");
      assertEquals(TaskState.SUCCEEDED, t.state(), String.valueOf(t.error()));
    }
  }

  @Test
  @Order(3)
  void aMemberKilledWithSigkillFailsItsCallsWithinTheFailureDetectionTime() throws Exception {
    Loopback.waitFor("both members free", 60, () -> backend().capacities().size() == 2);
    List<Task> running = List.of(spin(600), spin(600));
    Loopback.waitFor("both members to run one each", 60,
        () -> backend().inFlight().equals(Map.of(memberOf(18101), 1, memberOf(18102), 1)));
    m1.destroyForcibly();
    long t0 = System.nanoTime();
    Loopback.waitFor("the killed member's call to fail", 60, () -> running.stream().anyMatch(Task::isDone));
    Task lost = running.stream().filter(Task::isDone).findFirst().orElseThrow();
    assertInstanceOf(WorkerLostException.class, lost.error());
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(30));
    running.forEach(Task::cancel);
  }

  @Test
  @Order(4)
  void sigtermLeavesTheClusterCleanlyWithStatusZero() throws Exception {
    new ProcessBuilder("kill", "-TERM", Long.toString(m2.pid())).start().waitFor();
    assertTrue(m2.waitFor(60, TimeUnit.SECONDS), "the member exits");
    assertEquals(0, m2.exitValue(), log("m2"));
    assertTrue(log("m2").contains("leaving the cluster"), log("m2"));
    Loopback.waitFor("the caller to see it leave", 30, () -> backend().capacities().isEmpty());
  }
}
